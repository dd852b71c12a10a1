"""The exceptions firstorder raises for bad input.

Every message is one sentence naming the culprit in backticks and, where there is a
choice, listing the valid choices.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CaseError", "FirstOrderError", "NotApplicableError", "choices"]


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


def unknown(kind: str, name: object, valid: Iterable[str]) -> FirstOrderError:
    """Build the error for an unknown name.

    Parameters
    ----------
    kind
        What was looked up, e.g. ``"case"``.
    name
        The name given.
    valid
        The valid names.

    Returns
    -------
    FirstOrderError
        ``unknown case `x`; choose from `a`, `b`.``
    """
    import difflib

    valid = list(valid)
    hint = difflib.get_close_matches(str(name), valid, n=1)
    near = f" (did you mean `{hint[0]}`?)" if hint else ""
    return FirstOrderError(f"unknown {kind} `{name}`{near}; choose from {choices(valid)}.")
