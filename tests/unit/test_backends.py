"""Gradient backends: accuracy against the mp reference, nfev, chunking, refusals, peers."""

from __future__ import annotations

import dataclasses

import fo_local_cases as L
import mpmath
import numpy as np
import pytest

import firstorder as fo
from firstorder.gradients.backends import BACKENDS, DEFAULT_CHUNK_BYTES, backends_frame
from firstorder.gradients.finite_difference import clear_step_cache

ORDERS = {
    "forward": 1,
    "backward": 1,
    "central": 2,
    "central4": 4,
    "central6": 6,
    "central8": 8,
    "richardson": 6,
}
#: Truncation constants at the default step: error ≤ K · eps^(p/(p+1)) on cases whose
#: higher derivatives are of moderate size (rel. |C^(p+1)| h^p / |∇C| ≲ 10–40 measured).
K = 100
REF_DPS = 80


def smooth_cases():
    return [fo.resolve_case("rosenbrock"), L.trig, L.local_neural, L.local_unbatched]


def rel_error(values, case, point=None):
    """‖g − g_ref‖∞ / ‖g_ref‖∞ computed in mp against an 80-digit reference."""
    mpc = fo.context("mp", REF_DPS)
    ref = mpc.asarray(fo.gradient(case, point, backend="reference", dps=REF_DPS).values)
    got = mpc.asarray(values)
    scale = max(abs(t) for t in ref)
    return float(max(abs(a - b) for a, b in zip(got, ref, strict=True)) / scale)


#: The fixed rule for every stepped backend; the automatic step for the one- and
#: two-sided differences. (The automatic steps of the high-order stencils rest on a
#: modelled derivative, and Richardson's goal is numdifftools' accuracy: see
#: tests/unit/test_auto_steps.py.)
BALANCED = [(b, "rule") for b in ORDERS] + [(b, "auto") for b in ("forward", "backward", "central")]


@pytest.mark.parametrize("precision", ["float64", "float32", "mp"])
@pytest.mark.parametrize(("backend", "step"), BALANCED)
@pytest.mark.parametrize("cc", smooth_cases(), ids=lambda c: c.name)
def test_steps_reach_the_balanced_error(cc, backend, step, precision):
    """The step reaches the error ``K·eps^(p/(p+1))`` of a balanced formula."""
    case = cc
    p = ORDERS[backend]
    eps = float(fo.context(precision).eps)
    res = fo.gradient(case, backend=backend, precision=precision, step=step)
    assert res.ok and res.precision == precision
    if precision == "float32":
        assert res.values.dtype == np.float32
    elif precision == "mp":
        assert res.values.dtype == object
        assert all(hasattr(t, "_mpf_") for t in res.values)
    assert rel_error(res.values, case) <= K * eps ** (p / (p + 1))


@pytest.mark.parametrize("backend", ["forward", "backward", "central"])
def test_low_orders_on_squire_trapp(backend):
    c = fo.resolve_case("squire_trapp")
    p = ORDERS[backend]
    res = fo.gradient(c, backend=backend)
    assert rel_error(res.values, c) <= K * np.finfo(float).eps ** (p / (p + 1))


@pytest.mark.parametrize(
    "cc", [*smooth_cases(), fo.resolve_case("squire_trapp")], ids=lambda c: c.name
)
def test_complex_step_to_a_few_eps(cc):
    case = cc
    res = fo.gradient(case, backend="complex-step")
    assert res.ok and res.precision == "complex128" and res.nfev == case.dim
    assert rel_error(res.values, case) <= 8 * np.finfo(float).eps


def test_reference_has_30_digits_as_mpf():
    c = fo.resolve_case("squire_trapp")
    res = fo.gradient(c, backend="reference")
    assert res.precision == "mp" and res.dps == fo.DEFAULT_DPS
    (value,) = res.values
    assert hasattr(value, "_mpf_")
    exact = c.grad(fo.context("mp", 90).asarray([1.5]), fo.context("mp", 90))[0]
    assert abs(value - exact) / abs(exact) < mpmath.mpf(10) ** -30


@pytest.mark.parametrize("cc", [c for c in smooth_cases() if c.has_gradient], ids=lambda c: c.name)
def test_reference_agrees_with_analytic_in_mp(cc):
    case = cc
    mpc = fo.context("mp", 60)
    ref = fo.gradient(case, backend="reference", dps=60).values
    exact = case.grad(mpc.asarray(case.point()), mpc)
    scale = max(abs(t) for t in exact)
    assert max(abs(a - b) for a, b in zip(ref, exact, strict=True)) / scale < mpmath.mpf(10) ** -30


def test_nfev_counts():
    c = L.ext_rosenbrock
    n = 12
    x = c.point(n=n)
    expected = {
        "forward": n + 1,
        "backward": n + 1,
        "central": 2 * n,
        "central4": 4 * n,
        "central6": 6 * n,
        "central8": 8 * n,
        "richardson": 6 * n,
        "complex-step": n,
        "reference": 2 * n,
        "analytic": 0,
    }
    for name, count in expected.items():
        assert fo.gradient(c, x, backend=name, step="rule").nfev == count, name


def test_nfev_counts_the_step_search_once_per_point():
    c = L.ext_rosenbrock
    x = c.point(n=12)
    clear_step_cache()
    first = fo.gradient(c, x, backend="central")
    again = fo.gradient(c, x, backend="central")
    other = fo.gradient(c, x, backend="forward")
    assert first.step_rule == "auto" and first.nfev > 2 * 12
    assert again.nfev == 2 * 12 and other.nfev == 12 + 1
    np.testing.assert_array_equal(first.values, again.values)


class Recording:
    """Wrap a case so that every batch handed to its cost is recorded."""

    def __init__(self, case: fo.Case) -> None:
        self.batches: list[tuple[int, ...]] = []
        self.bytes: list[int] = []

        def cost(v, ctx):
            self.batches.append(v.shape)
            self.bytes.append(v.nbytes)
            return case.cost_fn(v, ctx)

        self.case = dataclasses.replace(case, cost_fn=cost, name=case.name)


@pytest.mark.parametrize("backend", ["forward", "central", "central6", "complex-step"])
def test_chunks_stay_within_the_budget(backend):
    n = 4000
    rec = Recording(L.ext_rosenbrock)
    x = L.ext_rosenbrock.point(n=n)
    budget = 8 * n * 16 * 6  # six complex rows, or 12 float64 rows
    res = fo.gradient(rec.case, x, backend=backend, chunk_bytes=budget)
    assert res.ok
    # Never an n × n array: each call holds at most the budget (one row at least).
    assert max(rec.bytes) <= budget
    assert sum(b[0] for b in rec.batches if len(b) == 2) + (backend == "forward") >= res.nfev


@pytest.mark.parametrize("precision", ["float64", "float32", "mp"])
@pytest.mark.parametrize("backend", [*ORDERS, "complex-step"])
def test_chunked_equals_unchunked_bit_for_bit(backend, precision):
    c = L.trig
    n = 9 if precision == "mp" else 37
    x = c.point(n=n)
    whole = fo.gradient(c, x, backend=backend, precision=precision, chunk_bytes=1 << 30)
    for budget in (1, 3 * n * 8, DEFAULT_CHUNK_BYTES):
        part = fo.gradient(c, x, backend=backend, precision=precision, chunk_bytes=budget)
        if precision == "mp" and backend != "complex-step":
            assert all(a == b for a, b in zip(part.values, whole.values, strict=True))
        else:
            assert np.array_equal(part.values, whole.values)


def test_unbatched_case_is_looped():
    c = L.local_unbatched
    g = c.grad(c.point())
    for name in ["central", "central4", "complex-step", "richardson"]:
        res = fo.gradient(c, backend=name)
        assert np.max(np.abs(res.as_float() - g)) <= 1e-8 * np.max(np.abs(g)), name


# -- refusals ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cc", "word"),
    [
        (L.local_abs, "complex_safe=False"),
        (L.local_drops_imag, "real output"),
        (L.local_casts_real, "casts complex"),
    ],
    ids=lambda v: getattr(v, "name", v),
)
@pytest.mark.parametrize(
    "backend",
    [b for b in ["complex-step", "scipy-cs", "numdifftools-complex"] if b in BACKENDS],
)
def test_complex_step_refuses(cc, word, backend):
    case = cc
    res = fo.gradient(case, backend=backend)
    assert res.status == "not-applicable" and not res.ok
    assert np.all(np.isnan(res.as_float())) and len(res.values) == case.dim
    assert f"`{case.name}`" in res.reason and word in res.reason
    assert res.reason.count(". ") == 0 and res.reason.endswith(".")


def test_reference_refuses_a_numpy_cost_naming_the_function():
    res = fo.gradient(L.local_numpy_exp, backend="reference")
    assert res.status == "not-applicable"
    assert "`exp`" in res.reason and "`local_numpy_exp`" in res.reason
    assert np.all(np.isnan(res.as_float()))


def test_analytic_refuses_without_gradient_and_agrees_with():
    assert fo.gradient(L.trig, backend="analytic").status == "not-applicable"
    res = fo.gradient("rosenbrock", backend="analytic")
    assert res.ok and res.nfev == 0
    np.testing.assert_array_equal(res.values, fo.resolve_case("rosenbrock").grad([-1.2, 1.0]))


# -- steps -----------------------------------------------------------------------------
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_default_steps_follow_the_formula(precision):
    c = L.trig
    x = c.point(n=5) * 7  # components above and below 1
    eps = float(fo.context(precision).eps)
    for name, p in ORDERS.items():
        if name == "richardson":
            continue
        res = fo.gradient(c, x, backend=name, precision=precision, step="rule")
        want = eps ** (1 / (p + 1)) * np.maximum(1, np.abs(x))
        # The representable step (x + h) − x differs from h by at most an ulp of x.
        np.testing.assert_allclose(res.steps, want, rtol=0, atol=2 * eps * np.max(np.abs(x)))
    cs = fo.gradient(c, x, backend="complex-step")
    np.testing.assert_array_equal(cs.steps, 1e-20 * np.maximum(1, np.abs(x)))


def test_user_step_scalar_and_array():
    c = L.trig
    x = c.point(n=4)
    res = fo.gradient(c, x, backend="central", step=2.0**-20)
    np.testing.assert_array_equal(res.steps, np.full(4, 2.0**-20))
    steps = 2.0 ** -np.arange(18, 22)
    res = fo.gradient(c, x, backend="central", step=steps)
    np.testing.assert_array_equal(res.steps, steps)
    res = fo.gradient(c, x, backend="complex-step", step=1e-100)
    assert np.all(res.steps == 1e-100)


@pytest.mark.parametrize("step", [0, -1e-6, np.nan, np.inf, [1e-6, 1e-6], [[1e-6]], "x"])
@pytest.mark.parametrize("backend", ["central", "complex-step", "richardson"])
def test_bad_steps_raise(step, backend):
    with pytest.raises(fo.FirstOrderError, match="`step`"):
        fo.gradient(L.trig, L.trig.point(n=3), backend=backend, step=step)


def test_bad_step_in_mp_raises():
    with pytest.raises(fo.FirstOrderError, match="`step`"):
        fo.gradient(L.trig, backend="central", precision="mp", step="-1e-20")


# -- bad input --------------------------------------------------------------------------
def test_unknown_backend_lists_choices():
    with pytest.raises(fo.FirstOrderError, match=r"unknown backend `centrl`.*`central4`"):
        fo.gradient("rosenbrock", backend="centrl")


def test_unknown_precision_lists_choices():
    with pytest.raises(fo.FirstOrderError, match=r"unknown precision `float16`.*`float32`"):
        fo.gradient("rosenbrock", precision="float16")


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_bad_chunk_bytes(bad):
    with pytest.raises(fo.FirstOrderError, match="chunk_bytes"):
        fo.gradient("rosenbrock", chunk_bytes=bad)


def test_bad_point():
    with pytest.raises(fo.FirstOrderError, match="`point`"):
        fo.gradient("rosenbrock", [1.0, 2.0, 3.0])
    with pytest.raises(fo.FirstOrderError, match="`point`"):
        fo.gradient("rosenbrock", [[1.0, 2.0]])


# -- result and registry ------------------------------------------------------------------
def test_result_is_frozen_with_a_frame():
    res = fo.gradient("rosenbrock", backend="richardson")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.nfev = 3  # type: ignore[misc]
    frame = res.to_frame()
    assert list(frame["component"]) == [0, 1]
    assert {"value", "value_exact", "step", "error_estimate", "backend"} <= set(frame.columns)
    assert res.error_estimate is not None and np.all(res.error_estimate >= 0)
    mp = fo.gradient("rosenbrock", backend="reference").to_frame()
    assert len(mp["value_exact"][0]) > 40


@pytest.mark.parametrize("cc", smooth_cases(), ids=lambda c: c.name)
def test_richardson_error_estimate_bounds_the_error(cc):
    case = cc
    res = fo.gradient(case, backend="richardson")
    ref = fo.gradient(case, backend="reference").as_float()
    err = np.abs(res.as_float() - ref)
    assert np.all(err <= 10 * res.error_estimate)


def test_registry():
    names = fo.backends()
    for own in [*ORDERS, "analytic", "complex-step", "reference"]:
        assert own in names and own in fo.BACKENDS
    assert fo.BACKENDS["central4"].order == 4 and fo.BACKENDS["central"].kind
    frame = backends_frame()
    assert list(frame.columns) == ["name", "kind", "order", "description", "available"]
    assert set(frame.loc[frame["available"], "name"]) == set(BACKENDS)


# -- peers --------------------------------------------------------------------------------
#: Peer accuracy on these smooth cases: the formula's balanced error (K as above).
PEER_TOL = {
    "scipy-2point": K * np.finfo(float).eps ** 0.5,
    "scipy-3point": K * np.finfo(float).eps ** (2 / 3),
    "scipy-cs": 8 * np.finfo(float).eps,
    "scipy-differentiate": K * np.finfo(float).eps ** 0.5,  # its default rtol, √eps
    "numdifftools": K * np.finfo(float).eps ** (2 / 3),
    "numdifftools-complex": K * np.finfo(float).eps,
}


@pytest.mark.parametrize("peer", [p for p in PEER_TOL if p in BACKENDS])
@pytest.mark.parametrize("cc", smooth_cases(), ids=lambda c: c.name)
def test_peers_agree_with_reference(peer, cc):
    case = cc
    res = fo.gradient(case, backend=peer)
    assert res.ok and res.nfev > 0
    assert rel_error(res.values, case) <= PEER_TOL[peer]
    ours = fo.gradient(case, backend="complex-step").values
    assert np.max(np.abs(res.values - ours)) <= 2 * PEER_TOL[peer] * np.max(np.abs(ours))


def test_peer_outside_float64_is_not_applicable():
    res = fo.gradient("rosenbrock", backend="scipy-3point", precision="float32")
    assert res.status == "not-applicable" and "float64" in res.reason


@pytest.mark.parametrize("backend", ["central", "complex-step"])
def test_memory_stays_within_the_budget_at_large_n(backend):
    """At n = 5 000 an n × n array would take 200 MB; peak memory stays near the budget.

    The budget is a quarter of 4 MB, as n is a quarter of 20 000 (16× the time, O(n²)):
    the bound's chunk and O(n) terms keep their proportions. The measured peak is 0.76
    of the bound for ``central`` at either size, 0.69 for ``complex-step`` (0.32 at
    20 000), so an extra (63, n) table (0.38 of the bound) shows as before.
    """
    import tracemalloc

    c = L.local_sum_squares
    n = 5_000
    x = c.point(n=n)
    budget = 1 << 20
    tracemalloc.start()
    try:
        res = fo.gradient(c, x, backend=backend, chunk_bytes=budget)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The chunk, the cost's temporaries (a few chunk-sized arrays) and O(n) vectors.
    assert peak <= 4 * budget + 64 * n * 8
    eps = np.finfo(float).eps
    # Round-off of a difference is eps·|C| / h (|C| ≈ n/3 here); the complex step has none.
    atol = 10 * eps * float(c.cost(x)) / eps ** (1 / 3) if backend == "central" else 4 * eps
    np.testing.assert_allclose(res.values, 2 * x, rtol=0, atol=atol)
