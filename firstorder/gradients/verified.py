"""A reference derivative that is shown only after it was verified in real arithmetic.

The complex step and the mp reference are far more accurate than any difference, but
only for a cost that carries their numbers through: ``float(...)`` drops the imaginary
part and the mp digits alike, ``np.real`` and ``abs`` drop the imaginary part, and
numpy's Cholesky treats a complex matrix as Hermitian, which makes the complex step
silently wrong. Nothing raises; the number is just false.

So each of them is used only where it agrees with Richardson-extrapolated central
differences in float64, which need nothing but real arithmetic, within the
extrapolation's own error estimate. Where neither agrees, the Richardson value is the
reference, with that estimate.

Only the components asked for are differenced: the cost is restricted to them (the
others held at the point), so locating two wrong components of a 1000-dimensional
gradient costs a few dozen cost evaluations, not thousands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..case.model import Case
from ..errors import FirstOrderError
from ..numbers import Array, Context, context
from .backends import GradientResult, gradient

__all__ = ["AGREEMENT", "VerifiedReference", "verified_partials"]

#: A candidate agrees with Richardson when their gap is within this many times the
#: sum of the two error estimates (an estimate is an estimate, not a bound).
AGREEMENT = 10.0
#: Digits of the mp candidate: far more than the float64 diagnosis shows.
MP_DPS = 30


@dataclass(frozen=True, eq=False)
class VerifiedReference:
    """Reference partial derivatives with the method that gave them and its error.

    Attributes
    ----------
    values : numpy.ndarray
        float64, one per component asked for (NaN where no method applied).
    error_estimate : numpy.ndarray
        The method's error estimate per component: the complex step's and mp's stated
        round-off, or the Richardson extrapolation's truncation plus round-off.
    method : str
        ``complex-step``, ``mp``, ``richardson`` or ``none``.
    rejected : tuple of str
        One sentence per candidate that was not used, saying why.
    """

    values: Array
    error_estimate: Array
    method: str
    rejected: tuple[str, ...] = ()


def _restricted(c: Case, v: Array, comps: list[int]) -> Case:
    """The cost as a function of the components ``comps`` only, the others held at ``v``."""
    n = len(v)

    def cost(u: Array, ctx: Context) -> Any:
        pts = np.empty((*u.shape[:-1], n), dtype=u.dtype)
        pts[...] = ctx.asarray(v)
        pts[..., comps] = u
        return c.cost(pts, ctx)

    return Case(
        name=c.name,
        cost_fn=cost,
        dim=len(comps),
        x0=tuple(float(v[i]) for i in comps),
        complex_safe=c.complex_safe,
        batched=True,
    )


def _stated_error(res: GradientResult, values: Array) -> Array:
    """The accuracy a candidate claims: about 10 ulps of its value."""
    if res.backend == "reference":
        return 10.0 ** -(MP_DPS - 2) * np.maximum(1.0, np.abs(values))
    return 10 * np.finfo(np.float64).eps * np.maximum(1e-300, np.abs(values))


def _richardson(r: Case, u: Array) -> tuple[Array, Array] | str:
    """Richardson values and error estimate, or why they could not be computed."""
    try:
        with np.errstate(all="ignore"):
            res = gradient(r, u, backend="richardson")
    except FirstOrderError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a user's cost may raise anything
        return f"the cost raised {type(exc).__name__} near the point: {exc}"
    vals = res.as_float()
    err = np.asarray(res.error_estimate, dtype=np.float64)
    if not (np.all(np.isfinite(vals)) and np.all(np.isfinite(err))):
        return "the cost is not finite at the Richardson steps around the point"
    return vals, err


def _loses_mp(r: Case, u: Array) -> str:
    """Why the cost cannot carry mp digits (it returns other numbers), or ``""``.

    A cost through ``float()`` gives an mp derivative of exactly 0, which agrees with
    real differences wherever the true derivative is 0 too: only its type tells.
    """
    mp = context("mp", MP_DPS)
    try:
        out = np.asarray(r.cost(mp.asarray(u), mp), dtype=object).reshape(-1)
    except Exception as exc:  # noqa: BLE001 - reported as the candidate's refusal
        return f"the cost fails in mp ({type(exc).__name__}: {exc})"
    lost = next((t for t in out if not hasattr(t, "_mpf_")), None)
    return f"the cost returns `{type(lost).__name__}` for mp input" if lost is not None else ""


def _candidate(r: Case, u: Array, backend: str) -> tuple[Array, Array] | str:
    """A complex-step or mp candidate, or why it does not apply."""
    if backend == "reference":
        why = _loses_mp(r, u)
        if why:
            return why
    try:
        with np.errstate(all="ignore"):
            res = gradient(r, u, backend=backend, dps=MP_DPS)
    except FirstOrderError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a user's cost may reject complex or mp input
        return f"the cost fails under `{backend}` ({type(exc).__name__}: {exc})"
    if not res.ok:
        return res.reason
    vals = res.as_float()
    if not np.all(np.isfinite(vals)):
        return f"`{backend}` gives a non-finite value"
    return vals, _stated_error(res, vals)


def verified_partials(c: Case, point: Any, components: Any) -> VerifiedReference:
    """Reference values of ``∂C/∂v_i`` at ``point`` for the given components.

    Parameters
    ----------
    c
        The case whose cost defines the truth.
    point
        The point, shape ``(n,)``.
    components
        0-based indices of the components wanted.

    Returns
    -------
    VerifiedReference
        From the complex step or mp where that agrees with Richardson-extrapolated
        central differences within ``AGREEMENT`` times their joint error estimate,
        else from those differences with their error estimate.
    """
    v = np.asarray(point, dtype=np.float64)
    comps = [int(i) for i in np.asarray(components, dtype=int).reshape(-1)]
    if not comps:
        return VerifiedReference(np.zeros(0), np.zeros(0), "none")
    r = _restricted(c, v, comps)
    u = v[comps]
    rich = _richardson(r, u)
    if isinstance(rich, str):
        nan = np.full(len(comps), np.nan)
        return VerifiedReference(nan, nan, "none", (f"richardson: {rich}",))
    rvals, rerr = rich
    rejected = []
    for backend, label in (("complex-step", "complex-step"), ("reference", "mp")):
        got = _candidate(r, u, backend)
        if isinstance(got, str):
            rejected.append(f"{label}: {got}")
            continue
        vals, err = got
        gap = np.abs(vals - rvals)
        if np.all(gap <= AGREEMENT * (rerr + err)):
            return VerifiedReference(vals, err, label, tuple(rejected))
        worst = int(np.argmax(gap / (rerr + err)))
        rejected.append(
            f"{label}: gives {vals[worst]:.6g} for component {comps[worst]}, where "
            f"real-arithmetic differences give {rvals[worst]:.6g} ± {rerr[worst]:.1g}"
        )
    return VerifiedReference(rvals, rerr, "richardson", tuple(rejected))
