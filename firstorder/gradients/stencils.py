"""Finite-difference weights by Fornberg's algorithm, for any derivative order and offsets.

Fornberg, "Generation of finite difference formulas on arbitrarily spaced grids",
Math. Comp. 51 (1988) 699–706. The recurrence only adds, multiplies and divides, so
with :class:`fractions.Fraction` (or mpf) offsets the weights are exact (or carry the
full working precision).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ..errors import FirstOrderError

__all__ = ["STENCILS", "fornberg_weights", "stencil_weights"]

#: Offsets (in units of the step) of the named stencils, and their order of accuracy.
STENCILS: dict[str, tuple[tuple[int, ...], int]] = {
    "forward": ((0, 1), 1),
    "backward": ((-1, 0), 1),
    "central": ((-1, 1), 2),
    "central4": ((-2, -1, 1, 2), 4),
    "central6": ((-3, -2, -1, 1, 2, 3), 6),
    "central8": ((-4, -3, -2, -1, 1, 2, 3, 4), 8),
}


def fornberg_weights(offsets: Sequence[Any], m: int = 1, x0: Any = 0) -> list[Any]:
    """Weights ``w`` with ``f^(m)(x0) ≈ Σ_k w_k f(offsets_k)``.

    Parameters
    ----------
    offsets
        Distinct grid points (ints, Fractions, floats or mpf). Ints give Fractions.
    m
        The derivative order, ``0 <= m < len(offsets)``.
    x0
        Where the derivative is taken.

    Returns
    -------
    list
        One weight per offset, in the number type of the offsets (Fraction for ints).

    Raises
    ------
    FirstOrderError
        For too few or repeated offsets, or a negative ``m``.
    """
    xs = [Fraction(x) if isinstance(x, int) else x for x in offsets]
    z = Fraction(x0) if isinstance(x0, int) else x0
    n = len(xs)
    if m < 0 or n <= m:
        raise FirstOrderError(f"derivative order `m={m}` needs at least {m + 1} offsets, got {n}.")
    if len(set(xs)) != n:
        raise FirstOrderError(f"`offsets` {list(offsets)} must be distinct.")
    one = xs[0] ** 0
    zero = one - one
    # c[j][k]: weight of point j for the k-th derivative.
    c = [[zero] * (m + 1) for _ in range(n)]
    c[0][0] = one
    c1 = one
    c4 = xs[0] - z
    for i in range(1, n):
        mn = min(i, m)
        c2 = one
        c5 = c4
        c4 = xs[i] - z
        for j in range(i):
            c3 = xs[i] - xs[j]
            c2 = c2 * c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i][k] = c1 * (k * c[i - 1][k - 1] - c5 * c[i - 1][k]) / c2
                c[i][0] = -c1 * c5 * c[i - 1][0] / c2
            for k in range(mn, 0, -1):
                c[j][k] = (c4 * c[j][k] - k * c[j][k - 1]) / c3
            c[j][0] = c4 * c[j][0] / c3
        c1 = c2
    return [row[m] for row in c]


@functools.cache
def stencil_weights(name: str) -> tuple[tuple[int, ...], tuple[Fraction, ...], int]:
    """Offsets, exact first-derivative weights and order of the stencil ``name``."""
    offsets, order = STENCILS[name]
    return offsets, tuple(fornberg_weights(offsets, 1)), order
