"""The `jax` context and the `autodiff` backends: the same case code under jax.grad."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

import firstorder as fo

jax = pytest.importorskip(
    "jax", reason="needs the `autodiff` extra: pip install 'firstorder[autodiff]'"
)
jnp = pytest.importorskip("jax.numpy")

from firstorder.gradients.autodiff import (  # noqa: E402 - after the skip
    hessian_vector,
    time_gradient,
    with_autodiff_hessian,
)
from firstorder.testing import assert_gradient  # noqa: E402

EPS = float(np.finfo(np.float64).eps)
#: The agreement asked of autodiff against the analytic gradient (float64).
AGREE = 1e-12
README = Path(__file__).resolve().parents[2] / "README.md"


def _gap(got: np.ndarray, want: np.ndarray) -> float:
    """max |got − want| relative to max |want| (absolute where want is zero)."""
    scale = float(np.max(np.abs(want)))
    return float(np.max(np.abs(got - want))) / (scale if scale > 0 else 1.0)


# -- the context and its scoped float64 ---------------------------------------------------
def test_jax_context_is_float64_inside_firstorder_calls_only():
    before = (jax.config.jax_enable_x64, jnp.zeros(1).dtype)
    res = fo.gradient("rosenbrock", backend="autodiff")
    assert res.ok and res.values.dtype == np.float64
    assert (jax.config.jax_enable_x64, jnp.zeros(1).dtype) == before == (False, jnp.float32)


def test_a_user_who_enabled_x64_keeps_it():
    with jax.enable_x64(True):
        fo.gradient("beale", backend="autodiff-fwd")
        assert jax.config.jax_enable_x64 is True
    assert jax.config.jax_enable_x64 is False


def test_jax_context_runs_a_case_cost_unchanged():
    c = fo.resolve_case("rosenbrock")
    ctx = fo.context("jax")
    assert fo.context("jax") is ctx and ctx.name == "jax"
    from firstorder.numbers_jax import x64

    with x64():
        got = np.asarray(c.cost_fn(ctx.asarray(c.random_points(4)), ctx))
    want = c.cost(c.random_points(4))
    np.testing.assert_allclose(got, want, rtol=4 * EPS)


# -- agreement with the analytic gradient over the registry -------------------------------
@pytest.mark.parametrize("backend", ["autodiff", "autodiff-fwd"])
def test_autodiff_agrees_with_the_analytic_gradient_or_says_why_not(case, backend):
    res = fo.gradient(case, backend=backend)
    if not res.ok:
        assert res.reason.startswith(f"the cost of case `{case.name}` does not trace")
        assert np.all(np.isnan(res.values))
        return
    want = fo.gradient(case, backend="analytic").values
    assert _gap(res.values, np.asarray(want, dtype=np.float64)) <= AGREE


def test_autodiff_applies_to_at_least_nine_in_ten_builtin_cases(registry):
    cases = list(registry.values())
    applies = [fo.gradient(c, backend="autodiff").ok for c in cases]
    assert sum(applies) >= 0.9 * len(cases)


def test_autodiff_works_on_the_readme_case_unchanged(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    path = tmp_path / "my_cases.py"
    path.write_text(next(b for b in blocks if b.startswith("# my_cases.py")))
    c = fo.load_cases(path, builtin=False, entry_points=False, strict=True)["tilted_bowl"]
    for backend in ("autodiff", "autodiff-fwd"):
        got = fo.gradient(c, backend=backend)
        assert got.ok
        assert _gap(got.values, c.grad(c.point())) <= AGREE


def test_forward_mode_blocks_cover_every_component():
    c = fo.resolve_case("ext_rosenbrock")
    x = c.point(n=50)
    # blocks of 7 basis directions: the eighth block is partial
    res = fo.gradient(c, x, backend="autodiff-fwd", chunk_bytes=8 * 50 * 7)
    assert res.ok and res.nfev == 50
    assert _gap(res.values, c.grad(x)) <= AGREE


def test_autodiff_refuses_other_precisions():
    res = fo.gradient("rosenbrock", backend="autodiff", precision="mp")
    assert not res.ok
    assert "computes in float64 (JAX), not `mp`" in res.reason


# -- costs that do not trace ---------------------------------------------------------------
def _line_of(fn, text: str) -> int:
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, s in enumerate(lines) if text in s)


def _inplace(v, ctx):
    w = v * 1.0
    w[..., 0] = ctx.exp(v[..., 0])  # in-place
    return ctx.sum(w * w)


def _numpy_call(v, ctx):
    return ctx.sum(np.exp(v))  # numpy function


def _branch(v, ctx):
    if v[..., 0] > 0:  # Python branch
        return ctx.sum(v * v)
    return ctx.sum(v)


@pytest.mark.parametrize(
    ("fn", "marker", "what"),
    [
        (_inplace, "# in-place", "in-place assignment"),
        (_numpy_call, "# numpy function", "a numpy function"),
        (_branch, "# Python branch", "a Python branch"),
    ],
    ids=["in-place", "numpy-call", "python-branch"],
)
def test_a_cost_that_does_not_trace_is_not_applicable_with_its_line(fn, marker, what):
    c = fo.case(name=f"local_{fn.__name__[1:]}", x0=[0.5, -0.3], complex_safe=False)(fn)
    for backend in ("autodiff", "autodiff-fwd"):
        res = fo.gradient(c, backend=backend)
        assert res.status == "not-applicable"
        assert np.all(np.isnan(res.values))
        assert what in res.reason
        assert f"test_autodiff.py:{_line_of(fn, marker)}" in res.reason


# -- second order: Hessian-vector products -------------------------------------------------
def test_forward_over_reverse_matches_the_analytic_hessian(hessian_case):
    c = hessian_case
    x = c.point()
    d = np.random.default_rng(7).standard_normal(len(x))
    want = c.hess_vec(x, d)
    got = hessian_vector(c, x, d)
    assert _gap(got, want) <= 1e-11


def test_a_case_without_hessian_gets_the_second_order_check():
    c = fo.resolve_case("rosenbrock")
    bare = fo.case(name="local_bare_rosenbrock", x0=list(c.x0))(c.cost_fn)
    bare.gradient(c.grad_fn)
    assert not bare.has_hessian
    full = with_autodiff_hessian(bare)
    assert full.has_hessian
    res = fo.taylor_test(full, direction="random", seed=3)
    assert res.verdict == "pass"
    assert "r2" in set(res.fits_frame()["remainder"])


_NO_HESSIAN = [
    c for c in fo.load_cases(env=False, entry_points=False).values() if not c.has_hessian
]


@pytest.mark.parametrize("c", _NO_HESSIAN, ids=[c.name for c in _NO_HESSIAN])
def test_builtin_cases_without_hessian_get_r2_of_order_3(c):
    res = fo.taylor_test(with_autodiff_hessian(c))
    assert res.verdict == "pass", res.reason
    r2 = res.fits_frame().set_index("remainder").loc["r2"]
    assert abs(r2["order"] - 3) < 0.1


# -- the Taylor test and users' JAX code ---------------------------------------------------
@pytest.mark.parametrize("name", ["rosenbrock", "ext_rosenbrock", "seed", "beale"])
def test_the_taylor_test_passes_with_the_autodiff_gradient(name):
    res = fo.taylor_test(name, gradient="autodiff", seed=1)
    assert res.verdict in ("pass", "exact"), res.reason


@pytest.mark.slow
def test_the_taylor_verdict_with_autodiff_is_the_analytic_one(case):
    """Wherever the Taylor test applies in float64 it passes with autodiff as with the
    analytic gradient; where float64 is too short (inconclusive) it is so for both."""
    ours = fo.taylor_test(case, gradient="autodiff")
    theirs = fo.taylor_test(case, gradient="analytic")
    assert ours.verdict == theirs.verdict, ours.reason
    assert ours.verdict in ("pass", "exact", "inconclusive")


def _user_cost(v):
    return jnp.sum(v**4) + v[0] * jnp.sin(v[1])


@jax.custom_vjp
def _scaled_sin(x):
    return jnp.sin(x)


def _fwd(x):
    return jnp.sin(x), x


def _wrong_bwd(x, ct):
    # the cotangent of component 1 is off by half: a wrong custom VJP rule
    return (ct * jnp.cos(x) * jnp.where(jnp.arange(x.shape[0]) == 1, 1.5, 1.0),)


_scaled_sin.defvjp(_fwd, _wrong_bwd)


def _user_cost_with_custom_vjp(v):
    return jnp.sum(_scaled_sin(v) ** 2)


def test_check_accepts_a_users_jax_cost_and_its_jax_grad():
    before = jax.config.jax_enable_x64
    res = fo.check_gradient(_user_cost, jax.grad(_user_cost), [0.3, -1.2, 2.0])
    assert res.verdict == "pass", res.reason
    assert abs(res.order - 2) < 0.05
    assert jax.config.jax_enable_x64 == before


def test_a_wrong_custom_vjp_is_caught_and_located():
    res = fo.check_gradient(
        _user_cost_with_custom_vjp, jax.grad(_user_cost_with_custom_vjp), [0.3, -1.2, 2.0]
    )
    assert res.verdict == "fail"
    assert res.wrong_components == (1,)
    with pytest.raises(AssertionError, match=r"wrong components \(0-based\): \[1\]"):
        assert_gradient(
            _user_cost_with_custom_vjp, jax.grad(_user_cost_with_custom_vjp), [0.3, -1.2, 2.0]
        )


def test_assert_gradient_accepts_a_jitted_jax_grad():
    assert_gradient(_user_cost, jax.jit(jax.grad(_user_cost)), [0.3, -1.2, 2.0])


def test_the_check_cli_takes_a_jax_file(tmp_path):
    from fo_support import run_cli

    mine = tmp_path / "mine_jax.py"
    mine.write_text(
        textwrap.dedent(
            """
            import jax
            import jax.numpy as jnp

            def cost(v):
                return jnp.sum(jnp.exp(0.5 * v) * v)

            grad = jax.grad(cost)
            """
        )
    )
    root = str(Path(fo.__file__).resolve().parents[1])
    done = run_cli(
        "check",
        "mine_jax.py:cost",
        "mine_jax.py:grad",
        "--point",
        "0.5,1,1.5",
        cwd=tmp_path,
        env={"PYTHONPATH": root},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pass" in done.stdout


# -- timing ----------------------------------------------------------------------------------
def test_compile_time_is_reported_apart_from_steady_state():
    t = time_gradient(fo.resolve_case("ext_rosenbrock"), np.ones(100), repeat=3)
    assert t.compile_s > t.steady_s > 0


# -- the backend list ------------------------------------------------------------------------
def test_backends_lists_autodiff_and_how_to_install_it_when_absent(tmp_path):
    import subprocess
    import sys

    root = str(Path(fo.__file__).resolve().parents[1])
    script = (
        "import sys; sys.modules['jax'] = None\nfrom firstorder.cli import main\nmain(['backends'])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": root, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "autodiff-fwd" in shown.stdout
    assert (
        "not installed: autodiff, autodiff-fwd; install the `autodiff` extra: "
        "pip install 'firstorder[autodiff]'" in shown.stdout
    )
    assert {"autodiff", "autodiff-fwd"} <= set(fo.backends())
