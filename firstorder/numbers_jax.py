"""The ``jax`` number context: the same ``ctx`` functions, backed by ``jax.numpy``.

A case written against ``ctx`` then traces under ``jax.grad``, ``jax.jvp`` and
``jax.jit`` unchanged. The context computes in float64, which JAX switches off by
default; firstorder switches it on only inside its own calls, through
:func:`x64`, which wraps JAX's scoped ``jax.enable_x64(True)`` context manager
(JAX ≥ 0.7; the older ``jax.experimental.enable_x64`` is gone). That manager sets a
thread-local value: the user's own JAX code, before, after and in other threads,
never sees a changed ``jax_enable_x64``.

This module imports JAX; :func:`firstorder.numbers.context` imports it only when
``context("jax")`` is asked for, so firstorder runs without the ``autodiff`` extra.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import math
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .errors import FirstOrderError
from .numbers import _UNARY, Context

__all__ = ["EXTRA_HINT", "JaxContext", "available", "jax_context", "user_scope", "x64"]

#: How to get JAX, for messages when it is missing.
EXTRA_HINT = "install the `autodiff` extra: pip install 'firstorder[autodiff]'"


def available() -> bool:
    """Whether JAX can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("jax") is not None
    except (ImportError, ValueError):
        return False


def _jax() -> Any:
    try:
        import jax
    except ImportError:
        raise FirstOrderError(f"the `jax` context needs JAX; {EXTRA_HINT}.") from None
    return jax


@contextlib.contextmanager
def x64() -> Iterator[None]:
    """Run the block with JAX's float64 switched on, for this thread only.

    The setting before the block is restored after it, also when it raises.
    """
    jax = _jax()
    with jax.enable_x64(True):
        yield


def user_scope() -> contextlib.AbstractContextManager[None]:
    """:func:`x64` when the user's process has imported JAX, else nothing.

    Wraps a check of a user's own functions: a JAX cost, its ``jax.grad`` or a
    ``custom_vjp`` rule then run in float64 during the check (JAX's float32 default
    would read as a wrong gradient), and JAX is never imported on its own account.
    """
    return x64() if "jax" in sys.modules else contextlib.nullcontext()


class JaxContext(Context):
    """float64 through ``jax.numpy``: traceable by ``jax.grad``, ``jvp`` and ``jit``.

    Build arrays of this context inside :func:`x64`; outside it JAX would silently
    make them float32.
    """

    def __init__(self) -> None:
        jax = _jax()
        import jax.numpy as jnp

        self._jax = jax
        self._jnp = jnp
        self.name = "jax"
        self.dps = None
        self.dtype = np.dtype(np.float64)
        self.eps = float(np.finfo(np.float64).eps)
        self.digits = -math.log10(self.eps)
        self.pi = np.float64(np.pi)
        self.e = np.float64(np.e)
        for fn in _UNARY:
            setattr(self, fn, getattr(jnp, fn))

    def __reduce__(self) -> tuple[Any, ...]:
        return (jax_context, ())

    def asarray(self, x: Any) -> Any:
        if isinstance(x, self._jax.core.Tracer):
            return self._jnp.asarray(x, dtype=self._jnp.float64)
        # Data converted while a cost is traced stays a concrete array: a case may cache
        # it per context (the neural cases do), and a cached tracer would leak.
        with self._jax.ensure_compile_time_eval():
            return self._jnp.asarray(x, dtype=self._jnp.float64)

    def const(self, x: float | int | str) -> Any:
        return np.float64(x)

    def to_float(self, x: Any) -> Any:
        return np.asarray(np.real(np.asarray(x)), dtype=np.float64)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self._jnp.where(cond, a, b)

    def sum(self, x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
        return self._jnp.sum(x, axis=axis)

    def prod(self, x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
        return self._jnp.prod(x, axis=axis)

    def matmul(self, a: Any, b: Any) -> Any:
        return self._jnp.matmul(a, b)

    def stack(self, xs: Sequence[Any], axis: int = -1) -> Any:
        jnp = self._jnp
        arrays = jnp.broadcast_arrays(*[jnp.asarray(x, dtype=jnp.float64) for x in xs])
        return jnp.stack(arrays, axis=axis)

    def _coerce(self, x: Any) -> Any:
        return self._jnp.asarray(x, dtype=self._jnp.float64)

    def zeros(self, shape: int | tuple[int, ...]) -> Any:
        return self._jnp.zeros(shape, dtype=self._jnp.float64)

    def broadcast(self, value: Any, x: Any) -> Any:
        jnp = self._jnp
        val = self._coerce(float(value) if isinstance(value, int | float | str) else value)
        return jnp.broadcast_to(val, jnp.broadcast_shapes(jnp.shape(val), jnp.shape(x)))

    def concatenate(self, xs: Sequence[Any], axis: int = -1) -> Any:
        return self._jnp.concatenate([self._coerce(x) for x in xs], axis=axis)

    def abs(self, x: Any) -> Any:
        return self._jnp.abs(x)

    def sign(self, x: Any) -> Any:
        return self._jnp.sign(x)

    def maximum(self, a: Any, b: Any) -> Any:
        return self._jnp.maximum(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self._jnp.minimum(a, b)

    def arctan2(self, y: Any, x: Any) -> Any:
        return self._jnp.arctan2(y, x)

    def power(self, x: Any, y: Any) -> Any:
        return self._jnp.power(x, y)


@functools.lru_cache(maxsize=1)
def jax_context() -> JaxContext:
    """The one ``jax`` context (cached)."""
    return JaxContext()
