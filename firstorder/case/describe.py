"""What ``firstorder list`` and ``firstorder show`` report about cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import pandas as pd

from ..numbers import DEFAULT_DPS, context
from .model import Case

__all__ = ["CaseDescription", "cases_frame", "describe"]


def cases_frame(cases: Iterable[Case]) -> pd.DataFrame:
    """One row per case: name, dim, tags, complex_safe, has_hessian, reference.

    Parameters
    ----------
    cases
        The cases, e.g. a :class:`~firstorder.Registry`'s values.

    Returns
    -------
    pandas.DataFrame
        With columns ``name, dim, scalable, tags, complex_safe, has_hessian,
        batched, reference``; ``tags`` holds sorted lists.
    """
    rows = [
        {
            "name": c.name,
            "dim": c.dim,
            "scalable": c.scalable,
            "tags": sorted(c.tags),
            "complex_safe": c.complex_safe,
            "has_hessian": c.has_hessian,
            "batched": c.batched,
            "reference": c.reference,
        }
        for c in cases
    ]
    columns = [
        "name",
        "dim",
        "scalable",
        "tags",
        "complex_safe",
        "has_hessian",
        "batched",
        "reference",
    ]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class CaseDescription:
    """A case's metadata with its cost and gradient at x0 in float64 and mp.

    Attributes
    ----------
    case : Case
        The case described.
    dps : int
        Digits of the mp evaluation.
    value, gradient : float, tuple of float
        Cost and analytic gradient at x0 in float64.
    value_mp, gradient_mp : str, tuple of str
        The same in mp, as decimal strings with ``dps`` significant digits.
    """

    case: Case
    dps: int
    value: float
    gradient: tuple[float, ...]
    value_mp: str
    gradient_mp: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The description as JSON-ready data."""
        c = self.case
        return {
            "name": c.name,
            "dim": c.dim,
            "scalable": c.scalable,
            "tags": sorted(c.tags),
            "reference": c.reference,
            "complex_safe": c.complex_safe,
            "has_hessian": c.has_hessian,
            "batched": c.batched,
            "published_value": None if c.value is None else str(c.value),
            "minimum": None if c.minimum is None else str(c.minimum),
            "points": {k: list(p) for k, p in c.points.items()},
            "source": c.source,
            "doc": c.doc,
            "x0": list(c.x0),
            "value": self.value,
            "gradient": list(self.gradient),
            "dps": self.dps,
            "value_mp": self.value_mp,
            "gradient_mp": list(self.gradient_mp),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per component: x0, gradient (float64) and gradient (mp)."""
        return pd.DataFrame(
            {
                "component": range(len(self.gradient)),
                "x0": self.case.x0,
                "gradient": self.gradient,
                "gradient_mp": self.gradient_mp,
            }
        )


def describe(c: Case, dps: int = DEFAULT_DPS) -> CaseDescription:
    """Describe a case, evaluating its cost and gradient at x0 in float64 and mp.

    Parameters
    ----------
    c
        The case.
    dps
        Digits of the mp evaluation.
    """
    x0 = c.point()
    mp = context("mp", dps)
    f = float(c.cost(x0))
    g = tuple(float(t) for t in np.asarray(c.grad(x0)))
    fm = c.cost(x0, mp)
    gm = c.grad(x0, mp)

    def text(x: Any) -> str:
        return str(mpmath.nstr(x, dps, min_fixed=-4, max_fixed=dps))

    return CaseDescription(
        case=c,
        dps=dps,
        value=f,
        gradient=g,
        value_mp=text(fm[()]),
        gradient_mp=tuple(text(t) for t in gm),
    )
