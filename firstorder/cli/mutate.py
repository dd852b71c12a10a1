"""``firstorder mutate``: inject faults into gradients and measure the verdicts."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..numbers import DEFAULT_DPS
from ..report.mutation_report import write_mutation_report
from ..report.runfolder import RunFolder
from ..studies.mutation import mutate
from .common import (
    Progress,
    add_cases_option,
    add_jobs_option,
    process_pool,
    registry_from,
    report_problems,
)

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Register ``mutate``."""
    p = sub.add_parser(
        "mutate",
        help="inject faults into analytic gradients; measure detection, location, false alarms",
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
    p.add_argument("--draws", type=int, default=200, help="false-alarm draws per case (float)")
    p.add_argument("--mp-draws", type=int, default=10, help="false-alarm draws per case in mp")
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
    started = time.time()
    progress = Progress(args.quiet, prefix="mutate")
    # the folder is created (or refused) before any work, removed on any error
    with RunFolder("mutate", base=args.out, name=args.name) as folder:
        try:
            with process_pool(args.jobs) as pool:
                result = mutate(
                    args.case or None,
                    tags=args.tag,
                    precisions=args.precision or ["float64", "mp"],
                    dps=args.dps,
                    draws=args.draws,
                    mp_draws=args.mp_draws,
                    seed=args.seed,
                    registry=reg,
                    case_paths=args.cases,
                    executor=pool,
                    progress=progress,
                )
        finally:
            progress.close()
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
