"""The noise level of a cost: Moré & Wild's ECnoise from difference tables.

The automatic steps (:mod:`.steps`) and Richardson's window (:mod:`.richardson`)
balance truncation against this noise: ε_f, measured along one seeded line through
the point at several step sizes in one batched call, never assumed.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context

__all__ = [
    "NOISE_LINE",
    "NOISE_POINTS",
    "ecnoise",
    "noise_and_value",
    "noise_from_values",
    "noise_level",
    "noise_offsets",
    "noise_points",
]

#: Points of each ECnoise difference table, and the steps of the tables (× scale).
NOISE_POINTS = 9
NOISE_STEPS = 10.0 ** -np.arange(2.0, 15.0, 2.0)
#: Points of the noise line (all its tables).
NOISE_LINE = NOISE_POINTS * len(NOISE_STEPS)
#: Tables whose estimate is within this factor of the least are pooled.
POOL = 4.0


def ecnoise(f: Array) -> Array:
    """Moré & Wild's ECnoise: the noise of values taken at equal steps on lines.

    The k-th differences of pure noise of standard deviation σ have variance
    σ²·(2k)!/(k!)²; a smooth function's k-th differences vanish like h^k. The estimate
    σ_k = sqrt(γ_k · mean(Δ^k f)²), γ_k = (k!)²/(2k)!, agrees over the orders k ≥ 2
    once the smooth part is gone; their median is the estimate. (The search pools the
    tables of several steps that agree, free of the smooth part: :func:`_plateau`.)

    Parameters
    ----------
    f
        Shape ``(lines, points)``: one table per row.

    Returns
    -------
    numpy.ndarray
        One estimate per row; 0 for constant values (noise below the spacing of the
        numbers), NaN for a row with a non-finite value.
    """
    d = np.asarray(f, dtype=np.float64)
    diffs, weights = _ecnoise_operators(d.shape[1])
    if not len(weights):
        return np.full(d.shape[0], np.nan)
    # every order's differences in one product, their scaled mean squares in another
    table = d @ diffs.T
    # sorted as variances: the square root keeps the order, and only the middle needs it
    orders = (table * table) @ weights
    orders.sort(axis=1)
    m = orders.shape[1]
    if m % 2:
        return np.sqrt(orders[:, m // 2])
    return (np.sqrt(orders[:, m // 2 - 1]) + np.sqrt(orders[:, m // 2])) / 2


@functools.cache
def _ecnoise_operators(points: int) -> tuple[Array, Array]:
    """The k-th difference operators of ECnoise (k = 2 … 6) stacked, shape
    ``(rows, points)``, and the weights ``γ_k / (points − k)`` that turn their squares
    into each order's σ_k², shape ``(rows, orders)``."""
    rows, weights = [], []
    op = np.eye(points)
    orders = list(range(2, min(7, points - 2)))
    for k in range(1, orders[-1] + 1 if orders else 1):
        op = op[1:] - op[:-1]
        if k in orders:
            col = np.zeros((len(op), len(orders)))
            gamma = math.factorial(k) ** 2 / math.factorial(2 * k)
            col[:, orders.index(k)] = gamma / len(op)
            rows.append(op)
            weights.append(col)
    if not rows:
        return np.zeros((0, points)), np.zeros((0, 0))
    return np.concatenate(rows), np.concatenate(weights)


def noise_and_value(c: Case, x: Array, ctx: Context, s: Array) -> tuple[float, float, int]:
    """ε_f by ECnoise along one seeded direction, C(x), and the evaluations used.

    The direction is scaled per variable and centred on x, at several step sizes in
    one call: too large a step leaves the smooth part in the table, too small a one
    leaves values whose rounding barely changes; the tables that agree give the noise
    (at least eps·|C|).
    """
    line = noise_points(x, ctx, s)
    with np.errstate(all="ignore"):
        noise, f0 = noise_from_values(c.cost(line, ctx), float(ctx.eps))
    return noise, f0, len(line)


def noise_points(x: Array, ctx: Context, s: Array) -> Array:
    """The noise line's points through ``x`` (variables' scales ``s``), shape ``(63, n)``."""
    signs, t = _noise_line(x.shape[0])
    return (x + t * (signs * s)).astype(ctx.dtype, copy=False)


def noise_offsets(n: int) -> Array:
    """The noise line's offsets in units of the variables' scales ``s``, shape
    ``(63, n)``: its points are ``x + noise_offsets(n) * s``."""
    signs, t = _noise_line(n)
    return t * signs


@functools.lru_cache(maxsize=8)
def _noise_line(n: int) -> tuple[Array, Array]:
    """The seeded ±1 direction of the noise line, and its offsets as a column (the
    (63, n) table itself is not kept: at large n it is megabytes)."""
    signs = np.where(np.sin(np.arange(1.0, n + 1) * 12.9898) > 0, 1.0, -1.0)
    t = (np.arange(NOISE_POINTS) - NOISE_POINTS // 2)[None, :] * NOISE_STEPS[:, None]
    return signs, t.reshape(-1, 1)


def noise_from_values(values: Array, eps: float) -> tuple[float, float]:
    """ε_f and C(x) from the cost on the noise line (at least ``eps·|C(x)|``)."""
    fl = np.asarray(values, dtype=np.float64).reshape(-1, NOISE_POINTS)
    f0 = float(fl[0, NOISE_POINTS // 2])
    # a handful of tables: plain floats beat numpy calls on arrays this small
    found = [t for t in ecnoise(fl).tolist() if t > 0 and math.isfinite(t)]
    level = 0.0
    if found:
        pool = [t * t for t in _plateau(found)]
        level = math.sqrt(sum(pool) / len(pool))
    return max(level, eps * abs(f0), 1e-300), f0


def _plateau(found: list[float]) -> list[float]:
    """The tables whose estimates agree: the most of them within a factor
    :data:`POOL` of their least (of two as many, the lower).

    The tables free of the smooth part agree on the noise, and the smooth part only
    adds to an estimate; but one table can read low alone, where its step is so small
    that the cost's rounding barely changes along it (trigonometric at x0 + 1: one table
    at 1e-17 among five at 3e-16 to 8.5e-16; the least table there set steps whose
    error was 12 times the estimate). The least of several noisy estimates is biased low
    too: their variances are pooled.
    """
    found = sorted(found)
    best: list[float] = []
    for i, low in enumerate(found):
        group = [t for t in found[i:] if t <= POOL * low]
        if len(group) > len(best):
            best = group
    return best


def noise_level(c: Case, x: Array, ctx: Context, s: Array) -> tuple[float, int]:
    """The cost's noise ε_f near ``x`` (a ``ctx`` array) and the evaluations it took.

    In float64 and float32, ECnoise along one line scaled by the variables' scales
    ``s``; in mp, where the cost is smooth to its digits, ``eps·|C(x)|`` (one call).
    """
    if ctx.name != "mp":
        noise, _, used = noise_and_value(c, x, ctx, s)
        return noise, used
    f0 = c.cost(x[None], ctx)[0]
    return max(float(ctx.to_float(ctx.eps * abs(f0))), 1e-300), 1
