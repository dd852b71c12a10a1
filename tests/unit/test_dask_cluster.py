"""A real Dask cluster: a `dask scheduler` and a `dask worker` as separate processes.

The worker runs in its own empty folder, with an environment in which the user's case
files are not on its path: the cases must travel with the tasks. Results must be the
same, byte for byte, as a serial run's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "distributed", reason='the `dask` extra is absent: pip install "firstorder[dask]"'
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: A case file that imports a helper module beside it (issue: files run as Python would).
MY_CASES = textwrap.dedent(
    '''
    from firstorder import case

    from my_helpers import SCALE


    @case(name="my_case", x0=[0.5, -1.0, 2.0], tags={"mine"})
    def my_case(v, ctx):
        """A scaled bowl with a cross term."""
        return SCALE * ctx.sum(v**2) + v[..., 0] * v[..., 1]


    @my_case.gradient
    def _(v, ctx):
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        return ctx.stack([2 * SCALE * x + y, 2 * SCALE * y + x, 2 * SCALE * z])
    '''
)
#: A case that loads on the client but raises in any worker (FO_TEST_ON_WORKER set).
ONLY_HERE = textwrap.dedent(
    '''
    import os

    from firstorder import case

    if os.environ.get("FO_TEST_ON_WORKER"):
        raise RuntimeError("this file refuses to load on a worker")


    @case(name="only_here", x0=[1.0, 2.0])
    def only_here(v, ctx):
        """A bowl."""
        return ctx.sum(v**2)


    @only_here.gradient
    def _(v, ctx):
        return 2 * v
    '''
)
#: `dask scheduler` and a single-threaded `dask worker`, without dashboards.
SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--no-dashboard"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker", "--nthreads", "1", "--no-dashboard"]
SMALL = ["--points", "1", "--directions", "1", "--dps", "30", "--no-plots", "--quiet"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    """This firstorder importable, no user case path."""
    env = {k: v for k, v in os.environ.items() if k not in ("FIRSTORDER_CASES", "PYTHONPATH")}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in reversed(procs):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


@pytest.fixture(scope="module")
def worker_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker's temporary folder (its TMPDIR), where it writes the bundles it gets."""
    return tmp_path_factory.mktemp("worker-tmp")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory, worker_tmp: Path) -> Iterator[str]:
    """A scheduler and one single-threaded worker on 127.0.0.1, stopped whatever happens."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("worker-home")  # empty: the worker's working folder
    logs = tmp_path_factory.mktemp("cluster-logs")
    procs: list[subprocess.Popen[bytes]] = []
    log_files = [(logs / "scheduler.log").open("wb"), (logs / "worker.log").open("wb")]
    try:
        procs.append(
            subprocess.Popen(
                [*SCHEDULER, "--host", "127.0.0.1", "--port", str(port)],
                cwd=home,
                env=_env(),
                stdout=subprocess.DEVNULL,
                stderr=log_files[0],
            )
        )
        procs.append(
            subprocess.Popen(
                [*WORKER, address, "--host", "127.0.0.1", "--local-directory", str(home)],
                cwd=home,
                env=_env(FO_TEST_ON_WORKER="1", TMPDIR=str(worker_tmp)),
                stdout=subprocess.DEVNULL,
                stderr=log_files[1],
            )
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        _stop(procs)
        for f in log_files:
            f.close()


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("client")
    (d / "mycases.py").write_text(MY_CASES)
    (d / "my_helpers.py").write_text("SCALE = 1.5\n")
    (d / "folder").mkdir()
    (d / "folder" / "only_here.py").write_text(ONLY_HERE)
    return d


def _run(cwd: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "firstorder", "run", *args, "--out", str(out), *SMALL],
        cwd=cwd,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return f"{proc.returncode}\n{proc.stderr}"


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_user_cases_travel_to_a_real_worker(scheduler, worker_tmp, user_dir, tmp_path, relative):
    cases = "mycases.py" if relative else str(user_dir / "mycases.py")
    pick = ["--cases", cases, "--case", "my_case", "--case", "booth"]
    serial = _run(user_dir, tmp_path, *pick, "--name", "serial")
    dask = _run(user_dir, tmp_path, *pick, "--name", "dask", "--dask", scheduler)
    assert serial.startswith("0\n"), serial
    assert dask.startswith("0\n"), dask
    one = (tmp_path / "serial" / "orders.csv").read_bytes()
    assert b"my_case" in one
    assert (tmp_path / "dask" / "orders.csv").read_bytes() == one
    # the worker wrote the bundle to its own temporary folder, and the run removed it
    bundles = worker_tmp / "firstorder-cases"
    assert bundles.is_dir() and not list(bundles.iterdir())


def test_cases_from_the_environment_travel_too(scheduler, user_dir, tmp_path):
    env = _env(FIRSTORDER_CASES=str(user_dir / "mycases.py"))
    serial = _run(tmp_path, tmp_path, "--case", "my_case", "--name", "serial", env=env)
    pick = ["--case", "my_case", "--name", "d", "--dask", scheduler]
    dask = _run(tmp_path, tmp_path, *pick, env=env)
    assert serial.startswith("0\n") and dask.startswith("0\n"), (serial, dask)
    assert (tmp_path / "d" / "orders.csv").read_bytes() == (
        tmp_path / "serial" / "orders.csv"
    ).read_bytes()


def test_a_worker_error_reaches_the_user_in_one_line(scheduler, user_dir, tmp_path):
    got = _run(user_dir, tmp_path, "--cases", "folder", "--case", "only_here", "--dask", scheduler)
    code, _, err = got.partition("\n")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == "2", got
    assert len(lines) == 1, got
    assert "worker `tcp://127.0.0.1:" in lines[0]
    assert "`only_here`" in lines[0]
    assert "this file refuses to load on a worker" in lines[0]
    assert "rosenbrock" not in lines[0]  # no list of built-in names
