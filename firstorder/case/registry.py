"""The case registry: a mapping from name to case, with its problems and its one selector.

Cases are loaded into a registry by :mod:`.loading`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import FirstOrderError, choices, unknown
from .model import Case

if TYPE_CHECKING:
    from .shipping import CaseOrigin

__all__ = ["LoadProblem", "Registry"]


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
    origins : dict of str to CaseOrigin
        Where each case came from, in a form another process can load it from (built
        in, a user's files shipped as text, an entry point); empty for a registry
        built from cases in memory.
    """

    def __init__(
        self,
        cases: Iterable[Case] = (),
        problems: Iterable[LoadProblem] = (),
        origins: Mapping[str, CaseOrigin] | None = None,
    ):
        self._cases: dict[str, Case] = {}
        found = list(problems)
        for c in cases:
            if c.name in self._cases:
                first = self._cases[c.name].source
                found.append(
                    LoadProblem(
                        file_of(c.source),
                        line_of(c.source),
                        f"duplicate case name `{c.name}` (first defined at {first}).",
                        c.name,
                    )
                )
                continue
            self._cases[c.name] = c
        self.problems: tuple[LoadProblem, ...] = tuple(found)
        known = origins or {}
        self.origins: dict[str, CaseOrigin] = {n: known[n] for n in self._cases if n in known}

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


def file_of(source: str) -> str:
    """The file of a case's ``source`` (``path:line``)."""
    head, _, tail = source.rpartition(":")
    return head if tail.isdigit() else source


def line_of(source: str) -> int | None:
    """The line of a case's ``source`` (``path:line``), or None."""
    _, _, tail = source.rpartition(":")
    return int(tail) if tail.isdigit() else None
