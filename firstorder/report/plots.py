"""Plots of a run: Taylor remainders against h, and backend error against step.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global state),
so plotting works headless and never changes the caller's matplotlib setup.

Every axis is clipped to the range that carries information, and what was clipped is
said on the panel: a cost that overflows at large h (tiny_scale reaches r ≈ 1e190)
would otherwise squash every curve into a line. Legends sit outside the axes, below
the panels, and list only the curves drawn.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .tables import TEST_KEYS, test_plot_name

__all__ = [
    "case_figure",
    "clip_range",
    "plot_file_name",
    "test_figure",
    "write_case_plots",
    "write_test_plots",
]

_COLORS = {"r0": "#1f77b4", "r1": "#d62728", "r2": "#2ca02c"}
_SLOPES = {"r0": 1, "r1": 2, "r2": 3}
#: r1, the tested remainder, is drawn on top where curves coincide.
_Z = {"r0": 3, "r1": 4, "r2": 2}
#: A log-log slope steeper than any remainder's order (1, 2, 3) by far: at the largest
#: steps it marks a blow-up, which is clipped.
_STEEP = 8.0
#: Top of the error axis of the V-curves: errors above 100 % carry no information.
_ERROR_TOP = 1e2
_FONT = {"title": 11, "label": 10, "tick": 9, "legend": 9, "note": 8.5}
_WINDOW = "#ffe9a8"


def plot_file_name(case: str) -> str:
    """The file name of a case's plot, ``plots/<case>.png`` (name made filesystem-safe)."""
    return f"plots/{re.sub(r'[^A-Za-z0-9._-]', '_', case)}.png"


def clip_range(h: np.ndarray, curves: np.ndarray) -> tuple[float, float]:
    """The y-range (log axis) that carries information, for curves sampled at steps h.

    A blow-up at the largest steps (a cost that overflows far outside the region where
    the expansion holds: tiny_scale's remainders reach 1e190) rises faster than any
    Taylor term; its steps — the leading ones whose neighbour-to-neighbour slope
    exceeds :data:`_STEEP` — are left above the axis. Everything else is shown, from
    the smallest positive value to the largest.

    Parameters
    ----------
    h
        The steps, decreasing.
    curves
        One row per curve, one column per step; non-positive and non-finite values
        are ignored.
    """
    v = np.atleast_2d(np.asarray(curves, dtype=float))
    ok = np.isfinite(v) & (v > 0)
    if not ok.any():
        return 1e-16, 1.0
    kept = ok.copy()
    for row, good in zip(v, kept, strict=True):
        idx = np.flatnonzero(good)
        with np.errstate(all="ignore"):
            slopes = np.diff(np.log10(row[idx])) / np.diff(np.log10(h[idx]))
        steep = 0
        while steep < len(slopes) and slopes[steep] > _STEEP:
            steep += 1
        good[idx[:steep]] = False
    if not kept.any():
        kept = ok
    logs = np.log10(v[kept])
    low, top = logs.min(), logs.max()
    if top - low < 1:  # a flat curve still gets a readable decade
        low, top = low - 0.5, top + 0.5
    return 10 ** (low - 0.15), 10 ** (top + 0.3)


def _log_axes(ax: Any) -> None:
    """Log axes with plain-text tick labels (mathtext labels are slow to draw)."""
    from matplotlib.ticker import LogFormatter, LogLocator, NullLocator

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, numticks=6))
        axis.set_major_formatter(LogFormatter(base=10, labelOnlyBase=True))
        axis.set_minor_locator(NullLocator())
    ax.tick_params(labelsize=_FONT["tick"])
    ax.grid(True, which="major", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)


def _note_clipped(ax: Any, h: np.ndarray, above: np.ndarray, values: np.ndarray) -> str:
    """Mark steps whose values lie above the axis with ▲ on its top edge; return the
    note for the axis label (outside the axes, so it never covers data)."""
    if not above.any():
        return ""
    ax.plot(
        h[above],
        np.full(above.sum(), ax.get_ylim()[1]),
        "^",
        ms=6,
        color="#555555",
        clip_on=False,
        zorder=5,
    )
    peak = np.nanmax(values[above])
    return f"  (▲ {int(above.sum())} step(s) clipped, r up to {peak:.0e})"


def _taylor_panel(ax: Any, frame: pd.DataFrame, title: str) -> list[str]:
    """Remainders against h with slope guides, the clean window and the r1 floor;
    returns the names of the curves drawn (for the figure's legend)."""
    h = frame["h"].to_numpy(dtype=float)
    window = (
        frame["in_window"].to_numpy(dtype=bool)
        if "in_window" in frame
        else np.zeros(len(h), dtype=bool)
    )
    _log_axes(ax)
    curves = {
        n: frame[n].to_numpy(dtype=float)
        for n in ("r0", "r1", "r2")
        if n in frame and np.any(np.isfinite(frame[n].to_numpy(dtype=float)) & (frame[n] > 0))
    }
    if not curves:
        ax.text(0.5, 0.5, "no positive finite remainder", ha="center", transform=ax.transAxes)
        ax.set_title(title, fontsize=_FONT["title"])
        return []
    stack = np.vstack(list(curves.values()))
    low, top = clip_range(h, stack)
    drawn = []
    if window.any() and h[window].min() < h[window].max():
        ax.axvspan(h[window].min(), h[window].max(), color=_WINDOW, alpha=0.7, lw=0)
        drawn.append("window")
    if "floor_r1" in frame and "r1" in curves:
        floor = frame["floor_r1"].to_numpy(dtype=float)
        ok = np.isfinite(floor) & (floor > 0) & (floor <= top)
        if ok.any():
            ax.plot(h[ok], floor[ok], ":", lw=1.2, color="#777777")
            drawn.append("floor")
    above = np.zeros(len(h), dtype=bool)
    for name, r in curves.items():
        good = np.isfinite(r) & (r > 0) & (h > 0)
        above |= good & (r > top)
        keep = good & (r <= top)
        ax.plot(h[keep], r[keep], "o-", ms=3, lw=1.3, color=_COLORS[name], zorder=_Z[name])
        drawn.append(name)
        _slope_guide(ax, h, r, keep, window, _SLOPES[name], _COLORS[name])
    # the x-range keeps the clipped steps: their ▲ marks say where the cost blows up
    shown = h[np.any(np.isfinite(stack) & (stack > 0), axis=0)]
    ax.set_xlim(shown.min() / 1.5, shown.max() * 1.5)
    ax.set_ylim(low, top)
    note = _note_clipped(ax, h, above, stack.max(axis=0, initial=0, where=np.isfinite(stack)))
    ax.set_title(title, fontsize=_FONT["title"])
    ax.set_xlabel("step h" + note, fontsize=_FONT["label"])
    ax.set_ylabel("remainder", fontsize=_FONT["label"])
    return drawn


def _slope_guide(
    ax: Any, h: np.ndarray, r: np.ndarray, keep: np.ndarray, window: np.ndarray, p: int, color: str
) -> None:
    """A dashed line of slope ``p`` through the remainder at the top of the window."""
    if not keep.any():
        return
    pick = keep & window if (keep & window).any() else keep
    i = int(np.argmax(np.where(pick, h, -np.inf)))
    hh = np.array([h[keep].min(), h[keep].max()])
    with np.errstate(all="ignore"):
        line = r[i] * (hh / h[i]) ** p
    if np.all(np.isfinite(line) & (line > 0)):
        ax.plot(hh, line, "--", lw=0.9, color=color, alpha=0.6)


def _steps_panel(ax: Any, frame: pd.DataFrame) -> list[str]:
    _log_axes(ax)
    drawn = []
    above_any = 0
    for backend, part in frame.groupby("backend", sort=False):
        s = part["step"].to_numpy(dtype=float)
        e = part["rel_error"].to_numpy(dtype=float)
        good = np.isfinite(e) & (e > 0) & (s > 0)
        above_any += int((good & (e > _ERROR_TOP)).sum())
        keep = good & (e <= _ERROR_TOP)
        if keep.any():
            (line,) = ax.plot(s[keep], e[keep], "o-", ms=3, lw=1.3, label=str(backend))
            drawn.append(str(backend))
            if "auto_step" in part:
                # Where the automatic step landed on this V-curve (a star).
                ha, ea = float(part["auto_step"].iloc[0]), float(part["auto_error"].iloc[0])
                if np.isfinite(ha) and np.isfinite(ea) and 0 < ea <= _ERROR_TOP:
                    ax.plot([ha], [ea], "*", ms=10, color=line.get_color())
    note = f"  ({above_any} point(s) with error > 100 % clipped)" if above_any else ""
    ax.set_title("gradient error against step (x0, float64)", fontsize=_FONT["title"])
    ax.set_xlabel("step" + note, fontsize=_FONT["label"])
    ax.set_ylabel("relative error", fontsize=_FONT["label"])
    if drawn:
        ax.legend(fontsize=_FONT["legend"], loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    return drawn


def _legend(fig: Any, drawn: set[str]) -> None:
    """One legend for the Taylor panels, below them, of the curves actually drawn."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    entries = {
        "r0": Line2D([], [], color=_COLORS["r0"], marker="o", ms=3, label="r0 (slope 1)"),
        "r1": Line2D([], [], color=_COLORS["r1"], marker="o", ms=3, label="r1 (slope 2)"),
        "r2": Line2D([], [], color=_COLORS["r2"], marker="o", ms=3, label="r2 (slope 3)"),
        "guide": Line2D([], [], color="#888888", ls="--", label="expected slope"),
        "floor": Line2D([], [], color="#777777", ls=":", lw=1.2, label="r1 round-off floor"),
        "window": Patch(color=_WINDOW, label="clean window of the fit"),
    }
    names: list[str] = [n for n in ("r0", "r1", "r2") if n in drawn]
    if names:
        names.append("guide")
    names += [n for n in ("floor", "window") if n in drawn]
    if names:
        fits = max(1, int(fig.get_figwidth() / 1.9))
        fig.legend(
            handles=[entries[n] for n in names],
            loc="lower left",
            ncol=min(len(names), fits),
            fontsize=_FONT["legend"],
            frameon=False,
            bbox_to_anchor=(0.01, 0.0),
        )


def _figure(panels: int, height: float = 4.0) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.8 * max(panels, 1), height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, max(panels, 1), squeeze=False)[0]


def case_figure(
    case: str,
    taylor: dict[str, pd.DataFrame],
    steps: pd.DataFrame | None,
    label: str = "",
    verdicts: dict[str, str] | None = None,
) -> Any:
    """One figure for a case: a Taylor panel per precision, and the V-curves.

    Parameters
    ----------
    case
        The case name (the figure's title).
    taylor
        Per precision, the per-step Taylor table of one test (columns ``h``, ``r0``,
        ``r1``, ``r2``, ``in_window``, optionally ``floor_r1``).
    steps
        Step sweeps of the case (columns ``backend``, ``step``, ``rel_error``), or None.
    label
        What the Taylor tests are (backend, point, direction), for the panel titles.
    verdicts
        Per precision, the verdict of the test shown, added to its panel's title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with_steps = steps is not None and len(steps) > 0
    fig, axes = _figure(len(taylor) + (1 if with_steps else 0))
    drawn: set[str] = set()
    for k, (precision, frame) in enumerate(taylor.items()):
        verdict = (verdicts or {}).get(precision)
        title = f"{precision}: {label}".strip(": ") + (f" — {verdict}" if verdict else "")
        drawn |= set(_taylor_panel(axes[k], frame, title))
    if steps is not None and with_steps:
        _steps_panel(axes[len(taylor)], steps)
    _legend(fig, drawn)
    fig.suptitle(case, fontsize=_FONT["title"] + 1, fontweight="bold")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.27, top=0.85, wspace=0.28)
    return fig


def test_figure(frame: pd.DataFrame, test: dict[str, Any]) -> Any:
    """The figure of one Taylor test: its remainders, clean window and r1 floor, with
    its verdict and reason in the title.

    Parameters
    ----------
    frame
        The test's rows of ``taylor.csv``.
    test
        The test's r1 row of ``orders.csv`` (keys, ``verdict``, ``reason``).
    """
    fig, axes = _figure(1, height=5.0)
    fig.set_size_inches(7.5, 5.4)
    where = " · ".join(str(test[k]) for k in ("case", "backend", "precision"))
    where += f" · point {test['point']} · direction {test['direction']}"
    drawn = _taylor_panel(axes[0], frame, "")
    _legend(fig, set(drawn))
    reason = textwrap.fill(str(test.get("reason", "")), 95)
    fig.suptitle(
        f"{where}: {str(test['verdict']).upper()}",
        fontsize=_FONT["title"] + 1,
        fontweight="bold",
        color="#b00000" if test["verdict"] == "fail" else "#8a5a00",
        y=0.985,
    )
    fig.text(0.5, 0.93, reason, ha="center", va="top", fontsize=_FONT["note"])
    lines = reason.count("\n") + 1
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.21, top=0.86 - 0.03 * lines)
    return fig


def _save(fig_of: Any, path: Path) -> bool:
    """Draw and save; data matplotlib cannot place on log axes is left to the tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            fig_of().savefig(path, metadata={"Software": None})
    except (ValueError, OverflowError, FloatingPointError):
        path.unlink(missing_ok=True)
        return False
    return True


def write_case_plots(result: Any, target: Path) -> list[str]:
    """Write ``plots/<case>.png`` for every case of a run into ``target``.

    Each shows, per precision, r0, r1 and r2 against h of the first Taylor test of
    the analytic gradient (else the first backend) at x0, with reference slopes 1, 2
    and 3, the clean window shaded and the test's verdict; and the step sweeps of the
    finite-difference backends at x0.

    Parameters
    ----------
    result
        A :class:`~firstorder.studies.grid.RunResult`.
    target
        The run folder.

    Returns
    -------
    list of str
        The plot files written, relative to ``target``.
    """
    taylor, steps, tests = result.taylor, result.steps, result.tests
    backends = list(result.spec.backends)
    backend = "analytic" if "analytic" in backends else backends[0]
    written = []
    for case in result.spec.cases:
        panels: dict[str, pd.DataFrame] = {}
        verdicts: dict[str, str] = {}
        for precision in result.spec.precisions:
            at = {"case": case, "backend": backend, "precision": precision}
            part = _rows(taylor, {**at, "point": 0, "direction": 0})
            if len(part):
                panels[precision] = part
                t = _rows(tests, {**at, "point": 0, "direction": 0})
                if len(t):
                    verdicts[precision] = str(t["verdict"].iloc[0])
        sweep = steps[steps["case"] == case] if len(steps) else None
        if not panels and (sweep is None or len(sweep) == 0):
            continue
        name = plot_file_name(case)
        label = f"{backend}, x0, direction 0"
        draw = partial(case_figure, case, panels, sweep, label, verdicts)
        if _save(draw, target / name):
            written.append(name)
    return written


def write_test_plots(result: Any, target: Path) -> list[str]:
    """Write ``plots/tests/*.png`` for every failing or inconclusive Taylor test.

    Returns
    -------
    list of str
        The plot files written, relative to ``target``.
    """
    tests, taylor = result.tests, result.taylor
    if len(tests) == 0 or len(taylor) == 0:
        return []
    written = []
    for test in tests[tests["verdict"].isin(["fail", "inconclusive"])].to_dict("records"):
        frame = _rows(taylor, {k: test[k] for k in TEST_KEYS})
        if len(frame) == 0:
            continue
        name = test_plot_name(test)
        if _save(partial(test_figure, frame, test), target / name):
            written.append(name)
    return written


def _rows(frame: pd.DataFrame, keys: dict[str, Any]) -> pd.DataFrame:
    if len(frame) == 0:
        return frame
    mask = np.ones(len(frame), dtype=bool)
    for k, v in keys.items():
        mask &= (frame[k] == v).to_numpy()
    return frame[mask]
