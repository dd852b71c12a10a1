"""Helpers shared by the command modules: case loading and output formats."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

from ..case.loading import load_cases
from ..case.registry import Registry

__all__ = ["add_cases_option", "emit_frame", "emit_json", "registry_from", "report_problems"]


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
    """Print JSON, indented."""
    print(json.dumps(data, indent=2, ensure_ascii=False))
