"""``firstorder taylor`` and ``firstorder check`` as a user runs them, with exit codes."""

from __future__ import annotations

import json
import textwrap

from fo_support import run_cli

import firstorder as fo

USER_FILE = textwrap.dedent(
    """
    import numpy as np

    def cost(v):
        return float(np.sum(np.exp(0.3 * v) * v))

    def grad(v):
        return np.exp(0.3 * v) * (1 + 0.3 * v)

    def bad_grad(v):
        g = grad(v)
        g[1] = -g[1]
        return g
    """
)


def _strict_loads(text: str):
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""

    def refuse(name: str):
        raise AssertionError(f"invalid JSON constant {name} in the output")

    return json.loads(text, parse_constant=refuse)


def test_taylor_pass_table_and_json(tmp_path):
    res = run_cli("taylor", "seed", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "PASS" in res.stdout and "local_order_r1" in res.stdout
    res = run_cli("taylor", "rosenbrock", "--precision", "mp", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = _strict_loads(res.stdout)
    assert data["verdict"] == "pass" and abs(data["order"] - 2) < 0.01
    assert data["h_max"] / data["h_min"] >= 1e10
    for key in ("order_ci", "n_points", "coefficient_agreement", "orders", "wrong_components"):
        assert key in data


def test_taylor_exact_csv_and_options(tmp_path):
    res = run_cli("taylor", "linear", "--format", "csv", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith("case,")
    res = run_cli(
        "taylor",
        "seed",
        "--point",
        "0.3,0.2",
        "--direction",
        "1,-1",
        "--seed",
        "4",
        "--format",
        "json",
        cwd=tmp_path,
    )
    data = _strict_loads(res.stdout)
    assert res.returncode == 0 and data["point"] == [0.3, 0.2]
    res = run_cli("taylor", "seed", "--direction", "e1", "--precision", "float32", cwd=tmp_path)
    assert res.returncode == 0, res.stdout


def test_taylor_explain_shows_the_seed_question(tmp_path):
    res = run_cli("taylor", "seed", "--explain", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for text in ("ΔC", "∂C/∂v1·Δv1 + ∂C/∂v2·Δv2", "difference/|Δv|²", "dᵀHd/2"):
        assert text in res.stdout
    # The last column approaches the predicted constant, computed here independently.
    c = fo.resolve_case("seed")
    d = fo.taylor_test(c).direction
    half = float(d @ c.hess(c.point()) @ d) / 2
    assert f"{half:.6e}" in res.stdout


def test_taylor_explain_in_mp_reaches_the_limit_and_float64_says_why_it_cannot(tmp_path):
    """In float64 the smallest |Δv| lose digits (ΔC and ∇C·Δv agree to eps·|C|) and the
    command says so; in mp the last column matches dᵀHd/2 to the digits printed."""
    c = fo.resolve_case("seed")
    d = fo.taylor_test(c).direction
    half = float(d @ c.hess(c.point()) @ d) / 2
    res = run_cli("taylor", "seed", "--explain", cwd=tmp_path)
    assert "--precision mp" in res.stdout
    res = run_cli("taylor", "seed", "--explain", "--precision", "mp", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "lose digits" not in res.stdout
    rows = [t.split() for t in res.stdout.splitlines() if t.strip().startswith("1.000000e-07")]
    # |Δv| = 1e-7: the ratio differs from its limit by O(|Δv|) (third derivatives)
    assert abs(float(rows[0][-1]) - half) <= 1e-5 * abs(half)


def test_taylor_bad_input_exits_2(tmp_path):
    for args, text in (
        (("taylor", "sead"), "unknown case `sead`"),
        (("taylor", "seed", "--precision", "float16"), "unknown precision `float16`"),
        (("taylor", "seed", "--point", "1,2,3"), "`point` has length 3"),
        (("taylor", "seed", "--point", "1,x"), "`--point` must be numbers"),
        (("taylor", "seed", "--direction", "0,0"), "`direction` is zero"),
        (("taylor", "seed", "--gradient", "nope"), "`nope`"),
    ):
        res = run_cli(*args, cwd=tmp_path)
        assert res.returncode == 2, (args, res.stderr)
        assert text in res.stderr and "Traceback" not in res.stderr


def test_check_exit_codes(tmp_path):
    (tmp_path / "mine.py").write_text(USER_FILE)
    ok = run_cli("check", "mine.py:cost", "mine.py:grad", "--point", "0.5,1,1.5", cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("PASS"), ok.stdout + ok.stderr
    bad = run_cli(
        "check",
        "mine:cost",
        "mine:bad_grad",
        "--point",
        "0.5,1,1.5",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert bad.returncode == 1, bad.stderr
    data = _strict_loads(bad.stdout)
    assert data["verdict"] == "fail" and data["wrong_components"] == [1]
    assert data["order"] < 1.5 and len(data["order_ci"]) == 2 and data["reason"]


def test_check_bad_input_exits_2(tmp_path):
    (tmp_path / "mine.py").write_text(USER_FILE)
    for args, text in (
        (("check", "mine.py:cost", "mine.py:nothing", "--point", "1,2"), "`nothing`"),
        (("check", "gone.py:cost", "gone.py:grad", "--point", "1,2"), "`gone.py` does not exist"),
        (("check", "mine.py:cost", "mine.py:grad", "--point", "1,nan"), "non-finite"),
    ):
        res = run_cli(*args, cwd=tmp_path)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert text in res.stderr and "Traceback" not in res.stderr


def test_taylor_inconclusive_exits_3(tmp_path):
    # |C| ≈ 1e12 with O(1) curvature: float64 cannot resolve r1 (eps·|C| ≈ 2e-4).
    res = run_cli("taylor", "huge_offset", cwd=tmp_path, isolated=True)  # end to end
    assert res.returncode == 3, res.stdout + res.stderr
    assert "INCONCLUSIVE" in res.stdout


def test_taylor_says_nothing_about_steps_for_exact_backends(tmp_path):
    # analytic and the complex step (exact to round-off) have no step error; autodiff
    # too where JAX is installed. A finite difference does: its h* is printed.
    exact = ["analytic", "complex-step"] + (["autodiff"] if "autodiff" in fo.BACKENDS else [])
    for backend in exact:
        res = run_cli("taylor", "rosenbrock", "--gradient", backend, cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "h* =" not in res.stdout, backend
    res = run_cli("taylor", "rosenbrock", "--gradient", "forward", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "h* =" in res.stdout
