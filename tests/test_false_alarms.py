"""No false alarm on correct gradients over 200 seeded point/direction draws per case."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import firstorder as fo
from firstorder._taylor import _taylor

DRAWS = 200


@pytest.mark.slow
def test_no_false_alarm_over_seeded_draws(case):
    points = case.random_points(DRAWS, seed=2026)
    verdicts = collections.Counter()
    for k, v in enumerate(points):
        # Directions vary with k: random ones, and every coordinate axis in turn.
        direction = "random" if k % 2 else f"e{(k // 2) % len(v)}"
        res = _taylor(case, v, direction, "analytic", "float64", 50, None, k, locate=False)
        verdicts[res.verdict] += 1
    want = "exact" if "linear" in case.tags else "pass"
    assert verdicts == {want: DRAWS}


@pytest.mark.slow
def test_relative_error_of_1e_6_is_detected_and_located(hessian_case):
    """The largest gradient component scaled by 1 + 1e-6 fails along its axis and is named."""
    c = hessian_case
    for k, v in enumerate(c.random_points(50, seed=7)):
        g = c.grad(v)
        i = int(np.argmax(np.abs(g)))
        g[i] *= 1 + 1e-6
        res = fo.taylor_test(c, v, direction=f"e{i}", gradient=g, seed=k)
        assert res.verdict == "fail", (k, res.reason)
        assert res.wrong_components == (i,), k
