"""Detecting a gradient error from the symmetric remainder, with a stated reach.

The symmetric remainder, signed,

    S(h) = (C(v + h d) − C(v − h d))/2 − ∇C·Δv,   Δv = ((v + h d) − (v − h d))/2,

is ``c₃ h³ + c₅ h⁵ + …`` for a right gradient: the curvature term cancels. A gradient
off by ``e`` adds ``−h e·d``. So ``t(h) = S(h)/h = a + b h² + …`` with ``a = −e·d``: the
error is the intercept of a straight line in ``h²``.

**Noise model.** Each cost value carries round-off ``σ``, measured here from the data:
the scatter of third differences of ``C`` at equally spaced points ``v + kδd``
(``δ`` the smallest step of the ladder, but at least a few ulps of the point, so that
the probe moves it; the smooth part of a third difference is ~δ³ and vanishes), after
removing ∇C·Δv (the rounding of the probe points is exact in Δv); never below
``eps·|C|`` (the rounding of the value itself) nor below a third of the plateau S
reaches under its signal, at the steps that move the point by more than a few ulps
(round-off in steps, such as cos x ≈ 1, that a probe at one place cannot see; read by
:func:`~firstorder.taylor.fit.plateau_below_signal`, under the longest falling run,
so that a smooth rounding sawtooth at the smallest steps is not taken for signal). ``S(h)`` then
has the standard deviation ``κ σ_S(h)`` with ``σ_S² = (σ₊² + σ₋²)/4 + (eps·Σ|g_i Δv_i|)²`` and the
safety factor ``κ`` (:data:`KAPPA`). `check` samples the steps from the largest down
and stops the −h side once S has stayed within 3 probe deviations for 6 steps
(:mod:`~firstorder.taylor.ladder`): the plateau is then read over those 6 or more
steps, and the steps left out, 2⁶ or more below the first quiet one, would weigh
together under 2⁻¹¹ of it in the fit below; the rule and its argument are the same.

**Estimate.** ``a`` is fitted by weighted least squares of ``t = a + b h²`` (weights
``h²/σ_S²``) over the steps from the smallest one up, as far as the line describes
every step to within :data:`Z_FIT` standard deviations (above that the ``h⁴`` term
shows). Its standard error ``sd(a)`` comes from the fit.

**Decision.** The gradient is wrong along ``d`` when

    |a| > Z · sd(a) + 2 Δ + A,   A = eps · (ALLOW ‖∇C‖ + ALLOW_STATIONARY |dᵀHd| Σ|d_i v_i|),

``A`` being the analytic gradient's own round-off (eps times the size of the terms it
sums; at a stationary point those are of the size of H·v) and ``Δ`` the systematic
error of ``a``: the change of ``a`` when the fit also takes an ``h⁴`` term (the bend
that the precise large steps carry into ``a`` before the residuals show it; a wrong
gradient's ``a`` is the same in both fits). **Detection bound**: with an error ``e``
added, ``a`` moves by ``e·d`` and nothing else in the test changes, so every
``|e·d| > |a| + Z·sd(a) + 2Δ + A`` would have been detected.

**False alarms.** For a right gradient ``a`` is the round-off noise plus the bias the
``h⁴`` term leaves. The window admits only steps where the line describes every step
to :data:`Z_FIT` noise deviations; the bias that remains is measured (``Δ``) and
charged twice; ``Z`` = :data:`Z` standard errors cover the noise, and ``κ`` an
underestimated noise by a factor two. A Gaussian ``Z``-sigma excursion has a
probability below 1e-15, and round-off, a bounded sum of rounding errors, has
lighter tails than that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..numbers import Array

__all__ = [
    "ALLOW",
    "ALLOW_STATIONARY",
    "KAPPA",
    "SUSPECT",
    "Z_FIT",
    "Detection",
    "Z",
    "cost_noise",
    "detect_error",
]

#: Significance of a finding, in standard errors of the fitted intercept.
Z = 8.0
#: A direction whose intercept stands this many standard errors from zero (beyond its
#: systematic error) without being a finding is suspicious: worth a follow-up along
#: coordinate blocks, which decide with the same :data:`Z`.
SUSPECT = 3.0
#: Largest deviation, in noise deviations, of a step from the fitted line in the window.
Z_FIT = 3.0
#: Safety factor on the measured noise.
KAPPA = 2.0
#: The analytic gradient's own round-off, in eps times ‖∇C‖: a gradient sums terms
#: that may exceed it by orders (measured up to ~1e-11 relative on user costs that
#: go through inverses and long sums).
ALLOW = 1e5
#: The same at a stationary point, in eps times |dᵀHd|·Σ|d_i v_i|: there the terms
#: summed are of the size of H·v.
ALLOW_STATIONARY = 10.0
#: Fewest steps a fit window may have.
MIN_STEPS = 4


@dataclass(frozen=True)
class Detection:
    """What the symmetric remainder says about the gradient along one direction.

    Attributes
    ----------
    error : float
        The estimated ``e·d`` (the gradient under test minus the true one, along
        ``d``); NaN without a fit.
    error_sd : float
        Its standard error.
    bound : float
        The smallest ``|e·d|`` this test would have detected (inf without a fit).
    found : bool
        Whether ``|error|`` is significant (:data:`Z`) and above the gradient's own
        round-off.
    noise : float
        The measured round-off σ of one cost value at ``v``.
    n_steps : int
        Steps in the fit window.
    h_min, h_max : float
        The window's steps.
    suspicious : bool
        Not found, but ``|error|`` stands :data:`SUSPECT` standard errors (and twice
        its systematic error) from zero: an error may lie below the allowance or the
        reach of this direction, so a caller may follow up along coordinate blocks.
    """

    error: float
    error_sd: float
    bound: float
    found: bool
    noise: float
    n_steps: int
    h_min: float
    h_max: float
    suspicious: bool = False

    @staticmethod
    def none(noise: float = math.nan) -> Detection:
        """No fit was possible."""
        return Detection(math.nan, math.nan, math.inf, False, noise, 0, math.nan, math.nan)


def cost_noise(f: Array, eps: float, cost: float) -> float:
    """Round-off σ of one cost value from values ``f`` at equally spaced points.

    ``f`` holds ``C(v + kδd) − ∇C·Δv_k`` for consecutive ``k``. For independent errors
    of deviation σ, a third difference has variance 20σ² (ECnoise, Moré & Wild 2011);
    the smooth part of it is ~δ³ and negligible at the probe's tiny δ.
    """
    f = np.asarray(f, dtype=float)
    f = f[np.isfinite(f)]
    floor = eps * abs(cost)
    if len(f) < 5:
        return floor
    d3 = np.diff(f, 3)
    return max(float(np.sqrt(np.mean(d3 * d3) / 20.0)), floor)


def detect_error(
    h: Array, s: Array, sigma: Array, allowance: float, exact: Array | None = None
) -> Detection:
    """Estimate ``e·d`` from the signed symmetric remainder ``s`` and decide.

    Parameters
    ----------
    h
        Steps, decreasing.
    s
        Signed ``S(h)`` (NaN where a side was not finite).
    sigma
        Standard deviation of ``S`` at each step (the noise model, κ included).
    allowance
        ``A``: errors below it are the gradient's own round-off.
    exact
        ``S`` in the precision under test (mpf objects in mp): the intercept is a
        difference of values many decades larger, so the fit runs in those digits.

    Returns
    -------
    Detection
        The estimate, its standard error, the bound and the decision.
    """
    h = np.asarray(h, dtype=float)
    ok = np.isfinite(s) & np.isfinite(sigma) & (sigma > 0)
    idx = np.flatnonzero(ok)
    if len(idx) < MIN_STEPS:
        return Detection.none()
    hh, st = h[idx], sigma[idx] / h[idx]
    t = (s if exact is None else exact)[idx] / hh
    top = _window(hh**2, t, st)
    if top is None:
        return Detection.none()
    fit = _poly(hh[top:] ** 2, t[top:], st[top:], 2)
    if fit is None:
        return Detection.none()
    a, sa, _ = fit
    # The h⁴ term bends the line a little before the residuals show it, and the
    # precise large steps carry that bend into a: the same fit with the h⁴ term
    # measures how much (a wrong gradient's a is the same in both).
    bent = _poly(hh[top:] ** 2, t[top:], st[top:], 3)
    systematic = abs(a - bent[0]) if bent is not None else 0.0
    margin = Z * sa + 2 * systematic + allowance
    found = abs(a) > margin
    bound = abs(a) + margin
    suspicious = not found and abs(a) > SUSPECT * sa + 2 * systematic
    window = (len(hh) - top, hh[-1], hh[top])
    return Detection(-a, sa, bound, bool(found), math.nan, *window, bool(suspicious))


def _window(x: Array, t: Array, st: Array) -> int | None:
    """The first step of the largest window, from the smallest step up, over which the
    line ``t = a + b x`` describes every step to :data:`Z_FIT` deviations.

    Every window's line comes from suffix sums at once (float64 is enough to place
    the window; the intercept itself is refitted in the data's own precision).
    """
    n = len(x)
    tf = np.array([float(v) for v in t]) if t.dtype == object else np.asarray(t, dtype=float)
    xs = x / x[0]
    with np.errstate(all="ignore"):
        w = 1.0 / (st * st)

    def suffix(a: Array) -> Array:
        return np.cumsum(a[::-1])[::-1]

    # an exact step (σ = 0, weight inf) or a cost at zero leaves NaN sums: those
    # windows fail the finiteness test below
    with np.errstate(all="ignore"):
        s0, s1, s2 = suffix(w), suffix(w * xs), suffix(w * xs * xs)
        sy, sxy = suffix(w * tf), suffix(w * xs * tf)
        det = s0 * s2 - s1 * s1
        a = (s2 * sy - s1 * sxy) / det
        b = (s0 * sxy - s1 * sy) / det
        resid = np.abs(tf[None, :] - a[:, None] - b[:, None] * xs[None, :]) / st[None, :]
    # step j belongs to the windows starting at or above it
    fits = np.isfinite(a) & (det > 0) & (np.max(np.triu(resid), axis=1) <= Z_FIT)
    top = None
    for k in range(n - MIN_STEPS, -1, -1):
        if not fits[k]:
            break
        top = k
    return top


def _poly(x: Array, y: Array, sy: Array, terms: int) -> tuple[float, float, Array] | None:
    """Weighted least squares ``y = a + b x (+ c x²)``: ``a``, its standard error, and
    the residuals in units of ``sy`` (None when the system is singular)."""
    if len(x) <= terms:
        return None
    x = x / x.max()  # a is unchanged; the sums stay well conditioned
    w = 1.0 / (sy * sy)
    if y.dtype == object:
        # every sum in y's precision: the estimator's identities (its weights sum to 1
        # and annihilate x) must hold to more digits than float64 has
        one = y[0] * 0 + 1
        x, w = x.astype(object) * one, w.astype(object) * one
    powers = [x**k for k in range(2 * terms - 1)]
    sums = [(w * p).sum() for p in powers]  # the matrix is Hankel: m[j][k] = sums[j + k]
    m = [[sums[j + k] for k in range(terms)] for j in range(terms)]
    rhs = [(w * powers[j] * y).sum() for j in range(terms)]
    # the coefficients, and the first column of the inverse (the variance of a)
    solved = _solve(m, [rhs, [1.0] + [0.0] * (terms - 1)])
    if solved is None or not float(solved[1][0]) > 0:
        return None
    coef, first = solved
    # the array on the left: an mpf on the left first tries (and fails, after printing
    # the whole array into its error message) to convert the array to one number
    fitted = sum(powers[k] * coef[k] for k in range(terms))
    diff = y - fitted
    resid = (np.array([float(r) for r in diff]) if diff.dtype == object else diff) / sy
    return float(coef[0]), math.sqrt(float(first[0])), resid


def _solve(m: list[list[Any]], rhs: list[list[Any]]) -> list[list[Any]] | None:
    """Gaussian elimination with partial pivoting, in the numbers' own arithmetic, for
    each right-hand side in ``rhs`` (the same operations as one at a time)."""
    n, k = len(m), len(rhs)
    a = [[*row, *(b[i] for b in rhs)] for i, row in enumerate(m)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(float(a[r][i])))
        if float(a[p][i]) == 0:
            return None
        a[i], a[p] = a[p], a[i]
        for r in range(i + 1, n):
            f = a[r][i] / a[i][i]
            a[r] = [x - f * y for x, y in zip(a[r], a[i], strict=True)]
    outs: list[list[Any]] = []
    for c in range(k):
        out: list[Any] = [0.0] * n
        for i in range(n - 1, -1, -1):
            out[i] = (a[i][n + c] - sum(a[i][j] * out[j] for j in range(i + 1, n))) / a[i][i]
        outs.append(out)
    return outs
