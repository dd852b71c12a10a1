"""Richardson extrapolation over a ladder of steps, each component at its own best window.

The automatic ``richardson`` at small n needs no step search: one batch takes central
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
by the order). The cost is 72 evaluations per component: cheap at small n, where call
overheads dominate. Above :data:`FULL_LADDER_MAX_N`, where each evaluation costs O(n),
a ladder of :data:`SHORT_LADDER` steps is placed by the central step search instead
(:func:`short_ladder`, about 40 evaluations per component, the search included).

The noise of the cost comes from Moré & Wild's ECnoise on one line through the
point (:func:`~firstorder.gradients.noise.noise_level`). At small n, where the fixed
overhead of each numpy call is most of a gradient's time, the noise line and the
ladder go to the cost in one call formed from a cached pattern, the windows and their
changes come from one matrix product, and the choice is vectorised over components.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..numbers import Array, Context
from .evaluate import CACHE_CHUNK_BYTES, axis_values
from .noise import NOISE_LINE, noise_from_values, noise_level, noise_offsets
from .result import GradientResult, Job
from .steps import StepSearch, variable_scales

__all__ = ["AUTO_LADDER", "FULL_LADDER_MAX_N", "LADDER_RATIO", "richardson_ladder", "short_ladder"]

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
#: The expected error's and the bound's noise terms, stacked to form both at once.
_NOISE_TERMS = np.array([EXPECTED_NOISE, BOUND_NOISE])[:, None, None]
#: The noise line and the ladder go to the cost in one call up to this many bytes.
FUSED_BYTES = 4 * CACHE_CHUNK_BYTES
#: Above this n the ladder is short, placed by the step search (:func:`short_ladder`).
FULL_LADDER_MAX_N = 64
#: Levels of the short ladder, and its top in units of the search's ``central6`` step.
SHORT_LADDER = 16
SHORT_TOP = 2.0**13


def richardson_ladder(job: Job, ctx: Context, x: Array) -> GradientResult:
    """The automatic Richardson gradient of ``job`` at ``x`` (a ``ctx`` array)."""
    if ctx.name == "mp":
        return _mp_ladder(job, ctx, x)
    k = AUTO_LADDER
    s = variable_scales(job.case.typical, x).astype(ctx.dtype, copy=False)
    with np.errstate(all="ignore"):
        f, moved, noise, used = _ladder_values(job, ctx, x, s)
        values, change, h, finite = _windows(f, moved, k)
        chosen = _choose(values, change, h, noise, finite)
    return _result(job, ctx, values, h, chosen, used)


def short_ladder(job: Job, ctx: Context, x: Array, found: StepSearch, used: int) -> GradientResult:
    """The automatic Richardson gradient at large n: :data:`SHORT_LADDER` steps placed by
    the step search ``found`` (which took ``used`` evaluations now; 0 when reused).

    Each evaluation costs O(n) there, so the full ladder's 72 per component would be
    most of the time: the third derivative and length scale the search measured
    predict the step of the ``O(h^6)`` balance (``central6``'s), and the ladder runs
    from :data:`SHORT_TOP` (2¹³) times above it (never above twice the variable's
    scale) down to a quarter of it at ratio 2: 32 evaluations per component.
    """
    k = SHORT_LADDER
    top = np.minimum(SHORT_TOP * found.steps("central6"), LADDER_TOP * found.scale)
    top = top.astype(ctx.dtype)
    with np.errstate(all="ignore"):
        f, moved = _axis_ladder(job, ctx, x, top, k)
        values, change, h, finite = _windows(f, moved, k)
        chosen = _choose(values, change, h, found.noise, finite)
    return _result(job, ctx, values, h, chosen, used)


def _result(
    job: Job,
    ctx: Context,
    values: Array,
    h: Array,
    chosen: tuple[Array, Array, Array],
    used: int,
) -> GradientResult:
    """The gradient of the windows ``chosen`` by :func:`_choose` (rows, columns, bounds)
    on a ladder of steps ``h`` (shape ``(k, n)``), its evaluations counted with the
    ``used`` of the noise or the step search."""
    best, cols, bound = chosen
    k, n = h.shape
    out = values[best, cols]
    return GradientResult(
        values=out if ctx.name == "mp" else out.astype(ctx.dtype, copy=False),
        nfev=2 * k * n + used,
        steps=h[_layout(k)[2][best], cols],
        backend="richardson",
        precision=job.precision,
        dps=ctx.dps,
        error_estimate=bound,
        step_rule="auto",
    )


def _windows(f: Array, moved: Array, k: int) -> tuple[Array, Array, Array, bool]:
    """The windows, their changes, the steps (float64) of a ladder of k steps from the
    cost ``f`` at the moved coordinates ``moved`` (both ``(2k, n)``), and whether every
    difference was finite."""
    # Divide by the representable spread (x + h) - (x - h), not by 2h.
    spread = moved[:k] - moved[k:]
    d = f[:k] - f[k:]
    d /= spread
    # (a sum is finite only if every term is; one that overflows takes the table)
    finite = math.isfinite(d.sum())
    if finite:
        # every window and its change in one product (a non-finite difference
        # would spread through the zero weights: the table keeps it local)
        both = _window_weights(k) @ d
        values, change = both[: len(both) // 2], both[len(both) // 2 :]
        # (sums of finite differences with weights of a few units stay finite)
    else:
        values, change = _table(d)
    return values, change, np.divide(spread, 2, dtype=np.float64), finite


def _axis_ladder(job: Job, ctx: Context, x: Array, top: Array, k: int) -> tuple[Array, Array]:
    """The cost at a ladder of k steps per side from ``top`` down by the ratio, one
    batched call per chunk, and the moved coordinates: both shape ``(2k, n)``."""
    shifts = _shifts(k, ctx.dtype)
    f = axis_values(job.case, x, top, shifts, ctx, job.chunk_bytes)
    return f, x + shifts[:, None] * top


def _ladder_values(job: Job, ctx: Context, x: Array, s: Array) -> tuple[Array, Array, float, int]:
    """The cost at the ladder's points and their coordinates, both shape ``(2k, n)``
    (entry ``[i, j]``: component j moved by the i-th offset), the noise and the
    evaluations it took.

    At small n the noise line and the ladder go to the cost as one batch, formed in
    one product from a cached pattern: the fixed overheads of the calls are then most
    of a gradient's time.
    """
    c = job.case
    n = x.shape[0]
    k2 = 2 * AUTO_LADDER
    # (the pattern's size, before it is built and cached)
    if (NOISE_LINE + k2 * n) * n * ctx.dtype.itemsize > min(FUSED_BYTES, job.chunk_bytes):
        noise, used = noise_level(c, x, ctx, s)
        f, moved = _axis_ladder(job, ctx, x, LADDER_TOP * s, AUTO_LADDER)
        return f, moved, noise, used
    pts = _pattern(n, ctx.dtype) * s
    pts += x
    m = len(pts) - k2 * n
    vals = c.cost(pts, ctx)
    noise, _ = noise_from_values(vals[:m], float(ctx.eps))
    # the moved coordinates: the diagonal of each (n, n) block of the ladder
    moved = pts[m:].reshape(k2, n * n)[:, :: n + 1]
    return np.asarray(vals[m:]).reshape(k2, n), moved, noise, m


@functools.lru_cache(maxsize=16)
def _pattern(n: int, dtype: Any) -> Array:
    """The noise line's offsets and the ladder's, in units of the variables' scales:
    ``x + pattern * s`` are the points of one fused call, shape ``(63 + 2kn, n)``."""
    k2 = 2 * AUTO_LADDER
    ladder = np.zeros((k2, n, n))
    diag = np.arange(n)
    ladder[:, diag, diag] = LADDER_TOP * _shifts(AUTO_LADDER, np.float64)[:, None]
    out = np.concatenate([noise_offsets(n), ladder.reshape(k2 * n, n)]).astype(dtype)
    out.flags.writeable = False
    return out


def _mp_ladder(job: Job, ctx: Context, x: Array) -> GradientResult:
    """The ladder in mp: its steps' offsets as mpf, the table level by level."""
    c = job.case
    k = AUTO_LADDER
    x64 = np.asarray(ctx.to_float(x), dtype=np.float64)
    top64 = LADDER_TOP * variable_scales(c.typical, x64)
    noise, used = noise_level(c, x, ctx, top64 / LADDER_TOP)
    powers = LADDER_RATIO ** -np.arange(k, dtype=np.float64)
    cshift = [ctx.const(repr(float(t))) for t in (*powers, *(-powers))]
    top = ctx.asarray(top64)
    half = np.array([[t * u for u in top] for t in cshift[:k]], dtype=object)
    with np.errstate(all="ignore"):
        f = axis_values(c, x, top, cshift, ctx, job.chunk_bytes)
        spread = (x + half) - (x - half)
        values, change = _table((f[:k] - f[k:]) / spread, ctx)
        h = np.asarray(ctx.to_float(spread), dtype=np.float64) / 2
        chosen = _choose(ctx.to_float(values), change, h, noise)
    return _result(job, ctx, values, h, chosen, used)


@functools.cache
def _shifts(k: int, dtype: Any) -> Array:
    """The ladder's offsets ``ratio^-i`` and their negatives, in ``dtype``."""
    powers = LADDER_RATIO ** -np.arange(k, dtype=np.float64)
    return np.concatenate([powers, -powers]).astype(dtype)


def _table(d: Array, ctx: Context | None = None) -> tuple[Array, Array]:
    """The windows of :data:`WINDOW_LEVELS` stacked, and each one's change (float64):
    to the next window down, and for a level's lowest window to the level below's.

    Level by level, so that a non-finite difference spoils only the windows it enters.
    """
    table = [d]
    for level in range(1, max(WINDOW_LEVELS) + 1):
        prev = table[-1]
        r = LADDER_RATIO ** (2 * level)
        table.append(prev[1:] + (prev[1:] - prev[:-1]) / (r - 1))
    parts = []
    for lv in WINDOW_LEVELS:
        w = table[lv]
        parts += [w[:-1] - w[1:], w[-1:] - table[lv - 1][-1:]]
    values = np.concatenate([table[lv] for lv in WINDOW_LEVELS])
    change = np.concatenate(parts)
    if ctx is not None and ctx.name == "mp":
        change = np.asarray(ctx.to_float(change), dtype=np.float64)
    return values, change


@functools.cache
def _window_weights(k: int) -> Array:
    """The weights :func:`_table` applies to the k central differences, as a matrix:
    the windows in its first half, their changes in its second."""
    values, change = _table(np.eye(k))
    return np.concatenate([values, change])


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


def _choose(
    values: Array, change: Array, h: Array, noise: float, finite: bool = False
) -> tuple[Array, Array, Array]:
    """Each component's window of least expected error: its rows, the columns, and
    the error bound there.

    Expected error and bound of a window: its change (truncation) plus the noise ε_f
    over its smallest step, at :data:`EXPECTED_NOISE` and :data:`BOUND_NOISE`. Both
    are guarded against a change that cancels by chance (a step near a period of the
    cost): a window's error is at least that of the window above, scaled down by the
    order. A window outside the interquartile fences of all (:func:`_outlying`) is
    charged its distance to their median. ``values`` are float64; ``finite`` says that
    they and their changes are all finite (which spares the checks).
    """
    up, div, small = _layout(h.shape[0])
    # A step below the spacing of x leaves no spread: an infinite error.
    err = _NOISE_TERMS * (noise / h[small])
    err += np.abs(change)
    if not finite:
        err[np.isnan(err)] = np.inf
    guard = err[:, up]
    guard /= div
    np.maximum(err, guard, out=err)
    err += _outlying(values, finite)
    best = err[0].argmin(axis=0)
    cols = _columns(values.shape[1])
    return best, cols, err[1, best, cols]


@functools.lru_cache(maxsize=64)
def _columns(n: int) -> Array:
    """``arange(n)``, read-only."""
    out = np.arange(n)
    out.flags.writeable = False
    return out


@functools.cache
def _quartile_rows(rows: int) -> Array:
    """The nearest-rank rows of the quartiles of ``rows`` sorted values."""
    return ((rows - 1) * _QUARTILES[:, 0]).astype(int)


def _outlying(values: Array, finite: bool = False) -> Array:
    """Each window's distance to the median of all windows where it lies outside their
    interquartile fences (numdifftools' outlier rule), else 0: a window of steps near a
    period of the cost changes little from the next and yet is far from the others."""
    v = np.asarray(values, dtype=np.float64)
    # quartiles of the finite windows by nearest rank (NaN sorts last); np.nanpercentile
    # loops over the columns
    ranked = np.sort(v, axis=0)
    if finite:
        p25, median, p75 = ranked[_quartile_rows(len(v))]
    else:
        count = np.isfinite(ranked).sum(axis=0)
        q = ((np.maximum(count, 1) - 1) * _QUARTILES).astype(int)
        p25, median, p75 = ranked[q, np.arange(v.shape[1])]
    iqr = 1.5 * (p75 - p25)
    out = v < p25 - iqr
    out |= v > p75 + iqr
    dist = v - median
    np.abs(dist, out=dist)
    # (where out is False: 0, as np.where has it, also for an infinite distance)
    dist[~out] = 0.0
    return dist
