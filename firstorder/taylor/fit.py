"""Log-log slopes of remainders: least squares, Student-t intervals, the clean window.

A remainder ``r(h)`` that behaves like ``c hᵖ`` is a straight line of slope ``p`` in
log-log coordinates. The clean window is the part of the step sequence where that
holds: above the round-off floor (by a safety factor) and past the large, not yet
asymptotic steps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import mpmath
import numpy as np

from ..numbers import Array

__all__ = [
    "LogLogFit",
    "clean_window",
    "fit_loglog",
    "local_orders",
    "plateau_floor",
    "t_quantile",
]

#: Remainders must exceed the estimated round-off floor by this factor to be clean.
SAFETY = 10.0
#: Local orders within this distance of the settled order count as settled.
SETTLE_TOL = 0.25
#: Fewest points, and fewest decades of h, a window may have.
MIN_POINTS = 4
MIN_DECADES = 1.0
#: Local orders at the smallest steps of a window that must show the remainder falling.
TRIM = 3


@functools.lru_cache(maxsize=256)
def t_quantile(df: int, p: float = 0.975) -> float:
    """Quantile ``p`` of Student's t distribution with ``df`` degrees of freedom.

    Computed from the regularized incomplete beta function (mpmath) by bisection, so
    SciPy is not needed.

    Parameters
    ----------
    df
        Degrees of freedom, at least 1.
    p
        Probability in (0.5, 1).

    Returns
    -------
    float
        ``t`` with ``P(T <= t) = p``.
    """
    mp = mpmath.MPContext()
    mp.dps = 20

    def cdf(t: float) -> float:
        x = df / (df + t * t)
        return float(1 - 0.5 * mp.betainc(df / 2, 0.5, 0, x, regularized=True))

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        hi *= 2
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class LogLogFit:
    """A least-squares line ``log10 r = slope · log10 h + intercept``.

    Attributes
    ----------
    slope : float
        The fitted order.
    ci : tuple of float
        The 95% confidence interval of the slope (Student t, ``n − 2`` dof).
    intercept : float
        ``log10`` of the leading coefficient.
    n : int
        Points fitted.
    h_min, h_max : float
        Bounds of the fitted steps.
    """

    slope: float
    ci: tuple[float, float]
    intercept: float
    n: int
    h_min: float
    h_max: float


def fit_loglog(h: Array, r: Array) -> LogLogFit:
    """Fit the log-log slope of ``r`` against ``h`` with its 95% interval.

    Parameters
    ----------
    h, r
        Positive steps and remainders of equal length (at least 2).

    Returns
    -------
    LogLogFit
        The slope, its interval (infinite width for two points), the intercept.
    """
    x = np.log10(np.asarray(h, dtype=float))
    y = np.log10(np.asarray(r, dtype=float))
    n = len(x)
    xm, ym = x.mean(), y.mean()
    sxx = float(np.sum((x - xm) ** 2))
    slope = float(np.sum((x - xm) * (y - ym)) / sxx)
    intercept = float(ym - slope * xm)
    if n > 2:
        resid = y - (intercept + slope * x)
        s2 = float(np.sum(resid**2)) / (n - 2)
        half = t_quantile(n - 2) * math.sqrt(s2 / sxx)
    else:
        half = math.inf
    return LogLogFit(
        slope=slope,
        ci=(slope - half, slope + half),
        intercept=intercept,
        n=n,
        h_min=float(10 ** x.min()),
        h_max=float(10 ** x.max()),
    )


def local_orders(h: Array, r: Array) -> Array:
    """Orders between neighbouring steps, ``log(r_k/r_{k+1}) / log(h_k/h_{k+1})``.

    Returns an array of the same length as ``h``; entry ``k`` is the order between
    steps ``k`` and ``k + 1`` (NaN for the last, or where a remainder is zero).
    """
    h = np.asarray(h, dtype=float)
    r = np.asarray(r, dtype=float)
    out = np.full(len(h), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.log(r[:-1] / r[1:]) / np.log(h[:-1] / h[1:])
    out[:-1] = np.where(np.isfinite(q), q, np.nan)
    return out


def clean_window(
    h: Array,
    r: Array,
    floor: Array,
    safety: float = SAFETY,
    settle_tol: float = SETTLE_TOL,
) -> Array:
    """The clean window: above the floor, past the pre-asymptotic large steps.

    Parameters
    ----------
    h
        Steps, decreasing.
    r
        Remainders at those steps.
    floor
        The estimated round-off floor of ``r`` at each step.
    safety
        Factor by which a clean remainder exceeds its floor.
    settle_tol
        Large steps whose local order differs from the settled order (the median
        over the lower half of the candidate run) by more than this are dropped.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the window (all False when no run of :data:`MIN_POINTS`
        clean points exists).
    """
    h = np.asarray(h, dtype=float)
    r = np.asarray(r, dtype=float)
    ok = np.isfinite(r) & (r > safety * np.asarray(floor, dtype=float)) & (r > 0)
    mask = np.zeros(len(h), dtype=bool)
    # Runs of consecutive clean steps. The asymptotic behaviour lives at the small
    # steps, so take the run of smallest steps that is long enough on its own (a
    # wrong gradient's r1 = |e h + c h²| can dip through zero, splitting the clean
    # steps into an order-2 run above and an order-1 run below); else the longest.
    runs = []
    start = None
    for k in range(len(h) + 1):
        if k < len(h) and ok[k]:
            start = k if start is None else start
        elif start is not None:
            runs.append((start, k))
            start = None
    good = [(a, b) for a, b in runs if b - a >= MIN_POINTS and _span(h, a, b) >= MIN_DECADES]
    if good:
        lo, hi = good[-1]
    elif runs:
        lo, hi = max(runs, key=lambda ab: (ab[1] - ab[0], ab[0]))
    else:
        return mask
    # Below the floor the remainder stops falling: where the estimated floor is too
    # low (round-off that jitter by a few ulps cannot see, such as cos x ≈ 1 rounding
    # in steps), the run ends in a plateau of erratic local orders. Trim the smallest
    # steps until the last TRIM local orders all show the remainder falling.
    q_all = local_orders(h[lo:hi], r[lo:hi])
    while hi - lo > TRIM + 1 and not np.all(q_all[hi - lo - 1 - TRIM : hi - lo - 1] >= 0.25):
        hi -= 1
    if hi - lo < MIN_POINTS:
        return mask
    q = local_orders(h[lo:hi], r[lo:hi])[:-1]
    settled = float(np.nanmedian(q[len(q) // 2 :]))
    top = lo
    while hi - top > MIN_POINTS and not abs(q[0] - settled) <= settle_tol:
        top += 1
        q = q[1:]
    mask[top:hi] = True
    if not window_ok(h, mask):
        # The orders never settle (a wrong gradient bending from order 2 to order 1
        # near the floor): keep the whole run, whose smallest steps tell.
        mask[lo:hi] = True
    return mask


def plateau_floor(h: Array, r: Array, rise: float = 1.5, run: int = 3) -> float:
    """The level of the round-off plateau at the smallest steps, measured from ``r``.

    Below its floor a remainder stops falling: a step's remainder no longer clears
    every remainder at the smaller steps. Scanning up from the smallest step, the
    signal starts at the first step that, with the ``run − 1`` steps above it, each
    exceed ``rise ×`` the largest remainder below them (a remainder falling at order
    1 or more does so by a factor 2 per step; noise does not, three times running).
    The plateau's level is the largest remainder below that step. This catches
    round-off that the ulp jitter cannot see (a cost whose rounding changes in
    jumps, such as cos x ≈ 1). When the remainder falls to the end, the level is
    that of the last ``run`` steps, which cannot be judged.
    """
    r = np.asarray(r, dtype=float)
    r = np.where(np.isfinite(r), r, np.inf)
    n = len(r)
    below = np.zeros(n)
    for k in range(n - 2, -1, -1):
        below[k] = max(below[k + 1], r[k + 1])
    clear = r >= rise * below
    # At least ``run`` steps below, so that the bottom's own noise cannot pass.
    for k in range(n - 1 - run, run - 2, -1):
        if np.all(clear[k - run + 1 : k + 1]):
            return float(below[k])
    return float(np.max(r[np.isfinite(r)])) if np.any(np.isfinite(r)) else 0.0


def _span(h: Array, a: int, b: int) -> float:
    return float(np.log10(h[a] / h[b - 1])) + 1e-9


def window_ok(h: Array, mask: Array) -> bool:
    """Whether a window has enough points spanning enough decades."""
    if int(np.sum(mask)) < MIN_POINTS:
        return False
    hw = np.asarray(h, dtype=float)[mask]
    return bool(np.log10(hw.max() / hw.min()) >= MIN_DECADES - 1e-9)
