"""The faults that mutation testing injects into an analytic gradient.

Each :class:`Mutant` is a case whose analytic gradient is replaced by a faulty one,
written against the context like the original (so it runs in float64 and mp alike):
one component's sign flipped, scaled by 1 + δ, two components swapped, one zeroed, a
dropped term, the gradient at a shifted point, a transposed parameter block.
:mod:`.mutation` runs the Taylor test on each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..case.model import Case
from ..errors import FirstOrderError
from ..numbers import Context, context

__all__ = [
    "DELTAS",
    "FAULTS",
    "MP_DELTAS",
    "PERTURBATION",
    "PERTURBED_DELTA",
    "PERTURBED_SHIFT",
    "ROUNDOFF_CHANGE",
    "Mutant",
    "make_mutants",
    "perturbed_mutant",
]

#: Relative sizes of the scaled-component fault.
DELTAS: tuple[float, ...] = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)
#: Further sizes tried in mp only, where the floor is tens of decades lower.
MP_DELTAS: tuple[float, ...] = (1e-15, 1e-20, 1e-25, 1e-30)
#: Fault kinds, in report order.
FAULTS: tuple[str, ...] = (
    "sign",
    "scale",
    "scale-perturbed",
    "swap",
    "zero",
    "dropped-term",
    "shifted-point",
    "transposed-block",
)
#: A mutant changing the gradient by at most this many eps (relative) changes nothing.
ROUNDOFF_CHANGE = 16
#: Relative size of the dropped term and of the point shift.
PERTURBATION = 1e-3
#: The ``scale-perturbed`` fault: the largest component ×(1 + this), tested at a
#: seeded point near x0 (where no component is special), as a user's would be.
PERTURBED_DELTA = 1e-6
#: Relative distance of that point from x0.
PERTURBED_SHIFT = 0.05

GradFn = Callable[[Any, Context], Any]


@dataclass(frozen=True)
class Mutant:
    """One faulty gradient of a case.

    Attributes
    ----------
    case : Case
        The case with its analytic gradient replaced by the faulty one.
    kind : str
        One of :data:`FAULTS`.
    delta : float or None
        The relative size of a ``scale`` fault.
    components : tuple of int
        The components the fault was aimed at (0-based).
    point : ndarray or None
        Where the mutant is tested, if not where the others are (``scale-perturbed``).
    """

    case: Case
    kind: str
    delta: float | None
    components: tuple[int, ...]
    point: np.ndarray | None = None


def _copy(g: Any) -> np.ndarray:
    return np.array(g, copy=True)


def _sign(orig: GradFn, i: int) -> GradFn:
    def grad(v: Any, ctx: Context) -> Any:
        g = _copy(orig(v, ctx))
        g[..., i] = -g[..., i]
        return g

    return grad


def _scale(orig: GradFn, i: int, delta: float) -> GradFn:
    def grad(v: Any, ctx: Context) -> Any:
        g = _copy(orig(v, ctx))
        g[..., i] = g[..., i] * (1 + ctx.const(repr(delta)))
        return g

    return grad


def _swap(orig: GradFn, i: int, j: int) -> GradFn:
    def grad(v: Any, ctx: Context) -> Any:
        g = _copy(orig(v, ctx))
        g[..., [i, j]] = g[..., [j, i]]
        return g

    return grad


def _zero(orig: GradFn, i: int) -> GradFn:
    def grad(v: Any, ctx: Context) -> Any:
        g = _copy(orig(v, ctx))
        g[..., i] = 0 * g[..., i]
        return g

    return grad


def _dropped(orig: GradFn, weight: np.ndarray) -> GradFn:
    """The gradient of C(v) + Σ_i w_i sin(v_i): a term the gradient forgot to drop."""

    def grad(v: Any, ctx: Context) -> Any:
        return orig(v, ctx) + ctx.asarray(weight) * ctx.cos(v)

    return grad


def _shifted(orig: GradFn, shift: np.ndarray) -> GradFn:
    """The gradient at ``v + shift``: evaluated at a slightly wrong point."""

    def grad(v: Any, ctx: Context) -> Any:
        return orig(v + ctx.asarray(shift), ctx)

    return grad


def _transposed(orig: GradFn, m: int) -> GradFn:
    """The leading m×m block of parameters read transposed (row- vs column-major)."""
    perm = np.arange(m * m).reshape(m, m).T.ravel()

    def grad(v: Any, ctx: Context) -> Any:
        g = _copy(orig(v, ctx))
        g[..., : m * m] = g[..., perm]
        return g

    return grad


def _rel_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = max(float(np.max(np.abs(a))), np.finfo(float).tiny)
    return np.abs(b - a) / scale


def make_mutants(
    c: Case, point: np.ndarray | None = None, deltas: Sequence[float] = DELTAS
) -> tuple[list[Mutant], list[str]]:
    """Every fault of :data:`FAULTS` injected into ``c``'s gradient.

    Single-component faults hit the component with the largest ``|∂C/∂v_i|`` at the
    point (so every fault changes the gradient); swaps exchange it with the component
    most different from it. A mutant that would not change the gradient at the point
    (swapping equal components, transposing a symmetric block) is skipped.

    Parameters
    ----------
    c
        The case; it needs an analytic gradient.
    point
        Where the mutants will be tested (default ``x0``).
    deltas
        Relative sizes of the ``scale`` fault.

    Returns
    -------
    mutants : list of Mutant
    skipped : list of str
        One sentence per skipped mutant, saying why.
    """
    if c.grad_fn is None:
        raise FirstOrderError(f"case `{c.name}` has no analytic gradient to mutate.")
    v = c.point() if point is None else np.asarray(point, dtype=float)
    g = np.asarray(c.grad(v), dtype=float)
    n = len(g)
    orig = c.grad_fn
    i = int(np.argmax(np.abs(g)))
    j = int(np.argmax(np.abs(g - g[i]))) if n > 1 else i
    gnorm = float(np.max(np.abs(g)))
    weight = PERTURBATION * max(gnorm, 1.0) * np.ones(n)
    # relative to each variable's own size, so badly scaled variables (features at
    # 1e-6, say) move by a fraction of their scale, not off the cost's domain
    typical = float(np.max(np.abs(v))) or 1.0
    shift = PERTURBATION * np.where(v != 0, np.abs(v), typical)
    m = int(np.sqrt(min(n, 64)))

    specs: list[tuple[str, float | None, tuple[int, ...], GradFn | None, str]] = []
    specs.append(("sign", None, (i,), _sign(orig, i), ""))
    for size in deltas:
        specs.append(("scale", size, (i,), _scale(orig, i, size), ""))
    same = n < 2 or g[i] == g[j]
    specs.append(
        (
            "swap",
            None,
            (i, j),
            None if same else _swap(orig, i, j),
            "all components are equal at the point, so a swap changes nothing",
        )
    )
    specs.append(("zero", None, (i,), _zero(orig, i), ""))
    specs.append(("dropped-term", None, tuple(range(n)), _dropped(orig, weight), ""))
    specs.append(("shifted-point", None, tuple(range(n)), _shifted(orig, shift), ""))
    block = g[: m * m].reshape(m, m) if m >= 2 else None
    symmetric = block is None or np.array_equal(block, block.T)
    specs.append(
        (
            "transposed-block",
            None,
            tuple(range(m * m)),
            None if symmetric else _transposed(orig, m),
            "n < 4 or the leading block of the gradient is symmetric, so a transpose "
            "changes nothing",
        )
    )
    if g[i] == 0:
        # a zero gradient: sign, scale and zero faults change nothing
        specs = [s if s[0] not in ("sign", "scale", "zero") else (*s[:3], None, "") for s in specs]

    mutants: list[Mutant] = []
    skipped: list[str] = []
    for kind, delta, comps, fn, why in specs:
        label = kind if delta is None else f"{kind} {delta:g}"
        if fn is None:
            skipped.append(f"`{c.name}` {label}: skipped, {why or 'the gradient is zero there'}.")
            continue
        with np.errstate(all="ignore"):
            gm = np.asarray(fn(v[None, :], context("float64"))[0], dtype=float)
        if not np.all(np.isfinite(gm)):
            skipped.append(f"`{c.name}` {label}: skipped, the mutant gradient is not finite.")
            continue
        if kind in ("dropped-term", "shifted-point", "transposed-block"):
            changed = _rel_change(g, gm) > 0
            comps = tuple(int(k) for k in np.flatnonzero(changed))
        mc = dataclasses.replace(c, name=f"{c.name}~{kind}", grad_fn=fn)
        mutants.append(Mutant(mc, kind, delta, comps))
    perturbed = perturbed_mutant(c, v)
    if perturbed is not None:
        mutants.append(perturbed)
    return mutants, skipped


def perturbed_mutant(c: Case, v: np.ndarray) -> Mutant | None:
    """The largest component ×(1 + PERTURBED_DELTA) at a seeded point near ``v``
    (None where the cost or gradient is not finite there, or the gradient is zero)."""
    rng = np.random.default_rng(20261)
    u = rng.standard_normal(len(v))
    vp = v + PERTURBED_SHIFT * u * np.where(v != 0, np.abs(v), 1.0)
    with np.errstate(all="ignore"):
        try:
            gp = np.asarray(c.grad(vp), dtype=float)
            ok = np.isfinite(float(np.asarray(c.cost(vp, "float64")))) and np.all(np.isfinite(gp))
        except Exception:  # noqa: BLE001 - a point outside the domain: no such mutant
            return None
    if not ok or not np.any(gp):
        return None
    i = int(np.argmax(np.abs(gp)))
    fn = _scale(c.grad_fn, i, PERTURBED_DELTA)  # type: ignore[arg-type]
    mc = dataclasses.replace(c, name=f"{c.name}~scale-perturbed", grad_fn=fn)
    return Mutant(mc, "scale-perturbed", PERTURBED_DELTA, (i,), vp)
