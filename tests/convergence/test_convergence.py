"""Convergence orders of the whole registry: ``tox -e convergence``.

One test per case × gradient backend × precision, id ``case-backend-precision``.
Each asserts the verdict and the fitted order of the first-order remainder r1 (2),
and of r2 (3) where the case has second derivatives.

Grid rule: in mp, a finite-difference or complex-step gradient costs one mp (or
complex) cost evaluation per component and its Taylor test then sweeps in mp; for
cases above :data:`MP_BACKEND_MAX_DIM` components only the analytic gradient is
tested in mp (the float64 tests cover the backends there).
"""

from __future__ import annotations

import pytest

import firstorder as fo
from firstorder._taylor import PASS_TOL
from firstorder.testing import select_cases

BACKENDS = ("analytic", "central", "complex-step")
PRECISIONS = ("float64", "mp")
#: Above this dimension, mp is tested with the analytic gradient only.
MP_BACKEND_MAX_DIM = 50


def _grid() -> list:
    registry = fo.load_cases(env=False, entry_points=False)
    params = []
    for c in select_cases(registry):
        for backend in BACKENDS:
            for precision in PRECISIONS:
                if precision == "mp" and backend != "analytic" and c.dim > MP_BACKEND_MAX_DIM:
                    continue
                params.append(
                    pytest.param(c, backend, precision, id=f"{c.name}-{backend}-{precision}")
                )
    return params


@pytest.mark.parametrize(("cost_case", "backend", "precision"), _grid())
def test_taylor_order(cost_case: fo.Case, backend: str, precision: str) -> None:
    result = fo.taylor_test(cost_case, gradient=backend, precision=precision)
    if backend == "complex-step" and not cost_case.complex_safe:
        assert result.verdict == "not-applicable", result.reason
        assert "complex" in result.reason
        return
    assert result.verdict in ("pass", "exact"), result.reason
    if result.verdict == "exact":
        return
    r1 = result.orders["r1"]
    low, high = r1.order_ci
    assert low - PASS_TOL <= 2 <= high + PASS_TOL, (r1.order, r1.order_ci)
    r2 = result.orders.get("r2")
    if r2 is not None and backend == "analytic" and r2.n_points >= 4:
        low, high = r2.order_ci
        assert low - PASS_TOL <= 3 <= high + PASS_TOL, (r2.order, r2.order_ci)
