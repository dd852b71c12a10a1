"""The automatic step: near the best single step on every case, against SciPy's rule and
numdifftools, on noisy costs, and reused once searched."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import firstorder as fo
from firstorder.gradients.finite_difference import clear_step_cache
from firstorder.gradients.noise import ecnoise
from firstorder.gradients.steps import search_steps, variable_scales
from firstorder.studies.grid import DEFAULT_POINTS, point_of

#: The oracle: the best error of any single relative step h·max(1, |v_j|) over these.
ORACLE_STEPS = np.logspace(-13, 0, 61)
#: The issue's floors: central within max(1e-9, 100 × oracle), forward max(1e-6, ...).
FLOOR = {"central": 1e-9, "forward": 1e-6}
#: Cases the fixed rule gets badly wrong (issue 15's table).
HARD = ["tiny_scale", "scosine", "huge_offset", "brown_badly_scaled", "osborne1"]

REGISTRY = fo.load_cases()
SMALL = [name for name in REGISTRY if REGISTRY[name].dim <= 60]


def rel_error(values, truth) -> float:
    """‖g − g*‖₂ / ‖g*‖₂ (‖g − g*‖₂ where g* = 0)."""
    g = np.asarray(values, dtype=np.float64)
    scale = float(np.linalg.norm(truth)) or 1.0
    return float(np.linalg.norm(g - truth)) / scale


def truth_at(c, x) -> np.ndarray:
    return fo.gradient(c, x, backend="reference", dps=40).as_float()


def oracle(c, x, backend, truth) -> float:
    scale = np.maximum(1.0, np.abs(x))
    errs = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for h in ORACLE_STEPS:
            e = rel_error(fo.gradient(c, x, backend=backend, step=h * scale).values, truth)
            errs.append(e if np.isfinite(e) else np.inf)
    return min(errs)


@pytest.mark.slow
@pytest.mark.parametrize("point", range(DEFAULT_POINTS + 1), ids=lambda p: f"p{p}")
@pytest.mark.parametrize("name", SMALL)
def test_auto_step_is_within_100x_of_the_best_single_step(name, point):
    c = REGISTRY[name]
    x = point_of(c, point, DEFAULT_POINTS, 0)
    truth = truth_at(c, x)
    clear_step_cache()
    for backend, floor in FLOOR.items():
        with np.errstate(all="ignore"):
            got = rel_error(fo.gradient(c, x, backend=backend).values, truth)
        best = oracle(c, x, backend, truth)
        assert got <= max(floor, 100 * best), (backend, got, best)


@pytest.mark.parametrize("name", HARD)
def test_auto_central_beats_scipy_3point_a_hundredfold_on_the_hard_cases(name):
    pytest.importorskip("scipy")
    c = REGISTRY[name]
    x = c.point()
    truth = truth_at(c, x)
    ours = rel_error(fo.gradient(c, x, backend="central").values, truth)
    scipy = rel_error(fo.gradient(c, x, backend="scipy-3point").values, truth)
    assert 100 * ours <= scipy


def test_the_rule_is_scipys_3point_step():
    pytest.importorskip("scipy")
    c = REGISTRY["scosine"]
    ours = fo.gradient(c, backend="central", step="rule")
    scipy = fo.gradient(c, backend="scipy-3point")
    assert ours.step_rule == "rule"
    np.testing.assert_allclose(ours.values, scipy.values, rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", SMALL)
def test_auto_richardson_is_within_10x_of_numdifftools_where_it_succeeds(name):
    pytest.importorskip("numdifftools")
    c = REGISTRY[name]
    x = c.point()
    truth = truth_at(c, x)
    nd = fo.gradient(c, x, backend="numdifftools")
    theirs = rel_error(nd.values, truth) if nd.ok else np.nan
    ours = rel_error(fo.gradient(c, x, backend="richardson").values, truth)
    if np.isfinite(theirs) and theirs < 0.5:
        # numdifftools succeeds: match it within 10x (or to float64's resolution, 1e-14)
        assert ours <= max(10 * theirs, 1e-14)
    else:
        # it fails (NaN, or an error of the gradient's size): we must not
        assert ours <= 1e-9


@pytest.mark.parametrize("name", ["scosine", "tiny_scale"])
def test_auto_richardson_succeeds_where_numdifftools_fails(name):
    c = REGISTRY[name]
    x = c.point()
    res = fo.gradient(c, x, backend="richardson")
    assert rel_error(res.values, truth_at(c, x)) <= 1e-11
    assert res.step_rule == "auto"


# -- noise ----------------------------------------------------------------------------
NOISE = 1e-10


def _noisy_valley():
    rng = np.random.default_rng(20260101)

    @fo.case(name="noisy_valley", x0=[-0.5, 1.5, 0.8])
    def noisy(v, ctx):
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        clean = (x - 1) ** 2 / 2 + 2 * (y - ctx.sin(x)) ** 2 + ctx.cosh(z) + 1.0
        return clean * (1 + NOISE * rng.standard_normal(np.shape(clean)))

    @noisy.gradient
    def _(v, ctx):
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        gy = 4 * (y - ctx.sin(x))
        return ctx.stack([x - 1 - gy * ctx.cos(x), gy, ctx.sinh(z)])

    return noisy


def test_noisy_cost_gets_steps_sized_to_its_noise_and_an_honest_error_estimate():
    c = _noisy_valley()
    x = np.array(c.point())
    clean = c.cost(x)
    found = search_steps(c, x, fo.context("float64"), 1 << 20)
    # ECnoise finds the relative noise 1e-10 (not float64's 1e-16)
    assert 0.3 * NOISE * clean <= found.noise <= 3 * NOISE * clean
    truth = np.asarray(c.grad(x), dtype=np.float64)
    for backend, p in (("central", 2), ("forward", 1)):
        res = fo.gradient(c, x, backend=backend)
        # steps sized to the noise: eps_f^(1/(p+1)) (times curvature), not eps^(1/(p+1))
        rel_noise = found.noise / clean
        assert np.all(res.steps >= 0.1 * rel_noise ** (1 / (p + 1)))
        # the per-component estimate covers the actual error
        err = np.abs(res.as_float() - truth)
        assert np.all(err <= res.error_estimate), (backend, err, res.error_estimate)
        # and it is not vacuous: within 1000x of the error the noise allows
        assert np.all(res.error_estimate <= 1e3 * rel_noise ** (p / (p + 1)) * clean)


def test_ecnoise_measures_white_noise_and_ignores_a_smooth_line():
    rng = np.random.default_rng(7)
    t = np.linspace(-1, 1, 9) * 1e-6
    smooth = np.exp(t) * 3
    noisy = smooth + 1e-9 * rng.standard_normal((200, 9))
    est = ecnoise(noisy)
    assert 0.7e-9 <= np.median(est) <= 1.3e-9
    assert ecnoise(smooth[None])[0] <= 1e-15


def test_the_noise_is_the_tables_that_agree_not_one_that_reads_low_alone():
    # trigonometric at the run's first point: one ECnoise table reads 1e-17 alone (its
    # step barely moves the cost's rounding), five agree at 3e-16 to 8.5e-16
    c = REGISTRY["trigonometric"]
    x = point_of(c, 1, DEFAULT_POINTS, 0)
    found = search_steps(c, x, fo.context("float64"), 1 << 20)
    clean = abs(float(c.cost(x)))
    assert found.noise >= 100 * np.finfo(np.float64).eps * clean
    # and the estimates of every stepped backend cover the errors there (with the least
    # table they were 3 to 8 times too small)
    truth = truth_at(c, x)
    for backend in ("forward", "central", "central4", "richardson"):
        res = fo.gradient(c, x, backend=backend)
        err = np.abs(res.as_float() - truth)
        assert np.all(err <= res.error_estimate), (backend, err / res.error_estimate)


# -- typical scales and reuse ----------------------------------------------------------
def test_typical_scales_replace_max_1_abs_v():
    x = np.array([1e-6, 5.0, 0.0])
    np.testing.assert_array_equal(variable_scales(None, x), [1.0, 5.0, 1.0])
    np.testing.assert_array_equal(variable_scales(1e-6, x), [1e-6] * 3)
    np.testing.assert_array_equal(variable_scales((1e-6, 2.0, 3.0), x), [1e-6, 2.0, 3.0])


def test_typical_is_checked_when_the_case_is_built():
    with pytest.raises(fo.CaseError, match="`typical`"):
        fo.case(name="bad_typical", x0=[1.0, 2.0], typical=[1.0])(lambda v, ctx: v[..., 0])
    with pytest.raises(fo.CaseError, match="`typical`"):
        fo.case(name="bad_typical", x0=[1.0, 2.0], typical=-1.0)(lambda v, ctx: v[..., 0])


def test_a_case_with_typical_scales_searches_from_them():
    @fo.case(name="typical_tiny", x0=[0.0, 0.0], typical=1e-6)
    def tiny(v, ctx):
        s = 1e-6
        return s**2 * (ctx.cosh(v[..., 0] / s) + ctx.cos(v[..., 1] / s))

    found = search_steps(tiny, np.zeros(2), fo.context("float64"), 1 << 20, tiny.typical)
    np.testing.assert_array_equal(found.scale, [1e-6, 1e-6])
    g = fo.gradient(tiny, backend="central")
    # at most the typical scale (where f''' = 0, as for cos at 0, the step grows to it),
    # not max(1, |v_j|) = 1; and the gradient (0 here) is found to round-off
    assert np.all(g.steps <= 1e-6)
    assert np.all(np.abs(g.as_float()) <= 1e-15)


def test_the_search_runs_once_per_point_and_precision():
    c = REGISTRY["osborne1"]
    x = c.point()
    clear_step_cache()
    first = fo.gradient(c, x, backend="central")
    n = len(x)
    assert first.nfev > 2 * n
    for backend, count in (("central", 2 * n), ("forward", n + 1), ("central4", 4 * n)):
        assert fo.gradient(c, x, backend=backend).nfev == count
    assert fo.gradient(c, x, backend="central", precision="float32").nfev > 2 * n


def test_unknown_step_words_are_refused_naming_the_step():
    with pytest.raises(fo.FirstOrderError, match="`step`"):
        fo.gradient("rosenbrock", backend="central", step="automatic")


#: Floors of the high-order stencils' comparison with the rule's step. Near an
#: inflection point f'' ≈ 0 shortens the length l = |f''/f'''| the model grows the
#: derivatives over: on trigonometric central4 lands at 1.3e-10 (rule 1.2e-11) and
#: central8 at 3e-11 (rule 7e-13), a known limit of the model.
HIGH_ORDER_FLOOR = {"central4": 1e-9, "central6": 1e-10, "central8": 1e-10}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SMALL if REGISTRY[n].complex_safe])
def test_auto_high_order_stencils_are_near_the_rule(name):
    # Their truncation derivative f^(p+1) grows factorially (Cauchy): modelled without
    # the factorials, the automatic steps of central6/8 were 2-5x too large and their
    # errors 10-100x the rule's on smooth cases (seed, logistic_l2, softmax_cross_entropy)
    c = REGISTRY[name]
    x = c.point()
    truth = truth_at(c, x)
    clear_step_cache()
    for backend, floor in HIGH_ORDER_FLOOR.items():
        with np.errstate(all="ignore"):
            auto = rel_error(fo.gradient(c, x, backend=backend).values, truth)
            rule = rel_error(fo.gradient(c, x, backend=backend, step="rule").values, truth)
        assert auto <= max(floor, 10 * rule), (backend, auto, rule)


@pytest.mark.parametrize("name", ["huber_regression", "lasso"])
def test_high_order_stencils_keep_kinks_out_of_a_non_analytic_cost(name):
    c = REGISTRY[name]
    x = c.point()
    truth = truth_at(c, x)
    for backend in ("central4", "central6", "central8"):
        assert rel_error(fo.gradient(c, x, backend=backend).values, truth) <= 1e-9, backend


# -- large n: fewer evaluations --------------------------------------------------------
@pytest.mark.parametrize("name", ["ext_rosenbrock", "trigonometric", "zakharov"])
def test_richardson_at_large_n_places_a_short_ladder_as_accurate_as_the_full_one(name):
    from firstorder.gradients.result import Job
    from firstorder.gradients.richardson import FULL_LADDER_MAX_N, richardson_ladder

    c = REGISTRY[name]
    n = 100
    assert n > FULL_LADDER_MAX_N
    x = c.point(n=n)
    truth = np.asarray(c.grad(x), dtype=np.float64)
    clear_step_cache()
    short = fo.gradient(c, x, backend="richardson")
    ctx = fo.context("float64")
    full = richardson_ladder(Job(c, x, "float64", None, 50, 1 << 26), ctx, x)
    # the search and 16 steps a side: 0.53-0.62 of the full ladder's evaluations here
    assert short.nfev < 0.7 * full.nfev and short.step_rule == "auto"
    # and the error within 3x of the full ladder's (or float64's resolution, 1e-14)
    assert rel_error(short.values, truth) <= max(3 * rel_error(full.values, truth), 1e-14)
    err = np.abs(short.as_float() - truth)
    assert np.all(err <= 10 * short.error_estimate)


def test_central_above_confirm_max_n_keeps_the_trial_step_of_a_quadratic_direction():
    from firstorder.gradients.steps import CONFIRM_MAX_N

    c = REGISTRY["ext_rosenbrock"]
    n = CONFIRM_MAX_N + 2
    x = c.point(n=n)
    truth = np.asarray(c.grad(x), dtype=np.float64)
    clear_step_cache()
    found = search_steps(c, x, fo.context("float64"), 1 << 26)
    clear_step_cache()
    res = fo.gradient(c, x, backend="central")
    # the odd components are quadratic (f''' = 0): lost in the noise at the first
    # round's step, they keep it, with no confirming round (4 more evaluations each)
    assert found.unconfirmed is not None and np.all(found.unconfirmed[1::2])
    np.testing.assert_array_equal(res.steps[1::2], found.trial[1::2])
    # one round, the noise line and at most 2 more per even component
    assert res.nfev <= 4 * n + 63 + n
    err = np.abs(res.as_float() - truth)
    assert np.all(err <= res.error_estimate)
    assert rel_error(res.values, truth) <= 1e-9
