"""The grid: case × backend × precision × point × direction, on any executor.

A run is cut into tasks, one per case × point. A task carries only names, numbers and
the extra case paths (it is small and picklable), loads its case in the worker, and
runs every backend × precision cell of the grid at its point: the Taylor test in each
of the seeded directions, and the backend's gradient error against the mp reference
(computed once per case × point and cached in the worker). Task 0 of each case also
sweeps the step of each finite-difference backend (the V-shaped error curves).

Results come back in task order whatever the executor, so the same seed and
arguments give the same tables serially, on a process pool or on Dask.

Grid rules (recorded in ``run.json`` and summary.md):

- ``complex-step`` computes in complex128 from float64 input, so it runs only in the
  ``float64`` column; ``reference`` runs only in ``mp``.
- In ``mp``, the Taylor test runs at x0 in the first direction and for the exact
  backends (``analytic``, ``reference``) only: its round-off floor is tens of decades
  lower, so one test shows the long window; a finite-difference gradient in mp is
  checked by its gradient error against the reference, which says more for less.
  Finite-difference backends run in mp only for cases of dimension at most
  ``mp_max_dim``: their cost grows like n mp evaluations of an n-dimensional cost.
- The gradient error compares every component for ``n ≤ REF_FULL_MAX_DIM``, and a
  seeded sample of ``REF_SAMPLE`` components above.
- Step sweeps (V-curves, two steps per decade) run at x0 in float64 for cases of
  dimension at most ``SWEEP_MAX_DIM``.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..case.model import Case
from ..case.registry import Registry, load_cases, resolve_case
from ..errors import FirstOrderError, choices, unknown
from ..gradients.steps import sweep_ladder
from ..numbers import DEFAULT_DPS, context
from ..vocab import DEFAULT_RUN_PRECISIONS, RUN_PRECISIONS

__all__ = [
    "DEFAULT_BACKENDS",
    "DEFAULT_PRECISIONS",
    "RunResult",
    "RunSpec",
    "Task",
    "build_tasks",
    "run",
    "run_task",
]

#: Backends of a default run.
DEFAULT_BACKENDS: tuple[str, ...] = ("analytic", "central", "complex-step")
#: Precisions of a default run.
DEFAULT_PRECISIONS = DEFAULT_RUN_PRECISIONS
#: Precisions a run accepts.
#: Random points near x0 (besides x0) and seeded directions of a default run.
DEFAULT_POINTS = 2
DEFAULT_DIRECTIONS = 2
#: Largest dimension at which finite-difference backends run in mp (grid rule).
DEFAULT_MP_MAX_DIM = 64
#: Largest dimension at which the gradient error compares every component.
REF_FULL_MAX_DIM = 64
#: Components compared above :data:`REF_FULL_MAX_DIM`.
REF_SAMPLE = 16
#: Largest dimension at which step sweeps (V-curves) run.
SWEEP_MAX_DIM = 64
#: Digits of the mp reference inside float64 step sweeps (float64 errors need ~17).
SWEEP_DPS = 16


def _only_precision() -> dict[str, str]:
    """Own backends that only make sense in one precision column (from their records):
    the complex step's column is float64, its input."""
    from ..gradients.backends import BACKENDS

    return {
        b.name: "float64" if b.native == "complex128" else b.native
        for b in BACKENDS.values()
        if b.native is not None and b.kind != "peer"
    }


def _exact_backends() -> frozenset[str]:
    """Backends with no formula error (no step to sweep, cheap in mp), from their records."""
    from ..gradients.backends import BACKENDS

    return frozenset(b.name for b in BACKENDS.values() if b.exact)


ProgressFn = Callable[[int, int, str], None]


# -- the specification -------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """What a run covers: the arguments of :func:`run`, resolved.

    Attributes
    ----------
    cases : tuple of str
        Case names, in run order.
    case_paths : tuple of str
        Extra case files or folders (loaded in every worker).
    backends, precisions : tuple of str
        The gradient backends and precisions.
    points : int
        Random points near x0, besides x0.
    directions : int
        Seeded random directions per point.
    seed : int
        The seed every point and direction derives from.
    dps : int
        Digits of the mp precision and of the reference.
    mp_max_dim : int
        Largest dimension at which finite-difference backends run in mp.
    """

    cases: tuple[str, ...]
    case_paths: tuple[str, ...] = ()
    backends: tuple[str, ...] = DEFAULT_BACKENDS
    precisions: tuple[str, ...] = DEFAULT_PRECISIONS
    points: int = DEFAULT_POINTS
    directions: int = DEFAULT_DIRECTIONS
    seed: int = 0
    dps: int = DEFAULT_DPS
    mp_max_dim: int = DEFAULT_MP_MAX_DIM

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the specification."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @property
    def rules(self) -> dict[str, Any]:
        """The grid rules in force, for ``run.json``."""
        return {
            "only_precision": _only_precision(),
            "mp_max_dim": self.mp_max_dim,
            "ref_full_max_dim": REF_FULL_MAX_DIM,
            "ref_sample": REF_SAMPLE,
            "sweep_max_dim": SWEEP_MAX_DIM,
            "mp_taylor_backends": sorted(_exact_backends()),
            "mp_taylor_points": [0],
            "mp_taylor_directions": 1,
        }


@dataclass(frozen=True)
class Task:
    """One unit of work: every grid cell of one case at one point (picklable).

    Attributes
    ----------
    index : int
        Position in the run; results are ordered by it.
    case : str
        Case name, resolved in the worker with ``case_paths``.
    case_paths : tuple of str
        Extra case paths.
    dim : int
        Dimension of the case (for scheduling and the grid rules).
    point : int
        0 for x0, k ≥ 1 for the k-th seeded random point near x0.
    n_points : int
        Random points of the run (the draw depends on it only through the seed).
    cells : tuple of (backend, precision, directions)
        The grid cells to run, each with the number of Taylor tests it gets (every
        cell gets its gradient error).
    directions : int
        Directions per cell.
    seed, dps : int
        The run's seed and mp digits.
    sweeps : tuple of str
        Backends whose step sweep runs here (only at x0).
    """

    index: int
    case: str
    case_paths: tuple[str, ...]
    dim: int
    point: int
    n_points: int
    cells: tuple[tuple[str, str, int], ...]
    directions: int
    seed: int
    dps: int
    sweeps: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``case@point`` for progress messages."""
        return f"{self.case}@{'x0' if self.point == 0 else f'p{self.point}'}"


def _mix(*parts: object) -> int:
    """A seed derived stably (same in every process) from ``parts``."""
    return zlib.crc32(":".join(map(str, parts)).encode()) & 0x7FFFFFFF


def point_of(c: Case, index: int, n_points: int, seed: int) -> np.ndarray:
    """The ``index``-th point of a case in a run: x0, then seeded points near it.

    Parameters
    ----------
    c
        The case.
    index
        0 for x0; k ≥ 1 for the k-th random point.
    n_points
        Random points in the run.
    seed
        The run's seed.
    """
    if index == 0:
        return c.point()
    return c.random_points(n_points, seed=_mix(seed, c.name, "points"))[index - 1]


def direction_seed(seed: int, case: str, point: int, direction: int) -> int:
    """Seed of the ``direction``-th Taylor direction at a case's point."""
    return _mix(seed, case, point, direction)


def cell_rule(backend: str, precision: str, dim: int, mp_max_dim: int) -> str | None:
    """Why a grid cell is dropped, or None when it runs.

    Parameters
    ----------
    backend, precision
        The cell.
    dim
        The case's dimension.
    mp_max_dim
        Largest dimension at which finite-difference backends run in mp.
    """
    only = _only_precision().get(backend)
    if only is not None and precision != only:
        return f"`{backend}` computes in {only} only."
    if precision == "mp" and backend not in _exact_backends() and dim > mp_max_dim:
        return f"finite differences in mp run up to dimension {mp_max_dim}; this case has {dim}."
    return None


def taylor_directions(backend: str, precision: str, point: int, directions: int) -> int:
    """How many Taylor tests a grid cell gets: in mp, one for exact backends at x0."""
    if precision != "mp":
        return directions
    return 1 if backend in _exact_backends() and point == 0 else 0


def _available_backends() -> list[str]:
    from ..gradients.backends import backends

    return list(backends())


def resolve_spec(
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
    registry: Registry | None = None,
) -> tuple[RunSpec, Registry]:
    """Check the arguments of a run and resolve the cases they pick.

    Raises
    ------
    FirstOrderError
        For an unknown case, tag, backend or precision, or a bad count.
    """
    paths = tuple(str(p) for p in case_paths)
    reg = registry if registry is not None else load_cases(*paths)
    names = list(cases) if cases else None
    tag_list = list(tags) if tags else None
    picked = reg.select(names, tag_list)
    if not picked:
        raise FirstOrderError(f"no case has the tags {choices(tag_list or [])}.")
    bks = tuple(dict.fromkeys(backends)) if backends else DEFAULT_BACKENDS
    valid = _available_backends()
    for b in bks:
        if b not in valid:
            raise unknown("backend", b, valid)
    precs = tuple(dict.fromkeys(precisions)) if precisions else DEFAULT_PRECISIONS
    for p in precs:
        if p not in RUN_PRECISIONS:
            raise unknown("precision", p, RUN_PRECISIONS)
    for what, value, low in (
        ("points", points, 0),
        ("directions", directions, 1),
        ("dps", dps, 16),
        ("mp_max_dim", mp_max_dim, 0),
    ):
        if not isinstance(value, int | np.integer) or value < low:
            raise FirstOrderError(f"`{what}` must be an integer ≥ {low}, not `{value}`.")
    spec = RunSpec(
        cases=tuple(c.name for c in picked),
        case_paths=paths,
        backends=bks,
        precisions=precs,
        points=int(points),
        directions=int(directions),
        seed=int(seed),
        dps=int(dps),
        mp_max_dim=int(mp_max_dim),
    )
    return spec, reg


def build_tasks(spec: RunSpec, registry: Registry) -> tuple[list[Task], pd.DataFrame]:
    """The tasks of a run, and the grid cells its rules drop (with reasons).

    Returns
    -------
    tasks : list of Task
        Case-major, then point.
    skipped : pandas.DataFrame
        Columns ``case, backend, precision, reason``.
    """
    tasks: list[Task] = []
    skipped: list[dict[str, Any]] = []
    for name in spec.cases:
        c = registry[name]
        cells: list[tuple[str, str]] = []
        for b in spec.backends:
            for p in spec.precisions:
                why = cell_rule(b, p, c.dim, spec.mp_max_dim)
                if why is None:
                    cells.append((b, p))
                else:
                    skipped.append({"case": name, "backend": b, "precision": p, "reason": why})
        sweeps = tuple(b for b in spec.backends if b not in _exact_backends())
        if c.dim > SWEEP_MAX_DIM:
            sweeps = ()
        for k in range(spec.points + 1):
            tasks.append(
                Task(
                    index=len(tasks),
                    case=name,
                    case_paths=spec.case_paths,
                    dim=c.dim,
                    point=k,
                    n_points=spec.points,
                    cells=tuple(
                        (b, p, taylor_directions(b, p, k, spec.directions)) for b, p in cells
                    ),
                    directions=spec.directions,
                    seed=spec.seed,
                    dps=spec.dps,
                    sweeps=sweeps if k == 0 else (),
                )
            )
    frame = pd.DataFrame(skipped, columns=["case", "backend", "precision", "reason"])
    return tasks, frame


# -- the worker ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TaskResult:
    """What a task sends back: rows of the run's tables (plain records)."""

    index: int
    orders: list[dict[str, Any]] = field(default_factory=list)
    taylor: pd.DataFrame | None = None
    gradients: list[dict[str, Any]] = field(default_factory=list)
    steps: pd.DataFrame | None = None


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
        parts.append(
            f"[{int(row['component'])}] {backend} {float(row['analytic']):.6g}, "
            f"reference {float(row['reference']):.6g}"
        )
    more = len(frame) - 8
    return "; ".join(parts) + (f"; … {more} more" if more > 0 else "")


_FIT_COLUMNS = [
    "remainder",
    "expected_order",
    "order",
    "order_ci_low",
    "order_ci_high",
    "h_min",
    "h_max",
    "n_points",
    "coefficient_agreement",
    "verdict",
    "reason",
]


def _order_rows(keys: dict[str, Any], result: Any) -> list[dict[str, Any]]:
    fits = result.fits_frame()
    common = {
        "test_verdict": result.verdict,
        "test_reason": result.reason,
        "wrong_components": ";".join(str(int(i)) for i in result.wrong_components),
        "located": _located(result, keys["backend"]),
    }
    if len(fits) == 0:
        row: dict[str, Any] = dict.fromkeys(_FIT_COLUMNS, np.nan)
        row.update(remainder="r1", expected_order=2, n_points=0)
        row.update(verdict=result.verdict, reason=result.reason)
        return [{**keys, **row, **common}]
    out = []
    for rec in fits.to_dict("records"):
        row = {k: rec.get(k, np.nan) for k in _FIT_COLUMNS}
        out.append({**keys, **row, **common})
    return out


def _failed_result(case: str, backend: str, precision: str, exc: BaseException) -> Any:
    """A stand-in Taylor result for a cell that raised."""
    reason = f"`{backend}` in {precision} raised {type(exc).__name__}: {exc}".replace("\n", " ")
    verdict = "not-applicable" if isinstance(exc, FirstOrderError) else "fail"
    return _Stub(verdict=verdict, reason=reason)


@dataclass(frozen=True)
class _Stub:
    verdict: str
    reason: str
    wrong_components: tuple[int, ...] = ()
    diagnosis: None = None

    def fits_frame(self) -> pd.DataFrame:
        return pd.DataFrame(columns=_FIT_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
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
    from ..taylor.harness import taylor_test

    # Each task searches its point's automatic steps afresh, so its nfev (search
    # included) does not depend on which tasks the worker ran before.
    clear_step_cache()
    c = resolve_case(task.case, task.case_paths)
    x = point_of(c, task.point, task.n_points, task.seed)
    orders: list[dict[str, Any]] = []
    taylor: list[pd.DataFrame] = []
    grads: list[dict[str, Any]] = []
    with np.errstate(all="ignore"):
        for backend, precision, n_taylor in task.cells:
            cell = {"case": c.name, "backend": backend, "precision": precision, "point": task.point}
            try:
                gr = gradient(c, x, backend=backend, precision=precision, dps=task.dps)
            except Exception as exc:  # noqa: BLE001 - a cell that raises is reported, not fatal
                gr = None
                failure = _failed_result(c.name, backend, precision, exc)
            # Taylor tests, one per direction, with the gradient computed once.
            for j in range(n_taylor):
                keys = {**cell, "direction": j}
                if gr is None:
                    res: Any = failure
                else:
                    spec: Any = gr if gr.ok else backend
                    try:
                        res = taylor_test(
                            c,
                            x,
                            direction="random",
                            gradient=spec,
                            precision=precision,
                            dps=task.dps,
                            seed=direction_seed(task.seed, c.name, task.point, j),
                        )
                    except Exception as exc:  # noqa: BLE001
                        res = _failed_result(c.name, backend, precision, exc)
                orders += _order_rows(keys, res)
                frame = res.to_frame()
                if len(frame):
                    own = [k for k in frame.columns if k not in keys and k != "gradient"]
                    taylor.append(frame[own].assign(**keys)[[*keys, *own]])
            # The gradient error against the reference.
            if backend == "reference":
                continue
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
            if gr is None:
                row.update(status="error", reason=failure.reason)
            elif not gr.ok:
                row.update(status=gr.status, reason=gr.reason, nfev=int(gr.nfev))
            else:
                row["step_rule"] = gr.step_rule
                ref, idx, why = _reference(c, task, x)
                row["nfev"] = int(gr.nfev)
                if ref is None:
                    row.update(status="not-applicable", reason=why)
                else:
                    rel, err = _rel_error(gr.values, ref, idx, task.dps)
                    row.update(rel_error=rel, abs_error=err, components=len(idx))
            grads.append(row)
        steps = _sweeps(c, task, x)
    return TaskResult(
        index=task.index,
        orders=orders,
        taylor=pd.concat(taylor, ignore_index=True) if taylor else None,
        gradients=grads,
        steps=steps,
    )


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


# -- the run -------------------------------------------------------------------------------------


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
        return t[t["test_verdict"] == "fail"].reset_index(drop=True)

    @property
    def ok(self) -> bool:
        """Whether no Taylor test failed and every case loaded."""
        return len(self.failures) == 0 and len(self.problems) == 0

    def verdict_counts(self) -> dict[str, int]:
        """How many Taylor tests got each verdict."""
        t = self.tests
        if len(t) == 0:
            return {}
        return {str(k): int(v) for k, v in t["test_verdict"].value_counts().sort_index().items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: the spec, verdict counts, failures and wall time."""
        return {
            "spec": self.spec.to_dict(),
            "rules": self.spec.rules,
            "verdicts": self.verdict_counts(),
            "tests": len(self.tests),
            "failures": [
                {k: r[k] for k in ("case", "backend", "precision", "point", "direction")}
                | {"reason": r["test_reason"]}
                for r in self.failures.to_dict("records")
            ],
            "problems": self.problems.to_dict("records"),
            "wall_time_s": self.wall_time_s,
        }


_ORDERS_COLUMNS = [
    "case",
    "backend",
    "precision",
    "point",
    "direction",
    *_FIT_COLUMNS,
    "test_verdict",
    "test_reason",
    "wrong_components",
    "located",
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
) -> RunResult:
    """Run a resolved :class:`RunSpec` (see :func:`run`)."""
    reg = registry if registry is not None else load_cases(*spec.case_paths)
    tasks, skipped = build_tasks(spec, reg)
    start = time.perf_counter()
    # Submit the largest cases first so that a pool stays busy; order results by index.
    order = sorted(tasks, key=lambda t: (-t.dim * max(1, len(t.cells)), t.index))
    results: list[TaskResult | None] = [None] * len(tasks)
    total = len(tasks)
    stream = map(run_task, order) if executor is None else executor.map(run_task, order)
    for done, (task, res) in enumerate(zip(order, stream, strict=True), start=1):
        results[task.index] = res
        if progress is not None:
            progress(done, total, task.label)
    wall = time.perf_counter() - start
    got = [r for r in results if r is not None]
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
        wall_time_s=round(wall, 3),
    )
