"""``firstorder run``: the whole grid, on any executor, with reports written safely."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..errors import FirstOrderError
from ..numbers import DEFAULT_DPS
from ..report.runfolder import DEFAULT_BASE, RunFolder
from ..studies.spec import (
    DEFAULT_BACKENDS,
    DEFAULT_DIRECTIONS,
    DEFAULT_MP_MAX_DIM,
    DEFAULT_POINTS,
    DEFAULT_PRECISIONS,
    resolve_spec,
)
from ..vocab import RUN_PRECISIONS
from .common import Progress, add_cases_option, registry_from, report_problems

if TYPE_CHECKING:
    from ..studies.grid import RunResult

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register ``run``."""
    p = sub.add_parser(
        "run",
        help="verify every case with every backend and precision; write reports",
        description=(
            "Run the grid case × backend × precision × point × direction: a Taylor test "
            "in each cell and each backend's gradient error against the mp reference. "
            "Writes a run folder under --out and points `latest` at it. Exit status 0 "
            "when no test fails, 1 when some fails, 2 for bad input."
        ),
    )
    p.add_argument(
        "--case", action="append", default=[], metavar="NAME", help="a case (repeatable)"
    )
    p.add_argument("--tag", action="append", default=[], help="only cases with this tag")
    add_cases_option(p)
    p.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="NAME",
        help=f"gradient backend (repeatable; default {', '.join(DEFAULT_BACKENDS)})",
    )
    p.add_argument(
        "--precision",
        action="append",
        default=[],
        metavar="P",
        help=(
            f"one of {', '.join(RUN_PRECISIONS)} (repeatable; default "
            f"{', '.join(DEFAULT_PRECISIONS)})"
        ),
    )
    p.add_argument("--dps", type=int, default=DEFAULT_DPS, help="digits of mp (default 50)")
    p.add_argument(
        "--points",
        type=int,
        default=DEFAULT_POINTS,
        metavar="K",
        help=f"seeded random points near x0, besides x0 (default {DEFAULT_POINTS})",
    )
    p.add_argument(
        "--directions",
        type=int,
        default=DEFAULT_DIRECTIONS,
        metavar="K",
        help=f"seeded directions per point (default {DEFAULT_DIRECTIONS})",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of points and directions")
    p.add_argument(
        "--mp-max-dim",
        type=int,
        default=DEFAULT_MP_MAX_DIM,
        metavar="N",
        help=f"largest dim for finite differences in mp (default {DEFAULT_MP_MAX_DIM})",
    )
    _add_where_options(p)
    p.set_defaults(func=run_command)


def _add_where_options(p: argparse.ArgumentParser) -> None:
    """Where the run executes, where it writes, and what it compares with."""
    ex = p.add_mutually_exclusive_group()
    ex.add_argument("--jobs", type=int, default=1, metavar="N", help="processes (default 1)")
    ex.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on a Dask distributed scheduler at ADDRESS, or `local` for a LocalCluster",
    )
    p.add_argument(
        "--out", default=str(DEFAULT_BASE), metavar="DIR", help="report folder (default reports)"
    )
    p.add_argument("--name", help="run folder name (default run-YYYYMMDD-HHMMSS)")
    p.add_argument("--no-plots", action="store_true", help="skip overview.png and plots/*.png")
    p.add_argument(
        "--compact",
        action="store_true",
        help="write only the files kept in git (summary, index.html, orders, gradients, "
        "spec, overview); skip taylor.csv, steps.csv and the per-case and per-test plots",
    )
    p.add_argument(
        "--baseline",
        metavar="RUN",
        help="an earlier run of the same grid (its folder or run.json), e.g. a serial one: "
        "run.json records this run's speed-up over it, measured, as timing.vs_baseline",
    )
    p.add_argument("--quiet", action="store_true", help="no progress and no summary")


def _arguments(args: argparse.Namespace, spec: Any) -> dict[str, Any]:
    return {
        "case": args.case,
        "tag": args.tag,
        "cases": args.cases,
        "backend": list(spec.backends),
        "precision": list(spec.precisions),
        "dps": spec.dps,
        "points": spec.points,
        "directions": spec.directions,
        "seed": spec.seed,
        "mp_max_dim": spec.mp_max_dim,
        "jobs": args.jobs,
        "dask": args.dask,
        "out": args.out,
        "name": args.name,
        "no_plots": args.no_plots,
        "compact": args.compact,
        "baseline": args.baseline,
    }


def _baseline(raw: str | None, spec: Any) -> dict[str, Any] | None:
    """The timing of an earlier run of the same grid, checked before any work."""
    if raw is None:
        return None
    import json
    from pathlib import Path

    path = Path(raw)
    path = path / "run.json" if path.is_dir() else path
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        same, wall = meta["spec"] == spec.to_dict(), float(meta["grid_wall_time_s"])
        executor = str(meta["timing"]["executor"])
    except (OSError, ValueError, KeyError, TypeError):
        raise FirstOrderError(
            f"`--baseline {raw}` is not a run folder or its run.json; give the folder "
            "of an earlier `firstorder run`."
        ) from None
    if not same:
        raise FirstOrderError(
            f"`--baseline {raw}` ran another grid (cases, backends, precisions, points, "
            "directions, seed or dps differ); compare runs of the same grid."
        )
    return {"run": str(path), "executor": executor, "wall_s": wall}


def _compare(result: RunResult, base: dict[str, Any] | None) -> None:
    """Add the measured speed-up over the baseline run to the run's timing."""
    if base is None:
        return
    wall = float(result.timing["wall_s"])
    result.timing["baseline"] = base
    result.timing["vs_baseline"] = round(base["wall_s"] / wall, 3) if wall > 0 else None


def run_command(args: argparse.Namespace) -> int:
    """Run the grid; write the run folder; exit 0, 1 (some test failed) or 2."""
    if args.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            from ..studies.executors import DASK_HINT

            raise FirstOrderError(
                f"`--dask` needs Dask distributed, which is not installed; {DASK_HINT}."
            ) from None
    # A case file that does not load is bad input: stop before any work or any write.
    loaded = registry_from(args)
    if report_problems(loaded):
        return 2
    spec, registry = resolve_spec(
        args.case or None,
        tags=args.tag or None,
        case_paths=args.cases,
        registry=loaded,
        backends=args.backend or None,
        precisions=args.precision or None,
        points=args.points,
        directions=args.directions,
        seed=args.seed,
        dps=args.dps,
        mp_max_dim=args.mp_max_dim,
    )
    base = _baseline(args.baseline, spec)
    folder = RunFolder("run", base=args.out, name=args.name)
    folder.prepare()  # an unwritable --out fails here, before any work
    from ..studies.executors import open_pool
    from ..studies.grid import run_spec

    progress = Progress(args.quiet)
    with folder, open_pool(args.dask, args.jobs) as pool:
        try:
            result = run_spec(
                spec, registry, pool=pool, progress=progress, explicit=bool(args.case)
            )
        finally:
            progress.close()
        _compare(result, base)
        from ..report.run_report import write_report

        # the pool draws the plots too
        write_report(
            result,
            folder,
            _arguments(args, spec),
            plots=not args.no_plots,
            compact=args.compact,
            executor=pool.executor,
        )
    _print_outcome(result, folder, args.quiet)
    return 0 if result.ok else 1


def _print_outcome(result: RunResult, folder: RunFolder, quiet: bool) -> None:
    fails = result.failures
    for p in result.problems.to_dict("records"):
        print(f"firstorder: error: {p['source']}: {p['problem']}", file=sys.stderr)
    for r in fails.to_dict("records"):
        print(
            f"FAIL {r['case']} · {r['backend']} · {r['precision']} · point {r['point']} · "
            f"direction {r['direction']}: {r['reason']}",
            file=sys.stderr,
        )
    if quiet:
        return
    counts = ", ".join(f"{v} {k}" for k, v in result.verdict_counts().items())
    print(f"{sum(result.verdict_counts().values())} Taylor tests: {counts or 'none'}.")
    print(f"report: {folder.final}  (summary.md, index.html)")
