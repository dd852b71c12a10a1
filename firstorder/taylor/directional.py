"""One directional Taylor test: sample the remainders, measure the floors, fit, judge.

This is the core the harness and the bisection share; it takes a :class:`Case`, the
gradient's values and the steps, and never locates (locating calls it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..case.model import Case
from ..errors import FirstOrderError
from ..gradients.steps import taylor_steps
from ..numbers import Array, Context, context
from .detection import ALLOW, ALLOW_STATIONARY, detect_error
from .fit import Fit, fit_remainder, median
from .remainders import Samples, cost_length, measure_floors, sample_remainders
from .result import TaylorResult
from .verdict import Evidence, judge, predicted_decades

__all__ = ["fails_along", "judge_direction"]


def judge_direction(
    c: Case,
    v64: Array,
    d64: Array,
    g: Array,
    h64: Array,
    cx: Context,
    *,
    label: str,
    precision: str,
    dps: int,
    backend: str | None = None,
    samples: Samples | None = None,
) -> TaylorResult:
    """The Taylor test of ``g`` along the unit direction ``d64`` at ``v64``.

    Parameters
    ----------
    c
        The case.
    v64, d64, h64
        Point, unit direction and decreasing steps (float64).
    g
        The gradient under test, in ``cx``.
    cx
        The number system.
    label
        The name of the gradient under test, for the result.
    precision, dps
        The number system's name and digits.
    backend
        The backend that computed ``g``: its formula's error budget is then judged
        (None for the analytic gradient or a plain array).
    samples
        The sweep along ``d64``, when it was sampled with others in one cost call
        (:func:`~firstorder.taylor.remainders.sample_along`).
    """
    s = samples if samples is not None else sample_remainders(c, v64, d64, h64, g, cx)
    floors = measure_floors(s)
    fit0, mask0, _ = fit_remainder("r0", s.h, s.r0, floors.r0, abs(s.gd), 1)
    fit1, mask1, _ = fit_remainder("r1", s.h, s.r1, floors.r1, abs(s.dhd) / 2 if s.dhd else None, 2)
    fits, masks, tail2 = {"r0": fit0, "r1": fit1}, {"r0": mask0, "r1": mask1}, None
    if floors.r2 is not None:
        fits["r2"], masks["r2"], tail2 = fit_remainder("r2", s.h, s.r2, floors.r2, None, 3)
    predicted = predicted_decades(s.h, s.r1, floors.r1, s.dhd)
    gnorm = float(np.linalg.norm(cx.to_float(g)))
    scale = max(1.0, float(np.max(np.abs(v64))))
    # At a stationary point the gradient sums terms of the size of H·v; along d that
    # is about |dᵀHd| times the point's extent along d.
    extent = max(float(np.sum(np.abs(d64 * v64))), s.eps)
    allowance = s.eps * (ALLOW * gnorm + ALLOW_STATIONARY * _curvature(s, fit1, mask1) * extent)
    exact = s.s1_exact if cx.name == "mp" else None
    detection = detect_error(s.h, s.s1, s.s1_sigma, allowance, exact)
    evidence = Evidence(
        samples=s,
        floors=floors,
        fits=fits,
        masks=masks,
        tail2=tail2,
        predicted=predicted,
        precision=precision,
        dps=dps,
        backend=backend,
        gnorm=gnorm,
        scale=scale,
        detection=detection,
        allowance=allowance,
    )
    judged = judge(evidence)
    return TaylorResult(
        case=c.name,
        gradient=label,
        precision=precision,
        verdict=judged.verdict,
        reason=judged.reason,
        order=fit1.order,
        order_ci=fit1.order_ci,
        h_min=fit1.h_min,
        h_max=fit1.h_max,
        n_points=fit1.n_points,
        coefficient_agreement=fit1.coefficient_agreement,
        orders=fits,
        wrong_components=(),
        diagnosis=None,
        h_star=judged.h_star,
        steps=s.h,
        remainders={
            "r0": s.r0,
            "r1": s.r1,
            "r2": s.r2,
            "delta_c": s.delta_c,
            "linear": s.linear,
            "floor_r0": floors.r0,
            "floor_r1": floors.r1,
            "s1": np.abs(s.s1),
            "floor_s1": s.s1_sigma,
        },
        window=mask1,
        point=v64,
        direction=d64,
        dps=cx.dps,
        directional_derivative=s.gd,
        curvature=s.dhd,
        dropped_steps=s.dropped,
        predicted_decades=predicted,
        detection_bound=detection.bound,
        detection_bound_relative=detection.bound / gnorm if gnorm > 0 else math.inf,
        error_estimate=detection.error,
        error_sd=detection.error_sd,
        cost_noise=s.noise,
        judgement=judged.judgement,
        suspicious=detection.suspicious and judged.verdict != "fail",
        judged_order=judged.order,
        judged_order_ci=judged.order_ci,
    )


def _curvature(s: Samples, fit1: Fit, mask1: Array) -> float:
    """|dᵀHd|: known, or read off r1/h² over the upper half of r1's clean window."""
    if s.dhd is not None:
        return abs(s.dhd)
    idx = np.flatnonzero(mask1)
    if len(idx) < 2:
        return 0.0
    top = idx[: max(2, len(idx) // 2)]
    return 2 * median(s.r1[top] / s.h[top] ** 2)


def fails_along(
    c: Case, point: Any, gradient: Any, precision: str, dps: int
) -> Callable[[Array], bool]:
    """The predicate ``fails(d)``: whether the Taylor test of ``gradient`` fails along ``d``.

    ``gradient`` is judged as a plain array (no backend budget) and ``d`` is
    normalised; the steps are the default ones at ``point``, the same for every ``d``.

    Raises
    ------
    FirstOrderError
        For a gradient of the wrong shape or with a non-finite component.
    """
    cx = context(precision, dps if precision == "mp" else None)
    v64 = np.asarray(point, dtype=np.float64)
    g = cx.asarray(np.asarray(gradient))
    if g.shape != v64.shape:
        raise FirstOrderError(f"the `gradient` has shape {g.shape}; expected {v64.shape}.")
    if not np.all(np.isfinite(cx.to_float(g))):
        raise FirstOrderError("the `gradient` has a non-finite component.")
    h64 = taylor_steps(v64, precision, dps, cost_length(c, v64, g, cx))

    def fails(d: Array) -> bool:
        d64 = np.asarray(d, dtype=np.float64)
        d64 = d64 / float(np.linalg.norm(d64))
        res = judge_direction(c, v64, d64, g, h64, cx, label="array", precision=precision, dps=dps)
        return res.verdict == "fail"

    return fails
