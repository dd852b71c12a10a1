"""The verdict of a Taylor test: named rules applied to the fitted remainders.

The r1 fit gives a first outcome (:func:`~firstorder.taylor.fit.fit_remainder`). Each
rule below then refines it for one situation the fit alone misreads, and says why in
its docstring. :func:`judge` applies them in order; each takes the verdict so far and
returns the new one with its reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..numbers import Array
from ..vocab import Verdict
from .fit import FAIL_TOL, MIN_DECADES, PASS_TOL, SAFETY, Fit, LogLogFit, local_orders
from .remainders import Floors, Samples

__all__ = ["RESOLVABLE", "Evidence", "judge", "predicted_decades"]

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


Rule = Callable[[Verdict, str, Evidence], tuple[Verdict, str]]


def judge(ev: Evidence) -> tuple[Verdict, str, float | None]:
    """Apply the rules to the r1 fit's outcome.

    Returns
    -------
    tuple
        The verdict, its one-line reason and, for a backend gradient, ``h*`` (the
        step below which r1 stops falling at order 2).
    """
    fit1 = ev.fits["r1"]
    verdict, reason = fit1.verdict, fit1.reason
    rules: tuple[Rule, ...] = (
        pre_asymptotic_only,
        error_within_gradient_roundoff,
        second_order_check,
        explain_exact,
        explain_unresolved,
        note_dropped_steps,
    )
    for rule in rules:
        verdict, reason = rule(verdict, reason, ev)
    return backend_judgement(verdict, reason, ev)


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


def error_within_gradient_roundoff(
    verdict: Verdict, reason: str, ev: Evidence
) -> tuple[Verdict, str]:
    """An order-1 tail whose implied error is below √eps·‖∇C‖ is not a finding.

    An order-1 tail means ∇C·d off by e ≈ r1/h. Below the gradient's own round-off
    it is the cost's hidden round-off instead. (Skipped where the coefficient check
    decided the fail.)
    """
    fit1 = ev.fits["r1"]
    if verdict != "fail" or fit1.coefficient_agreement is not None:
        return verdict, reason
    mask = ev.masks["r1"]
    e = implied_error(ev.samples.h[mask], ev.samples.r1[mask])
    guard = math.sqrt(ev.samples.eps) * ev.gnorm
    if e <= guard:
        return "inconclusive", (
            f"{fit1.reason[:-1]}, but the implied error of ∇C·d ({e:.2g}) is within "
            f"the {ev.precision} round-off of the gradient (√eps·‖∇C‖ = {guard:.2g}): "
            "not a finding."
        )
    return verdict, reason


def second_order_check(verdict: Verdict, reason: str, ev: Evidence) -> tuple[Verdict, str]:
    """Find a gradient error hidden under r1's h² term, using r2.

    With second derivatives known, ``r2 = |e h + O(h³)|`` for a gradient off by ``e``
    along ``d``: at small steps r2 falls at order 1 instead of 3, long before ``e h``
    can beat the ``h²`` term of r1. (A wrong Hessian makes r2 fall at order 2, which
    is not the gradient's fault.) The implied error ``e ≈ r2/h`` must also exceed
    ``sqrt(eps)·‖∇C‖ + eps^(3/4)·|dᵀHd|·max(1, ‖v‖∞)``, so that the gradient's own
    round-off never fails it, not even at a stationary point where ∇C ≈ 0 and the
    terms summed in it are of the size of H·v.
    """
    tail, s = ev.tail2, ev.samples
    if verdict != "pass" or tail is None or not tail.ci[1] < 2 - FAIL_TOL:
        return verdict, reason
    mask = ev.masks["r2"]
    e = implied_error(s.h[mask], s.r2[mask])
    hscale = abs(s.dhd or 0.0) * ev.scale
    if e <= math.sqrt(s.eps) * ev.gnorm + s.eps**0.75 * hscale:
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


def backend_judgement(
    verdict: Verdict, reason: str, ev: Evidence
) -> tuple[Verdict, str, float | None]:
    """A backend's gradient is judged against its formula's error budget.

    A backend's gradient carries its formula's error e: below h*, r1 ≈ h·|e·d| falls
    at order 1. That is the backend's expected behaviour, not a wrong gradient, when
    |e·d| (read off the smallest clean steps of r1, or of r2 where the second-order
    check measured it) is within the budget of its formula.
    """
    fit1, s, backend = ev.fits["r1"], ev.samples, ev.backend
    tail = verdict == "fail" or (verdict == "inconclusive" and fit1.verdict == "fail")
    if backend is None or backend == "analytic" or not (verdict == "pass" or tail):
        return verdict, reason, None
    mask = ev.masks["r1"]
    h_star = _h_star(s.h, s.r1, mask)
    if not tail:
        return verdict, reason, h_star
    from ..gradients.budget import backend_budget

    idx = np.flatnonzero(mask)
    if len(idx) < 2:
        return verdict, reason, h_star
    err = _second_order_error(verdict, ev)
    if err is None:
        err = implied_error(s.h[idx], s.r1[idx])
    budget = backend_budget(backend, ev.precision, ev.dps, ev.gnorm, abs(s.cost), ev.scale)
    if budget is None or not err <= budget:
        if budget is not None:
            reason = (
                f"{reason[:-1]}; the implied error of ∇C·d ({err:.2g}) exceeds what "
                f"`{backend}` should make here ({budget:.2g})."
            )
        return verdict, reason, h_star
    within = f"(|e·d| ≈ {err:.2g}, within the {budget:.2g} its formula allows)"
    if h_star is None or h_star >= s.h[idx[0]]:
        return (
            "pass",
            (
                f"r1 is the `{backend}` gradient's own error h·|e·d| at every clean step "
                f"{within}; no h² term shows above it."
            ),
            h_star,
        )
    return (
        "pass",
        (
            f"r1 falls at order 2 down to h* = {h_star:.3g}; below it the `{backend}` "
            f"gradient's own error takes over {within}."
        ),
        h_star,
    )


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
    return float(np.median(r[-3:] / h[-3:]))
