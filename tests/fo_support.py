"""Helpers shared by the tests (on sys.path through ``pythonpath = tests``)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import firstorder as fo
from firstorder.gradients.reference import reference_directional, reference_gradient

#: Digits of the mp reference derivatives the tests compare against.
REF_DPS = 40
#: Full component-wise reference up to this dimension; directional checks above it.
FULL_REFERENCE_MAX_DIM = 24


def probe_directions(n: int, seed: int = 0) -> np.ndarray:
    """Directions checking a gradient of any size: all e_i for small n, else a sample.

    For n above :data:`FULL_REFERENCE_MAX_DIM`: three random unit directions (any
    wrong component changes ∇C·d almost surely) and eight random coordinate axes.
    """
    if n <= FULL_REFERENCE_MAX_DIM:
        return np.eye(n)
    rng = np.random.default_rng(seed)
    rand = rng.standard_normal((3, n))
    rand /= np.linalg.norm(rand, axis=1, keepdims=True)
    axes = np.eye(n)[rng.choice(n, size=8, replace=False)]
    return np.vstack([rand, axes])


def reference_projections(case: fo.Case, v: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """∇C(v)·d for every row d of ``dirs`` by the 40-digit mp derivative (object array)."""
    if dirs.shape[0] == dirs.shape[1] and np.array_equal(dirs, np.eye(len(v))):
        return reference_gradient(case, v, dps=REF_DPS)
    return reference_directional(case, v, dirs, dps=REF_DPS)


def relative_gap(got: Any, ref: Any, value: Any) -> float:
    """max |got − ref| / max(‖ref‖∞, 1e-30·max(1, |C|)), computed in mp.

    Normwise: a component that is zero (or nearly) is judged against the size of the
    whole gradient, which is how float64 evaluation errors scale.
    """
    mpc = fo.context("mp", REF_DPS)
    got = mpc.asarray(got)
    ref = mpc.asarray(ref)
    gap = max((abs(a - b) for a, b in zip(got, ref, strict=True)), default=0)
    scale = max([abs(b) for b in ref] + [mpc.const("1e-30") * max(1, abs(mpc.const(value)))])
    return float(gap / scale)


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, isolated: bool = False
) -> subprocess.CompletedProcess:
    """Run the command line ``firstorder ARGS`` in ``cwd``; its exit status and output.

    In this process by default: ``main(ARGS)`` with stdout and stderr captured, exit
    statuses as ``python -m firstorder`` gives them (the module only does
    ``sys.exit(main())``). A traceback is never caught: an exception escaping ``main``
    fails the test, as it would print one from a child process. ``isolated=True``, or
    an ``env`` to add, runs ``python -m firstorder`` in a child process (the entry
    point itself, signals, other environment variables); each child pays an
    interpreter start and the imports, about a CPU-second.
    """
    if isolated or env is not None:
        return _run_cli_child(args, cwd, env)
    from firstorder.cli import main

    out, err = io.StringIO(), io.StringIO()
    path, modules = list(sys.path), set(sys.modules)
    try:
        with (
            contextlib.chdir(cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                status = main(list(args))
            except SystemExit as exc:  # argparse: --help, --version and usage errors
                status = _exit_status(exc.code, err)
    finally:
        _forget_user_files(path, modules, cwd)
    return subprocess.CompletedProcess(
        ["firstorder", *args], status, out.getvalue(), err.getvalue()
    )


def _exit_status(code: object, err: io.StringIO) -> int:
    """The status ``sys.exit(code)`` gives a process (a message is printed, status 1)."""
    if code is None or isinstance(code, int):
        return code or 0
    err.write(f"{code}\n")
    return 1


def _forget_user_files(path: list[str], modules: set[str], cwd: Path) -> None:
    """Undo what a command's ``--cases`` files did to this process, as its end would:
    the folders they put on ``sys.path`` and the modules imported from them."""
    added = [Path(p) for p in sys.path if p not in path] + [Path(cwd)]
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        where = getattr(sys.modules[name], "__file__", None)
        if where and any(Path(where).is_relative_to(folder) for folder in added):
            del sys.modules[name]


def _run_cli_child(
    args: tuple[str, ...], cwd: Path, env: dict[str, str] | None
) -> subprocess.CompletedProcess:
    """``python -m firstorder ARGS`` in ``cwd`` (outside the repo), with the
    firstorder under test first on the path (not whichever one is installed)."""
    home = str(Path(fo.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (home, os.environ.get("PYTHONPATH", "")) if p)
    full_env = {**os.environ, "PYTHONPATH": path, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "firstorder", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def interruptible(*args: str) -> list[str]:
    """``python *args`` as a command whose Ctrl-C raises, however it was started.

    A shell that runs a job in the background (`&`, `nohup`) starts it with SIGINT
    ignored, and children inherit that; Python then installs no KeyboardInterrupt
    handler, so the test's SIGINT would do nothing. The command restores SIGINT and
    then execs Python: unlike a ``preexec_fn``, this needs no fork of the test process
    (where JAX, once imported, warns that a fork may deadlock).
    """
    code = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
    )
    return [sys.executable, "-c", code, *args]


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process for a while, as `nohup` or `&` would."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
