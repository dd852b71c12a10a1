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
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from fo_support import interruptible, run_cli

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
    bench = ["bench", "--case", "seed", "--repeats", "1", "--out", str(out), "--name", "keep"]
    assert main([*bench, "--quiet"]) == 0
    before = sorted(p.name for p in (out / "keep").iterdir())

    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    status = main([*bench, "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert "No space left on device" in err and "Traceback" not in err
    monkeypatch.undo()
    assert sorted(p.name for p in (out / "keep").iterdir()) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


# -- interrupted runs -------------------------------------------------------------------


# SIGINT only: what each signal does to a command's run folder (Ctrl-C and SIGTERM
# remove it, SIGKILL leaves it to the next run) is tests/cli/test_cli_run.py's
# `test_an_interrupted_run_leaves_earlier_reports_intact`, through the same RunFolder.
@pytest.mark.parametrize("sig", [signal.SIGINT], ids=["SIGINT"])
def test_interrupted_bench_leaves_earlier_reports_intact(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "reports"
    first = run_cli(
        "bench", "--case", "seed", "--repeats", "1", "--out", str(out), "--quiet", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    latest = os.readlink(out / "latest")
    kept = {p: p.read_bytes() for p in (out / latest).iterdir()}
    sizes = ["--sizes", "10,100,1000,10000,100000", "--repeats", "50"]
    with subprocess.Popen(
        # even when this runs under `nohup` or `&`, SIGINT interrupts the child
        interruptible(
            "-m", "firstorder", "bench", "--case", "ext_rosenbrock", *sizes, "--out", str(out)
        ),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
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


# -- issue 13: no wrong number, one-line errors ------------------------------------------

# Users' plain functions the way people write them: each ends with a true number (a right
# gradient passes, a sign-flipped component reads ratio -1 against a verified
# reference) or with a one-line refusal.
MATRIX = """
import numpy as np

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
X = np.linspace(0.0, 3.0, 8)
Y = np.sin(X) + 0.1 * np.cos(3 * X)

def flip(grad, i):
    def g(v):
        out = np.array(grad(v), dtype=float)
        out[i] = -out[i]
        return out
    return g

def as_float(v):
    return float(np.sum(v**4) + v[0] * v[1])

def as_float_grad(v):
    g = 4 * v**3
    g[0] += v[1]
    g[1] += v[0]
    return g

def _kernel(v):
    ell, sf, sn = np.exp(v[0]), np.exp(v[1]), np.exp(v[2])
    d = X[:, None] - X[None, :]
    E = np.exp(-0.5 * d**2 / ell**2)
    return sf**2 * E + (sn**2 + 1e-8) * np.eye(len(X)), d, E

def cholesky(v):
    L = np.linalg.cholesky(_kernel(v)[0])
    a = np.linalg.solve(L.T, np.linalg.solve(L, Y))
    return 0.5 * Y @ a + np.sum(np.log(np.diag(L)))

def cholesky_grad(v):
    K, d, E = _kernel(v)
    Ki = np.linalg.inv(K)
    a = Ki @ Y
    W = Ki - np.outer(a, a)
    ell, sf, sn = np.exp(v[0]), np.exp(v[1]), np.exp(v[2])
    dK = [sf**2 * E * d**2 / ell**2, 2 * sf**2 * E, 2 * sn**2 * np.eye(len(X))]
    return np.array([0.5 * np.sum(W * D) for D in dK])

def solve(v):
    return np.sum(np.linalg.solve(A + np.diag(v**2), np.ones(3)))

def solve_grad(v):
    z = np.linalg.solve(A + np.diag(v**2), np.ones(3))
    w = np.linalg.solve((A + np.diag(v**2)).T, np.ones(3))
    return -w * z * 2 * v

def det(v):
    return np.linalg.det(A + np.diag(v))

def det_grad(v):
    M = A + np.diag(v)
    return np.linalg.det(M) * np.diag(np.linalg.inv(M))

def absval(v):
    return np.sum(np.abs(v) ** 3)

def absval_grad(v):
    return 3 * v * np.abs(v)

def maxof(v):
    return max(v[0], v[1]) ** 2 + v[2] ** 2

def maxof_grad(v):
    return np.array([2 * v[0], 0.0, 2 * v[2]])

def real(v):
    return np.real(np.sum(v**3))

def real_grad(v):
    return 3 * v**2

def raises(v):
    raise RuntimeError("boom")

def past_end(v):
    return v[0] ** 2 + v[3]

def past_end_grad(v):
    return np.array([2 * v[0], 0.0, 0.0, 1.0])[v[3] * 0 == 0]

for _name in ("as_float", "cholesky", "solve", "det", "absval", "maxof", "real"):
    globals()[_name + "_flip"] = flip(globals()[_name + "_grad"], 2 if _name != "cholesky" else 0)
"""

POINT = [0.5, -1.0, 1.5]
GP_POINT = [0.1, 0.2, -1.0]
# (cost, point, component flipped, ratio tolerance)
TRUE_NUMBER_ROWS = [
    ("as_float", POINT, 2, 1e-6),
    ("cholesky", GP_POINT, 0, 1e-4),
    ("solve", POINT, 2, 1e-6),
    ("det", POINT, 2, 1e-6),
    ("absval", POINT, 2, 1e-6),
    ("maxof", POINT, 2, 1e-6),
    ("real", POINT, 2, 1e-6),
]


@pytest.fixture()
def matrix(tmp_path: Path):
    (tmp_path / "user.py").write_text(MATRIX)
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"matrix_{id(tmp_path)}", tmp_path / "user.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.folder = tmp_path
    return mod


@pytest.mark.parametrize(
    ("name", "point", "flip", "rtol"), TRUE_NUMBER_ROWS, ids=[r[0] for r in TRUE_NUMBER_ROWS]
)
def test_users_functions_end_with_a_true_number(matrix, name, point, flip, rtol) -> None:
    cost, grad, bad = (getattr(matrix, name + s) for s in ("", "_grad", "_flip"))
    assert fo.check_gradient(cost, grad, point).verdict == "pass"
    res = fo.check_gradient(cost, bad, point)
    assert res.verdict == "fail" and res.wrong_components == (flip,)
    diag = next(r.diagnosis for r in res.results if r.diagnosis is not None)
    assert np.isfinite(diag.reference[0]) and diag.reference[0] != 0
    assert diag.ratio[0] == pytest.approx(-1, rel=rtol), diag.to_frame()
    # the same through the CLI, whose JSON names the method and its error estimate
    out = run_cli(
        "check",
        f"user.py:{name}",
        f"user.py:{name}_flip",
        "--point",
        ",".join(map(str, point)),
        "--format",
        "json",
        cwd=matrix.folder,
    )
    assert out.returncode == 1, out.stderr
    row = __import__("json").loads(out.stdout)["diagnosis"][0]
    assert {"component", "analytic", "reference", "ratio", "method", "error_estimate"} <= set(row)
    assert row["component"] == flip and row["ratio"] == pytest.approx(-1, rel=rtol)


REFUSAL_ROWS = [
    # (cost, grad, point, precision, error class, message)
    ("as_float", "as_float_grad", POINT, "mp", fo.NotApplicableError, r"returns `float` for mp"),
    ("cholesky", "cholesky_grad", GP_POINT, "mp", fo.NotApplicableError, r"precision `mp`"),
    ("as_float", "raises", POINT, "float64", fo.CaseError, r"gradient `raises` raised Runtime"),
    ("raises", "as_float_grad", POINT, "float64", fo.FirstOrderError, r"raised RuntimeError"),
    ("past_end", "as_float_grad", POINT, "float64", fo.FirstOrderError, r"raised IndexError"),
    ("as_float", "past_end_grad", POINT, "float64", fo.CaseError, r"raised IndexError"),
]


@pytest.mark.parametrize(
    ("cost", "grad", "point", "precision", "error", "match"),
    REFUSAL_ROWS,
    ids=[f"{r[0]}-{r[1]}-{r[3]}" for r in REFUSAL_ROWS],
)
def test_users_functions_end_with_a_one_line_refusal(
    matrix, cost, grad, point, precision, error, match
) -> None:
    """Before: a FAIL of a right gradient under mp (every reference 0.0), tracebacks
    for a gradient that raises."""
    from firstorder.testing import assert_gradient

    f, g = getattr(matrix, cost), getattr(matrix, grad)
    with pytest.raises(error, match=match):
        fo.check_gradient(f, g, point, precision=precision)
    with pytest.raises(error, match=match):
        assert_gradient(f, g, point, precision=precision)
    res = run_cli(
        "check",
        f"user.py:{cost}",
        f"user.py:{grad}",
        "--point",
        ",".join(map(str, point)),
        "--precision",
        precision,
        cwd=matrix.folder,
    )
    _cli_error(res, match)
    assert len(res.stderr.strip().splitlines()) == 1


def test_check_help_lists_the_precisions_it_accepts(tmp_path: Path) -> None:
    res = run_cli("check", "--help", cwd=tmp_path)
    assert "float64, float32, mp" in " ".join(res.stdout.split())
    with pytest.raises(fo.FirstOrderError, match=r"unknown precision `complex128`"):
        fo.check_gradient(lambda v: float(v @ v), lambda v: 2 * v, [1.0], precision="complex128")


@pytest.mark.parametrize("command", ["show", "taylor"])
def test_numpy_function_under_mp_is_one_line(files: Path, command: str) -> None:
    """Before: a 30-line traceback from mpmath's missing `exp` method."""
    args = ["--precision", "mp"] if command == "taylor" else []
    res = run_cli(command, "numpy_exp", "--cases", "nomp.py", *args, cwd=files)
    _cli_error(res, r"numpy's `exp`.*write it as `ctx.exp`")
    assert len(res.stderr.strip().splitlines()) == 1
    c = fo.load_cases(files / "nomp.py")["numpy_exp"]
    with pytest.raises(fo.NotApplicableError, match=r"`ctx.exp`"):
        fo.taylor_test(c, precision="mp")


NEGATIVE_ROWS = [
    ["taylor", "seed", "--point", "-0.5,1", "--direction", "-1,-0.5"],
    ["taylor", "seed", "--point=-0.5,1", "--direction", "-.5,1e-1"],
    ["check", "user.py:cost", "user.py:grad", "--point", "-0.5,1,2"],
    ["sweep", "seed", "--point", "-0.5,-1", "--backend", "central", "--out", "r"],
]


@pytest.mark.parametrize("args", NEGATIVE_ROWS, ids=["taylor", "taylor-eq", "check", "sweep"])
def test_negative_coordinates_are_values_not_options(files: Path, args: list[str]) -> None:
    """Before: `argument --point: expected one argument`."""
    res = run_cli(*args, cwd=files)
    assert res.returncode == 0, res.stderr
    if args[0] == "taylor":
        assert "PASS" in res.stdout


@pytest.mark.parametrize(
    "args",
    [["run", "--cases", "/nope/x.py", "--case", "seed"], ["list", "--cases", "missing.py"]],
    ids=["run", "list"],
)
def test_a_case_path_that_does_not_load_stops_before_any_work(
    tmp_path: Path, args: list[str]
) -> None:
    """Before: `run` ran anyway, moved `latest` and exited 1; `list` printed the table."""
    out = tmp_path / "reports"
    out.mkdir()
    (out / "keep").mkdir()
    os.symlink("keep", out / "latest")
    res = run_cli(*args, "--out", str(out), cwd=tmp_path) if args[0] == "run" else None
    res = res or run_cli(*args, cwd=tmp_path)
    _cli_error(res, r"does not exist")
    assert res.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["keep", "latest"]
    assert os.readlink(out / "latest") == "keep"


def test_a_grid_with_no_taylor_test_says_why(tmp_path: Path) -> None:
    """Before: `0 Taylor tests: none.` and exit 0."""
    # (`autodiff` and `autodiff-fwd` join the list where the extra is installed)
    why = r"no Taylor test: in `mp` only `analytic`, (`autodiff`, `autodiff-fwd`, )?`reference` get"
    with pytest.raises(fo.FirstOrderError, match=why):
        fo.run(backends=["central4"], precisions=["mp"], dps=80)
    res = run_cli(
        "run",
        "--backend",
        "central4",
        "--precision",
        "mp",
        "--dps",
        "80",
        "--out",
        "r",
        cwd=tmp_path,
    )
    _cli_error(res, why)
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
