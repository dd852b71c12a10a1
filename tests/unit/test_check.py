"""check_gradient on plain numpy functions: no case, no ctx."""

from __future__ import annotations

import numpy as np
import pytest

import firstorder as fo
from firstorder.taylor.check import detect


def cost(v):
    return float(np.sum(np.sin(v) * v**2) + np.prod(np.cos(v)))


def grad(v):
    p = np.prod(np.cos(v))
    return np.cos(v) * v**2 + 2 * v * np.sin(v) - p * np.tan(v)


POINT = np.linspace(0.3, 1.1, 7)


def test_correct_gradient_passes():
    res = fo.check_gradient(cost, grad, POINT)
    assert res.verdict == "pass", res.reason
    # The descent direction first, then two random ones.
    assert len(res.results) == 3 and abs(res.order - 2) < 0.05
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


def _strict(d):
    import json

    return json.loads(json.dumps(d, allow_nan=False))


def test_dicts_are_strict_json_for_every_verdict():
    """NaN and infinities are null, never bare NaN (invalid JSON)."""

    def flat(v):  # a cost that 1e30 swamps: no step changes it measurably
        return float(1e30 + v @ v)

    def flipped(v):
        g = grad(v)
        g[2] = -g[2]
        return g

    results = {
        "pass": fo.check_gradient(cost, grad, POINT),
        "fail": fo.check_gradient(cost, flipped, POINT),
        "inconclusive": fo.check_gradient(flat, lambda v: 2 * v, np.ones(3)),
        "not-applicable": detect("helical_valley", gradient="complex-step", directions=("random",)),
    }
    for verdict, res in results.items():
        assert res.verdict == verdict, res.reason
        d = _strict(res.to_dict())
        assert d["verdict"] == verdict
        for r in res.results:
            _strict(r.to_dict())
    # Where a number is undefined, it is null.
    na = _strict(results["not-applicable"].to_dict())
    assert na["order"] is None and na["detection_bound"] is None
    assert (
        _strict(fo.taylor_test("helical_valley", gradient="complex-step").to_dict())["order"]
        is None
    )


def test_strict_json_of_numpy_values():
    from firstorder.taylor.fit import strict_json

    data = {"a": np.float64("nan"), "b": [np.inf, 1.5, np.int64(3)], "c": np.array([-np.inf, 2.0])}
    assert strict_json(data) == {"a": None, "b": [None, 1.5, 3], "c": [None, 2.0]}


def test_a_cost_that_takes_batches_is_evaluated_in_one_call():
    """A cost over (k, n) goes through `check` in a handful of calls; the same cost
    returning a float is looped point by point, with the same verdict and bound."""
    calls = {"batched": 0, "looped": 0}

    def batched(v):
        calls["batched"] += 1
        return np.sum(np.sin(v) * v**2, axis=-1) + np.prod(np.cos(v), axis=-1)

    def looped(v):
        calls["looped"] += 1
        return cost(v)

    a = fo.check_gradient(batched, grad, POINT)
    b = fo.check_gradient(looped, grad, POINT)
    assert a.verdict == b.verdict == "pass", (a.reason, b.reason)
    assert calls["batched"] <= 8 < 100 < calls["looped"], calls
    assert a.detection_bound == pytest.approx(b.detection_bound, rel=0.5)
