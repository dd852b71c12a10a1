"""Step sweeps: fitted orders, the Squire–Trapp figure's numbers, the frame, bad input."""

from __future__ import annotations

import fo_local_cases as L
import numpy as np
import pytest

import firstorder as fo
from firstorder.studies.step_sweep import default_sweep_steps, fit_order

EPS = np.finfo(float).eps
FLOAT64_ORDERS = {
    "forward": 1,
    "backward": 1,
    "central": 2,
    "central4": 4,
    "central6": 6,
    "richardson": 6,
    "complex-step": 2,
}
MP_ORDERS = {**FLOAT64_ORDERS, "central8": 8}
del MP_ORDERS["complex-step"]


def sweep_cases():
    return [(fo.resolve_case("squire_trapp"), None), (L.trig, L.trig.point(n=3))]


@pytest.mark.parametrize("backend", list(FLOAT64_ORDERS))
@pytest.mark.parametrize(("cc", "point"), sweep_cases(), ids=["squire_trapp", "local_trig"])
def test_fitted_orders_float64(cc, point, backend):
    s = fo.step_sweep(cc, backend, point=point)
    expected = FLOAT64_ORDERS[backend]
    assert s.expected_order == expected
    # High orders have a short truncation range in float64 (errors 1e-2 down to ~1e-13).
    tol = 0.1 if expected <= 4 else 0.3
    assert abs(s.order - expected) <= tol
    assert s.fit_mask.sum() >= 3


@pytest.mark.parametrize("backend", list(MP_ORDERS))
@pytest.mark.parametrize(("cc", "point"), sweep_cases(), ids=["squire_trapp", "local_trig"])
def test_fitted_orders_mp(cc, point, backend):
    s = fo.step_sweep(cc, backend, point=point, precision="mp", dps=30)
    # In mp the truncation range spans many decades: every order fits cleanly.
    assert abs(s.order - MP_ORDERS[backend]) <= 0.05
    assert s.fit_mask.sum() >= 8


@pytest.mark.parametrize("backend", ["forward", "central"])
def test_fitted_orders_float32(backend):
    c = L.local_neural
    s = fo.step_sweep(c, backend, point=c.point(n=16), precision="float32")
    assert abs(s.order - FLOAT64_ORDERS[backend]) <= 0.1
    assert s.min_error <= 10 * float(np.finfo(np.float32).eps) ** (
        FLOAT64_ORDERS[backend] / (FLOAT64_ORDERS[backend] + 1)
    )


# -- the classic figure (Squire & Trapp 1998; Martins, Sturdza & Alonso 2003) ---------------
def test_complex_step_has_no_round_off_rise():
    s = fo.step_sweep("squire_trapp", "complex-step")
    assert s.steps.min() <= 1e-300
    small = s.steps <= 1e-8
    assert small.sum() > 1000
    assert np.all(s.rel_errors[small] <= 4 * EPS)
    assert abs(s.order - 2) <= 0.05


def test_central_best_near_1e_5():
    s = fo.step_sweep("squire_trapp", "central")
    assert s.min_error <= 1e-10
    assert 1e-6 <= s.best_step <= 1e-4
    # Balanced at h ~ eps^(1/3): the best error is about eps^(2/3) times a constant.
    assert s.min_error <= 100 * EPS ** (2 / 3)


def test_forward_best_near_1e_8():
    s = fo.step_sweep("squire_trapp", "forward")
    assert 3e-9 <= s.best_step <= 3e-8
    assert np.sqrt(EPS) / 10 <= s.min_error <= 10 * np.sqrt(EPS)


def test_frame_columns():
    s = fo.step_sweep("squire_trapp", "central", steps=[1e-1, 1e-2, 1e-3, 1e-4])
    frame = s.to_frame()
    assert {"step", "rel_error", "local_order", "in_fit"} <= set(frame.columns)
    assert list(frame["step"]) == [1e-1, 1e-2, 1e-3, 1e-4]
    np.testing.assert_allclose(frame["local_order"][1:], 2, atol=0.01)


def test_fit_order_on_a_synthetic_curve():
    h = 10.0 ** -np.arange(0, 16, 0.25)
    err = 3 * h**2 + 1e-16 / h
    order, mask = fit_order(h, err)
    assert abs(order - 2) < 0.01
    assert h[mask].min() > 1e-5  # the fit stays out of the round-off range


def test_default_ladders():
    assert default_sweep_steps("complex-step").min() == pytest.approx(1e-300)
    assert default_sweep_steps("central").min() == pytest.approx(1e-16)
    assert default_sweep_steps("central", "mp", 40).min() == pytest.approx(1e-40)


def test_unstepped_backend_lists_choices():
    with pytest.raises(fo.FirstOrderError, match=r"unknown stepped backend `analytic`.*`central`"):
        fo.step_sweep("squire_trapp", "analytic")


@pytest.mark.parametrize("steps", [[], [0.0], [-1e-3], [np.nan]])
def test_bad_steps(steps):
    with pytest.raises(fo.FirstOrderError, match="`steps`"):
        fo.step_sweep("squire_trapp", "central", steps=steps)


def test_not_applicable_backend_raises():
    with pytest.raises(fo.FirstOrderError, match="complex_safe=False"):
        fo.step_sweep(L.local_abs, "complex-step")
