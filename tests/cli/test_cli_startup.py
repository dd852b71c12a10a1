"""What the command line imports before it does any work.

``--help``, ``--version`` and bad input must answer without loading the layers that
compute (pandas, mpmath, SciPy, matplotlib, Dask): each was seconds of CPU on a busy
machine for a one-line answer. The commands import them where they use them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import firstorder as fo

#: Modules a command loads only once it computes.
HEAVY = ("pandas", "mpmath", "scipy", "matplotlib", "dask", "distributed")

#: Every command, in ``firstorder --help``'s order.
COMMANDS = ("list", "show", "backends", "sweep", "taylor", "check", "bench", "mutate", "run")

#: ``python -m firstorder ARGS`` in a child that reports, on its last line of stdout,
#: its exit status and the heavy modules it imported.
CHILD = """
import json, runpy, sys
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["firstorder", *args]
try:
    runpy.run_module("firstorder", run_name="__main__", alter_sys=True)
    status = 0
except SystemExit as exc:
    status = exc.code if isinstance(exc.code, int) else 1
print("\\n" + json.dumps({"status": status, "heavy": [m for m in heavy if m in sys.modules]}))
"""


def _startup(args: list[str], cwd: Path) -> dict[str, object]:
    home = str(Path(fo.__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args), json.dumps(HEAVY)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": home},
    )
    assert "Traceback" not in out.stderr, out.stderr
    report: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return report


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--help"], 0),
        (["--version"], 0),
        *[([command, "--help"], 0) for command in COMMANDS],
        (["no-such-command"], 2),
        (["list", "--format", "yaml"], 2),
        (["taylor", "rosenbrock", "--precision", "float16"], 2),
        (["taylor", "no_such_case"], 2),
        (["show", "no_such_case"], 2),
        (["run", "--case", "no_such_case"], 2),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_help_and_bad_input_import_nothing_heavy(
    args: list[str], status: int, tmp_path: Path
) -> None:
    report = _startup(args, tmp_path)
    assert report == {"status": status, "heavy": []}
