"""The record of one Taylor test: its verdict, fitted orders and per-step table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..numbers import Array
from ..vocab import Verdict
from .fit import Fit, json_number, local_orders, strict_json

if TYPE_CHECKING:
    from .locate import Diagnosis

__all__ = ["TaylorResult", "not_applicable"]


@dataclass(frozen=True, eq=False)
class TaylorResult:
    """The outcome of a Taylor test: verdict, fitted orders and the per-step table.

    Attributes
    ----------
    case, gradient, precision : str
        What was tested: the case, the gradient under test, the number system.
    verdict : str
        ``pass``, ``fail``, ``exact``, ``inconclusive`` or ``not-applicable``.
    reason : str
        One line saying why.
    order, order_ci, h_min, h_max, n_points, coefficient_agreement
        The r1 fit over its whole clean window (see :class:`Fit`).
    orders : dict of str to Fit
        Fits of r0, r1 and (where second derivatives are known) r2.
    wrong_components : tuple of int
        0-based indices of gradient components found wrong.
    diagnosis : Diagnosis or None
        Analytic and reference values of the wrong components.
    h_star : float or None
        For a backend gradient, the step below which r1 stops falling at order 2.
    steps : numpy.ndarray
        The steps ``h``, decreasing.
    remainders : dict of str to numpy.ndarray
        ``r0``, ``r1``, ``r2`` (NaN without second derivatives), the signed
        ``delta_c`` = ΔC and ``linear`` = h ∇C·d, and the floors ``floor_r1`` etc.
    window : numpy.ndarray
        Boolean mask of the r1 clean window.
    point, direction : numpy.ndarray
        Where and along which unit direction.
    dps : int or None
        Digits, for ``mp``.
    directional_derivative : float
        ∇C·d of the gradient under test.
    curvature : float or None
        dᵀHd where known.
    dropped_steps : numpy.ndarray
        The largest steps, dropped because the cost is not finite there (overflow
        far outside the region where the expansion holds).
    predicted_decades : float
        Decades of h over which r1 ≈ |dᵀHd|/2 h² is predicted to clear the measured
        round-off floor by the safety factor (see
        :func:`~firstorder.taylor.verdict.predicted_decades`). Below
        :data:`~firstorder.taylor.verdict.RESOLVABLE` decades the precision cannot
        resolve the Taylor test at this point; ``inconclusive`` is then the honest
        verdict.
    detection_bound : float
        The smallest |e·d| (error of ∇C·d) this test would have detected, from the
        symmetric remainder s1 (inf where s1 could not be fitted).
    detection_bound_relative : float
        The same, relative to ‖∇C‖.
    error_estimate, error_sd : float
        The estimated e·d and its standard error.
    cost_noise : float
        The measured round-off σ of one cost value at the point.
    suspicious : bool
        The symmetric remainder's order-1 term stands out from its noise without being
        a finding (see :class:`~firstorder.taylor.detection.Detection`).
    judgement : str
        ``""``, or ``"within-budget"``: a backend gradient that passes because its
        measured error lies within what its formula can reach here (the reason
        quotes the error); never a bare ``pass``.
    judged_order, judged_order_ci : float, tuple of float
        The r1 order the verdict rests on and its interval, the ones the reason quotes
        (the fit over the smallest clean steps where those failed r1); NaN where the
        verdict was not read from the r1 slope (see
        :func:`~firstorder.taylor.verdict.rests_on`).
    """

    case: str
    gradient: str
    precision: str
    verdict: Verdict
    reason: str
    order: float
    order_ci: tuple[float, float]
    h_min: float
    h_max: float
    n_points: int
    coefficient_agreement: float | None
    orders: dict[str, Fit]
    wrong_components: tuple[int, ...]
    diagnosis: Diagnosis | None
    h_star: float | None
    steps: Array
    remainders: dict[str, Array]
    window: Array
    point: Array = field(default_factory=lambda: np.zeros(0))
    direction: Array = field(default_factory=lambda: np.zeros(0))
    dps: int | None = None
    directional_derivative: float = math.nan
    curvature: float | None = None
    dropped_steps: Array = field(default_factory=lambda: np.zeros(0))
    predicted_decades: float = math.nan
    detection_bound: float = math.inf
    detection_bound_relative: float = math.inf
    error_estimate: float = math.nan
    error_sd: float = math.nan
    cost_noise: float = math.nan
    judgement: str = ""
    suspicious: bool = False
    judged_order: float = math.nan
    judged_order_ci: tuple[float, float] = (math.nan, math.nan)

    @property
    def ok(self) -> bool:
        """Whether the verdict is ``pass`` or ``exact``."""
        return self.verdict in ("pass", "exact")

    def to_frame(self) -> pd.DataFrame:
        """One row per step: ``h``, ``r0``, ``r1``, ``r2``, local orders, ``in_window``,
        ``s1`` and its noise ``floor_s1``, and the test's ``detection_bound`` (absolute,
        and ``detection_bound_rel`` to ‖∇C‖) repeated on every row."""
        r = self.remainders
        frame = pd.DataFrame(
            {
                "case": self.case,
                "gradient": self.gradient,
                "precision": self.precision,
                "h": self.steps,
                "r0": r["r0"],
                "r1": r["r1"],
                "r2": r["r2"],
                "local_order_r0": local_orders(self.steps, r["r0"]),
                "local_order_r1": local_orders(self.steps, r["r1"]),
                "local_order_r2": local_orders(self.steps, r["r2"]),
                "floor_r1": r["floor_r1"],
                "in_window": self.window,
                "s1": r.get("s1", np.full(len(self.steps), np.nan)),
                "floor_s1": r.get("floor_s1", np.full(len(self.steps), np.nan)),
                "detection_bound": self.detection_bound,
                "detection_bound_rel": self.detection_bound_relative,
            }
        )
        return frame

    def fits_frame(self) -> pd.DataFrame:
        """One row per remainder: expected and fitted order, interval, window, verdict."""
        rows = []
        for f in self.orders.values():
            rows.append(
                {
                    "remainder": f.remainder,
                    "expected_order": f.expected_order,
                    "order": f.order,
                    "order_ci_low": f.order_ci[0],
                    "order_ci_high": f.order_ci[1],
                    "h_min": f.h_min,
                    "h_max": f.h_max,
                    "n_points": f.n_points,
                    "coefficient_agreement": f.coefficient_agreement,
                    "verdict": f.verdict,
                    "reason": f.reason,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON dict (None for NaN and infinities): verdict, reason, the r1 fit,
        all fits, wrong components."""
        out: dict[str, Any] = {
            "case": self.case,
            "gradient": self.gradient,
            "precision": self.precision,
            "dps": self.dps,
            "verdict": self.verdict,
            "reason": self.reason,
            "order": json_number(self.order),
            "order_ci": [json_number(self.order_ci[0]), json_number(self.order_ci[1])],
            "h_min": json_number(self.h_min),
            "h_max": json_number(self.h_max),
            "n_points": self.n_points,
            "coefficient_agreement": json_number(self.coefficient_agreement),
            "orders": {k: f.to_dict() for k, f in self.orders.items()},
            "wrong_components": list(self.wrong_components),
            "h_star": json_number(self.h_star),
            "point": [float(t) for t in self.point],
            "direction": [float(t) for t in self.direction],
            "detection_bound": json_number(self.detection_bound),
            "detection_bound_relative": json_number(self.detection_bound_relative),
            "error_estimate": json_number(self.error_estimate),
            "error_sd": json_number(self.error_sd),
            "judgement": self.judgement,
            "judged_order": json_number(self.judged_order),
            "judged_order_ci": [
                json_number(self.judged_order_ci[0]),
                json_number(self.judged_order_ci[1]),
            ],
        }
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis.to_records()
        return strict_json(out)


def not_applicable(
    name: str, label: str, precision: str, reason: str, h: Array, common: dict[str, Any]
) -> TaylorResult:
    """The result of a test that cannot run: ``reason`` says why (``common`` holds
    ``point``, ``direction`` and ``dps``)."""
    nan = np.full(len(h), np.nan)
    nanfit = (math.nan, math.nan)
    return TaylorResult(
        case=name,
        gradient=label,
        precision=precision,
        verdict="not-applicable",
        reason=reason,
        order=math.nan,
        order_ci=nanfit,
        h_min=math.nan,
        h_max=math.nan,
        n_points=0,
        coefficient_agreement=None,
        orders={},
        wrong_components=(),
        diagnosis=None,
        h_star=None,
        steps=h,
        remainders={
            "r0": nan,
            "r1": nan,
            "r2": nan,
            "delta_c": nan,
            "linear": nan,
            "floor_r0": nan,
            "floor_r1": nan,
        },
        window=np.zeros(len(h), dtype=bool),
        **common,
    )
