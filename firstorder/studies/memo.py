"""A case whose cost and Hessian remember the points they were evaluated at.

Mutation testing runs the same Taylor tests on a dozen faulty gradients of one case:
the random direction, the step ladder and the bisection blocks of the component
search are the same for every mutant aimed at the same component, so most cost
evaluations repeat exactly (in mp they are most of the time). Only the gradient
differs between mutants; the cost, and the Hessian at the point, do not.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from ..case.model import Case
from ..numbers import Array

__all__ = ["memoised"]


#: Rows of numbers of up to this many bytes are their own key (no digest to compute).
RAW_KEY_BYTES = 256


def _row_key(row: Array) -> bytes:
    if row.dtype != object and row.nbytes <= RAW_KEY_BYTES:
        return np.ascontiguousarray(row).tobytes()
    # a digest, not the row: a 1410-parameter network's rows would take 11 kB each
    if row.dtype == object:
        # mpf values are immutable; ``_mpf_`` is their exact binary value
        data = repr([getattr(x, "_mpf_", x) for x in row]).encode()
    else:
        data = row.dtype.str.encode() + row.tobytes()
    return hashlib.blake2b(data, digest_size=20).digest()


def _row_keys(v: Array) -> list[bytes]:
    """``_row_key`` of every row of ``v``, at once where the rows are their own keys
    (rows of numbers, ``v`` a plain batch of points)."""
    width = v.shape[-1] * v.dtype.itemsize
    if v.dtype == object or v.ndim != 2 or width > RAW_KEY_BYTES or width == 0:
        return [_row_key(r) for r in v]
    rows = np.ascontiguousarray(v).view(np.dtype((np.void, width))).reshape(len(v))
    return [bytes(r) for r in rows.tolist()]


class _Memo:
    """``fn(v, *extra, ctx)`` evaluated once per distinct row of ``v`` (and ``extra``).

    A batch is looked up row by row and the missing rows are evaluated in one call of
    ``fn``, so a batched cost stays batched. Values are exact copies of what ``fn``
    returned for that row in that context, so results do not change.
    """

    def __init__(self, fn: Callable[..., Any], batched: bool) -> None:
        self.fn = fn
        self.batched = batched
        self.cache: dict[Hashable, Any] = {}

    def __call__(self, v: Array, *rest: Any) -> Any:
        *extra, cx = rest
        ctx_key = (cx.name, cx.dps)
        if not self.batched or v.ndim == 1:
            key = (ctx_key, _row_key(v), *(_row_key(e) for e in extra))
            if key not in self.cache:
                self.cache[key] = self.fn(v, *extra, cx)
            return self.cache[key]
        if len(v) == 0:
            return self.fn(v, *extra, cx)
        keys = list(
            zip([ctx_key] * len(v), _row_keys(v), *(_row_keys(e) for e in extra), strict=True)
        )
        todo = {k: i for i, k in enumerate(keys) if k not in self.cache}
        if todo:
            idx = np.fromiter(todo.values(), dtype=np.intp, count=len(todo))
            out = np.asarray(self.fn(v[idx], *(e[idx] for e in extra), cx))
            self.cache.update(zip(todo, out, strict=True))
        return np.array([self.cache[k] for k in keys])


def memoised(c: Case) -> Case:
    """The case with its cost, Hessian and Hessian-vector product memoised.

    Parameters
    ----------
    c
        Any case.

    Returns
    -------
    Case
        The same case (same name and gradient) whose evaluations are remembered for
        the life of the returned object.
    """
    changes: dict[str, Any] = {"cost_fn": _Memo(c.cost_fn, c.batched)}
    if c.hess_fn is not None:
        changes["hess_fn"] = _Memo(c.hess_fn, c.batched)
    if c.hvp_fn is not None:
        changes["hvp_fn"] = _Memo(c.hvp_fn, c.batched)
    return dataclasses.replace(c, **changes)
