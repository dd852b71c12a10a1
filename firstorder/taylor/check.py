"""Taylor tests for a user's own plain numpy functions ``cost(v)`` and ``grad(v)``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..case.loading import resolve_case
from ..case.model import Case
from ..case.points import as_point
from ..errors import CaseError, FirstOrderError, NotApplicableError, unknown
from ..numbers import DEFAULT_DPS, Array, Context, context
from ..numbers_jax import user_scope
from ..vocab import TAYLOR_PRECISIONS
from .fit import strict_json
from .harness import TaylorResult, taylor_tests

__all__ = ["DETECT_DIRECTIONS", "CheckResult", "check_gradient", "detect"]


@dataclass(frozen=True, eq=False)
class CheckResult:
    """The Taylor tests of a user's gradient along several directions.

    Attributes
    ----------
    verdict : str
        ``fail`` if any direction fails, else ``pass`` / ``exact`` if all are, else
        ``inconclusive``.
    reason : str
        One line saying why.
    order, order_ci : float, tuple of float
        The r1 fit of the deciding direction.
    wrong_components : tuple of int
        0-based indices of the wrong components.
    results : tuple of TaylorResult
        One per direction.
    detection_bound, detection_bound_relative : float
        The smallest error of ∇C·d, along the most sensitive direction tested, that
        the test would have detected (absolute, and relative to ‖∇C‖).
    """

    verdict: str
    reason: str
    order: float
    order_ci: tuple[float, float]
    wrong_components: tuple[int, ...]
    results: tuple[TaylorResult, ...]
    detection_bound: float = math.inf
    detection_bound_relative: float = math.inf

    @property
    def ok(self) -> bool:
        """Whether the verdict is ``pass`` or ``exact``."""
        return self.verdict in ("pass", "exact")

    def to_frame(self) -> pd.DataFrame:
        """One row per direction and remainder (the fits of every direction)."""
        frames = [r.fits_frame().assign(direction=k) for k, r in enumerate(self.results)]
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON dict (None for NaN and infinities): verdict, reason, order,
        order_ci, wrong_components, directions."""
        dec = self.results[0]
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "reason": self.reason,
            "order": None if not math.isfinite(self.order) else self.order,
            "order_ci": [None if not math.isfinite(t) else t for t in self.order_ci],
            "wrong_components": list(self.wrong_components),
            "directions": [r.to_dict() for r in self.results],
            "detection_bound": _json(self.detection_bound),
            "detection_bound_relative": _json(self.detection_bound_relative),
        }
        for r in self.results:
            if r.diagnosis is not None:
                dec = r
                out["diagnosis"] = r.diagnosis.to_records()
                break
        out["h_min"], out["h_max"] = dec.to_dict()["h_min"], dec.to_dict()["h_max"]
        return strict_json(out)


def _name(fn: Callable[..., Any], default: str) -> str:
    name = getattr(fn, "__name__", default)
    return default if name == "<lambda>" else name


def _takes_batches(cost: Callable[..., Any], v: Array) -> bool:
    """Whether a user's ``cost`` evaluates a batch ``(k, n)`` to ``(k,)``, agreeing with
    point-by-point calls to round-off.

    A cost that returns ``float(...)``, sums over every axis or mixes the points of a
    batch fails this and is looped, one point at a time, as before.
    """
    # Points a relative 1e-6 apart: inside any domain the point itself is in.
    pts = v[None, :] * (1 + 1e-6 * np.array([[0.0], [1.0], [-1.0]])) + np.array(
        [[0.0], [1e-6], [-2e-6]]
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            batch = np.asarray(cost(pts), dtype=np.float64)
            if batch.shape != (len(pts),):
                return False
            single = np.array([float(np.asarray(cost(p))) for p in pts])
        except Exception:  # noqa: BLE001 - a cost that cannot batch may raise anything
            return False
    if not (np.all(np.isfinite(batch)) and np.all(np.isfinite(single))):
        return False
    tol = 1e3 * np.finfo(np.float64).eps * max(float(np.max(np.abs(single))), 1e-300)
    return bool(np.all(np.abs(batch - single) <= tol))


def _as_case(
    cost: Callable[..., Any], grad: Callable[..., Any], n: int, x0: Array, batched: bool = False
) -> Case:
    name = _name(cost, "cost")
    gname = _name(grad, "grad")

    def cost_fn(v: Array, ctx: Context) -> Any:
        # Left raw: the harness names the step at which a cost raises.
        return cost(v)

    def grad_fn(v: Array, ctx: Context) -> Any:
        try:
            if v.ndim == 1:
                return grad(v)
            # A batched case hands a batch; the user's gradient takes one point.
            return np.stack([np.asarray(grad(p)) for p in v.reshape(-1, n)]).reshape(v.shape)
        except FirstOrderError:
            raise
        except Exception as exc:  # a user's gradient may raise anything
            raise CaseError(
                f"the gradient `{gname}` raised {type(exc).__name__} at the point: {exc}."
            ) from exc

    return Case(
        name=name,
        cost_fn=cost_fn,
        grad_fn=grad_fn,
        dim=n,
        x0=tuple(float(t) for t in x0),
        batched=batched,
        complex_safe=True,
        doc=(cost.__doc__ or "").strip(),
    )


def check_gradient(
    cost: Callable[[Array], float],
    grad: Callable[[Array], Array],
    point: Any,
    *,
    precision: str = "float64",
    directions: int = 2,
    seed: int = 0,
    descent: bool = True,
) -> CheckResult:
    """Taylor-test a plain numpy gradient against its cost along several directions.

    Parameters
    ----------
    cost
        ``cost(v) -> float`` for ``v`` of shape ``(n,)``, no ``ctx``. A cost that also
        takes a batch ``(k, n) -> (k,)`` is evaluated in one call per check (detected
        on three points near ``point``), any other is looped. A
        JAX function works too (with ``grad=jax.grad(cost)`` or a ``custom_vjp``
        rule): when JAX is imported the check runs in JAX's float64, scoped to it.
    grad
        ``grad(v) -> array`` of shape ``(n,)``.
    point
        Where to test.
    precision
        ``"float64"``, ``"float32"`` or ``"mp"``. In mp both functions must carry
        mpmath numbers through (no ``float()``, ``.astype(float)`` or numpy functions
        of them); one that does not is refused (:class:`NotApplicableError`) rather
        than failed.
    directions
        Number of seeded random directions (default 2: three directions with the
        descent one). A third random direction detected nothing more on the user costs
        of ``tests/fo_user_costs.py``: the same detections of whole, largest- and
        median-component faults down to 1e-10, the same sign flips, swaps and dropped
        terms, for a quarter more time.
    seed
        Seed of the first direction (the others use ``seed + 1``, …).
    descent
        Also test along the descent direction ``−g/‖g‖`` of the gradient under test,
        first. A wrong component ``g_i`` changes ``∇C·d`` there by ``δ g_i²/‖g‖``, far
        more than along a random direction for the largest components.

    Returns
    -------
    CheckResult
        The combined verdict, the deciding r1 fit, wrong components and every test.

    Raises
    ------
    FirstOrderError
        For a bad point, precision or count; :class:`CaseError` for a gradient that
        raises; :class:`NotApplicableError` for functions that cannot run in ``mp``.
    """
    if precision not in TAYLOR_PRECISIONS:
        raise unknown("precision", precision, TAYLOR_PRECISIONS)
    if not callable(cost) or not callable(grad):
        raise FirstOrderError("`cost` and `grad` must both be callables taking `v`.")
    v = as_point(point)
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 1:
        raise FirstOrderError(f"`directions` must be a positive integer, not `{directions}`.")
    # In float64 and float32 a cost that takes (k, n) is evaluated in one batched call;
    # mp carries mpmath objects, which a numpy cost may batch differently: looped.
    batched = precision != "mp" and _takes_batches(cost, v)
    c = _as_case(cost, grad, len(v), v, batched)
    if precision == "mp":
        _refuse_lost_mp(c, v, _name(grad, "grad"))
    specs: list[Any] = (["descent"] if descent else []) + ["random"] * directions
    # A JAX cost (with its jax.grad or custom_vjp) runs in float64 during the check only.
    with user_scope():
        return _run(c, v, "analytic", specs, precision, DEFAULT_DPS, seed, early_stop=True)


def _refuse_lost_mp(c: Case, v: Array, gname: str) -> None:
    """Refuse ``mp`` for plain functions that do not carry mpmath numbers through.

    A cost that returns ``float(...)`` hands the Taylor test float64 values under mp:
    r1 then bottoms out at 1e-16, not 1e-50, and a right gradient would read as wrong.
    So would a gradient that returns float64 numbers. Both are refused in one sentence.
    """
    from ..gradients.backends import gradient

    mp = context("mp", DEFAULT_DPS)
    x = mp.asarray(v)
    for what, fn in ((f"cost `{c.name}`", c.cost), (f"gradient `{gname}`", c.grad)):
        try:
            out = np.asarray(fn(x, mp), dtype=object).reshape(-1)
        except (NotApplicableError, AttributeError, TypeError) as exc:
            cause = exc.__cause__ or exc
            raise NotApplicableError(
                f"the {what} cannot run in precision `mp` ({type(cause).__name__}: {cause}); "
                "check it in `float64` or `float32`."
            ) from exc
        lost = next((t for t in out if not hasattr(t, "_mpf_")), None)
        if lost is not None:
            raise NotApplicableError(
                f"the {what} returns `{type(lost).__name__}` for mpmath input, so precision "
                "`mp` never reaches it (`float()`, `.astype(float)` or a numpy function); "
                "check it in `float64` or `float32`."
            )
    res = gradient(c, v, backend="reference", dps=DEFAULT_DPS)
    if not res.ok:
        raise NotApplicableError(f"precision `mp` does not apply: {res.reason}")


def _run(
    c: Case,
    v: Array,
    gradient: Any,
    specs: list[Any],
    precision: str,
    dps: int,
    seed: int,
    *,
    early_stop: bool = False,
) -> CheckResult:
    """Taylor tests along ``specs`` (sampled in one cost call, or from the top down
    with ``early_stop``; judged in turn up to the first fail), combined. ``descent``
    uses ``seed``, the others ``seed``, ``seed + 1``, …"""
    seeds, k = [], 0
    for spec in specs:
        if isinstance(spec, str) and spec == "descent":
            seeds.append(seed)
        else:
            seeds.append(seed + k)
            k += 1
    results = taylor_tests(
        c,
        v,
        list(zip(specs, seeds, strict=True)),
        gradient,
        precision,
        dps,
        skip_zero_descent=True,
        follow_up=True,
        early_stop=early_stop,
    )
    return _combine(results)


def _combine(results: list[TaylorResult]) -> CheckResult:
    decided = next((r for r in results if r.verdict == "fail"), None)
    if decided is not None:
        verdict = "fail"
        reason = decided.reason
        if decided.wrong_components:
            reason = f"{reason[:-1]}; wrong components {list(decided.wrong_components)}."
    elif all(r.verdict == "exact" for r in results):
        decided, verdict, reason = results[0], "exact", results[0].reason
    elif all(r.verdict in ("pass", "exact") for r in results):
        decided = next(r for r in results if r.verdict == "pass")
        verdict = "pass"
        reason = f"{decided.reason[:-1]} (all {len(results)} directions pass)."
    else:
        decided = next(r for r in results if r.verdict not in ("pass", "exact"))
        verdict, reason = decided.verdict, decided.reason
    return CheckResult(
        verdict=verdict,
        reason=reason,
        order=decided.order,
        order_ci=decided.order_ci,
        wrong_components=decided.wrong_components,
        results=tuple(results),
        detection_bound=min((r.detection_bound for r in results), default=math.inf),
        detection_bound_relative=min(
            (r.detection_bound_relative for r in results), default=math.inf
        ),
    )


def _json(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


#: Directions :func:`detect` tests along by default.
DETECT_DIRECTIONS: tuple[str, ...] = ("descent", "random")


def detect(
    case: Case | str,
    point: Any = None,
    *,
    gradient: Any = "analytic",
    precision: str = "float64",
    dps: int = DEFAULT_DPS,
    seed: int = 0,
    directions: tuple[Any, ...] = DETECT_DIRECTIONS,
) -> CheckResult:
    """Whether a case's gradient (or a mutant's) fails the Taylor test along any direction.

    The detector mutation testing calls: Taylor tests along the ``descent`` direction
    of the gradient under test and a seeded ``random`` one (any spec
    :func:`~firstorder.taylor_test` takes), stopping at the first failure, whose wrong
    components are then located.

    Parameters
    ----------
    case
        A :class:`~firstorder.Case` (such as a mutant with a faulty gradient) or a name.
    point
        Where to test (default the case's ``x0``).
    gradient
        The gradient under test (see :func:`~firstorder.taylor_test`).
    precision, dps
        The number system.
    seed
        Seed of the random directions (``seed``, ``seed + 1``, … for repeated ones).
    directions
        Direction specs, tested in turn.

    Returns
    -------
    CheckResult
        ``fail`` if any direction fails (with its wrong components), else the
        combined verdict of all of them.
    """
    c = resolve_case(case)
    v = c.point() if point is None else np.asarray(point, dtype=np.float64)
    if not directions:
        raise FirstOrderError("`directions` must name at least one direction.")
    return _run(c, v, gradient, list(directions), precision, dps, seed)
