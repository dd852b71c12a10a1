"""Helpers that case files share: data per context, small matrices, index vectors.

Case files import them (``from firstorder.case.helpers import matrix``); a user's
case file may too. Each works in every context — float64, float32, the complex step,
mp and jax — because it builds on ``ctx`` functions and plain indexing. The constant
entries of a Hessian use :meth:`firstorder.Context.broadcast` (``ctx.broadcast(1, x)``
for the old ``1 + 0 * x``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "column",
    "converted",
    "diag",
    "hessian_from_hvp",
    "integers",
    "matrix",
    "powell_blocks",
    "swap_last",
    "symmetric2",
]


def converted(store: dict[Any, tuple[Any, ...]], arrays: tuple[np.ndarray, ...], ctx: Any) -> Any:
    """The float64 data ``arrays`` in the context ``ctx``, converted once per context.

    ``store`` is the case file's own dict; the conversion is exact (a float64 number
    is a number of every context), so each context evaluates the same function.
    """
    if ctx not in store:
        store[ctx] = tuple(ctx.asarray(a) for a in arrays)
    return store[ctx]


def matrix(ctx: Any, rows: Sequence[Sequence[Any]]) -> Any:
    """A ``(..., m, n)`` array from a nested list of ``(...)``-shaped entries (or numbers)."""
    return ctx.stack([ctx.stack(list(row)) for row in rows], axis=-2)


def symmetric2(h11: Any, h12: Any, h22: Any, ctx: Any) -> Any:
    """A symmetric 2×2 Hessian ``(..., 2, 2)`` from its three entries (broadcast)."""
    return ctx.stack([ctx.stack([h11, h12]), ctx.stack([h12, h22])], axis=-2)


def diag(ctx: Any, d: Any) -> Any:
    """``(..., n) -> (..., n, n)`` diagonal matrices."""
    n = d.shape[-1]
    return ctx.where(np.eye(n, dtype=bool), d[..., None, :], ctx.zeros(1)[0])


def integers(ctx: Any, lo: int, hi: int) -> Any:
    """``lo, lo+1, …, hi`` as exact numbers of the context (float64 when ``ctx`` is None)."""
    out = np.arange(lo, hi + 1, dtype=np.float64)
    return out if ctx is None else ctx.asarray(out)


def column(s: Any) -> Any:
    """A reduction over the last axis as a column, so that it broadcasts back over it."""
    # np.asarray only where needed: an mp reduction may come back as a bare mpf, while
    # a traced (jax) array must not go through numpy.
    return s[..., None] if getattr(s, "ndim", 0) else np.asarray(s)[..., None]


def swap_last(a: Any) -> Any:
    """The transpose of the last two axes (a batch of matrices)."""
    return a.swapaxes(-1, -2) if hasattr(a, "swapaxes") else np.swapaxes(a, -1, -2)


def powell_blocks(v: Any) -> tuple[Any, Any, Any, Any]:
    """The four interleaved blocks ``v[..., k::4]`` of Powell's singular function."""
    return v[..., 0::4], v[..., 1::4], v[..., 2::4], v[..., 3::4]


def hessian_from_hvp(hvp: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """The Hessian ``(..., n, n)`` as the Hessian-vector product of the identity.

    Row j is H e_j, which is column j and, H being symmetric, row j.
    """

    def hess(v: Any, ctx: Any) -> Any:
        n = v.shape[-1]
        vb = np.broadcast_to(v[..., None, :], (*v.shape[:-1], n, n))
        return hvp(vb, ctx.asarray(np.eye(n)), ctx)

    return hess
