"""``firstorder bench``: time gradient backends (and peers) side by side."""

from __future__ import annotations

import argparse
import functools
import sys
import time
from typing import TYPE_CHECKING, Any

from ..errors import FirstOrderError, unknown
from ..report.runfolder import RunFolder
from .common import Progress, add_cases_option, registry_from, report_problems

if TYPE_CHECKING:
    import pandas as pd

    from ..case.model import Case

__all__ = ["add_parser"]

#: Cases benchmarked by default: extended Rosenbrock (scalable) and two neural costs.
DEFAULT_CASES = ("ext_rosenbrock", "nielsen_quadratic", "tanh_network")
#: firstorder's backends timed by default.
DEFAULT_BACKENDS = (
    "central",
    "central@rule",
    "complex-step",
    "central4",
    "forward",
    "richardson",
    "autodiff",
)
#: Peers added by ``--peers`` when installed.
PEERS = ("scipy-3point", "scipy-cs", "scipy-2point", "numdifftools")
#: numdifftools takes minutes per gradient beyond this n; it is left out there.
NUMDIFFTOOLS_MAX_N = 1000


def add_parser(sub: Any) -> None:
    """Register ``bench``."""
    p = sub.add_parser("bench", help="time gradient backends (and SciPy, numdifftools)")
    add_cases_option(p)
    p.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="NAME",
        help="repeatable; NAME:N times a scalable case at n = N only (instead of --sizes), "
        "e.g. watson:9",
    )
    p.add_argument(
        "--sizes",
        default="10,100,1000,10000",
        help="dimensions for scalable cases, comma-separated (default 10,100,1000,10000)",
    )
    p.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="B",
        help="repeatable; a stepped backend may name its step rule, e.g. central@rule",
    )
    p.add_argument("--peers", action="store_true", help="add SciPy and numdifftools")
    p.add_argument("--repeats", type=int, default=5, help="timed gradients per measurement")
    p.add_argument("--out", default="reports", metavar="DIR", help="base folder of run folders")
    p.add_argument("--name", default=None, help="run folder name (default bench-<time>)")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="processes, each timing one (case, size) at a time (default 1; with more, "
        "the timings share the machine's cores)",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run_bench)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise FirstOrderError(
            f"`--sizes {text}` must be comma-separated positive integers, e.g. 10,100,1000."
        ) from None
    if not sizes or min(sizes) < 1:
        raise FirstOrderError(
            f"`--sizes {text}` must be comma-separated positive integers, e.g. 10,100,1000."
        )
    return sizes


def _case_spec(text: str, sizes: list[int]) -> tuple[str, list[int]]:
    """``NAME`` (at ``sizes`` if scalable) or ``NAME:N`` (at n = N): name and sizes."""
    name, colon, dim = text.partition(":")
    if not colon:
        return name, sizes
    try:
        n = int(dim)
    except ValueError:
        n = 0
    if n < 1:
        raise FirstOrderError(f"`--case {text}` must be NAME or NAME:N with N a positive integer.")
    return name, [n]


def _skip(backend: str, n: int) -> bool:
    return backend == "numdifftools" and n > NUMDIFFTOOLS_MAX_N


def _bench_unit(
    unit: tuple[str, int], case_paths: tuple[str, ...], backends: list[str], repeats: int
) -> pd.DataFrame:
    """One case at one size by every backend (in whatever process the pool chose)."""
    from ..case.loading import resolve_case
    from ..studies.bench import bench_gradients

    name, n = unit
    c = resolve_case(name, case_paths)
    return bench_gradients([c], sizes=[n], backends=backends, repeats=repeats, skip=_skip)


def _check_sizes(cases: list[Case], specs: list[tuple[str, list[int]]], sizes: list[int]) -> None:
    """Refuse a size a case cannot take (a size named with it, ``NAME:N``, too)."""
    for c, (name, ns) in zip(cases, specs, strict=True):
        if c.scalable or ns is not sizes:
            bad = [n for n in ns if not c.accepts(n)]
            if bad:
                other = "other `--sizes`" if ns is sizes else f"another N in `--case {name}:N`"
                raise FirstOrderError(f"case `{c.name}` does not take n = {bad[0]}; pick {other}.")


def _backend_names(args: argparse.Namespace) -> list[str]:
    """The backends to time: those asked for (or the defaults whose extras are
    installed, autodiff included), then the installed peers with ``--peers``."""
    from ..gradients.backends import BACKENDS

    names = list(args.backend or [b for b in DEFAULT_BACKENDS if b.split("@")[0] in BACKENDS])
    for b in names:
        if b.split("@")[0] not in BACKENDS:
            raise unknown("backend", b, BACKENDS)
    if args.peers:
        installed = [p for p in PEERS if p in BACKENDS]
        if not installed:
            print(
                'firstorder: note: no peer is installed; `pip install "firstorder[peers]"` '
                "adds SciPy and numdifftools.",
                file=sys.stderr,
            )
        names += [p for p in installed if p not in names]
    return names


def run_bench(args: argparse.Namespace) -> int:
    """Bench, write bench.csv, bench.md and two plots into a run folder."""
    reg = registry_from(args)
    if report_problems(reg):
        return 2
    sizes = _sizes(args.sizes)
    specs = [_case_spec(text, sizes) for text in (args.case or DEFAULT_CASES)]
    cases = [reg[name] for name, _ in specs]
    _check_sizes(cases, specs, sizes)
    names = _backend_names(args)
    if args.repeats < 1:
        raise FirstOrderError(f"`--repeats {args.repeats}` must be at least 1.")
    import pandas as pd

    from ..report.bench_report import (
        bench_markdown,
        plot_error_vs_time,
        plot_time_vs_n,
        ratio_summary,
        speed_ratios,
    )
    from ..studies.executors import open_pool

    started = time.time()
    units = [
        (c.name, n)
        for c, (_, ns) in zip(cases, specs, strict=True)
        for n in (ns if c.scalable else [c.dim])
    ]
    measure = functools.partial(
        _bench_unit, case_paths=tuple(args.cases), backends=names, repeats=args.repeats
    )
    progress = Progress(args.quiet, prefix="bench", unit="measurement")
    # the folder is created (or refused) before any work, removed on any error
    with RunFolder("bench", base=args.out, name=args.name) as folder:
        frames = []
        try:
            with open_pool(jobs=args.jobs) as pool:
                ex = pool.executor
                stream = map(measure, units) if ex is None else ex.map(measure, units)
                for done, (unit, frame) in enumerate(zip(units, stream, strict=True), start=1):
                    frames.append(frame)
                    progress(done, len(units), f"{unit[0]} n={unit[1]}")
        finally:
            progress.close()
        frame = pd.concat(frames, ignore_index=True)
        wall = time.time() - started
        folder.write_csv("bench.csv", frame)
        folder.write_text("bench.md", bench_markdown(frame, wall))
        plot_time_vs_n(frame, folder.file("time_vs_n.png"))
        plot_error_vs_time(frame, folder.file("error_vs_time.png"))
        folder.write_json(
            "run.json",
            folder.metadata(
                {
                    "cases": [c.name for c in cases],
                    "sizes": sizes,
                    "backends": names,
                    "repeats": args.repeats,
                    "jobs": args.jobs,
                },
                {"wall_time_s": wall, "numdifftools_max_n": NUMDIFFTOOLS_MAX_N},
            ),
        )
    final = folder.final
    ratios = speed_ratios(frame)
    if not args.quiet and len(ratios):
        print(ratios.to_string(index=False))
        print()
        print(ratio_summary(ratios).to_string(index=False))
    print(f"written to {final}")
    return 0
