"""The ``firstorder`` command line: it parses arguments and calls the library.

Each command lives in its own module exposing ``add_parser(subparsers)``, which
registers the command and sets ``func`` to a function ``args -> exit status``. Bad
input (a :class:`~firstorder.FirstOrderError`) becomes one sentence on stderr and
exit status 2, never a traceback.

A command module imports the layers that compute (pandas, mpmath, SciPy, matplotlib,
Dask) inside its command functions, after checking its input: ``--help``, ``--version``
and bad input answer in an interpreter start, not a second of imports.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

from .._version import __version__
from ..errors import FirstOrderError
from . import backends as _backends
from . import bench as _bench
from . import cases as _cases
from . import mutate as _mutate
from . import run as _run
from . import taylor as _taylor_cmd

__all__ = ["build_parser", "main"]

#: Command modules, in the order ``firstorder --help`` lists them.
COMMANDS = [_cases, _backends, _taylor_cmd, _bench, _mutate, _run]


#: A value such as ``-0.5,1,2`` or ``-1e-3``: a point, a direction or a step list whose
#: first number is negative. argparse takes only ``-1`` and ``-.5`` for numbers and
#: would read the rest as an unknown option.
_NEGATIVE_VALUE = re.compile(r"^-\.?\d[\d.,;eE+-]*$")


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}.\n".replace("..\n", ".\n"))


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command registered."""
    parser = _Parser(
        prog="firstorder",
        description="Check that ΔC ≈ ∇C·Δv, and that its error shrinks like |Δv|².",
    )
    parser.add_argument("--version", action="version", version=f"firstorder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds like Ctrl-C.

    ``timeout``, CI cancellation and service managers stop a program with SIGTERM;
    left to its default, the program dies at once and its temporary run folder stays.
    """


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (main() called from a thread): leave it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _sigterm_as_interrupt():
            return int(args.func(args))
    except FirstOrderError as exc:
        print(f"firstorder: error: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print("firstorder: terminated (SIGTERM).", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("firstorder: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        where = f" on `{exc.filename}`" if exc.filename else ""
        print(
            f"firstorder: error: file system error{where}: {exc.strerror or exc}.", file=sys.stderr
        )
        return 2
