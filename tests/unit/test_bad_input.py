"""The bad-input matrix: every row through the API and through the CLI.

Each row expects one sentence naming the culprit (a :class:`FirstOrderError` from the
API; ``firstorder: error: ...`` on stderr and exit status 2 from the CLI, never a
traceback) and nothing written or lost that should not be.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from fo_support import default_sigint, run_cli

import firstorder as fo
from firstorder.cli import main

USER = """
import numpy as np

def cost(v):
    return float(np.sum(v**2))

def grad(v):
    return 2 * v

def cost_nan(v):
    return float("nan")

def cost_inf(v):
    # inf in a band of small steps inside the sweep (at the largest steps it would be
    # dropped as pre-asymptotic, with a note)
    return float("inf") if 1e-9 < abs(v[0] - 1) < 1e-6 else float(np.sum(v**2))

def cost_vec(v):
    return v**2

def cost_raise(v):
    if abs(v[0] - 1) > 1e-3:
        raise RuntimeError("boom")
    return float(np.sum(v**2))

def grad_short(v):
    return 2 * v[:-1]

def grad_str(v):
    return np.array(["a"] * len(v))
"""

CASE_FILES = {
    "syntax.py": "from firstorder import case\n@case(x0=[1.0]\ndef f(v, ctx):\n    return v\n",
    "importerr.py": "import not_a_module_xyz\n",
    "dup.py": textwrap.dedent(
        """
        from firstorder import case

        @case(name="rosenbrock", x0=[1.0])
        def f(v, ctx):
            return v[..., 0] ** 2

        @f.gradient
        def _(v, ctx):
            return 2 * v
        """
    ),
    "hides.py": textwrap.dedent(
        """
        import numpy as np
        from firstorder import case

        @case(name="hides_imag", x0=[1.0, 2.0])
        def f(v, ctx):
            return np.real(v[..., 0]) ** 2 + v[..., 1]

        @f.gradient
        def _(v, ctx):
            return ctx.stack([2 * v[..., 0], 1 + 0 * v[..., 0]])
        """
    ),
    "nomp.py": textwrap.dedent(
        """
        import numpy as np
        from firstorder import case

        @case(name="numpy_exp", x0=[1.0, 2.0])
        def f(v, ctx):
            return np.exp(v[..., 0]) + v[..., 1]

        @f.gradient
        def _(v, ctx):
            return ctx.stack([ctx.exp(v[..., 0]), 1 + 0 * v[..., 0]])
        """
    ),
}


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "user.py").write_text(USER)
    for name, text in CASE_FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _user(files: Path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"user_{id(files)}", files / "user.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


def _cli_error(res: subprocess.CompletedProcess, match: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [t for t in res.stderr.splitlines() if t.startswith("firstorder: error:")]
    assert lines, res.stderr
    assert any(__import__("re").search(match, t) for t in lines), res.stderr


# -- costs and gradients of users' functions (`check`) ----------------------------------

CHECK_ROWS = [
    ("cost_nan", "grad", r"not finite"),
    ("cost_inf", "grad", r"not finite at step `h="),
    ("cost_vec", "grad", r"cost of case `cost_vec` has shape"),
    ("cost_raise", "grad", r"raised RuntimeError at step `h=.*`: boom"),
    ("cost", "grad_short", r"gradient of case `cost` has shape \(1,\); expected \(2,\)"),
    ("cost", "grad_str", r"gradient of case `cost` has dtype"),
]


@pytest.mark.parametrize(
    ("cost", "grad", "match"), CHECK_ROWS, ids=[r[0] + "-" + r[1] for r in CHECK_ROWS]
)
def test_users_functions_api(files: Path, cost: str, grad: str, match: str) -> None:
    with pytest.raises(fo.FirstOrderError, match=match):
        fo.check_gradient(_user(files, cost), _user(files, grad), [1.0, 2.0])


@pytest.mark.parametrize(
    ("cost", "grad", "match"), CHECK_ROWS, ids=[r[0] + "-" + r[1] for r in CHECK_ROWS]
)
def test_users_functions_cli(files: Path, cost: str, grad: str, match: str) -> None:
    res = run_cli("check", f"user.py:{cost}", f"user.py:{grad}", "--point", "1,2", cwd=files)
    _cli_error(res, match)


# -- case files --------------------------------------------------------------------------

FILE_ROWS = [
    ("syntax.py", r"syntax\.py:2: SyntaxError"),
    ("importerr.py", r"importerr\.py:1: ModuleNotFoundError: No module named 'not_a_module_xyz'"),
    ("dup.py", r"duplicate case name `rosenbrock`"),
]


@pytest.mark.parametrize(("name", "match"), FILE_ROWS, ids=[r[0] for r in FILE_ROWS])
def test_case_files_api(files: Path, name: str, match: str) -> None:
    with pytest.raises(fo.CaseError, match=match):
        fo.load_cases(files / name, strict=True)


@pytest.mark.parametrize(("name", "match"), FILE_ROWS, ids=[r[0] for r in FILE_ROWS])
def test_case_files_cli(files: Path, name: str, match: str) -> None:
    _cli_error(run_cli("list", "--cases", name, cwd=files), match)
    # a broken extra file does not stop a command on a healthy case either way: it is named
    _cli_error(run_cli("taylor", "seed", "--cases", name, cwd=files), match)


# -- names, steps, points, directions ----------------------------------------------------

NAME_ROWS = [
    (
        lambda: fo.taylor_test("nope"),
        ["taylor", "nope"],
        r"unknown case `nope`; `firstorder list` shows all \d+\.$",
    ),
    (
        lambda: fo.gradient("seed", backend="nope"),
        ["taylor", "seed", "--gradient", "nope"],
        r"unknown backend `nope`; `firstorder backends` shows all \d+\.$",
    ),
    (
        lambda: fo.taylor_test("seed", precision="nope"),
        ["taylor", "seed", "--precision", "nope"],
        r"unknown precision `nope`; choose from .*`float64`",
    ),
    (
        lambda: fo.gradient("seed", precision="nope"),
        ["sweep", "seed", "--precision", "nope"],
        r"unknown precision `nope`",
    ),
]


@pytest.mark.parametrize(
    ("api", "cli", "match"), NAME_ROWS, ids=["case", "backend", "precision", "precision-sweep"]
)
def test_unknown_names(tmp_path: Path, api, cli, match: str) -> None:
    with pytest.raises(fo.FirstOrderError, match=match):
        api()
    _cli_error(
        run_cli(*cli, "--out", str(tmp_path / "r"), cwd=tmp_path)
        if cli[0] == "sweep"
        else run_cli(*cli, cwd=tmp_path),
        match,
    )
    assert not (tmp_path / "r").exists()


STEP_ROWS = [
    (0.0, "0", r"`step` must be positive"),
    (-1e-3, "-1e-3", r"`step` must be positive"),
    (float("nan"), "nan", r"`step` must be finite"),
    (np.array([1e-3, 1e-3, 1e-3]), None, r"`step` has shape \(3,\)"),
]


@pytest.mark.parametrize(
    ("step", "text", "match"), STEP_ROWS, ids=["zero", "negative", "nan", "shape"]
)
def test_bad_steps(tmp_path: Path, step, text, match: str) -> None:
    with pytest.raises(fo.FirstOrderError, match=match):
        fo.gradient("seed", backend="central", step=step)
    with pytest.raises(fo.FirstOrderError, match=r"`steps`"):
        fo.step_sweep(
            "seed",
            "central",
            steps=np.atleast_1d(step).reshape(1, -1) if text is None else [step, 1e-3],
        )
    cli_steps = "1e-3;1e-4" if text is None else f"{text},1e-3"
    res = run_cli(
        "sweep", "seed", f"--steps={cli_steps}", "--out", str(tmp_path / "r"), cwd=tmp_path
    )
    _cli_error(res, r"`--steps|`steps`")
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


POINT_ROWS = [
    ({"point": [1.0, 2.0, 3.0]}, ["--point", "1,2,3"], r"`point` has length 3"),
    ({"point": [float("nan"), 1.0]}, ["--point", "nan,1"], r"`point` has a non-finite component"),
    ({"direction": [1.0, 2.0, 3.0]}, ["--direction", "1,2,3"], r"`direction` has shape \(3,\)"),
    ({"direction": [0.0, 0.0]}, ["--direction", "0,0"], r"`direction` is zero"),
]


@pytest.mark.parametrize(
    ("kw", "cli", "match"),
    POINT_ROWS,
    ids=["point-length", "point-nan", "direction-length", "direction-zero"],
)
def test_points_and_directions(tmp_path: Path, kw, cli, match: str) -> None:
    with pytest.raises(fo.FirstOrderError, match=match):
        fo.taylor_test("seed", **kw)
    _cli_error(run_cli("taylor", "seed", *cli, cwd=tmp_path), match)


# -- methods that do not apply ---------------------------------------------------------

NA_ROWS = [
    ("gulf", "complex-step", None, r"`complex_safe=False`"),
    ("hides_imag", "complex-step", "hides.py", r"drop the imaginary part"),
    ("numpy_exp", "reference", "nomp.py", r"numpy's `exp`.*`ctx.exp`"),
]


@pytest.mark.parametrize(("name", "backend", "path", "match"), NA_ROWS, ids=[r[0] for r in NA_ROWS])
def test_methods_that_do_not_apply(files: Path, name: str, backend: str, path, match: str) -> None:
    c = fo.load_cases(files / path)[name] if path else name
    res = fo.gradient(c, backend=backend)
    assert res.status == "not-applicable" and not res.ok
    assert np.all(np.isnan(res.as_float()))  # never a wrong number
    assert __import__("re").search(match, res.reason), res.reason
    t = fo.taylor_test(c, gradient=backend)
    assert t.verdict == "not-applicable"
    extra = ["--cases", path] if path else []
    _cli_error(run_cli("taylor", name, "--gradient", backend, *extra, cwd=files), match)


# -- output folders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [["sweep", "seed"], ["bench", "--case", "seed"], ["mutate", "--case", "seed", "--draws", "2"]],
    ids=["sweep", "bench", "mutate"],
)
def test_unwritable_output_folder(tmp_path: Path, cmd: list[str]) -> None:
    """A folder below /dev/null can be created by nobody, root included."""
    out = Path("/dev/null/reports")
    from firstorder.report.runfolder import RunFolder

    with pytest.raises(fo.FirstOrderError, match=r"`/dev/null/reports` is not writable"):
        RunFolder("run", base=out).prepare()
    _cli_error(run_cli(*cmd, "--out", str(out), cwd=tmp_path), r"not writable")


def test_output_folder_that_is_a_file(tmp_path: Path) -> None:
    """Portable stand-in for an unwritable folder (root can write anywhere)."""
    out = tmp_path / "file"
    out.write_text("not a folder")
    for cmd in (["sweep", "seed"], ["bench", "--case", "seed", "--repeats", "1"]):
        _cli_error(run_cli(*cmd, "--out", str(out), cwd=tmp_path), r"not writable")
    assert out.read_text() == "not a folder"


def test_full_disk_mid_report_keeps_nothing_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    assert (
        main(
            [
                "bench",
                "--case",
                "seed",
                "--repeats",
                "1",
                "--out",
                str(out),
                "--name",
                "keep",
                "--quiet",
            ]
        )
        == 0
    )
    before = sorted(p.name for p in (out / "keep").iterdir())

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    status = main(
        [
            "bench",
            "--case",
            "seed",
            "--repeats",
            "1",
            "--out",
            str(out),
            "--name",
            "keep",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "No space left on device" in err and "Traceback" not in err
    monkeypatch.undo()
    assert sorted(p.name for p in (out / "keep").iterdir()) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


# -- interrupted runs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"]
)
def test_interrupted_bench_leaves_earlier_reports_intact(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "reports"
    first = run_cli(
        "bench", "--case", "seed", "--repeats", "1", "--out", str(out), "--quiet", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    latest = os.readlink(out / "latest")
    kept = {p: p.read_bytes() for p in (out / latest).iterdir()}
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "firstorder",
            "bench",
            "--case",
            "ext_rosenbrock",
            "--sizes",
            "10,100,1000,10000,100000",
            "--repeats",
            "50",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # even when this runs under `nohup` or `&`
    ) as proc:
        # wait until it has started measuring, then interrupt
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("bench:"), line
        time.sleep(0.5)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        proc.stderr.read()
    assert proc.returncode != 0
    assert os.readlink(out / "latest") == latest
    assert {p: p.read_bytes() for p in (out / latest).iterdir()} == kept
    finals = [p for p in out.iterdir() if not p.name.startswith(".") and p.name != "latest"]
    assert finals == [out / latest]
    if sig != signal.SIGKILL:
        assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
