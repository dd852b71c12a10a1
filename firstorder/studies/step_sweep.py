"""Step sweeps: a backend's relative error against its step, measured against mp.

The classic figure of the complex-step papers (Squire & Trapp 1998; Martins et al.
2003): finite differences fall like ``h^p`` until round-off turns them back up, while
the complex step falls like ``h²`` down to a few eps and stays there down to 1e-300.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..case.model import Case
from ..errors import FirstOrderError, unknown
from ..gradients.steps import ladder, sweep_ladder
from ..numbers import DEFAULT_DPS, Array, context

__all__ = ["StepSweep", "default_sweep_steps", "fit_order", "step_sweep"]

#: A point is in the truncation range when its error exceeds the minimum by this factor.
ABOVE_FLOOR = 100.0
#: ... and is below this relative error (beyond it higher-order terms dominate).
BELOW_CEILING = 1e-2
#: Consecutive local slopes within this of each other count as settled.
SETTLED = 0.25


def default_sweep_steps(backend: str, precision: str = "float64", dps: int = DEFAULT_DPS) -> Array:
    """The default ladder of :func:`step_sweep` (see ``gradients.steps.sweep_ladder``)."""
    return sweep_ladder(backend, precision, dps)


def fit_order(steps: Array, errors: Array) -> tuple[float, Array]:
    """Fit the log-log slope of ``errors`` against ``steps`` over the truncation range.

    The range holds steps larger than the best one whose error is at least
    :data:`ABOVE_FLOOR` times the minimum (round-off negligible) and below
    :data:`BELOW_CEILING`; within it, the longest run of consecutive points whose local
    slopes agree to :data:`SETTLED` is fitted by least squares.

    Returns
    -------
    order, mask
        The fitted order (NaN when fewer than three points qualify) and the boolean mask
        of the points used.
    """
    h = np.asarray(steps, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    order_idx = np.argsort(-h)
    h, e = h[order_idx], e[order_idx]
    mask = np.zeros(len(h), dtype=bool)
    good = np.isfinite(e) & (e > 0)
    if good.sum() < 3:
        return float("nan"), mask[np.argsort(order_idx)]
    emin = e[good].min()
    best = int(np.flatnonzero(good & (e == emin))[0])
    cand = good & (e >= ABOVE_FLOOR * emin) & (e <= BELOW_CEILING)
    cand[best:] = False
    lh, le = np.log10(h), np.log10(np.where(good, e, 1.0))
    # Longest run of consecutive candidates whose local slopes agree.
    best_run: tuple[int, int] = (0, 0)
    i = 0
    while i < len(h):
        if not cand[i]:
            i += 1
            continue
        j = i
        prev_slope = None
        while j + 1 < len(h) and cand[j + 1]:
            slope = (le[j + 1] - le[j]) / (lh[j + 1] - lh[j])
            if prev_slope is not None and abs(slope - prev_slope) > SETTLED:
                break
            prev_slope = slope
            j += 1
        if j - i > best_run[1] - best_run[0]:
            best_run = (i, j)
        i = j + 1 if j > i else i + 1
        # Restart from inside a broken run, so a run that settles late is still found.
        if j + 1 < len(h) and cand[j + 1] and j > i - 1:
            i = j
    a, b = best_run
    if b - a + 1 < 3:
        return float("nan"), mask[np.argsort(order_idx)]
    mask[a : b + 1] = True
    slope = float(np.polyfit(lh[a : b + 1], le[a : b + 1], 1)[0])
    inverse = np.empty_like(order_idx)
    inverse[order_idx] = np.arange(len(order_idx))
    return slope, mask[inverse]


@dataclass(frozen=True, eq=False)
class StepSweep:
    """A backend's relative error at each step of a ladder.

    Attributes
    ----------
    case, backend, precision : str
        What was swept.
    steps : numpy.ndarray
        The steps (absolute, the same for every component).
    rel_errors : numpy.ndarray
        ``‖g(h) − g_ref‖∞ / ‖g_ref‖∞`` at each step (mp-measured, as floats).
    order : float
        The fitted order over the truncation range (NaN when it cannot be fitted).
    expected_order : int or None
        The backend's nominal order.
    fit_mask : numpy.ndarray
        Which steps the order was fitted over.
    best_step, min_error : float
        The step with the smallest error, and that error.
    auto_step, auto_error : float
        Where the automatic step landed (the geometric mean of its per-component steps)
        and the error it reached; NaN for the complex step, whose step is fixed.
    """

    case: str
    backend: str
    precision: str
    steps: Array
    rel_errors: Array
    order: float
    expected_order: int | None
    fit_mask: Array
    best_step: float
    min_error: float
    auto_step: float = float("nan")
    auto_error: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Columns ``case``, ``backend``, ``precision``, ``step``, ``rel_error``,
        ``local_order``, ``in_fit``, and the automatic step's ``auto_step`` and
        ``auto_error`` (the same on every row of a sweep)."""
        h = np.asarray(self.steps, dtype=np.float64)
        e = np.asarray(self.rel_errors, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            local = np.full(len(h), np.nan)
            local[1:] = np.diff(np.log10(e)) / np.diff(np.log10(h))
        return pd.DataFrame(
            {
                "case": self.case,
                "backend": self.backend,
                "precision": self.precision,
                "step": h,
                "rel_error": e,
                "local_order": local,
                "in_fit": self.fit_mask,
                "auto_step": self.auto_step,
                "auto_error": self.auto_error,
            }
        )


def step_sweep(
    case: Case | str,
    backend: str,
    point: Any = None,
    steps: Any = None,
    precision: str = "float64",
    *,
    dps: int = DEFAULT_DPS,
) -> StepSweep:
    """Sweep a backend's step and measure its relative error against ``reference``.

    Parameters
    ----------
    case
        A case or a registered name.
    backend
        A stepped backend: a finite difference, ``richardson`` or ``complex-step``.
    point
        The point (default ``x0``).
    steps
        Absolute steps (default :func:`default_sweep_steps`).
    precision
        ``"float64"``, ``"float32"`` or ``"mp"`` (at ``dps`` digits).
    dps
        Digits of the mp precision; the reference is taken at ``2·dps + 10``.

    Returns
    -------
    StepSweep

    Raises
    ------
    FirstOrderError
        For an unknown or unstepped backend, a bad precision or step, or a case on which
        the backend is not applicable.
    """
    from ..case.loading import resolve_case
    from ..gradients.backends import BACKENDS, gradient
    from ..vocab import GRADIENT_PRECISIONS

    c = resolve_case(case)
    stepped = [n for n, b in BACKENDS.items() if b.stepped]
    if backend not in stepped:
        raise unknown("stepped backend", backend, stepped)
    if precision not in GRADIENT_PRECISIONS:
        raise unknown("precision", precision, GRADIENT_PRECISIONS)
    hs = default_sweep_steps(backend, precision, dps) if steps is None else ladder(steps)
    ref = gradient(c, point, backend="reference", dps=2 * dps + 10)
    if not ref.ok:
        raise FirstOrderError(ref.reason)
    mpc = context("mp", 2 * dps + 10)
    ref_vals = mpc.asarray(ref.values)
    scale = max(abs(t) for t in ref_vals)
    if scale == 0:
        scale = mpc.const(1)

    def error_of(step: Any) -> float:
        # Large steps may leave the cost's domain (NaN errors, recorded as such).
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            g = gradient(c, point, backend=backend, precision=precision, step=step, dps=dps)
            if not g.ok:
                raise FirstOrderError(g.reason)
            try:
                got = mpc.asarray(g.values)
            except TypeError:
                # A step leaving the real domain gives mpc values in mp: no real error.
                return float("nan")
        return float(max(abs(a - b) for a, b in zip(got, ref_vals, strict=True)) / scale)

    errs = np.array(
        [error_of(mpc.const(repr(float(h))) if precision == "mp" else float(h)) for h in hs]
    )
    auto_step = auto_error = float("nan")
    if backend != "complex-step":
        auto = gradient(c, point, backend=backend, precision=precision, dps=dps)
        h_auto = np.asarray(context(precision, dps).to_float(auto.steps), dtype=np.float64)
        auto_step = float(np.exp(np.mean(np.log(h_auto))))
        auto_error = error_of("auto")
    order, mask = fit_order(hs, errs)
    finite = np.where(np.isfinite(errs), errs, np.inf)
    k = int(np.argmin(finite))
    return StepSweep(
        case=c.name,
        backend=backend,
        precision=precision if backend != "complex-step" else "complex128",
        steps=hs,
        rel_errors=errs,
        order=order,
        expected_order=BACKENDS[backend].order,
        fit_mask=mask,
        best_step=float(hs[k]),
        min_error=float(errs[k]),
        auto_step=auto_step,
        auto_error=auto_error,
    )
