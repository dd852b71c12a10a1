"""Speed of one `check_gradient` on plain-numpy user costs of n ≤ 50.

Goal (issue 14): under 20 ms median for n ≤ 50, default settings (the descent and
two random directions with their −h sides and noise probe). A user's cost that
returns ``float(...)`` cannot batch and is looped, one point at a time (``looped``),
its ladder sampled from the top down, thinned far above the noise and stopped once
the remainders are round-off, with one noise probe for every direction (137–150
calls with two random directions, 173–187 with three;
:mod:`firstorder.taylor.ladder`); the same cost written over ``(..., n)`` is
evaluated in one call (``batched``). 2026-12-03, with the
default two random directions, CPU time (``--benchmark-timer time.process_time``):
looped 9.5–15.9 ms median (gp, 56–59 µs a call, the slowest), batched 6.3–8.4 ms;
wall-clock medians agree when the host is quiet and reach 20–22 ms for gp,
lennard_jones and mixed_scales when it is not. Run with
``pytest tests/benchmarks/test_bench_check.py --benchmark-only``; on a shared machine
add ``--benchmark-timer time.process_time`` for CPU time.
"""

from __future__ import annotations

import fo_user_costs as U
import pytest

import firstorder as fo

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("batched", [False, True], ids=["looped", "batched"])
@pytest.mark.parametrize("c", U.COSTS, ids=[c.name for c in U.COSTS])
def test_check_right_gradient(benchmark, c, batched):
    v = c.points(1, seed=0)[0]
    benchmark.group = f"check_gradient n<=50, {'batched' if batched else 'looped'} cost"
    res = benchmark(fo.check_gradient, c.batched if batched else c.cost, c.grad, v)
    assert res.verdict == "pass", res.reason
