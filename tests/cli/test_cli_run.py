"""``firstorder run`` from the command line: exit codes, output folder, interruptions."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from fo_support import interruptible, run_cli, sigint_ignored

from firstorder.report.runfolder import RunFolder

SMALL = ["--precision", "float64", "--points", "0", "--directions", "1", "--no-plots"]

WRONG_CASE = textwrap.dedent(
    '''
    from firstorder import case


    @case(name="wrong_bowl", x0=[0.5, -1.0, 2.0], tags={"test"})
    def wrong_bowl(v, ctx):
        """A bowl whose gradient has component 1 off by a factor 1.5."""
        return ctx.sum(v**2) + v[..., 0] * v[..., 1]


    @wrong_bowl.gradient
    def _(v, ctx):
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        return ctx.stack([2 * x + y, 1.5 * (2 * y + x), 2 * z])
    '''
)

SLOW_CASE = textwrap.dedent(
    '''
    import time

    from firstorder import case


    @case(name="slow_bowl", x0=[0.5, -1.0], tags={"test"})
    def slow_bowl(v, ctx):
        """A bowl that takes its time: each call sleeps."""
        time.sleep(0.02)
        return ctx.sum(v**2)


    @slow_bowl.gradient
    def _(v, ctx):
        return 2 * v
    '''
)


def test_a_passing_run_exits_0_and_writes_its_folder(tmp_path):
    out = tmp_path / "reports"
    r = run_cli("run", "--case", "booth", *SMALL, "--out", str(out), "--name", "ok", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Taylor tests" in r.stdout and "FAIL" not in r.stderr
    for f in ("summary.md", "orders.csv", "taylor.csv", "gradients.csv", "run.json", "index.html"):
        assert (out / "ok" / f).is_file()
    assert os.readlink(out / "latest") == "ok"
    assert "1/1 tasks done" in r.stderr  # plain progress lines when not on a terminal


def test_default_out_is_reports_in_the_working_directory(tmp_path):
    r = run_cli("run", "--case", "booth", *SMALL, "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and "tasks done" not in r.stderr
    latest = tmp_path / "reports" / "latest"
    assert latest.is_symlink() and (latest / "summary.md").is_file()


def test_a_failing_run_exits_1_and_names_the_failure(tmp_path):
    path = tmp_path / "wrong.py"
    path.write_text(WRONG_CASE)
    out = tmp_path / "reports"
    r = run_cli(
        "run", "--cases", str(path), "--case", "wrong_bowl", *SMALL, "--out", str(out),
        cwd=tmp_path, isolated=True,  # exit status 1 end to end, from a child process
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "FAIL wrong_bowl · analytic · float64" in r.stderr
    summary = (out / "latest" / "summary.md").read_text()
    assert "`wrong_bowl` · analytic · float64" in summary
    assert "wrong components: 1" in summary
    orders = pd.read_csv(out / "latest" / "orders.csv")
    verdicts = orders[orders["remainder"] == "r1"].set_index("backend")["verdict"]
    assert verdicts["analytic"] == "fail" and verdicts["central"] == "pass"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--case", "nope"], "unknown case `nope`"),
        (["--backend", "centre"], "unknown backend `centre`"),
        (["--precision", "float16"], "unknown precision `float16`"),
        (["--points", "-1"], "`points` must be an integer"),
        (["--jobs", "0"], "`--jobs` must be at least 1"),
        (["--name", "latest"], "run name `latest` must be a plain folder name"),
        (["--baseline", "nowhere"], "`--baseline nowhere` is not a run folder"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(tmp_path, args, match):
    r = run_cli("run", *SMALL, *args, "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert r.returncode == 2
    assert match in r.stderr and "Traceback" not in r.stderr
    assert not any((tmp_path / "r").glob("run-*"))


def test_a_baseline_run_gives_the_measured_speed_up(tmp_path):
    import json

    out, pick = tmp_path / "r", ["--case", "booth", "--case", "seed", *SMALL, "--quiet"]
    first = run_cli("run", *pick, "--out", str(out), "--name", "serial", cwd=tmp_path)
    again = ["--out", str(out), "--name", "pool", "--jobs", "2", "--baseline", str(out / "serial")]
    second = run_cli("run", *pick, *again, cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    serial = json.loads((out / "serial" / "run.json").read_text())
    timing = json.loads((out / "pool" / "run.json").read_text())["timing"]
    assert timing["baseline"]["executor"] == "serial"
    assert timing["baseline"]["wall_s"] == serial["grid_wall_time_s"]
    assert timing["vs_baseline"] == round(serial["grid_wall_time_s"] / timing["wall_s"], 3)
    other = run_cli(
        "run", "--case", "booth", *SMALL, "--baseline", str(out / "serial"), cwd=tmp_path
    )
    assert other.returncode == 2 and "ran another grid" in other.stderr
    assert "Traceback" not in other.stderr and len(other.stderr.strip().splitlines()) == 1


def test_an_unwritable_output_folder_fails_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    # exit status 2 end to end, from a child process, with no traceback
    where = str(blocker / "reports")
    r = run_cli("run", "--case", "booth", *SMALL, "--out", where, cwd=tmp_path, isolated=True)
    assert r.returncode == 2
    assert "is not writable" in r.stderr and "--out DIR" in r.stderr
    assert "tasks done" not in r.stderr and "Traceback" not in r.stderr


def test_dask_without_distributed_says_how_to_install_it(tmp_path):
    fake = tmp_path / "fake"
    (fake / "distributed").mkdir(parents=True)
    (fake / "distributed" / "__init__.py").write_text("raise ImportError('not installed')\n")
    path = os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    r = run_cli(
        "run", "--case", "booth", *SMALL, "--dask", "local", "--out", str(tmp_path / "r"),
        cwd=tmp_path, env={"PYTHONPATH": path},
    )  # fmt: skip
    assert r.returncode == 2
    assert 'pip install "firstorder[dask]"' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _start_slow_run(tmp_path: Path, out: Path, name: str) -> subprocess.Popen:
    path = tmp_path / "slow.py"
    path.write_text(SLOW_CASE)
    args = ["--cases", str(path), "--case", "slow_bowl", "--directions", "20", "--points", "3"]
    # started as `nohup` or `&` would start it (SIGINT ignored): the child restores it
    with sigint_ignored():
        return subprocess.Popen(
            interruptible("-m", "firstorder", "run", *args, "--out", str(out), "--name", name),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _wait_for_temporary_folder(out: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not any(out.glob(".tmp-second-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    time.sleep(1.0)  # well inside the grid now
    assert proc.poll() is None, "the run finished before it could be interrupted"


def _earlier_report(tmp_path: Path, out: Path) -> str:
    args = ["--case", "booth", *SMALL, "--out", str(out), "--name", "first"]
    r = run_cli("run", *args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return (out / "first" / "summary.md").read_text()


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"]
)
def test_an_interrupted_run_leaves_earlier_reports_intact(tmp_path, sig):
    out = tmp_path / "reports"
    before = _earlier_report(tmp_path, out)
    proc = _start_slow_run(tmp_path, out, "second")
    _wait_for_temporary_folder(out, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err
        assert not any(out.glob(".tmp-*")), "Ctrl-C removes its temporary folder"
    elif sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM and "terminated" in err
        assert not any(out.glob(".tmp-*")), "SIGTERM removes its temporary folder"
    else:
        assert any(out.glob(".tmp-second-*")), "SIGKILL leaves its temporary folder"
        assert proc.returncode == -signal.SIGKILL
    assert not (out / "second").exists()
    assert os.readlink(out / "latest") == "first"
    assert (out / "first" / "summary.md").read_text() == before
    # The next run clears what a killed run left behind.
    with RunFolder("run", base=out, name="third"):
        pass
    assert not any(out.glob(".tmp-*"))
    assert sorted(p.name for p in out.iterdir()) == ["first", "latest", "third"]
