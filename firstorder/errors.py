"""The exceptions firstorder raises for bad input.

Every message is one sentence naming the culprit in backticks and, where there is a
choice, listing the valid choices.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CaseError", "FirstOrderError", "NotApplicableError", "choices", "unknown"]


class FirstOrderError(ValueError):
    """Bad input to firstorder: one sentence naming the culprit.

    The CLI turns it into a message on stderr and exit status 2.
    """


class CaseError(FirstOrderError):
    """A cost case is malformed: it fails validation or cannot be loaded."""


class NotApplicableError(FirstOrderError):
    """A method cannot be applied to a case (e.g. the complex step to ``abs``)."""


def choices(valid: Iterable[str]) -> str:
    """Format valid choices as ``a``, ``b``, ``c`` for an error message.

    Parameters
    ----------
    valid
        The valid names.

    Returns
    -------
    str
        The names in backticks, comma separated, sorted.
    """
    return ", ".join(f"`{v}`" for v in sorted(valid))


#: Choice lists up to this long are listed in full in an error message.
FULL_LIST_MAX = 8
#: Close names shown for a longer list.
CLOSE_NAMES = 4
#: The command that lists every valid name of a kind, for lists too long to print.
LISTED_BY = {
    "case": "firstorder list",
    "tag": "firstorder list",
    "backend": "firstorder backends",
    "stepped backend": "firstorder backends",
}


def unknown(
    kind: str, name: object, valid: Iterable[str], listed_by: str | None = None
) -> FirstOrderError:
    """Build the error for an unknown name.

    A short list of valid names (at most :data:`FULL_LIST_MAX`) is given in full; a
    longer one is not (76 case names make a 2 kB line): the message gives the closest
    names and the command that lists them all.

    Parameters
    ----------
    kind
        What was looked up, e.g. ``"case"``.
    name
        The name given.
    valid
        The valid names.
    listed_by
        The command that lists every valid name (default from :data:`LISTED_BY`).

    Returns
    -------
    FirstOrderError
        ``unknown case `x`; choose from `a`, `b`.`` or ``unknown case `rosenbrok`
        (did you mean `rosenbrock`?); close names: …; `firstorder list` shows all 76.``
    """
    import difflib

    valid = list(valid)
    close = difflib.get_close_matches(str(name), valid, n=CLOSE_NAMES)
    near = f" (did you mean `{close[0]}`?)" if close else ""
    if len(valid) <= FULL_LIST_MAX:
        return FirstOrderError(f"unknown {kind} `{name}`{near}; choose from {choices(valid)}.")
    others = close[1:]
    also = f"; other close names: {', '.join(f'`{v}`' for v in others)}" if others else ""
    command = listed_by or LISTED_BY.get(kind)
    if command is not None:
        tail = f"; `{command}` shows all {len(valid)}"
    else:
        sample = "" if close else f", e.g. {choices(sorted(valid)[:CLOSE_NAMES])}"
        tail = f"; {len(valid)} names in all{sample}"
    return FirstOrderError(f"unknown {kind} `{name}`{near}{also}{tail}.")
