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
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .tables import TEST_KEYS, test_plot_name

__all__ = [
    "Figures",
    "PlotJob",
    "case_figure",
    "case_plot_jobs",
    "clip_range",
    "draw_pngs",
    "plot_file_name",
    "test_figure",
    "test_plot_jobs",
    "write_case_plots",
    "write_plots",
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
#: Titles sit at a fixed height above the axes: the log axes' tick labels are below
#: and left, never above, and placing a title automatically costs a layout of every
#: tick label (a tenth of the drawing time).
_TITLE_Y = 1.02
#: PNG compression of the per-case and per-test plots: zlib's fastest level, as a
#: rerun regenerates them and they are not kept (the overview keeps the default).
_PNG = {"compress_level": 1}


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
    curves = {
        n: frame[n].to_numpy(dtype=float)
        for n in ("r0", "r1", "r2")
        if n in frame and np.any(np.isfinite(frame[n].to_numpy(dtype=float)) & (frame[n] > 0))
    }
    if not curves:
        ax.text(0.5, 0.5, "no positive finite remainder", ha="center", transform=ax.transAxes)
        ax.set_title(title, fontsize=_FONT["title"], y=_TITLE_Y)
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
    ax.set_title(title, fontsize=_FONT["title"], y=_TITLE_Y)
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
    drawn = []
    above_any = 0
    for k, (backend, part) in enumerate(frame.groupby("backend", sort=False)):
        s = part["step"].to_numpy(dtype=float)
        e = part["rel_error"].to_numpy(dtype=float)
        good = np.isfinite(e) & (e > 0) & (s > 0)
        above_any += int((good & (e > _ERROR_TOP)).sum())
        keep = good & (e <= _ERROR_TOP)
        if keep.any():
            # colours by position, not from the axes' cycle (which a reused figure
            # would carry on from its last drawing)
            (line,) = ax.plot(
                s[keep], e[keep], "o-", ms=3, lw=1.3, color=f"C{k}", label=str(backend)
            )
            drawn.append(str(backend))
            if "auto_step" in part:
                # Where the automatic step landed on this V-curve (a star).
                ha, ea = float(part["auto_step"].iloc[0]), float(part["auto_error"].iloc[0])
                if np.isfinite(ha) and np.isfinite(ea) and 0 < ea <= _ERROR_TOP:
                    ax.plot([ha], [ea], "*", ms=10, color=line.get_color())
    note = f"  ({above_any} point(s) with error > 100 % clipped)" if above_any else ""
    ax.set_title("gradient error against step (x0, float64)", fontsize=_FONT["title"], y=_TITLE_Y)
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


class Figures:
    """Blank figures by layout, drawn on again and again.

    A report draws a hundred figures of a few layouts; building each anew (axes, log
    scales, ticks, a canvas and its renderer, whose text metrics are cached) was most of
    its cost. :meth:`get` hands out the figure of a layout with everything the last
    drawing added taken away: the axes, their scales, locators and tick objects stay.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[int, float, float], tuple[Any, Any]] = {}

    def get(self, panels: int, width: float, height: float) -> tuple[Any, Any]:
        """The figure of ``panels`` log-log panels side by side, ``width`` × ``height``
        inches, cleared; and its axes."""
        key = (max(panels, 1), width, height)
        if key not in self._made:
            self._made[key] = _new_figure(*key)
            return self._made[key]
        fig, axes = self._made[key]
        for ax in axes:
            for artist in [*ax.lines, *ax.patches, *ax.texts, *ax.collections]:
                artist.remove()
            if ax.legend_ is not None:
                ax.legend_.remove()
            ax.relim()
            ax.set_autoscale_on(True)
            ax.set_title("")
            ax.set_xlabel("")
            ax.set_ylabel("")
        for artist in [*fig.legends, *(t for t in fig.texts if t is not fig._suptitle)]:
            artist.remove()
        return fig, axes


def _new_figure(panels: int, width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for ax in axes:
        _log_axes(ax)
    return fig, axes


def _figure(figures: Figures | None, panels: int, width: float, height: float) -> tuple[Any, Any]:
    if figures is None:
        return _new_figure(max(panels, 1), width, height)
    return figures.get(panels, width, height)


def case_figure(
    case: str,
    taylor: dict[str, pd.DataFrame],
    steps: pd.DataFrame | None,
    label: str = "",
    verdicts: dict[str, str] | None = None,
    figures: Figures | None = None,
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
    figures
        Where to draw (a figure reused from an earlier drawing); a new figure if None.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with_steps = steps is not None and len(steps) > 0
    panels = max(1, len(taylor) + (1 if with_steps else 0))
    fig, axes = _figure(figures, panels, 4.8 * panels, 4.0)
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


def test_figure(frame: pd.DataFrame, test: dict[str, Any], figures: Figures | None = None) -> Any:
    """The figure of one Taylor test: its remainders, clean window and r1 floor, with
    its verdict and reason in the title.

    Parameters
    ----------
    frame
        The test's rows of ``taylor.csv``.
    test
        The test's r1 row of ``orders.csv`` (keys, ``verdict``, ``reason``).
    figures
        Where to draw (a figure reused from an earlier drawing); a new figure if None.
    """
    fig, axes = _figure(figures, 1, 7.5, 5.4)
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


#: One plot to draw: its file name, the figure function and its arguments.
PlotJob = tuple[str, str, tuple[Any, ...]]
#: Plot jobs per task sent to a pool: a few per worker balance the tail cheaply.
_JOBS_PER_TASK = 8


def draw_pngs(jobs: list[PlotJob]) -> list[bytes | None]:
    """Draw plot jobs on reused figures; each one's PNG bytes, or None where the
    data cannot be placed on log axes (it is left to the tables).

    Runs in the report's process or in a worker of the run's pool (bytes come back, so
    a Dask worker needs no access to the run folder).
    """
    import io

    figures = Figures()
    draw: dict[str, Callable[..., Any]] = {"case": case_figure, "test": test_figure}
    out: list[bytes | None] = []
    for _, kind, args in jobs:
        buf = io.BytesIO()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                fig = draw[kind](*args, figures=figures)
                fig.savefig(buf, format="png", metadata={"Software": None}, pil_kwargs=_PNG)
        except (ValueError, OverflowError, FloatingPointError):
            out.append(None)
            continue
        out.append(buf.getvalue())
    return out


def write_plots(result: Any, target: Path, executor: Executor | None = None) -> list[str]:
    """Write every failing or inconclusive test's plot and every case's plot.

    Parameters
    ----------
    result
        A :class:`~firstorder.studies.grid.RunResult`.
    target
        The run folder.
    executor
        The run's pool (processes or Dask): the plots are drawn there, a few per task;
        None draws them here.

    Returns
    -------
    list of str
        The plot files written, relative to ``target``: the tests', then the cases'.
    """
    return _write(test_plot_jobs(result) + case_plot_jobs(result), target, executor)


def _write(jobs: list[PlotJob], target: Path, executor: Executor | None) -> list[str]:
    if executor is None or len(jobs) <= _JOBS_PER_TASK:
        pngs = draw_pngs(jobs)
    else:
        chunks = [jobs[k : k + _JOBS_PER_TASK] for k in range(0, len(jobs), _JOBS_PER_TASK)]
        pngs = [png for got in executor.map(draw_pngs, chunks) for png in got]
    written = []
    for (name, _, _), png in zip(jobs, pngs, strict=True):
        if png is not None:
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
            written.append(name)
    return written


def case_plot_jobs(result: Any) -> list[PlotJob]:
    """The plot of every case: per precision, r0, r1 and r2 against h of the first Taylor
    test of the analytic gradient (else the first backend) at x0, with reference slopes
    1, 2 and 3, the clean window shaded and the test's verdict; and the step sweeps of
    the finite-difference backends at x0 (see :func:`case_figure`)."""
    taylor, steps, tests = result.taylor, result.steps, result.tests
    backends = list(result.spec.backends)
    backend = "analytic" if "analytic" in backends else backends[0]
    at = {"backend": backend, "point": 0, "direction": 0}
    first = _groups(_rows(taylor, at), ["case", "precision"])
    verdict = _groups(_rows(tests, at), ["case", "precision"])
    sweeps = _groups(steps, ["case"])
    jobs: list[PlotJob] = []
    for case in result.spec.cases:
        panels: dict[str, pd.DataFrame] = {}
        verdicts: dict[str, str] = {}
        for precision in result.spec.precisions:
            part = first.get((case, precision))
            if part is not None:
                panels[precision] = part
                t = verdict.get((case, precision))
                if t is not None:
                    verdicts[precision] = str(t["verdict"].iloc[0])
        sweep = sweeps.get((case,))
        if not panels and sweep is None:
            continue
        label = f"{backend}, x0, direction 0"
        jobs.append((plot_file_name(case), "case", (case, panels, sweep, label, verdicts)))
    return jobs


def test_plot_jobs(result: Any) -> list[PlotJob]:
    """The plot of every failing or inconclusive Taylor test (see :func:`test_figure`)."""
    tests, taylor = result.tests, result.taylor
    if len(tests) == 0 or len(taylor) == 0:
        return []
    frames = _groups(taylor, TEST_KEYS)
    jobs: list[PlotJob] = []
    for test in tests[tests["verdict"].isin(["fail", "inconclusive"])].to_dict("records"):
        frame = frames.get(tuple(test[k] for k in TEST_KEYS))
        if frame is not None:
            jobs.append((test_plot_name(test), "test", (frame, test)))
    return jobs


def write_case_plots(result: Any, target: Path, executor: Executor | None = None) -> list[str]:
    """Write ``plots/<case>.png`` for every case of a run into ``target`` (see
    :func:`case_plot_jobs`); the files written, relative to ``target``."""
    return _write(case_plot_jobs(result), target, executor)


def write_test_plots(result: Any, target: Path, executor: Executor | None = None) -> list[str]:
    """Write ``plots/tests/*.png`` for every failing or inconclusive Taylor test; the
    files written, relative to ``target``."""
    return _write(test_plot_jobs(result), target, executor)


def _groups(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], pd.DataFrame]:
    """The rows of ``frame`` per value of ``keys`` (one pass; a comparison of every
    row per plot cost more than drawing some of them)."""
    if len(frame) == 0:
        return {}
    return {k: part for k, part in frame.groupby(keys, sort=False)}


def _rows(frame: pd.DataFrame, keys: dict[str, Any]) -> pd.DataFrame:
    if len(frame) == 0:
        return frame
    mask = np.ones(len(frame), dtype=bool)
    for k, v in keys.items():
        mask &= (frame[k] == v).to_numpy()
    return frame[mask]
