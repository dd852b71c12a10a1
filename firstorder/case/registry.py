"""The case registry: loading case files, folders and entry points, with validation."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import CaseError, FirstOrderError, choices, unknown
from .model import Case, collecting, published_tolerance

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "LoadProblem",
    "Registry",
    "builtin_cases_dir",
    "load_cases",
    "resolve_case",
    "validate_case",
]

#: Environment variable holding extra case paths, separated by ``os.pathsep``.
ENV_VAR = "FIRSTORDER_CASES"
#: Entry-point group through which installed packages contribute cases.
ENTRY_POINT_GROUP = "firstorder.cases"


@dataclass(frozen=True)
class LoadProblem:
    """A case file or case that could not be loaded.

    Attributes
    ----------
    where : str
        The file (or entry point) at fault.
    line : int or None
        The line Python reports, where it gives one.
    message : str
        One sentence: what is wrong.
    case : str or None
        The case at fault, when the file loaded but a case failed validation.
    """

    where: str
    line: int | None
    message: str
    case: str | None = None

    def __str__(self) -> str:
        loc = self.where if self.line is None else f"{self.where}:{self.line}"
        return f"{loc}: {self.message}"


class Registry(Mapping[str, Case]):
    """A mapping from case name to :class:`Case`, with the problems met loading it.

    Attributes
    ----------
    problems : tuple of LoadProblem
        Files that did not load and cases that failed validation. The good cases
        load all the same.
    """

    def __init__(self, cases: Iterable[Case] = (), problems: Iterable[LoadProblem] = ()):
        self._cases: dict[str, Case] = {}
        found = list(problems)
        for c in cases:
            if c.name in self._cases:
                first = self._cases[c.name].source
                found.append(
                    LoadProblem(
                        _file_of(c.source),
                        _line_of(c.source),
                        f"duplicate case name `{c.name}` (first defined at {first}).",
                        c.name,
                    )
                )
                continue
            self._cases[c.name] = c
        self.problems: tuple[LoadProblem, ...] = tuple(found)

    def __getitem__(self, name: str) -> Case:
        try:
            return self._cases[name]
        except KeyError:
            raise unknown("case", name, self._cases) from None

    def __contains__(self, name: object) -> bool:
        return name in self._cases

    def __iter__(self) -> Iterator[str]:
        return iter(self._cases)

    def __len__(self) -> int:
        return len(self._cases)

    def __repr__(self) -> str:
        return f"<Registry of {len(self)} cases, {len(self.problems)} problems>"

    @property
    def tags(self) -> frozenset[str]:
        """Every tag used by some case."""
        return frozenset(t for c in self._cases.values() for t in c.tags)

    def select(
        self,
        names: Iterable[str | Case] | None = None,
        tags: Iterable[str] | None = None,
        *,
        has_hessian: bool | None = None,
    ) -> list[Case]:
        """Cases by name and/or tag (a case matches any of the tags): the one selector.

        Parameters
        ----------
        names
            Case names (each must be registered) or :class:`Case` objects, taken as
            they are; all registered cases when None or empty.
        tags
            Keep cases with any of these tags.
        has_hessian
            Keep only cases with (True) or without (False) second derivatives.

        Raises
        ------
        FirstOrderError
            For an unknown name or tag, listing the valid ones, and for tags that no
            case among those named has.
        """
        picked = list(self._cases.values())
        if names:
            picked = [n if isinstance(n, Case) else self[n] for n in dict.fromkeys(names)]
        if tags:
            tags = list(dict.fromkeys(tags))
            known = self.tags | {t for c in picked for t in c.tags}
            for t in tags:
                if t not in known:
                    raise unknown("tag", t, known)
            picked = [c for c in picked if c.tags & set(tags)]
            if not picked:
                raise FirstOrderError(f"no case among those named has the tags {choices(tags)}.")
        if has_hessian is not None:
            picked = [c for c in picked if c.has_hessian == has_hessian]
        return picked


def _file_of(source: str) -> str:
    head, _, tail = source.rpartition(":")
    return head if tail.isdigit() else source


def _line_of(source: str) -> int | None:
    _, _, tail = source.rpartition(":")
    return int(tail) if tail.isdigit() else None


def builtin_cases_dir() -> Path:
    """The folder of built-in cases: inside the installed wheel, or ``cases/`` of a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_cases", package.parent / "cases"):
        if candidate.is_dir():
            return candidate
    raise FirstOrderError(f"the built-in cases are missing: neither `{package / '_cases'}` exists.")


# -- validation ------------------------------------------------------------------------------


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


# -- loading -----------------------------------------------------------------------------------

_file_cache: dict[tuple[str, int, int], tuple[list[Case], list[LoadProblem]]] = {}


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    return f"firstorder_cases_{stem}_{digest}"


def _exception_line(exc: BaseException, path: Path) -> int | None:
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path:
            line = frame.lineno
    return line


def _load_file(path: Path) -> tuple[list[Case], list[LoadProblem]]:
    path = path.resolve()
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _file_cache:
        return _file_cache[key]
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        result: tuple[list[Case], list[LoadProblem]] = (
            [],
            [LoadProblem(str(path), None, "is not a loadable Python file.")],
        )
        return result
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with collecting() as found:
            spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - report any failure of a user's file
        sys.modules.pop(name, None)
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        msg = f"{type(exc).__name__}: {detail}".rstrip(": ")
        result = ([], [LoadProblem(str(path), _exception_line(exc, path), msg)])
        _file_cache[key] = result
        return result
    cases = _unique([*found, *_cases_in_module(module)])
    result = _validated(cases)
    _file_cache[key] = result
    return result


def _unique(cases: Iterable[Case]) -> list[Case]:
    seen: dict[int, Case] = {}
    for c in cases:
        seen.setdefault(id(c), c)
    return list(seen.values())


def _cases_in_module(module: ModuleType) -> list[Case]:
    return [v for v in vars(module).values() if isinstance(v, Case)]


def _validated(cases: Iterable[Case]) -> tuple[list[Case], list[LoadProblem]]:
    good: list[Case] = []
    bad: list[LoadProblem] = []
    for c in cases:
        try:
            problem = validate_case(c)
        except Exception as exc:  # noqa: BLE001
            problem = f"validation of case `{c.name}` raised {type(exc).__name__}: {exc}"
        if problem is None:
            good.append(c)
        else:
            bad.append(LoadProblem(_file_of(c.source), _line_of(c.source), problem, c.name))
    return good, bad


def _load_path(raw: str | os.PathLike[str]) -> tuple[list[Case], list[LoadProblem]]:
    path = Path(raw).expanduser()
    if path.is_dir():
        cases: list[Case] = []
        problems: list[LoadProblem] = []
        for f in sorted(path.glob("*.py")):
            if f.name.startswith(("_", ".")):
                continue
            c, p = _load_file(f)
            cases += c
            problems += p
        return cases, problems
    if path.is_file():
        if path.suffix != ".py":
            return [], [LoadProblem(str(path), None, "is not a Python file (`.py`).")]
        return _load_file(path)
    return [], [LoadProblem(str(path), None, "does not exist.")]


def _load_entry_points() -> tuple[list[Case], list[LoadProblem]]:
    cases: list[Case] = []
    problems: list[LoadProblem] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point `{ep.name}` ({ep.value})"
        try:
            with collecting() as found:
                obj = ep.load()
                if callable(obj) and not isinstance(obj, Case):
                    obj = obj()
        except Exception as exc:  # noqa: BLE001
            problems.append(LoadProblem(where, None, f"{type(exc).__name__}: {exc}"))
            continue
        got: list[Case] = list(found)
        if isinstance(obj, Case):
            got.append(obj)
        elif isinstance(obj, ModuleType):
            got += _cases_in_module(obj)
        elif isinstance(obj, Iterable):
            got += [c for c in obj if isinstance(c, Case)]
        if not got:
            problems.append(LoadProblem(where, None, "provides no case."))
        c, p = _validated(_unique(got))
        cases += c
        problems += p
    return cases, problems


def load_cases(
    *paths: str | os.PathLike[str],
    builtin: bool = True,
    env: bool = True,
    entry_points: bool = True,
    strict: bool = False,
) -> Registry:
    """Load cost cases into a :class:`Registry`.

    Parameters
    ----------
    *paths
        Extra case files or folders (every ``*.py`` not starting with ``_``).
    builtin
        Load the built-in cases.
    env
        Load the paths in the ``FIRSTORDER_CASES`` variable (``os.pathsep``-separated).
    entry_points
        Load cases from the ``firstorder.cases`` entry-point group.
    strict
        Raise on the first problem instead of collecting it.

    Returns
    -------
    Registry
        The cases that loaded and validated; ``Registry.problems`` lists the others,
        each naming its file, line and problem.
    """
    sources: list[str | os.PathLike[str]] = []
    if builtin:
        sources.append(builtin_cases_dir())
    if env:
        sources += [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    sources += list(paths)
    cases: list[Case] = []
    problems: list[LoadProblem] = []
    for s in sources:
        c, p = _load_path(s)
        cases += c
        problems += p
    if entry_points:
        c, p = _load_entry_points()
        cases += c
        problems += p
    reg = Registry(cases, problems)
    if strict and reg.problems:
        raise CaseError(str(reg.problems[0]))
    return reg


_default: dict[tuple[str, ...], Registry] = {}


def resolve_case(c: Case | str, paths: Iterable[str | os.PathLike[str]] = ()) -> Case:
    """Return ``c`` itself, or the registered case named ``c``.

    Parameters
    ----------
    c
        A case, or the name of one.
    paths
        Extra case paths to look in.

    Raises
    ------
    FirstOrderError
        For an unknown name (listing the valid names).
    """
    if isinstance(c, Case):
        return c
    if not isinstance(c, str):
        raise FirstOrderError(f"`{c!r}` is neither a case nor a case name.")
    key = (os.environ.get(ENV_VAR, ""), *map(str, paths))
    if key not in _default:
        _default[key] = load_cases(*paths)
    return _default[key][c]
