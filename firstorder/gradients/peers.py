"""Peer libraries as backends: one adapter per library, SciPy and numdifftools.

Each adapter hands the library a 1-D cost that counts the points it evaluates (so
``nfev`` compares fairly) and refuses, with a reason, what the library cannot do:
precisions other than float64, the complex step on a cost that is not analytic.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..case.model import Case
from ..numbers import Array
from .complex_step import complex_cost
from .result import GradientResult, Job, not_applicable
from .steps import user_steps

__all__ = ["importable", "run_numdifftools", "run_scipy", "run_scipy_differentiate"]


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


def _peer_guard(job: Job, name: str, complex_input: bool) -> GradientResult | None:
    n = len(job.point)
    if job.precision != "float64":
        return not_applicable(
            name,
            n,
            job.precision,
            f"peer backend `{name}` computes in float64 only, not `{job.precision}`.",
        )
    if complex_input and not job.case.complex_safe:
        return not_applicable(
            name,
            n,
            "float64",
            f"case `{job.case.name}` is marked `complex_safe=False`, so `{name}` does not apply.",
        )
    if complex_input:
        probe = np.asarray(job.point, dtype=np.complex128)[None].copy()
        probe[0, 0] += 1e-20j
        _, reason = complex_cost(job.case, probe)
        if reason:
            return not_applicable(name, n, "float64", reason)
    return None


def run_scipy(method: str, name: str) -> Callable[[Job], GradientResult]:
    def run(job: Job) -> GradientResult:
        guard = _peer_guard(job, name, method == "cs")
        if guard is not None:
            return guard
        from scipy.optimize._numdiff import approx_derivative

        x = np.asarray(job.point, dtype=np.float64)
        fun = _Counted(job.case)
        kw: dict[str, Any] = {}
        if job.step is not None and not (
            isinstance(job.step, str) and job.step in ("auto", "rule")
        ):
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


def run_scipy_differentiate(job: Job) -> GradientResult:
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
    if job.step is not None and not (isinstance(job.step, str) and job.step in ("auto", "rule")):
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


def run_numdifftools(method: str, name: str) -> Callable[[Job], GradientResult]:
    def run(job: Job) -> GradientResult:
        guard = _peer_guard(job, name, method == "complex")
        if guard is not None:
            return guard
        import numdifftools as nd

        x = np.asarray(job.point, dtype=np.float64)
        fun = _Counted(job.case)
        kw: dict[str, Any] = {"method": method, "full_output": True}
        if job.step is not None and not (
            isinstance(job.step, str) and job.step in ("auto", "rule")
        ):
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


def importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
