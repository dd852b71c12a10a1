"""``firstorder backends`` and ``firstorder sweep``: gradient backends and step sweeps."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FirstOrderError
from ..numbers import DEFAULT_DPS
from ..report.runfolder import run_folder
from ..vocab import GRADIENT_PRECISIONS
from .common import add_cases_option, emit_frame, registry_from, report_problems

if TYPE_CHECKING:
    from ..studies.step_sweep import StepSweep

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register ``backends`` and ``sweep``."""
    p = sub.add_parser("backends", help="list the gradient backends")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=run_backends)

    s = sub.add_parser(
        "sweep", help="sweep a backend's step: relative error against mp, table and plot"
    )
    s.add_argument("case", metavar="CASE")
    s.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="B",
        help="stepped backend (repeatable; default forward, central, complex-step)",
    )
    s.add_argument("--precision", default="float64", help="float64, float32 or mp")
    s.add_argument("--dps", type=int, default=DEFAULT_DPS, help="digits of the mp precision")
    s.add_argument("--point", default=None, help="comma-separated point (default x0)")
    s.add_argument(
        "--steps",
        default=None,
        help="comma-separated steps h (default: a geometric sequence for the backend)",
    )
    s.add_argument("--out", default=None, metavar="DIR", help="base folder of run folders")
    s.add_argument("--format", choices=["table", "json", "csv"], default="table")
    add_cases_option(s)
    s.set_defaults(func=run_sweep)


#: The extra that installs each kind of optional backend.
_EXTRAS = {"autodiff": "autodiff", "peer": "peers"}


def run_backends(args: argparse.Namespace) -> int:
    """Print the backend table, and how to install the backends that are absent."""
    from ..gradients.backends import backends_frame

    frame = backends_frame()
    emit_frame(frame, args.format)
    if args.format == "table":
        absent = frame[~frame["available"].astype(bool)]
        for kind, extra in _EXTRAS.items():
            names = list(absent.loc[absent["kind"] == kind, "name"])
            if names:
                print(
                    f"not installed: {', '.join(names)}; install the `{extra}` extra: "
                    f"pip install 'firstorder[{extra}]'"
                )
    return 0


def _parse_point(text: str | None, option: str = "point") -> np.ndarray | None:
    if text is None:
        return None
    try:
        return np.array([float(t) for t in text.split(",")], dtype=np.float64)
    except ValueError:
        raise FirstOrderError(
            f"`--{option} {text}` must be comma-separated numbers, e.g. `1.5` or `-1.2,1`."
        ) from None


def _plot(sweeps: list[StepSweep], path: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for s in sweeps:
        ok = np.isfinite(s.rel_errors) & (s.rel_errors > 0)
        label = f"{s.backend} (order {s.order:.2f})" if np.isfinite(s.order) else s.backend
        (line,) = ax.loglog(s.steps[ok], s.rel_errors[ok], marker=".", label=label)
        if np.isfinite(s.auto_step) and np.isfinite(s.auto_error) and s.auto_error > 0:
            ax.loglog(
                [s.auto_step],
                [s.auto_error],
                marker="*",
                ms=12,
                color=line.get_color(),
                linestyle="none",
            )
    others = [s.steps.min() for s in sweeps if s.backend != "complex-step"]
    if others and len(others) < len(sweeps):
        # The complex step runs on to 1e-300; show the finite differences' range and say so.
        left = min(others) / 10
        ax.set_xlim(left, 2 * max(s.steps.max() for s in sweeps))
        ax.annotate(
            "complex step: flat on to h = 1e-300 (sweep.csv)",
            xy=(0.02, 0.1),
            xycoords="axes fraction",
            fontsize=8,
        )
    if any(np.isfinite(s.auto_step) for s in sweeps):
        ax.annotate("★ automatic step", xy=(0.02, 0.03), xycoords="axes fraction", fontsize=8)
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error")
    ax.set_title(f"{sweeps[0].case}: error against step ({sweeps[0].precision})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_sweep(args: argparse.Namespace) -> int:
    """Sweep, write sweep.csv, summary.csv and sweep.png into a run folder, print the table."""
    if args.precision not in GRADIENT_PRECISIONS:
        from ..errors import unknown

        raise unknown("precision", args.precision, GRADIENT_PRECISIONS)
    reg = registry_from(args)
    if report_problems(reg):
        return 2
    c = reg[args.case]
    point = _parse_point(args.point)
    names = args.backend or ["forward", "central", "complex-step"]
    steps = None if args.steps is None else _parse_point(args.steps, "steps")
    import pandas as pd

    from ..studies.step_sweep import step_sweep

    sweeps = [
        step_sweep(c, b, point=point, steps=steps, precision=args.precision, dps=args.dps)
        for b in names
    ]
    frame = pd.concat([s.to_frame() for s in sweeps], ignore_index=True)
    summary = pd.DataFrame(
        [
            {
                "backend": s.backend,
                "precision": s.precision,
                "expected_order": s.expected_order,
                "order": s.order,
                "best_step": s.best_step,
                "min_error": s.min_error,
                "auto_step": s.auto_step,
                "auto_error": s.auto_error,
            }
            for s in sweeps
        ]
    )
    kwargs: dict[str, Any] = {} if args.out is None else {"base": args.out}
    with run_folder("sweep", **kwargs) as folder:
        folder.write_csv("sweep.csv", frame)
        folder.write_csv("summary.csv", summary)
        _plot(sweeps, folder.file("sweep.png"))
        folder.write_json(
            "run.json",
            folder.metadata(
                {
                    "case": c.name,
                    "backends": names,
                    "precision": args.precision,
                    "dps": args.dps,
                    "point": None if point is None else point.tolist(),
                }
            ),
        )
    if args.format == "table":
        # one line per backend: every step's error is in sweep.csv (most are NaN where a
        # backend's ladder does not reach, and 1209 lines is not a summary)
        # a backend with no automatic step (the complex step) shows a dash, not NaN
        shown = summary.astype(object).where(summary.notna(), "—")
        with pd.option_context("display.float_format", "{:.3e}".format):
            print(shown.to_string(index=False))
        print(f"\nevery step: {folder.final / 'sweep.csv'}; plot: {folder.final / 'sweep.png'}")
    else:
        emit_frame(frame, args.format)
    return 0
