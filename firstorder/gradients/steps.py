"""Step sizes of the finite-difference and complex-step backends.

* A formula of order ``p`` balances truncation ``h^p`` against round-off ``eps / h``
  at ``h_j = eps^(1/(p+1)) · max(1, |v_j|)``, with ``eps`` the context's.
* The complex step has no subtraction, so its step is tiny: ``1e-20 · max(1, |v_j|)``.
* A user step, a positive scalar or one per component, overrides both.
* The Taylor test sweeps a geometric ladder of steps instead (:func:`taylor_steps`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import FirstOrderError
from ..numbers import DEFAULT_DPS, Array, Context

__all__ = ["COMPLEX_STEP", "complex_steps", "default_steps", "taylor_steps", "user_steps"]

#: Relative step of the complex step.
COMPLEX_STEP = 1e-20


def _scale(v: Array, ctx: Context) -> Array:
    if ctx.name == "mp":
        one = ctx.const(1)
        return np.array([max(one, abs(t)) for t in v], dtype=object)
    return np.maximum(1.0, np.abs(np.asarray(v, dtype=np.float64)))


def default_steps(v: Array, order: int, ctx: Context) -> Array:
    """``h_j = eps^(1/(order+1)) · max(1, |v_j|)`` in the context ``ctx``.

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


def taylor_steps(
    point: Array, precision: str, dps: int | None = None, length: float | None = None
) -> Array:
    """The Taylor test's default geometric step sequence (ratio 2) for a point and precision.

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
