"""The Taylor harness: ``taylor_test``, the one call that tests ΔC ≈ ∇C·Δv.

Along a direction ``d`` (unit length) and steps ``h_k`` (ratio 2), the remainders

* ``r0 = |C(v + h d) − C(v)|`` (order 1),
* ``r1 = |C(v + h d) − C(v) − h ∇C·d|`` (order 2: the error of ΔC ≈ ∇C·Δv),
* ``r2 = |r1-expression − h²/2 dᵀHd|`` (order 3, where second derivatives are known)

are computed in one batched cost call in the precision under test. Their log-log
slopes are fitted over the clean window (see :mod:`firstorder.taylor.fit`). A wrong gradient
adds ``h |δ·d|`` to ``r1``: at small steps ``r1`` falls at order 1, not 2.

The test runs in phases, each a module: sample the remainders and measure their
floors (:mod:`~firstorder.taylor.remainders`), fit (:mod:`~firstorder.taylor.fit`),
judge (:mod:`~firstorder.taylor.verdict`), and, on failure, locate the wrong
components (:mod:`~firstorder.taylor.locate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..case.loading import resolve_case
from ..case.model import Case
from ..case.points import as_point
from ..errors import FirstOrderError, unknown
from ..gradients.steps import taylor_steps
from ..numbers import DEFAULT_DPS, Array, Context, context
from ..vocab import TAYLOR_PRECISIONS
from .directional import fails_along, judge_direction
from .fit import FAIL_TOL, PASS_TOL, Fit
from .ladder import sample_early
from .locate import locate_wrong_components
from .remainders import cost_length, sample_along
from .result import TaylorResult, not_applicable
from .verdict import RESOLVABLE

__all__ = [
    "FAIL_TOL",
    "FOLLOW_UP_DIM",
    "PASS_TOL",
    "RESOLVABLE",
    "Fit",
    "TaylorResult",
    "default_steps",
    "taylor_test",
    "taylor_tests",
]

#: Largest dimension for which :func:`taylor_tests` follows a suspicious s1 tail up
#: over coordinate blocks.
FOLLOW_UP_DIM = 100

#: The Taylor step ladder (kept under its old name; it lives in the steps module).
default_steps = taylor_steps


def taylor_test(
    case: Case | str,
    point: Any = None,
    direction: Any = "random",
    gradient: Any = "analytic",
    precision: str = "float64",
    dps: int = DEFAULT_DPS,
    steps: Any = None,
    seed: int = 0,
    *,
    locate: bool = True,
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
    locate
        On failure, locate the wrong components by bisection (default).

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
    return taylor_tests(
        case, point, [(direction, seed)], gradient, precision, dps, steps, locate=locate
    )[0]


def taylor_tests(
    case: Case | str,
    point: Any,
    directions: Sequence[tuple[Any, int]],
    gradient: Any = "analytic",
    precision: str = "float64",
    dps: int = DEFAULT_DPS,
    steps: Any = None,
    *,
    locate: bool = True,
    skip_zero_descent: bool = False,
    follow_up: bool = False,
    early_stop: bool = False,
) -> list[TaylorResult]:
    """:func:`taylor_test` along several directions, sampled in one cost call.

    The steps depend on the point only, so every direction's sweep (both sides of
    each step, the noise probe) goes through the cost at once; the
    directions are then judged in turn, stopping at the first that fails, whose wrong
    components are located.

    Parameters
    ----------
    case, point, gradient, precision, dps, steps, locate
        As for :func:`taylor_test`.
    directions
        ``(direction, seed)`` pairs, each as :func:`taylor_test` takes them.
    skip_zero_descent
        Leave out a ``descent`` direction where the gradient under test is zero
        (instead of raising).
    follow_up
        Where no direction fails but one's s1 tail is suspicious (see
        :class:`~firstorder.taylor.detection.Detection`), follow up along coordinate
        blocks by bisection, with the same decision: a small wrong component among
        large ones weighs far more along its own axis than along any whole direction.
        Only for ``n ≤`` :data:`FOLLOW_UP_DIM` (the bisection may test every axis).
    early_stop
        Sample the ladder from the top down and stop each side of each direction once
        its remainder has stayed at the round-off for a run of steps
        (:func:`~firstorder.taylor.ladder.sample_early`): far fewer calls of a cost
        that is looped. Not in mp.

    Returns
    -------
    list of TaylorResult
        One per direction judged, in order, up to the first ``fail``; then the
        failing axis test of a follow-up that found a wrong component.
    """
    c = resolve_case(case)
    if precision not in TAYLOR_PRECISIONS:
        raise unknown("precision", precision, TAYLOR_PRECISIONS)
    cx = context(precision, dps if precision == "mp" else None)
    v64 = _point(c, point)
    g, label, na_reason = _gradient_values(c, v64, gradient, cx, precision, dps)

    def grad64() -> Array:
        if g is None:
            raise FirstOrderError(f"the `descent` direction needs a gradient: {na_reason}")
        return cx.to_float(g)

    specs = [
        (spec, seed)
        for spec, seed in directions
        if not (skip_zero_descent and _is_descent(spec) and not np.any(grad64()))
    ]
    ds = [_direction(spec, len(v64), seed, grad64) for spec, seed in specs]
    if steps is not None:
        h64 = _steps(steps)
    else:
        h64 = taylor_steps(v64, precision, dps, cost_length(c, v64, g, cx))
    if g is None:
        return [
            not_applicable(c.name, label, precision, na_reason, h64, common)
            for common in ({"point": v64, "direction": d, "dps": cx.dps} for d in ds)
        ]
    results = []
    # sample the remainders (all directions at once) → measure their floors → fit → judge
    sample = sample_early if early_stop and cx.name != "mp" else sample_along
    for d64, s, (_, seed) in zip(ds, sample(c, v64, ds, h64, g, cx), specs, strict=True):
        result = judge_direction(
            c,
            v64,
            d64,
            g,
            h64,
            cx,
            label=label,
            precision=precision,
            dps=dps,
            backend=_backend_name(gradient),
            samples=s,
        )
        if result.verdict == "fail" and locate:
            result = _located(c, v64, g, result, precision, dps, seed)
        results.append(result)
        if result.verdict == "fail":
            return results
    if follow_up and len(v64) <= FOLLOW_UP_DIM and any(r.suspicious for r in results):
        found = _follow_up(c, v64, g, h64, cx, results[0].gradient, precision, dps, gradient)
        results.extend([found] if found is not None else [])
    return results


def _follow_up(
    c: Case,
    v64: Array,
    g: Array,
    h64: Array,
    cx: Context,
    label: str,
    precision: str,
    dps: int,
    gradient: Any,
) -> TaylorResult | None:
    """The failing axis test of a bisection over coordinate blocks, or None."""
    fails = fails_along(c, v64, g, precision, dps)
    diag = locate_wrong_components(
        c, v64, g, precision=precision, dps=dps, assume_wrong=True, fails=fails
    )
    if not diag.components:
        return None
    i = diag.components[0]
    res = judge_direction(
        c,
        v64,
        np.eye(len(v64))[i],
        g,
        h64,
        cx,
        label=label,
        precision=precision,
        dps=dps,
        backend=_backend_name(gradient),
    )
    if res.verdict != "fail":
        return None
    reason = (
        f"{res.reason[:-1]} along e{i}, where a suspicious s1 tail was followed up "
        "over coordinate blocks."
    )
    return replace(res, reason=reason, wrong_components=diag.components, diagnosis=diag)


def _located(
    c: Case, v64: Array, g: Array, result: TaylorResult, precision: str, dps: int, seed: int
) -> TaylorResult:
    """The failed ``result`` with its wrong components found by bisection."""
    diag = locate_wrong_components(
        c,
        v64,
        g,
        precision=precision,
        dps=dps,
        seed=seed,
        assume_wrong=True,
        fails=fails_along(c, v64, g, precision, dps),
    )
    return replace(result, wrong_components=diag.components, diagnosis=diag)


def _is_descent(spec: Any) -> bool:
    return isinstance(spec, str) and spec == "descent"


# -- inputs ------------------------------------------------------------------------------


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
