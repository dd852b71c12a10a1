"""The words every table shares: verdicts and precisions, as ``Literal`` types.

One place says which precisions exist and which of them each part of firstorder
accepts, so a help text, a validator and an error message can never disagree.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "DEFAULT_RUN_PRECISIONS",
    "GRADIENT_PRECISIONS",
    "PRECISIONS",
    "RUN_PRECISIONS",
    "TAYLOR_PRECISIONS",
    "VERDICTS",
    "Precision",
    "Verdict",
]

Precision = Literal["float64", "float32", "complex128", "mp"]
"""A number system: IEEE double and single, complex double (the complex step), mpmath."""

Verdict = Literal["pass", "fail", "exact", "inconclusive", "not-applicable"]
"""The outcome of a Taylor test.

``exact``: the remainder sits at round-off over the whole range (a linear cost);
``inconclusive``: too few clean points to fit an order; ``not-applicable``: the test
cannot be run here (a backend that refuses the cost, a precision the cost cannot use).
"""

PRECISIONS: tuple[Precision, ...] = get_args(Precision)
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)

# What each part accepts. complex128 is the complex step's working arithmetic, never
# a precision a user asks a gradient or a Taylor test for.
GRADIENT_PRECISIONS: tuple[Precision, ...] = ("float64", "float32", "mp")
TAYLOR_PRECISIONS: tuple[Precision, ...] = ("float64", "float32", "mp")
RUN_PRECISIONS: tuple[Precision, ...] = ("float64", "float32", "mp")
DEFAULT_RUN_PRECISIONS: tuple[Precision, ...] = ("float64", "mp")
