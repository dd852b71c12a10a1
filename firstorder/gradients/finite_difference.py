"""Finite differences: Fornberg stencils of any order, and Richardson extrapolation.

Each scheme is one small function over the same batched evaluator, :func:`_fd_values`:
all perturbed points of one gradient go through ``case.cost`` in batched calls, built
a chunk of components at a time so that one chunk stays within a memory budget at
any ``n`` (a full ``n × n`` array is never formed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context, context
from .result import GradientResult, Job
from .stencils import STENCILS, stencil_weights
from .steps import rule_steps, user_steps

__all__ = [
    "CACHE_CHUNK_BYTES",
    "MIN_CHUNK_POINTS",
    "RICHARDSON_LEVELS",
    "RICHARDSON_RATIO",
    "rows_per_chunk",
    "run_fd",
    "run_richardson",
]

#: Within the memory budget, chunks aim at this size, which stays in cache ...
CACHE_CHUNK_BYTES = 1 << 18
#: ... unless that leaves fewer points than this per cost call, whose fixed overhead
#: then dominates. Measured on extended Rosenbrock (2 cores, shared): at n = 1000,
#: 32-point chunks (256 KiB) beat 262-point ones (2 MiB) by 1.5×; at n = 10 000,
#: 26-point chunks (2 MiB) beat 3-point ones (256 KiB) by 1.5×.
MIN_CHUNK_POINTS = 32
#: Richardson: levels of the step ladder and the ratio between steps.
RICHARDSON_LEVELS = 3
RICHARDSON_RATIO = 2


def rows_per_chunk(chunk_bytes: int, points_per_row: int, n: int, itemsize: int) -> int:
    """Components per chunk: cache-sized, at least 32 points, never over ``chunk_bytes``."""
    row = max(1, points_per_row * n * itemsize)
    target = max(CACHE_CHUNK_BYTES // row, MIN_CHUNK_POINTS // points_per_row)
    return max(1, min(chunk_bytes // row, target))


def _weight(w: Fraction, ctx: Context) -> Any:
    if ctx.name == "mp":
        return ctx.const(w.numerator) / w.denominator
    return ctx.dtype.type(w.numerator / w.denominator)


@functools.lru_cache(maxsize=64)
def _stencil(name: str, ctx: Context) -> tuple[list[Any], list[tuple[int, Any]], list[Any]]:
    """Centre weight (if any), ``(offset, weight)`` pairs and offsets, in ``ctx``."""
    offsets, weights, _ = stencil_weights(name)
    pairs = list(zip(offsets, weights, strict=True))
    centre = [_weight(w, ctx) for s, w in pairs if s == 0 and w != 0]
    stencil = [(s, _weight(w, ctx)) for s, w in pairs if s != 0]
    shifts = [ctx.const(s) if ctx.name == "mp" else ctx.dtype.type(s) for s, _ in stencil]
    return centre, stencil, shifts


def _fd_values(
    c: Case,
    x: Array,
    h: Array,
    name: str,
    ctx: Context,
    chunk_bytes: int,
    sizes: Array | None = None,
) -> tuple[Array, int]:
    """Stencil ``name`` at point ``x`` (ctx array) with steps ``h``; values and nfev.

    When ``sizes`` is given, it receives per component the largest ``|C|`` met, which
    sets the round-off of the difference.
    """
    centre, stencil, shifts = _stencil(name, ctx)
    n = x.shape[0]
    k = len(stencil)
    nfev = k * n
    f0 = None
    if centre:
        f0 = c.cost(x[None], ctx)[0]
        nfev += 1
    itemsize = 64 if ctx.dtype == object else ctx.dtype.itemsize
    m = rows_per_chunk(chunk_bytes, k, n, itemsize)
    out = np.empty(n, dtype=ctx.dtype)
    for a in range(0, n, m):
        b = min(n, a + m)
        pts = np.empty((k, b - a, n), dtype=ctx.dtype)
        pts[...] = x
        diag = slice(a, None, n + 1)  # entry j of row j - a in a (b - a, n) block
        for i, s in enumerate(shifts):
            pts[i].reshape(-1)[diag] = x[a:b] + s * h[a:b]
        f = c.cost(pts.reshape(-1, n), ctx).reshape(k, b - a)
        acc = centre[0] * f0 if centre else None
        for i, (_, w) in enumerate(stencil):
            acc = w * f[i] if acc is None else acc + w * f[i]
        out[a:b] = acc / h[a:b]
        if sizes is not None:
            sizes[a:b] = np.max(np.abs(f), axis=0)
    return out, nfev


def _point_and_steps(job: Job, order: int) -> tuple[Context, Array, Array]:
    ctx = context(job.precision, job.dps)
    x = ctx.asarray(job.point)
    n = x.shape[0]
    h = rule_steps(x, order, ctx) if job.step is None else user_steps(job.step, n, ctx)
    if ctx.name != "mp":
        h = np.asarray(h, dtype=ctx.dtype)
        # Use the representable step (x + h) - x, where it is not lost altogether.
        actual = (x + h) - x
        h = np.where(actual != 0, actual, h).astype(ctx.dtype)
    return ctx, x, h


def run_fd(name: str) -> Callable[[Job], GradientResult]:
    def run(job: Job) -> GradientResult:
        order = STENCILS[name][1]
        ctx, x, h = _point_and_steps(job, order)
        values, nfev = _fd_values(job.case, x, h, name, ctx, job.chunk_bytes)
        return GradientResult(
            values=values,
            nfev=nfev,
            steps=h,
            backend=name,
            precision=job.precision,
            dps=ctx.dps,
        )

    return run


def run_richardson(job: Job) -> GradientResult:
    ctx, x, h0 = _point_and_steps(job, 2 * RICHARDSON_LEVELS)
    r = RICHARDSON_RATIO
    table: list[list[Array]] = []
    nfev = 0
    sizes = np.empty(x.shape[0], dtype=ctx.dtype)
    for level in range(RICHARDSON_LEVELS):
        h = h0 / r**level
        d, used = _fd_values(job.case, x, h, "central", ctx, job.chunk_bytes, sizes)
        nfev += used
        row = [d]
        for k in range(1, level + 1):
            factor = r ** (2 * k) - 1
            row.append(row[k - 1] + (row[k - 1] - table[level - 1][k - 1]) / factor)
        table.append(row)
    best = table[-1][-1]
    # Truncation: the last extrapolation's change; round-off: eps·|C| / h at the
    # smallest step, amplified about twofold by the extrapolation weights.
    h_min = h0 / r ** (RICHARDSON_LEVELS - 1)
    estimate = np.abs(best - table[-1][-2]) + 2 * ctx.eps * np.abs(sizes) / h_min
    return GradientResult(
        values=best,
        nfev=nfev,
        steps=h0,
        backend="richardson",
        precision=job.precision,
        dps=ctx.dps,
        error_estimate=estimate,
    )
