"""Convergence orders of the whole registry: ``tox -e convergence``.

One test per case × gradient backend × precision, id ``case-backend-precision``.
Each asserts the verdict and the fitted order of the first-order remainder r1 (2),
and of r2 (3) where the case has second derivatives; in mp, with the analytic gradient,
also that r1/h² approaches half the curvature dᵀHd/2.

- **analytic**: the verdict is ``pass`` (``exact`` for a linear cost). ``inconclusive``
  is accepted in float64 only where the harness's stated criterion says the precision
  cannot resolve r1 (predicted clean window under ``RESOLVABLE`` decades) *and* mp,
  at the same point and direction, passes.
- **backends**: a finite-difference or complex-step gradient carries its formula's
  error. The expected verdict is decided independently of the Taylor test, from the
  backend's actual error against the analytic gradient in mp: an error well inside
  the budget of its formula (:func:`firstorder.gradients.budget.backend_budget`) must pass;
  a ``fail`` is only accepted for a backend whose actual error is beyond it (the
  hard cases: badly scaled variables make fixed-rule steps too coarse).
- ``complex-step`` on a case marked ``complex_safe=False`` must be ``not-applicable``.

Grid rule: above :data:`MP_BACKEND_MAX_DIM` components, mp is tested with the
analytic gradient only (a stepped gradient costs O(n) mp cost evaluations; the float64
tests cover the backends there). Marked slow (``tox -e slow``; this env runs them all):
the mp tests of cases tagged ``slow`` (tests/cases checks their backpropagation against
mp derivatives in the fast lane), and stepped gradients in mp above
:data:`FAST_MP_BACKEND_MAX_DIM` components (the fast lane tests them in float64 there,
and in mp on every smaller case).
"""

from __future__ import annotations

import numpy as np
import pytest

import firstorder as fo
from firstorder.gradients.budget import backend_budget
from firstorder.taylor.fit import SAFETY
from firstorder.taylor.harness import PASS_TOL, RESOLVABLE

BACKENDS = ("analytic", "central", "complex-step")
PRECISIONS = ("float64", "mp")
#: Above this dimension, mp is tested with the analytic gradient only.
MP_BACKEND_MAX_DIM = 50
#: Above this dimension, stepped gradients in mp (O(n) mp cost evaluations each) are
#: tested in the slow lane and by `tox -e convergence`, not in the fast lane.
FAST_MP_BACKEND_MAX_DIM = 10
#: Digits in mp, above the cost's own size (the mp floor is eps·|C|).
MP_DPS = 30


def _grid() -> list:
    registry = fo.load_cases(env=False, entry_points=False)
    params = []
    for c in registry.values():
        for backend in BACKENDS:
            for precision in PRECISIONS:
                if precision == "mp" and backend != "analytic" and c.dim > MP_BACKEND_MAX_DIM:
                    continue
                # As every registry-parametrised test of a case tagged slow (costly in
                # mp): its mp test is in the slow lane; float64 stays in the fast one.
                # So are stepped gradients in mp above FAST_MP_BACKEND_MAX_DIM.
                slow = precision == "mp" and (
                    "slow" in c.tags or (backend != "analytic" and c.dim > FAST_MP_BACKEND_MAX_DIM)
                )
                params.append(
                    pytest.param(
                        c,
                        backend,
                        precision,
                        id=f"{c.name}-{backend}-{precision}",
                        marks=[pytest.mark.slow] if slow else [],
                    )
                )
    return params


def _dps(c: fo.Case) -> int:
    value = abs(float(c.cost(c.point())))
    return MP_DPS + max(0, int(np.ceil(np.log10(max(value, 1.0)))))


def _slope(h: np.ndarray, r: np.ndarray) -> float:
    return float(np.polyfit(np.log(h), np.log(r), 1)[0])


def _assert_orders(res: fo.TaylorResult, backend: str) -> None:
    if res.verdict != "pass":
        return
    r1 = res.orders["r1"]
    frame = res.to_frame()
    if backend == "analytic" or "down to h*" not in res.reason:
        if "own error" in res.reason or res.judgement == "within-budget":
            # r1 is the backend's error h·|e·d| at every step: no h² to fit (the error
            # itself was held against the formula's budget above)
            return
        low, high = r1.order_ci
        assert low - PASS_TOL <= 2 <= high + PASS_TOL or low - PASS_TOL > 2, r1
    else:
        # the window above h*, where the h² term leads
        w = frame[frame["in_window"] & (frame["h"] > 2 * res.h_star)]
        if len(w) >= 4:
            assert abs(_slope(w["h"].to_numpy(), w["r1"].to_numpy()) - 2) <= PASS_TOL
    r2 = res.orders.get("r2")
    if backend == "analytic" and r2 is not None and r2.n_points >= 4 and r2.verdict == "pass":
        low, high = r2.order_ci
        assert low - PASS_TOL <= 3 <= high + PASS_TOL or low - PASS_TOL > 3, r2


def _assert_half_curvature(res: fo.TaylorResult) -> None:
    """r1/h² at the smallest quiet mp steps (r1 above SAFETY² floors) is |dᵀHd|/2 up to
    that round-off share; zero curvature where the cost is exact."""
    if res.verdict == "exact":
        assert res.curvature == 0
        return
    assert res.coefficient_agreement < 2 / SAFETY**2, res.reason


@pytest.mark.parametrize(("cost_case", "backend", "precision"), _grid())
def test_taylor_order(cost_case: fo.Case, backend: str, precision: str) -> None:
    c = cost_case
    dps = _dps(c)
    res = fo.taylor_test(c, gradient=backend, precision=precision, dps=dps)
    if backend == "complex-step" and not c.complex_safe:
        assert res.verdict == "not-applicable", res.reason
        assert "complex" in res.reason
        return
    want = "exact" if "linear" in c.tags else "pass"
    if res.verdict == "inconclusive" and precision != "mp":
        assert res.predicted_decades < RESOLVABLE, res.reason
        mp = fo.taylor_test(c, res.point, res.direction, precision="mp", dps=dps)
        assert mp.verdict == want, mp.reason
        return
    if backend == "analytic":
        assert res.verdict == want, res.reason
        if precision == "mp" and res.verdict == "pass":
            # The evidence float64 cannot give: order 2 over at least 10 decades of h
            # (this env is the one place every case is Taylor-tested at x0).
            assert np.log10(res.h_max / res.h_min) >= 10, res.reason
            assert abs(res.order - 2) < 0.01, res.reason
        if precision == "mp" and c.has_hessian:
            _assert_half_curvature(res)
        if res.verdict == "pass":
            assert res.n_points >= 4 and np.log10(res.h_max / res.h_min) >= 1
    else:
        g = fo.gradient(c, backend=backend, precision=precision, dps=dps)
        assert g.ok, g.reason
        mpc = fo.context("mp", dps)
        truth = c.grad(mpc.asarray(c.point()), mpc)
        err = float(np.linalg.norm(mpc.to_float(mpc.asarray(g.values) - truth)))
        gnorm = float(np.linalg.norm(mpc.to_float(truth)))
        scale = max(1.0, float(np.max(np.abs(c.point()))))
        budget = backend_budget(backend, precision, dps, gnorm, float(c.cost(c.point())), scale)
        assert budget is not None
        if err <= budget / 10:
            assert res.verdict in ("pass", "exact"), (res.reason, err, budget)
        else:
            # the backend is worse than its formula promises here: a fail is honest
            assert res.verdict in ("pass", "exact", "fail"), res.reason
        if res.verdict == "fail":
            assert err > budget / 10, (res.reason, err, budget)
    _assert_orders(res, backend)
