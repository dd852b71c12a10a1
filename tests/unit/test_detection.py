"""The symmetric remainder as detector: false alarms, thresholds, location, reach.

User costs are plain numpy with hand-written gradients (``fo_user_costs``), checked
the way a user would, with ``check_gradient`` at its defaults.
"""

from __future__ import annotations

import json
import math

import fo_user_costs as U
import numpy as np
import pytest

import firstorder as fo
from firstorder.taylor.detection import ALLOW

WELL = [c for c in U.COSTS if c.well_scaled]
MIXED = next(c for c in U.COSTS if not c.well_scaled)
ids = [c.name for c in U.COSTS]


def _scaled_largest(g: np.ndarray, delta: float) -> np.ndarray:
    out = g.copy()
    i = int(np.argmax(np.abs(g)))
    out[i] *= 1 + delta
    return out


def _check(c: U.UserCost, v: np.ndarray, g: np.ndarray, seed: int = 0) -> fo.CheckResult:
    return fo.check_gradient(c.cost, lambda _v: g, v, seed=seed)


@pytest.mark.parametrize("c", U.COSTS, ids=ids)
def test_right_gradients_pass_with_a_stated_bound(c):
    """No false alarm and no inconclusive on right gradients (10 draws; 100 in the slow lane)."""
    for k, v in enumerate(c.points(10, seed=1)):
        res = fo.check_gradient(c.cost, c.grad, v, seed=k)
        assert res.verdict == "pass", (k, res.reason)
        assert math.isfinite(res.detection_bound_relative), res.reason
        assert "would have been detected" in res.reason


@pytest.mark.slow
@pytest.mark.parametrize("c", U.COSTS, ids=ids)
def test_no_false_alarm_over_100_draws(c):
    verdicts = [
        fo.check_gradient(c.cost, c.grad, v, seed=k).verdict
        for k, v in enumerate(c.points(100, seed=2))
    ]
    assert verdicts.count("fail") == 0
    assert verdicts.count("inconclusive") == 0


@pytest.mark.parametrize("c", WELL, ids=[c.name for c in WELL])
@pytest.mark.parametrize("kind", ["whole", "largest"])
def test_faults_of_1e_8_are_detected_on_well_scaled_costs(c, kind):
    for k, v in enumerate(c.points(3, seed=3)):
        g = c.grad(v)
        bad = g * (1 + 1e-8) if kind == "whole" else _scaled_largest(g, 1e-8)
        res = _check(c, v, bad, seed=k)
        assert res.verdict == "fail", (k, res.reason)


# Locating evaluates the cost at steps of 1e-2·max|v| = 1e2, where its exp overflows.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("kind", ["whole", "largest"])
def test_faults_of_1e_6_are_detected_on_the_mixed_scale_cost(kind):
    c = MIXED
    for k, v in enumerate(c.points(3, seed=3)):
        g = c.grad(v)
        bad = g * (1 + 1e-6) if kind == "whole" else _scaled_largest(g, 1e-6)
        res = _check(c, v, bad, seed=k)
        assert res.verdict == "fail", (k, res.reason)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("c", U.COSTS, ids=ids)
@pytest.mark.parametrize("kind", ["sign", "swap", "drop"])
def test_structural_faults_are_detected_and_located(c, kind):
    v = c.points(1, seed=4)[0]
    g = c.grad(v)
    order = np.argsort(-np.abs(g))
    i, j = int(order[0]), int(order[1])
    bad = g.copy()
    if kind == "sign":
        bad[i], want = -g[i], {i}
    elif kind == "swap":
        bad[i], bad[j], want = g[j], g[i], {i, j}
    else:
        bad[i], want = 0.0, {i}
    res = _check(c, v, bad)
    assert res.verdict == "fail", res.reason
    assert set(res.wrong_components) == want, res.reason


def test_the_estimate_reads_the_injected_error():
    """A whole-gradient fault δ·g gives e·d = δ g·d: the estimate finds it within its sd."""
    c = WELL[0]
    v = c.points(1, seed=5)[0]
    g = c.grad(v)
    res = fo.taylor_test(
        fo.Case(
            name="logreg",
            cost_fn=lambda x, ctx: c.cost(x),
            grad_fn=None,
            dim=c.n,
            x0=tuple(v),
            batched=False,
        ),
        v,
        direction="random",
        gradient=g * (1 + 1e-7),
        seed=1,
    )
    want = 1e-7 * float(g @ res.direction)
    assert res.verdict == "fail"
    assert abs(res.error_estimate - want) <= 5 * res.error_sd + 1e-3 * abs(want), res.reason


def test_mp_at_50_digits_detects_a_relative_fault_of_1e_30():
    c = fo.resolve_case("rosenbrock")
    cx = fo.context("mp", 50)
    v = c.point()
    g = c.grad(cx.asarray(v), cx)
    i = int(np.argmax(np.abs(cx.to_float(g))))
    g[i] = g[i] * (1 + cx.const(10) ** -30)
    res = fo.taylor_test(
        c, v, direction="descent", gradient=g, precision="mp", dps=50, locate=False
    )
    assert res.verdict == "fail", res.reason
    right = fo.taylor_test(c, v, direction="descent", precision="mp", dps=50)
    assert right.verdict == "pass", right.reason
    assert right.detection_bound_relative < 1e-30


def test_the_bound_is_in_every_result_format():
    c = WELL[0]
    v = c.points(1, seed=6)[0]
    res = fo.check_gradient(c.cost, c.grad, v)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["detection_bound"] > 0 and d["detection_bound_relative"] > 0
    for r in d["directions"]:
        assert r["detection_bound"] is not None
    frame = res.results[0].to_frame()
    assert {"s1", "floor_s1", "detection_bound", "detection_bound_rel"} <= set(frame.columns)
    # The bound is above the gradient's own round-off allowance, and far below 1e-8.
    eps = np.finfo(float).eps
    assert ALLOW * eps <= res.detection_bound_relative < 1e-9


def test_a_backend_within_its_budget_is_named_not_a_bare_pass():
    """huge_offset's `central` gradient is off by tens of percent, within what central
    differences can reach at |C| ≈ 1e12: the pass is named and quotes the error."""
    c = fo.resolve_case("huge_offset")
    x = c.point()
    ref = c.grad(x)
    for backend in ("central", "forward", "central4"):
        g = fo.gradient(c, x, backend=backend)
        rel = float(np.max(np.abs(g.values - ref)) / np.max(np.abs(ref)))
        res = fo.taylor_test(c, x, direction="random", gradient=backend, seed=0)
        if rel > 1e-3:
            assert not (res.verdict == "pass" and res.judgement == ""), (backend, res.reason)
    # SciPy's fixed step: an error of tens of percent, all of it the formula's round-off
    rule = fo.gradient(c, x, backend="central", step="rule")
    res = fo.taylor_test(c, x, direction="random", gradient=rule, seed=0)
    assert (res.verdict, res.judgement) == ("pass", "within-budget"), res.reason
    assert "as accurate as `central` can be here" in res.reason
    assert "round-off of |C|·eps dominates" in res.reason


def test_a_small_component_that_whole_directions_dilute_is_found_by_the_follow_up():
    """One wrong component, weighed by at most 0.12 in every direction `check` tests:
    no whole direction can call it (each leaves it below its bound), but the tail is
    suspicious, and the bisection over coordinate blocks finds it along its axis."""
    n = 30
    rng = np.random.default_rng(5)
    a = rng.uniform(0.5, 2.0, n)
    v = rng.uniform(0.5, 1.5, n)

    def cost(x):
        return float(0.5 * np.sum(a * x**2) + 0.1 * np.sum(np.cos(x)))

    def grad(x):
        return a * x - 0.1 * np.sin(x)

    # The component that the descent and the two seeded random directions weigh least.
    rand = np.array([np.random.default_rng(s).standard_normal(n) for s in range(2)])
    rand /= np.linalg.norm(rand, axis=1, keepdims=True)
    g = grad(v)
    weight = np.max(np.abs(np.vstack([rand, g / np.linalg.norm(g)])), axis=0)
    k = int(np.argmin(weight))
    assert weight[k] < 0.15

    def wrong(x):
        out = grad(x)
        out[k] += 1e-9  # 1.4e-10 of ‖∇C‖
        return out

    res = fo.check_gradient(cost, wrong, v)
    whole, follow = res.results[:3], res.results[3:]
    assert all(r.verdict == "pass" for r in whole), [r.reason for r in whole]
    assert any(r.suspicious for r in whole)
    assert all(abs(r.error_estimate) < r.detection_bound for r in whole)
    assert res.verdict == "fail" and res.wrong_components == (k,), res.reason
    assert len(follow) == 1 and np.array_equal(follow[0].direction, np.eye(n)[k])
    assert follow[0].error_estimate == pytest.approx(1e-9, rel=0.05)
    # The right gradient raises no suspicion, so nothing is followed up.
    ok = fo.check_gradient(cost, grad, v)
    assert ok.verdict == "pass" and len(ok.results) == 3, ok.reason


def test_a_smooth_rounding_sawtooth_near_a_saddle_is_round_off_not_an_error():
    """Near stationary_saddle's saddle C ≈ 6e-5 while its round-off is that of x² − 1
    (~3e-17), changing smoothly over the probe's few ulps: the probe reads eps·|C|. At
    the smallest steps S then falls ∝ h tooth by tooth; read from the bottom its
    plateau came out at 1e-18 and a right gradient failed ("off by −7.4e-5 ± 5e-6").
    Read under the signal, the level is the teeth's: the right gradient passes and a
    real error of 1e-8 is still found and measured."""
    c = fo.resolve_case("stationary_saddle")
    v = c.random_points(1, seed=7)[0]
    ok = fo.taylor_test(c, v, direction="descent")
    assert ok.verdict == "pass", ok.reason
    g = c.grad(v)
    g[0] += 1e-8
    bad = fo.taylor_test(c, v, gradient=g, direction="descent")
    assert bad.verdict == "fail", bad.reason
    d = bad.direction
    assert bad.error_estimate == pytest.approx(1e-8 * d[0], rel=0.05)
