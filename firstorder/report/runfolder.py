"""Run folders, written atomically.

A run writes into a hidden temporary folder beside its final place and is renamed into
place only when it completes; ``latest`` (a symlink in the base folder) then moves to
it. A run interrupted by Ctrl-C removes its temporary folder; one killed outright
leaves only a ``.tmp-*`` folder, never a half-written folder under a final name, and
the next run clears it. Earlier reports are never touched, except a folder of the same
name that a completed run replaces: it is moved aside first and deleted only after the
new one is in place.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import FirstOrderError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_BASE", "RunFolder", "versions"]

#: Where run folders go unless told otherwise.
DEFAULT_BASE = Path("reports")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".old-"


def versions() -> dict[str, str]:
    """Versions of firstorder, Python and the core packages, for ``run.json``."""
    import mpmath
    import numpy
    import pandas

    from .._version import __version__

    return {
        "firstorder": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mpmath": mpmath.__version__,
        "pandas": pandas.__version__,
    }


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "python_implementation": platform.python_implementation(),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunFolder:
    """A run folder under ``base``, written atomically (a context manager).

    Parameters
    ----------
    kind
        What is being run (``"run"``, ``"bench"``, ``"mutate"``, ``"sweep"``): the
        default name is ``{kind}-YYYYMMDD-HHMMSS``.
    base
        The folder holding run folders and the ``latest`` link (default ``reports``).
    name
        The run folder's name, replacing the timestamped default (e.g. ``default``).
    link_latest
        Whether a completed run moves ``base/latest`` to itself.

    Raises
    ------
    FirstOrderError
        When ``base`` cannot be created or written, or ``name`` is not a plain name —
        before any work starts.

    Examples
    --------
    >>> with RunFolder("run", base=tmp) as folder:  # doctest: +SKIP
    ...     folder.write_csv("orders.csv", frame)
    >>> folder.final  # doctest: +SKIP
    PosixPath('reports/run-20261128-153000')
    """

    def __init__(
        self,
        kind: str,
        base: str | os.PathLike[str] | None = None,
        name: str | None = None,
        link_latest: bool = True,
    ) -> None:
        self.kind = kind
        self.base = Path(base) if base is not None else DEFAULT_BASE
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.name = name or f"{kind}-{stamp}"
        if not _NAME.match(self.name) or self.name == "latest":
            raise FirstOrderError(
                f"run name `{self.name}` must be a plain folder name (letters, digits, `.`, "
                "`_`, `-`) other than `latest`."
            )
        self.link_latest = link_latest
        self.final = self.base / self.name
        self.path = self.base / f"{_TMP_PREFIX}{self.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.started = time.time()
        self._open = False

    # -- lifecycle ------------------------------------------------------------------------
    def prepare(self) -> RunFolder:
        """Create the temporary folder now, failing early if ``base`` is unwritable."""
        if self._open:
            return self
        try:
            self.base.mkdir(parents=True, exist_ok=True)
            self._clear_stale()
            self.path.mkdir()
            probe = self.path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            shutil.rmtree(self.path, ignore_errors=True)
            reason = exc.strerror or str(exc)
            raise FirstOrderError(
                f"output folder `{self.base}` is not writable ({reason}); choose another "
                "with `--out DIR`."
            ) from None
        self._open = True
        return self

    def _clear_stale(self) -> None:
        for p in self.base.glob(f"{_TMP_PREFIX}*"):
            m = re.search(r"-(\d+)-[0-9a-f]{8}$", p.name)
            if m and not _pid_alive(int(m.group(1))):
                shutil.rmtree(p, ignore_errors=True)

    def __enter__(self) -> RunFolder:
        return self.prepare()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def abort(self) -> None:
        """Remove the temporary folder; nothing else is touched."""
        shutil.rmtree(self.path, ignore_errors=True)
        self._open = False

    def commit(self) -> Path:
        """Rename the finished folder into place and move ``latest`` to it."""
        if not self._open:
            raise FirstOrderError(f"run folder `{self.final}` was not prepared.")
        trash = None
        if self.final.exists() or self.final.is_symlink():
            trash = self.base / f"{_TRASH_PREFIX}{self.name}-{uuid.uuid4().hex[:8]}"
            os.replace(self.final, trash)
        os.replace(self.path, self.final)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        if self.link_latest:
            link = self.base / "latest"
            tmp_link = self.base / f"{_TMP_PREFIX}latest-{uuid.uuid4().hex[:8]}"
            with contextlib.suppress(OSError):
                os.symlink(self.name, tmp_link, target_is_directory=True)
                os.replace(tmp_link, link)
        self._open = False
        return self.final

    # -- writing ----------------------------------------------------------------------------
    def file(self, relative: str) -> Path:
        """A path inside the run folder (parent folders are created)."""
        if not self._open:
            self.prepare()
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @contextlib.contextmanager
    def writing(self, relative: str) -> Iterator[Path]:
        """Yield the path of ``relative``; a failed write (a full disk, say) becomes a
        one-sentence :class:`FirstOrderError` (the caller's abort then removes the
        temporary folder, so nothing half-written is kept)."""
        try:
            yield self.file(relative)
        except OSError as exc:
            raise FirstOrderError(
                f"could not write `{relative}` into the run folder for `{self.final}` "
                f"({exc.strerror or exc}); earlier reports are untouched."
            ) from None

    def write_text(self, relative: str, text: str) -> Path:
        """Write a text file into the run folder."""
        with self.writing(relative) as target:
            target.write_text(text, encoding="utf-8")
        return target

    def write_csv(self, relative: str, frame: pd.DataFrame, digits: int = 17) -> Path:
        """Write a table as CSV (no index; floats to ``digits`` significant digits,
        17 by default: full float64 precision)."""
        with self.writing(relative) as target:
            frame.to_csv(target, index=False, float_format=f"%.{digits}g", lineterminator="\n")
        return target

    def write_json(self, relative: str, data: Any) -> Path:
        """Write JSON, indented and sorted."""
        return self.write_text(
            relative, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
        )

    def metadata(self, args: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``run.json`` record: versions, arguments, machine, times."""
        finished = time.time()
        return {
            "kind": self.kind,
            "name": self.name,
            "versions": versions(),
            "arguments": args,
            "machine": _machine(),
            "argv": sys.argv,
            "started": _dt.datetime.fromtimestamp(self.started, _dt.UTC).isoformat(),
            "finished": _dt.datetime.fromtimestamp(finished, _dt.UTC).isoformat(),
            "wall_time_s": round(finished - self.started, 3),
            **(extra or {}),
        }


@contextlib.contextmanager
def run_folder(kind: str, **kwargs: Any) -> Iterator[RunFolder]:
    """``with run_folder("run", base=...) as f:`` — same as :class:`RunFolder`."""
    with RunFolder(kind, **kwargs) as folder:
        yield folder
