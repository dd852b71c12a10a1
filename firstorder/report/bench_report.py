"""The bench report: ``bench.csv``, ``bench.md`` and its two plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .markdown import markdown_table

__all__ = [
    "bench_markdown",
    "plot_error_vs_time",
    "plot_time_vs_n",
    "ratio_summary",
    "speed_ratios",
]

#: Our backend and the peer computing the same formula: ``central`` with its automatic
#: step (search included) and with SciPy's rule (``central@rule``); Richardson with the
#: automatic step against numdifftools, the peer with adaptive steps.
PAIRS = (
    ("central", "scipy-3point"),
    ("central@rule", "scipy-3point"),
    ("complex-step", "scipy-cs"),
    ("forward", "scipy-2point"),
    ("richardson", "numdifftools"),
)


def speed_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Peer time over our time for each matching pair, per case and n (>1: ours faster):
    ``ratio`` of the median times, ``best_ratio`` of the fastest samples (on a shared
    machine, where other processes preempt some samples, the steadier of the two).

    Also ``numdifftools`` over ``central`` and ``scipy-3point`` over ``autodiff``
    (steady state: the compile is in ``first_time``). ``accuracy_gain`` is the peer's
    error over ours (>1: ours more accurate).
    """
    rows = []
    pairs = (*PAIRS, ("central", "numdifftools"), ("autodiff", "scipy-3point"))
    for (case, n), g in frame.groupby(["case", "n"], sort=False):
        t = g.set_index("backend")["median_time"]
        fastest = g.set_index("backend")["min_time"]
        e = g.set_index("backend")["rel_error"]
        for ours, peer in pairs:
            if ours in t and peer in t:
                rows.append(
                    {
                        "case": case,
                        "n": n,
                        "ours": ours,
                        "peer": peer,
                        "ratio": float(t[peer] / t[ours]),
                        "best_ratio": float(fastest[peer] / fastest[ours]),
                        "our_error": float(e[ours]),
                        "peer_error": float(e[peer]),
                        "accuracy_gain": float(e[peer] / e[ours]) if e[ours] > 0 else np.inf,
                    }
                )
    return pd.DataFrame(rows)


def ratio_summary(ratios: pd.DataFrame) -> pd.DataFrame:
    """Each pair of :func:`speed_ratios` over all its cases and sizes: how many, the
    geometric mean and the least of the speed ratio (and where; and of the ratio of
    the fastest samples), and the least
    accuracy gain where the peer succeeded (error below 0.5; >1: ours more accurate,
    0.1: ten times less accurate).
    """
    rows: list[dict[str, object]] = []
    if not len(ratios):
        return pd.DataFrame(rows)
    for (ours, peer), g in ratios.groupby(["ours", "peer"], sort=False):
        r = g["ratio"].to_numpy(dtype=float)
        ok = np.isfinite(r) & (r > 0)
        slow = g.iloc[int(np.argmin(np.where(ok, r, np.inf)))] if ok.any() else None
        peer_ok = g[np.isfinite(g["peer_error"]) & (g["peer_error"] < 0.5)]
        geomean, least = _geomean_min(r)
        best_geomean, best_least = _geomean_min(g["best_ratio"].to_numpy(dtype=float))
        rows.append(
            {
                "ours": ours,
                "peer": peer,
                "measurements": len(g),
                "geomean_ratio": geomean,
                "min_ratio": least,
                "slowest_at": f"{slow['case']} n={slow['n']}" if slow is not None else "",
                "geomean_best_ratio": best_geomean,
                "min_best_ratio": best_least,
                "min_accuracy_gain": float(peer_ok["accuracy_gain"].min())
                if len(peer_ok)
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _geomean_min(ratios: np.ndarray) -> tuple[float, float]:
    """The geometric mean and the least of the finite positive ``ratios`` (NaN if none)."""
    r = ratios[np.isfinite(ratios) & (ratios > 0)]
    if not len(r):
        return np.nan, np.nan
    return float(np.exp(np.mean(np.log(r)))), float(r.min())


def bench_markdown(frame: pd.DataFrame, wall_time: float) -> str:
    """The readable bench report."""
    show = frame.assign(
        median_ms=1e3 * frame["median_time"],
        min_ms=1e3 * frame["min_time"],
        max_ms=1e3 * frame["max_time"],
        warm_ms=1e3 * frame["warm_time"],
        peak_MiB=frame["peak_memory"] / 2**20,
        # a ratio of two times: its unit is "cost evaluations"
        time_cost_evals=frame["time_per_cost_eval"],
        first_ms=1e3 * frame["first_time"] if "first_time" in frame else np.nan,
    )[
        [
            "case",
            "n",
            "backend",
            "step_rule",
            "median_ms",
            "min_ms",
            "max_ms",
            "warm_ms",
            "first_ms",
            "nfev",
            "time_cost_evals",
            "rel_error",
            "peak_MiB",
            "status",
        ]
    ]
    parts = [
        "# Gradient backends: time, evaluations, accuracy, memory",
        "",
        "Median time per gradient over repeated samples on this machine (min and max "
        "beside it; a gradient faster than 2 ms is looped within each sample, as timeit "
        "does); "
        "`time_cost_evals` is the gradient's time in units of one cost evaluation's time "
        "(`time_per_cost_eval` in bench.csv); `rel_error` is "
        "‖g − g*‖∞/‖g*‖∞ against the analytic gradient (else the mp reference, else the "
        "complex step); `peak_MiB` is the peak allocation of one gradient. "
        "`step_rule` says which rule set the steps: `auto` (the automatic step, its "
        "search included in every timed call; `warm_ms` is the time when the search of "
        "the point is reused) or `rule` (SciPy's fixed rule, `name@rule`); `first_ms` is "
        "the first, untimed call (for `autodiff`, tracing and jit-compiling at this n, "
        "kept apart from the steady-state times).",
        "",
        markdown_table(show),
        "",
    ]
    ratios = speed_ratios(frame)
    if len(ratios):
        parts += [
            "## Speed ratios (peer time / our time, measured side by side in this run)",
            "",
            "Over all cases and sizes: the geometric mean and the least of the ratio "
            "(of median times; `best_ratio`: of the fastest samples), "
            "and the least accuracy gain (peer error / our error) where the peer "
            "succeeded (its error below 0.5).",
            "",
            markdown_table(ratio_summary(ratios)),
            "",
            "Per case and size:",
            "",
            markdown_table(ratios),
            "",
        ]
    parts.append(f"Wall time of the bench: {wall_time:.1f} s.")
    return "\n".join(parts) + "\n"


def plot_time_vs_n(frame: pd.DataFrame, path: Path) -> None:
    """Time per gradient against n, one line per backend (scalable cases)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(frame["case"]))
    fig, axes = plt.subplots(1, len(cases), figsize=(5 * len(cases), 4), squeeze=False)
    for ax, case in zip(axes[0], cases, strict=True):
        sub = frame[frame["case"] == case]
        for b, g in sub.groupby("backend", sort=False):
            g = g.sort_values("n")
            ax.loglog(g["n"], g["median_time"], "o-", label=b)
        ax.set_xlabel("n")
        ax.set_ylabel("time per gradient [s]")
        ax.set_title(case)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_error_vs_time(frame: pd.DataFrame, path: Path) -> None:
    """Relative error against time: the accuracy–cost picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ok = frame[np.isfinite(frame["rel_error"])]
    floor = 1e-17
    for b, g in ok.groupby("backend", sort=False):
        ax.loglog(g["median_time"], np.maximum(g["rel_error"], floor), "o", label=b, alpha=0.8)
    ax.set_xlabel("time per gradient [s]")
    ax.set_ylabel(f"relative error (shown ≥ {floor:g})")
    ax.set_title("accuracy against cost")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
