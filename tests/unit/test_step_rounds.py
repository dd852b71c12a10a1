"""The step search's two updates of a round, numpy arrays and plain floats, give the
same numbers bit for bit (the plain one serves rounds of a few components, where numpy's
per-call overhead dominates)."""

from __future__ import annotations

import numpy as np
import pytest

import firstorder as fo
from firstorder.gradients import step_rounds
from firstorder.gradients.step_rounds import _ordinary, _State, _update_arrays, _update_plain

#: Third differences and second differences a round can meet: zero (a quadratic
#: direction), tiny, ordinary, huge, and not finite.
SPECIAL = [0.0, 5e-324, 1e-300, 1e-17, 3e-9, 0.5, 7.0, 1e30, 1e300, np.inf, np.nan]


def _state(rng: np.random.Generator, n: int) -> _State:
    h = 10.0 ** rng.uniform(-12, 0, n)
    above = np.where(rng.random(n) < 0.5, np.inf, h * 10.0 ** rng.uniform(0, 3, n))
    return _State(
        h,
        h.copy(),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.zeros(n),
        above,
        np.zeros(n, dtype=bool),
        h * 10.0 ** rng.uniform(-6, -1, n),
        10.0 ** rng.uniform(-1, 1, n),
    )


def _copy(st: _State) -> _State:
    return _State(*(a.copy() for a in st))


@pytest.mark.parametrize("confirm", [True, False])
@pytest.mark.parametrize("seed", range(40))
def test_plain_and_array_updates_agree_bit_for_bit(seed, confirm):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, step_rounds.PLAIN_MAX_N + 1))
    st = _state(rng, n)
    active = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
    m = len(active)
    noise = float(10.0 ** rng.uniform(-300, 0))
    hh = st.h[active] * (1 + 1e-3 * rng.standard_normal(m))
    sigma = 0.71 * noise / hh
    # third differences around the noise's thresholds, and special values
    t3 = sigma * rng.choice([0.5, 2.0, 3.5, 100.0], m)
    t3 = np.where(rng.random(m) < 0.4, rng.choice(SPECIAL, m), t3)
    curv = np.where(rng.random(m) < 0.3, rng.choice(SPECIAL, m), rng.random(m) * noise * 10)
    d1 = rng.standard_normal(m)
    assert _ordinary(hh, noise)
    a, b = _copy(st), _copy(st)
    with np.errstate(all="ignore"):
        left = _update_arrays(a, active, d1, hh, t3, curv, noise, confirm)
        lists = (d1.tolist(), hh.tolist(), t3.tolist(), curv.tolist())
        right = _update_plain(b, active, *lists, noise, confirm)
    np.testing.assert_array_equal(left, right)
    for name, x, y in zip(_State._fields, a, b, strict=True):
        assert x.dtype == y.dtype, name
        assert x.tobytes() == y.tobytes(), name


def test_a_round_with_extraordinary_steps_takes_the_arrays():
    """σ = 0.71 ε_f / h underflowing, or h² vanishing, would divide by zero in plain
    floats: such a round is left to numpy."""
    assert not _ordinary(np.array([1e-200]), 1.0)
    assert not _ordinary(np.array([1.0, 1e200]), 1e-300)
    assert _ordinary(np.array([1e-8, 1.0]), 1e-16)


@pytest.mark.parametrize("name", ["rosenbrock", "osborne1", "tiny_scale", "scosine"])
def test_small_and_large_rounds_give_the_same_gradient(name, monkeypatch):
    """The whole search, with plain rounds and with numpy's only, is the same."""
    from firstorder.gradients.finite_difference import clear_step_cache

    c = fo.load_cases()[name]
    clear_step_cache()
    plain = fo.gradient(c, backend="central")
    monkeypatch.setattr(step_rounds, "PLAIN_MAX_N", 0)
    clear_step_cache()
    arrays = fo.gradient(c, backend="central")
    assert plain.values.tobytes() == arrays.values.tobytes()
    assert plain.steps.tobytes() == arrays.steps.tobytes()
    assert plain.nfev == arrays.nfev


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_a_small_search_is_the_same_in_chunks_of_one_point(precision):
    """At small n a round's points go to the cost in one call built on the diagonal;
    a budget of one point per call (the general path) gives the same numbers."""
    from firstorder.gradients.finite_difference import clear_step_cache

    c = fo.load_cases()["ext_rosenbrock"]
    x = c.point(n=8)
    runs = []
    for budget in (1 << 30, 1):
        clear_step_cache()
        runs.append(fo.gradient(c, x, backend="central", precision=precision, chunk_bytes=budget))
    whole, part = runs
    assert whole.values.tobytes() == part.values.tobytes()
    assert whole.steps.tobytes() == part.steps.tobytes()
