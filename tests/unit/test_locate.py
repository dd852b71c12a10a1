"""Locating wrong gradient components: O(log n) bisection, reference values, ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

import firstorder as fo


def _sum_case(n: int) -> fo.Case:
    @fo.case(name=f"sines_{n}", x0=list(np.linspace(0.2, 1.4, n)))
    def c(v, ctx):
        k = np.arange(1, n + 1)
        return ctx.sum(ctx.sin(v) * v * k + 0.5 * v**2)

    @c.gradient
    def _(v, ctx):
        k = np.arange(1, n + 1)
        return (ctx.cos(v) * v + ctx.sin(v)) * k + v

    return c


@pytest.mark.parametrize("wrong", [(5,), (0, 13)])
def test_bisection_finds_components_in_log_n_tests(wrong):
    n = 16
    c = _sum_case(n)
    v = c.point()
    g = c.grad(v)
    for i in wrong:
        g[i] = -g[i]
    diag = fo.locate_wrong_components(c, v, g)
    assert diag.components == wrong
    # Each wrong component costs at most 2 tests per level of the bisection tree.
    assert diag.n_tests <= 1 + 2 * len(wrong) * math.ceil(math.log2(n))
    assert np.allclose(diag.ratio, -1, atol=1e-8)
    assert diag.method == "complex-step"


def test_correct_gradient_locates_nothing():
    c = _sum_case(8)
    diag = fo.locate_wrong_components(c, c.point(), c.grad(c.point()))
    assert diag.components == () and diag.n_tests == 1


def test_factor_two_shows_ratio_two():
    c = fo.resolve_case("rosenbrock")
    v = c.point()
    g = c.grad(v)
    g[1] *= 2
    res = fo.taylor_test(c, gradient=g)
    assert res.wrong_components == (1,)
    assert res.diagnosis.ratio[0] == pytest.approx(2, rel=1e-10)


def test_reference_falls_back_to_mp_when_not_complex_safe():
    @fo.case(name="abs_bowl", x0=[0.7, -0.3], complex_safe=False)
    def c(v, ctx):
        return ctx.sum(v**2) + ctx.abs(v[..., 0])

    @c.gradient
    def _(v, ctx):
        return ctx.stack([2 * v[..., 0] + ctx.sign(v[..., 0]), 2 * v[..., 1]])

    g = c.grad(c.point())
    g[1] = -g[1]
    diag = fo.locate_wrong_components(c, c.point(), g)
    assert diag.components == (1,) and diag.method == "mp"
    assert diag.reference[0] == pytest.approx(-0.6, rel=1e-14)


# -- the reference is verified before it is shown (issue 13, item 1) ----------------


def _quartic(v):
    """The README's `check` example: a plain cost returning `float(...)`."""
    return float(np.sum(v**4) + v[0] * v[1])


def _quartic_grad(v):
    g = 4 * v**3
    g[0] += v[1]
    g[1] += v[0]
    return g


_X = np.linspace(0.0, 3.0, 8)
_Y = np.sin(_X) + 0.1 * np.cos(3 * _X)


def _gp_kernel(v):
    ell, sf, sn = np.exp(v[0]), np.exp(v[1]), np.exp(v[2])
    d = _X[:, None] - _X[None, :]
    return sf**2 * np.exp(-0.5 * d**2 / ell**2) + (sn**2 + 1e-8) * np.eye(len(_X)), d


def _gp_cost(v):
    """Gaussian-process negative log likelihood through numpy's Cholesky, which treats
    a complex matrix as Hermitian: the complex step is silently wrong here."""
    K, _ = _gp_kernel(v)
    L = np.linalg.cholesky(K)
    a = np.linalg.solve(L.T, np.linalg.solve(L, _Y))
    return 0.5 * _Y @ a + np.sum(np.log(np.diag(L))) + 0.5 * len(_X) * np.log(2 * np.pi)


def _gp_grad(v):
    K, d = _gp_kernel(v)
    ell, sf, sn = np.exp(v[0]), np.exp(v[1]), np.exp(v[2])
    E = np.exp(-0.5 * d**2 / ell**2)
    Ki = np.linalg.inv(K)
    a = Ki @ _Y
    W = Ki - np.outer(a, a)
    dK = [sf**2 * E * d**2 / ell**2, 2 * sf**2 * E, 2 * sn**2 * np.eye(len(_X))]
    return np.array([0.5 * np.sum(W * D) for D in dK])


def _flipped(grad, i):
    def g(v):
        out = np.array(grad(v), dtype=float)
        out[i] = -out[i]
        return out

    return g


@pytest.mark.parametrize(
    ("cost", "grad", "point", "flip", "rtol"),
    [
        (_quartic, _quartic_grad, [0.5, 1.0, 1.5], 2, 1e-6),
        (_gp_cost, _gp_grad, [0.1, 0.2, -1.0], 0, 1e-4),
    ],
    ids=["float-returning", "cholesky"],
)
def test_sign_flip_reads_ratio_minus_one_when_the_exact_methods_are_fooled(
    cost, grad, point, flip, rtol
):
    """Before: ratio -inf (reference 0.0 from mp through `float()`) and -1.888 (the
    complex step through a Hermitian Cholesky)."""
    assert fo.check_gradient(cost, grad, point).verdict == "pass"
    res = fo.check_gradient(cost, _flipped(grad, flip), point)
    assert res.verdict == "fail" and res.wrong_components == (flip,)
    diag = next(r.diagnosis for r in res.results if r.diagnosis is not None)
    assert diag.method == "richardson"
    assert diag.ratio[0] == pytest.approx(-1, rel=rtol)
    assert diag.reference[0] == pytest.approx(-diag.analytic[0], rel=rtol)
    # the error estimate is stated, and honest: the reference is within it of the truth
    truth = grad(np.asarray(point))[flip]
    assert 0 < diag.error_estimate[0] < rtol * abs(truth)
    assert abs(diag.reference[0] - truth) <= 10 * diag.error_estimate[0]


def test_diagnosis_frame_names_method_and_error_estimate():
    res = fo.check_gradient(_quartic, _flipped(_quartic_grad, 2), [0.5, 1.0, 1.5])
    rows = res.to_dict()["diagnosis"]
    assert set(rows[0]) >= {"component", "analytic", "reference", "ratio", "method"}
    assert rows[0]["method"] == "richardson" and rows[0]["error_estimate"] > 0


def test_complex_step_is_used_where_it_agrees_with_real_differences():
    A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])

    def cost(v):  # det and solve are holomorphic: the complex step holds
        M = A + np.outer(v, v)
        return np.linalg.det(M) + np.sum(np.linalg.solve(M, np.ones(3)))

    from firstorder.gradients.verified import verified_partials
    from firstorder.taylor.check import _as_case

    c = _as_case(cost, lambda v: np.zeros(3), 3, np.array([0.1, 0.2, 0.3]))
    ref = verified_partials(c, [0.1, 0.2, 0.3], [0, 2])
    rich = fo.gradient(c, [0.1, 0.2, 0.3], backend="richardson")
    assert ref.method == "complex-step" and not ref.rejected
    assert np.allclose(ref.values, rich.as_float()[[0, 2]], rtol=1e-9)


def test_reference_at_zero_gives_no_ratio_rather_than_infinity():
    """A component whose true derivative is 0: its ratio is undefined, shown as NaN."""

    def cost(v):
        return float(v[0] ** 2 + v[1] ** 3)

    def grad(v):
        return np.array([2 * v[0], 1.0])  # true ∂C/∂v1 = 3 v1² = 0 at v1 = 0

    res = fo.check_gradient(cost, grad, [0.5, 0.0])
    assert res.verdict == "fail" and res.wrong_components == (1,)
    diag = next(r.diagnosis for r in res.results if r.diagnosis is not None)
    assert abs(diag.reference[0]) <= diag.error_estimate[0]
    assert math.isnan(diag.ratio[0])


def test_mp_through_float_is_not_trusted_even_where_it_happens_to_be_right():
    """At a zero derivative, mp through `float()` gives 0 and agrees with differences;
    only the type of what the cost returns gives it away. The JSON holds no NaN."""
    import json

    def cost(v):
        return float(v[0] ** 2 + v[1] ** 3)

    def grad(v):
        return np.array([2 * v[0], 1.0])

    res = fo.check_gradient(cost, grad, [0.5, 0.0])
    row = res.to_dict()["diagnosis"][0]
    assert row["method"] == "richardson" and row["ratio"] is None
    json.dumps(res.to_dict()["diagnosis"], allow_nan=False)
