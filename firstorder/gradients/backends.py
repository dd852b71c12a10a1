"""Gradient backends: finite differences of any order, Richardson, complex step, the mp
reference, the case's analytic gradient and peer libraries, under one call.

All perturbed points of one gradient go through ``case.cost`` in batched calls. The
points are built a chunk of components at a time, so that one chunk stays within a
memory budget (:data:`DEFAULT_CHUNK_BYTES`) at any ``n``: a full ``n × n`` array is
never formed.
"""

from __future__ import annotations

import functools
import re
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..case.model import Case
from ..case.registry import resolve_case
from ..errors import FirstOrderError, NotApplicableError, unknown
from ..numbers import DEFAULT_DPS, Array, Context, context
from ..vocab import GRADIENT_PRECISIONS
from . import autodiff
from .reference import reference_gradient
from .stencils import STENCILS, stencil_weights
from .steps import complex_steps, default_steps, user_steps

__all__ = [
    "BACKENDS",
    "DEFAULT_CHUNK_BYTES",
    "Backend",
    "GradientResult",
    "backends",
    "backends_frame",
    "gradient",
]

#: Memory budget of one batched chunk of perturbed points (bytes): a hard cap.
DEFAULT_CHUNK_BYTES = 1 << 21
#: Within the budget, chunks aim at this size, which stays in cache ...
CACHE_CHUNK_BYTES = 1 << 18
#: ... unless that leaves fewer points than this per cost call, whose fixed overhead
#: then dominates. Measured on extended Rosenbrock (2 cores, shared): at n = 1000,
#: 32-point chunks (256 KiB) beat 262-point ones (2 MiB) by 1.5×; at n = 10 000,
#: 26-point chunks (2 MiB) beat 3-point ones (256 KiB) by 1.5×.
MIN_CHUNK_POINTS = 32
#: Precisions :func:`gradient` accepts.
#: Richardson: levels of the step ladder and the ratio between steps.
RICHARDSON_LEVELS = 3
RICHARDSON_RATIO = 2


@dataclass(frozen=True, eq=False)
class GradientResult:
    """A gradient from one backend.

    Attributes
    ----------
    values : numpy.ndarray
        Shape ``(n,)``: floats for float precisions, ``mpf`` objects for ``mp`` and
        ``reference``. All NaN when not applicable.
    nfev : int
        Cost evaluations, counted as points evaluated.
    steps : numpy.ndarray or None
        The step of each component (the largest of a ladder), None when not stepped.
    backend, precision : str
        What computed it, and in which number system.
    dps : int or None
        Digits of ``mp`` results.
    error_estimate : numpy.ndarray or None
        Per-component error estimate where the method has one.
    status : str
        ``"ok"`` or ``"not-applicable"``.
    reason : str
        One sentence why not applicable, ``""`` when ok.
    """

    values: Array
    nfev: int
    steps: Array | None
    backend: str
    precision: str
    dps: int | None = None
    error_estimate: Array | None = None
    status: str = "ok"
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the backend applied."""
        return self.status == "ok"

    def as_float(self) -> Array:
        """The values as a float64 copy (the real part, NaN when not applicable)."""
        vals = np.asarray(self.values)
        if vals.dtype == object:
            return np.array([float(t) for t in vals.flat], dtype=np.float64).reshape(vals.shape)
        return np.array(np.real(vals), dtype=np.float64)

    def to_frame(self) -> pd.DataFrame:
        """One row per component: value, exact value (mp), step and error estimate."""
        n = len(self.values)
        vals = np.asarray(self.values)
        exact = [str(t) for t in vals] if vals.dtype == object else [repr(float(t)) for t in vals]

        def col(a: Array | None) -> Array:
            if a is None:
                return np.full(n, np.nan)
            return np.array([float(t) for t in np.asarray(a).flat], dtype=np.float64)

        return pd.DataFrame(
            {
                "component": np.arange(n),
                "value": self.as_float(),
                "value_exact": exact,
                "step": col(self.steps),
                "error_estimate": col(self.error_estimate),
                "backend": self.backend,
                "precision": self.precision,
                "status": self.status,
            }
        )


@dataclass(frozen=True)
class Backend:
    """A registered gradient backend.

    Attributes
    ----------
    name : str
        The name given to :func:`gradient`.
    kind : str
        ``analytic``, ``finite-difference``, ``extrapolation``, ``complex-step``,
        ``reference`` or ``peer``.
    order : int or None
        Order of accuracy in the step, None when not stepped or adaptive.
    description : str
        One line.
    available : bool
        Whether its package is installed (always True for firstorder's own).
    """

    name: str
    kind: str
    order: int | None
    description: str
    available: bool = True
    run: Callable[..., GradientResult] | None = field(default=None, repr=False, compare=False)


# -- helpers ----------------------------------------------------------------------------
def _not_applicable(
    backend: str, n: int, precision: str, reason: str, dps: int | None = None
) -> GradientResult:
    return GradientResult(
        values=np.full(n, np.nan),
        nfev=0,
        steps=None,
        backend=backend,
        precision=precision,
        dps=dps,
        status="not-applicable",
        reason=reason,
    )


def _rows_per_chunk(chunk_bytes: int, points_per_row: int, n: int, itemsize: int) -> int:
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


class _Job(NamedTuple):
    case: Case
    point: Array
    precision: str
    step: Any
    dps: int
    chunk_bytes: int


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
    m = _rows_per_chunk(chunk_bytes, k, n, itemsize)
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


def _point_and_steps(job: _Job, order: int) -> tuple[Context, Array, Array]:
    ctx = context(job.precision, job.dps)
    x = ctx.asarray(job.point)
    n = x.shape[0]
    h = default_steps(x, order, ctx) if job.step is None else user_steps(job.step, n, ctx)
    if ctx.name != "mp":
        h = np.asarray(h, dtype=ctx.dtype)
        # Use the representable step (x + h) - x, where it is not lost altogether.
        actual = (x + h) - x
        h = np.where(actual != 0, actual, h).astype(ctx.dtype)
    return ctx, x, h


def _run_fd(name: str) -> Callable[[_Job], GradientResult]:
    def run(job: _Job) -> GradientResult:
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


def _run_richardson(job: _Job) -> GradientResult:
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


_COMPLEX = context("complex128")
#: Cases whose cost ran clean under complex input (no complex-to-real cast).
_COMPLEX_CLEAN: weakref.WeakSet[Case] = weakref.WeakSet()


def _complex_cost(c: Case, pts: Array) -> tuple[Array | None, str]:
    """The cost at complex points, or None and why the complex step cannot apply.

    The first evaluation of a case turns numpy's ``ComplexWarning`` (a complex value
    cast to real, dropping its imaginary part) into a refusal; once a case has run
    clean it is remembered, and later calls only check that the output is complex.
    """
    try:
        if c in _COMPLEX_CLEAN:
            f = c.cost(pts, _COMPLEX)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                f = c.cost(pts, _COMPLEX)
    except np.exceptions.ComplexWarning:
        return None, (
            f"the cost of case `{c.name}` casts complex values to real, dropping the "
            "imaginary part the complex step needs."
        )
    except TypeError as exc:
        return None, f"the cost of case `{c.name}` fails on complex input ({exc})."
    if not np.iscomplexobj(f):
        return None, (
            f"the cost of case `{c.name}` returns real output for complex input, so it drops "
            "the imaginary part the complex step needs."
        )
    _COMPLEX_CLEAN.add(c)
    return f, ""


#: Cases whose complex-step gradient agreed with a float64 difference once.
_COMPLEX_CONSISTENT: weakref.WeakSet[Case] = weakref.WeakSet()


def _disagreement(c: Case, x: Array, g: Array) -> str:
    """Cross-check a gradient along one seeded direction by float64 central differences.

    A cost can drop what a method needs without any error: ``np.real`` inside the cost
    under the complex step, ``float()`` or numpy functions under mp. The gradient then
    comes out silently wrong (often exactly zero in some components). The check takes
    C(x ± h d) and C(x ± 2h d) for a ladder of steps h = 10⁻²…10⁻⁹ · max(1, ‖x‖∞) in
    one batched call, and returns one sentence when ∇C·d disagrees with the difference
    at *every* step by more than the difference's own error there (its change between
    h and 2h, and round-off); an empty string otherwise. A dropped imaginary part is
    wrong at every scale; a badly scaled cost agrees at some step of the ladder.
    """
    n = len(x)
    d = np.random.default_rng(20030101).standard_normal(n)
    d /= np.linalg.norm(d)
    eps = float(np.finfo(np.float64).eps)
    hs = 10.0 ** -np.arange(2, 10) * max(1.0, float(np.max(np.abs(x))))
    offs = np.concatenate([hs, -hs, 2 * hs, -2 * hs])
    pts = x[None, :] + offs[:, None] * d[None, :]
    try:
        with np.errstate(all="ignore"):
            f = np.asarray(c.cost(np.concatenate([x[None, :], pts])), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a cost failing in float64 is reported elsewhere
        return ""
    k = len(hs)
    fp, fm, f2p, f2m = f[1 : k + 1], f[k + 1 : 2 * k + 1], f[2 * k + 1 : 3 * k + 1], f[3 * k + 1 :]
    with np.errstate(all="ignore"):
        d1 = (fp - fm) / (2 * hs)
        d2 = (f2p - f2m) / (4 * hs)
    gd = float(np.dot(g, d))
    noise = 8 * eps * np.max(np.abs(f[np.isfinite(f)]), initial=0.0) / hs
    tol = 10 * np.abs(d1 - d2) + 10 * noise + 1e-6 * (np.abs(d1) + float(np.linalg.norm(g)))
    good = np.isfinite(d1) & np.isfinite(d2)
    if not np.any(good) or np.any(np.abs(gd - d1[good]) <= tol[good]):
        return ""
    best = int(np.flatnonzero(good)[np.argmin(np.abs(gd - d1[good]))])
    return (
        f"its derivative along a test direction is {gd:.6g} but float64 differences of "
        f"the cost give {d1[best]:.6g} (at h = {hs[best]:.0e})"
    )


def _run_complex_step(job: _Job) -> GradientResult:
    c = job.case
    x = np.asarray(job.point, dtype=np.float64)
    n = x.shape[0]
    if not c.complex_safe:
        return _not_applicable(
            "complex-step",
            n,
            "complex128",
            f"case `{c.name}` is marked `complex_safe=False` (its cost is not analytic), "
            "so the complex step does not apply.",
        )
    h = complex_steps(x) if job.step is None else user_steps(job.step, n)
    m = _rows_per_chunk(job.chunk_bytes, 1, n, 16)
    if m >= n:
        # One chunk: the common small-n case, kept lean.
        pts = np.empty((n, n), dtype=np.complex128)
        pts[...] = x
        np.fill_diagonal(pts.imag, h)
        f, reason = _complex_cost(c, pts)
        if f is None:
            return _not_applicable("complex-step", n, "complex128", reason)
        return _complex_checked(
            job,
            GradientResult(
                values=f.imag / h, nfev=n, steps=h, backend="complex-step", precision="complex128"
            ),
        )
    out = np.empty(n, dtype=np.float64)
    for a in range(0, n, m):
        b = min(n, a + m)
        pts = np.empty((b - a, n), dtype=np.complex128)
        pts[...] = x
        # Add i h_j at entry j of row j - a.
        np.fill_diagonal(pts[:, a:b].imag, h[a:b])
        f, reason = _complex_cost(c, pts)
        if f is None:
            return _not_applicable("complex-step", n, "complex128", reason)
        np.divide(f.imag, h[a:b], out=out[a:b])
    return _complex_checked(
        job,
        GradientResult(values=out, nfev=n, steps=h, backend="complex-step", precision="complex128"),
    )


def _complex_checked(job: _Job, res: GradientResult) -> GradientResult:
    """Refuse a complex-step gradient a float64 difference contradicts (first use per case)."""
    c = job.case
    if c in _COMPLEX_CONSISTENT or job.step is not None:
        # user steps (a step sweep) carry their own O(h²) error: nothing to check there
        return res
    x = np.asarray(job.point, dtype=np.float64)
    why = _disagreement(c, x, np.asarray(res.values))
    if why:
        return _not_applicable(
            "complex-step",
            len(x),
            "complex128",
            f"the cost of case `{c.name}` seems to drop the imaginary part the complex step "
            f"needs (e.g. `np.real`, `float()` or a numpy function instead of `ctx`): {why}.",
        )
    _COMPLEX_CONSISTENT.add(c)
    return res


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


def _run_reference(job: _Job) -> GradientResult:
    n = len(job.point)
    try:
        values = reference_gradient(job.case, job.point, dps=job.dps)
    except NotApplicableError as exc:
        return _not_applicable("reference", n, "mp", _mp_reason(job.case, exc), job.dps)
    x = np.asarray(job.point, dtype=np.float64)
    why = _disagreement(job.case, x, np.asarray(values, dtype=np.float64))
    if why:
        return _not_applicable(
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


def _run_analytic(job: _Job) -> GradientResult:
    c = job.case
    n = len(job.point)
    if not c.has_gradient:
        return _not_applicable(
            "analytic", n, job.precision, f"case `{c.name}` has no analytic gradient."
        )
    ctx = context(job.precision, job.dps)
    values = c.grad(ctx.asarray(job.point), ctx)
    return GradientResult(
        values=values, nfev=0, steps=None, backend="analytic", precision=job.precision, dps=ctx.dps
    )


# -- peers ------------------------------------------------------------------------------
class _Counted:
    """A 1-D cost ``x -> C(x)`` for peers, counting points and following complex input."""

    def __init__(self, c: Case) -> None:
        self.case = c
        self.points = 0

    def __call__(self, x: Array) -> Any:
        x = np.asarray(x)
        self.points += int(np.prod(x.shape[:-1], dtype=np.int64)) if x.ndim > 1 else 1
        ctx = "complex128" if np.iscomplexobj(x) else "float64"
        return self.case.cost(x, ctx)


def _peer_guard(job: _Job, name: str, complex_input: bool) -> GradientResult | None:
    n = len(job.point)
    if job.precision != "float64":
        return _not_applicable(
            name,
            n,
            job.precision,
            f"peer backend `{name}` computes in float64 only, not `{job.precision}`.",
        )
    if complex_input and not job.case.complex_safe:
        return _not_applicable(
            name,
            n,
            "float64",
            f"case `{job.case.name}` is marked `complex_safe=False`, so `{name}` does not apply.",
        )
    if complex_input:
        probe = np.asarray(job.point, dtype=np.complex128)[None].copy()
        probe[0, 0] += 1e-20j
        _, reason = _complex_cost(job.case, probe)
        if reason:
            return _not_applicable(name, n, "float64", reason)
    return None


def _run_scipy(method: str, name: str) -> Callable[[_Job], GradientResult]:
    def run(job: _Job) -> GradientResult:
        guard = _peer_guard(job, name, method == "cs")
        if guard is not None:
            return guard
        from scipy.optimize._numdiff import approx_derivative

        x = np.asarray(job.point, dtype=np.float64)
        fun = _Counted(job.case)
        kw: dict[str, Any] = {}
        if job.step is not None:
            kw["abs_step"] = user_steps(job.step, len(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = approx_derivative(fun, x, method=method, **kw)
        steps = kw.get("abs_step")
        return GradientResult(
            values=np.asarray(g, dtype=np.float64).reshape(-1),
            nfev=fun.points,
            steps=steps,
            backend=name,
            precision="float64",
        )

    return run


def _run_scipy_differentiate(job: _Job) -> GradientResult:
    guard = _peer_guard(job, "scipy-differentiate", False)
    if guard is not None:
        return guard
    from scipy.differentiate import jacobian

    c = job.case
    x = np.asarray(job.point, dtype=np.float64)
    count = [0]

    def f(xi: Array) -> Array:
        pts = np.moveaxis(xi, 0, -1)
        count[0] += int(np.prod(pts.shape[:-1], dtype=np.int64))
        return c.cost(pts, "float64")

    kw: dict[str, Any] = {}
    if job.step is not None:
        kw["initial_step"] = user_steps(job.step, len(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = jacobian(f, x, **kw)
    return GradientResult(
        values=np.asarray(res.df, dtype=np.float64).reshape(-1),
        nfev=count[0],
        steps=kw.get("initial_step"),
        backend="scipy-differentiate",
        precision="float64",
        error_estimate=np.asarray(res.error, dtype=np.float64).reshape(-1),
    )


def _run_numdifftools(method: str, name: str) -> Callable[[_Job], GradientResult]:
    def run(job: _Job) -> GradientResult:
        guard = _peer_guard(job, name, method == "complex")
        if guard is not None:
            return guard
        import numdifftools as nd

        x = np.asarray(job.point, dtype=np.float64)
        fun = _Counted(job.case)
        kw: dict[str, Any] = {"method": method, "full_output": True}
        if job.step is not None:
            kw["step"] = user_steps(job.step, len(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = nd.Gradient(fun, **kw)(x)
        g, err = res.estimate, res.error_estimate
        return GradientResult(
            values=np.real(np.asarray(g)).astype(np.float64).reshape(-1),
            nfev=fun.points,
            steps=kw.get("step"),
            backend=name,
            precision="float64",
            error_estimate=np.asarray(err, dtype=np.float64).reshape(-1),
        )

    return run


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _build() -> tuple[dict[str, Backend], list[Backend]]:
    own = [
        Backend("analytic", "analytic", None, "the case's own gradient", run=_run_analytic),
        Backend("forward", "finite-difference", 1, "forward difference (C(v+h)−C(v))/h"),
        Backend("backward", "finite-difference", 1, "backward difference (C(v)−C(v−h))/h"),
        Backend("central", "finite-difference", 2, "central difference, 2 points"),
        Backend("central4", "finite-difference", 4, "central difference, 4 points (Fornberg)"),
        Backend("central6", "finite-difference", 6, "central difference, 6 points (Fornberg)"),
        Backend("central8", "finite-difference", 8, "central difference, 8 points (Fornberg)"),
        Backend(
            "richardson",
            "extrapolation",
            2 * RICHARDSON_LEVELS,
            f"central differences over a {RICHARDSON_LEVELS}-step ladder, Richardson "
            "extrapolated, with an error estimate",
            run=_run_richardson,
        ),
        Backend("complex-step", "complex-step", 2, "Im C(v + i h e_j) / h", run=_run_complex_step),
        Backend(
            "reference",
            "reference",
            None,
            "mp central difference at 3·dps+10 working digits, good to dps digits",
            run=_run_reference,
        ),
    ]
    own = [
        b
        if b.run is not None
        else Backend(b.name, b.kind, b.order, b.description, True, _run_fd(b.name))
        for b in own
    ]
    has_scipy = _importable("scipy")
    has_diff = has_scipy and _importable("scipy.differentiate")
    has_nd = _importable("numdifftools")
    peers = [
        Backend(
            "scipy-2point",
            "peer",
            1,
            "scipy approx_derivative 2-point",
            has_scipy,
            _run_scipy("2-point", "scipy-2point"),
        ),
        Backend(
            "scipy-3point",
            "peer",
            2,
            "scipy approx_derivative 3-point",
            has_scipy,
            _run_scipy("3-point", "scipy-3point"),
        ),
        Backend(
            "scipy-cs",
            "peer",
            2,
            "scipy approx_derivative complex step",
            has_scipy,
            _run_scipy("cs", "scipy-cs"),
        ),
        Backend(
            "scipy-differentiate",
            "peer",
            None,
            "scipy.differentiate.jacobian (adaptive)",
            has_diff,
            _run_scipy_differentiate,
        ),
        Backend(
            "numdifftools",
            "peer",
            None,
            "numdifftools.Gradient, central (adaptive)",
            has_nd,
            _run_numdifftools("central", "numdifftools"),
        ),
        Backend(
            "numdifftools-complex",
            "peer",
            None,
            "numdifftools.Gradient, complex step",
            has_nd,
            _run_numdifftools("complex", "numdifftools-complex"),
        ),
    ]
    has_jax = autodiff.available()
    ad = [
        Backend(
            "autodiff",
            "autodiff",
            None,
            "JAX reverse mode, jax.grad (jit)",
            has_jax,
            autodiff.run_reverse,
        ),
        Backend(
            "autodiff-fwd",
            "autodiff",
            None,
            "JAX forward mode, jvp over the basis (jit)",
            has_jax,
            autodiff.run_forward,
        ),
    ]
    everything = own + peers + ad
    return {b.name: b for b in everything if b.available}, everything


#: The backends available on this machine, by name.
BACKENDS, _ALL = _build()


def backends() -> list[str]:
    """Names of the backends available on this machine."""
    return list(BACKENDS)


def backends_frame() -> pd.DataFrame:
    """Every known backend: name, kind, order, description, available."""
    return pd.DataFrame(
        [
            {
                "name": b.name,
                "kind": b.kind,
                "order": b.order if b.order is not None else "",
                "description": b.description,
                "available": b.available,
            }
            for b in _ALL
        ]
    )


def _as_point(c: Case, point: Any, precision: str, backend: str) -> Array:
    if point is None:
        return c.point()
    if isinstance(point, str):
        return c.point(point)
    arr = np.asarray(point)
    if arr.dtype == object and (precision == "mp" or backend == "reference"):
        pass
    else:
        try:
            arr = np.asarray(point, dtype=np.float64)
        except (TypeError, ValueError):
            raise FirstOrderError(
                f"`point` must be an array of numbers, not `{point!r}`."
            ) from None
    if arr.ndim != 1:
        raise FirstOrderError(f"`point` must be 1-D, not of shape {arr.shape}.")
    if not c.accepts(arr.shape[0]):
        raise FirstOrderError(
            f"`point` has length {arr.shape[0]}, which case `{c.name}` does not accept."
        )
    return arr


def gradient(
    case: Case | str,
    point: Any = None,
    backend: str = "central",
    precision: str = "float64",
    step: Any = None,
    *,
    dps: int = DEFAULT_DPS,
    chunk_bytes: int | None = None,
) -> GradientResult:
    """The gradient of a case's cost by one backend.

    Parameters
    ----------
    case
        A :class:`~firstorder.Case` or a registered name.
    point
        The point, shape ``(n,)``, or a named point; default the case's ``x0``.
    backend
        One of :func:`backends`.
    precision
        ``"float64"``, ``"float32"`` or ``"mp"``. The complex step always computes in
        complex128 from the float64 point, ``reference`` always in mp at ``dps``.
    step
        A positive step, scalar or one per component, overriding the default
        ``eps^(1/(p+1)) · max(1, |v_j|)`` (``1e-20 · max(1, |v_j|)`` for the complex
        step; the largest step of the ladder for ``richardson``). Ignored by
        ``analytic`` and ``reference``, which choose their own.
    dps
        Digits of the ``mp`` context and of ``reference``.
    chunk_bytes
        Memory budget of one batched chunk of points (default
        :data:`DEFAULT_CHUNK_BYTES`).

    Returns
    -------
    GradientResult
        With ``status="not-applicable"`` and a reason when the backend cannot apply to
        the case (complex step on a non-analytic cost, reference on a cost failing in
        mp, peers outside float64).

    Raises
    ------
    FirstOrderError
        For an unknown backend, precision or case, an invalid step, point or budget.
    """
    c = case if isinstance(case, Case) else resolve_case(case)
    if backend not in BACKENDS:
        raise unknown("backend", backend, BACKENDS)
    if precision not in GRADIENT_PRECISIONS:
        raise unknown("precision", precision, GRADIENT_PRECISIONS)
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 5:
        raise FirstOrderError(f"`dps` must be an integer of at least 5, not `{dps}`.")
    budget = DEFAULT_CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer) or budget < 1:
        raise FirstOrderError(f"`chunk_bytes` must be a positive integer, not `{chunk_bytes}`.")
    v = _as_point(c, point, precision, backend)
    run = BACKENDS[backend].run
    assert run is not None
    return run(_Job(c, v, precision, step, dps, int(budget)))
