"""Validation of a case at its start point: the checks a case must pass to be registered."""

from __future__ import annotations

from typing import Any

import numpy as np

from .model import Case, published_tolerance

__all__ = ["validate_case"]


def _close(a: Any, b: Any, rtol: float) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.nanmax(np.abs(b), initial=0.0)))
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
    diff = np.abs(np.nan_to_num(a - b, nan=0.0))
    return same_nan and bool(np.all(diff <= rtol * scale))


def validate_case(c: Case) -> str | None:
    """Check a case at its start point; return the first problem found, or None.

    Checks that the cost is a finite scalar at ``x0``, that there is a gradient of
    shape ``(n,)`` (and a Hessian of shape ``(n, n)`` where given), that batch
    evaluation agrees with point-by-point evaluation, and that a published value at
    ``x0`` is reproduced to the precision it is printed with.

    Parameters
    ----------
    c
        The case.

    Returns
    -------
    str or None
        One sentence naming the problem, or None when the case is valid.
    """
    with np.errstate(all="ignore"):
        return _validate(c)


def _validate(c: Case) -> str | None:
    x0 = c.point()
    n = len(x0)
    try:
        f0 = np.asarray(c.cost_fn(x0, _f64()) if c.batched else c.cost(x0))
    except Exception as exc:  # noqa: BLE001 - a case may raise anything
        return f"cost of case `{c.name}` raises {type(exc).__name__} at x0: {exc}"
    if f0.shape != ():
        return f"cost of case `{c.name}` is not scalar at x0: it has shape {f0.shape}."
    if not np.isfinite(f0):
        return f"cost of case `{c.name}` is not finite at x0: {float(f0)}."
    if c.grad_fn is None:
        return f"case `{c.name}` has no analytic gradient; attach one with `@{c.name}.gradient`."
    try:
        g0 = np.asarray(c.grad_fn(x0, _f64()) if c.batched else c.grad(x0))
    except Exception as exc:  # noqa: BLE001
        return f"gradient of case `{c.name}` raises {type(exc).__name__} at x0: {exc}"
    if g0.shape != (n,):
        return f"gradient of case `{c.name}` has shape {g0.shape} at x0; expected ({n},)."
    if not np.all(np.isfinite(g0)):
        return f"gradient of case `{c.name}` is not finite at x0."
    if c.hess_fn is not None:
        try:
            h0 = np.asarray(c.hess_fn(x0, _f64()) if c.batched else c.hess(x0))
        except Exception as exc:  # noqa: BLE001
            return f"Hessian of case `{c.name}` raises {type(exc).__name__} at x0: {exc}"
        if h0.shape != (n, n):
            return f"Hessian of case `{c.name}` has shape {h0.shape} at x0; expected ({n}, {n})."
    if c.value is not None:
        tol = published_tolerance(c.value)
        if not abs(float(f0) - float(c.value)) <= tol:
            return (
                f"cost of case `{c.name}` at x0 is {float(f0):.10g}, not the published "
                f"value `{c.value}`."
            )
    if c.batched:
        problem = _check_batch(c, x0)
        if problem:
            return problem
    return None


def _check_batch(c: Case, x0: np.ndarray) -> str | None:
    rng = np.random.default_rng(0)
    pts = x0 + 0.05 * (1 + np.abs(x0)) * rng.standard_normal((3, len(x0)))
    pts[0] = x0
    grid = pts.reshape(3, 1, len(x0))
    rtol = 1e3 * np.finfo(float).eps
    try:
        with np.errstate(all="ignore"):
            fb = np.asarray(c.cost_fn(grid, _f64()))
            fs = np.array([np.asarray(c.cost_fn(p, _f64())) for p in pts])
            gb = np.asarray(c.grad_fn(grid, _f64())) if c.grad_fn else None
            gs = np.array([np.asarray(c.grad_fn(p, _f64())) for p in pts]) if c.grad_fn else None
    except Exception as exc:  # noqa: BLE001
        return (
            f"case `{c.name}` raises {type(exc).__name__} on a batch of points of shape "
            f"(3, 1, {len(x0)}): {exc}; declare `batched=False` if it cannot batch."
        )
    if fb.shape != (3, 1):
        return (
            f"cost of case `{c.name}` returns shape {fb.shape} for a batch of shape "
            f"(3, 1, {len(x0)}); expected (3, 1)."
        )
    if not _close(fb[:, 0], fs, rtol):
        return f"batch evaluation of case `{c.name}` disagrees with point-by-point evaluation."
    if gb is not None and gs is not None:
        if gb.shape != (3, 1, len(x0)):
            return (
                f"gradient of case `{c.name}` returns shape {gb.shape} for a batch of shape "
                f"(3, 1, {len(x0)}); expected (3, 1, {len(x0)})."
            )
        if not _close(gb[:, 0], gs, rtol):
            return f"batch gradient of case `{c.name}` disagrees with point-by-point evaluation."
    return None


def _f64() -> Any:
    from ..numbers import context

    return context("float64")
