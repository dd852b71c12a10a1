"""Automatic differentiation of a case's own cost code, through the ``jax`` context.

A case is written once against ``ctx``; run with :func:`firstorder.context` ``("jax")``
its cost traces under JAX, so the same code gives

* ``autodiff``: reverse mode, ``jax.grad``, one forward and one reverse sweep
  whatever ``n``;
* ``autodiff-fwd``: forward mode, ``jax.jvp`` batched over the basis directions by
  ``jax.vmap``, a block of directions at a time within the memory budget: ``n``
  tangent sweeps;
* :func:`hessian_vector`: ``H(v) d`` by forward-over-reverse, ``jvp`` of ``grad``,
  for the second-order check of cases that carry no Hessian
  (:func:`with_autodiff_hessian`).

Every function is jit-compiled once per case and cached (weakly, by case); JAX's jit
caches the compiled code per shape. All of it runs inside :func:`~firstorder.numbers_jax.x64`,
so float64 is on for firstorder's calls only.

A cost that does not trace (numpy functions or in-place assignment on traced arrays,
Python branches on traced values, ``float()``) is refused with the operation and its
``file:line``; a refused case never yields a number.
"""

from __future__ import annotations

import os
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context
from ..numbers_jax import EXTRA_HINT, available, jax_context, x64

if TYPE_CHECKING:
    from .backends import GradientResult

__all__ = [
    "AutodiffError",
    "Timing",
    "autodiff_gradient",
    "available",
    "hessian_vector",
    "run_forward",
    "run_reverse",
    "time_gradient",
    "trace_problem",
    "with_autodiff_hessian",
]

_KINDS = ("autodiff", "autodiff-fwd", "hvp")
#: Compiled functions per case: {kind: jitted function}.
_COMPILED: weakref.WeakKeyDictionary[Case, dict[str, Callable[..., Any]]] = (
    weakref.WeakKeyDictionary()
)
#: Why a case does not trace, once found.
_REFUSED: weakref.WeakKeyDictionary[Case, str] = weakref.WeakKeyDictionary()


class AutodiffError(Exception):
    """A cost that does not trace under JAX; the message is the one-sentence reason."""


# -- tracing ------------------------------------------------------------------------------
def _scalar_cost(c: Case) -> Callable[[Any], Any]:
    """``x (n,) -> C(x)`` as a traceable scalar function of the case's cost code."""
    import jax.numpy as jnp

    ctx = jax_context()
    fn = c.cost_fn
    if c.batched:
        # A batched cost takes (..., n): one point travels as a batch of one.
        return lambda x: jnp.reshape(fn(x[None], ctx), ())
    return lambda x: jnp.reshape(fn(x, ctx), ())


def _forward_block(f: Callable[[Any], Any], n: int, m: int) -> Callable[..., Any]:
    """``(x, a) -> [∂C/∂x_a, …, ∂C/∂x_(a+m-1)]``: m jvps along basis vectors, vmapped.

    The block of basis vectors is built inside the compiled function from its offset,
    so the last, partial block reuses the same code (its rows past n are zero).
    """
    import jax
    import jax.numpy as jnp

    def block(x: Any, a: Any) -> Any:
        basis = (jnp.arange(m)[:, None] + a == jnp.arange(n)[None, :]).astype(x.dtype)
        return jax.vmap(lambda e: jax.jvp(f, (x,), (e,))[1])(basis)

    return block


def _compiled(c: Case, kind: str, n: int = 0, m: int = 0) -> Callable[..., Any]:
    import jax

    table = _COMPILED.setdefault(c, {})
    key = kind if kind != "autodiff-fwd" else f"{kind}:{n}:{m}"
    if key not in table:
        f = _scalar_cost(c)
        if kind == "autodiff":
            table[key] = jax.jit(jax.grad(f))
        elif kind == "hvp":
            table[key] = jax.jit(lambda x, d: jax.jvp(jax.grad(f), (x,), (d,))[1])
        else:
            table[key] = jax.jit(_forward_block(f, n, m))
    return table[key]


_WHAT = {
    "TracerArrayConversionError": "a numpy function (or `np.asarray`) applied to a traced array",
    "TracerBoolConversionError": "a Python branch (`if`, `and`, `max`) on a traced value",
    "ConcretizationTypeError": "a traced value turned into a Python number (`float()`, `int()`)",
    "TracerIntegerConversionError": "a traced value used as a Python integer",
    "NonConcreteBooleanIndexError": "boolean-mask indexing with a traced mask",
}


def _where(exc: BaseException) -> str:
    """``file:line (`code`)`` of the innermost frame in the case's own code."""
    import jax

    skip = [
        os.path.dirname(jax.__file__),
        os.path.dirname(np.__file__),
        os.path.dirname(os.path.dirname(__file__)),  # firstorder itself ...
    ]
    keep = os.path.join(os.path.dirname(os.path.dirname(__file__)), "_cases")  # ... but its cases
    frames = traceback.extract_tb(exc.__traceback__)
    for fr in reversed(frames):
        path = os.path.abspath(fr.filename)
        if path.startswith(keep) or not any(path.startswith(s) for s in skip):
            code = f" (`{fr.line.strip()}`)" if fr.line else ""
            return f"{os.path.basename(path)}:{fr.lineno}{code}"
    return ""


def _describe(c: Case, exc: BaseException) -> str:
    name = type(exc).__name__
    msg = str(exc)
    if name in _WHAT:
        what = _WHAT[name]
    elif isinstance(exc, TypeError) and ("immutable" in msg or "item assignment" in msg):
        what = "in-place assignment into a traced array (`a[i] = …`)"
    else:
        what = f"{name}: {msg.strip().splitlines()[0] if msg.strip() else name}"
    where = _where(exc)
    at = f" at {where}" if where else ""
    return f"the cost of case `{c.name}` does not trace under JAX: {what}{at}."


def _call(c: Case, kind: str, *args: Any, **shape: int) -> Any:
    """Run a compiled function of the case, turning a failed trace into AutodiffError."""
    if c in _REFUSED:
        raise AutodiffError(_REFUSED[c])
    fn = _compiled(c, kind, **shape)
    try:
        return fn(*args)
    except Exception as exc:
        # Any failure to trace is a refusal with its reason, never a number.
        reason = _describe(c, exc)
        _REFUSED[c] = reason
        raise AutodiffError(reason) from exc


def trace_problem(c: Case) -> str:
    """Why the case's cost does not trace under JAX, or ``""`` when it does.

    Traces the reverse-mode gradient at ``x0`` (compiling it, once per case).
    """
    if not available():
        return f"JAX is not installed; {EXTRA_HINT}."
    try:
        autodiff_gradient(c, c.point())
    except AutodiffError as exc:
        return str(exc)
    return ""


# -- public computations ------------------------------------------------------------------
def autodiff_gradient(
    c: Case, point: Any, mode: str = "reverse", chunk_bytes: int = 1 << 21
) -> Array:
    """The gradient of ``c`` at ``point`` by JAX, as a float64 array of shape ``(n,)``.

    Parameters
    ----------
    c
        The case; its cost code is traced through the ``jax`` context.
    point
        Shape ``(n,)``.
    mode
        ``"reverse"`` (``jax.grad``) or ``"forward"`` (``jvp`` over the basis, in
        blocks of at most ``chunk_bytes`` of tangents).
    chunk_bytes
        Memory budget of one block of basis directions (forward mode).

    Raises
    ------
    AutodiffError
        When the cost does not trace; the message names the operation and its line.
    """
    import jax.numpy as jnp

    x64_point = np.asarray(point, dtype=np.float64)
    n = x64_point.shape[0]
    with x64():
        x = jnp.asarray(x64_point)
        if mode == "reverse":
            return np.asarray(_call(c, "autodiff", x), dtype=np.float64)
        m = max(1, min(n, chunk_bytes // (8 * n)))
        parts = [_call(c, "autodiff-fwd", x, a, n=n, m=m) for a in range(0, n, m)]
        return np.asarray(jnp.concatenate(parts)[:n], dtype=np.float64)


def hessian_vector(c: Case, point: Any, direction: Any) -> Array:
    """``H(v) d`` by forward-over-reverse (``jvp`` of ``jax.grad``), float64 ``(n,)``.

    Raises
    ------
    AutodiffError
        When the cost does not trace.
    """
    import jax.numpy as jnp

    with x64():
        x = jnp.asarray(np.asarray(point, dtype=np.float64))
        d = jnp.asarray(np.asarray(direction, dtype=np.float64))
        return np.asarray(_call(c, "hvp", x, d), dtype=np.float64)


def with_autodiff_hessian(c: Case) -> Case:
    """The case with a Hessian-vector product from JAX when it has no Hessian of its own.

    The Taylor harness then checks r2 = |C(v+hd) − C(v) − h∇C·d − h²/2 dᵀHd| = O(h³)
    with ``dᵀHd`` from :func:`hessian_vector`. The product is computed in float64 and
    converted to the test's context, so in ``mp`` r2 is floored at float64 round-off
    of ``h² dᵀHd``. A case that has a Hessian, or whose cost does not trace, is
    returned unchanged.
    """
    if c.has_hessian or not available() or trace_problem(c):
        return c

    def hvp(v: Array, d: Array, ctx: Context) -> Any:
        vf, df = ctx.to_float(v), ctx.to_float(d)
        batch = vf.reshape(-1, vf.shape[-1])
        dirs = np.broadcast_to(df, vf.shape).reshape(batch.shape)
        out = np.stack([hessian_vector(c, p, q) for p, q in zip(batch, dirs, strict=True)])
        return ctx.asarray(out.reshape(vf.shape))

    return replace(c, hvp_fn=hvp)


# -- backends -----------------------------------------------------------------------------
def _result(
    name: str, job: Any, values: Array | None, nfev: int, reason: str = ""
) -> GradientResult:
    from .backends import GradientResult

    n = len(job.point)
    if values is None:
        return GradientResult(
            values=np.full(n, np.nan),
            nfev=0,
            steps=None,
            backend=name,
            precision=job.precision,
            status="not-applicable",
            reason=reason,
        )
    return GradientResult(values=values, nfev=nfev, steps=None, backend=name, precision="float64")


def _run(name: str, mode: str, job: Any) -> GradientResult:
    if job.precision != "float64":
        return _result(
            name,
            job,
            None,
            0,
            f"backend `{name}` computes in float64 (JAX), not `{job.precision}`.",
        )
    n = len(job.point)
    try:
        g = autodiff_gradient(job.case, job.point, mode, job.chunk_bytes)
    except AutodiffError as exc:
        return _result(name, job, None, 0, str(exc))
    # nfev counts cost evaluations: reverse mode evaluates the cost once (its reverse
    # sweep costs a small multiple of that), forward mode carries n tangents.
    return _result(name, job, g, 1 if mode == "reverse" else n)


def run_reverse(job: Any) -> GradientResult:
    """The ``autodiff`` backend: ``jax.grad`` of the case's cost (a backends ``_Job``)."""
    return _run("autodiff", "reverse", job)


def run_forward(job: Any) -> GradientResult:
    """The ``autodiff-fwd`` backend: ``jvp`` along every basis direction."""
    return _run("autodiff-fwd", "forward", job)


# -- timing (bench) -----------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    """Compile time apart from steady state, for the bench.

    Attributes
    ----------
    compile_s : float
        The first call at this shape: tracing, compiling and one run.
    steady_s : float
        The best of ``repeat`` later calls.
    """

    compile_s: float
    steady_s: float


def time_gradient(c: Case, point: Any, mode: str = "reverse", repeat: int = 5) -> Timing:
    """Time the first (compiling) call and the steady state of an autodiff gradient.

    The case is copied, so that the first call meets an empty compile cache whatever
    ran before. Raises :class:`AutodiffError` when the cost does not trace.
    """
    fresh = replace(c)
    t0 = time.perf_counter()
    autodiff_gradient(fresh, point, mode)
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        autodiff_gradient(fresh, point, mode)
        best = min(best, time.perf_counter() - t0)
    return Timing(compile_s, best)
