"""Number contexts: the number systems a cost runs in.

A cost case is written once against a context ``ctx`` and then runs in

* ``float64`` and ``float32`` (numpy),
* ``complex128``, which is complex-step safe: ``abs``, ``sign``, ``maximum``,
  ``minimum`` and :meth:`Context.real` (for comparisons) act on the real part, as in
  Martins, Sturdza & Alonso (2003), so the imaginary part carries exact first
  derivatives,
* ``mp``: mpmath at ``dps`` decimal digits on numpy object arrays, so batching works
  there too. Precision lives on a private :class:`mpmath.MPContext`; the global
  ``mpmath.mp`` is never touched,
* ``jax``: float64 through ``jax.numpy``, traceable by ``jax.grad`` (the optional
  ``autodiff`` extra; see :mod:`firstorder.numbers_jax`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .errors import FirstOrderError, unknown
from .vocab import PRECISIONS, Precision

if TYPE_CHECKING:
    import mpmath

__all__ = ["DEFAULT_DPS", "PRECISIONS", "Context", "context"]

Array = npt.NDArray[Any]

#: Names accepted by :func:`context`.
#: Decimal digits of the ``mp`` context unless told otherwise.
DEFAULT_DPS = 50

_UNARY = (
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
)


class Context:
    """A number system with the functions a cost needs.

    Attributes
    ----------
    name : str
        ``"float64"``, ``"float32"``, ``"complex128"`` or ``"mp"``.
    dps : int or None
        Decimal digits of the ``mp`` context, None for the others.
    eps : float or mpmath.mpf
        Machine epsilon of the context: the spacing of its numbers at 1, twice the
        unit round-off. A float for numpy contexts, an ``mpf`` for ``mp``.
    digits : float
        ``-log10(eps)``, the decimal digits the context carries.
    pi, e : number
        The constants in this context's number type.
    dtype : numpy.dtype
        The dtype of this context's arrays (``object`` for ``mp``).
    complex_step : bool
        True for ``complex128``, whose ``abs``/``sign``/``maximum``/``minimum``
        act on the real part.

    Notes
    -----
    The functions ``exp, log, log1p, expm1, sqrt, sin, cos, tan, arctan, sinh,
    cosh, tanh`` are elementwise; ``arctan2, power, maximum, minimum`` take two
    arguments; ``where, sum, prod, matmul, stack, zeros`` follow numpy.
    Compare values through :meth:`real` (``ctx.real(x) > 0``) so that the comparison
    also works under the complex step.
    """

    name: str
    dps: int | None
    eps: Any
    digits: float
    pi: Any
    e: Any
    dtype: np.dtype[Any]
    complex_step: bool = False

    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    log1p: Callable[[Any], Any]
    expm1: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tan: Callable[[Any], Any]
    arctan: Callable[[Any], Any]
    sinh: Callable[[Any], Any]
    cosh: Callable[[Any], Any]
    tanh: Callable[[Any], Any]

    def __repr__(self) -> str:
        extra = f", dps={self.dps}" if self.dps is not None else ""
        return f"context({self.name!r}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (context, (self.name, self.dps))

    # -- conversion -------------------------------------------------------------
    def asarray(self, x: Any) -> Array:
        """Convert numbers, lists or arrays into this context's array type."""
        return np.asarray(x, dtype=self.dtype)

    def const(self, x: float | int | str) -> Any:
        """One number of this context; strings are parsed at full precision."""
        return self.dtype.type(x)

    def to_float(self, x: Any) -> Array:
        """Convert to float64 (the real part for complex values)."""
        return np.asarray(np.real(x), dtype=np.float64)

    def real(self, x: Any) -> Any:
        """The real part, for comparisons that must survive the complex step."""
        return x

    # -- generic array helpers ----------------------------------------------------
    def where(self, cond: Any, a: Any, b: Any) -> Any:
        """Elementwise ``a if cond else b`` (numpy broadcasting)."""
        return np.where(cond, a, b)

    def sum(self, x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
        """Sum along ``axis`` (the last one by default)."""
        return np.sum(x, axis=axis)

    def prod(self, x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
        """Product along ``axis`` (the last one by default)."""
        return np.prod(x, axis=axis)

    def matmul(self, a: Any, b: Any) -> Any:
        """Matrix product with numpy's broadcasting rules."""
        return np.matmul(a, b)

    def stack(self, xs: Sequence[Any], axis: int = -1) -> Array:
        """Stack arrays (broadcast to a common shape) along a new axis, the last by default."""
        arrays = np.broadcast_arrays(*[self._coerce(x) for x in xs])
        return np.stack(arrays, axis=axis)

    def _coerce(self, x: Any) -> Array:
        return np.asarray(x, dtype=self.dtype)

    def zeros(self, shape: int | tuple[int, ...]) -> Array:
        """An array of zeros in this context."""
        return np.zeros(shape, dtype=self.dtype)

    def broadcast(self, value: Any, x: Any) -> Any:
        """``value`` spread over the shape of ``value + 0 * x``, in this context's numbers.

        For a constant Hessian entry (``ctx.broadcast(1, x)``) or a fixed matrix that
        must take the batch shape of the points. Unlike ``value + 0 * x`` it says what
        it means, and a non-finite ``x`` cannot turn it into NaN. The result is a new,
        writable array.
        """
        val = self.const(value) if isinstance(value, int | float | str) else value
        val, x = self._coerce_value(val), np.asarray(x)
        out = np.empty(np.broadcast_shapes(val.shape, x.shape), np.result_type(val, x))
        out[...] = val
        return out

    def _coerce_value(self, value: Any) -> Array:
        return np.asarray(value)

    def concatenate(self, xs: Sequence[Any], axis: int = -1) -> Any:
        """Join arrays along an existing axis, the last by default."""
        return np.concatenate(xs, axis=axis)

    def abs(self, x: Any) -> Any:
        """Absolute value."""
        return np.abs(x)

    def sign(self, x: Any) -> Any:
        """Sign, -1, 0 or 1."""
        return np.sign(x)

    def maximum(self, a: Any, b: Any) -> Any:
        """Elementwise maximum."""
        return np.maximum(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        """Elementwise minimum."""
        return np.minimum(a, b)

    def arctan2(self, y: Any, x: Any) -> Any:
        """Four-quadrant arctangent of ``y / x``."""
        return np.arctan2(y, x)

    def power(self, x: Any, y: Any) -> Any:
        """``x ** y`` elementwise."""
        return np.power(x, y)


class _NumpyContext(Context):
    def __init__(self, name: str, dtype: type[np.generic]) -> None:
        self.name = name
        self.dps = None
        self.dtype = np.dtype(dtype)
        self.eps = float(np.finfo(self.dtype).eps)
        self.digits = -math.log10(self.eps)
        self.pi = self.dtype.type(np.pi)
        self.e = self.dtype.type(np.e)
        for fn in _UNARY:
            setattr(self, fn, getattr(np, fn))


class _ComplexStepContext(_NumpyContext):
    """complex128 with real-part ``abs``/``sign``/``max``/``min`` (complex-step safe)."""

    complex_step = True

    def __init__(self) -> None:
        super().__init__("complex128", np.complex128)
        self.pi = float(np.pi)
        self.e = float(np.e)

    def real(self, x: Any) -> Any:
        return np.real(x)

    def abs(self, x: Any) -> Any:
        x = np.asarray(x)
        return np.where(np.real(x) < 0, -x, x)

    def sign(self, x: Any) -> Any:
        return np.sign(np.real(x))

    def maximum(self, a: Any, b: Any) -> Any:
        return np.where(np.real(a) >= np.real(b), a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return np.where(np.real(a) <= np.real(b), a, b)

    def arctan2(self, y: Any, x: Any) -> Any:
        # The real part keeps the quadrant; arctan(y/x) differs from it by a constant,
        # so its imaginary part carries the exact first derivative.
        y, x = np.asarray(y), np.asarray(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.imag(np.arctan(y / x))
        return np.arctan2(np.real(y), np.real(x)) + 1j * np.nan_to_num(slope)


class _MPContext(Context):
    """mpmath at ``dps`` digits on object arrays, on a private MPContext."""

    def __init__(self, dps: int) -> None:
        # Imported here: `import firstorder` (and so its pytest plugin) stays free of it.
        import mpmath

        mp = mpmath.MPContext()
        mp.dps = dps
        self._mp = mp
        self.name = "mp"
        self.dps = dps
        self.dtype = np.dtype(object)
        self.eps = mp.eps
        self.digits = -float(mp.log10(mp.eps))
        self.pi = +mp.pi
        self.e = +mp.e
        names = {"arctan": "atan"}
        for fn in _UNARY:
            setattr(self, fn, np.frompyfunc(getattr(mp, names.get(fn, fn)), 1, 1))
        self._mpf = np.frompyfunc(mp.mpf, 1, 1)
        self._float = np.frompyfunc(float, 1, 1)
        self._re = np.frompyfunc(mp.re, 1, 1)
        self._abs = np.frompyfunc(mp.fabs, 1, 1)
        self._sign = np.frompyfunc(mp.sign, 1, 1)
        self._atan2 = np.frompyfunc(mp.atan2, 2, 1)
        self._power = np.frompyfunc(mp.power, 2, 1)
        self._max = np.frompyfunc(lambda a, b: a if a >= b else b, 2, 1)
        self._min = np.frompyfunc(lambda a, b: a if a <= b else b, 2, 1)
        from mpmath.libmp import from_man_exp

        prec, make = mp.prec, mp.make_mpf
        self._man_exp = np.frompyfunc(functools.partial(_man_exp, mp.mpf), 1, 2)
        self._shift = np.frompyfunc(lambda m, s: m << int(s), 2, 1)
        # integers times 2**exp, each rounded once to this context's precision
        self._from_int = np.frompyfunc(
            lambda m, e: make(from_man_exp(int(m), int(e), prec, "n")), 2, 1
        )

    @property
    def mpmath(self) -> mpmath.ctx_mp.MPContext:
        """The private :class:`mpmath.MPContext` holding this context's precision."""
        return self._mp

    def asarray(self, x: Any) -> Array:
        arr = np.asarray(x, dtype=object)
        out = self._mpf(arr)
        return np.asarray(out, dtype=object)

    def const(self, x: float | int | str) -> Any:
        return self._mp.mpf(x)

    def to_float(self, x: Any) -> Array:
        return np.asarray(self._float(self._re(np.asarray(x, dtype=object))), dtype=np.float64)

    def real(self, x: Any) -> Any:
        return self._re(x)

    def zeros(self, shape: int | tuple[int, ...]) -> Array:
        return self.asarray(np.zeros(shape))

    def _coerce(self, x: Any) -> Array:
        arr = np.asarray(x, dtype=object)
        return arr if all(isinstance(t, self._mp.mpf) for t in arr.flat[:1]) else self.asarray(arr)

    def _coerce_value(self, value: Any) -> Array:
        return self._coerce(value)

    def abs(self, x: Any) -> Any:
        return self._abs(x)

    def sign(self, x: Any) -> Any:
        return self._sign(x)

    def maximum(self, a: Any, b: Any) -> Any:
        return self._max(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self._min(a, b)

    def arctan2(self, y: Any, x: Any) -> Any:
        return self._atan2(y, x)

    def power(self, x: Any, y: Any) -> Any:
        return self._power(x, y)

    def sum(self, x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
        fixed = self._fixed(x)
        if fixed is None:
            # Start from an mpf zero so that an empty sum stays in this context.
            return np.sum(x, axis=axis, initial=self._mp.zero)
        ints, exp = fixed
        return self._from_int(np.sum(ints, axis=axis, initial=0), exp)

    def matmul(self, a: Any, b: Any) -> Any:
        fa, fb = self._fixed(a), self._fixed(b)
        if fa is None or fb is None:
            return np.matmul(self._coerce(a), self._coerce(b))
        return self._from_int(np.matmul(fa[0], fb[0]), fa[1] + fb[1])

    # Sums and products of sums, exactly: every finite mpf is an integer times a power
    # of two, so shifted to the array's smallest exponent the terms are Python integers
    # whose sums and products numpy forms exactly; one rounding at the end gives the
    # correctly rounded result, about ten times faster than mpf arithmetic, which
    # normalises after every operation.
    def _fixed(self, x: Any) -> tuple[Array, int] | None:
        """``x`` as integers times ``2**exp``, or None where that does not pay (a
        non-finite or complex entry, or exponents too far apart)."""
        arr = np.asarray(x, dtype=object)
        if arr.size == 0:
            return None
        try:
            man, exp = self._man_exp(arr)
        except _NotExact:
            return None
        exp = np.asarray(exp, dtype=np.int64)
        nonzero = np.asarray(man != 0, dtype=bool)  # a zero's exponent means nothing
        if not nonzero.any():
            return np.asarray(man, dtype=object), 0
        low, high = int(exp[nonzero].min()), int(exp[nonzero].max())
        if high - low > _MAX_SHIFT:
            return None
        return self._shift(man, np.where(nonzero, exp - low, 0)), low

    def prod(self, x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
        return np.prod(x, axis=axis, initial=self._mp.one)


#: Exponent spread (bits) past which exact integer sums cost more than mpf arithmetic.
_MAX_SHIFT = 4096


class _NotExact(ValueError):
    """An entry that is not a finite real mpf."""


def _man_exp(mpf: Callable[[Any], Any], v: Any) -> tuple[int, int]:
    """A finite real number as ``(signed mantissa, exponent)``."""
    try:
        sign, man, exp, _ = (v if type(v) is mpf else mpf(v))._mpf_
    except TypeError:  # a complex value
        raise _NotExact from None
    if not man and exp:  # mpmath's inf, -inf and nan
        raise _NotExact
    return (-man if sign else man), exp


@functools.lru_cache(maxsize=64)
def _make(name: str, dps: int | None) -> Context:
    if name == "float64":
        return _NumpyContext("float64", np.float64)
    if name == "float32":
        return _NumpyContext("float32", np.float32)
    if name == "complex128":
        return _ComplexStepContext()
    assert dps is not None
    return _MPContext(dps)


def context(name: Precision | str | Context = "float64", dps: int | None = None) -> Context:
    """Return the number context ``name``.

    Parameters
    ----------
    name
        ``"float64"``, ``"float32"``, ``"complex128"``, ``"mp"`` or ``"jax"``
        (float64 through ``jax.numpy``, the ``autodiff`` extra); a :class:`Context`
        is returned as it is.
    dps
        Decimal digits for ``"mp"`` (default 50); ignored by the other contexts.

    Returns
    -------
    Context
        The context. Contexts are cached: the same arguments give the same object.

    Raises
    ------
    FirstOrderError
        For an unknown name or a ``dps`` that is not a positive integer.
    """
    if isinstance(name, Context):
        return name
    if name == "jax":
        # JAX is an optional extra: imported only when its context is asked for.
        from .numbers_jax import jax_context

        return jax_context()
    if name not in PRECISIONS:
        raise unknown("precision", name, PRECISIONS)
    if name != "mp":
        return _make(name, None)
    if dps is not None and (isinstance(dps, bool) or not isinstance(dps, int) or dps < 5):
        raise FirstOrderError(f"`dps` must be an integer of at least 5, not `{dps}`.")
    return _make(name, DEFAULT_DPS if dps is None else dps)
