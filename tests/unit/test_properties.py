"""Property tests (hypothesis): the theory holds on random smooth costs.

The example counts come from the hypothesis profile loaded in ``conftest.py``
(``ci``: fixed count, derandomised, so runs stay within budget and reproducible).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import firstorder as fo
from firstorder.case.validation import _close
from firstorder.taylor.harness import PASS_TOL

BATCH_RTOL = 1e3 * np.finfo(float).eps

GOOD = ("pass", "exact")

finite = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


def _within_order(fit: Any, expected: int) -> bool:
    low, high = fit.order_ci
    return low - PASS_TOL <= expected <= high + PASS_TOL


def _assert_r1_order(res: Any) -> None:
    """r1 = O(h²): order 2 where dᵀHd is clearly nonzero, at least 2 where it vanishes
    (then the h³ term leads)."""
    fit = res.orders["r1"]
    curv = res.curvature
    scale = abs(res.directional_derivative) + 1.0
    if curv is not None and abs(curv) > 1e-6 * scale:
        assert _within_order(fit, 2), fit
    else:
        assert fit.order_ci[1] >= 2 - PASS_TOL, fit


# --- random polynomials ----------------------------------------------------------------


@st.composite
def polynomials(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """C(v) = Σ_k c_k Π_i v_i^{p_ki}: coefficients (K,), exponents (K, n), n."""
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 5))
    coef = np.array(
        draw(st.lists(st.floats(-3, 3).filter(lambda c: abs(c) > 0.1), min_size=k, max_size=k))
    )
    powers = np.array(
        draw(st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n), min_size=k, max_size=k))
    )
    return coef, powers, n


def polynomial_case(coef: np.ndarray, powers: np.ndarray, n: int) -> fo.Case:
    """The polynomial as a case. Derivative coefficients c_k·p are formed in the
    context (c_k·p rounded in float64 is a gradient error of 1e-16 that mp catches)."""

    def monomials(v: Any, ctx: fo.Context, p: np.ndarray) -> Any:
        # v: (..., n) -> (..., K): Π_i v_i^{p_ki}, integer powers by repeated products
        terms = []
        for row in p:
            t = 0 * v[..., 0] + 1
            for i, e in enumerate(row):
                for _ in range(int(e)):
                    t = t * v[..., i]
            terms.append(t)
        return ctx.stack(terms)

    @fo.case(name="poly", x0=[0.5] * n)
    def poly(v: Any, ctx: fo.Context) -> Any:
        return ctx.sum(monomials(v, ctx, powers) * ctx.asarray(coef))

    @poly.gradient
    def _(v: Any, ctx: fo.Context) -> Any:
        comps = []
        for j in range(n):
            d = powers.copy()
            scale = d[:, j].astype(float)
            d[:, j] = np.maximum(d[:, j] - 1, 0)
            comps.append(ctx.sum(monomials(v, ctx, d) * ctx.asarray(coef) * ctx.asarray(scale)))
        return ctx.stack(comps)

    @poly.hessian
    def _(v: Any, ctx: fo.Context) -> Any:
        rows = []
        for j in range(n):
            cols = []
            for l in range(n):
                d = powers.copy()
                scale = d[:, j].astype(float)
                d[:, j] = np.maximum(d[:, j] - 1, 0)
                scale = scale * d[:, l]
                d[:, l] = np.maximum(d[:, l] - 1, 0)
                cols.append(ctx.sum(monomials(v, ctx, d) * ctx.asarray(coef) * ctx.asarray(scale)))
            rows.append(ctx.stack(cols))
        return ctx.stack(rows, axis=-2)

    return poly


@given(poly=polynomials(), point=st.lists(finite, min_size=4, max_size=4), seed=st.integers(0, 99))
def test_random_polynomial_orders(poly: tuple, point: list[float], seed: int) -> None:
    coef, powers, n = poly
    c = polynomial_case(coef, powers, n)
    res = fo.taylor_test(c, point=np.array(point[:n]), precision="mp", dps=40, seed=seed)
    assert res.verdict in GOOD, res.reason
    if res.verdict == "pass":
        _assert_r1_order(res)
        r2 = res.orders.get("r2")
        if r2 is not None and r2.n_points >= 4:
            _assert_r2_order(r2, _cubic_along(coef, powers, res.point, res.direction))


def _cubic_along(coef: np.ndarray, powers: np.ndarray, v: np.ndarray, d: np.ndarray) -> float:
    """The t³ coefficient of C(v + t·d) for the polynomial Σ c_k Π_i v_i^(p_ki), exactly
    as a polynomial in t (its size sets whether r2 falls at order 3 or faster)."""
    from numpy.polynomial import polynomial as P

    total = np.zeros(1)
    for c, row in zip(coef, powers, strict=True):
        term = np.array([float(c)])
        for vi, di, e in zip(np.asarray(v, float), np.asarray(d, float), row, strict=True):
            term = P.polymul(term, P.polypow([vi, di], int(e)))
        total = P.polyadd(total, term)
    return float(total[3]) if len(total) > 3 else 0.0


def _assert_r2_order(fit: Any, cubic: float) -> None:
    """r2 = O(h³): order 3 where the cubic term along d is clearly nonzero, at least 3
    where it vanishes (then the h⁴ term leads), as r1 and dᵀHd."""
    if abs(cubic) > 1e-6:
        assert _within_order(fit, 3), (fit, cubic)
    else:
        assert fit.order_ci[1] >= 3 - PASS_TOL, (fit, cubic)


# --- random smooth compositions: C(v) = f(a·v + b) -------------------------------------

OUTER = {
    # name: (f, f', f'') written with ctx functions
    "exp": (lambda u, x: x.exp(u), lambda u, x: x.exp(u), lambda u, x: x.exp(u)),
    "sin": (lambda u, x: x.sin(u), lambda u, x: x.cos(u), lambda u, x: -x.sin(u)),
    "tanh": (
        lambda u, x: x.tanh(u),
        lambda u, x: 1 - x.tanh(u) ** 2,
        lambda u, x: -2 * x.tanh(u) * (1 - x.tanh(u) ** 2),
    ),
    "softplus": (
        lambda u, x: x.log1p(x.exp(u)),
        lambda u, x: 1 / (1 + x.exp(-u)),
        lambda u, x: x.exp(-u) / (1 + x.exp(-u)) ** 2,
    ),
}


def composition_case(outer: str, a: np.ndarray, b: float) -> fo.Case:
    f, df, d2f = OUTER[outer]

    def inner(v: Any, ctx: fo.Context) -> Any:
        return ctx.sum(v * ctx.asarray(a)) + b

    @fo.case(name=f"comp_{outer}", x0=[0.1] * len(a))
    def comp(v: Any, ctx: fo.Context) -> Any:
        return f(inner(v, ctx), ctx)

    @comp.gradient
    def _(v: Any, ctx: fo.Context) -> Any:
        return df(inner(v, ctx), ctx)[..., None] * ctx.asarray(a)

    @comp.hessian
    def _(v: Any, ctx: fo.Context) -> Any:
        return d2f(inner(v, ctx), ctx)[..., None, None] * ctx.asarray(np.outer(a, a))

    return comp


@given(
    outer=st.sampled_from(sorted(OUTER)),
    a=st.lists(st.floats(-1.5, 1.5).filter(lambda t: abs(t) > 0.05), min_size=1, max_size=5),
    b=st.floats(-1, 1),
    seed=st.integers(0, 99),
)
def test_random_composition_orders(outer: str, a: list[float], b: float, seed: int) -> None:
    c = composition_case(outer, np.array(a), b)
    for precision in ("float64", "mp"):
        res = fo.taylor_test(c, precision=precision, seed=seed)
        assert res.verdict in GOOD, (precision, res.reason)
        if res.verdict == "pass":
            _assert_r1_order(res)


# --- batched evaluation equals point-by-point for every built-in case ------------------

_REGISTRY = fo.load_cases(env=False, entry_points=False)


@given(name=st.sampled_from(sorted(_REGISTRY)), seed=st.integers(0, 2**31 - 1))
def test_batched_equals_pointwise(name: str, seed: int) -> None:
    c = _REGISTRY[name]
    pts = c.random_points(3, seed=seed)
    batch = c.cost(pts)
    single = np.array([c.cost(p) for p in pts]).reshape(batch.shape)
    assume(np.all(np.isfinite(single)))
    # Elementwise work is bit-identical; BLAS may sum a batched matmul in another
    # order, so the registry's own tolerance applies (1e3 eps, normwise).
    assert _close(batch, single, BATCH_RTOL)
    gb = c.grad(pts)
    gs = np.stack([c.grad(p) for p in pts]).reshape(gb.shape)
    assert _close(gb, gs, BATCH_RTOL)


# --- Fornberg weights are exact on polynomials up to the stencil's degree --------------


@given(
    offsets=st.lists(st.integers(-6, 6), min_size=2, max_size=7, unique=True),
    m=st.integers(1, 3),
    coefs=st.lists(st.integers(-9, 9), min_size=7, max_size=7),
    x0=st.fractions(-2, 2, max_denominator=7),
)
def test_fornberg_weights_differentiate_polynomials_exactly_in_mp(
    offsets: list[int], m: int, coefs: list[int], x0: Any
) -> None:
    """Σ w_k p(x_k) = p^(m)(x0) for every polynomial p of degree < len(offsets), with
    weights computed in mp from mp offsets (checked to 60 digits)."""
    from firstorder.gradients.stencils import fornberg_weights

    assume(m < len(offsets))
    mpc = fo.context("mp", 60).mpmath
    deg = len(offsets) - 1
    c = [mpc.mpf(a) for a in coefs[: deg + 1]]
    x0m = mpc.mpf(x0.numerator) / x0.denominator
    pts = [x0m + mpc.mpf(o) / 3 for o in offsets]
    w = fornberg_weights(pts, m=m, x0=x0m)

    def p(x: Any) -> Any:
        return sum(ck * x**k for k, ck in enumerate(c))

    def dp(x: Any) -> Any:
        total = mpc.mpf(0)
        for k, ck in enumerate(c):
            if k >= m:
                fall = 1
                for j in range(m):
                    fall *= k - j
                total += ck * fall * x ** (k - m)
        return total

    got = sum(wk * p(xk) for wk, xk in zip(w, pts, strict=True))
    want = dp(x0m)
    scale = sum(abs(wk * p(xk)) for wk, xk in zip(w, pts, strict=True)) + 1
    assert abs(got - want) <= mpc.mpf(10) ** -50 * scale


# --- the complex step equals the analytic gradient within a few eps ---------------------

_SAFE = sorted(n for n, c in _REGISTRY.items() if c.complex_safe and c.has_gradient)


@given(name=st.sampled_from(_SAFE), seed=st.integers(0, 2**31 - 1))
def test_complex_step_equals_analytic_gradient(name: str, seed: int) -> None:
    """Im C(v + ih e_j)/h has no subtraction: it matches the analytic gradient to a
    few eps, normwise (componentwise relative to the gradient's own size)."""
    c = _REGISTRY[name]
    v = c.random_points(1, seed=seed)[0]
    g = c.grad(v)
    assume(np.all(np.isfinite(g)))
    cs = fo.gradient(c, v, backend="complex-step")
    assert cs.ok, cs.reason
    eps = np.finfo(float).eps
    # float64 evaluation of the analytic formula and of the complex cost each carry
    # round-off of the size of their terms; 64 eps of the largest component covers both
    assert np.max(np.abs(cs.values - g)) <= 64 * eps * np.max(np.abs(g)) + 1e-300, name
