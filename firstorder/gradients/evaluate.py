"""The batched evaluator every stepped backend shares: the cost along coordinate axes.

All perturbed points ``v + s·h_j e_j`` of one request go through ``case.cost`` in
batched calls, built a chunk of components at a time so that one chunk stays within a
memory budget at any ``n``: a full ``n × n`` array is never formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context

__all__ = ["CACHE_CHUNK_BYTES", "MIN_CHUNK_POINTS", "axis_values", "rows_per_chunk"]

#: Within the memory budget, chunks aim at this size, which stays in cache ...
CACHE_CHUNK_BYTES = 1 << 18
#: ... unless that leaves fewer points than this per cost call, whose fixed overhead
#: then dominates. Measured on extended Rosenbrock (2 cores, shared): at n = 1000,
#: 32-point chunks (256 KiB) beat 262-point ones (2 MiB) by 1.5×; at n = 10 000,
#: 26-point chunks (2 MiB) beat 3-point ones (256 KiB) by 1.5×.
MIN_CHUNK_POINTS = 32


def rows_per_chunk(chunk_bytes: int, points_per_row: int, n: int, itemsize: int) -> int:
    """Components per chunk: cache-sized, at least 32 points, never over ``chunk_bytes``."""
    row = max(1, points_per_row * n * itemsize)
    target = max(CACHE_CHUNK_BYTES // row, MIN_CHUNK_POINTS // points_per_row)
    return max(1, min(chunk_bytes // row, target))


def axis_values(
    c: Case,
    x: Array,
    h: Array,
    shifts: Sequence[Any] | Array,
    ctx: Context,
    chunk_bytes: int,
    idx: Array | None = None,
) -> Array:
    """``C(x + s_i·h_j e_j)`` for every shift ``s_i`` and component ``j``: shape ``(k, m)``.

    Parameters
    ----------
    c, x, ctx
        The case, the point (a ``ctx`` array of shape ``(n,)``) and the context.
    h
        Steps, one per component of ``idx`` (shape ``(m,)``).
    shifts
        The offsets in units of the step (numbers of ``ctx``).
    chunk_bytes
        Memory budget of one batched chunk.
    idx
        The components to perturb (default all ``n``; ``h`` then has shape ``(n,)``).
    """
    n = x.shape[0]
    cols = np.arange(n) if idx is None else np.asarray(idx)
    m, k = len(cols), len(shifts)
    itemsize = 64 if ctx.dtype == object else ctx.dtype.itemsize
    rows = rows_per_chunk(chunk_bytes, k, n, itemsize)
    numeric = ctx.dtype != object
    s = np.asarray(shifts, dtype=ctx.dtype)[:, None] if numeric else None
    if s is not None and rows >= m:
        # one chunk (small n): no output buffer to copy into
        pts = np.empty((k, m, n), dtype=ctx.dtype)
        pts[...] = x
        if idx is None:
            # every component: the diagonal of each shift's (n, n) block
            pts.reshape(k, n * n)[:, :: n + 1] = x + s * h
        else:
            pts[:, np.arange(m), cols] = x[cols] + s * h
        f = c.cost(pts.reshape(-1, n), ctx).reshape(k, m)
        return f.astype(ctx.dtype, copy=False)
    out = np.empty((k, m), dtype=ctx.dtype)
    for a in range(0, m, rows):
        b = min(m, a + rows)
        pts = np.empty((k, b - a, n), dtype=ctx.dtype)
        pts[...] = x
        r = np.arange(b - a)
        if s is not None:
            # every shift of the chunk in one assignment (the same sums as one by one)
            pts[:, r, cols[a:b]] = x[cols[a:b]] + s * h[a:b]
        else:
            for i, si in enumerate(shifts):
                pts[i, r, cols[a:b]] = x[cols[a:b]] + si * h[a:b]
        out[:, a:b] = c.cost(pts.reshape(-1, n), ctx).reshape(k, b - a)
    return out
