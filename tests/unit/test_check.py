"""check_gradient on plain numpy functions: no case, no ctx."""

from __future__ import annotations

import numpy as np
import pytest

import firstorder as fo


def cost(v):
    return float(np.sum(np.sin(v) * v**2) + np.prod(np.cos(v)))


def grad(v):
    p = np.prod(np.cos(v))
    return np.cos(v) * v**2 + 2 * v * np.sin(v) - p * np.tan(v)


POINT = np.linspace(0.3, 1.1, 7)


def test_correct_gradient_passes():
    res = fo.check_gradient(cost, grad, POINT)
    assert res.verdict == "pass", res.reason
    # The descent direction first, then three random ones.
    assert len(res.results) == 4 and abs(res.order - 2) < 0.05
    assert res.wrong_components == ()


def test_mutants_fail_and_are_named():
    def flipped(v):
        g = grad(v)
        g[2] = -g[2]
        return g

    def scaled(v):
        g = grad(v)
        g[4] *= 1 + 1e-6
        return g

    for fn, wrong in ((flipped, (2,)), (scaled, (4,))):
        res = fo.check_gradient(cost, fn, POINT)
        assert res.verdict == "fail" and res.wrong_components == wrong, res.reason
        d = res.to_dict()
        assert d["wrong_components"] == list(wrong) and d["verdict"] == "fail"
        assert "diagnosis" in d


def test_float32():
    res = fo.check_gradient(cost, grad, POINT, precision="float32")
    assert res.verdict == "pass", res.reason


def test_frame_and_dict():
    res = fo.check_gradient(cost, grad, POINT, directions=2)
    frame = res.to_frame()
    assert set(frame["direction"]) == {0, 1, 2}  # descent and two random
    assert {"verdict", "reason", "order", "order_ci", "wrong_components"} <= set(res.to_dict())


def test_bad_input():
    with pytest.raises(fo.FirstOrderError, match=r"non-finite component `v\[0\]`"):
        fo.check_gradient(cost, grad, [np.nan, 1.0])
    with pytest.raises(fo.FirstOrderError, match=r"gradient of case `cost` has shape \(2,\)"):
        fo.check_gradient(cost, lambda v: np.ones(2), POINT)
    with pytest.raises(fo.FirstOrderError, match="`directions` must be a positive integer"):
        fo.check_gradient(cost, grad, POINT, directions=0)
    with pytest.raises(fo.FirstOrderError, match="must both be callables"):
        fo.check_gradient(cost, None, POINT)


def test_detect_tests_descent_and_random_directions():
    from firstorder.taylor.check import detect

    c = fo.resolve_case("rosenbrock")
    v = c.random_points(1, seed=5)[0]
    res = detect(c, v)
    assert res.verdict == "pass" and len(res.results) == 2
    g = c.grad(v)
    i = int(np.argmax(np.abs(g)))
    g[i] *= 1 + 1e-6
    res = detect(c, v, gradient=g)
    assert res.verdict == "fail" and res.wrong_components == (i,), res.reason
    # Along descent, the error of ∇C·d is δ g_i²/‖g‖: the first direction decides.
    assert len(res.results) == 1


def _poly(v):
    """Plain arithmetic only: mpmath numbers pass through it unchanged."""
    return np.sum(v**4) + v[0] * v[1]


def _poly_grad(v):
    g = 4 * v**3
    g[0] = g[0] + v[1]
    g[1] = g[1] + v[0]
    return g


def test_mp_runs_for_functions_that_carry_mp_numbers():
    """mp is refused only where it cannot reach the function: plain arithmetic gets it,
    and its window spans the decades only mp has."""
    res = fo.check_gradient(_poly, _poly_grad, [0.5, 1.0, 1.5], precision="mp")
    assert res.verdict == "pass", res.reason
    assert all(np.log10(r.h_max / r.h_min) > 15 for r in res.results)

    def wrong(v):
        g = _poly_grad(v)
        g[1] = -g[1]
        return g

    bad = fo.check_gradient(_poly, wrong, [0.5, 1.0, 1.5], precision="mp")
    assert bad.verdict == "fail" and bad.wrong_components == (1,)
    diag = next(r.diagnosis for r in bad.results if r.diagnosis is not None)
    assert diag.ratio[0] == pytest.approx(-1, rel=1e-12)
    assert diag.method in ("complex-step", "mp")


def test_mp_refuses_a_float_gradient_rather_than_failing_it():
    """A right gradient computed in float64 would read as wrong at mp's 50 digits."""

    def float_grad(v):
        return np.array([float(t) for t in _poly_grad(v)])

    with pytest.raises(fo.NotApplicableError, match=r"gradient `float_grad` returns `float`"):
        fo.check_gradient(_poly, float_grad, [0.5, 1.0, 1.5], precision="mp")
