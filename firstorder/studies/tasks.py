"""The worker side of a run: one task, every grid cell of one case at one point.

A task loads its case in the worker and runs every backend × precision cell at its
point: the Taylor test in each of the seeded directions, and the backend's gradient
error against the mp reference (computed once per case × point and cached in the
worker). Task 0 of each case also sweeps the step of each finite-difference backend
(the V-shaped error curves).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..case.loading import load_origin, resolve_case
from ..case.model import Case
from ..case.shipping import WorkerError, worker_name
from ..errors import FirstOrderError
from ..gradients.steps import sweep_ladder
from ..numbers import context
from .spec import REF_FULL_MAX_DIM, REF_SAMPLE, SWEEP_DPS, Task, _mix, direction_seed, point_of

__all__ = [
    "FIT_COLUMNS",
    "CellFailure",
    "TaskResult",
    "TaskTiming",
    "run_task",
    "run_tasks",
    "sweep_steps",
]


@dataclass(frozen=True)
class TaskTiming:
    """How long a task took, and where.

    Attributes
    ----------
    wall_s, cpu_s : float
        Wall-clock seconds of the task in its worker, and CPU seconds of the thread
        that ran it (not the worker's own housekeeping threads).
    worker : str
        The worker that ran it.
    """

    wall_s: float
    cpu_s: float
    worker: str


@dataclass(frozen=True, eq=False)
class TaskResult:
    """What a task sends back: rows of the run's tables (plain records), and its timing."""

    index: int
    orders: list[dict[str, Any]] = field(default_factory=list)
    taylor: pd.DataFrame | None = None
    gradients: list[dict[str, Any]] = field(default_factory=list)
    steps: pd.DataFrame | None = None
    timing: TaskTiming | None = None


_REF_CACHE: dict[tuple[Any, ...], tuple[np.ndarray | None, np.ndarray, str]] = {}
_REF_CACHE_SIZE = 16


def _reference(c: Case, task: Task, x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, str]:
    """The mp reference gradient at the task's point (cached in the worker).

    Returns the reference on the compared components (None when not applicable),
    the component indices and the reason it is not applicable.
    """
    key = (task.case, task.case_paths, task.point, task.n_points, task.seed, task.dps)
    if key in _REF_CACHE:
        return _REF_CACHE[key]
    from ..errors import NotApplicableError
    from ..gradients.reference import reference_directional, reference_gradient

    n = len(x)
    if n <= REF_FULL_MAX_DIM:
        idx = np.arange(n)
    else:
        rng = np.random.default_rng(_mix(task.seed, task.case, task.point, "components"))
        idx = np.sort(rng.choice(n, size=REF_SAMPLE, replace=False))
    try:
        if n <= REF_FULL_MAX_DIM:
            ref = reference_gradient(c, x, dps=task.dps)
        else:
            ref = reference_directional(c, x, np.eye(n)[idx], dps=task.dps)
        entry: tuple[np.ndarray | None, np.ndarray, str] = (np.asarray(ref), idx, "")
    except NotApplicableError as exc:
        entry = (None, idx, str(exc))
    if len(_REF_CACHE) >= _REF_CACHE_SIZE:
        _REF_CACHE.pop(next(iter(_REF_CACHE)))
    _REF_CACHE[key] = entry
    return entry


def _rel_error(values: Any, ref: np.ndarray, idx: np.ndarray, dps: int) -> tuple[float, float]:
    """(relative, absolute) ∞-norm error of ``values[idx]`` against ``ref``, in mp."""
    mpc = context("mp", dps)
    got = mpc.asarray(np.asarray(values)[idx])
    want = mpc.asarray(ref)
    if len(idx) == 0:
        return 0.0, 0.0
    err = max(abs(a - b) for a, b in zip(got, want, strict=True))
    scale = max(abs(b) for b in want)
    rel = err / scale if scale != 0 else err
    return float(rel), float(err)


def _located(result: Any, backend: str) -> str:
    diag = getattr(result, "diagnosis", None)
    if diag is None:
        return ""
    try:
        frame = diag.to_frame()
    except Exception:  # noqa: BLE001 - a diagnosis that cannot tabulate is just not shown
        return ""
    parts = []
    for _, row in frame.head(8).iterrows():
        a, r = float(row["analytic"]), float(row["reference"])
        scale = max(abs(a), abs(r))
        rel = abs(a - r) / scale if scale > 0 else 0.0
        # enough digits that two differing values print differently (2 past the first
        # digit where they part), and the relative difference beside them
        digits = 6 if not 0 < rel < 1e-4 else min(17, 3 - math.floor(math.log10(rel)))
        parts.append(
            f"[{int(row['component'])}] {backend} {a:.{digits}g}, reference {r:.{digits}g}"
            f" (relative difference {rel:.2g})"
        )
    more = len(frame) - 8
    return "; ".join(parts) + (f"; … {more} more" if more > 0 else "")


FIT_COLUMNS = [
    "remainder",
    "expected_order",
    "order",
    "order_ci_low",
    "order_ci_high",
    "h_min",
    "h_max",
    "n_points",
    "coefficient_agreement",
    "fit",
    "fit_reason",
]


def _order_rows(keys: dict[str, Any], result: Any) -> list[dict[str, Any]]:
    fits = result.fits_frame()
    ci_low, ci_high = getattr(result, "judged_order_ci", (np.nan, np.nan))
    # `verdict`/`reason` are the whole test's; `fit`/`fit_reason` the one remainder's fit
    common = {
        "verdict": result.verdict,
        "reason": result.reason,
        "wrong_components": ";".join(str(int(i)) for i in result.wrong_components),
        "located": _located(result, keys["backend"]),
        "judgement": getattr(result, "judgement", ""),
        "detection_bound": getattr(result, "detection_bound", np.nan),
        "detection_bound_rel": getattr(result, "detection_bound_relative", np.nan),
        "judged_order": getattr(result, "judged_order", np.nan),
        "judged_order_ci_low": ci_low,
        "judged_order_ci_high": ci_high,
    }
    if len(fits) == 0:
        row: dict[str, Any] = dict.fromkeys(FIT_COLUMNS, np.nan)
        row.update(remainder="r1", expected_order=2, n_points=0)
        row.update(fit=result.verdict, fit_reason=result.reason)
        return [{**keys, **row, **common}]
    fits = fits.rename(columns={"verdict": "fit", "reason": "fit_reason"})
    out = []
    for rec in fits.to_dict("records"):
        row = {k: rec.get(k, np.nan) for k in FIT_COLUMNS}
        out.append({**keys, **row, **common})
    return out


@dataclass(frozen=True)
class CellFailure:
    """The result of a grid cell whose gradient or Taylor test raised.

    It stands where a :class:`~firstorder.TaylorResult` would, with the same
    ``verdict``, ``reason``, ``wrong_components``, ``diagnosis``, ``fits_frame()`` and
    ``to_frame()``, so the cell still gets its row in every table.

    Attributes
    ----------
    verdict : str
        ``not-applicable`` when firstorder refused the cell (a :class:`FirstOrderError`),
        ``fail`` for anything else that raised.
    reason : str
        One line: the backend, the precision and what was raised.
    """

    verdict: str
    reason: str
    wrong_components: tuple[int, ...] = ()
    diagnosis: None = None

    @classmethod
    def from_exception(cls, backend: str, precision: str, exc: BaseException) -> CellFailure:
        """The failure of ``backend`` in ``precision`` that raised ``exc``."""
        reason = f"`{backend}` in {precision} raised {type(exc).__name__}: {exc}"
        verdict = "not-applicable" if isinstance(exc, FirstOrderError) else "fail"
        return cls(verdict=verdict, reason=reason.replace("\n", " "))

    def fits_frame(self) -> pd.DataFrame:
        """No fits: an empty table with the fit columns."""
        return pd.DataFrame(columns=FIT_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        """No steps: an empty table."""
        return pd.DataFrame()


def run_task(task: Task) -> TaskResult:
    """Run one task (in whatever process the executor chose).

    Parameters
    ----------
    task
        The task; its case is loaded here with its extra paths.

    Returns
    -------
    TaskResult
        Rows for the orders, Taylor, gradients and step tables.
    """
    from ..gradients.backends import gradient
    from ..gradients.finite_difference import clear_step_cache

    # Each task searches its point's automatic steps afresh, so its nfev (search
    # included) does not depend on which tasks the worker ran before.
    clear_step_cache()

    c = _case_of(task)
    x = point_of(c, task.point, task.n_points, task.seed)
    orders: list[dict[str, Any]] = []
    taylor: list[pd.DataFrame] = []
    grads: list[dict[str, Any]] = []
    with np.errstate(all="ignore"):
        for backend, precision, n_taylor in task.cells:
            cell: dict[str, Any] = {
                "case": c.name,
                "backend": backend,
                "precision": precision,
                "point": task.point,
            }
            failure: CellFailure | None = None
            try:
                gr = gradient(c, x, backend=backend, precision=precision, dps=task.dps)
            except Exception as exc:  # noqa: BLE001 - a cell that raises is reported, not fatal
                gr = None
                failure = CellFailure.from_exception(backend, precision, exc)
            # Taylor tests, one per direction, with the gradient computed once.
            for j in range(n_taylor):
                keys = {**cell, "direction": j}
                res = (
                    failure
                    if failure is not None
                    else _taylor_in_direction(c, x, task, backend, precision, gr, j)
                )
                orders += _order_rows(keys, res)
                frame = res.to_frame()
                if len(frame):
                    own = [k for k in frame.columns if k not in keys and k != "gradient"]
                    taylor.append(frame[own].assign(**keys)[[*keys, *own]])
            if backend != "reference":
                grads.append(_gradient_row(c, x, task, cell, gr, failure))
        steps = _sweeps(c, task, x)
    return TaskResult(
        index=task.index,
        orders=orders,
        taylor=pd.concat(taylor, ignore_index=True) if taylor else None,
        gradients=grads,
        steps=steps,
    )


def _case_of(task: Task) -> Case:
    """The task's case, loaded from where the client found it."""
    if task.origin is not None:
        return load_origin(task.case, task.origin)
    return resolve_case(task.case, task.case_paths)


def run_tasks(tasks: Sequence[Task]) -> list[TaskResult]:
    """Run a group of tasks in one process, each timed; errors name the worker and case.

    Raises
    ------
    WorkerError
        One line naming this worker and the task's case, whatever the task raised.
    """
    out = []
    for task in tasks:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            res = run_task(task)
        except WorkerError:
            raise
        except Exception as exc:  # noqa: BLE001 - reaches the client as one line
            detail = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            raise WorkerError(
                f"task `{task.label}` failed on worker `{worker_name()}`: {detail}"
            ) from None
        timed = TaskTiming(time.perf_counter() - wall, time.thread_time() - cpu, worker_name())
        out.append(dataclasses.replace(res, timing=timed))
    return out


def _taylor_in_direction(
    c: Case, x: np.ndarray, task: Task, backend: str, precision: str, gr: Any, j: int
) -> Any:
    """The Taylor test of one cell in its ``j``-th seeded direction (or its failure)."""
    from ..taylor.harness import taylor_test

    spec: Any = gr if gr.ok else backend
    try:
        return taylor_test(
            c,
            x,
            direction="random",
            gradient=spec,
            precision=precision,
            dps=task.dps,
            seed=direction_seed(task.seed, c.name, task.point, j),
        )
    except Exception as exc:  # noqa: BLE001 - a cell that raises is reported, not fatal
        return CellFailure.from_exception(backend, precision, exc)


def _gradient_row(
    c: Case,
    x: np.ndarray,
    task: Task,
    cell: dict[str, Any],
    gr: Any,
    failure: CellFailure | None,
) -> dict[str, Any]:
    """One row of the gradients table: a cell's gradient error against the reference."""
    row = {
        **cell,
        "dim": c.dim,
        "rel_error": np.nan,
        "abs_error": np.nan,
        "components": 0,
        "nfev": 0,
        "step_rule": "",
        "status": "ok",
        "reason": "",
    }
    if failure is not None:
        row.update(status="error", reason=failure.reason)
    elif not gr.ok:
        row.update(status=gr.status, reason=gr.reason, nfev=int(gr.nfev))
    else:
        ref, idx, why = _reference(c, task, x)
        row["nfev"] = int(gr.nfev)
        row["step_rule"] = gr.step_rule
        if ref is None:
            row.update(status="not-applicable", reason=why)
        else:
            rel, err = _rel_error(gr.values, ref, idx, task.dps)
            row.update(rel_error=rel, abs_error=err, components=len(idx))
    return row


def sweep_steps(backend: str) -> np.ndarray:
    """Steps of a run's V-curves: two per decade, from 1 to 1e-16 (1e-20 for the complex
    step, whose error stays flat at round-off below its best step)."""
    return sweep_ladder(backend, per_decade=2, low=20 if backend == "complex-step" else 16)


def _sweeps(c: Case, task: Task, x: np.ndarray) -> pd.DataFrame | None:
    if not task.sweeps:
        return None
    from .step_sweep import step_sweep

    frames = []
    for backend in task.sweeps:
        try:
            sw = step_sweep(
                c, backend, point=x, steps=sweep_steps(backend), precision="float64", dps=SWEEP_DPS
            )
        except Exception:  # noqa: BLE001 - no V-curve for a backend that cannot run here
            continue
        frame = sw.to_frame()
        if len(frame) == 0:
            continue
        frame = frame.assign(case=c.name, backend=backend, precision="float64", point=task.point)
        lead = ["case", "backend", "precision", "point"]
        frames.append(frame[[*lead, *(k for k in frame.columns if k not in lead)]])
    return pd.concat(frames, ignore_index=True) if frames else None
