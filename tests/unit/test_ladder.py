"""The ladder of `check` sampled from the top down: fewer calls, the same verdicts."""

from __future__ import annotations

import fo_user_costs as U
import numpy as np
import pytest

import firstorder as fo
from firstorder.taylor.check import _as_case
from firstorder.taylor.harness import taylor_tests
from firstorder.taylor.ladder import QUIET_RUN

SPECS = [("descent", 0), ("random", 0), ("random", 1), ("random", 2)]


def _counted(fn):
    calls = [0]

    def cost(v):
        calls[0] += 1
        return fn(v)

    return cost, calls


@pytest.mark.parametrize("c", U.COSTS, ids=[c.name for c in U.COSTS])
def test_early_stop_keeps_the_verdicts_and_bounds_of_the_full_ladder(c):
    """Along every direction, the same verdict, and a detection bound within a factor
    1.5 (the steps left out weigh under 2⁻¹⁵ in the fit; the plateau is read over
    fewer steps), from far fewer calls of a looped cost."""
    v = c.points(1, seed=3)[0]
    runs = {}
    for early in (False, True):
        cost, calls = _counted(c.cost)
        case = _as_case(cost, c.grad, len(v), v, batched=False)
        calls[0] = 0
        runs[early] = (taylor_tests(case, v, SPECS, early_stop=early), calls[0])
    (full, n_full), (early, n_early) = runs[False], runs[True]
    assert [r.verdict for r in early] == [r.verdict for r in full] == ["pass"] * 4
    for a, b in zip(early, full, strict=True):
        assert a.detection_bound == pytest.approx(b.detection_bound, rel=0.5)
        # each side stopped after a run of quiet steps, never before
        assert len(a.steps) >= QUIET_RUN and np.isfinite(a.remainders["s1"]).sum() >= QUIET_RUN
    assert n_early < 0.6 * n_full, (n_early, n_full)  # ~0.5; 0.72 without thinning
    # one probe for every direction: one σ
    assert len({r.cost_noise for r in early}) == 1


@pytest.mark.parametrize("c", U.COSTS, ids=[c.name for c in U.COSTS])
def test_the_ladder_is_thinned_far_above_the_noise_only(c):
    """Every other step where the remainders stand far above the round-off (ratio 4),
    every step where s1 nears it, down to the stop."""
    v = c.points(1, seed=6)[0]
    for r in fo.check_gradient(c.cost, c.grad, v).results:
        ratio = r.steps[:-1] / r.steps[1:]
        assert set(ratio.tolist()) <= {2.0, 4.0}
        s1, sigma = r.remainders["s1"], r.remainders["floor_s1"]
        formed = np.flatnonzero(np.isfinite(s1))
        near = formed[s1[formed] < 100 * sigma[formed]]
        assert len(near) >= QUIET_RUN
        # from the first step near the noise down to the −h side's stop, no gap
        assert np.array_equal(formed[formed >= near[0]], np.arange(near[0], formed[-1] + 1))
        assert np.all(ratio[near[0] :] == 2.0)
        assert 4.0 in ratio[: near[0]]  # and thinned above


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("c", U.COSTS[:3], ids=[c.name for c in U.COSTS[:3]])
def test_a_batched_cost_keeps_the_steps_a_looped_one_keeps(c, precision):
    v = c.points(1, seed=4)[0]
    a = fo.check_gradient(c.cost, c.grad, v, precision=precision)
    b = fo.check_gradient(c.batched, c.grad, v, precision=precision)
    assert a.verdict == b.verdict
    for ra, rb in zip(a.results, b.results, strict=True):
        assert np.array_equal(ra.steps, rb.steps)
        assert np.array_equal(np.isfinite(ra.remainders["s1"]), np.isfinite(rb.remainders["s1"]))


@pytest.mark.parametrize("c", U.COSTS, ids=[c.name for c in U.COSTS])
def test_a_small_fault_keeps_its_steps_and_is_found(c):
    """A wrong gradient's h·|e·d| keeps s1 above the noise: the −h side goes on
    until it sinks, and the fault is found."""
    v = c.points(1, seed=5)[0]
    g = c.grad(v)
    i = int(np.argmax(np.abs(g)))
    bad = g.copy()
    bad[i] *= 1 + (1e-8 if c.well_scaled else 1e-6)
    res = fo.check_gradient(c.cost, lambda _v: bad, v)
    assert res.verdict == "fail", res.reason
    assert res.wrong_components == (i,)
