"""Plots of a run: Taylor remainders against h, and backend error against step.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global state),
so plotting works headless and never changes the caller's matplotlib setup.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["case_figure", "plot_file_name", "write_case_plots"]

_COLORS = {"r0": "#1f77b4", "r1": "#d62728", "r2": "#2ca02c"}
_SLOPES = {"r0": 1, "r1": 2, "r2": 3}
#: Values above this are not drawn (log axes cannot place them).
_HUGE = 1e200
#: Top of the error axis of the V-curves.
_ERROR_TOP = 1e2


def plot_file_name(case: str) -> str:
    """The file name of a case's plot, ``plots/<case>.png`` (name made filesystem-safe)."""
    return f"plots/{re.sub(r'[^A-Za-z0-9._-]', '_', case)}.png"


def _log_axes(ax: Any) -> None:
    """Log axes with plain-text tick labels (mathtext labels are slow to draw)."""
    from matplotlib.ticker import LogFormatter, LogLocator, NullLocator

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, numticks=6))
        axis.set_major_formatter(LogFormatter(base=10, labelOnlyBase=True))
        axis.set_minor_locator(NullLocator())


def _taylor_panel(ax: Any, frame: pd.DataFrame, title: str) -> None:
    h = frame["h"].to_numpy(dtype=float)
    window = (
        frame["in_window"].to_numpy(dtype=bool)
        if "in_window" in frame
        else np.zeros(len(h), dtype=bool)
    )
    _log_axes(ax)
    if window.any() and h[window].min() < h[window].max():
        ax.axvspan(h[window].min(), h[window].max(), color="#ffe9a8", alpha=0.6, lw=0)
    for name in ("r0", "r1", "r2"):
        if name not in frame:
            continue
        r = frame[name].to_numpy(dtype=float)
        good = np.isfinite(r) & (r > 0) & (r < _HUGE) & (h > 0)
        if not good.any():
            continue
        ax.plot(h[good], r[good], "o-", ms=2.5, lw=1, color=_COLORS[name], label=name)
        # Reference slope through the remainder at the top of the clean window.
        pick = good & window if (good & window).any() else good
        i = int(np.argmax(np.where(pick, h, -np.inf)))
        p = _SLOPES[name]
        hh = np.array([h[good].min(), h[good].max()])
        with np.errstate(all="ignore"):
            line = r[i] * (hh / h[i]) ** p
        if np.all(np.isfinite(line) & (line > 0)):
            ax.plot(hh, line, "--", lw=0.8, color=_COLORS[name], alpha=0.6)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("h", fontsize=8)
    ax.set_ylabel("remainder", fontsize=8)
    ax.tick_params(labelsize=7)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right", title="dashed: slope 1, 2, 3", title_fontsize=6)
    else:
        ax.text(0.5, 0.5, "no positive finite remainder", ha="center", transform=ax.transAxes)


def _steps_panel(ax: Any, frame: pd.DataFrame) -> None:
    _log_axes(ax)
    for backend, part in frame.groupby("backend", sort=False):
        s = part["step"].to_numpy(dtype=float)
        e = part["rel_error"].to_numpy(dtype=float)
        good = np.isfinite(e) & (e > 0) & (e < _HUGE) & (s > 0)
        if good.any():
            (line,) = ax.plot(s[good], e[good], "o-", ms=2.5, lw=1, label=str(backend))
            if "auto_step" in part:
                # Where the automatic step landed on this V-curve.
                ha, ea = float(part["auto_step"].iloc[0]), float(part["auto_error"].iloc[0])
                if np.isfinite(ha) and np.isfinite(ea) and ea > 0:
                    ax.plot([ha], [ea], "*", ms=9, color=line.get_color())
    low, high = ax.get_ylim()
    if high > _ERROR_TOP and low < _ERROR_TOP:
        ax.set_ylim(low, _ERROR_TOP)  # errors above 100 % are off the scale
    ax.set_title("gradient error against step (x0, float64)", fontsize=9)
    ax.set_xlabel("step", fontsize=8)
    ax.set_ylabel("relative error", fontsize=8)
    ax.tick_params(labelsize=7)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def case_figure(
    case: str, taylor: dict[str, pd.DataFrame], steps: pd.DataFrame | None, label: str = ""
) -> Any:
    """One figure for a case: a Taylor panel per precision, and the V-curves.

    Parameters
    ----------
    case
        The case name (the figure's title).
    taylor
        Per precision, the per-step Taylor table of one test (columns ``h``, ``r0``,
        ``r1``, ``r2``, ``in_window``).
    steps
        Step sweeps of the case (columns ``backend``, ``step``, ``rel_error``), or None.
    label
        What the Taylor tests are (backend, point, direction), for the panel titles.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = len(taylor) + (1 if steps is not None and len(steps) else 0)
    fig = Figure(figsize=(4.0 * max(panels, 1), 3.2), dpi=80)
    fig.subplots_adjust(
        left=0.08 / max(panels, 1) * 2, right=0.98, bottom=0.16, top=0.84, wspace=0.3
    )
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, max(panels, 1), squeeze=False)[0]
    k = 0
    for precision, frame in taylor.items():
        _taylor_panel(axes[k], frame, f"{precision}: {label}".strip(": "))
        k += 1
    if steps is not None and len(steps):
        _steps_panel(axes[k], steps)
    fig.suptitle(case, fontsize=10)
    return fig


def write_case_plots(result: Any, target: Path) -> list[str]:
    """Write ``plots/<case>.png`` for every case of a run into ``target``.

    Each shows, per precision, r0, r1 and r2 against h of the first Taylor test of
    the analytic gradient (else the first backend) at x0, with reference slopes 1, 2
    and 3 and the clean window shaded; and the step sweeps of the finite-difference
    backends at x0.

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
    taylor = result.taylor
    steps = result.steps
    backends = list(result.spec.backends)
    backend = "analytic" if "analytic" in backends else backends[0]
    written = []
    for case in result.spec.cases:
        panels: dict[str, pd.DataFrame] = {}
        if len(taylor):
            mine = taylor[
                (taylor["case"] == case)
                & (taylor["backend"] == backend)
                & (taylor["point"] == 0)
                & (taylor["direction"] == 0)
            ]
            for precision in result.spec.precisions:
                part = mine[mine["precision"] == precision]
                if len(part):
                    panels[precision] = part
        sweep = steps[steps["case"] == case] if len(steps) else None
        if not panels and (sweep is None or len(sweep) == 0):
            continue
        name = plot_file_name(case)
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                fig = case_figure(case, panels, sweep, f"{backend} gradient, x0, direction 0")
                fig.savefig(path, metadata={"Software": None})
        except (ValueError, OverflowError, FloatingPointError):
            # Data matplotlib cannot place on log axes: the tables still have it.
            path.unlink(missing_ok=True)
            continue
        written.append(name)
    return written
