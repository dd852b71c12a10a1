"""Cases that travel: where a case came from, in a form another process can load it from.

A run's tasks carry the :class:`CaseOrigin` of their case, so a worker, on this machine
or on another one, needs only firstorder installed:

- a built-in case is loaded from the worker's own firstorder;
- a user's case file or folder (``--cases``, ``FIRSTORDER_CASES``) travels as text, in a
  :class:`CaseBundle` with the modules beside it that it imports; the worker writes it
  once to a temporary folder named by its content hash and loads it from there; the
  run removes those folders from every worker when it ends (:func:`forget`), and a
  folder a killed run left behind is swept once it is a day old;
- an entry-point case needs its package installed on the worker too.

Why the source and not pickled functions (``cloudpickle.register_pickle_by_value``):
the worker then loads a case exactly as the client did (same import, same validation),
a file's helper modules come along, any :class:`~concurrent.futures.Executor` can carry
it (a process pool pickles with the standard ``pickle``), and text does not tie the
workers to the client's Python version as pickled code objects do.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar, Literal

from ..errors import FirstOrderError

if TYPE_CHECKING:
    from .model import Case

__all__ = [
    "CaseBundle",
    "CaseOrigin",
    "WorkerError",
    "bundle_of",
    "forget",
    "materialize",
    "note_imported",
    "worker_name",
]

#: Modules each user folder's files imported from that folder (relative paths).
_BESIDE: dict[Path, set[str]] = {}
#: Cases of the bundles this process loaded itself, by digest.
_LOCAL: dict[str, list[Case]] = {}
#: A bundle folder untouched for this long (seconds) was left by a killed run.
STALE_AFTER_S = 24 * 3600


class WorkerError(FirstOrderError):
    """What went wrong in a worker, in one line naming the worker and the case."""


@dataclass(frozen=True)
class CaseBundle:
    """A user's case file or folder as text, with the modules beside it that it imports.

    Attributes
    ----------
    label : str
        What the user gave (for messages).
    entry : str
        The case file to load, relative to the bundle's folder; empty for a folder.
    files : tuple of (str, str)
        Relative POSIX path and source text of every file.
    """

    label: str
    entry: str
    files: tuple[tuple[str, str], ...]

    @cached_property
    def digest(self) -> str:
        """Content hash: names the folder a worker writes the bundle to."""
        h = hashlib.sha256(self.entry.encode())
        for rel, text in self.files:
            h.update(b"\0" + rel.encode() + b"\0" + text.encode())
        return h.hexdigest()[:20]

    def __hash__(self) -> int:
        return hash(self.digest)

    def local_cases(self) -> list[Case] | None:
        """The cases, when this process loaded the bundle itself; else None."""
        return _LOCAL.get(self.digest)


@dataclass(frozen=True)
class CaseOrigin:
    """Where a case came from.

    Attributes
    ----------
    kind : {"builtin", "bundle", "entry-point"}
        Built into firstorder, a user's file or folder, or an installed package.
    bundle : CaseBundle or None
        The user's files, for ``bundle``.
    entry_point, target, package : str
        The entry point's name and value and the package providing it, for
        ``entry-point``.
    """

    kind: Literal["builtin", "bundle", "entry-point"]
    bundle: CaseBundle | None = None
    entry_point: str = ""
    target: str = ""
    package: str = ""

    BUILTIN: ClassVar[CaseOrigin]

    @classmethod
    def from_bundle(cls, bundle: CaseBundle) -> CaseOrigin:
        """The origin of cases loaded from a user's file or folder."""
        return cls("bundle", bundle=bundle)

    @classmethod
    def from_entry_point(cls, name: str, target: str, package: str) -> CaseOrigin:
        """The origin of cases an installed package provides through an entry point."""
        return cls("entry-point", entry_point=name, target=target, package=package)

    @property
    def label(self) -> str:
        """What the origin is, for messages."""
        if self.bundle is not None:
            return self.bundle.label
        return self.entry_point or self.kind


CaseOrigin.BUILTIN = CaseOrigin("builtin")


def note_imported(folder: Path, modules: Iterable[ModuleType | None]) -> None:
    """Note the modules a user's file in ``folder`` imported from that folder."""
    folder = folder.resolve()
    seen = _BESIDE.setdefault(folder, set())
    for m in modules:
        file = getattr(m, "__file__", None)
        if m is None or not file or not file.endswith(".py") or m.__name__.startswith("firstorder"):
            continue
        path = Path(file).resolve()
        if path.is_relative_to(folder):
            seen.add(path.relative_to(folder).as_posix())


def bundle_of(raw: str | os.PathLike[str], cases: Sequence[Case]) -> CaseBundle:
    """The bundle of a user's case file or folder, after this process loaded ``cases`` from it.

    A file travels with the modules of its folder that it imported; a folder with every
    ``*.py`` in it and the modules of that folder its files imported.
    """
    path = Path(raw).expanduser().resolve()
    if path.is_dir():
        base, entry = path, ""
        names = {f.name for f in path.glob("*.py")}
    else:
        base, entry = path.parent, path.name
        names = {path.name}
    names |= _BESIDE.get(base, set())
    files = tuple((rel, (base / rel).read_text(encoding="utf-8")) for rel in sorted(names))
    bundle = CaseBundle(label=str(raw), entry=entry, files=files)
    _LOCAL.setdefault(bundle.digest, list(cases))
    return bundle


def _bundles_root() -> Path:
    return Path(tempfile.gettempdir()) / "firstorder-cases"


def materialize(bundle: CaseBundle) -> Path:
    """Write a bundle to this machine's temporary folder once; return its folder."""
    root = _bundles_root() / bundle.digest
    if root.is_dir():
        os.utime(root)  # in use: not stale
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(root.parent)
    # Write aside and rename: another worker process may be writing the same bundle.
    tmp = Path(tempfile.mkdtemp(prefix=f".{bundle.digest}.", dir=root.parent))
    for rel, text in bundle.files:
        target = tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    try:
        tmp.rename(root)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def forget(digests: Iterable[str]) -> int:
    """Remove these bundles' folders from this machine; return how many were there.

    A worker that already imported a bundle's modules keeps them; a later run that
    ships the same bundle writes it again.
    """
    removed = 0
    for digest in digests:
        folder = _bundles_root() / digest
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _sweep_stale(parent: Path) -> None:
    """Remove bundle folders (and half-written ones) untouched for :data:`STALE_AFTER_S`."""
    import time

    cutoff = time.time() - STALE_AFTER_S
    for folder in parent.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # another process removed it first
            continue


def worker_name() -> str:
    """This process as a worker: its Dask address, or host and process id."""
    if "distributed" in sys.modules:
        from distributed import get_worker

        try:
            return str(get_worker().address)
        except ValueError:
            pass
    return f"{socket.gethostname()} pid {os.getpid()}"
