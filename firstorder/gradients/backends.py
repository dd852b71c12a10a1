"""The gradient backends, one table: what each computes and what it promises.

Every backend is one :class:`Backend` record, carrying its kind, its order in the
step, the accuracy exponent ``q`` of its error ``~eps^q``, the precision it computes
in whatever is asked, and whether it has a step or is exact. The error budget
(:mod:`.budget`), the grid run and the step sweep read these facts from here. Adding a
backend is adding one entry to :func:`_build`.

The schemes live beside: :mod:`.finite_difference`, :mod:`.complex_step`,
:mod:`.reference` and the peer adapters in :mod:`.peers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..case.loading import resolve_case
from ..case.model import Case
from ..case.points import as_point
from ..errors import FirstOrderError, unknown
from ..numbers import DEFAULT_DPS, Array, context
from ..vocab import GRADIENT_PRECISIONS, Precision
from . import autodiff
from .complex_step import run_complex_step
from .finite_difference import RICHARDSON_LEVELS, run_fd, run_richardson
from .peers import importable, run_numdifftools, run_scipy, run_scipy_differentiate
from .reference import run_reference
from .result import GradientResult, Job, not_applicable
from .richardson import AUTO_LADDER

if TYPE_CHECKING:
    import pandas as pd

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


@dataclass(frozen=True)
class Backend:
    """A registered gradient backend and the facts the rest of firstorder reads from it.

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
    run : callable
        ``run(job) -> GradientResult``.
    accuracy : float or None
        The exponent ``q`` of its nominal relative accuracy ``eps^q``: ``p/(p+1)`` for
        a stencil of order ``p`` at its balanced step, 1 for the complex step. None
        for the analytic gradient (no formula error) and the reference (good to its
        digits).
    native : str or None
        The precision it computes in whatever is asked (``complex128`` for the
        complex step, ``mp`` for the reference, ``float64`` for peers), None when it
        follows the requested precision.
    stepped : bool
        Whether it takes a user step that a step sweep can scan.
    exact : bool
        Whether it has no formula error to budget (analytic, reference): cheap in mp.
    """

    name: str
    kind: str
    order: int | None
    description: str
    available: bool = True
    run: Callable[[Job], GradientResult] | None = field(default=None, repr=False, compare=False)
    accuracy: float | None = None
    native: Precision | None = None
    stepped: bool = False
    exact: bool = False

    def relative_accuracy(self, precision: str, dps: int) -> float | None:
        """Nominal relative accuracy ``eps^q`` in ``precision`` (None: no formula error)."""
        if self.kind == "reference":
            return 10.0 ** (-dps)
        if self.accuracy is None:
            return None
        where = "float64" if self.native == "complex128" else (self.native or precision)
        eps = float(context(where, dps if where == "mp" else None).eps)
        return eps**self.accuracy


def _stencil(name: str, order: int, description: str) -> Backend:
    return Backend(
        name,
        "finite-difference",
        order,
        description,
        run=run_fd(name),
        accuracy=order / (order + 1),
        stepped=True,
    )


def _peer(
    name: str, order: int | None, description: str, available: bool, run: Any, q: float
) -> Backend:
    return Backend(name, "peer", order, description, available, run, accuracy=q, native="float64")


def _run_analytic(job: Job) -> GradientResult:
    c = job.case
    n = len(job.point)
    if not c.has_gradient:
        return not_applicable(
            "analytic", n, job.precision, f"case `{c.name}` has no analytic gradient."
        )
    ctx = context(job.precision, job.dps)
    values = c.grad(ctx.asarray(job.point), ctx)
    return GradientResult(
        values=values, nfev=0, steps=None, backend="analytic", precision=job.precision, dps=ctx.dps
    )


def _own() -> list[Backend]:
    """firstorder's own backends, one entry each."""
    return [
        Backend(
            "analytic", "analytic", None, "the case's own gradient", run=_run_analytic, exact=True
        ),
        _stencil("forward", 1, "forward difference (C(v+h)−C(v))/h"),
        _stencil("backward", 1, "backward difference (C(v)−C(v−h))/h"),
        _stencil("central", 2, "central difference, 2 points"),
        _stencil("central4", 4, "central difference, 4 points (Fornberg)"),
        _stencil("central6", 6, "central difference, 6 points (Fornberg)"),
        _stencil("central8", 8, "central difference, 8 points (Fornberg)"),
        Backend(
            "richardson",
            "extrapolation",
            2 * RICHARDSON_LEVELS,
            f"central differences over a ladder of steps ({AUTO_LADDER} automatic, or "
            f"{RICHARDSON_LEVELS} from a given step), Richardson extrapolated, with an "
            "error estimate",
            run=run_richardson,
            accuracy=6 / 7,
            stepped=True,
        ),
        Backend(
            "complex-step",
            "complex-step",
            2,
            "Im C(v + i h e_j) / h",
            run=run_complex_step,
            accuracy=1.0,
            native="complex128",
            stepped=True,
        ),
        Backend(
            "reference",
            "reference",
            None,
            "mp central difference at 3·dps+10 working digits, good to dps digits",
            run=run_reference,
            native="mp",
            exact=True,
        ),
    ]


def _peers() -> list[Backend]:
    """The peer libraries' backends (unavailable where the library is not installed)."""
    scipy = importable("scipy")
    diff = scipy and importable("scipy.differentiate")
    nd = importable("numdifftools")
    return [
        _peer(
            "scipy-2point",
            1,
            "scipy approx_derivative 2-point",
            scipy,
            run_scipy("2-point", "scipy-2point"),
            1 / 2,
        ),
        _peer(
            "scipy-3point",
            2,
            "scipy approx_derivative 3-point",
            scipy,
            run_scipy("3-point", "scipy-3point"),
            2 / 3,
        ),
        _peer(
            "scipy-cs",
            2,
            "scipy approx_derivative complex step",
            scipy,
            run_scipy("cs", "scipy-cs"),
            1.0,
        ),
        _peer(
            "scipy-differentiate",
            None,
            "scipy.differentiate.jacobian (adaptive)",
            diff,
            run_scipy_differentiate,
            3 / 4,
        ),
        _peer(
            "numdifftools",
            None,
            "numdifftools.Gradient, central (adaptive)",
            nd,
            run_numdifftools("central", "numdifftools"),
            3 / 4,
        ),
        _peer(
            "numdifftools-complex",
            None,
            "numdifftools.Gradient, complex step",
            nd,
            run_numdifftools("complex", "numdifftools-complex"),
            1.0,
        ),
    ]


def _autodiff() -> list[Backend]:
    """JAX's reverse and forward modes (exact to round-off, float64 only)."""
    has_jax = autodiff.available()
    return [
        Backend(
            "autodiff",
            "autodiff",
            None,
            "JAX reverse mode, jax.grad (jit)",
            has_jax,
            autodiff.run_reverse,
            native="float64",
            exact=True,
        ),
        Backend(
            "autodiff-fwd",
            "autodiff",
            None,
            "JAX forward mode, jvp over the basis (jit)",
            has_jax,
            autodiff.run_forward,
            native="float64",
            exact=True,
        ),
    ]


def _build() -> tuple[dict[str, Backend], list[Backend]]:
    """Every known backend; the available ones by name."""
    everything = _own() + _peers() + _autodiff()
    return {b.name: b for b in everything if b.available}, everything


#: The backends available on this machine, by name.
BACKENDS, _ALL = _build()


def backends() -> list[str]:
    """Names of the backends available on this machine."""
    return list(BACKENDS)


def backends_frame() -> pd.DataFrame:
    """Every known backend: name, kind, order, description, available."""
    import pandas as pd

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
    return as_point(point, c, keep_objects=precision == "mp" or backend == "reference")


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
        ``"auto"`` (the default, also for None): each component's step from the
        measured noise of the cost and its measured higher derivative (see
        :mod:`firstorder.gradients.steps`); ``"rule"``: SciPy's fixed
        ``eps^(1/(p+1)) · max(1, |v_j|)``; or a positive step, scalar or one per
        component (the largest step of the ladder for ``richardson``). The complex step
        uses ``1e-20 · max(1, |v_j|)`` unless given one. Ignored by ``analytic`` and
        ``reference``, which choose their own.
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
    return run(Job(c, v, precision, step, dps, int(budget)))
