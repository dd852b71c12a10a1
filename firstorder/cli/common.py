"""Helpers shared by the command modules: case loading and output formats."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from ..case.loading import load_cases
from ..case.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PLAIN_PROGRESS_EVERY",
    "Progress",
    "add_cases_option",
    "add_jobs_option",
    "emit_frame",
    "emit_json",
    "registry_from",
    "report_problems",
]

#: Seconds between plain progress lines when stderr is not a terminal.
PLAIN_PROGRESS_EVERY = 5.0


def add_cases_option(p: argparse.ArgumentParser) -> None:
    """Add ``--cases PATH`` (repeatable) to a command."""
    p.add_argument(
        "--cases",
        action="append",
        default=[],
        metavar="PATH",
        help="extra case file or folder (repeatable; also $FIRSTORDER_CASES)",
    )


def registry_from(args: argparse.Namespace) -> Registry:
    """Load the registry with the command's ``--cases`` paths."""
    return load_cases(*args.cases)


def report_problems(reg: Registry) -> bool:
    """Print one line per load problem on stderr; return whether there were any."""
    for p in reg.problems:
        print(f"firstorder: error: {p}", file=sys.stderr)
    return bool(reg.problems)


def emit_frame(frame: pd.DataFrame, fmt: str) -> None:
    """Print a table as ``table``, ``csv`` or ``json`` (a list of records)."""
    if fmt == "json":
        emit_json(json.loads(frame.to_json(orient="records")))
    elif fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    else:
        print(frame.to_string(index=False))


def emit_json(data: Any) -> None:
    """Print strict JSON, indented: null where a number is NaN or infinite."""
    from ..taylor.fit import strict_json

    print(json.dumps(strict_json(data), indent=2, ensure_ascii=False, allow_nan=False))


def add_jobs_option(p: argparse.ArgumentParser) -> None:
    """Add ``--jobs N`` (worker processes) to a command."""
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="processes (default 1)")


class Progress:
    """tqdm on a terminal, plain lines every few seconds otherwise, nothing if quiet.

    Called as ``progress(done, total, label)``; on stderr, so stdout stays the result.
    """

    def __init__(self, quiet: bool, prefix: str = "firstorder", unit: str = "task") -> None:
        self.quiet = quiet
        self.prefix = prefix
        self.unit = unit
        self.bar: Any = None
        self.last = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.quiet:
            return
        if self.tty:
            if self.bar is None:
                tqdm = importlib.import_module("tqdm").tqdm
                self.bar = tqdm(total=total, unit=self.unit, file=sys.stderr, leave=False)
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if done == total or now - self.last >= PLAIN_PROGRESS_EVERY:
            self.last = now
            print(
                f"{self.prefix}: {done}/{total} {self.unit}s done ({label})",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
