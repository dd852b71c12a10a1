"""The complex step: ``∂C/∂v_j = Im C(v + i h e_j) / h``, with no subtraction.

Squire & Trapp (1998), Martins, Sturdza & Alonso (2003). With no difference to lose
digits to, the step can be tiny (``1e-20 · max(1, |v_j|)``) and the result is good to
float64 round-off. It needs a cost that is analytic and keeps the imaginary part; a
cost that drops it is refused with a reason, never turned into a silent wrong number.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from ..case.model import Case
from ..numbers import Array, context
from .crosscheck import disagreement
from .evaluate import rows_per_chunk
from .result import GradientResult, Job, not_applicable
from .steps import complex_steps, user_steps

__all__ = ["complex_cost", "run_complex_step"]

_COMPLEX = context("complex128")
#: Cases whose cost ran clean under complex input (no complex-to-real cast).
_COMPLEX_CLEAN: weakref.WeakSet[Case] = weakref.WeakSet()


def complex_cost(c: Case, pts: Array) -> tuple[Array | None, str]:
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


def run_complex_step(job: Job) -> GradientResult:
    c = job.case
    x = np.asarray(job.point, dtype=np.float64)
    n = x.shape[0]
    if not c.complex_safe:
        return not_applicable(
            "complex-step",
            n,
            "complex128",
            f"case `{c.name}` is marked `complex_safe=False` (its cost is not analytic), "
            "so the complex step does not apply.",
        )
    # The complex step has no subtraction: "auto" and "rule" both take its tiny step.
    fixed = job.step is None or (isinstance(job.step, str) and job.step in ("auto", "rule"))
    h = complex_steps(x) if fixed else user_steps(job.step, n)
    m = rows_per_chunk(job.chunk_bytes, 1, n, 16)
    if m >= n:
        # One chunk: the common small-n case, kept lean.
        pts = np.empty((n, n), dtype=np.complex128)
        pts[...] = x
        np.fill_diagonal(pts.imag, h)
        f, reason = complex_cost(c, pts)
        if f is None:
            return not_applicable("complex-step", n, "complex128", reason)
        return _complex_checked(
            job,
            GradientResult(
                values=f.imag / h,
                nfev=n,
                steps=h,
                backend="complex-step",
                precision="complex128",
                step_rule=_rule(job),
            ),
        )
    out = np.empty(n, dtype=np.float64)
    for a in range(0, n, m):
        b = min(n, a + m)
        pts = np.empty((b - a, n), dtype=np.complex128)
        pts[...] = x
        # Add i h_j at entry j of row j - a.
        np.fill_diagonal(pts[:, a:b].imag, h[a:b])
        f, reason = complex_cost(c, pts)
        if f is None:
            return not_applicable("complex-step", n, "complex128", reason)
        np.divide(f.imag, h[a:b], out=out[a:b])
    return _complex_checked(
        job,
        GradientResult(
            values=out,
            nfev=n,
            steps=h,
            backend="complex-step",
            precision="complex128",
            step_rule=_rule(job),
        ),
    )


def _complex_checked(job: Job, res: GradientResult) -> GradientResult:
    """Refuse a complex-step gradient a float64 difference contradicts (first use per case)."""
    c = job.case
    if c in _COMPLEX_CONSISTENT or _rule(job) == "user":
        # user steps (a step sweep) carry their own O(h²) error: nothing to check there
        return res
    x = np.asarray(job.point, dtype=np.float64)
    why = disagreement(c, x, np.asarray(res.values))
    if why:
        return not_applicable(
            "complex-step",
            len(x),
            "complex128",
            f"the cost of case `{c.name}` seems to drop the imaginary part the complex step "
            f"needs (e.g. `np.real`, `float()` or a numpy function instead of `ctx`): {why}.",
        )
    _COMPLEX_CONSISTENT.add(c)
    return res


def _rule(job: Job) -> str:
    named = job.step is None or (isinstance(job.step, str) and job.step in ("auto", "rule"))
    return "rule" if named else "user"
