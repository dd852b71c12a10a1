"""The Taylor harness: remainders over a step sequence, fitted orders, verdicts.

Along a direction ``d`` (unit length) and steps ``h_k`` (ratio 2), the remainders

* ``r0 = |C(v + h d) − C(v)|`` (order 1),
* ``r1 = |C(v + h d) − C(v) − h ∇C·d|`` (order 2: the error of ΔC ≈ ∇C·Δv),
* ``r2 = |r1-expression − h²/2 dᵀHd|`` (order 3, where second derivatives are known)

are computed in one batched cost call in the precision under test. Their log-log
slopes are fitted over the clean window (see :mod:`firstorder.taylor.fit`). A wrong gradient
adds ``h |δ·d|`` to ``r1``: at small steps ``r1`` falls at order 1, not 2.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..case.model import Case
from ..case.points import as_point
from ..case.registry import resolve_case
from ..errors import FirstOrderError, unknown
from ..numbers import DEFAULT_DPS, Array, Context, context
from ..vocab import TAYLOR_PRECISIONS
from .fit import (
    MIN_DECADES,
    SAFETY,
    SETTLE_TOL,
    clean_window,
    fit_loglog,
    local_orders,
    plateau_floor,
    window_ok,
)

if TYPE_CHECKING:
    from .locate import Diagnosis

__all__ = ["Fit", "TaylorResult", "default_steps", "taylor_test"]

#: Precisions the harness runs in.
#: A fit fails when its interval lies this far below the expected order.
FAIL_TOL = 0.25
#: A fit passes when its interval reaches the expected order within this.
PASS_TOL = 0.25
#: Relative disagreement of r1/h² with dᵀHd/2 that fails the coefficient check.
COEF_TOL = 0.25
#: Decades of predicted clean window (see :func:`_predicted_decades`) from which on
#: a precision is expected to resolve the Taylor test: the one decade a window needs,
#: plus one for the large steps where the orders settle.
RESOLVABLE = 2.0
#: Smallest clean steps used for the tail fit and the coefficient.
TAIL = 5
_EXPECTED = {"r0": 1, "r1": 2, "r2": 3}


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
        ``pass``, ``fail``, ``exact`` or ``inconclusive`` for this remainder.
    reason : str
        One line saying why.
    """

    remainder: str
    expected_order: int
    order: float
    order_ci: tuple[float, float]
    h_min: float
    h_max: float
    n_points: int
    coefficient_agreement: float | None = None
    verdict: str = "inconclusive"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the fields."""
        return {
            "remainder": self.remainder,
            "expected_order": self.expected_order,
            "order": _num(self.order),
            "order_ci": [_num(self.order_ci[0]), _num(self.order_ci[1])],
            "h_min": _num(self.h_min),
            "h_max": _num(self.h_max),
            "n_points": self.n_points,
            "coefficient_agreement": _num(self.coefficient_agreement),
            "verdict": self.verdict,
            "reason": self.reason,
        }


def _num(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


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
        The r1 fit (see :class:`Fit`).
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
        round-off floor by the safety factor (see :func:`predicted_decades`). Below
        :data:`RESOLVABLE` decades the precision cannot resolve the Taylor test at
        this point; ``inconclusive`` is then the honest verdict.
    """

    case: str
    gradient: str
    precision: str
    verdict: str
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

    @property
    def ok(self) -> bool:
        """Whether the verdict is ``pass`` or ``exact``."""
        return self.verdict in ("pass", "exact")

    def to_frame(self) -> pd.DataFrame:
        """One row per step: ``h``, ``r0``, ``r1``, ``r2``, local orders, ``in_window``."""
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
        """JSON-able dict: verdict, reason, the r1 fit, all fits, wrong components."""
        out: dict[str, Any] = {
            "case": self.case,
            "gradient": self.gradient,
            "precision": self.precision,
            "dps": self.dps,
            "verdict": self.verdict,
            "reason": self.reason,
            "order": _num(self.order),
            "order_ci": [_num(self.order_ci[0]), _num(self.order_ci[1])],
            "h_min": _num(self.h_min),
            "h_max": _num(self.h_max),
            "n_points": self.n_points,
            "coefficient_agreement": _num(self.coefficient_agreement),
            "orders": {k: f.to_dict() for k, f in self.orders.items()},
            "wrong_components": list(self.wrong_components),
            "h_star": _num(self.h_star),
            "point": [float(t) for t in self.point],
            "direction": [float(t) for t in self.direction],
        }
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis.to_records()
        return out


# -- inputs ------------------------------------------------------------------------------


def _check_precision(precision: str) -> None:
    if precision not in TAYLOR_PRECISIONS:
        raise unknown("precision", precision, TAYLOR_PRECISIONS)


def _point(c: Case, point: Any) -> Array:
    return as_point(point, c)


def _direction(spec: Any, n: int, seed: int, grad64: Callable[[], Array]) -> Array:
    if isinstance(spec, str):
        if spec == "random":
            d = np.random.default_rng(seed).standard_normal(n)
        elif spec == "descent":
            g = grad64()
            norm = float(np.linalg.norm(g))
            if not norm > 0:
                raise FirstOrderError(
                    "the `descent` direction is undefined where the gradient is zero."
                )
            d = -g / norm
        elif spec.startswith("e") and spec[1:].isdigit():
            i = int(spec[1:])
            if i >= n:
                raise FirstOrderError(
                    f"direction `{spec}` is out of range; choose `e0` … `e{n - 1}`."
                )
            d = np.eye(n)[i]
        else:
            raise FirstOrderError(
                f"unknown direction `{spec}`; choose from `random`, `descent`, "
                f"`e0` … `e{n - 1}` or a vector of length {n}."
            )
    else:
        try:
            d = np.asarray(spec, dtype=np.float64)
        except (TypeError, ValueError):
            raise FirstOrderError(f"the `direction` `{spec!r}` is not numeric.") from None
        if d.shape != (n,):
            raise FirstOrderError(f"the `direction` has shape {d.shape}; expected ({n},).")
        if not np.all(np.isfinite(d)):
            raise FirstOrderError("the `direction` has a non-finite component.")
    norm = float(np.linalg.norm(d))
    if not norm > 0:
        raise FirstOrderError("the `direction` is zero; give a non-zero vector.")
    return d / norm


def default_steps(
    point: Array, precision: str, dps: int | None = None, length: float | None = None
) -> Array:
    """The default geometric step sequence (ratio 2) for a point and precision.

    It starts at about ``0.1 · scale`` (``0.5 · scale`` in float32) with
    ``scale = max(1, ‖v‖∞)`` and goes down past the round-off floor: to
    ``1e-13 · scale`` in float64, ``1e-6 · scale`` in float32
    and ``10^(−dps/2) / 100 · scale`` in mp.

    Parameters
    ----------
    point
        The point ``v``.
    precision
        ``float64``, ``float32`` or ``mp``.
    dps
        Digits for ``mp``.
    length
        The cost's own length scale along the direction, such as ``|C(v)| / ‖∇C‖∞``
        (features of size 10⁻⁶ put the window far below ``1e-13 · scale``). When it
        is below ``scale`` the sequence reaches down further by the ratio, by at most
        eight decades; the start is unchanged (steps where the cost overflows are
        dropped by the harness).

    Returns
    -------
    numpy.ndarray
        Powers of two (exact in every precision), decreasing.
    """
    scale = max(1.0, float(np.max(np.abs(point))) if len(point) else 1.0)
    bottom = scale
    if length is not None and math.isfinite(length) and length > 0:
        bottom = min(scale, max(length, 1e-8 * scale))
    # float32 has so few digits that its window needs the larger steps too.
    start = 0.5 if precision == "float32" else 0.1
    top = 2.0 ** math.floor(math.log2(start * scale))
    low = {
        "float64": 1e-13,
        "float32": 1e-6,
        "mp": 10.0 ** (-(dps or DEFAULT_DPS) / 2) * 1e-2,
    }[precision] * bottom
    k = math.ceil(math.log2(top / low))
    return top * 2.0 ** -np.arange(k + 1, dtype=float)


def _length(c: Case, v64: Array, g: Any, cx: Context) -> float | None:
    """``|C(v)| / ‖∇C‖∞``: the length over which the cost changes by its own size."""
    if g is None:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            c0 = abs(float(cx.to_float(c.cost(cx.asarray(v64), cx))))
        except Exception:  # noqa: BLE001 - the sweep names the failure properly
            return None
        gmax = float(np.max(np.abs(cx.to_float(g)))) if len(v64) else 0.0
    return c0 / gmax if gmax > 0 and math.isfinite(c0) else None


def _steps(steps: Any) -> Array:
    h = np.asarray(steps, dtype=np.float64).reshape(-1)
    if len(h) < 2 or not np.all(np.isfinite(h)) or not np.all(h > 0):
        raise FirstOrderError("`steps` must be at least two positive finite numbers.")
    return np.sort(h)[::-1]


def _backend_name(gradient: Any) -> str | None:
    """The backend behind ``gradient``: a backend name or a ``GradientResult``."""
    if isinstance(gradient, str):
        return gradient
    backend = getattr(gradient, "backend", None)
    if isinstance(backend, str) and hasattr(gradient, "values") and hasattr(gradient, "ok"):
        return backend
    return None


def _gradient_values(
    c: Case, v: Array, gradient: Any, cx: Context, precision: str, dps: int
) -> tuple[Array | None, str, str]:
    """The gradient under test in ``cx``, its label, and a not-applicable reason."""
    n = len(v)
    if _backend_name(gradient) is not None and not isinstance(gradient, str):
        # a GradientResult computed earlier: its values, labelled with its backend
        if not gradient.ok:
            return None, gradient.backend, gradient.reason
        gradient_values = np.asarray(gradient.values)
        if gradient_values.shape != (n,):
            raise FirstOrderError(
                f"the `gradient` has shape {gradient_values.shape}; expected ({n},)."
            )
        out = cx.asarray(gradient_values)
        if not np.all(np.isfinite(cx.to_float(out))):
            raise FirstOrderError("the `gradient` has a non-finite component.")
        return out, gradient.backend, ""
    if isinstance(gradient, str):
        if gradient == "analytic":
            if not c.has_gradient:
                return None, "analytic", f"case `{c.name}` has no analytic gradient."
            g = c.grad(cx.asarray(v), cx)
            label = "analytic"
        else:
            try:
                from ..gradients.backends import gradient as backend_gradient  # type: ignore[import-untyped,import-not-found,unused-ignore]
            except ImportError:
                raise FirstOrderError(
                    f"gradient backend `{gradient}` is unavailable: the backends module is "
                    "not installed; use `analytic`, an array or a callable."
                ) from None
            res = backend_gradient(c, v, backend=gradient, precision=precision, dps=dps)
            if not res.ok:
                return None, gradient, res.reason
            g = np.asarray(res.values)
            label = gradient
    elif callable(gradient):
        try:
            g = gradient(cx.asarray(v))
        except FirstOrderError:
            raise
        except Exception as exc:
            raise FirstOrderError(
                f"the gradient callable `{getattr(gradient, '__name__', 'grad')}` raised "
                f"{type(exc).__name__}: {exc}."
            ) from exc
        label = getattr(gradient, "__name__", "callable")
        if label == "<lambda>":
            label = "callable"
    else:
        g = gradient
        label = "array"
    g = np.asarray(g)
    if g.shape != (n,):
        raise FirstOrderError(f"the `gradient` has shape {g.shape}; expected ({n},).")
    out = cx.asarray(g)
    if not np.all(np.isfinite(cx.to_float(out))):
        raise FirstOrderError("the `gradient` has a non-finite component.")
    return out, label, ""


def _costs(c: Case, pts: Array, cx: Context, h: Array) -> tuple[Array, Array]:
    """Evaluate the cost at all sweep points in one call; name the step if it raises.

    ``pts`` holds the point and its ``len(h)`` steps, then the same again jittered.
    Floating-point overflow is no error here: it shows as a non-finite value, which
    the caller judges (at the largest steps it is pre-asymptotic). Returns the values
    and the mask of non-finite ones.
    """
    m = len(h) + 1

    def where(k: int) -> str:
        k = k % m
        return "at the point itself" if k == 0 else f"at step `h={h[k - 1]:.3g}`"

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            vals = np.asarray(c.cost(pts, cx))
            bad = ~np.isfinite(cx.to_float(vals))
        except FirstOrderError:
            raise
        except Exception as exc:
            for k in range(len(pts)):
                try:
                    c.cost(pts[k], cx)
                except Exception as inner:
                    raise FirstOrderError(
                        f"the cost of case `{c.name}` raised {type(inner).__name__} "
                        f"{where(k)}: {inner}."
                    ) from inner
            raise FirstOrderError(
                f"the cost of case `{c.name}` raised {type(exc).__name__} on the batch: {exc}."
            ) from exc
    return vals, bad


def _finite_steps(name: str, bad: Array, h: Array) -> int:
    """How many of the largest steps to drop for a non-finite cost there.

    A cost that overflows (or leaves its domain) at the largest steps only is
    pre-asymptotic there: those steps are dropped. Non-finite at the point itself, at
    every step, or at a step smaller than a finite one is an error naming the step.
    """
    m = len(h) + 1
    bad = bad[:m] | bad[m:]
    if bad[0]:
        raise FirstOrderError(f"the cost of case `{name}` is not finite at the point itself.")
    steps = bad[1:]
    if np.all(steps):
        raise FirstOrderError(
            f"the cost of case `{name}` is not finite at any step, down to `h={h[-1]:.3g}`."
        )
    top = int(np.argmin(steps))
    if np.any(steps[top:]):
        k = top + int(np.flatnonzero(steps[top:])[0])
        raise FirstOrderError(f"the cost of case `{name}` is not finite at step `h={h[k]:.3g}`.")
    return top


# -- analysis ----------------------------------------------------------------------------


def _floor_multiplier(h: Array, r: Array, base: Array) -> float:
    """Empirical factor on the theoretical floor, from the smallest steps.

    The smallest steps lie below the round-off floor by construction; where ``r``
    has stopped falling there, its size over ``eps · |terms|`` measures how many
    ulps the cost evaluation really loses.
    """
    tail = slice(-4, None)
    q = local_orders(h, r)[-5:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = r[tail] / base[tail]
    # Stopped falling: a wrong gradient's r1 = |e h| still falls at order 1.
    if np.all(np.isnan(q)) or float(np.nanmedian(q)) < 0.5:
        finite = ratio[np.isfinite(ratio)]
        return max(1.0, float(finite.max())) if len(finite) else 1.0
    return 1.0


def _fit(
    name: str,
    h: Array,
    r: Array,
    floor: Array,
    coef_pred: float | None,
    coef_power: int,
) -> tuple[Fit, Array, Any]:
    """Fit one remainder; return the Fit, its window mask and the tail fit."""
    exp = _EXPECTED[name]
    mask = clean_window(h, r, floor)
    nan = (math.nan, math.nan)
    if not window_ok(h, mask):
        above = int(np.sum(np.isfinite(r) & (r > SAFETY * floor)))
        verdict, n_points, why = (
            ("exact", 0, "stays at the round-off floor over the whole range")
            if above == 0
            else (
                "inconclusive",
                int(mask.sum()),
                "has too few clean points above the round-off floor",
            )
        )
        fit = Fit(
            name, exp, math.nan, nan, math.nan, math.nan, n_points, None, verdict, f"{name} {why}."
        )
        return fit, mask, None
    hw, rw = h[mask], r[mask]
    full = fit_loglog(hw, rw)
    tail = fit_loglog(hw[-TAIL:], rw[-TAIL:])
    agreement = None
    if coef_pred is not None and coef_pred > 0:
        # The smallest steps whose remainder clears the floor by SAFETY² (round-off
        # below 1/SAFETY² of it), so neither noise nor higher-order terms dominate.
        # Without three such steps the coefficient cannot be told from round-off
        # and is not judged (agreement None).
        # The coefficient is judged only where the local orders have settled at the
        # expected order: at pre-asymptotic steps higher-order terms still shift it.
        quiet = rw > SAFETY * SAFETY * floor[mask]
        settled = False
        if quiet.sum() >= 3:
            hq, rq = hw[quiet], rw[quiet]
            q = local_orders(hq, rq)[-3:-1]
            settled = bool(np.all(np.abs(q - exp) <= SETTLE_TOL))
        if settled:
            est = float(np.median(rq[-3:] / hq[-3:] ** coef_power))
            agreement = abs(est / coef_pred - 1)
    lo, hi = full.ci
    if hi < exp - FAIL_TOL or tail.ci[1] < exp - FAIL_TOL:
        which = full if hi < exp - FAIL_TOL else tail
        part = "" if which is full else " at the smallest clean steps"
        verdict = "fail"
        reason = (
            f"{name} falls at order {which.slope:.2f} "
            f"[{which.ci[0]:.2f}, {which.ci[1]:.2f}]{part}, below the expected {exp}."
        )
    elif lo - PASS_TOL <= exp:
        verdict = "pass"
        reason = (
            f"{name} falls at order {full.slope:.2f} [{lo:.2f}, {hi:.2f}] over "
            f"{math.log10(full.h_max / full.h_min):.1f} decades of h."
        )
    else:
        verdict = "pass"
        reason = (
            f"{name} falls at order {full.slope:.2f}, above the expected {exp}: "
            "its leading term vanishes along this direction."
        )
    if verdict == "pass" and agreement is not None and agreement > COEF_TOL:
        verdict = "fail"
        what = "|∇C·d|" if name == "r0" else "|dᵀHd|/2"
        reason = (
            f"{name}/h^{coef_power} tends to {est:.6g}, not the predicted {what} = "
            f"{coef_pred:.6g} (relative gap {agreement:.2g})."
        )
    fit = Fit(
        name, exp, full.slope, full.ci, full.h_min, full.h_max, full.n, agreement, verdict, reason
    )
    return fit, mask, tail


def taylor_test(
    case: Case | str,
    point: Any = None,
    direction: Any = "random",
    gradient: Any = "analytic",
    precision: str = "float64",
    dps: int = DEFAULT_DPS,
    steps: Any = None,
    seed: int = 0,
) -> TaylorResult:
    """Test ΔC ≈ ∇C·Δv: fit how its error shrinks along a direction.

    Parameters
    ----------
    case
        A :class:`~firstorder.Case` or the name of a registered one.
    point
        The point ``v`` (default the case's ``x0``).
    direction
        ``"random"`` (a seeded unit vector), ``"e<i>"`` (a coordinate axis),
        ``"descent"`` (−∇C/‖∇C‖) or an explicit vector (normalised).
    gradient
        The gradient under test: ``"analytic"``, a backend name, a
        :class:`~firstorder.GradientResult` computed earlier (its values, judged as
        that backend's), an array or a callable ``grad(v)``.
    precision
        ``"float64"``, ``"float32"`` or ``"mp"``.
    dps
        Digits for ``mp``.
    steps
        Steps to use instead of :func:`default_steps`.
    seed
        Seed of the random direction.

    Returns
    -------
    TaylorResult
        The verdict with its reason, the fits of r0, r1, r2, the per-step table and,
        on failure, the wrong components.

    Raises
    ------
    FirstOrderError
        For bad input: an unknown case, precision or backend, a point or direction of
        the wrong length, a zero direction, a non-finite point, a gradient of the wrong
        shape, a cost that fails inside the sweep (naming the step).
    """
    return _taylor(case, point, direction, gradient, precision, dps, steps, seed, locate=True)


def _taylor(
    case: Case | str,
    point: Any,
    direction: Any,
    gradient: Any,
    precision: str,
    dps: int,
    steps: Any,
    seed: int,
    locate: bool,
) -> TaylorResult:
    c = resolve_case(case)
    _check_precision(precision)
    cx = context(precision, dps if precision == "mp" else None)
    v64 = _point(c, point)
    n = len(v64)
    g, label, na_reason = _gradient_values(c, v64, gradient, cx, precision, dps)

    def grad64() -> Array:
        if g is None:
            raise FirstOrderError(f"the `descent` direction needs a gradient: {na_reason}")
        return cx.to_float(g)

    d64 = _direction(direction, n, seed, grad64)
    h64 = (
        _steps(steps)
        if steps is not None
        else default_steps(v64, precision, dps, _length(c, v64, g, cx))
    )
    common = {"point": v64, "direction": d64, "dps": cx.dps}
    if g is None:
        return _not_applicable(c.name, label, precision, na_reason, h64, common)

    v, d, h = cx.asarray(v64), cx.asarray(d64), cx.asarray(h64)
    pts = np.concatenate([v[None, :], v[None, :] + h[:, None] * d[None, :]])
    # The same points moved by a few ulps, in the same batched call: how much the
    # cost changes then is its round-off noise at each step (conditioning included,
    # e.g. a sum of squares of residuals that nearly cancel).
    jitter = pts * (1 + 2 * cx.eps)
    both, bad = _costs(c, np.concatenate([pts, jitter]), cx, h64)
    top = _finite_steps(c.name, bad, h64)
    vals, moved = both[: len(pts)], both[len(pts) :]
    dropped = h64[:top]
    if top:
        keep = np.concatenate([[0], np.arange(top + 1, len(pts))])
        vals, moved = vals[keep], moved[keep]
        h64, h = h64[top:], h[top:]
    c0, ch = vals[0], vals[1:]
    gd = cx.sum(g * d)
    delta = ch - c0
    # The step actually taken: v + h d is rounded to the precision, and that rounding
    # (about eps·|v_i| per component) changes C by up to eps·Σ|g_i v_i|, which does not
    # shrink with h and reads as a gradient error at small steps. The difference of
    # the rounded points and v is exact (Sterbenz), so ∇C·Δv is the linear term.
    dv = pts[1:][-len(h64) :] - v[None, :]
    lin = cx.sum(g[None, :] * dv)
    lin_abs = cx.sum(cx.abs(g[None, :] * dv))
    rem1 = delta - lin
    dhd = None
    rem2 = None
    if c.has_hessian:
        hv = c.hess_vec(v, d, cx)
        dhd = cx.sum(hv * d)
        rem2 = rem1 - h * h / 2 * dhd
    f = cx.to_float
    eps = float(cx.eps)
    r0, r1 = np.abs(f(delta)), np.abs(f(rem1))
    r2 = np.abs(f(rem2)) if rem2 is not None else np.full(len(h64), np.nan)
    mag = np.abs(f(ch)) + abs(float(f(c0)))
    base0 = eps * mag
    base1 = eps * (mag + np.abs(f(lin_abs)))
    m = _floor_multiplier(h64, r1, base1)
    wobble = np.abs(f(moved - vals))
    noise = wobble[1:]
    # Round-off is random: a step's noise is judged by its neighbours too.
    noise = np.maximum.reduce([noise, np.roll(noise, 1), np.roll(noise, -1)])
    floor0, floor1 = np.maximum(m * base0, noise), np.maximum(m * base1, noise)
    # Round-off the jitter cannot see shows as a plateau of r1 at the smallest steps.
    plateau = plateau_floor(h64, r1)
    floor1 = np.maximum(floor1, plateau)
    gd64 = float(f(gd))
    dhd64 = float(f(dhd)) if dhd is not None else None

    fit0, _, _ = _fit("r0", h64, r0, floor0, abs(gd64), 1)
    fit1, mask1, _ = _fit("r1", h64, r1, floor1, abs(dhd64) / 2 if dhd64 else None, 2)
    fits = {"r0": fit0, "r1": fit1}
    if rem2 is not None and dhd is not None:
        quad: Array = np.abs(f(h * h / 2 * dhd))
        floor2 = np.maximum(m * (base1 + eps * quad), np.maximum(noise, plateau))
        fits["r2"], mask2, tail2 = _fit("r2", h64, r2, floor2, None, 3)

    predicted = _predicted_decades(h64, r1, floor1, dhd64)
    verdict, reason = fit1.verdict, fit1.reason
    e2: float | None = None  # |e·d| read off r2, when the second-order check fails
    gnorm = float(np.linalg.norm(f(g)))
    hscale = abs(dhd64 or 0.0) * max(1.0, float(np.max(np.abs(v64))))
    # A known Hessian with dᵀHd = 0 (to round-off): the h² term vanishes and r1 = O(h³)
    # legitimately; otherwise an order above 2 over a short window is pre-asymptotic.
    curvature_vanishes = dhd64 is not None and abs(dhd64) <= 1e3 * eps * max(
        1.0, gnorm, abs(float(f(c0)))
    )
    if (
        verdict == "pass"
        and fit1.order_ci[0] - PASS_TOL > 2
        and predicted < RESOLVABLE
        and not curvature_vanishes
    ):
        verdict = "inconclusive"
        reason = (
            f"r1 falls at order {fit1.order:.2f} over pre-asymptotic steps only: {precision} "
            f"cannot resolve the h² range here (predicted clean window {predicted:.1f} decades)."
        )
    if verdict == "fail" and fit1.coefficient_agreement is None:
        # An order-1 tail means ∇C·d off by e ≈ r1/h. Below √eps·‖∇C‖, the
        # gradient's own round-off, it is the cost's hidden round-off instead.
        hw, rw = h64[mask1], r1[mask1]
        e = _implied_error(hw, rw)
        if e <= math.sqrt(eps) * gnorm:
            verdict = "inconclusive"
            reason = (
                f"{fit1.reason[:-1]}, but the implied error of ∇C·d ({e:.2g}) is within "
                f"the {precision} round-off of the gradient (√eps·‖∇C‖ = "
                f"{math.sqrt(eps) * gnorm:.2g}): not a finding."
            )
    if verdict == "pass" and rem2 is not None and tail2 is not None:
        verdict, reason, e2 = _second_order_check(
            h64[mask2], r2[mask2], tail2, gnorm, hscale, eps, reason
        )
    if verdict == "exact":
        if fit0.verdict == "exact" and gd64 == 0 and not dhd64:
            # Constant along d (a variable the cost ignores), and ∇C·d = 0 exactly.
            reason = "the cost is constant along this direction and ∇C·d = 0: exact."
        elif fit0.verdict == "exact":
            reason = (
                "the cost does not change measurably along this direction (r0 and r1 at round-off)."
            )
            verdict = "inconclusive"
        else:
            reason = "r1 stays at the round-off floor over the whole range: ΔC = ∇C·Δv exactly."
        if dhd64 and predicted < MIN_DECADES:
            # r1 = |dᵀHd|/2 h² ≠ 0 lies under the floor at every step: unresolved.
            verdict = "inconclusive"
            reason = (
                f"r1 ≈ |dᵀHd|/2 h² stays under the round-off floor: {precision} cannot "
                f"resolve it here (predicted clean window {max(predicted, 0):.1f} decades"
                f"{'; use precision mp' if precision != 'mp' else '; raise --dps'})."
            )
    elif verdict == "inconclusive" and fit1.verdict == "inconclusive":
        hint = "use precision mp" if precision != "mp" else "raise --dps"
        reason = (
            f"{fit1.reason[:-1]} (predicted clean window {max(predicted, 0):.1f} decades of h "
            f"from the curvature and the measured floor; {hint})."
        )

    if len(dropped):
        reason = (
            f"{reason[:-1]} (the {len(dropped)} largest steps, h ≥ {dropped[-1]:.3g}, dropped: "
            "the cost is not finite there)."
        )

    h_star = None
    backend_tail = verdict == "fail" or (verdict == "inconclusive" and fit1.verdict == "fail")
    backend = _backend_name(gradient)
    if backend is not None and backend != "analytic" and (verdict == "pass" or backend_tail):
        h_star = _h_star(h64, r1, mask1)
        if backend_tail:
            verdict, reason = _backend_verdict(
                backend,
                precision,
                dps,
                h64,
                r1,
                mask1,
                gnorm,
                abs(float(f(c0))),
                v64,
                h_star,
                verdict,
                reason,
                e2,
            )

    remainders = {
        "r0": r0,
        "r1": r1,
        "r2": r2,
        "delta_c": f(delta),
        "linear": f(lin),
        "floor_r0": floor0,
        "floor_r1": floor1,
    }
    result = TaylorResult(
        case=c.name,
        gradient=label,
        precision=precision,
        verdict=verdict,
        reason=reason,
        order=fit1.order,
        order_ci=fit1.order_ci,
        h_min=fit1.h_min,
        h_max=fit1.h_max,
        n_points=fit1.n_points,
        coefficient_agreement=fit1.coefficient_agreement,
        orders=fits,
        wrong_components=(),
        diagnosis=None,
        h_star=h_star,
        steps=h64,
        remainders=remainders,
        window=mask1,
        point=v64,
        direction=d64,
        dps=cx.dps,
        directional_derivative=gd64,
        curvature=dhd64,
        dropped_steps=dropped,
        predicted_decades=predicted,
    )
    if verdict == "fail" and locate:
        from .locate import locate_wrong_components

        diag = locate_wrong_components(
            c, v64, g, precision=precision, dps=dps, seed=seed, assume_wrong=True
        )
        from dataclasses import replace

        result = replace(result, wrong_components=diag.components, diagnosis=diag)
    return result


def _predicted_decades(h: Array, r1: Array, floor: Array, dhd: float | None) -> float:
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


def _implied_error(h: Array, r: Array) -> float:
    """|e·d| read off an order-1 tail r ≈ h·|e·d|: the median of r/h over the three
    smallest steps given (the clean window's end)."""
    return float(np.median(r[-3:] / h[-3:]))


def _second_order_check(
    h: Array, r2: Array, tail: Any, gnorm: float, hscale: float, eps: float, reason: str
) -> tuple[str, str, float | None]:
    """Find a gradient error hidden under r1's h² term, using r2.

    With second derivatives known, ``r2 = |e h + O(h³)|`` for a gradient off by ``e``
    along ``d``: at small steps r2 falls at order 1 instead of 3, long before ``e h``
    can beat the ``h²`` term of r1. (A wrong Hessian makes r2 fall at order 2, which
    is not the gradient's fault.) The implied error ``e ≈ r2/h`` must also exceed
    ``sqrt(eps)·‖∇C‖ + eps^(3/4)·|dᵀHd|·max(1, ‖v‖∞)``, so that the gradient's own
    round-off never fails it, not even at a stationary point where ∇C ≈ 0 and the
    terms summed in it are of the size of H·v.
    """
    if not tail.ci[1] < 2 - FAIL_TOL:
        return "pass", reason, None
    e = _implied_error(h, r2)
    if e <= math.sqrt(eps) * gnorm + eps**0.75 * hscale:
        return "pass", reason, None
    rel = e / gnorm if gnorm > 0 else math.inf
    return (
        "fail",
        (
            f"r2 = |r1 − h²/2 dᵀHd| falls at order {tail.slope:.2f} at the smallest clean "
            f"steps: ∇C·d is off by about {e:.2g} ({rel:.1g} of ‖∇C‖)."
        ),
        e,
    )


def _backend_verdict(
    backend: str,
    precision: str,
    dps: int,
    h: Array,
    r1: Array,
    mask: Array,
    gnorm: float,
    cost: float,
    v: Array,
    h_star: float | None,
    verdict: str,
    reason: str,
    err_hint: float | None = None,
) -> tuple[str, str]:
    """A backend's gradient carries its formula's error e: below h*, r1 ≈ h·|e·d| falls
    at order 1. That is the backend's expected behaviour, not a wrong gradient, when
    |e·d| (read off the smallest clean steps of r1, or of r2 where the second-order
    check measured it: ``err_hint``) is within the budget of its formula."""
    from ..gradients.budget import backend_budget

    idx = np.flatnonzero(mask)
    if len(idx) < 2:
        return verdict, reason
    err = _implied_error(h[idx], r1[idx]) if err_hint is None else err_hint
    scale = max(1.0, float(np.max(np.abs(v))))
    budget = backend_budget(backend, precision, dps, gnorm, cost, scale)
    if budget is None or not err <= budget:
        if budget is not None:
            reason = (
                f"{reason[:-1]}; the implied error of ∇C·d ({err:.2g}) exceeds what "
                f"`{backend}` should make here ({budget:.2g})."
            )
        return verdict, reason
    within = f"(|e·d| ≈ {err:.2g}, within the {budget:.2g} its formula allows)"
    if h_star is None or h_star >= h[idx[0]]:
        return "pass", (
            f"r1 is the `{backend}` gradient's own error h·|e·d| at every clean step {within}; "
            "no h² term shows above it."
        )
    return "pass", (
        f"r1 falls at order 2 down to h* = {h_star:.3g}; below it the `{backend}` "
        f"gradient's own error takes over {within}."
    )


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


def _not_applicable(
    name: str, label: str, precision: str, reason: str, h: Array, common: dict[str, Any]
) -> TaylorResult:
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
