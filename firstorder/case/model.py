"""Cost cases: the frozen :class:`Case` and the :func:`case` decorator.

A case is a smooth cost ``C: R^n -> R`` written once against a number context::

    @case(name="rosenbrock", x0=[-1.2, 1.0], tags={"mgh"}, reference="MGH 1981 #1")
    def rosenbrock(v, ctx):
        x, y = v[..., 0], v[..., 1]
        return 100 * (y - x**2) ** 2 + (1 - x) ** 2

    @rosenbrock.gradient
    def _(v, ctx):
        x, y = v[..., 0], v[..., 1]
        return ctx.stack([-400 * x * (y - x**2) - 2 * (1 - x), 200 * (y - x**2)])

``v`` has shape ``(..., n)``; the cost returns shape ``(...)``, the gradient
``(..., n)``, the Hessian ``(..., n, n)`` and a Hessian-vector product ``(..., n)``.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CaseError, FirstOrderError, NotApplicableError
from ..numbers import Array, Context, context

__all__ = ["Case", "CostFn", "GradFn", "HessFn", "HvpFn", "case", "published_tolerance"]

CostFn = Callable[[Array, Context], Any]
GradFn = Callable[[Array, Context], Any]
HessFn = Callable[[Array, Context], Any]
HvpFn = Callable[[Array, Array, Context], Any]
PointSpec = Sequence[float] | Callable[[int], Sequence[float] | Array]

_collector: contextvars.ContextVar[list[Case] | None] = contextvars.ContextVar(
    "firstorder_case_collector", default=None
)


@contextlib.contextmanager
def collecting() -> Iterator[list[Case]]:
    """Collect every :class:`Case` built while the block runs (used by the loader)."""
    found: list[Case] = []
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def published_tolerance(value: float | str) -> float:
    """Absolute tolerance implied by how a published value is written.

    A value given as a string carries its own precision: ``"2.4200e+01"`` is good to
    half a unit in its last digit, 5e-3. A float is taken as exact to a few ulps.

    Parameters
    ----------
    value
        The published value, as printed in the source or as a float.

    Returns
    -------
    float
        The absolute tolerance for comparing a computed value with it.
    """
    if isinstance(value, str):
        m = re.fullmatch(r"\s*[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*", value)
        if not m:
            raise CaseError(f"published value `{value}` is not a number.")
        decimals = len(m.group(2) or "")
        exponent = int(m.group(3) or 0)
        return 0.5 * 10.0 ** (exponent - decimals)
    return 8 * np.finfo(float).eps * max(1.0, abs(float(value)))


def _mp_refusal(name: str, exc: Exception) -> NotApplicableError:
    """One sentence for a case that fails on mpmath numbers, naming the numpy function
    to replace where numpy's message tells it."""
    m = re.search(r"no callable (\w+) method", str(exc))
    if m:
        fn = m.group(1)
        return NotApplicableError(
            f"case `{name}` calls numpy's `{fn}`, which has no mp version; write it as `ctx.{fn}`."
        )
    return NotApplicableError(
        f"case `{name}` fails in precision `mp` ({type(exc).__name__}: {exc}); write it "
        "with `ctx` functions instead of numpy ones."
    )


def _as_point(spec: PointSpec, n: int) -> Array:
    raw = spec(n) if callable(spec) else spec
    out = np.array(raw, dtype=np.float64).reshape(-1)
    return out


@dataclass(frozen=True, eq=False)
class Case:
    """A cost case: a cost, its analytic derivatives, start point and provenance.

    Build cases with the :func:`case` decorator rather than directly.

    Attributes
    ----------
    name : str
        Unique name in the registry.
    cost_fn : callable
        ``cost(v, ctx)`` with ``v`` of shape ``(..., n)`` returning shape ``(...)``.
    grad_fn, hess_fn, hvp_fn : callable or None
        Analytic gradient ``(v, ctx) -> (..., n)``, Hessian ``(v, ctx) -> (..., n, n)``
        and Hessian-vector product ``(v, d, ctx) -> (..., n)``.
    dim : int
        The dimension of the case (the default one for scalable cases).
    x0 : tuple of float
        The standard start point at ``dim``.
    x0_fn : callable or None
        For scalable cases, ``n -> x0`` at any admissible ``n``.
    points : mapping
        Named extra points (e.g. ``"xmin"``) at ``dim``.
    tags : frozenset of str
        Family and properties, e.g. ``{"mgh", "quadratic"}``.
    reference : str
        Where the case comes from.
    value : float, str or None
        The published value at ``x0`` (a string keeps its printed precision).
    minimum : float, str or None
        The published minimum value.
    complex_safe : bool
        Whether the cost is analytic in its arguments, so the complex step applies.
    batched : bool
        Whether the cost takes a batch ``(..., n)``; otherwise it is looped.
    scalable : bool
        Whether the case takes any ``n`` accepted by ``dims``.
    dims : callable or None
        For scalable cases, ``n -> bool``: the admissible dimensions.
    doc : str
        The docstring of the cost.
    source : str
        ``file:line`` where the case was defined.
    typical : float, tuple of float or None
        Typical magnitudes of the variables (one for all, or one per variable at
        ``dim``), used by the automatic finite-difference step search in place of
        ``max(1, |v_j|)``.
    """

    name: str
    cost_fn: CostFn
    dim: int
    x0: tuple[float, ...]
    grad_fn: GradFn | None = None
    hess_fn: HessFn | None = None
    hvp_fn: HvpFn | None = None
    x0_fn: Callable[[int], Any] | None = None
    points: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    reference: str = ""
    value: float | str | None = None
    minimum: float | str | None = None
    complex_safe: bool = True
    batched: bool = True
    scalable: bool = False
    dims: Callable[[int], bool] | None = None
    doc: str = ""
    source: str = ""
    typical: float | tuple[float, ...] | None = None

    # -- definition-time decorators ---------------------------------------------------
    def gradient(self, fn: GradFn) -> GradFn:
        """Attach the analytic gradient ``grad(v, ctx) -> (..., n)`` (decorator)."""
        self._attach("grad_fn", fn, "gradient")
        return fn

    def hessian(self, fn: HessFn) -> HessFn:
        """Attach the analytic Hessian ``hess(v, ctx) -> (..., n, n)`` (decorator)."""
        self._attach("hess_fn", fn, "Hessian")
        return fn

    def hessian_vector(self, fn: HvpFn) -> HvpFn:
        """Attach a Hessian-vector product ``hvp(v, d, ctx) -> (..., n)`` (decorator)."""
        self._attach("hvp_fn", fn, "Hessian-vector product")
        return fn

    def _attach(self, slot: str, fn: Callable[..., Any], what: str) -> None:
        if getattr(self, slot) is not None:
            raise CaseError(f"case `{self.name}` already has a {what}.")
        # A case is completed by these decorators while its file loads; after that
        # nothing changes it.
        object.__setattr__(self, slot, fn)

    # -- properties ----------------------------------------------------------------------
    @property
    def has_gradient(self) -> bool:
        """Whether an analytic gradient is attached."""
        return self.grad_fn is not None

    @property
    def has_hessian(self) -> bool:
        """Whether second derivatives are known (a Hessian or a Hessian-vector product)."""
        return self.hess_fn is not None or self.hvp_fn is not None

    def accepts(self, n: int) -> bool:
        """Whether the case can be evaluated in dimension ``n``."""
        if not self.scalable:
            return n == self.dim
        return n >= 1 and (self.dims is None or bool(self.dims(n)))

    # -- points ----------------------------------------------------------------------------
    def point(self, name: str = "x0", n: int | None = None) -> Array:
        """A named point as a float64 array.

        Parameters
        ----------
        name
            ``"x0"`` or one of :attr:`points`.
        n
            Dimension, for scalable cases (default :attr:`dim`).
        """
        n = self.dim if n is None else n
        self._check_dim(n)
        if name == "x0":
            if n != self.dim and self.x0_fn is not None:
                return _as_point(self.x0_fn, n)
            if n != self.dim:
                raise FirstOrderError(f"case `{self.name}` has no start point at n={n}.")
            return np.array(self.x0, dtype=np.float64)
        if name not in self.points:
            valid = ", ".join(f"`{p}`" for p in ["x0", *self.points])
            raise FirstOrderError(
                f"unknown point `{name}` of case `{self.name}`; choose from {valid}."
            )
        if n != self.dim:
            raise FirstOrderError(f"point `{name}` of case `{self.name}` is given at n={self.dim}.")
        return np.array(self.points[name], dtype=np.float64)

    def random_points(
        self, k: int, seed: int = 0, spread: float = 0.1, n: int | None = None
    ) -> Array:
        """``k`` seeded random points near ``x0``, shape ``(k, n)``.

        Each component moves by ``spread · |x0_i| · z`` with ``z`` standard normal (by
        ``spread · z`` where ``x0_i = 0``), so a positive component stays positive for
        any reasonable draw and badly scaled variables keep their scale.

        Parameters
        ----------
        k
            Number of points.
        seed
            Seed of :func:`numpy.random.default_rng`.
        spread
            Relative size of the perturbation.
        n
            Dimension, for scalable cases (default :attr:`dim`).
        """
        x0 = self.point(n=n)
        rng = np.random.default_rng(seed)
        scale = np.where(x0 != 0, np.abs(x0), 1.0)
        return x0 + spread * scale * rng.standard_normal((k, len(x0)))

    def _check_dim(self, n: int) -> None:
        if not self.accepts(n):
            if self.scalable:
                raise FirstOrderError(f"case `{self.name}` does not accept dimension n={n}.")
            raise FirstOrderError(
                f"point of length {n} given to case `{self.name}`, which has dim {self.dim}."
            )

    # -- evaluation ------------------------------------------------------------------------
    def _prepare(self, v: Any, ctx: Context | str) -> tuple[Context, Array]:
        cx = context(ctx)
        arr = cx.asarray(v)
        if arr.ndim == 0:
            raise FirstOrderError(f"point for case `{self.name}` must be an array, not a scalar.")
        self._check_dim(arr.shape[-1])
        return cx, arr

    def _call(self, fn: Callable[..., Any], arr: Array, cx: Context, *extra: Array) -> Array:
        if cx.name != "mp":
            return self._call_raw(fn, arr, cx, *extra)
        try:
            return self._call_raw(fn, arr, cx, *extra)
        except (AttributeError, TypeError) as exc:
            raise _mp_refusal(self.name, exc) from exc

    def _call_raw(self, fn: Callable[..., Any], arr: Array, cx: Context, *extra: Array) -> Array:
        if self.batched:
            # Always hand the cost a batch: mpmath scalars, unlike numpy's, cannot be
            # indexed, so a single point travels as a batch of one.
            if arr.ndim == 1:
                out = np.asarray(fn(arr[None], *(e[None] for e in extra), cx))
                return out.reshape(out.shape[1:]) if out.ndim else out
            return np.asarray(fn(arr, *extra, cx))
        if arr.ndim == 1:
            return np.asarray(fn(arr, *extra, cx))
        batch = arr.shape[:-1]
        flat = arr.reshape(-1, arr.shape[-1])
        if extra:
            flat_extra = [np.broadcast_to(e, arr.shape).reshape(flat.shape) for e in extra]
            outs = [fn(flat[i], *(e[i] for e in flat_extra), cx) for i in range(len(flat))]
        else:  # the hot path of a looped cost: a call per point and nothing else
            outs = [fn(p, cx) for p in flat]
        out = np.asarray(outs) if outs else np.zeros(0)
        return out.reshape(batch + out.shape[1:])

    def _shaped(self, out: Array, expected: tuple[int, ...], what: str) -> Array:
        if out.shape != expected:
            raise CaseError(
                f"{what} of case `{self.name}` has shape {out.shape}; expected {expected}."
            )
        if out.dtype.kind not in "biufcO":
            raise CaseError(
                f"{what} of case `{self.name}` has dtype `{out.dtype}`; expected numbers "
                "(float, complex or mp)."
            )
        return out

    def cost(self, v: Any, ctx: Context | str = "float64") -> Array:
        """Evaluate the cost at points ``v`` of shape ``(..., n)``; returns ``(...)``."""
        cx, arr = self._prepare(v, ctx)
        out = self._call(self.cost_fn, arr, cx)
        return self._shaped(out, arr.shape[:-1], "cost")

    def grad(self, v: Any, ctx: Context | str = "float64") -> Array:
        """Evaluate the analytic gradient at ``v``; returns ``(..., n)``."""
        if self.grad_fn is None:
            raise FirstOrderError(f"case `{self.name}` has no analytic gradient.")
        cx, arr = self._prepare(v, ctx)
        out = self._call(self.grad_fn, arr, cx)
        return self._shaped(out, arr.shape, "gradient")

    def hess(self, v: Any, ctx: Context | str = "float64") -> Array:
        """Evaluate the analytic Hessian at ``v``; returns ``(..., n, n)``."""
        if self.hess_fn is None:
            raise FirstOrderError(f"case `{self.name}` has no analytic Hessian.")
        cx, arr = self._prepare(v, ctx)
        out = self._call(self.hess_fn, arr, cx)
        return self._shaped(out, arr.shape + arr.shape[-1:], "Hessian")

    def hess_vec(self, v: Any, d: Any, ctx: Context | str = "float64") -> Array:
        """Evaluate ``H(v) d``, from the Hessian-vector product or the Hessian."""
        cx, arr = self._prepare(v, ctx)
        dd = cx.asarray(d)
        if self.hvp_fn is not None:
            out = self._call(self.hvp_fn, arr, cx, np.broadcast_to(dd, arr.shape))
            return self._shaped(out, arr.shape, "Hessian-vector product")
        if self.hess_fn is None:
            raise FirstOrderError(f"case `{self.name}` has no analytic Hessian.")
        h = self.hess(arr, cx)
        return np.asarray(np.matmul(h, dd[..., None])[..., 0])


def _typical(
    name: str, typical: float | Sequence[float] | None, n: int
) -> float | tuple[float, ...] | None:
    """Check ``typical=``: positive finite magnitudes, one for all or one per variable."""
    if typical is None:
        return None
    arr = np.asarray(typical, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and len(arr) != n):
        raise CaseError(f"case `{name}` has `typical` of shape {arr.shape}; give one or {n}.")
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise CaseError(f"case `{name}` has `typical` {typical!r}; give positive magnitudes.")
    return float(arr) if arr.ndim == 0 else tuple(float(t) for t in arr)


def case(
    name: str | None = None,
    *,
    x0: PointSpec,
    dim: int | None = None,
    tags: Iterable[str] = (),
    reference: str = "",
    value: float | str | None = None,
    minimum: float | str | None = None,
    points: Mapping[str, Sequence[float]] | None = None,
    complex_safe: bool = True,
    batched: bool = True,
    scalable: bool = False,
    dims: Callable[[int], bool] | None = None,
    typical: float | Sequence[float] | None = None,
) -> Callable[[CostFn], Case]:
    """Declare a cost case (decorator).

    Parameters
    ----------
    name
        Unique name; defaults to the function's name.
    x0
        The standard start point, or for scalable cases a function ``n -> x0``.
    dim
        The dimension; taken from ``x0`` when it is a sequence. Required for scalable
        cases (their default ``n``).
    tags
        Family and property tags.
    reference
        The source of the case (paper, book, library).
    value
        Published cost at ``x0``; give a string to keep its printed precision.
    minimum
        Published minimum value.
    points
        Named extra points at ``dim``.
    complex_safe
        False when the cost is not analytic (``abs``, branches on values), so the
        complex step must refuse it.
    batched
        False when the cost cannot take a batch of points; it is then looped.
    scalable
        True when the case takes any dimension admitted by ``dims``.
    dims
        For scalable cases, ``n -> bool`` telling which dimensions are admitted.
    typical
        Typical magnitudes of the variables (a positive number, or one per variable),
        which the automatic step search uses as each variable's scale.

    Returns
    -------
    callable
        A decorator turning ``cost(v, ctx)`` into a :class:`Case`.
    """

    def build(fn: CostFn) -> Case:
        case_name = name or fn.__name__
        if callable(x0):
            if dim is None:
                raise CaseError(f"case `{case_name}` has a callable `x0` and needs `dim`.")
            start = _as_point(x0, dim)
            x0_fn: Callable[[int], Any] | None = x0
        else:
            start = _as_point(x0, len(x0))
            x0_fn = None
        n = len(start) if dim is None else dim
        if len(start) != n:
            raise CaseError(f"case `{case_name}` has `x0` of length {len(start)} but dim {n}.")
        try:
            src = f"{inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
        except (OSError, TypeError):
            src = getattr(fn, "__module__", "") or ""
        made = Case(
            name=case_name,
            cost_fn=fn,
            dim=n,
            x0=tuple(float(t) for t in start),
            x0_fn=x0_fn,
            points={k: tuple(float(t) for t in p) for k, p in (points or {}).items()},
            tags=frozenset(tags),
            reference=reference,
            value=value,
            minimum=minimum,
            complex_safe=complex_safe,
            batched=batched,
            scalable=scalable,
            dims=dims,
            doc=inspect.cleandoc(fn.__doc__ or ""),
            source=src,
            typical=_typical(case_name, typical, n),
        )
        found = _collector.get()
        if found is not None:
            found.append(made)
        return made

    return build
