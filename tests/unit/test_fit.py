"""The verdict logic on synthetic remainders: pure h², h + h², noise only, a bump."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from firstorder.taylor.fit import MIN_POINTS, clean_window, fit_loglog, local_orders, t_quantile

EPS = np.finfo(float).eps
H = 0.1 * 2.0 ** -np.arange(40)
FLOOR = np.full(len(H), EPS)


def test_t_quantile_matches_known_values():
    # Tabulated 97.5% quantiles (df 1, 2, 10) and the normal limit.
    assert t_quantile(1) == pytest.approx(12.7062047, rel=1e-7)
    assert t_quantile(2) == pytest.approx(4.30265273, rel=1e-7)
    assert t_quantile(10) == pytest.approx(2.22813885, rel=1e-7)
    assert t_quantile(10_000) == pytest.approx(1.95996398, rel=1e-3)


@pytest.mark.parametrize("df", [1, 2, 3, 7, 30, 150])
@pytest.mark.parametrize("p", [0.6, 0.975, 0.995])
def test_t_quantile_inverts_the_cdf(df, p):
    # the cdf at the quantile, to 30 digits: p back to the float64 cdf's resolution
    mp = mpmath.MPContext()
    mp.dps = 30
    t = mp.mpf(t_quantile(df, p))
    cdf = 1 - mp.betainc(mp.mpf(df) / 2, 0.5, 0, df / (df + t * t), regularized=True) / 2
    assert abs(cdf - p) < 1e-13


def test_pure_power_fits_exactly():
    fit = fit_loglog(H[:10], 3.0 * H[:10] ** 2)
    assert fit.slope == pytest.approx(2, abs=1e-12)
    assert fit.ci[1] - fit.ci[0] < 1e-9
    assert 10**fit.intercept == pytest.approx(3.0, rel=1e-10)


def test_local_orders_of_pure_power():
    q = local_orders(H, H**3)
    assert np.allclose(q[:-1], 3, atol=1e-12) and np.isnan(q[-1])


def test_window_of_pure_h2_stops_at_the_floor():
    r = 2 * H**2 + EPS * np.random.default_rng(0).standard_normal(len(H))
    mask = clean_window(H, np.abs(r), FLOOR)
    assert mask[0] and mask.sum() >= MIN_POINTS
    assert np.all(np.abs(r[mask]) > 10 * EPS)
    fit = fit_loglog(H[mask], np.abs(r[mask]))
    assert fit.ci[0] - 0.01 <= 2 <= fit.ci[1] + 0.01


def test_h_plus_h2_window_shows_order_one_at_small_steps():
    e = 1e-6
    r = e * H + H**2
    mask = clean_window(H, r, FLOOR)
    tail = fit_loglog(H[mask][-5:], r[mask][-5:])
    assert tail.slope == pytest.approx(1, abs=0.05)


def test_noise_floor_only_gives_no_window():
    r = EPS * np.abs(np.random.default_rng(1).standard_normal(len(H)))
    assert not clean_window(H, r, FLOOR).any()


def test_pre_asymptotic_bump_is_dropped():
    # A large-step bump in r1 (an order-4 term that dominates above h ≈ 0.01).
    r = H**2 + 1e4 * H**4
    mask = clean_window(H, r, FLOOR)
    assert not mask[0]
    fit = fit_loglog(H[mask], r[mask])
    assert abs(fit.slope - 2) < 0.05


def test_plateau_floor_on_synthetic_remainders():
    from firstorder.taylor.fit import plateau_floor

    h = 2.0 ** -np.arange(40)
    # Pure h² down to the smallest step: only the last three steps are unjudged.
    assert plateau_floor(h**2) == h[-3] ** 2
    # h² over a noise floor at 1e-12 (seeded, within a factor 10 below it).
    noise = 1e-12 * np.random.default_rng(0).uniform(0.1, 1.0, len(h))
    r = np.where(h**2 > 1e-12, h**2, noise)
    level = plateau_floor(r)
    assert noise.max() * 0.99 <= level <= 4e-12
    # A wrong gradient's order-1 tail |e h| is signal, not plateau.
    tail = 1e-3 * h + h**2
    assert plateau_floor(tail) == tail[-3]


@pytest.mark.parametrize(
    ("lo", "hi", "digits"), [(1.9, 2.1, 2), (1.997, 1.999, 3), (1.99962, 1.99981, 4)]
)
def test_an_interval_that_excludes_the_order_is_printed_with_the_decimals_that_show_it(
    lo, hi, digits
):
    from firstorder.taylor.fit import interval_decimals

    k = interval_decimals(lo, hi, 2)
    assert k == digits
    assert not (float(f"{lo:.{k}f}") <= 2 <= float(f"{hi:.{k}f}")) or lo <= 2 <= hi


def test_the_s1_plateau_is_read_under_the_signal_not_under_the_last_tooth():
    """A signal falling at order 3 to a round-off plateau whose rounding changes smoothly
    (teeth falling ∝ h): the level is that of the teeth, not of the last tooth's foot."""
    from firstorder.taylor.fit import plateau_below_signal, plateau_floor

    signal = 1e-3 * 8.0 ** -np.arange(12)  # order 3, ratio 2
    tooth = 1.4e-17 * 2.0 ** -np.arange(6)  # ∝ h: looks like signal from below
    r = np.concatenate([signal, tooth, tooth, tooth])
    assert plateau_below_signal(r) == pytest.approx(1.4e-17)
    assert plateau_floor(r) < 1e-17 / 4  # what it replaced
    # a plain signal down to noise: the noise's largest value
    noise = np.array([3e-17, 1e-17, 2e-17, 2.5e-17, 1.5e-17])
    assert plateau_below_signal(np.concatenate([signal, noise])) == pytest.approx(3e-17)
