"""The grid: case × backend × precision × point × direction, on any executor.

:mod:`.spec` resolves a run's arguments and cuts it into tasks (one per case × point);
:mod:`.tasks` runs one task in a worker; this module submits the tasks and gathers
their rows into the run's tables.

Results come back in task order whatever the executor, so the same seed and
arguments give the same tables serially, on a process pool or on Dask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..case.loading import load_cases
from ..case.registry import Registry
from ..numbers import DEFAULT_DPS
from .executors import Pool, dispatch
from .spec import (
    DEFAULT_BACKENDS,
    DEFAULT_DIRECTIONS,
    DEFAULT_MP_MAX_DIM,
    DEFAULT_POINTS,
    DEFAULT_PRECISIONS,
    ProgressFn,
    RunSpec,
    Task,
    build_tasks,
    cell_rule,
    direction_seed,
    point_of,
    resolve_spec,
    taylor_directions,
)
from .tasks import FIT_COLUMNS, run_task, sweep_steps

__all__ = [
    "DEFAULT_BACKENDS",
    "DEFAULT_DIRECTIONS",
    "DEFAULT_MP_MAX_DIM",
    "DEFAULT_POINTS",
    "DEFAULT_PRECISIONS",
    "RunResult",
    "RunSpec",
    "Task",
    "build_tasks",
    "cell_rule",
    "direction_seed",
    "point_of",
    "resolve_spec",
    "run",
    "run_spec",
    "run_task",
    "sweep_steps",
    "taylor_directions",
]


@dataclass(frozen=True, eq=False)
class RunResult:
    """The tables of a run.

    Attributes
    ----------
    spec : RunSpec
        What was run.
    orders : pandas.DataFrame
        One row per Taylor test and fitted remainder (see ``reports/README.md``).
    taylor : pandas.DataFrame
        Every step of every Taylor test.
    gradients : pandas.DataFrame
        Each backend's gradient error against the mp reference, per case and point.
    steps : pandas.DataFrame
        Step sweeps (error against step) of the finite-difference backends at x0.
    skipped : pandas.DataFrame
        Grid cells dropped by the grid rules, with reasons.
    cases : pandas.DataFrame
        The cases run: ``name, dim, tags, complex_safe, has_hessian``.
    problems : pandas.DataFrame
        Case files or cases that failed to load: ``source, line, case, problem``.
    wall_time_s : float
        Seconds the grid took (timing: excluded from comparisons).
    timing : dict
        Where and how fast the tasks ran: workers, groups, wall time, the summed task
        times (serial-equivalent), the speed-up and the overhead (see
        :mod:`.executors`).
    """

    spec: RunSpec
    orders: pd.DataFrame
    taylor: pd.DataFrame
    gradients: pd.DataFrame
    steps: pd.DataFrame
    skipped: pd.DataFrame
    cases: pd.DataFrame
    problems: pd.DataFrame
    wall_time_s: float = 0.0
    timing: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The orders table: one row per Taylor test and fitted remainder."""
        return self.orders.copy()

    @property
    def tests(self) -> pd.DataFrame:
        """One row per Taylor test (its r1 row, carrying the test's verdict)."""
        keys = ["case", "backend", "precision", "point", "direction"]
        if len(self.orders) == 0:
            return self.orders.copy()
        r1 = self.orders[self.orders["remainder"] == "r1"]
        return r1.drop_duplicates(keys).reset_index(drop=True)

    @property
    def failures(self) -> pd.DataFrame:
        """The Taylor tests whose verdict is ``fail``."""
        t = self.tests
        if len(t) == 0:
            return t
        return t[t["verdict"] == "fail"].reset_index(drop=True)

    @property
    def ok(self) -> bool:
        """Whether no Taylor test failed and every case loaded."""
        return len(self.failures) == 0 and len(self.problems) == 0

    def verdict_counts(self) -> dict[str, int]:
        """How many Taylor tests got each verdict; a backend's pass granted by its
        formula's budget counts apart, as ``pass (within budget)``."""
        t = self.tests
        if len(t) == 0:
            return {}
        label = t["verdict"].astype(str)
        if "judgement" in t:
            budget = (label == "pass") & (t["judgement"] == "within-budget")
            label = label.where(~budget, "pass (within budget)")
        return {str(k): int(v) for k, v in label.value_counts().sort_index().items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: the spec, verdict counts, failures and wall time."""
        return {
            "spec": self.spec.to_dict(),
            "rules": self.spec.rules,
            "verdicts": self.verdict_counts(),
            "tests": len(self.tests),
            "failures": [
                {k: r[k] for k in ("case", "backend", "precision", "point", "direction")}
                | {"reason": r["reason"]}
                for r in self.failures.to_dict("records")
            ],
            "problems": self.problems.to_dict("records"),
            "wall_time_s": self.wall_time_s,
            "timing": self.timing,
        }


_ORDERS_COLUMNS = [
    "case",
    "backend",
    "precision",
    "point",
    "direction",
    *FIT_COLUMNS,
    "verdict",
    "reason",
    "wrong_components",
    "located",
    "judgement",
    "detection_bound",
    "detection_bound_rel",
    "judged_order",
    "judged_order_ci_low",
    "judged_order_ci_high",
]
_GRAD_COLUMNS = [
    "case",
    "backend",
    "precision",
    "point",
    "dim",
    "rel_error",
    "abs_error",
    "components",
    "nfev",
    "step_rule",
    "status",
    "reason",
]


def _cases_frame(registry: Registry, names: Sequence[str]) -> pd.DataFrame:
    rows = []
    for n in names:
        c = registry[n]
        rows.append(
            {
                "name": c.name,
                "dim": c.dim,
                "tags": ",".join(sorted(c.tags)),
                "complex_safe": c.complex_safe,
                "has_hessian": c.has_hessian,
            }
        )
    return pd.DataFrame(rows, columns=["name", "dim", "tags", "complex_safe", "has_hessian"])


def _problems_frame(registry: Registry, spec: RunSpec, explicit: bool) -> pd.DataFrame:
    rows = []
    for p in registry.problems:
        case = p.case
        if explicit and case is not None and case not in spec.cases:
            continue
        rows.append(
            {
                "source": p.where,
                "line": p.line,
                "case": case or "",
                "problem": p.message,
            }
        )
    return pd.DataFrame(rows, columns=["source", "line", "case", "problem"])


def run(
    cases: Iterable[str] | None = None,
    *,
    tags: Iterable[str] | None = None,
    case_paths: Iterable[str] = (),
    backends: Iterable[str] | None = None,
    precisions: Iterable[str] | None = None,
    points: int = DEFAULT_POINTS,
    directions: int = DEFAULT_DIRECTIONS,
    seed: int = 0,
    dps: int = DEFAULT_DPS,
    mp_max_dim: int = DEFAULT_MP_MAX_DIM,
    executor: Executor | None = None,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Run the grid case × backend × precision × point × direction.

    Parameters
    ----------
    cases
        Case names (default: every registered case).
    tags
        Keep only cases with one of these tags.
    case_paths
        Extra case files or folders; they are loaded in the workers too.
    backends
        Gradient backends (default ``analytic``, ``central``, ``complex-step``).
    precisions
        ``float64``, ``float32``, ``mp`` (default ``float64`` and ``mp``).
    points
        Seeded random points near x0, besides x0.
    directions
        Seeded random directions per point.
    seed
        Seed of every point and direction.
    dps
        Digits of the mp precision and of the reference.
    mp_max_dim
        Largest dimension at which finite-difference backends run in mp.
    executor
        Any :class:`concurrent.futures.Executor` (a process pool, a Dask client's
        ``get_executor()``); None runs serially in this process.
    progress
        Called as ``progress(done, total, label)`` after each task.

    Returns
    -------
    RunResult
        The tables, in the same order whatever the executor.

    Raises
    ------
    FirstOrderError
        For bad input, before any work.

    Examples
    --------
    >>> result = fo.run(["seed"], precisions=["float64"])  # doctest: +SKIP
    >>> result.ok  # doctest: +SKIP
    True
    """
    spec, registry = resolve_spec(
        cases,
        tags=tags,
        case_paths=case_paths,
        backends=backends,
        precisions=precisions,
        points=points,
        directions=directions,
        seed=seed,
        dps=dps,
        mp_max_dim=mp_max_dim,
    )
    return run_spec(spec, registry, executor=executor, progress=progress, explicit=bool(cases))


def run_spec(
    spec: RunSpec,
    registry: Registry | None = None,
    *,
    executor: Executor | None = None,
    progress: ProgressFn | None = None,
    explicit: bool = False,
    pool: Pool | None = None,
) -> RunResult:
    """Run a resolved :class:`RunSpec` (see :func:`run`); ``pool`` overrides ``executor``."""
    reg = registry if registry is not None else load_cases(*spec.case_paths)
    tasks, skipped = build_tasks(spec, reg)
    if pool is None:
        workers = int(getattr(executor, "_max_workers", 2)) if executor is not None else 1
        pool = Pool(executor, workers=workers, kind="serial" if executor is None else "executor")
    got, timing = dispatch(tasks, pool, progress)
    orders = pd.DataFrame([row for r in got for row in r.orders], columns=_ORDERS_COLUMNS)
    taylor_frames = [r.taylor for r in got if r.taylor is not None]
    taylor = pd.concat(taylor_frames, ignore_index=True) if taylor_frames else pd.DataFrame()
    grads = pd.DataFrame([row for r in got for row in r.gradients], columns=_GRAD_COLUMNS)
    step_frames = [r.steps for r in got if r.steps is not None]
    steps = pd.concat(step_frames, ignore_index=True) if step_frames else pd.DataFrame()
    return RunResult(
        spec=spec,
        orders=orders,
        taylor=taylor,
        gradients=grads,
        steps=steps,
        skipped=skipped,
        cases=_cases_frame(reg, spec.cases),
        problems=_problems_frame(reg, spec, explicit),
        wall_time_s=timing["wall_s"],
        timing=timing,
    )
