"""The classic and scalable families: minima, closed forms, and n up to 10⁵.

The registry-wide tests (test_case_derivatives.py) check every case's derivatives at
its default dimension; here the minima are refined by Newton's method in mp, the
closed-form values the literature gives are reproduced, and the scalable cases are
checked at several n and evaluated at n = 10⁵ within O(n) memory.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from fo_support import REF_DPS, probe_directions, reference_projections, relative_gap

import firstorder as fo
from firstorder.case.model import published_tolerance
from firstorder.gradients.reference import directional_derivative

EPS = np.finfo(float).eps
F64_RTOL = 1e-12
MP_RTOL = 1e-30

CLASSIC = [
    "booth",
    "goldstein_price",
    "six_hump_camel",
    "three_hump_camel",
    "mccormick",
    "branin",
    "himmelblau",
    "matyas",
    "colville",
    "bohachevsky1",
    "bohachevsky2",
    "easom",
    "levy13",
    "hartmann3",
]
SCALABLE = [
    "ext_rosenbrock",
    "ext_powell",
    "trid",
    "sum_of_squares",
    "dixon_price",
    "styblinski_tang",
    "zakharov",
    "rotated_ellipsoid",
]
BIG_N = 100_000


@pytest.fixture(scope="module")
def reg() -> fo.Registry:
    return fo.load_cases(env=False, entry_points=False)


def test_family_sizes_and_tags(reg):
    names = {c.name for c in reg.values() if "classic" in c.tags}
    assert set(CLASSIC) <= names
    assert len(set(CLASSIC) | {n for n in SCALABLE if "classic" in reg[n].tags}) >= 14
    assert all("scalable" in reg[n].tags and reg[n].scalable for n in SCALABLE)
    assert all(reg[n].has_hessian for n in CLASSIC + SCALABLE)


def _newton_mp(case, x, mp, steps=4):
    """Newton's method in mp from ``x``; returns the refined point and the last H."""
    m = mp.mpmath
    x = mp.asarray(x)
    for _ in range(steps):
        g = case.grad(x, mp)
        h = case.hess(x, mp)
        if max(abs(t) for t in g) < mp.const("1e-35"):
            break
        step = m.lu_solve(m.matrix(h.tolist()), m.matrix(g.tolist()))
        x = x - np.array([step[i] for i in range(len(x))], dtype=object)
    return x, case.hess(x, mp)


@pytest.mark.parametrize("name", CLASSIC + SCALABLE)
def test_recorded_minimum_is_a_minimum_with_the_published_value(reg, name):
    """xmin is the float64-rounded minimiser: the gradient there is zero to within
    ‖H‖·eps·‖x‖, Newton's method in mp moves it by at most a few ulps, the Hessian
    is positive semidefinite, and the cost matches the published minimum."""
    case = reg[name]
    mp = fo.context("mp", REF_DPS)
    xmin = case.point("xmin")
    h0 = np.array(case.hess(xmin, mp).tolist(), dtype=object)
    hnorm = max(sum(abs(t) for t in row) for row in h0)
    xnorm = max(1.0, float(np.max(np.abs(xmin))))
    g_at_xmin = case.grad(xmin, mp)
    assert max(abs(t) for t in g_at_xmin) <= 2 * EPS * hnorm * xnorm
    g64 = case.grad(xmin)
    assert np.max(np.abs(g64)) <= 64 * EPS * float(hnorm) * xnorm

    xstar, hstar = _newton_mp(case, xmin, mp)
    moved = max(abs(a - b) for a, b in zip(xstar, mp.asarray(xmin), strict=True))
    assert moved <= 4 * EPS * xnorm
    eig = mp.mpmath.eigsy(mp.mpmath.matrix(hstar.tolist()), eigvals_only=True)
    assert min(eig) >= -mp.const("1e-30") * hnorm

    fstar = case.cost(xstar, mp)[()]
    published = case.minimum if isinstance(case.minimum, str) else float(case.minimum)
    assert abs(fstar - mp.const(published)) <= max(
        published_tolerance(case.minimum), 8 * EPS * max(1.0, abs(float(fstar)))
    )


def test_mccormick_minimum_in_closed_form(reg):
    """x + y = −2π/3 and x − y = 1 at the minimum, F* = −√3/2 − π/3."""
    mp = fo.context("mp", REF_DPS)
    m = mp.mpmath
    x, y = 0.5 - m.pi / 3, -0.5 - m.pi / 3
    g = reg["mccormick"].grad(np.array([x, y], dtype=object), mp)
    assert max(abs(t) for t in g) < mp.const("1e-35")
    f = reg["mccormick"].cost(np.array([x, y], dtype=object), mp)[()]
    assert abs(f - (-m.sqrt(3) / 2 - m.pi / 3)) < mp.const("1e-35")


def test_colville_value_printed_in_a_stored_implementation(reg):
    """colville([1, 2, 3, 4]) = 2514.4 (a doctest of a public implementation)."""
    c = reg["colville"]
    mp = fo.context("mp", REF_DPS)
    assert abs(c.cost([1.0, 2.0, 3.0, 4.0], mp)[()] - mp.const("2514.4")) < mp.const("1e-35")


# -- scalable: closed forms at several n ---------------------------------------------------

SEVERAL_N = (4, 8, 20, 100)


@pytest.mark.parametrize("n", SEVERAL_N)
def test_scalable_closed_forms(reg, n):
    mp = fo.context("mp", REF_DPS)
    exact = {
        "ext_rosenbrock": mp.const("12.1") * n,
        "ext_powell": mp.const(215 * n // 4),
        "trid": mp.const(n),
        "sum_of_squares": mp.const(n * (n + 1) // 2),
        "dixon_price": mp.const(n * (n + 1) // 2 - 1),
    }
    for name, value in exact.items():
        case = reg[name]
        f = case.cost(case.point(n=n), mp)[()]
        # x0 holds float64-rounded decimals (−1.2): agreement to a few float64 ulps.
        assert abs(f - value) <= 8 * EPS * abs(value), name
    # Trid: F* = −n(n + 4)(n − 1)/6 at x_i = i(n + 1 − i), where the gradient vanishes.
    i = np.arange(1, n + 1)
    xt = (i * (n + 1 - i)).astype(float)
    assert np.all(reg["trid"].grad(xt) == 0)
    assert reg["trid"].cost(xt, mp)[()] == mp.const(-n * (n + 4) * (n - 1) // 6)
    # Dixon–Price: F* = 0 at x_i = 2^(−(2^i − 2)/2^i).
    m = mp.mpmath
    xd = np.array([m.mpf(2) ** (-(m.mpf(2) ** k - 2) / m.mpf(2) ** k) for k in i], dtype=object)
    assert abs(reg["dixon_price"].cost(xd, mp)[()]) < mp.const("1e-35")
    # Styblinski–Tang: F* = n · min(x⁴ − 16x² + 5x)/2.
    r = m.findroot(lambda t: 4 * t**3 - 32 * t + 5, -2.9)
    fs = reg["styblinski_tang"].cost(np.array([r] * n, dtype=object), mp)[()]
    assert abs(fs - n * (r**4 - 16 * r**2 + 5 * r) / 2) < mp.const("1e-35") * n


def _admissible(case, n):
    return n if case.accepts(n) else 4 * (n // 4)


@pytest.mark.parametrize("name", SCALABLE)
@pytest.mark.parametrize("n", SEVERAL_N)
def test_scalable_gradient_at_several_n(reg, name, n):
    case = reg[name]
    n = _admissible(case, n)
    v = case.random_points(1, seed=n, n=n)[0]
    dirs = probe_directions(n, seed=n)
    ref = reference_projections(case, v, dirs)
    assert relative_gap(dirs @ case.grad(v), ref, float(case.cost(v))) <= F64_RTOL


@pytest.mark.parametrize("name", SCALABLE)
def test_hessian_vector_product_at_moderate_n(reg, name):
    """H·d against the 40-digit mp derivative of the gradient along d, at n = 48."""
    case = reg[name]
    n = 48
    mp = fo.context("mp", 50)
    v = case.random_points(1, seed=3, n=n)[0]
    dirs = probe_directions(n, seed=3)[:5]
    ref = directional_derivative(case.grad, v, dirs, dps=REF_DPS)
    scale = float(case.cost(v))
    for d, r in zip(dirs, ref, strict=True):
        assert relative_gap(case.hess_vec(v, d), r, scale) <= 1e3 * F64_RTOL
        assert relative_gap(case.hess_vec(v, d, mp), r, scale) <= MP_RTOL


@pytest.mark.parametrize("name", SCALABLE)
def test_small_n_hessian_is_symmetric_and_matches_the_product(reg, name):
    case = reg[name]
    n = 8
    v = case.random_points(2, seed=5, n=n)
    h = case.hess(v)
    assert h.shape == (2, n, n)
    hmax = np.max(np.abs(h), axis=(1, 2))
    assert np.all(np.abs(h - np.swapaxes(h, -1, -2)) <= 8 * n * EPS * hmax[:, None, None])
    d = np.random.default_rng(5).standard_normal(n)
    hv = case.hess_vec(v, d)
    scale = hmax[:, None] * np.sum(np.abs(d))
    assert np.all(np.abs(h @ d - hv) <= 8 * EPS * scale)


# -- scalable: n = 10⁵ -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCALABLE)
def test_scalable_at_a_hundred_thousand_in_linear_memory(reg, name):
    """Cost, gradient and H·d at n = 10⁵ in float64: finite, agreeing with complex-step
    derivatives, and using O(n) memory (an n × n array would be 80 GB). Speed belongs to the
    benchmarks, not here."""
    case = reg[name]
    n = BIG_N
    v = case.random_points(2, seed=11, n=n)
    d = np.random.default_rng(11).standard_normal(n)
    tracemalloc.start()
    try:
        f = case.cost(v)
        g = case.grad(v)
        hv = case.hess_vec(v, d)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f.shape == (2,) and g.shape == (2, n) and hv.shape == (2, n)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(g)) and np.all(np.isfinite(hv))
    # Peak memory: a few dozen arrays of the batch's size, never n².
    assert peak <= 64 * v.nbytes, f"peak {peak / 1e6:.1f} MB"
    # Against the complex step (Squire & Trapp), exact to rounding and O(n) too: the
    # gradient along a random direction, and H·d as the derivative of the gradient.
    h = 1e-150
    u = np.random.default_rng(12).standard_normal(n)
    u /= np.linalg.norm(u)
    cs_slope = np.imag(case.cost(v + 1j * h * u, "complex128")) / h
    tol = 64 * EPS * (np.abs(g) @ np.abs(u) + np.abs(cs_slope))
    assert np.all(np.abs(g @ u - cs_slope) <= tol)
    cs_hv = np.imag(case.grad(v + 1j * h * d, "complex128")) / h
    assert np.max(np.abs(hv - cs_hv)) <= 64 * EPS * np.max(np.abs(cs_hv))


@pytest.mark.parametrize("name", CLASSIC + SCALABLE)
def test_float32_evaluation_stays_in_float32(reg, name):
    case = reg[name]
    v = case.random_points(3, seed=2).astype(np.float32)
    f32 = fo.context("float32")
    assert case.cost(v, f32).dtype == np.float32
    assert case.grad(v, f32).dtype == np.float32
    assert case.hess_vec(v, np.ones(v.shape[-1]), f32).dtype == np.float32


@pytest.mark.parametrize("name", CLASSIC + SCALABLE)
def test_complex_step_reproduces_the_gradient(reg, name):
    """Every case here is analytic, so the complex step gives ∇C·e_i to rounding."""
    case = reg[name]
    assert case.complex_safe
    for v in case.random_points(3, seed=4):
        n = len(v)
        h = 1e-150
        cs = np.imag(case.cost(v + 1j * h * np.eye(n), "complex128")) / h
        g = case.grad(v)
        assert np.max(np.abs(cs - g)) <= 64 * EPS * max(np.max(np.abs(g)), abs(case.cost(v)))
