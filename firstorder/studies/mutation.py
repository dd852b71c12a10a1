"""Mutation testing of the verdicts: inject faults into analytic gradients.

Each mutant is the case with its analytic gradient replaced by a faulty one, written
against the context like the original (so it runs in float64 and mp alike). The Taylor
test — along the descent direction of the gradient under test and a seeded random
direction (:func:`firstorder.taylor.check.detect`) — must fail on it (detection) and name the
faulty components (location). Correct gradients, tested the same way at many seeded
points, must never fail (false alarms).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..case.loading import load_cases
from ..case.model import Case
from ..case.registry import Registry
from ..errors import FirstOrderError, unknown
from ..numbers import context
from .memo import memoised
from .mutants import (
    DELTAS,
    FAULTS,
    MP_DELTAS,
    ROUNDOFF_CHANGE,
    Mutant,
    make_mutants,
)
from .mutation_result import MutationResult

__all__ = [
    "DELTAS",
    "FAULTS",
    "MP_DELTAS",
    "MP_REPRESENTATIVE",
    "Mutant",
    "MutationResult",
    "MutationTask",
    "Outcome",
    "TaskOutput",
    "make_mutants",
    "mutate",
    "run_mutation_task",
]

#: The cases the default ``firstorder mutate`` also mutates in mp (every case is mutated
#: in float64): one of each kind of cost — a polynomial valley, a quadratic, a badly
#: scaled least-squares problem, huge values, a stationary point, a rational and an
#: exponential least-squares problem, a one-dimensional cost, an exponential, the seed,
#: a linear cost — each a few seconds in mp. The larger sums of exponentials (osborne2,
#: gulf, osborne1, biggs_exp6) take minutes each there; ``--full`` runs every case.
MP_REPRESENTATIVE: tuple[str, ...] = (
    "rosenbrock",
    "booth",
    "powell_badly_scaled",
    "huge_scale",
    "stationary_saddle",
    "bard",
    "box_3d",
    "squire_trapp",
    "exp_growth",
    "seed",
    "linear",
)


@dataclass(frozen=True)
class Outcome:
    """What the detector said about one mutant (or that it could not test it).

    Attributes
    ----------
    verdict : str
        The detector's verdict, or ``error`` when the test could not run.
    reason : str
        One line saying why.
    order : float
        The fitted order of r1 (NaN when not tested).
    wrong_components : tuple of int
        The components the detector named (0-based).
    """

    verdict: str
    reason: str
    order: float
    wrong_components: tuple[int, ...]

    @classmethod
    def of(cls, res: Any) -> Outcome:
        """The outcome of a detector result (:class:`~firstorder.taylor.check.CheckResult`)."""
        found = tuple(int(k) for k in res.wrong_components)
        return cls(res.verdict, res.reason, float(res.order), found)

    @classmethod
    def not_tested(cls, exc: Exception) -> Outcome:
        """The outcome of a mutant the detector refused (e.g. not finite in mp)."""
        return cls("error", f"not tested: {exc}", float("nan"), ())


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


@dataclass(frozen=True)
class MutationTask:
    """One case in one precision: its mutants and its false-alarm draws.

    Small and picklable: a registered case travels by name and is loaded in the worker
    with ``case_paths``; a case object the caller built travels as itself.
    """

    case: Case | str
    precision: str
    dps: int
    draws: int
    seed: int
    case_paths: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``name precision``, for progress."""
        name = self.case if isinstance(self.case, str) else self.case.name
        return f"{name} {self.precision}"


@dataclass(frozen=True)
class TaskOutput:
    """The rows one :class:`MutationTask` adds to the :class:`MutationResult` tables."""

    mutants: tuple[dict[str, Any], ...]
    alarms: dict[str, Any]
    skipped: tuple[str, ...]


def _test_mutant(
    name: str, mt: Mutant, v: np.ndarray, task: MutationTask, rel: float
) -> dict[str, Any]:
    """The detector on one mutant: one row of the mutant table."""
    from ..taylor.check import detect

    try:
        out = Outcome.of(detect(mt.case, v, precision=task.precision, dps=task.dps, seed=task.seed))
    except FirstOrderError as exc:
        # e.g. a mutant gradient not finite in this precision: recorded, not fatal
        out = Outcome.not_tested(exc)
    detected = out.verdict == "fail"
    return {
        "case": name,
        "dim": mt.case.dim,
        "precision": task.precision,
        "kind": mt.kind,
        "delta": mt.delta,
        "rel_error": rel,
        "target": " ".join(map(str, mt.components[:20])),
        "verdict": out.verdict,
        "detected": detected,
        "located": detected and _located(out.wrong_components, mt.components, mt.kind),
        "wrong_components": " ".join(map(str, out.wrong_components[:20])),
        "order": out.order,
        "reason": out.reason,
    }


def _mutant_rows(c: Case, task: MutationTask) -> tuple[list[dict[str, Any]], list[str]]:
    """Every mutant of ``c`` at ``x0`` through the detector, in the task's precision."""
    v = c.point()
    precision = task.precision
    # the gradient error is measured in the precision under test: in mp a fault of
    # 1e-30 is invisible in float64
    cx = context(precision, task.dps if precision == "mp" else None)
    g_ref = c.grad(cx.asarray(v), cx)
    g_scale = float(np.max(np.abs(cx.to_float(g_ref))))
    mutants, skipped = make_mutants(c, v, DELTAS + MP_DELTAS if precision == "mp" else DELTAS)
    rows = []
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
        rows.append(_test_mutant(c.name, mt, at, task, rel))
    return rows, skipped


def _false_alarms(c: Case, task: MutationTask, at_x0: Case | None = None) -> dict[str, Any]:
    """The correct gradient through the same detector at ``draws`` seeded points.

    ``at_x0``, the same case memoised by the mutants' tests, serves the first draw: it
    is at x0 with the mutants' seed, so its random direction's sweep (the cost values,
    which do not depend on the gradient under test) is already there.
    """
    from ..taylor.check import detect

    pts = _draw_points(c, task.draws, task.seed)
    cases = [c] * task.draws
    if at_x0 is not None and task.draws:
        cases[0] = at_x0
    verdicts = [
        detect(cases[k], pts[k], precision=task.precision, dps=task.dps, seed=task.seed + k).verdict
        for k in range(task.draws)
    ]
    return {
        "case": c.name,
        "dim": c.dim,
        "precision": task.precision,
        "draws": task.draws,
        "alarms": sum(v == "fail" for v in verdicts),
        "inconclusive": sum(v == "inconclusive" for v in verdicts),
    }


def run_mutation_task(task: MutationTask) -> TaskOutput:
    """Run one task (in whatever process the executor chose)."""
    from ..case.loading import resolve_case

    # every mutant shares the case's cost: evaluations repeated across mutants (the
    # random direction, the bisection blocks) are done once
    c = resolve_case(task.case, task.case_paths)
    shared = memoised(c)
    rows, skipped = _mutant_rows(shared, task)
    # the other draws are at distinct points: nothing to share, only memory to spend
    return TaskOutput(tuple(rows), _false_alarms(c, task, at_x0=shared), tuple(skipped))


def _pick(cases: Iterable[Case | str] | None, tags: Iterable[str], reg: Registry) -> list[Case]:
    """The cases to mutate: those picked (the registry's one selector), with an analytic
    gradient."""
    picked = [] if cases is not None and not cases else reg.select(cases, tags)
    return [c for c in picked if c.grad_fn is not None]


def mutate(
    cases: Iterable[Case | str] | None = None,
    *,
    tags: Iterable[str] = (),
    precisions: Sequence[str] = ("float64", "mp"),
    dps: int = 50,
    draws: int = 200,
    mp_draws: int = 10,
    mp_max_dim: int = 50,
    mp_cases: Iterable[str] | None = None,
    seed: int = 0,
    registry: Registry | None = None,
    case_paths: Iterable[str] = (),
    executor: Executor | None = None,
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
    mp_cases
        Names of the cases also tested in mp (default: every one picked); the others
        are tested in float precisions only. :data:`MP_REPRESENTATIVE` is the default
        command's choice.
    seed
        Seed of the directions and points.
    registry
        Where names are looked up (default: the built-in registry plus ``case_paths``).
    case_paths
        Extra case paths the registry was loaded with: workers load names from them.
    executor
        Runs the (case, precision) tasks, e.g. a ``ProcessPoolExecutor``; None runs
        them serially here. Results are the same either way.
    progress
        Called as ``progress(done, total, label)`` after each case and precision.

    Returns
    -------
    MutationResult
    """
    paths = tuple(str(p) for p in case_paths)
    reg = registry if registry is not None else load_cases(*paths)
    valid = ("float64", "float32", "mp")
    for p in precisions:
        if p not in valid:
            raise unknown("precision", p, valid)
    picked = _pick(cases, tags, reg)
    in_mp = None if mp_cases is None else set(mp_cases)
    for name in sorted(in_mp or ()):
        if name not in reg:
            raise unknown("case", name, reg)
    # to another process a registered case travels by name (its functions may live in
    # a file the worker loads again); here, as itself
    travel: list[Case | str] = [
        c.name if executor is not None and c.name in reg and reg[c.name] is c else c for c in picked
    ]
    tasks = [
        MutationTask(t, p, dps, mp_draws if p == "mp" else draws, seed, paths)
        for c, t in zip(picked, travel, strict=True)
        for p in precisions
        if p != "mp" or (c.dim <= mp_max_dim and (in_mp is None or c.name in in_mp))
    ]
    if progress is not None and tasks:
        progress(0, len(tasks), tasks[0].label)  # the bar (and the task count) at once
    weights = None
    if executor is not None:
        by_name = {c.name: c for c in picked}
        weights = [_task_weight(by_name[_task_name(t)], t.precision, dps) for t in tasks]
    outs = _run_tasks(tasks, weights, executor, progress)
    rows: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    skipped: dict[str, None] = {}
    for out in outs:  # in task order, however they were scheduled
        rows += out.mutants
        alarms.append(out.alarms)
        skipped.update(dict.fromkeys(out.skipped))
    import pandas as pd

    return MutationResult(pd.DataFrame(rows), pd.DataFrame(alarms), tuple(skipped))


def _run_tasks(
    tasks: list[MutationTask],
    weights: list[float] | None,
    executor: Executor | None,
    progress: Callable[[int, int, str], None] | None,
) -> list[TaskOutput]:
    """Every task's output, in task order.

    On an executor the tasks go out largest first, so that the one mp task a hundred
    times dearer than the rest (an 11-parameter sum of 260 exponentials) does not
    start last and leave one worker alone with it.
    """
    total = len(tasks)
    if executor is None or weights is None:
        outs = []
        for done, task in enumerate(tasks, start=1):
            outs.append(run_mutation_task(task))
            if progress is not None:
                progress(done, total, task.label)
        return outs
    order = sorted(range(total), key=lambda k: -weights[k])
    futures = {executor.submit(run_mutation_task, tasks[k]): k for k in order}
    results: dict[int, TaskOutput] = {}
    for done, fut in enumerate(as_completed(futures), start=1):
        k = futures[fut]
        results[k] = fut.result()
        if progress is not None:
            progress(done, total, tasks[k].label)
    return [results[k] for k in range(total)]


def _task_name(task: MutationTask) -> str:
    return task.case if isinstance(task.case, str) else task.case.name


def _task_weight(c: Case, precision: str, dps: int) -> float:
    """A rough cost of the task: one batched cost evaluation in its precision, times
    the sweeps of a bisection (about log2 n); mp tasks outweigh float ones."""
    cx = context(precision, dps if precision == "mp" else None)
    pts = cx.asarray(np.repeat(c.point()[None, :], 8, axis=0))
    start = time.perf_counter()
    # only an estimate: a cost that fails here fails in its task, which reports it
    with np.errstate(all="ignore"), contextlib.suppress(Exception):
        c.cost(pts, cx)
    took = time.perf_counter() - start
    return took * (2 + np.log2(max(c.dim, 1))) + (1.0 if precision == "mp" else 0.0)
