"""Arbitrary-precision derivatives: the truth the rest of the suite measures against.

The derivative of ``t -> C(v + t d)`` at 0 is taken by a central difference in an mp
context of ``3·dps + 10`` digits with the step ``h = 10^-dps · max(1, |v|)``: the
truncation error ``h² |C'''| / 6`` and the round-off ``10^-(3 dps) / h`` are both
near ``10^-(2 dps)``, far below the ``dps`` digits returned. All points go through
the cost in batched calls (``chunk`` directions at a time).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..case.model import Case
from ..errors import FirstOrderError, NotApplicableError
from ..numbers import DEFAULT_DPS, Array, Context, context
from .crosscheck import disagreement
from .result import GradientResult, Job, not_applicable

__all__ = [
    "directional_derivative",
    "reference_directional",
    "reference_gradient",
    "run_reference",
    "working_dps",
]


def working_dps(dps: int) -> int:
    """Digits carried while differencing for a result good to ``dps`` digits."""
    return 3 * dps + 10


def directional_derivative(
    fn: Callable[[Array, Context], Any],
    v: Any,
    directions: Any,
    dps: int = DEFAULT_DPS,
    chunk: int = 32,
    name: str = "cost",
) -> Array:
    """Derivatives ``d/dt fn(v + t d)`` at ``t = 0`` for each row ``d``, in mp.

    Parameters
    ----------
    fn
        ``fn(points, ctx)`` mapping a batch ``(k, n)`` to ``(k, ...)``: a case's cost,
        gradient or anything batched.
    v
        The point, shape ``(n,)`` (floats, strings or mpf).
    directions
        Shape ``(k, n)`` or ``(n,)``.
    dps
        Digits of the result.
    chunk
        Directions evaluated per batched call.
    name
        What ``fn`` is, for error messages.

    Returns
    -------
    numpy.ndarray
        Object array of ``mpf`` at ``dps`` digits, shape ``(k, ...)`` (``(...)`` for a
        single direction).

    Raises
    ------
    NotApplicableError
        When ``fn`` fails in the mp context, naming what was missing.
    """
    work = context("mp", working_dps(dps))
    out_ctx = context("mp", dps)
    x = work.asarray(v)
    d = work.asarray(directions)
    single = d.ndim == 1
    d = d.reshape(-1, x.shape[-1])
    h = work.const(10) ** (-dps) * max(1, max(abs(t) for t in x))
    results = []
    for start in range(0, d.shape[0], chunk):
        dd = d[start : start + chunk]
        pts = np.concatenate([x + h * dd, x - h * dd])
        try:
            vals = np.asarray(fn(pts, work), dtype=object)
        except (AttributeError, TypeError) as exc:
            raise NotApplicableError(
                f"the {name} fails in the mp context ({type(exc).__name__}: {exc}); "
                "write it with `ctx` functions instead of numpy ones."
            ) from exc
        k = dd.shape[0]
        results.append((vals[:k] - vals[k:]) / (2 * h))
    if not results:
        return out_ctx.asarray(np.zeros(0))
    out = out_ctx.asarray(np.concatenate(results))
    return out[0] if single else out


def reference_directional(
    c: Case, v: Any, directions: Any, dps: int = DEFAULT_DPS, chunk: int = 32
) -> Array:
    """Directional derivatives ``∇C(v)·d`` of a case's cost, in mp.

    See :func:`directional_derivative`; this is it applied to ``c.cost``.
    """
    return directional_derivative(c.cost, v, directions, dps, chunk, f"cost of case `{c.name}`")


def reference_gradient(c: Case, v: Any, dps: int = DEFAULT_DPS, chunk: int = 32) -> Array:
    """The gradient of ``c`` at ``v`` in mp, good to about ``dps`` digits.

    Parameters
    ----------
    c
        The case.
    v
        The point, shape ``(n,)``.
    dps
        Digits of the result.
    chunk
        Components evaluated per batched call.

    Returns
    -------
    numpy.ndarray
        Object array of ``mpf`` at ``dps`` digits, shape ``(n,)``.
    """
    x = np.asarray(v, dtype=object)
    if x.ndim != 1:
        raise FirstOrderError(f"the point for `reference_gradient` must be 1-D, not {x.shape}.")
    n = x.shape[0]
    eye = np.eye(n, dtype=int)
    parts = [
        reference_directional(c, x, eye[s : s + chunk], dps, chunk) for s in range(0, n, chunk)
    ]
    return np.concatenate(parts) if parts else context("mp", dps).asarray(np.zeros(0))


def _mp_reason(c: Case, exc: Exception) -> str:
    """One sentence naming the function that failed in mp, when it can be told."""
    cause = exc.__cause__ or exc
    m = re.search(r"no callable (\w+) method", str(cause))
    if m:
        fn = m.group(1)
        return (
            f"the cost of case `{c.name}` calls numpy's `{fn}`, which has no mp version; "
            f"write it as `ctx.{fn}`."
        )
    return str(exc)


def run_reference(job: Job) -> GradientResult:
    """The ``reference`` backend: the mp gradient, refused where the cost loses mp digits."""
    n = len(job.point)
    try:
        values = reference_gradient(job.case, job.point, dps=job.dps)
    except NotApplicableError as exc:
        return not_applicable("reference", n, "mp", _mp_reason(job.case, exc), job.dps)
    x = np.asarray(job.point, dtype=np.float64)
    why = disagreement(job.case, x, np.asarray(values, dtype=np.float64))
    if why:
        return not_applicable(
            "reference",
            n,
            "mp",
            f"the cost of case `{job.case.name}` loses mp precision (e.g. `float()`, "
            f"`.astype(float)` or a numpy function instead of `ctx`): {why}.",
            job.dps,
        )
    return GradientResult(
        values=values, nfev=2 * n, steps=None, backend="reference", precision="mp", dps=job.dps
    )
