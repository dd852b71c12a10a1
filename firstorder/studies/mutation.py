"""Mutation testing of the verdicts: inject faults into analytic gradients.

Each mutant is the case with its analytic gradient replaced by a faulty one, written
against the context like the original (so it runs in float64 and mp alike). The Taylor
test — along the descent direction of the gradient under test and a seeded random
direction (:func:`firstorder.taylor.check.detect`) — must fail on it (detection) and name the
faulty components (location). Correct gradients, tested the same way at many seeded
points, must never fail (false alarms).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..case.loading import load_cases
from ..case.model import Case
from ..case.registry import Registry
from ..errors import FirstOrderError, choices
from ..numbers import Context, context

__all__ = [
    "DELTAS",
    "FAULTS",
    "MP_DELTAS",
    "Mutant",
    "MutationResult",
    "make_mutants",
    "mutate",
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
    point : numpy.ndarray or None
        Where to test it, when not at the mutants' common point.
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
    perturbed = _perturbed_mutant(c, v)
    if perturbed is not None:
        mutants.append(perturbed)
    return mutants, skipped


def _perturbed_mutant(c: Case, v: np.ndarray) -> Mutant | None:
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


@dataclass(frozen=True)
class MutationResult:
    """Detection, location and false alarms of the Taylor test on mutants.

    Attributes
    ----------
    mutants : pandas.DataFrame
        One row per mutant and precision: ``case``, ``precision``, ``kind``, ``delta``,
        ``rel_error`` (‖g_mutant − g‖∞ / ‖g‖∞ at the point), ``target`` (components
        aimed at), ``verdict``, ``detected``, ``located`` (the named components are the
        faulty ones), ``wrong_components``, ``reason``.
    false_alarms : pandas.DataFrame
        One row per case and precision: ``case``, ``precision``, ``draws``, ``alarms``,
        ``inconclusive``.
    skipped : tuple of str
        One sentence per mutant that changed nothing and was skipped.
    """

    mutants: pd.DataFrame
    false_alarms: pd.DataFrame
    skipped: tuple[str, ...]

    def detection(self) -> pd.DataFrame:
        """Detection and location rates per precision, fault kind and δ."""
        m = self.mutants.assign(delta=self.mutants["delta"].fillna(0.0))
        out = (
            m.groupby(["precision", "kind", "delta"], sort=False)
            .agg(
                mutants=("detected", "size"),
                detected=("detected", "mean"),
                located=("located", "mean"),
                min_rel_error=("rel_error", "min"),
            )
            .reset_index()
        )
        out["delta"] = out["delta"].where(out["delta"] > 0)
        precisions = list(dict.fromkeys(self.mutants["precision"]))
        out["_p"] = out["precision"].map(precisions.index)
        out["_k"] = out["kind"].map(FAULTS.index)
        out["_d"] = -out["delta"].fillna(0.0)
        return (
            out.sort_values(["_p", "_k", "_d"])
            .drop(columns=["_p", "_k", "_d"])
            .reset_index(drop=True)
        )

    def thresholds(self) -> pd.DataFrame:
        """Per precision: the smallest relative gradient error detected, the largest
        one missed, and the largest one missed where the test could resolve r1 (the
        rest were ``inconclusive``: the precision cannot see them at all)."""
        rows = []
        for precision, m in self.mutants.groupby("precision", sort=False):
            hit = m.loc[m["detected"], "rel_error"]
            miss = m.loc[~m["detected"], "rel_error"]
            resolved = m["verdict"] != "inconclusive"
            miss_resolved = m.loc[~m["detected"] & resolved, "rel_error"]
            rows.append(
                {
                    "precision": precision,
                    "smallest_detected": float(hit.min()) if len(hit) else np.nan,
                    "largest_missed": float(miss.max()) if len(miss) else np.nan,
                    "largest_missed_resolvable": (
                        float(miss_resolved.max()) if len(miss_resolved) else np.nan
                    ),
                    "inconclusive": int((~resolved).sum()),
                    "mutants": len(m),
                    "detected": int(m["detected"].sum()),
                    "located": int(m["located"].sum()),
                }
            )
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The per-mutant table."""
        return self.mutants.copy()


@dataclass(frozen=True)
class _Failed:
    """Stands in for a detector result when the test could not run."""

    reason: str
    verdict: str = "error"
    order: float = float("nan")
    wrong_components: tuple[int, ...] = ()


def _located(found: Sequence[int], target: Sequence[int], kind: str) -> bool:
    got = set(found)
    if not got:
        return False
    if kind in ("sign", "scale", "zero", "swap"):
        return got == set(target)
    return got <= set(target)


def _draw_points(c: Case, draws: int, seed: int) -> np.ndarray:
    pts = c.random_points(draws - 1, seed=seed) if draws > 1 else np.empty((0, c.dim))
    return np.vstack([c.point()[None, :], pts])


def mutate(
    cases: Iterable[Case | str] | None = None,
    *,
    tags: Iterable[str] = (),
    precisions: Sequence[str] = ("float64", "mp"),
    dps: int = 50,
    draws: int = 200,
    mp_draws: int = 10,
    mp_max_dim: int = 50,
    seed: int = 0,
    registry: Registry | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> MutationResult:
    """Run the Taylor test and the component location on every mutant of every case.

    Parameters
    ----------
    cases
        Cases or names (default: every registered case with an analytic gradient).
    tags
        Keep only cases with any of these tags.
    precisions
        ``"float64"``, ``"float32"``, ``"mp"``.
    dps
        Digits in mp.
    draws
        Seeded point/direction draws per case for the false-alarm rate in float
        precisions (x0 and ``draws − 1`` random points near it).
    mp_draws
        The same in mp, where each test costs far more.
    mp_max_dim
        Cases above this dimension are tested in float precisions only: an mp Taylor
        test and its bisection cost O(n) mp cost evaluations each.
    seed
        Seed of the directions and points.
    registry
        Where names are looked up (default: the built-in registry).
    progress
        Called as ``progress(done, total, label)`` after each case and precision.

    Returns
    -------
    MutationResult
    """
    from ..taylor.check import detect

    reg = registry if registry is not None else load_cases()
    valid = ("float64", "float32", "mp")
    for p in precisions:
        if p not in valid:
            raise FirstOrderError(f"unknown precision `{p}`; choose from {choices(valid)}.")
    picked = [] if cases is not None and not cases else reg.select(cases, tags)
    picked = [c for c in picked if c.grad_fn is not None]

    jobs = [(c, p) for c in picked for p in precisions if p != "mp" or c.dim <= mp_max_dim]
    rows: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    skipped: list[str] = []
    seen_skips: set[str] = set()
    for done, (c, precision) in enumerate(jobs, start=1):
        v = c.point()
        # the gradient error is measured in the precision under test: in mp a fault of
        # 1e-30 is invisible in float64
        cx = context(precision, dps if precision == "mp" else None)
        g_ref = c.grad(cx.asarray(v), cx)
        g_scale = float(np.max(np.abs(cx.to_float(g_ref))))
        mutants, skips = make_mutants(c, v, DELTAS + MP_DELTAS if precision == "mp" else DELTAS)
        for s in skips:
            if s not in seen_skips:
                seen_skips.add(s)
                skipped.append(s)
        for mt in mutants:
            at = v if mt.point is None else mt.point
            ref = g_ref if mt.point is None else c.grad(cx.asarray(at), cx)
            ref_scale = g_scale if mt.point is None else float(np.max(np.abs(cx.to_float(ref))))
            diff = cx.to_float(np.abs(mt.case.grad(cx.asarray(at), cx) - ref))
            rel = float(np.max(diff) / max(ref_scale, 1e-300))
            if rel <= ROUNDOFF_CHANGE * float(cx.eps):
                # e.g. swapping components equal to round-off: the mutant changes
                # nothing this precision can represent
                label = mt.kind if mt.delta is None else f"{mt.kind} {mt.delta:g}"
                skipped.append(
                    f"`{c.name}` {label} ({precision}): skipped, it changes the gradient by "
                    f"{rel:.1g} of its size, at round-off."
                )
                continue
            res: Any
            try:
                res = detect(mt.case, at, precision=precision, dps=dps, seed=seed)
            except FirstOrderError as exc:
                # e.g. a mutant gradient not finite in this precision: recorded, not fatal
                res = _Failed(f"not tested: {exc}")
            detected = res.verdict == "fail"
            found = tuple(int(k) for k in res.wrong_components)
            rows.append(
                {
                    "case": c.name,
                    "dim": c.dim,
                    "precision": precision,
                    "kind": mt.kind,
                    "delta": mt.delta,
                    "rel_error": rel,
                    "target": " ".join(map(str, mt.components[:20])),
                    "verdict": res.verdict,
                    "detected": detected,
                    "located": detected and _located(found, mt.components, mt.kind),
                    "wrong_components": " ".join(map(str, found[:20])),
                    "order": res.order,
                    "reason": res.reason,
                }
            )
        n_draws = mp_draws if precision == "mp" else draws
        pts = _draw_points(c, n_draws, seed)
        # the same detector as for the mutants: descent and a seeded random direction
        verdicts = [
            detect(c, pts[k], precision=precision, dps=dps, seed=seed + k).verdict
            for k in range(n_draws)
        ]
        alarms.append(
            {
                "case": c.name,
                "dim": c.dim,
                "precision": precision,
                "draws": n_draws,
                "alarms": sum(v == "fail" for v in verdicts),
                "inconclusive": sum(v == "inconclusive" for v in verdicts),
            }
        )
        if progress is not None:
            progress(done, len(jobs), f"{c.name} {precision}")
    return MutationResult(pd.DataFrame(rows), pd.DataFrame(alarms), tuple(skipped))
