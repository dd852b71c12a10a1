"""The Taylor harness on every built-in case, mutants, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import firstorder as fo
from firstorder.taylor.fit import SAFETY
from firstorder.taylor.harness import FAIL_TOL, PASS_TOL, RESOLVABLE

MP_DPS = 30


def _mp_dps(case: fo.Case, v) -> int:
    """Digits for mp: MP_DPS relative to the cost's size (the floor is eps·|C|)."""
    value = abs(float(np.asarray(case.cost(np.asarray(v, dtype=float), "float64"))))
    return MP_DPS + max(0, int(np.ceil(np.log10(max(value, 1.0)))))


def _expect_ok(res: fo.TaylorResult, case: fo.Case) -> None:
    want = "exact" if "linear" in case.tags else "pass"
    if res.verdict == "inconclusive" and res.precision != "mp":
        # Honest only where the precision provably cannot resolve r1 here (the
        # predicted clean window from the curvature and the measured floor is too
        # short), and mp, at the same point and direction, resolves it.
        assert res.predicted_decades < RESOLVABLE, res.reason
        mp = fo.taylor_test(
            case, res.point, res.direction, precision="mp", dps=_mp_dps(case, res.point)
        )
        assert mp.verdict == want, mp.reason
        return
    assert res.verdict == want, res.reason
    if want == "pass":
        assert res.order_ci[0] - PASS_TOL <= 2
        assert res.n_points >= 4 and np.log10(res.h_max / res.h_min) >= 1


# Every case at x0 (float64 and mp: verdict, order 2 over ≥ 10 decades in mp, and in mp
# r1/h² → dᵀHd/2 where second derivatives are known) is tests/convergence's
# `test_taylor_order[case-analytic-*]`, with the same direction and inconclusive rule:
# not repeated here.


# In mp, whose sweeps cost a hundred times more, in the slow lane (`tox -e slow`). The
# fast lane keeps what catches the same defects: float64 here at the same points (the
# harness away from x0), every case in mp at x0 (tests/convergence), and every mp
# gradient against 40-digit derivatives at 5 seeded points (tests/cases).
@pytest.mark.parametrize("precision", ["float64", pytest.param("mp", marks=pytest.mark.slow)])
def test_every_case_passes_at_seeded_points(case, precision):
    for k, v in enumerate(case.random_points(3, seed=11)):
        res = fo.taylor_test(case, v, precision=precision, dps=_mp_dps(case, v), seed=k)
        _expect_ok(res, case)


def test_float32_has_its_own_floor(case):
    res = fo.taylor_test(case, precision="float32")
    if res.verdict == "inconclusive":
        # Honest only where float32 provably cannot resolve r1 here; that mp resolves
        # it at x0 along the same direction is tests/convergence's analytic-mp test.
        assert res.predicted_decades < RESOLVABLE, res.reason
        return
    _expect_ok(res, case)


def test_linear_is_exact_in_every_precision():
    for p in ("float64", "float32", "mp"):
        res = fo.taylor_test("linear", precision=p, dps=MP_DPS)
        assert res.verdict == "exact", res.reason
        assert res.orders["r0"].verdict == "pass"


def test_quadratic_has_exact_r2():
    res = fo.taylor_test("booth")
    assert res.verdict == "pass" and res.orders["r2"].verdict == "exact"


def test_r0_and_r2_orders():
    res = fo.taylor_test("seed", precision="mp", dps=MP_DPS)
    assert abs(res.orders["r0"].order - 1) < 0.01
    assert abs(res.orders["r2"].order - 3) < 0.01
    assert res.orders["r0"].coefficient_agreement < 2 / SAFETY**2


def test_directions():
    n = 2
    for spec in ("random", "descent", "e0", "e1", [1.0, 2.0]):
        res = fo.taylor_test("seed", direction=spec)
        assert res.verdict == "pass", (spec, res.reason)
        assert np.linalg.norm(res.direction) == pytest.approx(1)
    res = fo.taylor_test("seed", direction="descent")
    c = fo.resolve_case("seed")
    grad = c.grad(c.point())
    # Gradient descent: ΔC ≈ −η‖∇C‖² for Δv = −η∇C, i.e. ∇C·d = −‖∇C‖ for d = −∇C/‖∇C‖.
    assert res.directional_derivative == pytest.approx(-np.linalg.norm(grad), rel=1e-14)
    assert len(res.point) == n


def test_gradient_as_array_and_callable():
    c = fo.resolve_case("rosenbrock")
    v = c.point()
    assert fo.taylor_test(c, gradient=c.grad(v)).verdict == "pass"
    assert fo.taylor_test(c, gradient=lambda x: c.grad(np.asarray(x, float))).verdict == "pass"


def _mutants(g):
    i, j = np.argsort(-np.abs(g))[:2]
    flip, scale, swap = g.copy(), g.copy(), g.copy()
    flip[i] = -g[i]
    scale[i] = g[i] * (1 + 1e-6)
    swap[[i, j]] = g[[j, i]]
    return {"flip": (flip, {i}), "scale": (scale, {i}), "swap": (swap, {i, j})}


@pytest.mark.parametrize("name", ["seed", "rosenbrock", "booth", "beale"])
def test_mutants_fail_and_are_located(name):
    c = fo.resolve_case(name)
    v = c.random_points(1, seed=3)[0]
    g = c.grad(v)
    for kind, (gm, wrong) in _mutants(g).items():
        res = fo.taylor_test(c, v, gradient=gm)
        assert res.verdict == "fail", (kind, res.reason)
        assert res.order_ci[1] < 2 - FAIL_TOL or "coefficient" in res.reason or "h^2" in res.reason
        assert set(res.wrong_components) == wrong, kind
        frame = res.diagnosis.to_frame()
        assert list(frame.columns[:4]) == ["component", "analytic", "reference", "ratio"]
        if kind == "flip":
            assert frame["ratio"].iloc[0] == pytest.approx(-1, abs=1e-8)
            assert frame["relative_error"].iloc[0] == pytest.approx(-2, abs=1e-8)
        if kind == "scale":
            assert frame["ratio"].iloc[0] == pytest.approx(1 + 1e-6, abs=1e-9)
            # printed, the ratio reads 1.0; the relative error reads the fault
            assert frame["relative_error"].iloc[0] == pytest.approx(1e-6, rel=1e-3)


def test_dropped_term_fails_and_is_located():
    c = fo.resolve_case("seed")

    def dropped(v):
        v1, v2 = v[0], v[1]
        w = v2 - 0.5 * np.sin(v1)
        return np.array([v1, 4 * w])  # the −2w·cos(v1) term of ∂C/∂v1 is missing

    res = fo.taylor_test(c, gradient=dropped)
    assert res.verdict == "fail" and res.wrong_components == (0,)


def test_mutant_in_mp_detected_far_below_float64():
    c = fo.resolve_case("seed")
    g = c.grad(c.point(), fo.context("mp", MP_DPS))
    g[1] = g[1] * (1 + fo.context("mp", MP_DPS).const("1e-12"))
    res = fo.taylor_test(c, gradient=g, precision="mp", dps=MP_DPS)
    assert res.verdict == "fail" and res.wrong_components == (1,)


def test_frames_and_dict():
    res = fo.taylor_test("seed")
    frame = res.to_frame()
    for col in ("h", "r0", "r1", "r2", "local_order_r1", "in_window"):
        assert col in frame.columns
    assert len(frame) == len(res.steps) and frame["in_window"].sum() == res.n_points
    fits = res.fits_frame()
    assert list(fits["remainder"]) == ["r0", "r1", "r2"]
    d = res.to_dict()
    for key in (
        "verdict",
        "reason",
        "order",
        "order_ci",
        "h_min",
        "h_max",
        "n_points",
        "coefficient_agreement",
        "orders",
        "wrong_components",
    ):
        assert key in d


def test_steps_reach_below_the_floor():
    for p, below in (("float64", 1e-10), ("float32", 1e-4), ("mp", 10.0 ** (-MP_DPS / 2))):
        res = fo.taylor_test("rosenbrock", precision=p, dps=MP_DPS)
        scale = max(1, np.abs(res.point).max())
        assert res.steps.min() < below * scale
        assert np.allclose(res.steps[:-1] / res.steps[1:], 2)


def test_backend_gradient_unavailable_or_used():
    try:
        res = fo.taylor_test("seed", gradient="central")
    except fo.FirstOrderError as exc:
        assert "backend" in str(exc)
    else:
        assert res.verdict in ("pass", "fail") and res.h_star is not None


# -- bad input -----------------------------------------------------------------------------


def test_bad_input_errors():
    with pytest.raises(fo.FirstOrderError, match="`point` has length 3"):
        fo.taylor_test("seed", [1.0, 2.0, 3.0])
    with pytest.raises(fo.FirstOrderError, match="`direction` has shape"):
        fo.taylor_test("seed", direction=[1.0, 2.0, 3.0])
    with pytest.raises(fo.FirstOrderError, match="`direction` is zero"):
        fo.taylor_test("seed", direction=[0.0, 0.0])
    with pytest.raises(fo.FirstOrderError, match=r"non-finite component `v\[1\]`"):
        fo.taylor_test("seed", [1.0, np.nan])
    with pytest.raises(fo.FirstOrderError, match=r"`gradient` has shape \(3,\)"):
        fo.taylor_test("seed", gradient=np.ones(3))
    with pytest.raises(fo.FirstOrderError, match=r"unknown precision `float16`.*`float64`"):
        fo.taylor_test("seed", precision="float16")
    with pytest.raises(fo.FirstOrderError, match=r"unknown case `sead`.*`seed`"):
        fo.taylor_test("sead")
    with pytest.raises(fo.FirstOrderError, match=r"unknown direction `up`.*`random`"):
        fo.taylor_test("seed", direction="up")


def test_unknown_backend_lists_choices_or_is_unavailable():
    with pytest.raises(fo.FirstOrderError, match="`nope`"):
        fo.taylor_test("seed", gradient="nope")


def _partial_case(bad: str) -> fo.Case:
    @fo.case(name=f"breaks_{bad}", x0=[0.0, 0.0])
    def c(v, ctx):
        x = ctx.real(v[..., 0])
        if bad == "nan":  # NaN in a band of small steps, finite above and below it
            return ctx.where((x > 1e-4) & (x < 1e-3), np.nan, v[..., 0] ** 2)
        if bad == "overflow":  # NaN at the largest steps only: pre-asymptotic
            return ctx.where(x > 0.05, np.nan, ctx.exp(v[..., 0]))
        if np.any(np.real(np.asarray(x, dtype=float)) > 0.05):
            raise ZeroDivisionError("boom")
        return v[..., 0] ** 2

    @c.gradient
    def _(v, ctx):
        x = v[..., 0]
        return ctx.stack([ctx.exp(x) if bad == "overflow" else 2 * x, 0 * v[..., 1]])

    return c


def test_cost_nan_or_raising_inside_the_sweep_names_the_step():
    with pytest.raises(fo.FirstOrderError, match=r"not finite at step `h=0\.000977`"):
        fo.taylor_test(_partial_case("nan"), direction="e0")
    with pytest.raises(fo.FirstOrderError, match=r"raised ZeroDivisionError at step `h=0\.0625`"):
        fo.taylor_test(_partial_case("raise"), direction="e0")


def test_non_finite_cost_at_the_largest_steps_drops_them():
    res = fo.taylor_test(_partial_case("overflow"), direction="e0")
    assert res.verdict == "pass", res.reason
    assert list(res.dropped_steps) == [0.0625] and "dropped" in res.reason
    assert res.steps[0] == 0.03125


def _scaled(c: fo.Case, delta: float) -> np.ndarray:
    """``c``'s gradient at x0 with its largest component scaled by ``1 + delta``."""
    g = np.array(c.grad(c.point()), dtype=float)
    i = int(np.argmax(np.abs(g)))
    g[i] *= 1 + delta
    return g


def test_the_result_carries_the_r1_order_its_verdict_rests_on():
    """The report's tables read the judged r1 order from the result, not from its
    reason: the fit over the smallest clean steps where those failed r1, the
    whole-window fit where it decided, none where s1 found an error r1 missed."""
    c = fo.resolve_case("rosenbrock")

    def quoted(res: fo.TaylorResult) -> str:
        lo, hi = res.judged_order_ci
        return f"r1 falls at order {res.judged_order:.2f} [{lo:.2f}, {hi:.2f}]"

    tail = fo.taylor_test(c, gradient=_scaled(c, 1e-6), seed=1)
    assert tail.verdict == "fail" and "at the smallest clean steps" in tail.reason
    assert quoted(tail) in tail.reason and tail.judged_order < tail.order - 0.1
    assert tail.to_dict()["judged_order"] == pytest.approx(tail.judged_order)

    right = fo.taylor_test(c, seed=1)
    assert right.verdict == "pass" and right.orders["r1"].verdict == "pass"
    assert (right.judged_order, right.judged_order_ci) == (right.order, right.order_ci)

    missed = fo.taylor_test(c, gradient=_scaled(c, 1e-8), seed=0)
    assert missed.verdict == "fail" and missed.orders["r1"].verdict == "pass"
    assert "r1 falls" not in missed.reason and np.isnan(missed.judged_order)


def test_an_order_is_judged_where_the_verdict_rests_on_the_r1_fit():
    """s1 overruling a failing r1 tail leaves the order quoted (the inconclusive reason
    says what r1 showed); a backend's budget or another reading passing it does not."""
    from firstorder.taylor.fit import Fit
    from firstorder.taylor.verdict import rests_on

    failed = Fit("r1", 2, 1.9, (1.85, 1.95), 1e-8, 1e-1, 20, None, "fail", "", 1.0, (0.8, 1.2))
    assert rests_on("fail", failed) and rests_on("inconclusive", failed)
    assert not rests_on("pass", failed)
    passed = Fit("r1", 2, 2.0, (1.99, 2.01), 1e-8, 1e-1, 20, None, "pass", "", 2.0, (1.99, 2.01))
    assert rests_on("pass", passed) and not rests_on("fail", passed)
    assert not rests_on("inconclusive", passed)
    unresolved = Fit("r1", 2, np.nan, (np.nan, np.nan), np.nan, np.nan, 2, None, "inconclusive")
    assert not rests_on("inconclusive", unresolved)
