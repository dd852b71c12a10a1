"""Locating wrong gradient components by bisection over coordinate blocks.

A directional Taylor test along a direction supported on a block ``B`` of coordinates
fails exactly when some component in ``B`` is wrong (up to a measure-zero chance of
errors cancelling, made negligible by a random direction on the block). Halving the
failing blocks finds each wrong component in O(log n) tests.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..case.model import Case
from ..errors import NotApplicableError
from ..gradients.reference import reference_directional
from ..numbers import DEFAULT_DPS, Array, context
from .directional import fails_along

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
        ``analytic / reference``: −1 for a sign flip, 2 for a spurious factor 2.
    method : str
        How the reference was computed: ``complex-step``, ``mp`` or ``richardson``.
    n_tests : int
        Directional Taylor tests the bisection used.
    """

    components: tuple[int, ...]
    analytic: Array
    reference: Array
    ratio: Array
    method: str
    n_tests: int

    def to_frame(self) -> pd.DataFrame:
        """One row per wrong component: ``component``, ``analytic``, ``reference``, ``ratio``."""
        return pd.DataFrame(
            {
                "component": list(self.components),
                "analytic": self.analytic,
                "reference": self.reference,
                "ratio": self.ratio,
                "method": self.method,
            }
        )


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
    ref, method = _reference(case, v, comps, precision, dps)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = analytic / ref
    return Diagnosis(comps, analytic, ref, ratio, method, tests)


def _reference(
    case: Case, v: Array, comps: tuple[int, ...], precision: str, dps: int
) -> tuple[Array, str]:
    """Reference partial derivatives at ``comps``: complex step, mp, or Richardson."""
    if not comps:
        return np.zeros(0), "none"
    eye = np.eye(len(v))[list(comps)]
    if case.complex_safe and precision != "mp":
        h = 1e-100
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                vals = np.asarray(case.cost(v + 1j * h * eye, "complex128"))
            ref = np.imag(vals) / h
            if np.all(np.isfinite(ref)) and np.any(ref != 0):
                return ref.astype(float), "complex-step"
        except Exception:  # noqa: BLE001 - a cost that cannot take complex numbers
            pass
    try:
        out = reference_directional(case, v, eye, dps=max(dps, 30))
        return context("mp", max(dps, 30)).to_float(out), "mp"
    except (NotApplicableError, TypeError, AttributeError):
        pass
    return _richardson(case, v, eye), "richardson"


def _richardson(case: Case, v: Array, eye: Array) -> Array:
    """Central differences with two Richardson steps, in float64 (the last resort)."""
    scale = max(1.0, float(np.max(np.abs(v))))
    h = 1e-2 * scale
    ests = []
    for k in range(3):
        hk = h / 2**k
        up = np.asarray(case.cost(v + hk * eye, "float64"))
        dn = np.asarray(case.cost(v - hk * eye, "float64"))
        ests.append((up - dn) / (2 * hk))
    a = [(4 * ests[k + 1] - ests[k]) / 3 for k in range(2)]
    return (16 * a[1] - a[0]) / 15
