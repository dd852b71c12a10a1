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


def _calls(c, x, monkeypatch, **kw):
    """The points of each cost call of a cold ``central`` gradient at ``x``, and its nfev."""
    from firstorder.case.model import Case
    from firstorder.gradients.finite_difference import clear_step_cache

    sizes = []
    cost = Case.cost

    def spy(self, v, ctx="float64"):
        sizes.append(np.shape(v)[0] if np.ndim(v) > 1 else 1)
        return cost(self, v, ctx)

    clear_step_cache()
    with monkeypatch.context() as m:
        m.setattr(Case, "cost", spy)
        res = fo.gradient(c, x, backend="central", **kw)
    return sizes, res.nfev


def test_a_smooth_cost_takes_its_first_round_with_the_noise_line(monkeypatch):
    """Rosenbrock's noise is about eps·|C|: the noise line (63 points) and the first
    round (4 per component) go in one call, and the search needs one more round."""
    from firstorder.gradients.noise import NOISE_LINE

    c = fo.load_cases()["rosenbrock"]
    sizes, nfev = _calls(c, c.point(), monkeypatch)
    assert sizes == [NOISE_LINE + 8, 8]
    assert nfev == sum(sizes)


def test_a_noisy_cost_drops_the_fused_round_and_counts_it(monkeypatch):
    """A noise of about 1e-10·|C| puts the first step above a smooth cost's: the fused
    round is dropped, its 4n evaluations counted; the gradient is the one the search
    finds without fusing."""
    from firstorder.gradients import steps
    from firstorder.gradients.noise import NOISE_LINE
    from firstorder.gradients.step_rounds import SMOOTH

    @fo.case(name="noisy_bowl", x0=[0.3, -0.7])
    def noisy(v, ctx):
        clean = 1 + v[..., 0] ** 2 + ctx.exp(v[..., 1])
        # deterministic noise: the digits of the point far below its size
        digits = np.modf((1.2345 * v[..., 0] + 2.3456 * v[..., 1]) * 1e15)[0]
        return clean * (1 + 1e-10 * digits)

    x = np.array(noisy.point())
    found = steps.search_steps(noisy, x, fo.context("float64"), 1 << 20)
    assert found.noise > SMOOTH * np.finfo(np.float64).eps * found.f0
    fused_sizes, fused_nfev = _calls(noisy, x, monkeypatch)
    fused = fo.gradient(noisy, x, backend="central")
    assert fused_sizes[0] == NOISE_LINE + 8
    assert fused_nfev == sum(fused_sizes)
    monkeypatch.setattr(steps, "FUSE_MAX_N", 0)
    sizes, nfev = _calls(noisy, x, monkeypatch)
    plain = fo.gradient(noisy, x, backend="central")
    assert sizes[0] == NOISE_LINE and sizes[1:] == fused_sizes[1:]
    assert nfev == fused_nfev - 8
    assert plain.values.tobytes() == fused.values.tobytes()
