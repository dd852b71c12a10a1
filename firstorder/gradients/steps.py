"""Step sizes of the finite-difference and complex-step backends.

* A formula of order ``p`` balances truncation ``h^p`` against round-off ``eps / h``
  at ``h_j = eps^(1/(p+1)) · max(1, |v_j|)``, with ``eps`` the context's.
* The complex step has no subtraction, so its step is tiny: ``1e-20 · max(1, |v_j|)``.
* A user step, a positive scalar or one per component, overrides both.
* The step sweeps scan a geometric ladder of steps (:func:`sweep_ladder`), validated
  by :func:`ladder`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import FirstOrderError
from ..numbers import Array, Context

__all__ = [
    "COMPLEX_STEP",
    "PER_DECADE",
    "complex_steps",
    "ladder",
    "rule_steps",
    "sweep_ladder",
    "user_steps",
]

#: Relative step of the complex step.
COMPLEX_STEP = 1e-20
#: Steps per decade of the default sweep ladders.
PER_DECADE = 4


def _scale(v: Array, ctx: Context) -> Array:
    if ctx.name == "mp":
        one = ctx.const(1)
        return np.array([max(one, abs(t)) for t in v], dtype=object)
    return np.maximum(1.0, np.abs(np.asarray(v, dtype=np.float64)))


def rule_steps(v: Array, order: int, ctx: Context) -> Array:
    """The fixed rule (SciPy's): ``h_j = eps^(1/(order+1)) · max(1, |v_j|)`` in the context ``ctx``.

    Parameters
    ----------
    v
        The point, shape ``(n,)``.
    order
        Order of accuracy ``p`` of the formula.
    ctx
        The context whose ``eps`` sets the step (mpf steps for ``mp``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``: float64 for numpy contexts, object (mpf) for ``mp``.
    """
    if ctx.name == "mp":
        base = ctx.eps ** (ctx.const(1) / (order + 1))
    else:
        base = float(ctx.eps) ** (1.0 / (order + 1))
    return base * _scale(v, ctx)


def complex_steps(v: Array) -> Array:
    """The complex step ``1e-20 · max(1, |v_j|)``, shape ``(n,)``."""
    h = np.abs(np.asarray(v, dtype=np.float64))
    np.maximum(h, 1.0, out=h)
    h *= COMPLEX_STEP
    return h


def user_steps(step: Any, n: int, ctx: Context | None = None) -> Array:
    """Validate a user step (scalar or one per component) and broadcast it to ``(n,)``.

    Parameters
    ----------
    step
        A positive finite number, or an array of ``n`` of them (strings and mpf are
        kept at full precision in the ``mp`` context).
    n
        The dimension.
    ctx
        The context of the result (float64 unless ``mp``).

    Raises
    ------
    FirstOrderError
        For a step that is zero, negative, not finite, not a number or of the wrong
        shape.
    """
    mp = ctx is not None and ctx.name == "mp"
    try:
        if mp:
            assert ctx is not None
            arr = ctx.asarray(step)
            check = np.asarray(ctx.to_float(arr), dtype=np.float64)
            positive = np.array([t > 0 for t in arr.flat]).reshape(arr.shape)
        else:
            arr = np.asarray(step, dtype=np.float64)
            check = arr
            positive = arr > 0
    except (TypeError, ValueError):
        raise FirstOrderError(
            f"`step` must be a positive number or an array of {n} of them, not `{step!r}`."
        ) from None
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise FirstOrderError(
            f"`step` has shape {arr.shape}; give a scalar or an array of shape ({n},)."
        )
    if not np.all(np.isfinite(check)):
        raise FirstOrderError(f"`step` must be finite, not `{step!r}`.")
    if not np.all(positive):
        raise FirstOrderError(f"`step` must be positive, not `{step!r}`.")
    return np.broadcast_to(arr, (n,)).copy()


def sweep_ladder(
    backend: str,
    precision: str = "float64",
    dps: int = 50,
    per_decade: int = PER_DECADE,
    low: int | None = None,
) -> Array:
    """A step sweep's ladder, from 1 down past where the backend's round-off dominates.

    Float64 finite differences: 1 to 1e-16; the complex step: 1 to 1e-300; float32:
    1 to 1e-8; mp: 1 to 10^-dps; ``low`` overrides the last decade. ``per_decade``
    steps per decade.
    """
    if low is None:
        if backend == "complex-step":
            low = 300
        elif precision == "float32":
            low = 8
        elif precision == "mp":
            low = dps
        else:
            low = 16
    return 10.0 ** (-np.arange(0, low * per_decade + 1) / per_decade)


def ladder(steps: Any) -> Array:
    """Validate a ladder of absolute steps: a non-empty 1-D array of positive numbers.

    Raises
    ------
    FirstOrderError
        For steps that are not numbers, not 1-D, empty, zero, negative or not finite.
    """
    try:
        hs = np.asarray(steps, dtype=np.float64)
    except (TypeError, ValueError):
        raise FirstOrderError(f"`steps` must be numbers, not `{steps!r}`.") from None
    if hs.ndim != 1:
        raise FirstOrderError(f"`steps` has shape {hs.shape}; give a 1-D sequence of step sizes.")
    if hs.size == 0 or not np.all(np.isfinite(hs)) or np.any(hs <= 0):
        raise FirstOrderError("`steps` must be positive finite numbers.")
    return hs
