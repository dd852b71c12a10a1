"""``firstorder mutate``: inject faults into gradients and measure the verdicts."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..numbers import DEFAULT_DPS
from ..report.runfolder import RunFolder
from ..studies.mutation import MP_REPRESENTATIVE, mutate
from .common import Progress, add_cases_option, add_jobs_option, registry_from, report_problems

__all__ = ["DRAWS", "FULL_DRAWS", "add_parser"]

#: False-alarm draws per case in float precisions, by default and with ``--full``.
DRAWS = 100
FULL_DRAWS = 200
#: The same in mp (both scopes).
MP_DRAWS = 10


def add_parser(sub: Any) -> None:
    """Register ``mutate``."""
    p = sub.add_parser(
        "mutate",
        help="inject faults into analytic gradients; measure detection, location, false alarms",
        description=(
            "Inject faults into analytic gradients and measure detection, location and "
            "false alarms. By default every case is mutated in float64 (with "
            f"{DRAWS} false-alarm draws each) and {len(MP_REPRESENTATIVE)} representative "
            "cases in mp: about twice a default `run`. `--full` mutates every case in "
            f"mp too, with {FULL_DRAWS} float64 draws (the kept report's scope): about "
            "18 minutes of CPU, 9 with `--jobs 2`. `--case` or `--tag` mutate "
            "the cases picked in every precision asked for."
        ),
    )
    add_cases_option(p)
    p.add_argument("--case", action="append", default=[], metavar="NAME", help="repeatable")
    p.add_argument("--tag", action="append", default=[], help="repeatable")
    p.add_argument(
        "--precision",
        action="append",
        choices=["float64", "float32", "mp"],
        default=[],
        help="repeatable (default float64 and mp)",
    )
    p.add_argument("--dps", type=int, default=DEFAULT_DPS)
    p.add_argument(
        "--full",
        action="store_true",
        help=f"every case in mp too, {FULL_DRAWS} float draws "
        "(the kept report; ~9 min with --jobs 2)",
    )
    p.add_argument(
        "--draws",
        type=int,
        default=None,
        help=f"false-alarm draws per case in float (default {DRAWS}; {FULL_DRAWS} with --full)",
    )
    p.add_argument(
        "--mp-draws", type=int, default=MP_DRAWS, help="false-alarm draws per case in mp"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="reports", metavar="DIR", help="base folder of run folders")
    p.add_argument("--name", default=None, help="run folder name (default mutate-<time>)")
    add_jobs_option(p)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run_mutate)


def run_mutate(args: argparse.Namespace) -> int:
    """Run the mutants; exit 1 if a goal is missed (a false alarm)."""
    reg = registry_from(args)
    if report_problems(reg):
        return 2
    from ..studies.executors import open_pool

    started = time.time()
    progress = Progress(args.quiet, prefix="mutate")
    # the folder is created (or refused) before any work, removed on any error
    with RunFolder("mutate", base=args.out, name=args.name) as folder:
        try:
            with open_pool(jobs=args.jobs) as pool:
                result = mutate(
                    args.case or None,
                    tags=args.tag,
                    precisions=args.precision or ["float64", "mp"],
                    dps=args.dps,
                    draws=_draws(args),
                    mp_cases=_mp_cases(args),
                    mp_draws=args.mp_draws,
                    seed=args.seed,
                    registry=reg,
                    case_paths=args.cases,
                    executor=pool.executor,
                    progress=progress,
                )
        finally:
            progress.close()
        from ..report.mutation_report import write_mutation_report

        write_mutation_report(folder, result)
        folder.write_json(
            "run.json",
            folder.metadata(vars(args) | {"func": None}, {"wall_time_s": time.time() - started}),
        )
    final = folder.final
    thr = result.thresholds()
    print(thr.to_string(index=False))
    alarms = int(result.false_alarms["alarms"].sum())
    print(f"false alarms: {alarms}; report: {final}")
    return 1 if alarms else 0


def _draws(args: argparse.Namespace) -> int:
    if args.draws is not None:
        return int(args.draws)
    return FULL_DRAWS if args.full else DRAWS


def _mp_cases(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The cases mutated in mp: the representative ones unless ``--full``, or cases
    were picked by name or tag (then every one picked)."""
    if args.full or args.case or args.tag:
        return None
    return MP_REPRESENTATIVE
