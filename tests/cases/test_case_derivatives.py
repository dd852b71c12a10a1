"""Every built-in case: derivatives against 40-digit mp derivatives of its own cost.

At x0 and at 5 seeded random points near it: the float64 analytic gradient agrees to
1e-12 (normwise relative), the mp one to 1e-30; a Hessian (or Hessian-vector product)
agrees with the mp derivative of the gradient likewise.
"""

from __future__ import annotations

import numpy as np
from fo_support import REF_DPS, probe_directions, reference_projections, relative_gap

import firstorder as fo
from firstorder.gradients.reference import directional_derivative

F64_RTOL = 1e-12
MP_RTOL = 1e-30
N_RANDOM = 5


def _points(case):
    return np.vstack([case.point()[None], case.random_points(N_RANDOM, seed=1)])


def test_gradient_matches_mp_derivative(case):
    mp = fo.context("mp", 50)
    for k, v in enumerate(_points(case)):
        dirs = probe_directions(len(v), seed=k)
        ref = reference_projections(case, v, dirs)
        value = float(case.cost(v))
        g64 = case.grad(v)
        gmp = case.grad(v, mp)
        got64 = dirs @ g64
        gotmp = np.array([sum(d * g for d, g in zip(row, gmp, strict=True)) for row in dirs])
        assert relative_gap(got64, ref, value) <= F64_RTOL, f"float64 gradient at point {k}"
        assert relative_gap(gotmp, ref, value) <= MP_RTOL, f"mp gradient at point {k}"


def test_second_derivatives_match_mp_derivative_of_the_gradient(hessian_case):
    case = hessian_case
    mp = fo.context("mp", 50)
    for k, v in enumerate(_points(case)[:3]):
        dirs = probe_directions(len(v), seed=k)[:6]
        ref = directional_derivative(case.grad, v, dirs, dps=REF_DPS)  # (k, n): H d
        for row, r in zip(dirs, ref, strict=True):
            got64 = case.hess_vec(v, row)
            gotmp = case.hess_vec(v, row, mp)
            scale = float(case.cost(v))
            assert relative_gap(got64, r, scale) <= 1e3 * F64_RTOL, f"float64 H·d at point {k}"
            assert relative_gap(gotmp, r, scale) <= MP_RTOL, f"mp H·d at point {k}"


def test_batch_agrees_with_point_by_point(case):
    pts = _points(case)
    batch = case.cost(pts.reshape(2, 3, -1))
    single = np.array([case.cost(p) for p in pts]).reshape(2, 3)
    np.testing.assert_allclose(batch, single, rtol=64 * np.finfo(float).eps, atol=0)
    gb = case.grad(pts)
    gs = np.array([case.grad(p) for p in pts])
    scale = np.max(np.abs(gs), axis=1, keepdims=True)
    assert np.all(np.abs(gb - gs) <= 64 * np.finfo(float).eps * scale)


def test_float64_value_matches_mp(case):
    mp = fo.context("mp", 50)
    for v in _points(case):
        f64 = float(case.cost(v))
        fmp = case.cost(v, mp)[()]
        # A float64 evaluation is good to a modest multiple of eps in the magnitude of
        # the terms it sums; these cases sum few terms of the value's size.
        assert abs(f64 - fmp) <= 1e3 * np.finfo(float).eps * max(abs(fmp), 1e-300)


def test_published_value_at_x0(published_case):
    case = published_case
    from firstorder.case.model import published_tolerance

    mp = fo.context("mp", 50)
    assert abs(case.cost(case.point(), mp)[()] - mp.const(float(case.value))) <= (
        published_tolerance(case.value)
    )


def test_squire_trapp_derivative_is_the_published_one(registry):
    """f'(1.5) = 4.0534278938986201... (Squire & Trapp 1998; Martins et al. 2003)."""
    c = registry["squire_trapp"]
    g = c.grad([1.5], fo.context("mp", 50))[0]
    assert abs(g - fo.context("mp", 50).const("4.05342789389862")) < 1e-14
