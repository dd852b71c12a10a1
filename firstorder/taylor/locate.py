"""Locating wrong gradient components by bisection over coordinate blocks.

A directional Taylor test along a direction supported on a block ``B`` of coordinates
fails exactly when some component in ``B`` is wrong (up to a measure-zero chance of
errors cancelling, made negligible by a random direction on the block). Halving the
failing blocks finds each wrong component in O(log n) tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..case.model import Case
from ..gradients.verified import VerifiedReference, verified_partials
from ..numbers import DEFAULT_DPS, Array, context
from .directional import fails_along
from .fit import strict_json

__all__ = ["Diagnosis", "locate_wrong_components"]


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """The wrong components of a gradient, with analytic and reference values.

    Attributes
    ----------
    components : tuple of int
        0-based indices of the wrong components.
    analytic : numpy.ndarray
        The values under test at those components (float64).
    reference : numpy.ndarray
        Reference values there (float64).
    ratio : numpy.ndarray
        ``analytic / reference``: −1 for a sign flip, 2 for a spurious factor 2; NaN
        where the reference is within its error estimate of 0.
    method : str
        How the reference was computed: ``complex-step`` or ``mp`` where either agrees
        with real-arithmetic differences, else ``richardson`` (see
        :func:`~firstorder.gradients.verified.verified_partials`).
    n_tests : int
        Directional Taylor tests the bisection used.
    error_estimate : numpy.ndarray
        The reference's error estimate per component, by its method.
    """

    components: tuple[int, ...]
    analytic: Array
    reference: Array
    ratio: Array
    method: str
    n_tests: int
    error_estimate: Array = field(default_factory=lambda: np.zeros(0))

    def to_frame(self) -> pd.DataFrame:
        """One row per wrong component: ``component``, ``analytic``, ``reference``,
        ``ratio``, ``relative_error`` (``(analytic − reference) / reference``, NaN where
        the ratio is: a ratio of 1.0000001 prints as 1.0), ``method`` and the
        reference's ``error_estimate``."""
        err = self.error_estimate
        if len(err) != len(self.components):
            err = np.full(len(self.components), np.nan)
        with np.errstate(all="ignore"):
            rel = (self.analytic - self.reference) / self.reference
        return pd.DataFrame(
            {
                "component": list(self.components),
                "analytic": self.analytic,
                "reference": self.reference,
                "ratio": self.ratio,
                "relative_error": np.where(np.isnan(self.ratio), np.nan, rel),
                "method": self.method,
                "error_estimate": err,
            }
        )

    def to_records(self) -> list[dict[str, Any]]:
        """The rows of :meth:`to_frame` as strict-JSON dicts (None where not finite)."""
        return [
            {str(k): strict_json(x) for k, x in r.items()}
            for r in self.to_frame().to_dict(orient="records")
        ]


def _block_direction(n: int, block: Array, rng: np.random.Generator) -> Array:
    d = np.zeros(n)
    # Magnitudes in [0.5, 1] with random signs: no component of the block is weak.
    d[block] = rng.uniform(0.5, 1.0, len(block)) * rng.choice([-1.0, 1.0], len(block))
    return d


def locate_wrong_components(
    case: Case,
    point: Any,
    gradient: Any,
    *,
    precision: str = "float64",
    dps: int = DEFAULT_DPS,
    seed: int = 0,
    assume_wrong: bool = False,
    fails: Callable[[Array], bool] | None = None,
) -> Diagnosis:
    """Find the wrong components of ``gradient`` at ``point`` by bisection.

    Parameters
    ----------
    case
        The case whose cost defines the truth.
    point
        The point, shape ``(n,)``.
    gradient
        The gradient under test at ``point``, shape ``(n,)`` (any number type).
    precision, dps
        The number system of the directional tests.
    seed
        Seed of the random block directions.
    assume_wrong
        Skip the test of the whole gradient (the caller saw it fail).
    fails
        ``fails(d)``: whether the gradient's Taylor test fails along the direction
        ``d`` (any length). Default: the directional test of
        :func:`~firstorder.taylor.directional.fails_along` in ``precision``.

    Returns
    -------
    Diagnosis
        The wrong components with analytic and reference values and their ratio.
    """
    v = np.asarray(point, dtype=np.float64)
    n = len(v)
    rng = np.random.default_rng(seed + 7919)
    tests = 0
    along = fails if fails is not None else fails_along(case, v, gradient, precision, dps)

    def block_fails(block: Array) -> bool:
        nonlocal tests
        tests += 1
        d = np.eye(n)[block[0]] if len(block) == 1 else _block_direction(n, block, rng)
        return along(d)

    def search(block: Array, known: bool) -> list[int]:
        if not known and not block_fails(block):
            return []
        if len(block) == 1:
            return [int(block[0])]
        half = len(block) // 2
        found = search(block[:half], False) + search(block[half:], False)
        if not found:
            # The block fails but neither half does on its random direction: the
            # error is too faint for block directions; test each axis instead.
            found = [int(i) for i in block if block_fails(np.array([i]))]
        return found

    comps = tuple(sorted(search(np.arange(n), assume_wrong)))
    analytic = context(precision, dps if precision == "mp" else None).to_float(
        np.asarray(gradient)[list(comps)]
    )
    ref = verified_partials(case, v, comps)
    return Diagnosis(
        comps, analytic, ref.values, _ratio(analytic, ref), ref.method, tests, ref.error_estimate
    )


def _ratio(analytic: Array, ref: VerifiedReference) -> Array:
    """``analytic / reference``; NaN where the reference cannot be told from 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = analytic / ref.values
    return np.where(np.abs(ref.values) > ref.error_estimate, ratio, np.nan)
