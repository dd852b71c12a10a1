"""Richardson extrapolation over a ladder of steps, each component at its own best window.

The automatic ``richardson`` needs no step search: one batched call takes central
differences at :data:`AUTO_LADDER` steps (ratio 2) from twice each variable's scale
down by 2^35 ≈ 3·10¹⁰, enough to reach the balanced step of a variable a million
times smaller than its scale (tiny_scale). The table extrapolates to ``O(h^6)`` and
``O(h^8)``, and each component keeps the window whose *expected* error (the window's
change to the next one down, plus the noise of the cost over the smallest step) is
least, as numdifftools does with its Richardson error estimates; a window far from
the others (numdifftools' interquartile outlier rule) is charged its distance to
their median, so steps near a period of the cost (bohachevsky1) lose. A ratio of 4
left windows spanning 16× in step, too coarse to balance truncation against noise
(seed, levy13 stayed 10–30× above numdifftools). The error it reports is a bound
(the noise at three sigma, the change at least that of the window above scaled down
by the order). The cost is 72 evaluations per component, in one call: cheap at
small n, where call overheads dominate, and about 3.5× the central search at large n.

The noise of the cost comes from Moré & Wild's ECnoise on one line through the
point (:func:`~firstorder.gradients.steps.noise_level`), one more batched call.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..numbers import Array, Context
from .evaluate import axis_values
from .result import GradientResult, Job
from .steps import noise_level, variable_scales

__all__ = ["AUTO_LADDER", "LADDER_RATIO", "richardson_ladder"]

#: Levels of the automatic ladder, and the ratio between its steps.
AUTO_LADDER = 36
LADDER_RATIO = 2.0
#: Largest step of the ladder, in units of the variable's scale.
LADDER_TOP = 2.0
#: Extrapolation levels the windows are taken from: O(h^6) and O(h^8).
WINDOW_LEVELS = (2, 3)
#: The noise term of the expected error, in units of ε_f / h: the central difference
#: has noise ε_f/(√2 h), the extrapolation weights add about 10%.
EXPECTED_NOISE = 0.8
#: ... and of the reported bound (three sigma).
BOUND_NOISE = 3.3
_QUARTILES = np.array([[0.25], [0.5], [0.75]])


def richardson_ladder(job: Job, ctx: Context, x: Array) -> GradientResult:
    """The automatic Richardson gradient of ``job`` at ``x`` (a ``ctx`` array)."""
    c = job.case
    n = x.shape[0]
    x64 = np.asarray(ctx.to_float(x), dtype=np.float64) if ctx.name == "mp" else x
    top64 = LADDER_TOP * variable_scales(c.typical, x64)
    noise, used = noise_level(c, x, ctx, top64 / LADDER_TOP)
    k = AUTO_LADDER
    if ctx.name == "mp":
        powers = LADDER_RATIO ** -np.arange(k, dtype=np.float64)
        cshift: list[Any] | Array = [ctx.const(repr(float(t))) for t in (*powers, *(-powers))]
        top = ctx.asarray(top64)
        half = np.array([[t * u for u in top] for t in cshift[:k]], dtype=object)
    else:
        cshift = _shifts(k, ctx.dtype)
        top = top64.astype(ctx.dtype)
        half = cshift[:k, None] * top
    with np.errstate(all="ignore"):
        f = axis_values(c, x, top, cshift, ctx, job.chunk_bytes)
        # Divide by the representable spread (x + h) − (x − h), not by 2h.
        spread = (x + half) - (x - half)
        table = [(f[:k] - f[k:]) / spread]
        for level in range(1, max(WINDOW_LEVELS) + 1):
            prev = table[-1]
            r = LADDER_RATIO ** (2 * level)
            table.append(prev[1:] + (prev[1:] - prev[:-1]) / (r - 1))
        mp = ctx.name == "mp"
        h = (np.asarray(ctx.to_float(spread), dtype=np.float64) if mp else spread) / 2
        values = np.concatenate([table[lv] for lv in WINDOW_LEVELS])
        expected, bound = _window_errors(table, h, noise, ctx)
        wild = _outlying(ctx.to_float(values) if mp else values)
        expected += wild
        best = np.argmin(expected, axis=0)
    cols = np.arange(n)
    bound += wild
    return GradientResult(
        values=values[best, cols],
        nfev=2 * k * n + used,
        steps=h[_layout(k)[2][best], cols],
        backend="richardson",
        precision=job.precision,
        dps=ctx.dps,
        error_estimate=bound[best, cols],
        step_rule="auto",
    )


@functools.cache
def _shifts(k: int, dtype: Any) -> Array:
    """The ladder's offsets ``ratio^-i`` and their negatives, in ``dtype``."""
    powers = LADDER_RATIO ** -np.arange(k, dtype=np.float64)
    return np.concatenate([powers, -powers]).astype(dtype)


@functools.cache
def _layout(k: int) -> tuple[Array, Array, Array]:
    """For the windows of :data:`WINDOW_LEVELS` stacked: the row of the window above
    each (itself for a level's first), the order's factor it is scaled down by (1 for
    the first) and the ladder row of the window's smallest step."""
    up, div, small = [], [], []
    start = 0
    for lv in WINDOW_LEVELS:
        rows = k - lv
        up += [start, *range(start, start + rows - 1)]
        div += [1.0] + [LADDER_RATIO ** (2 * lv + 2)] * (rows - 1)
        small += list(range(lv, k))
        start += rows
    return np.array(up), np.array(div)[:, None], np.array(small)


def _window_errors(table: list[Array], h: Array, noise: float, ctx: Context) -> tuple[Array, Array]:
    """Expected error and error bound of each window of :data:`WINDOW_LEVELS`, stacked.

    Truncation: the window's change to the next window down (the lowest window, which
    has none, takes the change from the level below). Noise: ε_f over the smallest
    step of the window. Both are guarded against a change that cancels by chance (a
    step near a period of the cost): a window's error is at least that of the window
    above, scaled down by the order.
    """
    parts = []
    for lv in WINDOW_LEVELS:
        r = table[lv]
        parts += [r[:-1] - r[1:], r[-1:] - table[lv - 1][-1:]]
    up, div, small = _layout(h.shape[0])
    change = np.concatenate(parts)
    if ctx.name == "mp":
        change = ctx.to_float(change)
    trunc = np.abs(change)
    # A step below the spacing of x leaves no spread: an infinite error.
    noisy = noise / h[small]
    expected = trunc + EXPECTED_NOISE * noisy
    bound = trunc + BOUND_NOISE * noisy
    expected[np.isnan(expected)] = np.inf
    bound[np.isnan(bound)] = np.inf
    return np.maximum(expected, expected[up] / div), np.maximum(bound, bound[up] / div)


def _outlying(values: Array) -> Array:
    """Each window's distance to the median of all windows where it lies outside their
    interquartile fences (numdifftools' outlier rule), else 0: a window of steps near a
    period of the cost changes little from the next and yet is far from the others."""
    v = np.asarray(values, dtype=np.float64)
    # quartiles of the finite windows by nearest rank (NaN sorts last); np.nanpercentile
    # loops over the columns
    ranked = np.sort(v, axis=0)
    count = np.isfinite(ranked).sum(axis=0)
    q = ((np.maximum(count, 1) - 1) * _QUARTILES).astype(int)
    p25, median, p75 = ranked[q, np.arange(v.shape[1])]
    iqr = p75 - p25
    out = (v < p25 - 1.5 * iqr) | (v > p75 + 1.5 * iqr)
    return np.where(out, np.abs(v - median), 0.0)
