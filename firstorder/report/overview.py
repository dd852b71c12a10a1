"""The overview figure of a run: cases × (backend, precision), coloured by verdict.

Each cell is the worst of its tests over points and directions, and holds the r1
order that verdict rests on (``ex`` exact, ``?`` inconclusive, ``n/a`` not
applicable, ``—`` no order judged). Long case lists are laid out in side-by-side
blocks so that the whole run fits one screen.
"""

from __future__ import annotations

import math
from typing import Any

from ..studies.grid import RunResult
from .tables import banner, overview_cells

__all__ = ["OVERVIEW_FILE", "VERDICT_COLORS", "overview_figure", "write_overview"]

#: Where the overview goes in the run folder.
OVERVIEW_FILE = "overview.png"
#: Fill and text colour per verdict: failing and unjudged cells stand out.
VERDICT_COLORS = {
    "pass": ("#c7e9c0", "#1b4d1b"),
    "exact": ("#d6e6f7", "#1f3a5f"),
    "fail": ("#d7191c", "#ffffff"),
    "inconclusive": ("#fdae61", "#000000"),
    "not-applicable": ("#9e9e9e", "#ffffff"),
    "skipped": ("#ffffff", "#999999"),
}
#: Rows per block: beyond this the cases wrap into another block beside it.
_ROWS = 26
_ROW_IN, _CELL_IN = 0.24, 0.62
#: Inches per character of a case name at 9 pt, for the name column's width.
_CHAR_IN = 0.075


def overview_figure(result: RunResult) -> Any:
    """The overview as a matplotlib Figure (Agg canvas, no pyplot).

    Parameters
    ----------
    result
        The run.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    cases, cells, frame = overview_cells(result)
    n_blocks = max(1, math.ceil(len(cases) / _ROWS))
    rows = min(len(cases), _ROWS) or 1
    name_in = 0.3 + _CHAR_IN * max((len(c) for c in cases), default=8)
    block_in = name_in + _CELL_IN * max(len(cells), 1)
    width = max(7.5, n_blocks * block_in + 0.4)
    height = rows * _ROW_IN + 2.1
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    look = {(r.case, r.cell): (str(r.verdict), str(r.text)) for r in frame.itertuples()}
    # "complex-step" is wider than its cell: break backend names at their hyphen
    heads = [f"{b.replace('-', '-' + chr(10))}\n{p}" for b, p in cells]
    for k in range(n_blocks):
        mine = cases[k * _ROWS : (k + 1) * _ROWS]
        left = (0.2 + k * block_in + name_in) / width
        ax = fig.add_axes(
            (left, 0.75 / height, _CELL_IN * len(cells) / width, rows * _ROW_IN / height)
        )
        ax.set_xlim(0, len(cells))
        ax.set_ylim(rows, 0)
        for i, case in enumerate(mine):
            for j, (b, p) in enumerate(cells):
                verdict, text = look[(case, f"{b} · {p}")]
                fill, ink = VERDICT_COLORS.get(verdict, ("#ffffff", "#000000"))
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor=fill, edgecolor="white", lw=1))
                weight = "normal" if verdict in ("pass", "exact", "skipped") else "bold"
                ax.text(j + 0.5, i + 0.55, text, ha="center", va="center",
                        fontsize=8.5, color=ink, fontweight=weight)  # fmt: skip
        ax.set_yticks([i + 0.5 for i in range(len(mine))], mine, fontsize=9)
        ax.set_xticks([j + 0.5 for j in range(len(cells))], heads, fontsize=8)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
    ink = "#1b4d1b" if result.ok else "#b00000"
    fig.suptitle(banner(result), fontsize=10.5, x=0.01, ha="left", y=1 - 0.12 / height,
                 color=ink, fontweight="bold", wrap=True)  # fmt: skip
    present = [v for v in VERDICT_COLORS if v in set(frame["verdict"])]
    fig.legend(
        handles=[
            Patch(facecolor=VERDICT_COLORS[v][0], edgecolor="#888888", label=v) for v in present
        ],
        loc="lower left",
        ncol=len(present),
        fontsize=9,
        frameon=False,
        bbox_to_anchor=(0.01, 0.0),
        title="cell: worst test's verdict and its judged r1 order (ex exact, ? inconclusive, "
        "— none judged)",
        title_fontsize=9,
        alignment="left",
    )
    return fig


def write_overview(result: RunResult, target: Any) -> str | None:
    """Write :data:`OVERVIEW_FILE` into the run folder ``target``; its name, or None
    when the run has no Taylor test."""
    if len(result.tests) == 0:
        return None
    fig = overview_figure(result)
    fig.savefig(target / OVERVIEW_FILE, metadata={"Software": None})
    return OVERVIEW_FILE
