"""What a run covers: the resolved arguments, the grid rules, and the tasks they make.

A run is cut into tasks, one per case × point. A task carries only names, numbers and
the extra case paths (it is small and picklable); :mod:`.tasks` runs it in a worker.

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

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..case.loading import load_cases
from ..case.model import Case
from ..case.registry import Registry
from ..case.shipping import CaseOrigin
from ..errors import FirstOrderError, choices, unknown
from ..numbers import DEFAULT_DPS
from ..vocab import DEFAULT_RUN_PRECISIONS, RUN_PRECISIONS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_BACKENDS",
    "DEFAULT_DIRECTIONS",
    "DEFAULT_MP_MAX_DIM",
    "DEFAULT_POINTS",
    "DEFAULT_PRECISIONS",
    "ProgressFn",
    "RunSpec",
    "Task",
    "build_tasks",
    "cell_rule",
    "direction_seed",
    "point_of",
    "resolve_spec",
    "taylor_directions",
]

#: Backends of a default run.
DEFAULT_BACKENDS: tuple[str, ...] = ("analytic", "central", "complex-step")
#: Precisions of a default run.
DEFAULT_PRECISIONS = DEFAULT_RUN_PRECISIONS
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
    origin : CaseOrigin or None
        Where the case came from; the worker loads it from there (a user's file travels
        with the task as text). None: resolve ``case`` with ``case_paths``.
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
    origin: CaseOrigin | None = None

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
    why = _why_no_taylor_test(picked, bks, precs, int(directions), int(mp_max_dim))
    if why:
        raise FirstOrderError(why)
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


def _why_no_taylor_test(
    picked: Sequence[Case],
    bks: Sequence[str],
    precs: Sequence[str],
    directions: int,
    mp_max_dim: int,
) -> str:
    """Why a grid would make no Taylor test at all, or ``""`` when it makes some."""
    reasons: list[str] = []
    exact, only = _exact_backends(), _only_precision()
    for c in picked:
        for b in bks:
            for p in precs:
                why = cell_rule(b, p, c.dim, mp_max_dim)
                if why is None and taylor_directions(b, p, 0, directions) > 0:
                    return ""
                if why is None or (p == "mp" and b not in exact and b not in only):
                    why = (
                        f"in `mp` only {choices(exact)} get a Taylor test (a "
                        "finite-difference gradient gets its error measured there)."
                    )
                reasons.append(why)
    return (
        "this run would make no Taylor test: "
        + " ".join(dict.fromkeys(reasons))
        + " Add `--precision float64` or `--backend analytic`."
    )


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
                    origin=registry.origins.get(name),
                )
            )
    import pandas as pd

    frame = pd.DataFrame(skipped, columns=["case", "backend", "precision", "reason"])
    return tasks, frame
