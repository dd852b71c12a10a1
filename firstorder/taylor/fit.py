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
from typing import Any

import mpmath
import numpy as np

from ..numbers import Array
from ..vocab import Verdict

__all__ = [
    "COEF_TOL",
    "FAIL_TOL",
    "PASS_TOL",
    "Fit",
    "LogLogFit",
    "clean_window",
    "fit_loglog",
    "fit_remainder",
    "interval_decimals",
    "local_orders",
    "median",
    "plateau_below_signal",
    "plateau_floor",
    "strict_json",
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
#: A fit fails when its interval lies this far below the expected order.
FAIL_TOL = 0.25
#: A fit passes when its interval reaches the expected order within this.
PASS_TOL = 0.25
#: Relative disagreement of r1/h² with dᵀHd/2 that fails the coefficient check.
COEF_TOL = 0.25
#: Smallest clean steps used for the tail fit and the coefficient.
TAIL = 5
#: The order at which each remainder falls for a right gradient.
EXPECTED = {"r0": 1, "r1": 2, "r2": 3}


@functools.lru_cache(maxsize=256)
def t_quantile(df: int, p: float = 0.975) -> float:
    """Quantile ``p`` of Student's t distribution with ``df`` degrees of freedom.

    Computed from the regularized incomplete beta function (mpmath) by Newton's
    method, so SciPy is not needed.

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
    nu = mp.mpf(df)
    # log of the density's constant Γ((ν+1)/2) / (√(νπ) Γ(ν/2))
    log_c = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2

    def cdf(t: float) -> float:
        x = df / (df + t * t)
        return float(1 - 0.5 * mp.betainc(nu / 2, 0.5, 0, x, regularized=True))

    def pdf(t: float) -> float:
        return float(mp.exp(log_c - (nu + 1) / 2 * mp.log1p(t * t / nu)))

    # Newton's method on the cdf from the Cornish–Fisher expansion about the normal
    # quantile (exact for ν = 1 and 2): two or three incomplete-beta evaluations
    # instead of eighty for bisection; a step that would leave t > 0 is halved.
    z = float(mp.sqrt(2) * mp.erfinv(2 * p - 1))
    if df == 1:
        t = math.tan(math.pi * (p - 0.5))
    elif df == 2:
        t = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    else:
        t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    for _ in range(50):
        step = (cdf(t) - p) / pdf(t)
        while step >= t:
            step /= 2
        t -= step
        if abs(step) <= 1e-13 * t:  # the cdf in float64 resolves no more
            break
    return t


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
    # ufunc reductions: the sums numpy's sum and mean compute, without their wrappers
    add = np.add.reduce
    xm, ym = add(x) / n, add(y) / n
    dx = x - xm
    sxx = float(add(dx**2))
    slope = float(add(dx * (y - ym)) / sxx)
    intercept = float(ym - slope * xm)
    if n > 2:
        resid = y - (intercept + slope * x)
        s2 = float(add(resid**2)) / (n - 2)
        half = t_quantile(n - 2) * math.sqrt(s2 / sxx)
    else:
        half = math.inf
    return LogLogFit(
        slope=slope,
        ci=(slope - half, slope + half),
        intercept=intercept,
        n=n,
        h_min=float(10 ** np.minimum.reduce(x)),
        h_max=float(10 ** np.maximum.reduce(x)),
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
    q = q_all[: hi - lo - 1]  # the local orders of the trimmed run (elementwise)
    settled = median(q[len(q) // 2 :], skip_nan=True)
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


def _clearing(r: Array, rise: float) -> tuple[Array, Array]:
    """For each step, the largest remainder below it, and whether the step clears it by
    ``rise`` (the last step clears nothing: 0 lies below it)."""
    below = np.zeros(len(r))
    if len(r) > 1:
        below[:-1] = np.maximum.accumulate(r[:0:-1])[::-1]
    return below, r >= rise * below


def plateau_floor(r: Array, rise: float = 1.5, run: int = 3) -> float:
    """The level of the round-off plateau at the smallest steps, measured from ``r``
    (remainders at decreasing steps).

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
    below, clear = _clearing(r, rise)
    # Steps k whose run of ``run`` steps ending at k all clear; at least ``run`` steps
    # below, so that the bottom's own noise cannot pass.
    windows = np.convolve(clear.astype(int), np.ones(run, dtype=int), "valid")
    ends = np.flatnonzero(windows == run) + run - 1
    ends = ends[ends <= n - 1 - run]
    if len(ends):
        return float(below[ends[-1]])
    return float(np.max(r[np.isfinite(r)])) if np.any(np.isfinite(r)) else 0.0


def plateau_below_signal(r: Array, rise: float = 1.5, run: int = 3) -> float:
    """The level of the round-off under a remainder's signal: the largest remainder
    below the longest run of steps that each clear every remainder below them by
    ``rise`` (as in :func:`plateau_floor`; ``run`` steps at least).

    The signal falls from the large steps to the noise in one such run. Below it, a
    rounding error that changes smoothly over a few hundred ulps (a sawtooth, S
    falling ∝ h along each tooth) makes short runs too, and the last of them clears
    everything under it: :func:`plateau_floor`, which takes the lowest run, reads the
    level there, far too low. Without any run, the largest remainder (as
    :func:`plateau_floor`); NaN entries are left out.
    """
    r = np.asarray(r, dtype=float)
    r = r[np.isfinite(r)]
    n = len(r)
    if n == 0:
        return 0.0
    _, clear = _clearing(r, rise)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], clear.astype(int), [0]])))
    runs = [(b - a, a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= run]
    if not runs:
        return float(np.max(r))
    _, _, end = max(runs, key=lambda t: (t[0], -t[1]))  # the longest; the higher if tied
    if end >= n:  # falls to the end: the last steps' level, which cannot be judged
        return float(np.max(r[-run:]))
    return float(np.max(r[end:]))


def _span(h: Array, a: int, b: int) -> float:
    return float(np.log10(h[a] / h[b - 1])) + 1e-9


def median(a: Array, skip_nan: bool = False) -> float:
    """``numpy.median`` (``numpy.nanmedian`` with ``skip_nan``) of a short array: the
    same number, without numpy's overhead on a few elements."""
    v = a.tolist()
    if skip_nan:
        v = [x for x in v if x == x]
    elif any(x != x for x in v):
        return math.nan
    v.sort()
    k = len(v)
    if not k:
        return math.nan
    # numpy's mean of the middle two: their sum, halved
    return float(v[k // 2]) if k % 2 else (v[k // 2 - 1] + v[k // 2]) / 2


def window_ok(h: Array, mask: Array) -> bool:
    """Whether a window has enough points spanning enough decades."""
    if np.count_nonzero(mask) < MIN_POINTS:
        return False
    hw = np.asarray(h, dtype=float)[mask]
    return bool(np.log10(hw.max() / hw.min()) >= MIN_DECADES - 1e-9)


def json_number(x: float | None) -> float | None:
    """``x`` as a JSON number: None for None, NaN and infinities."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def strict_json(data: Any) -> Any:
    """``data`` with every number that JSON cannot hold (NaN, ±inf) as None.

    Walks dicts, lists and tuples; numpy scalars and arrays become Python numbers
    and lists, so ``json.dumps(..., allow_nan=False)`` always succeeds.
    """
    if isinstance(data, dict):
        return {k: strict_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple | np.ndarray):
        return [strict_json(v) for v in data]
    if isinstance(data, bool | np.bool_):
        return bool(data)
    if isinstance(data, int | np.integer):
        return int(data)
    if isinstance(data, float | np.floating):
        return json_number(float(data))
    return data


@dataclass(frozen=True)
class Fit:
    """The fitted order of one remainder over its clean window.

    Attributes
    ----------
    remainder : str
        ``"r0"``, ``"r1"`` or ``"r2"``.
    expected_order : int
        1, 2 or 3.
    order : float
        The least-squares log-log slope (NaN without a clean window).
    order_ci : tuple of float
        Its 95% confidence interval.
    h_min, h_max : float
        Bounds of the clean window (NaN without one).
    n_points : int
        Points in the clean window.
    coefficient_agreement : float or None
        Relative gap between the leading coefficient and its prediction
        (r0/h → |∇C·d|, r1/h² → |dᵀHd|/2), None where unknown.
    verdict : str
        ``pass``, ``fail``, ``exact`` or ``inconclusive`` for this remainder alone
        (the fit's outcome, not the test's verdict).
    reason : str
        One line saying why.
    judged_order : float
        The order the outcome rests on, the one the reason quotes: ``order``, or the
        slope over the smallest clean steps where those failed the remainder (NaN
        without a clean window).
    judged_order_ci : tuple of float
        Its 95% confidence interval.
    """

    remainder: str
    expected_order: int
    order: float
    order_ci: tuple[float, float]
    h_min: float
    h_max: float
    n_points: int
    coefficient_agreement: float | None = None
    verdict: Verdict = "inconclusive"
    reason: str = ""
    judged_order: float = math.nan
    judged_order_ci: tuple[float, float] = (math.nan, math.nan)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the fields."""
        return {
            "remainder": self.remainder,
            "expected_order": self.expected_order,
            "order": json_number(self.order),
            "order_ci": [json_number(self.order_ci[0]), json_number(self.order_ci[1])],
            "h_min": json_number(self.h_min),
            "h_max": json_number(self.h_max),
            "n_points": self.n_points,
            "coefficient_agreement": json_number(self.coefficient_agreement),
            "verdict": self.verdict,
            "reason": self.reason,
            "judged_order": json_number(self.judged_order),
            "judged_order_ci": [json_number(v) for v in self.judged_order_ci],
        }


def fit_remainder(
    name: str,
    h: Array,
    r: Array,
    floor: Array,
    coef_pred: float | None,
    coef_power: int,
) -> tuple[Fit, Array, LogLogFit | None]:
    """Fit one remainder over its clean window and judge its order.

    Parameters
    ----------
    name
        ``"r0"``, ``"r1"`` or ``"r2"`` (sets the expected order).
    h, r, floor
        Steps (decreasing), the remainder and its measured floor.
    coef_pred, coef_power
        The predicted leading coefficient of ``r / h^coef_power``, where known.

    Returns
    -------
    tuple
        The :class:`Fit`, the window mask and the fit over the :data:`TAIL` smallest
        clean steps (None without a window).
    """
    exp = EXPECTED[name]
    mask = clean_window(h, r, floor)
    nan = (math.nan, math.nan)
    if not window_ok(h, mask):
        above = int(np.sum(np.isfinite(r) & (r > SAFETY * floor)))
        outcome: Verdict
        outcome, n_points, why = (
            ("exact", 0, "stays at the round-off floor over the whole range")
            if above == 0
            else (
                "inconclusive",
                int(mask.sum()),
                "has too few clean points above the round-off floor",
            )
        )
        fit = Fit(
            name, exp, math.nan, nan, math.nan, math.nan, n_points, None, outcome, f"{name} {why}."
        )
        return fit, mask, None
    hw, rw = h[mask], r[mask]
    full = fit_loglog(hw, rw)
    tail = fit_loglog(hw[-TAIL:], rw[-TAIL:])
    agreement, est = _coefficient(hw, rw, floor[mask], exp, coef_pred, coef_power)
    lo, hi = full.ci
    which = full
    if hi < exp - FAIL_TOL or tail.ci[1] < exp - FAIL_TOL:
        which = full if hi < exp - FAIL_TOL else tail
        part = "" if which is full else " at the smallest clean steps"
        outcome = "fail"
        reason = (
            f"{name} falls at order {which.slope:.2f} "
            f"[{which.ci[0]:.2f}, {which.ci[1]:.2f}]{part}, below the expected {exp}."
        )
    elif lo - PASS_TOL <= exp:
        outcome = "pass"
        k = interval_decimals(lo, hi, exp)
        reason = (
            f"{name} falls at order {full.slope:.{k}f} [{lo:.{k}f}, {hi:.{k}f}] over "
            f"{math.log10(full.h_max / full.h_min):.1f} decades of h."
        )
    else:
        outcome = "pass"
        reason = (
            f"{name} falls at order {full.slope:.2f}, above the expected {exp}: "
            "its leading term vanishes along this direction."
        )
    if outcome == "pass" and agreement is not None and agreement > COEF_TOL:
        outcome = "fail"
        what = "|∇C·d|" if name == "r0" else "|dᵀHd|/2"
        reason = (
            f"{name}/h^{coef_power} tends to {est:.6g}, not the predicted {what} = "
            f"{coef_pred:.6g} (relative gap {agreement:.2g})."
        )
    fit = Fit(
        name,
        exp,
        full.slope,
        full.ci,
        full.h_min,
        full.h_max,
        full.n,
        agreement,
        outcome,
        reason,
        which.slope,
        which.ci,
    )
    return fit, mask, tail


def _coefficient(
    hw: Array, rw: Array, floor: Array, exp: int, coef_pred: float | None, coef_power: int
) -> tuple[float | None, float]:
    """Relative gap of the measured leading coefficient from its prediction.

    The smallest steps whose remainder clears the floor by SAFETY² (round-off below
    1/SAFETY² of it), so neither noise nor higher-order terms dominate. Without three
    such steps the coefficient cannot be told from round-off and is not judged
    (None). It is judged only where the local orders have settled at the expected
    order: at pre-asymptotic steps higher-order terms still shift it.
    """
    if coef_pred is None or not coef_pred > 0:
        return None, math.nan
    quiet = rw > SAFETY * SAFETY * floor
    if np.count_nonzero(quiet) < 3:
        return None, math.nan
    hq, rq = hw[quiet], rw[quiet]
    q = local_orders(hq[-3:], rq[-3:])[:-1]
    if not np.all(np.abs(q - exp) <= SETTLE_TOL):
        return None, math.nan
    est = median(rq[-3:] / hq[-3:] ** coef_power)
    return abs(est / coef_pred - 1), est


def interval_decimals(lo: float, hi: float, expected: float) -> int:
    """Decimals that show an interval as it is: 2, or more where it excludes the expected
    order by less than the rounding (never `2.00 [2.00, 2.00]` for 1.997–1.999)."""
    k = 2
    if not lo <= expected <= hi:
        while k < 6 and round(lo, k) <= expected <= round(hi, k):
            k += 1
    return k
