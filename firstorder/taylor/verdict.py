"""The verdict of a Taylor test: named rules applied to the fitted remainders.

The r1 fit gives a first outcome (:func:`~firstorder.taylor.fit.fit_remainder`). Each
rule below then refines it for one situation the fit alone misreads, and says why in
its docstring. :func:`judge` applies them in order; each takes the verdict so far and
returns the new one with its reason.

**The decision rule.** The detector of gradient errors is the symmetric remainder s1
(:mod:`~firstorder.taylor.detection`): the gradient is wrong along ``d`` when the
intercept ``a = −e·d`` of ``s1(h)/h = a + b h²``, fitted over the steps the line
describes, exceeds ``Z·sd(a)``, twice its measured systematic error and the
gradient's own round-off ``A``. r1, the
seed's quantity, is fitted and reported; its verdict stands where s1 agrees with it:

* s1 finds an error → ``fail`` (whatever r1 says: its h² term hides ``h|e·d|`` over
  all but the smallest steps);
* r1 falls at order 1 but s1 rules the error out → ``inconclusive``, with both
  readings (a fit whose interval excludes the expected order is never a bare pass);
* r1's interval lies just below 2 and s1 rules out any error above its bound →
  ``pass``, saying so and quoting the interval;
* s1 cannot be formed (the cost is not finite on the −h side) → r1 and r2 decide as
  before, with ``A`` in place of a blanket √eps guard.

Every verdict then states its reach: the smallest ``|e·d|`` that s1 would have
detected, absolute and relative to ‖∇C‖. **False alarms**: a right gradient fails
only when the fitted intercept lies ``Z`` = 8 standard errors from zero and above
``A``, beyond twice the shift an ``h⁴`` term in the fit would make, with the noise
taken twice as large as measured (see :mod:`~firstorder.taylor.detection`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..numbers import Array
from ..vocab import Verdict
from .detection import Detection
from .fit import (
    FAIL_TOL,
    MIN_DECADES,
    PASS_TOL,
    SAFETY,
    Fit,
    LogLogFit,
    interval_decimals,
    local_orders,
    median,
)
from .remainders import Floors, Samples

__all__ = ["RESOLVABLE", "Evidence", "Judged", "judge", "predicted_decades"]

#: Decades of predicted clean window (see :func:`predicted_decades`) from which on
#: a precision is expected to resolve the Taylor test: the one decade a window needs,
#: plus one for the large steps where the orders settle.
RESOLVABLE = 2.0


@dataclass(frozen=True, eq=False)
class Evidence:
    """What the rules judge: the sweep, its floors and fits, and the setting.

    Attributes
    ----------
    samples, floors : Samples, Floors
        The remainders and their measured floors.
    fits : dict of str to Fit
        Fits of r0, r1 and (where known) r2.
    masks : dict of str to numpy.ndarray
        Their clean windows.
    tail2 : LogLogFit or None
        The fit of r2 over its smallest clean steps.
    predicted : float
        Decades of predicted clean window of r1 (:func:`predicted_decades`).
    precision, dps
        The number system.
    backend : str or None
        The backend whose gradient is tested (None for the analytic one or an array).
    gnorm : float
        ‖∇C‖ of the gradient under test.
    scale : float
        ``max(1, ‖v‖∞)``.
    detection : Detection
        What the symmetric remainder s1 says.
    allowance : float
        ``A``: the gradient's own round-off (see :mod:`~firstorder.taylor.detection`).
    """

    samples: Samples
    floors: Floors
    fits: dict[str, Fit]
    masks: dict[str, Array]
    tail2: LogLogFit | None
    predicted: float
    precision: str
    dps: int
    backend: str | None
    gnorm: float
    scale: float
    detection: Detection
    allowance: float


Rule = Callable[[Verdict, str, Evidence], tuple[Verdict, str]]


@dataclass(frozen=True)
class Judged:
    """The outcome of the rules.

    Attributes
    ----------
    verdict, reason
        The verdict and its one line.
    h_star : float or None
        For a backend gradient, the step below which r1 stops falling at order 2.
    judgement : str
        ``""``, or ``"within-budget"`` when a backend gradient passes because its
        error, measured, lies within what its formula can reach here.
    order, order_ci
        The r1 order the verdict rests on and its interval (see :func:`rests_on`);
        NaN where the verdict was not read from the r1 slope.
    """

    verdict: Verdict
    reason: str
    h_star: float | None = None
    judgement: str = ""
    order: float = math.nan
    order_ci: tuple[float, float] = (math.nan, math.nan)


def judge(ev: Evidence) -> Judged:
    """Apply the rules to the r1 fit's outcome, then judge a backend's budget and
    state the test's reach."""
    fit1 = ev.fits["r1"]
    verdict, reason = fit1.verdict, fit1.reason
    rules: tuple[Rule, ...] = (
        pre_asymptotic_only,
        symmetric_remainder_decides,
        second_order_check,
        explain_exact,
        explain_unresolved,
        note_dropped_steps,
    )
    for rule in rules:
        verdict, reason = rule(verdict, reason, ev)
    judged = backend_judgement(verdict, reason, ev)
    on = rests_on(judged.verdict, fit1)
    return Judged(
        judged.verdict,
        state_reach(judged.verdict, judged.reason, ev),
        judged.h_star,
        judged.judgement,
        fit1.judged_order if on else math.nan,
        fit1.judged_order_ci if on else (math.nan, math.nan),
    )


def rests_on(verdict: Verdict, fit1: Fit) -> bool:
    """Whether the test's verdict rests on the r1 fit's order, so a table may quote it.

    It does where the verdict is the fit's own outcome, and where s1 overruled a
    failing r1 tail (the inconclusive reason quotes what r1 showed). It does not
    where another reading decided: s1 finding an error r1 missed, r2, a backend's
    budget, a pre-asymptotic window; a number there would contradict the verdict.
    """
    overruled = verdict == "inconclusive" and fit1.verdict == "fail"
    return (verdict == fit1.verdict or overruled) and math.isfinite(fit1.judged_order)


def state_reach(verdict: Verdict, reason: str, ev: Evidence) -> str:
    """Every verdict says how small an error it would have caught.

    A pass is only as strong as the smallest |e·d| the test could see; an
    inconclusive result says what bound it did reach.
    """
    det = ev.detection
    if verdict == "fail" or not math.isfinite(det.bound):
        return reason
    rel = f" ({det.bound / ev.gnorm:.1g} of ‖∇C‖)" if ev.gnorm > 0 else ""
    if verdict == "inconclusive":
        return f"{reason[:-1]} (s1 reached: errors of ∇C·d above {det.bound:.2g}{rel})."
    return f"{reason[:-1]}; any error in ∇C·d above {det.bound:.2g}{rel} would have been detected."


# -- the rules -----------------------------------------------------------------------------


def pre_asymptotic_only(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """An order well above 2 over a short window is not evidence of order 2.

    Where the precision cannot resolve the h² range (predicted clean window under
    :data:`RESOLVABLE` decades), the clean steps are the large, pre-asymptotic ones
    whose higher-order terms still dominate: inconclusive. Unless a known Hessian
    says dᵀHd = 0 (to round-off): then r1 = O(h³) legitimately.
    """
    fit1, s = ev.fits["r1"], ev.samples
    curvature_vanishes = s.dhd is not None and abs(s.dhd) <= 1e3 * s.eps * max(
        1.0, ev.gnorm, abs(s.cost)
    )
    if (
        verdict == "pass"
        and fit1.order_ci[0] - PASS_TOL > 2
        and ev.predicted < RESOLVABLE
        and not curvature_vanishes
    ):
        return "inconclusive", (
            f"r1 falls at order {fit1.order:.2f} over pre-asymptotic steps only: "
            f"{ev.precision} cannot resolve the h² range here (predicted clean window "
            f"{ev.predicted:.1f} decades)."
        )
    return verdict, reason


def symmetric_remainder_decides(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """s1, whose curvature term cancels, decides whether the gradient is wrong.

    r1 = |e h + dᵀHd h²/2 + …| shows an error e only below h ≈ |e|/|dᵀHd|, often
    under the round-off floor; s1 = |−e h + c₃ h³ + …| shows it over many more
    decades. Where s1 finds an error, the test fails; where it rules out any error
    above its bound, r1's order-1 or low-order reading is not a finding.
    """
    det, fit1 = ev.detection, ev.fits["r1"]
    if det.n_steps == 0:
        return verdict, reason
    if det.found:
        rel = abs(det.error) / ev.gnorm if ev.gnorm > 0 else math.inf
        also = f"; {fit1.reason[:-1]}" if fit1.verdict == "fail" else ""
        return "fail", (
            f"s1 = |(C(v+hd) − C(v−hd))/2 − h∇C·d| keeps an order-1 term: ∇C·d is off by "
            f"{det.error:.3g} ± {det.error_sd:.1g} ({rel:.2g} of ‖∇C‖){also}."
        )
    if verdict == "fail" and fit1.verdict == "fail" and fit1.coefficient_agreement is None:
        return "inconclusive", (
            f"{fit1.reason[:-1]}, but s1 rules out an error of ∇C·d above "
            f"{det.bound:.2g}: the r1 tail is round-off the floor estimate missed, not a finding."
        )
    if verdict == "pass" and fit1.order_ci[1] < fit1.expected_order:
        lo, hi = fit1.order_ci
        k = max(3, interval_decimals(lo, hi, fit1.expected_order))  # never `2.000 [2.000, 2.000]`
        return "pass", (
            f"r1 falls at order {fit1.order:.{k}f} [{lo:.{k}f}, {hi:.{k}f}], just short of 2: "
            "higher-order terms, not an error (s1 rules out any error above its bound)."
        )
    return verdict, reason


def second_order_check(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """Find a gradient error hidden under r1's h² term, using r2.

    With second derivatives known, ``r2 = |e h + O(h³)|`` for a gradient off by ``e``
    along ``d``: at small steps r2 falls at order 1 instead of 3, long before ``e h``
    can beat the ``h²`` term of r1. (A wrong Hessian makes r2 fall at order 2, which
    is not the gradient's fault.) The implied error ``e ≈ r2/h`` must also exceed the
    gradient's own round-off ``A``. Only where s1 cannot be formed: it detects the
    same error without needing second derivatives.
    """
    tail, s = ev.tail2, ev.samples
    if ev.detection.n_steps > 0:
        return verdict, reason  # s1 decided
    if verdict != "pass" or tail is None or not tail.ci[1] < 2 - FAIL_TOL:
        return verdict, reason
    mask = ev.masks["r2"]
    e = implied_error(s.h[mask], s.r2[mask])
    if e <= ev.allowance:
        return verdict, reason
    rel = e / ev.gnorm if ev.gnorm > 0 else math.inf
    return "fail", (
        f"r2 = |r1 − h²/2 dᵀHd| falls at order {tail.slope:.2f} at the smallest clean "
        f"steps: ∇C·d is off by about {e:.2g} ({rel:.1g} of ‖∇C‖)."
    )


def explain_exact(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """An r1 at round-off everywhere means exact only where the curvature allows it.

    A cost constant along d with ∇C·d = 0 is exact; one that does not change
    measurably at all (r0 at round-off too) tells nothing; and a known dᵀHd ≠ 0 whose
    h² term never clears the floor is unresolved, not exact.
    """
    if verdict != "exact":
        return verdict, reason
    s, fit0 = ev.samples, ev.fits["r0"]
    if fit0.verdict == "exact" and s.gd == 0 and not s.dhd:
        reason = "the cost is constant along this direction and ∇C·d = 0: exact."
    elif fit0.verdict == "exact":
        verdict = "inconclusive"
        reason = (
            "the cost does not change measurably along this direction (r0 and r1 at round-off)."
        )
    else:
        reason = "r1 stays at the round-off floor over the whole range: ΔC = ∇C·Δv exactly."
    if s.dhd and ev.predicted < MIN_DECADES:
        return "inconclusive", (
            f"r1 ≈ |dᵀHd|/2 h² stays under the round-off floor: {ev.precision} cannot "
            f"resolve it here (predicted clean window {max(ev.predicted, 0):.1f} decades"
            f"{'; use precision mp' if ev.precision != 'mp' else '; raise --dps'})."
        )
    return verdict, reason


def explain_unresolved(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """Too few clean points: say how long a window the curvature and floor predict,
    and which precision would resolve it."""
    fit1 = ev.fits["r1"]
    if verdict != "inconclusive" or fit1.verdict != "inconclusive":
        return verdict, reason
    hint = "use precision mp" if ev.precision != "mp" else "raise --dps"
    return verdict, (
        f"{fit1.reason[:-1]} (predicted clean window {max(ev.predicted, 0):.1f} decades of h "
        f"from the curvature and the measured floor; {hint})."
    )


def note_dropped_steps(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """Say which largest steps were dropped because the cost is not finite there."""
    dropped = ev.samples.dropped
    if not len(dropped):
        return verdict, reason
    return verdict, (
        f"{reason[:-1]} (the {len(dropped)} largest steps, h ≥ {dropped[-1]:.3g}, dropped: "
        "the cost is not finite there)."
    )


# -- backend gradients -----------------------------------------------------------------------


def backend_judgement(verdict: Verdict, reason: str, ev: Evidence) -> Judged:
    """A backend's gradient is judged against its formula's error budget.

    A backend's gradient carries its formula's error e: s1 shows it (and, below h*,
    r1 ≈ h·|e·d| falls at order 1). That is the backend's expected behaviour, not a
    wrong gradient, when |e·d| is within the budget of its formula. Such a pass is
    not a bare one: it is named ``within-budget`` and quotes the error it achieved.
    """
    fit1, s, backend, det = ev.fits["r1"], ev.samples, ev.backend, ev.detection
    tail = verdict == "fail" or (verdict == "inconclusive" and fit1.verdict == "fail")
    if backend is None or backend == "analytic" or not (verdict == "pass" or tail):
        return Judged(verdict, reason)
    mask = ev.masks["r1"]
    h_star = _h_star(s.h, s.r1, mask)
    if not tail:
        return Judged(verdict, reason, h_star)
    from ..gradients.budget import backend_budget

    idx = np.flatnonzero(mask)
    if det.found:
        err = abs(det.error)
    elif len(idx) >= 2:
        err = _second_order_error(verdict, ev) or implied_error(s.h[idx], s.r1[idx])
    else:
        return Judged(verdict, reason, h_star)
    budget = backend_budget(backend, ev.precision, ev.dps, ev.gnorm, abs(s.cost), ev.scale)
    if budget is None or not err <= budget:
        if budget is not None:
            reason = (
                f"{reason[:-1]}; the implied error of ∇C·d ({err:.2g}) exceeds what "
                f"`{backend}` should make here ({budget:.2g})."
            )
        return Judged(verdict, reason, h_star)
    rel = f" ({err / ev.gnorm:.2g} of ‖∇C‖)" if ev.gnorm > 0 else ""
    why = (
        f"as accurate as `{backend}` can be here: its error |e·d| ≈ {err:.2g}{rel} is "
        f"within the {budget:.2g} its formula allows"
    )
    if abs(s.cost) / ev.scale > ev.gnorm:
        why += ", the round-off of |C|·eps dominates"
    if h_star is not None and len(idx) and h_star < s.h[idx[0]]:
        why += f" (r1 falls at order 2 down to h* = {h_star:.3g}, then shows that error)"
    return Judged("pass", why + ".", h_star, "within-budget")


def _second_order_error(verdict: Verdict, ev: Evidence) -> float | None:
    """|e·d| as the second-order check measured it, when that check failed the test
    (the only way a test fails while its r1 fit passes)."""
    if verdict != "fail" or ev.fits["r1"].verdict != "pass":
        return None
    mask = ev.masks["r2"]
    return implied_error(ev.samples.h[mask], ev.samples.r2[mask])


def _h_star(h: Array, r1: Array, mask: Array) -> float | None:
    """The smallest window step down to which r1 still falls at order about 2."""
    idx = np.flatnonzero(mask)
    if len(idx) < 2:
        return None
    q = local_orders(h[idx], r1[idx])[:-1]
    k = 0
    while k < len(q) and q[k] >= 2 - FAIL_TOL * 2:
        k += 1
    return float(h[idx[k]])


# -- measurements the rules share ------------------------------------------------------------


def predicted_decades(h: Array, r1: Array, floor: Array, dhd: float | None) -> float:
    """Decades of h where r1 ≈ a h² would clear ``SAFETY ×`` the measured floor.

    ``a = |dᵀHd|/2`` where second derivatives are known, else ``r1/h²`` at the
    largest step (the curvature the sweep itself shows). The clean run ends at the
    largest step from which on ``a h² ≤ SAFETY · floor``; it starts at the largest
    step. Returns ``-inf`` when no step clears the floor.
    """
    a = abs(dhd) / 2 if dhd is not None else float(r1[0] / h[0] ** 2)
    if not (math.isfinite(a) and a > 0):
        return -math.inf
    clears = a * h * h > SAFETY * floor
    if not clears[0]:
        return -math.inf
    last = len(h) - 1 if np.all(clears) else int(np.argmin(clears)) - 1
    return float(np.log10(h[0] / h[last]))


def implied_error(h: Array, r: Array) -> float:
    """|e·d| read off an order-1 tail r ≈ h·|e·d|: the median of r/h over the three
    smallest steps given (the clean window's end)."""
    return median(r[-3:] / h[-3:])
