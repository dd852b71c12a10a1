"""Finite differences: Fornberg stencils of any order, and Richardson extrapolation.

Each scheme is one small function over the same batched evaluator, :func:`_fd_values`:
all perturbed points of one gradient go through ``case.cost`` in batched calls, built
a chunk of components at a time so that one chunk stays within a memory budget at
any ``n`` (a full ``n × n`` array is never formed).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context, context
from .evaluate import axis_values, rows_per_chunk
from .result import GradientResult, Job
from .richardson import AUTO_LADDER, FULL_LADDER_MAX_N, richardson_ladder, short_ladder
from .stencils import STENCILS, stencil_weights
from .step_rounds import NEAR
from .steps import StepSearch, rule_steps, search_steps, user_steps

__all__ = [
    "AUTO_LADDER",
    "RICHARDSON_LEVELS",
    "RICHARDSON_RATIO",
    "STEP_RULES",
    "clear_step_cache",
    "run_fd",
    "run_richardson",
]

#: Richardson: levels of the step ladder and the ratio between steps.
RICHARDSON_LEVELS = 3
RICHARDSON_RATIO = 2
#: The named step rules; any other step is a number or one per component.
STEP_RULES = ("auto", "rule")
#: Step searches by case, then by (point, precision): estimated once per point.
_SEARCHES: weakref.WeakKeyDictionary[Case, dict[tuple[bytes, str], StepSearch]] = (
    weakref.WeakKeyDictionary()
)
#: Points remembered per case.
_CACHE_POINTS = 256


def _weight(w: Fraction, ctx: Context) -> Any:
    if ctx.name == "mp":
        return ctx.const(w.numerator) / w.denominator
    return ctx.dtype.type(w.numerator / w.denominator)


@functools.lru_cache(maxsize=64)
def _stencil(name: str, ctx: Context) -> tuple[list[Any], list[tuple[int, Any]], list[Any]]:
    """Centre weight (if any), ``(offset, weight)`` pairs and offsets, in ``ctx``."""
    offsets, weights, _ = stencil_weights(name)
    pairs = list(zip(offsets, weights, strict=True))
    centre = [_weight(w, ctx) for s, w in pairs if s == 0 and w != 0]
    stencil = [(s, _weight(w, ctx)) for s, w in pairs if s != 0]
    shifts = [ctx.const(s) if ctx.name == "mp" else ctx.dtype.type(s) for s, _ in stencil]
    return centre, stencil, shifts


def _fd_values(
    c: Case,
    x: Array,
    h: Array,
    name: str,
    ctx: Context,
    chunk_bytes: int,
    sizes: Array | None = None,
) -> tuple[Array, int]:
    """Stencil ``name`` at point ``x`` (ctx array) with steps ``h``; values and nfev.

    When ``sizes`` is given, it receives per component the largest ``|C|`` met, which
    sets the round-off of the difference.
    """
    centre, stencil, shifts = _stencil(name, ctx)
    n = x.shape[0]
    k = len(stencil)
    nfev = k * n
    f0 = None
    if centre:
        f0 = c.cost(x[None], ctx)[0]
        nfev += 1
    itemsize = 64 if ctx.dtype == object else ctx.dtype.itemsize
    m = rows_per_chunk(chunk_bytes, k, n, itemsize)
    out = np.empty(n, dtype=ctx.dtype)
    for a in range(0, n, m):
        b = min(n, a + m)
        pts = np.empty((k, b - a, n), dtype=ctx.dtype)
        pts[...] = x
        diag = slice(a, None, n + 1)  # entry j of row j - a in a (b - a, n) block
        for i, s in enumerate(shifts):
            pts[i].reshape(-1)[diag] = x[a:b] + s * h[a:b]
        f = c.cost(pts.reshape(-1, n), ctx).reshape(k, b - a)
        acc = centre[0] * f0 if centre else None
        for i, (_, w) in enumerate(stencil):
            acc = w * f[i] if acc is None else acc + w * f[i]
        out[a:b] = acc / h[a:b]
        if sizes is not None:
            sizes[a:b] = np.max(np.abs(f), axis=0)
    return out, nfev


def clear_step_cache() -> None:
    """Forget every automatic step search (the next gradient at a point searches again)."""
    _SEARCHES.clear()


def step_search(c: Case, x: Array, precision: str, chunk_bytes: int) -> tuple[StepSearch, int]:
    """The cached search at ``x`` and the evaluations it cost now (0 when reused).

    mp runs the search in float64: the derivatives it measures are magnitudes, and the
    noise of mp is set by its own eps.
    """
    work = "float32" if precision == "float32" else "float64"
    x64 = np.asarray(
        np.asarray(x, dtype=object).astype(np.float64) if x.dtype == object else x, dtype=work
    )
    key = (x64.tobytes(), work)
    per = _SEARCHES.setdefault(c, {})
    found = per.get(key)
    if found is not None:
        return found, 0
    found = search_steps(c, x64, context(work), chunk_bytes, c.typical)
    if len(per) >= _CACHE_POINTS:
        per.pop(next(iter(per)))
    per[key] = found
    return found, found.nfev


class _Steps(NamedTuple):
    ctx: Context
    x: Array
    h: Array
    rule: str
    search: StepSearch | None
    noise: float | None
    nfev: int


def _representable(x: Array, h: Array, ctx: Context) -> Array:
    """The representable step (x + h) − x, where it is not lost altogether."""
    if ctx.name == "mp":
        return h
    h = np.asarray(h, dtype=ctx.dtype)
    actual = (x + h) - x
    np.copyto(actual, h, where=actual == 0)
    return actual


def _resolve(job: Job, name: str, order: int) -> _Steps:
    """The steps of ``job``: the automatic search, SciPy's rule, or the user's."""
    ctx = context(job.precision, job.dps)
    x = ctx.asarray(job.point)
    n = x.shape[0]
    step = job.step
    # Other strings are numbers (kept at full precision in mp), checked by user_steps.
    named = step if step is None or (isinstance(step, str) and step in STEP_RULES) else ""
    if named == "rule":
        return _Steps(
            ctx, x, _representable(x, rule_steps(x, order, ctx), ctx), "rule", None, None, 0
        )
    if named == "":
        return _Steps(
            ctx, x, _representable(x, user_steps(step, n, ctx), ctx), "user", None, None, 0
        )
    found, used = step_search(job.case, x, job.precision, job.chunk_bytes)
    h, noise = _auto_steps(found, name if name in STENCILS else "central", ctx)
    return _Steps(ctx, x, _representable(x, h, ctx), "auto", found, noise, used)


def _auto_steps(found: StepSearch, name: str, ctx: Context) -> tuple[Array, float]:
    """The automatic steps of stencil ``name`` in ``ctx``, and the noise they assume.

    mp is searched in float64: its steps are float64's moved by the ratio of the two
    noise levels, ``(ε_mp / ε_64)^(1/(p+1))``, as the balance of truncation and noise
    moves them (the derivatives, and so the length scales, are the same).
    """
    if ctx.name != "mp":
        h = found.steps(name)
        if name == "central":
            # near the search's last step, take it: its central difference is known
            near = (h <= NEAR * found.trial) & (h >= found.trial / NEAR)
            if found.unconfirmed is not None:
                near |= found.unconfirmed
            np.copyto(h, found.trial, where=near)
        return h, found.noise
    # The ratio of the noise levels is that of the two epsilons: formed from them, not
    # from ε_mp·|C(v)|, which underflows float64 where C(v) = 0 (a step of 0).
    ratio = float(ctx.eps) / float(np.finfo(np.float64).eps)
    order = STENCILS[name][1]
    h = found.steps(name) * ratio ** (1 / (order + 1))
    return ctx.asarray(h), found.noise * ratio


def run_fd(name: str) -> Callable[[Job], GradientResult]:
    def run(job: Job) -> GradientResult:
        order = STENCILS[name][1]
        st = _resolve(job, name, order)
        if name == "central" and st.nfev and st.ctx.name != "mp":
            values, nfev = _central_from_search(job, st)
        else:
            values, nfev = _fd_values(job.case, st.x, st.h, name, st.ctx, job.chunk_bytes)
        estimate = None
        if st.search is not None:
            h64 = np.asarray(st.ctx.to_float(st.h), dtype=np.float64)
            estimate = st.search.error(name, h64, st.noise)
        return GradientResult(
            values=values,
            nfev=nfev + st.nfev,
            steps=st.h,
            backend=name,
            precision=job.precision,
            dps=st.ctx.dps,
            error_estimate=estimate,
            step_rule=st.rule,
        )

    return run


def _central_from_search(job: Job, st: _Steps) -> tuple[Array, int]:
    """The central gradient right after a search: its last round's differences where the
    step is that round's, two evaluations per component elsewhere."""
    assert st.search is not None and st.search.central is not None
    ctx = st.ctx
    values = st.search.central.astype(ctx.dtype)  # a copy: the search keeps its own
    same = (st.h == st.search.trial.astype(ctx.dtype, copy=False)) & np.isfinite(values)
    if same.all():
        return values, 0
    idx = np.flatnonzero(~same)
    half = ctx.dtype.type(0.5)
    shifts = np.array([-1, 1], dtype=ctx.dtype)
    f = axis_values(job.case, st.x, st.h[idx], shifts, ctx, job.chunk_bytes, idx)
    # the weights in the central stencil's order: the same sums as _fd_values
    values[idx] = (-half * f[0] + half * f[1]) / st.h[idx]
    return values, 2 * len(idx)


def run_richardson(job: Job) -> GradientResult:
    """Richardson extrapolation of central differences, ``O(h^6)`` after two levels
    (``O(h^8)`` after three on the automatic ladder).

    With the automatic step, a ladder of :data:`AUTO_LADDER` steps (ratio 2) is taken in
    one batched call and each component keeps the window whose expected error is least,
    as numdifftools does (:mod:`.richardson`); it needs no step search. Above
    :data:`~.richardson.FULL_LADDER_MAX_N` components a shorter ladder is placed by the
    step search (not in mp, which keeps the full ladder). Otherwise three levels from
    the given step.
    """
    if job.step is None or (isinstance(job.step, str) and job.step == "auto"):
        ctx = context(job.precision, job.dps)
        x = ctx.asarray(job.point)
        if x.shape[0] > FULL_LADDER_MAX_N and ctx.name != "mp":
            found, used = step_search(job.case, x, job.precision, job.chunk_bytes)
            return short_ladder(job, ctx, x, found, used)
        return richardson_ladder(job, ctx, x)
    st = _resolve(job, "richardson", 2 * RICHARDSON_LEVELS)
    ctx, x, h0 = st.ctx, st.x, st.h
    r = RICHARDSON_RATIO
    table: list[list[Array]] = []
    nfev = 0
    sizes = np.empty(x.shape[0], dtype=ctx.dtype)
    for level in range(RICHARDSON_LEVELS):
        h = h0 / r**level
        d, used = _fd_values(job.case, x, h, "central", ctx, job.chunk_bytes, sizes)
        nfev += used
        row = [d]
        for k in range(1, level + 1):
            factor = r ** (2 * k) - 1
            row.append(row[k - 1] + (row[k - 1] - table[level - 1][k - 1]) / factor)
        table.append(row)
    best = table[-1][-1]
    # Truncation: the last extrapolation's change; round-off: eps·|C| / h at the
    # smallest step, amplified about twofold by the extrapolation weights.
    h_min = h0 / r ** (RICHARDSON_LEVELS - 1)
    estimate = np.abs(best - table[-1][-2]) + 2 * ctx.eps * np.abs(sizes) / h_min
    return GradientResult(
        values=best,
        nfev=nfev,
        steps=h0,
        backend="richardson",
        precision=job.precision,
        dps=ctx.dps,
        error_estimate=estimate,
        step_rule=st.rule,
    )
