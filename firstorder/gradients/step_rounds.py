"""The rounds of the automatic step search: each component's step moved to the central
difference's balance of truncation and noise, from measured third derivatives.

:func:`~.steps.search_steps` measures the noise first, then hands the rounds to
:func:`measure_axes`. Each round is one batched call over the components still moving
(:func:`_round`); its outcome updates their steps either as arrays or, for a round
of a few components with ordinary steps, as plain floats: at small n each numpy call
on these short arrays costs more than its arithmetic, and the two updates give the
same numbers bit for bit (tests/unit/test_step_rounds.py checks it).
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context
from .evaluate import axis_values

__all__ = [
    "ABOVE",
    "CONFIRM_MAX_N",
    "FIRST",
    "MAX_STEP",
    "NEAR",
    "PLAIN_MAX_N",
    "RATIO",
    "ROUNDS",
    "SMOOTH",
    "FirstRound",
    "bounds",
    "first_rel",
    "first_steps",
    "measure_axes",
    "representable",
    "round_points",
]

#: The outer point of the search's pair of central differences, in units of h.
RATIO = 8.0
#: The first step of the search, in units of the balance for |f'''| ~ |C| / scale³.
FIRST = 4.0
#: A balanced step at most this factor above the search's step ends its search, and
#: ``central`` takes the search's step when its balance is within this factor of it.
NEAR = 2.0
#: ... and one at most this factor below it.
ABOVE = 8.0
#: Up to this n, a third derivative lost in the noise is confirmed at a larger step
#: (a round of 4 evaluations per component); above it, where each evaluation costs
#: O(n) and SciPy's 3-point takes 2 per component, the trial step is kept.
CONFIRM_MAX_N = 1000
#: Rounds of the search (each one batched call over the components still moving).
ROUNDS = 8
#: A cost whose noise is at most this many eps·|C| is smooth: its first step is the one
#: for noise eps·|C| (:func:`first_rel`), at most 2 = 8^(1/3) times below the one
#: for its measured noise.
SMOOTH = 8.0
#: Largest step, in units of the variable's scale.
MAX_STEP = 1.0
#: A round of at most this many components updates them as plain floats: about 40
#: numpy calls a round cost more than 3 µs of Python per component below it.
PLAIN_MAX_N = 16
#: (ρ² − 1): D(ρh) − D(h) ≈ (ρ² − 1) h² f'''/6.
_R2 = RATIO**2 - 1


class _State(NamedTuple):
    """The search's per-component arrays, updated in place round by round."""

    h: Array
    trial: Array
    d2: Array
    d3: Array
    central: Array
    above: Array
    unconfirmed: Array
    hmin: Array
    hmax: Array


class FirstRound(NamedTuple):
    """The first round of a search, taken before the noise was known (with the noise
    line): the steps it wanted, the steps the cost saw, and the cost at its points,
    shape ``(4, n)`` (:func:`round_points`), and the search's :func:`bounds`."""

    h: Array
    ha: Array
    values: Array
    hmin: Array
    hmax: Array


def bounds(x: Array, s: Array, eps: float) -> tuple[Array, Array]:
    """The least and largest steps of the search at ``x`` (scales ``s``)."""
    x64 = x if x.dtype == np.float64 else x.astype(np.float64)
    return 4 * eps * np.maximum(np.abs(x64), s * eps), MAX_STEP * s


def first_rel(noise: float, f0: float, eps: float) -> float:
    """The relative noise that sets the first step: ``noise/|f0|``, but ``eps`` where
    that is at most :data:`SMOOTH` eps (a smooth cost) or ``f0`` vanishes.

    The first step lies above the balance for |f'''| ~ |C| / scale³ at this noise,
    where f''' stands out clearly: one round ends there (2 more evaluations for the
    central difference at the balance), while a step below it needs another round. On
    a smooth cost it does not depend on the noise, so the first round can go to the
    cost in the noise line's call.
    """
    rel = noise / abs(f0) if f0 != 0 else eps
    return rel if rel > SMOOTH * eps else eps


def first_steps(s: Array, rel: float, hmin: Array, hmax: Array) -> Array:
    """The search's first step of each component (scales ``s``) at the relative noise
    ``rel`` (:func:`first_rel`), within ``[hmin, hmax]`` (:func:`bounds`)."""
    return np.minimum(np.maximum(FIRST * math.cbrt(3 * rel) * s, hmin), hmax)


def measure_axes(
    c: Case,
    x: Array,
    ctx: Context,
    chunk_bytes: int,
    s: Array,
    noise: float,
    f0: float,
    first: FirstRound | None = None,
) -> tuple[Array, Array, Array, Array, int, Array]:
    """Move each component's step to the central balance; steps, |f''|, |f'''|, D, nfev
    and the components that kept an unconfirmed step.

    ``first``, when given, is the first round, taken in the noise line's call at
    :func:`first_steps` for a smooth cost.
    """
    n = x.shape[0]
    eps = float(ctx.eps)
    if first is None:
        hmin, hmax = bounds(x, s, eps)
        h = first_steps(s, first_rel(noise, f0, eps), hmin, hmax)
    else:
        h, hmin, hmax = first.h, first.hmin, first.hmax
    # (np.empty and fill: np.full's Python overhead counts at small n)
    unknown = np.empty(n)
    unknown.fill(np.nan)
    above = np.empty(n)
    above.fill(np.inf)
    st = _State(
        h,
        h.copy(),
        unknown,
        unknown.copy(),
        np.zeros(n, dtype=ctx.dtype),
        above,
        np.zeros(n, dtype=bool),
        hmin,
        hmax,
    )
    active = np.arange(n)
    nfev = 0
    # above CONFIRM_MAX_N a round costs 4n evaluations of O(n) each: a third
    # derivative lost in the noise is not confirmed at a larger step
    confirm = n <= CONFIRM_MAX_N
    plain = n <= PLAIN_MAX_N and 0 < noise < math.inf
    plain = plain and all(map(math.isfinite, hmin.tolist() + hmax.tolist()))
    with np.errstate(all="ignore"):
        for r in range(ROUNDS):
            nfev += 4 * len(active)
            got = None
            if r == 0 and first is not None:
                # the first round, taken with the noise line
                if plain and ctx.dtype == np.float64 and _ordinary(first.ha, noise):
                    got = _outcome_plain(first.values.tolist(), first.ha.tolist(), f0)
                else:
                    d1, hh, t3, curv = _outcome(first.values, first.ha, f0, ctx)
            elif plain and ctx.dtype == np.float64:
                got = _round_plain(c, x, ctx, chunk_bytes, h, active, f0, noise)
            if got is None:
                if r > 0 or first is None:
                    d1, hh, t3, curv = _round(c, x, ctx, chunk_bytes, h[active], active, f0)
                if plain and _ordinary(hh, noise):
                    got = (d1.tolist(), hh.tolist(), t3.tolist(), curv.tolist())
            if got is None:
                active = _update_arrays(st, active, d1, hh, t3, curv, noise, confirm)
            else:
                active = _update_plain(st, active, *got, noise, confirm)
            if len(active) == 0:
                break
    trial, d2, d3, central = st.trial, st.d2, st.d3, st.central
    # Components never measured (non-finite at every step) fall back to the rule's step.
    if not np.isfinite(d3).all():
        bad = ~np.isfinite(d3)
        trial[bad] = eps ** (1 / 3) * s[bad]
        d2[bad] = 4 * noise / trial[bad] ** 2
        d3[bad] = 10 * noise / (2 * trial[bad] ** 3)
        central[bad] = np.nan
    return trial, d2, d3, central, nfev, st.unconfirmed


def _round(
    c: Case, x: Array, ctx: Context, chunk_bytes: int, h: Array, active: Array, f0: float
) -> tuple[Array, Array, Array, Array]:
    """One round of the search over the components ``active`` at their steps ``h``: the
    central difference at h (in ``ctx``, as the central stencil forms it), the
    representable steps, and |D(8h) − D(h)| and |C(x + 8h) − 2C(x) + C(x − 8h)|
    (float64)."""
    ha = representable(x[active], h, ctx)
    f = axis_values(c, x, ha, _search_shifts(ctx.dtype), ctx, chunk_bytes, active)
    return _outcome(f, ha, f0, ctx)


def representable(xa: Array, h: Array, ctx: Context) -> Array:
    """The steps ``h`` at ``xa`` as the cost sees them, ``(xa + h) − xa`` in ``ctx``
    (``h`` itself where that is not positive)."""
    want = h.astype(ctx.dtype, copy=False)
    ha = (xa + want) - xa
    np.copyto(ha, want, where=~(ha > 0))
    return ha


def round_points(x: Array, ha: Array, ctx: Context) -> Array:
    """The points of a round over every component at representable steps ``ha``, shape
    ``(4n, n)``, as :func:`~.evaluate.axis_values` forms them in one chunk."""
    n = x.shape[0]
    pts = np.empty((4, n, n), dtype=ctx.dtype)
    pts[...] = x
    pts.reshape(4, n * n)[:, :: n + 1] = x + _search_shifts(ctx.dtype)[:, None] * ha
    return pts.reshape(4 * n, n)


def _outcome(f: Array, ha: Array, f0: float, ctx: Context) -> tuple[Array, Array, Array, Array]:
    """A round's outcome (see :func:`_round`) from the cost at its points, shape
    ``(4, m)``, and its representable steps ``ha``."""
    # as the central stencil forms it, so the last round is that gradient
    half = ctx.dtype.type(0.5)
    d1 = (-half * f[1] + half * f[2]) / ha
    f64 = f.astype(np.float64, copy=False)
    hh = ha.astype(np.float64, copy=False)
    dr = (f64[3] - f64[0]) / (2 * RATIO * hh)
    t3 = np.abs(dr - d1.astype(np.float64, copy=False))
    curv = np.abs(f64[3] - 2 * f0 + f64[0])
    return d1, hh, t3, curv


def _round_plain(
    c: Case,
    x: Array,
    ctx: Context,
    chunk_bytes: int,
    h: Array,
    active: Array,
    f0: float,
    noise: float,
) -> tuple[list[float], list[float], list[float], list[float]] | None:
    """:func:`_round` in plain floats (float64 only, the same operations in the same
    order), as lists; None, before any evaluation, where a step is not
    :func:`_ordinary`."""
    hh = []
    # (the active components are sorted: all n of them are every component)
    every = len(active) == x.shape[0]
    xs, hs = (x, h) if every else (x[active], h[active])
    for xj, want in zip(xs.tolist(), hs.tolist(), strict=True):
        t = (xj + want) - xj  # the representable step
        if not t > 0:
            t = want
        if not _ordinary_step(t, noise):
            return None
        hh.append(t)
    idx = None if every else active
    f = axis_values(c, x, np.array(hh), _search_shifts(ctx.dtype), ctx, chunk_bytes, idx)
    return _outcome_plain(f.tolist(), hh, f0)


def _outcome_plain(
    f: list[list[float]], hh: list[float], f0: float
) -> tuple[list[float], list[float], list[float], list[float]]:
    """:func:`_outcome` in plain floats (the same operations in the same order), from
    the cost at a round's points and its representable steps, as lists."""
    d1, t3, curv = [], [], []
    for fm8, fm1, fp1, fp8, t in zip(*f, hh, strict=True):
        d = (-0.5 * fm1 + 0.5 * fp1) / t
        d1.append(d)
        t3.append(abs((fp8 - fm8) / (2 * RATIO * t) - d))
        curv.append(abs(fp8 - 2 * f0 + fm8))
    return d1, hh, t3, curv


@functools.cache
def _search_shifts(dtype: Any) -> Array:
    """The search's offsets in units of its step, ``(−8, −1, 1, 8)``, in ``dtype``."""
    out = np.array([-RATIO, -1, 1, RATIO], dtype=dtype)
    out.flags.writeable = False
    return out


def _update_arrays(
    st: _State,
    active: Array,
    d1: Array,
    hh: Array,
    t3: Array,
    curv: Array,
    noise: float,
    confirm: bool,
) -> Array:
    """One round's outcome for the components ``active`` (at steps ``hh``, with the
    round's D, |D(8h) − D(h)| and second difference): their measurements and next
    steps, and the components still moving.

    A measured f''' sets the step; a drowned one only bounds it: a faint one (1–3
    sigma) is followed to its balance, where the next round measures it cleanly; one
    lost in the noise tries the largest step (a quadratic direction ends there), or
    halfway, in logarithm, to the least step whose f''' stood out (which was too
    large); a non-finite value (a step leaving the domain) shrinks 100-fold. A f'''
    measured near its balance, or a little above it (where it stands out more), is
    known well enough to end the search; far above, the outer points may leave the
    region where the cubic term rules: it is measured again there.
    """
    sigma = 0.71 * noise / hh
    finite = np.isfinite(t3) & np.isfinite(curv)
    seen = finite & (t3 > 3 * sigma)
    hh2 = hh**2
    # f''' where it stands out of the noise, else its bound from 3 sigma
    third = 3 * sigma
    np.copyto(third, t3, where=seen)
    third = 6 * third / (_R2 * hh2)
    keep = active[finite]
    st.trial[keep] = hh[finite]
    st.central[keep] = d1[finite]
    st.d2[keep] = (np.maximum(curv, 4 * noise) / (RATIO * hh) ** 2)[finite]
    st.d3[keep] = third[finite]
    best = np.cbrt(3 * noise / third)
    new = np.sqrt(hh * st.above[active])
    np.copyto(new, np.cbrt(3 * noise * _R2 * hh2 / (6 * t3)), where=t3 > sigma)
    np.copyto(new, best, where=seen)
    rises = seen & (best < hh)
    st.above[active[rises]] = hh[rises]
    np.copyto(new, hh / 100, where=~finite)
    new = np.minimum(np.maximum(new, st.hmin[active]), st.hmax[active])
    near = seen & (best <= NEAR * hh) & (best >= hh / ABOVE)
    done = finite & (near | (new == hh))
    if not confirm:
        # lost in the noise: keep this step, whose error is then at most the noise's
        quiet = finite & ~seen & ~(t3 > sigma)
        st.unconfirmed[active[quiet]] = True
        done |= quiet
    st.h[active] = new
    return active[~done]


def _ordinary(hh: Array, noise: float) -> bool:
    """Whether plain floats can update a round at steps ``hh`` as numpy would: no
    division by zero (σ = 0.71 ε_f / h and h² neither vanish nor come near overflow)."""
    return all(_ordinary_step(t, noise) for t in hh.tolist())


def _ordinary_step(t: float, noise: float) -> bool:
    """:func:`_ordinary` for one step ``t``."""
    return 0.0 < t * t < 1e300 and 0.71 * noise / t > 0


def _update_plain(
    st: _State,
    active: Array,
    d1: list[float],
    hh: list[float],
    t3: list[float],
    curv: list[float],
    noise: float,
    confirm: bool,
) -> Array:
    """:func:`_update_arrays` in plain floats (the round's outcome as lists), component
    by component, for a round of a few components with :func:`_ordinary` steps: the
    same operations in the same order (x·x for x**2, as numpy squares), so the same
    numbers."""
    moving = []
    trial, central, d2, d3, above, h = st.trial, st.central, st.d2, st.d3, st.above, st.h
    hmin, hmax = st.hmin.tolist(), st.hmax.tolist()
    floor, gain = 4 * noise, 3 * noise * _R2
    for j, dj, hj, tj, cj in zip(active.tolist(), d1, hh, t3, curv, strict=True):
        sigma = 0.71 * noise / hj
        finite = math.isfinite(tj) and math.isfinite(cj)
        seen = finite and tj > 3 * sigma
        hj2 = hj * hj
        third = 6 * (tj if seen else 3 * sigma) / (_R2 * hj2)
        # (third > 0: a measured third derivative or 3 sigma; numpy has inf where it
        # underflows)
        best = math.cbrt(3 * noise / third) if third > 0 else math.inf
        if not finite:
            new = hj / 100
        elif seen:
            new = best
        elif tj > sigma:
            new = math.cbrt(gain * hj2 / (6 * tj))
        else:
            new = math.sqrt(hj * float(above[j]))
        if finite:
            trial[j], central[j], d3[j] = hj, dj, third
            wide = RATIO * hj
            d2[j] = max(cj, floor) / (wide * wide)
            if seen and best < hj:
                above[j] = hj
        new = min(max(new, hmin[j]), hmax[j])
        near = seen and NEAR * hj >= best >= hj / ABOVE
        done = finite and (near or new == hj)
        if not confirm and finite and not seen and not tj > sigma:
            st.unconfirmed[j] = True
            done = True
        h[j] = new
        if not done:
            moving.append(j)
    return np.array(moving, dtype=active.dtype)
