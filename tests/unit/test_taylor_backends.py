"""The Taylor test of a backend's gradient: h*, and the backend's own error budget."""

from __future__ import annotations

import numpy as np
import pytest

import firstorder as fo
from firstorder.gradients.budget import backend_budget, relative_accuracy


def test_budget_follows_the_formula_order() -> None:
    eps = np.finfo(float).eps
    assert relative_accuracy("central", "float64", 50) == pytest.approx(eps ** (2 / 3))
    assert relative_accuracy("central4", "float64", 50) == pytest.approx(eps ** (4 / 5))
    assert relative_accuracy("forward", "float32", 50) == pytest.approx(
        np.finfo(np.float32).eps ** 0.5, rel=1e-6
    )
    # the complex step runs in complex128 whatever the test's precision
    assert relative_accuracy("complex-step", "mp", 50) == pytest.approx(eps)
    assert relative_accuracy("analytic", "float64", 50) is None
    assert backend_budget("central", "float64", 50, 2.0, 10.0, 5.0) == pytest.approx(
        1e3 * eps ** (2 / 3) * (2.0 + 10.0 / 5.0)
    )


@pytest.mark.parametrize("name", ["rosenbrock", "seed", "booth"])
def test_complex_step_in_mp_serves_down_to_h_star(name: str) -> None:
    """A float64-accurate gradient in an mp test: order 2 down to h*, where
    |dᵀHd|/2·h ≈ |e·d| ≈ eps·‖∇C‖, then the backend's own error."""
    res = fo.taylor_test(name, gradient="complex-step", precision="mp")
    assert (res.verdict, res.judgement) == ("pass", "within-budget"), res.reason
    assert "as accurate as `complex-step` can be here" in res.reason and res.h_star is not None
    eps = np.finfo(float).eps
    gnorm = np.linalg.norm(fo.load_cases()[name].grad(res.point))
    curv = abs(res.curvature)
    # h* sits within a few decades of the crossing eps·‖∇C‖ / (|dᵀHd|/2)
    crossing = eps * gnorm / (curv / 2)
    assert 1e-3 * crossing < res.h_star < 1e3 * crossing


def test_central_in_float64_reports_h_star_and_passes() -> None:
    res = fo.taylor_test("rosenbrock", gradient="central")
    assert res.verdict == "pass", res.reason
    assert res.h_star is not None and res.h_star < 1e-3


def test_linear_cost_with_central_differences_is_the_backends_error_only() -> None:
    g = fo.gradient("linear", backend="central", step="rule")
    res = fo.taylor_test("linear", gradient=g)
    assert (res.verdict, res.judgement) == ("pass", "within-budget"), res.reason
    assert "as accurate as `central` can be here" in res.reason
    # The automatic step sees no curvature and takes a step of the variables' size,
    # where the central difference of a linear cost is exact to round-off.
    assert fo.taylor_test("linear", gradient="central").verdict == "exact"


def test_central_on_badly_scaled_scosine_fails_with_the_size_of_its_error() -> None:
    """SCOSINE's variables span 1e5 in scale: the rule h_j = eps^(1/3)·max(1,|v_j|)
    is far too coarse for the small ones, and the Taylor test says so in numbers."""
    g = fo.gradient("scosine", backend="central", step="rule")
    res = fo.taylor_test("scosine", gradient=g)
    assert res.verdict == "fail"
    assert "exceeds what `central` should make here" in res.reason
    truth = fo.load_cases()["scosine"].grad(res.point)
    assert np.max(np.abs(g.values - truth)) / np.max(np.abs(truth)) > 1e-3
    # the complex step, with no subtraction, has no such trouble; nor has the
    # automatic step, sized per variable
    assert fo.taylor_test("scosine", gradient="complex-step").verdict == "pass"
    assert fo.taylor_test("scosine", gradient="central").verdict == "pass"


def test_a_backend_that_does_not_apply_is_not_applicable() -> None:
    res = fo.taylor_test("gulf", gradient="complex-step")
    assert res.verdict == "not-applicable" and "complex_safe=False" in res.reason
