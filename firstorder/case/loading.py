"""Loading cases: the built-in folder, user files and folders, ``FIRSTORDER_CASES`` and
entry points, each case validated before it is registered.

A user's file is imported as ``python file.py`` would run it: its own folder is on
``sys.path``, so it can import a module beside it. Each loaded case keeps its origin
(:class:`~firstorder.case.shipping.CaseOrigin`), from which another process, a Dask
worker on another machine included, loads the same case (:func:`load_origin`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType

from ..errors import CaseError, FirstOrderError
from .model import Case, collecting
from .registry import LoadProblem, Registry, file_of, line_of
from .shipping import CaseOrigin, WorkerError, bundle_of, materialize, note_imported, worker_name
from .validation import validate_case

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "builtin_cases_dir",
    "import_user_file",
    "load_cases",
    "load_origin",
    "resolve_case",
]

#: Environment variable holding extra case paths, separated by ``os.pathsep``.
ENV_VAR = "FIRSTORDER_CASES"
#: Entry-point group through which installed packages contribute cases.
ENTRY_POINT_GROUP = "firstorder.cases"

Loaded = tuple[list[Case], list[LoadProblem]]


def builtin_cases_dir() -> Path:
    """The folder of built-in cases: inside the installed wheel, or ``cases/`` of a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_cases", package.parent / "cases"):
        if candidate.is_dir():
            return candidate
    raise FirstOrderError(f"the built-in cases are missing: neither `{package / '_cases'}` exists.")


# -- loading -----------------------------------------------------------------------------------

_file_cache: dict[tuple[str, int, int], Loaded] = {}


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


def import_user_file(path: str | os.PathLike[str], name: str | None = None) -> ModuleType:
    """Import a user's Python file as ``python file.py`` would run it.

    The file's folder goes first on ``sys.path`` (and stays there, as for a script),
    so the file can import a module beside it; the modules it imports from its folder
    are noted, to travel with its cases to other processes.

    Parameters
    ----------
    path
        The file.
    name
        Module name (default: one derived from the file's absolute path).

    Raises
    ------
    FirstOrderError
        When the path cannot be imported as a Python file.
    Exception
        Whatever the file raises while it runs.
    """
    path = Path(path).resolve()
    name = name or _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FirstOrderError(f"`{path}` is not a loadable Python file.")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module = importlib.util.module_from_spec(spec)
    before = set(sys.modules)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        note_imported(path.parent, [sys.modules.get(m) for m in set(sys.modules) - before - {name}])
    return module


def _load_file(path: Path) -> Loaded:
    path = path.resolve()
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _file_cache:
        return _file_cache[key]
    try:
        with collecting() as found:
            module = import_user_file(path)
    except FirstOrderError as exc:
        return [], [LoadProblem(str(path), None, str(exc))]
    except Exception as exc:  # noqa: BLE001 - report any failure of a user's file
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        msg = f"{type(exc).__name__}: {detail}".rstrip(": ")
        result: Loaded = ([], [LoadProblem(str(path), _exception_line(exc, path), msg)])
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


def _validated(cases: Iterable[Case]) -> Loaded:
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
            bad.append(LoadProblem(file_of(c.source), line_of(c.source), problem, c.name))
    return good, bad


def _load_path(raw: str | os.PathLike[str]) -> Loaded:
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


def _load_entry_points(
    origins: dict[str, CaseOrigin] | None = None, only: str | None = None
) -> Loaded:
    cases: list[Case] = []
    problems: list[LoadProblem] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if only is not None and ep.name != only:
            continue
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
        if origins is not None:
            dist = getattr(ep, "dist", None)
            origin = CaseOrigin.from_entry_point(ep.name, ep.value, dist.name if dist else "")
            origins.update(dict.fromkeys((x.name for x in c), origin))
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
    if env:
        sources += [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    sources += list(paths)
    cases: list[Case] = []
    problems: list[LoadProblem] = []
    origins: dict[str, CaseOrigin] = {}
    if builtin:
        c, p = _load_path(builtin_cases_dir())
        cases += c
        problems += p
        origins.update(dict.fromkeys((x.name for x in c), CaseOrigin.BUILTIN))
    for s in sources:
        c, p = _load_path(s)
        cases += c
        problems += p
        if c:
            # what the user gave travels as text, with the modules beside it it imports
            origin = CaseOrigin.from_bundle(bundle_of(s, c))
            for x in c:
                origins.setdefault(x.name, origin)
    if entry_points:
        c, p = _load_entry_points(origins)
        cases += c
        problems += p
    reg = Registry(cases, problems, origins)
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


_by_origin: dict[CaseOrigin, Registry] = {}


def load_origin(name: str, origin: CaseOrigin) -> Case:
    """Load the case ``name`` from where the client found it (in a worker, say).

    Parameters
    ----------
    name
        The case.
    origin
        Where it came from: :attr:`Registry.origins` of the client's registry.

    Raises
    ------
    WorkerError
        In one line naming this worker and the case, when it cannot be loaded here.
    """
    if origin not in _by_origin:
        _by_origin[origin] = _registry_of(origin)
    reg = _by_origin[origin]
    if name in reg:
        return reg[name]
    here = f"worker `{worker_name()}`"
    if origin.kind == "entry-point" and not reg.problems:
        raise WorkerError(
            f"case `{name}` comes from the package `{origin.package or origin.target}` "
            f"(entry point `{origin.entry_point}`), which is not installed on {here}; "
            "install it on every worker."
        )
    if origin.kind == "builtin":
        from .._version import __version__

        raise WorkerError(
            f"case `{name}` is not built into firstorder {__version__} on {here}; install the "
            "client's firstorder version on the workers."
        )
    why = str(reg.problems[0]) if reg.problems else "it defines no such case"
    raise WorkerError(
        f"case `{name}` did not load on {here} from `{origin.label}`: {why}".replace("\n", " ")
    )


def _registry_of(origin: CaseOrigin) -> Registry:
    if origin.kind == "builtin":
        return Registry(*_load_path(builtin_cases_dir()))
    if origin.kind == "entry-point":
        return Registry(*_load_entry_points(only=origin.entry_point))
    assert origin.bundle is not None
    local = origin.bundle.local_cases()
    if local is not None:  # the process that loaded it: use its cases as they are
        return Registry(local)
    root = materialize(origin.bundle)
    return Registry(*_load_path(root / origin.bundle.entry if origin.bundle.entry else root))
