"""Neural, hard and non-analytic cases: backpropagation, scale, and what makes them hard.

Backpropagated gradients are checked at random parameters (away from x0) against the
complex step in every component and against 40-digit mp directional derivatives.
Tolerances are multiples of float64 eps scaled by the number of terms summed.
"""

from __future__ import annotations

import time
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest
from fo_support import REF_DPS, relative_gap

import firstorder as fo
from firstorder.gradients.reference import reference_directional

EPS = np.finfo(float).eps
NEURAL = ["nielsen_quadratic", "softmax_cross_entropy", "logistic_l2", "tanh_network"]
HARD = [
    "scosine",
    "huge_offset",
    "huge_scale",
    "tiny_scale",
    "exp_growth",
    "ill_conditioned",
    "quartic_valley",
    "stationary_saddle",
    "partial_stationary",
]


def _random_parameters(c: fo.Case, seed: int, n: int | None = None) -> np.ndarray:
    """Parameters away from x0: standard normal, scaled like x0's spread."""
    x0 = c.point(n=n)
    rng = np.random.default_rng(seed)
    return np.std(x0) * rng.standard_normal(len(x0))


def _module_of(c: fo.Case) -> SimpleNamespace:
    """The module namespace a case was defined in (its data live there)."""
    return SimpleNamespace(**c.cost_fn.__globals__)


def _complex_step_gradient(c: fo.Case, v: np.ndarray) -> np.ndarray:
    """Every component of ∇C(v) by the complex step, batched over the n unit directions."""
    h = 1e-30
    pts = v + 1j * h * np.eye(len(v))
    return np.imag(c.cost(pts, "complex128")) / h


@pytest.mark.parametrize("name", NEURAL)
def test_backprop_matches_complex_step_at_random_parameters(registry, name):
    c = registry[name]
    for seed in (11, 12):
        v = _random_parameters(c, seed)
        g = c.grad(v)
        cs = _complex_step_gradient(c, v)
        # Both are float64 sums of O(P) terms of the gradient's size.
        tol = 16 * EPS * np.sqrt(len(v)) * np.max(np.abs(cs))
        assert np.max(np.abs(g - cs)) <= tol, f"{name} at seed {seed}"


@pytest.mark.parametrize("name", [*NEURAL, "neural_width"])
def test_backprop_matches_mp_reference_at_random_parameters(registry, name):
    c = registry[name]
    v = _random_parameters(c, 21)
    dirs = np.random.default_rng(22).standard_normal((3, len(v)))
    ref = reference_directional(c, v, dirs, dps=REF_DPS)
    mp = fo.context("mp", REF_DPS)
    gmp = c.grad(v, mp)
    got = np.array([sum(d * g for d, g in zip(row, gmp, strict=True)) for row in dirs])
    assert relative_gap(got, ref, float(c.cost(v))) <= 10 * mp.eps * len(v)
    assert relative_gap(dirs @ c.grad(v), ref, float(c.cost(v))) <= 16 * EPS * len(v)


def test_neural_sizes_and_batched_backprop(registry):
    assert 150 <= registry["nielsen_quadratic"].dim <= 300
    assert 1000 <= registry["tanh_network"].dim <= 2000
    for name in [*NEURAL, "neural_width"]:
        c = registry[name]
        assert "neural" in c.tags
        pts = np.stack([_random_parameters(c, s) for s in range(4)]).reshape(2, 2, -1)
        gb = c.grad(pts)
        gs = np.array([c.grad(p) for p in pts.reshape(4, -1)]).reshape(gb.shape)
        np.testing.assert_allclose(gb, gs, rtol=0, atol=64 * EPS * np.max(np.abs(gs)))


@pytest.mark.parametrize("name", ["nielsen_quadratic", "softmax_cross_entropy", "logistic_l2"])
def test_hessian_vector_products_match_complex_step_of_backprop(registry, name):
    """H u by the R-operator against Im ∇C(v + i h u)/h, at random parameters."""
    c = registry[name]
    v = _random_parameters(c, 31)
    u = np.random.default_rng(32).standard_normal(len(v))
    h = 1e-30
    cs = np.imag(c.grad(v + 1j * h * u, "complex128")) / h
    hv = c.hess_vec(v, u)
    assert np.max(np.abs(hv - cs)) <= 16 * EPS * len(v) * np.max(np.abs(cs))


@pytest.mark.parametrize("seed", [41, 43])
def test_tanh_network_hessian_vector_matches_complex_step_of_backprop(registry, seed):
    """The R-operator H d of the 8–32–32–2 tanh network against Im ∇C(v + i h d)/h."""
    c = registry["tanh_network"]
    v = _random_parameters(c, seed)
    d = np.random.default_rng(seed + 1).standard_normal(len(v))
    h = 1e-30
    cs = np.imag(c.grad(v + 1j * h * d, "complex128")) / h
    hv = c.hess_vec(v, d)
    # Both are float64 backprop sweeps: sums of O(P) terms, rounding ≲ eps·√P per sweep.
    assert np.linalg.norm(hv - cs) <= 256 * EPS * np.linalg.norm(cs)


def test_tanh_network_hessian_vector_matches_mp_difference_of_the_gradient(registry):
    """H d against a 40-digit mp central difference of the backprop gradient along d."""
    c = registry["tanh_network"]
    mp = fo.context("mp", REF_DPS)
    v = _random_parameters(c, 51)
    d = np.random.default_rng(52).standard_normal(len(v))
    # Truncation h²‖∇³C‖ ~ 1e-24 and rounding 10⁻⁴⁰/h ~ 1e-28: far below float64 eps.
    h = mp.const("1e-12")
    vm, dm = mp.asarray(v), mp.asarray(d)
    gpm = c.grad(np.stack([vm + h * dm, vm - h * dm]), mp)
    ref = (gpm[0] - gpm[1]) / (2 * h)
    scale = float(max(abs(t) for t in ref))
    hv = c.hess_vec(v, d)
    assert relative_gap(hv, ref, scale) <= 256 * EPS
    hv_mp = c.hess_vec(v, d, mp)
    assert relative_gap(hv_mp, ref, scale) <= 1e-20


@pytest.mark.parametrize("precision", ["float64", "mp"])
def test_logistic_hessian_and_its_product_agree(registry, precision):
    c = registry["logistic_l2"]
    ctx = fo.context(precision)
    v = _random_parameters(c, 7)
    d = np.random.default_rng(8).standard_normal(len(v))
    full = ctx.to_float(c.hess(v, ctx)) @ d
    prod = ctx.to_float(c.hess_vec(v, d, ctx))
    assert np.max(np.abs(full - prod)) <= 16 * EPS * len(v) * np.max(np.abs(full))


def test_nielsen_backprop_matches_a_per_sample_loop(registry):
    """Nielsen's `backprop`, written sample by sample as in network.py, gives the same."""
    c = registry["nielsen_quadratic"]
    nn = _module_of(c)  # the case's data
    v = _random_parameters(c, 5)
    w1, b1, w2, b2 = (p for p in nn._split(v, nn._NQ_SHAPES))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    gw1, gb1, gw2, gb2 = (np.zeros_like(p) for p in (w1, b1, w2, b2))
    for x, y in zip(nn._NQ_X, nn._NQ_Y, strict=True):
        a1 = sig(w1 @ x + b1)
        a2 = sig(w2 @ a1 + b2)
        d2 = (a2 - y) * a2 * (1 - a2)
        d1 = (w2.T @ d2) * a1 * (1 - a1)
        gw2 += np.outer(d2, a1)
        gb2 += d2
        gw1 += np.outer(d1, x)
        gb1 += d1
    loop = np.concatenate([p.ravel() for p in (gw1, gb1, gw2, gb2)]) / nn._NQ_N
    g = c.grad(v)
    assert np.max(np.abs(g - loop)) <= 16 * EPS * np.sqrt(len(v)) * np.max(np.abs(loop))


def test_neural_width_at_n_1e5_is_cheap_and_linear_in_memory(registry):
    c = registry["neural_width"]
    n = 100_000
    assert c.accepts(n)
    v = c.point(n=n)
    tracemalloc.start()
    t0 = time.perf_counter()
    f = c.cost(v)
    g = c.grad(v)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.isfinite(f) and g.shape == (n,) and np.all(np.isfinite(g))
    # O(N n) memory: a few (N, n/5) work arrays; an n×n array would need 8e10 bytes.
    assert peak <= 64 * 8 * 8 * n
    assert elapsed < 5.0
    d = np.random.default_rng(3).standard_normal(n)
    h = 1e-30
    cs = float(np.imag(c.cost(v + 1j * h * d, "complex128")) / h)
    assert abs(cs - g @ d) <= 16 * EPS * np.sqrt(n) * np.abs(g) @ np.abs(d)
    # The Hessian-vector product against the complex step of the gradient.
    hv = c.hess_vec(v, d)
    hv_cs = np.imag(c.grad(v + 1j * h * d, "complex128")) / h
    assert np.all(np.isfinite(hv))
    assert np.max(np.abs(hv - hv_cs)) <= 16 * EPS * np.sqrt(n) * np.max(np.abs(hv_cs))


# -- hard cases -----------------------------------------------------------------------------


def test_hard_cases_are_tagged_hard(registry):
    for name in HARD:
        assert "hard" in registry[name].tags


@pytest.mark.parametrize("n", [10, 1000, 100_000])
def test_scosine_scales_span_1e5_at_every_n(registry, n):
    c = registry["scosine"]
    x0 = c.point(n=n)
    assert np.max(x0) / np.min(x0) >= 1e5
    f = float(c.cost(x0))
    assert abs(f - (n - 1) * np.cos(0.5)) <= 64 * EPS * n
    g = c.grad(x0)
    assert g.shape == (n,) and np.all(np.isfinite(g))
    hv = c.hess_vec(x0, np.ones(n))
    assert hv.shape == (n,) and np.all(np.isfinite(hv))
    # Curvature along the last variable is ≥ 1e5 times that along the first.
    e1 = np.zeros(n)
    e1[0] = 1.0
    h11 = abs(c.hess_vec(x0, e1)[0])
    hnn = abs(c.hess_vec(x0, e1[::-1].copy())[-1])
    assert hnn / h11 >= 1e5


def test_huge_and_tiny_values(registry):
    for name in ("huge_offset", "huge_scale"):
        c = registry[name]
        assert float(c.cost(c.point())) >= 1e12
        assert np.all(c.cost(c.random_points(5, seed=1)) >= 1e12)
    c = registry["tiny_scale"]
    vals = c.cost(np.vstack([c.point()[None], c.random_points(5, seed=1)]))
    assert np.all((vals > 0) & (vals <= 1e-10))
    # Variables of size 1e-6: an absolute step of 1e-8 is a 1% change.
    assert np.max(np.abs(c.point())) <= 2e-6


def test_huge_offset_defeats_forward_differences(registry):
    c = registry["huge_offset"]
    x0 = c.point()
    g = c.grad(x0)
    h = np.sqrt(EPS)
    fd = np.array([(c.cost(x0 + h * e) - c.cost(x0)) / h for e in np.eye(3)])
    assert np.max(np.abs(fd - g)) / np.max(np.abs(g)) >= 1e-2


def test_exp_growth_derivatives_grow_tenfold(registry):
    c = registry["exp_growth"]
    x0 = c.point()
    f, g, h = float(c.cost(x0)), c.grad(x0), c.hess(x0)
    assert f >= 1e8
    assert g[0] / f == pytest.approx(10, rel=1e-2)
    assert h[0, 0] / g[0] == pytest.approx(10, rel=1e-2)


def test_ill_conditioned_hessian_is_nearly_singular(registry):
    c = registry["ill_conditioned"]
    for v in np.vstack([c.point()[None], c.random_points(5, seed=1)]):
        lam = np.linalg.eigvalsh(c.hess(v))
        assert lam[0] > 0 and lam[-1] / lam[0] >= 1e8


def test_quartic_valley_is_flat_at_its_minimum(registry):
    c = registry["quartic_valley"]
    xmin = c.point("xmin")
    assert float(c.cost(xmin)) == 0.0
    assert np.all(c.grad(xmin) == 0) and np.all(c.hess(xmin) == 0)


@pytest.mark.parametrize("precision", ["float64", "float32", "complex128", "mp"])
def test_stationary_gradients_are_exactly_zero(registry, precision):
    c = registry["stationary_saddle"]
    g = c.grad(c.point(), precision)
    assert all(t == 0 for t in g)
    lam = np.linalg.eigvalsh(c.hess(c.point()))
    assert lam[0] < 0 < lam[-1]
    c = registry["partial_stationary"]
    g = c.grad(c.point(), precision)
    assert g[0] == 0 and g[1] == 0
    assert all(abs(t) > 0.1 for t in g[2:])


# -- non-analytic cases ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["huber_regression", "lasso"])
def test_nonanalytic_cases_are_flagged_and_start_away_from_kinks(registry, name):
    c = registry[name]
    assert c.complex_safe is False
    assert "nonanalytic" in c.tags
    assert "complex-step safe" in c.doc and "analytic" in c.doc
    na = _module_of(c)
    pts = np.vstack([c.point()[None], c.random_points(5, seed=1)])
    if name == "lasso":
        kink_distance = np.min(np.abs(pts))
    else:
        r = na._HU_Y - pts @ na._HU_X.T
        kink_distance = np.min(np.abs(np.abs(r) - na._HU_DELTA))
    # Far beyond any differencing step the tests take (≤ 1e-5 relative).
    assert kink_distance >= 1e-2
