"""No false alarm on correct gradients over 200 seeded point/direction draws per case."""

from __future__ import annotations

import collections

import pytest

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
