"""Sampling the Taylor remainders along a direction, and measuring their floors.

Along a unit direction ``d`` and steps ``h_k`` (ratio 2), one batched cost call in the
precision under test gives

* ``r0 = |C(v + h d) − C(v)|`` (order 1),
* ``r1 = |C(v + h d) − C(v) − h ∇C·d|`` (order 2: the error of ΔC ≈ ∇C·Δv),
* ``r2 = |r1-expression − h²/2 dᵀHd|`` (order 3, where second derivatives are known).

The same call evaluates a noise probe: the cost at equally spaced points a few ulps
apart along ``d``, whose scatter is the cost's round-off noise at the point, and
every few steps the same point moved by a few ulps (what the step's own rounding
does to C). That noise, the size of the terms summed, and the plateau the remainders
reach at the smallest steps give each remainder's round-off floor
(:func:`measure_floors`), measured, not assumed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..case.model import Case
from ..errors import FirstOrderError
from ..numbers import Array, Context
from .detection import KAPPA, cost_noise
from .fit import local_orders, median, plateau_below_signal, plateau_floor

__all__ = [
    "JITTER",
    "PROBE",
    "Floors",
    "Samples",
    "cost_length",
    "evaluate_sweep",
    "form_samples",
    "jittered_steps",
    "measure_floors",
    "probe_noise",
    "resolution",
    "round_off",
    "sample_along",
    "sample_remainders",
    "sweep_points",
    "where_in_sweep",
]

#: The noise probe evaluates C at v + kδd for k = −PROBE … PROBE.
PROBE = 8
#: Every JITTER-th step is also evaluated moved by a few ulps.
JITTER = 4
#: Steps under RESOLVE·eps·‖v‖∞ move the point by a few ulps at most (the ladder
#: reaches that far where |C|/‖∇C‖ is small): there C(v ± h d) shares most of its
#: rounding with C(v), so its differences fall with h although they are round-off.
#: The probe's spacing and the plateau of the remainders are measured above it.
RESOLVE = 8.0


@dataclass(frozen=True, eq=False)
class Samples:
    """The remainders of one sweep along a direction, in float64.

    Attributes
    ----------
    h : numpy.ndarray
        The steps kept, decreasing (the largest ones dropped where the cost is not
        finite).
    dropped : numpy.ndarray
        The steps dropped.
    r0, r1, r2 : numpy.ndarray
        The remainders (``r2`` NaN without second derivatives).
    delta_c, linear : numpy.ndarray
        The signed ΔC and ∇C·Δv.
    cost : float
        C(v).
    gd : float
        ∇C·d of the gradient under test.
    dhd : float or None
        dᵀHd where second derivatives are known.
    magnitude : numpy.ndarray
        ``|C(v + h d)| + |C(v)|``: the size of the values differenced.
    terms : numpy.ndarray
        ``Σ|g_i Δv_i|``: the size of the terms of ∇C·Δv.
    wobble : numpy.ndarray
        The round-off noise of ``C(v + h d) − C(v)`` per step: κ times the probe's σ
        combined with ``eps·|C(v + h d)|`` (see :data:`~firstorder.taylor.detection.KAPPA`),
        or the change of C when a step within :data:`JITTER` of it is moved by a few
        ulps, whichever is larger.
    quadratic : numpy.ndarray or None
        ``|h²/2 dᵀHd|`` where known.
    eps : float
        The precision's unit round-off.
    s1 : numpy.ndarray
        The signed symmetric remainder ``(C(v + h d) − C(v − h d))/2 − ∇C·Δv`` (NaN
        where ``C(v − h d)`` is not finite).
    s1_exact : numpy.ndarray
        The same in the precision under test: in mp its intercept fit needs the digits
        that float64 would round away.
    s1_sigma : numpy.ndarray
        Its standard deviation under the noise model of
        :mod:`~firstorder.taylor.detection` (κ included).
    noise : float
        The measured round-off σ of one cost value at ``v``.
    """

    h: Array
    dropped: Array
    r0: Array
    r1: Array
    r2: Array
    delta_c: Array
    linear: Array
    cost: float
    gd: float
    dhd: float | None
    magnitude: Array
    terms: Array
    wobble: Array
    quadratic: Array | None
    eps: float
    s1: Array
    s1_exact: Array
    s1_sigma: Array
    noise: float


@dataclass(frozen=True, eq=False)
class Floors:
    """The measured round-off floor of each remainder at each step.

    Attributes
    ----------
    r0, r1 : numpy.ndarray
        Floors of r0 and r1.
    r2 : numpy.ndarray or None
        Floor of r2 where second derivatives are known.
    """

    r0: Array
    r1: Array
    r2: Array | None


def sample_remainders(
    c: Case, v64: Array, d64: Array, h64: Array, g: Array, cx: Context
) -> Samples:
    """Evaluate the cost along ``v + h d`` in one batched call and form the remainders.

    Parameters
    ----------
    c
        The case.
    v64, d64, h64
        The point, the unit direction and the decreasing steps (float64).
    g
        The gradient under test, in ``cx``.
    cx
        The number system.

    Raises
    ------
    FirstOrderError
        When the cost raises (naming the step) or is not finite at the point, at every
        step, or at a step smaller than a finite one.
    """
    return sample_along(c, v64, [d64], h64, g, cx)[0]


def sample_along(
    c: Case, v64: Array, ds: list[Array], h64: Array, g: Array, cx: Context
) -> list[Samples]:
    """:func:`sample_remainders` along several unit directions, in one cost call.

    Every point of every direction (both sides of each step and the noise probe) goes
    through the cost at once; points that several directions share (the point
    itself) are evaluated once. A cost that cannot batch is
    looped by its case, so sharing is then what saves time.

    Raises
    ------
    FirstOrderError
        As :func:`sample_remainders`, for the first direction where it applies.
    """
    v, h = cx.asarray(v64), cx.asarray(h64)
    delta = max(float(h64[-1]), resolution(v64, cx))
    blocks = [sweep_points(v, cx.asarray(d), h, delta, cx) for d in ds]
    size = len(blocks[0])
    vals, bad = evaluate_sweep(
        c, np.concatenate(blocks), cx, lambda k: where_in_sweep(k % size, h64)
    )
    out = []
    for j, (d64, pts) in enumerate(zip(ds, blocks, strict=True)):
        part = slice(j * size, (j + 1) * size)
        out.append(form_samples(c, v64, d64, h64, g, cx, pts, vals[part], bad[part]))
    return out


def resolution(v64: Array, cx: Context) -> float:
    """The smallest step that moves the point by more than a few ulps."""
    return RESOLVE * float(cx.eps) * float(np.max(np.abs(v64))) if len(v64) else 0.0


def sweep_points(
    v: Array, d: Array, h: Array, delta: float, cx: Context, probe: int = PROBE
) -> Array:
    """The points of one sweep: ``v`` and ``v + h d``, ``v − h d``, every
    :data:`JITTER`-th step jittered, and the noise probe ``v + kδd``,
    ``k = −probe … probe`` (see :func:`where_in_sweep` for the layout)."""
    pts = np.concatenate([v[None, :], v[None, :] + h[:, None] * d[None, :]])
    minus = v[None, :] - h[:, None] * d[None, :]
    # The noise probe v + kδd measures the cost's round-off at the point. What it
    # cannot see is how a step's own rounding changes C (eps·|v_i| per component
    # times the change of ∇C along the step: all of r1 at a stationary point), and
    # round-off that grows along the ladder: a few steps moved by a few ulps show
    # both. They change slowly with h, so every JITTER-th step is enough.
    jitter = pts[1 + jittered_steps(len(h))] * (1 + 2 * cx.eps)
    k = cx.asarray(np.arange(-probe, probe + 1, dtype=float))
    probe = v[None, :] + (k * cx.asarray(delta))[:, None] * d[None, :]
    return np.concatenate([pts, minus, jitter, probe])


def jittered_steps(n: int) -> Array:
    """The steps (0-based) whose points are also evaluated jittered."""
    return np.arange(0, n, JITTER)


def _wobble(moved: Array, at: Array, index: Array, jittered: Array) -> Array:
    """The jitter's change of C at each step, ``index`` their places in the full
    ladder and ``jittered`` those of the jittered ones: the largest change measured
    within :data:`JITTER` places (NaN-free; 0 where none is finite or near)."""
    near = np.abs(index[:, None] - jittered[None, :]) <= JITTER
    with np.errstate(invalid="ignore"):
        w = np.abs(moved - at)
    w = np.where(np.isfinite(w), w, 0.0)
    return np.max(np.where(near, w[None, :], 0.0), axis=1, initial=0.0)


def probe_noise(v: Array, g: Array, cx: Context, probe: Array, probed: Array, c0: Any) -> float:
    """The round-off σ of one cost value at ``v`` from the noise probe: the points
    ``probe`` and their costs ``probed`` (:func:`~firstorder.taylor.detection.cost_noise`
    of ``C − ∇C·Δv``, in the precision under test)."""
    f = cx.to_float
    lin = cx.sum(g[None, :] * (probe - v[None, :]))
    return cost_noise(f(probed - lin), float(cx.eps), float(f(c0)))


def round_off(
    noise: float, eps: float, plus: Array, minus: Array, sym_terms: Array
) -> tuple[Array, Array]:
    """The round-off deviations of r1 and s1 at each step, before κ and any plateau.

    Each cost value carries the probe's ``noise`` or its own ``eps·|C|``, whichever is
    larger; r1 adds C(v)'s, s1 halves the two sides' and adds the rounding of
    ``∇C·Δv`` (``eps`` times ``sym_terms`` = Σ|g_i Δv_i|).

    Parameters
    ----------
    noise, eps
        The probe's σ of one cost value, and the precision's eps.
    plus, minus
        C(v + h d) and C(v − h d) per step (float64).
    sym_terms
        Σ|g_i Δv_i| per step, Δv the symmetric half-step.
    """
    sides = np.maximum(noise, eps * np.abs(plus))
    back = np.maximum(noise, eps * np.abs(minus))
    return np.hypot(sides, noise), np.hypot(np.hypot(sides, back) / 2, eps * sym_terms)


def form_samples(
    c: Case,
    v64: Array,
    d64: Array,
    h64: Array,
    g: Array,
    cx: Context,
    rows: Array,
    both: Array,
    bad: Array,
    index: Array | None = None,
    jittered: Array | None = None,
    noise: float | None = None,
) -> Samples:
    """The remainders of one sweep from its points ``rows`` and their costs.

    Where some steps were left out (:mod:`~firstorder.taylor.ladder`), ``index`` holds
    the places of the steps ``h64`` in the full ladder and ``jittered`` those of the
    jittered ones (by default every place, and every :data:`JITTER`-th); ``noise``
    is the probe's σ where another sweep at the same point measured it (``rows`` then
    end with the jittered points, without a probe).
    """
    index = np.arange(len(h64)) if index is None else np.asarray(index)
    jittered = jittered_steps(len(h64)) if jittered is None else np.asarray(jittered, dtype=int)
    jit = np.searchsorted(index, jittered)
    m, nj = len(h64) + 1, len(jit)
    pts, minus, probe = rows[:m], rows[m : 2 * m - 1], rows[2 * m - 1 + nj :]
    v, d = cx.asarray(v64), cx.asarray(d64)
    top = _finite_steps(c.name, bad[:m], h64)
    vals, back, probed = both[:m], both[m : 2 * m - 1], both[2 * m - 1 + nj :]
    back_bad = bad[m : 2 * m - 1]
    with np.errstate(over="ignore"):  # mp values beyond float64's range: not finite
        moved = cx.to_float(both[2 * m - 1 : 2 * m - 1 + nj])
        at = cx.to_float(vals[1 + jit])
    wobble = _wobble(moved, at, index, jittered)[top:]
    dropped = h64[:top]
    if top:
        keep = np.concatenate([[0], np.arange(top + 1, len(pts))])
        vals = vals[keep]
        back, back_bad, minus = back[top:], back_bad[top:], minus[top:]
        h64 = h64[top:]
    h = cx.asarray(h64)
    c0, ch = vals[0], vals[1:]
    gd = cx.sum(g * d)
    delta = ch - c0
    # The step actually taken: v + h d is rounded to the precision, and that rounding
    # (about eps·|v_i| per component) changes C by up to eps·Σ|g_i v_i|, which does not
    # shrink with h and reads as a gradient error at small steps. The difference of
    # the rounded points and v is exact (Sterbenz), so ∇C·Δv is the linear term.
    dv = pts[1:][-len(h64) :] - v[None, :]
    lin = cx.sum(g[None, :] * dv)
    lin_abs = cx.sum(cx.abs(g[None, :] * dv))
    rem1 = delta - lin
    f = cx.to_float
    eps = float(cx.eps)
    # The symmetric remainder, with the step actually taken on each side.
    dvs = (pts[1:][-len(h64) :] - minus) / 2
    sym_exact = (vals[1:] - back) / 2 - cx.sum(g[None, :] * dvs)
    # Where C(v − h d) is not finite in float64 (in mp it may be finite but beyond
    # float64's range) S is not formed: converting it would overflow.
    sym = np.where(back_bad, np.nan, f(np.where(back_bad, 0, sym_exact)))
    sym_terms = np.abs(f(cx.sum(cx.abs(g[None, :] * dvs))))
    if noise is None:
        noise = probe_noise(v, g, cx, probe, probed, c0)
    r1_sigma, sigma = round_off(noise, eps, f(vals[1:]), f(np.where(back_bad, 0, back)), sym_terms)
    # Round-off in steps that a probe at one place cannot see shows as a plateau.
    resolved = h64 >= resolution(v64, cx)
    if resolved.sum() < len(h64) // 2:
        resolved[:] = True
    # Steps below the last one with an s1 (a −h side stopped early, see
    # :mod:`~firstorder.taylor.ladder`) have no plateau to show.
    formed = np.flatnonzero(np.isfinite(sym))
    resolved[formed[-1] + 1 if len(formed) else 0 :] = False
    sigma = KAPPA * np.maximum(sigma, plateau_below_signal(np.abs(sym[resolved])) / 3)
    dhd = quad = None
    r2 = np.full(len(h64), np.nan)
    if c.has_hessian:
        hv = c.hess_vec(v, d, cx)
        dhd = cx.sum(hv * d)
        r2 = np.abs(f(rem1 - h * h / 2 * dhd))
        quad = np.abs(f(h * h / 2 * dhd))
    return Samples(
        h=h64,
        dropped=dropped,
        r0=np.abs(f(delta)),
        r1=np.abs(f(rem1)),
        r2=r2,
        delta_c=f(delta),
        linear=f(lin),
        cost=float(f(c0)),
        gd=float(f(gd)),
        dhd=float(f(dhd)) if dhd is not None else None,
        magnitude=np.abs(f(ch)) + abs(float(f(c0))),
        terms=np.abs(f(lin_abs)),
        wobble=np.maximum(KAPPA * r1_sigma, wobble),
        quadratic=quad,
        eps=eps,
        s1=sym,
        s1_exact=sym_exact,
        s1_sigma=sigma,
        noise=noise,
    )


def measure_floors(s: Samples) -> Floors:
    """The round-off floor of each remainder, from the sweep itself.

    Three measurements, the largest wins at each step: ``eps`` times the size of the
    values and terms summed (scaled by the ulps the cost really loses, read off the
    smallest steps), the cost's own noise measured by the probe (see
    :attr:`Samples.wobble`), and the plateau r1 reaches at the smallest steps
    (round-off that a probe at one place cannot see).
    """
    base0 = s.eps * s.magnitude
    base1 = s.eps * (s.magnitude + s.terms)
    m = _floor_multiplier(s.h, s.r1, base1)
    noise = s.wobble
    # each step's and its neighbours' (cyclically)
    before, after = np.concatenate([noise[-1:], noise[:-1]]), np.concatenate([noise[1:], noise[:1]])
    noise = np.maximum(np.maximum(noise, before), after)
    plateau = plateau_floor(s.r1)
    floor0 = np.maximum(m * base0, noise)
    floor1 = np.maximum(np.maximum(m * base1, noise), plateau)
    floor2 = None
    if s.quadratic is not None:
        floor2 = np.maximum(m * (base1 + s.eps * s.quadratic), np.maximum(noise, plateau))
    return Floors(r0=floor0, r1=floor1, r2=floor2)


def _floor_multiplier(h: Array, r: Array, base: Array) -> float:
    """Empirical factor on the theoretical floor, from the smallest steps.

    The smallest steps lie below the round-off floor by construction; where ``r``
    has stopped falling there, its size over ``eps · |terms|`` measures how many
    ulps the cost evaluation really loses.
    """
    tail = slice(-4, None)
    q = local_orders(h, r)[-5:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = r[tail] / base[tail]
    # Stopped falling: a wrong gradient's r1 = |e h| still falls at order 1.
    if np.all(np.isnan(q)) or median(q, skip_nan=True) < 0.5:
        finite = ratio[np.isfinite(ratio)]
        return max(1.0, float(finite.max())) if len(finite) else 1.0
    return 1.0


def cost_length(c: Case, v64: Array, g: Array | None, cx: Context) -> float | None:
    """``|C(v)| / ‖∇C‖∞``: the length over which the cost changes by its own size."""
    if g is None:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            c0 = abs(float(cx.to_float(c.cost(cx.asarray(v64), cx))))
        except Exception:  # noqa: BLE001 - the sweep names the failure properly
            return None
        gmax = float(np.max(np.abs(cx.to_float(g)))) if len(v64) else 0.0
    return c0 / gmax if gmax > 0 and math.isfinite(c0) else None


def where_in_sweep(k: int, h: Array) -> str:
    """Where row ``k`` of a sweep lies: the point and its ``len(h)`` steps, the
    ``len(h)`` steps on the −h side, the jittered steps, then the noise probe."""
    m, idx = len(h) + 1, jittered_steps(len(h))
    if k >= 2 * m - 1 + len(idx):
        return "near the point (noise probe)"
    if k >= 2 * m - 1:
        return f"at step `h={h[idx[k - 2 * m + 1]]:.3g}` (moved by a few ulps)"
    if k >= m:
        return f"at step `h=-{h[k - m]:.3g}`"
    return "at the point itself" if k == 0 else f"at step `h={h[k - 1]:.3g}`"


def evaluate_sweep(
    c: Case, pts: Array, cx: Context, where: Callable[[int], str], distinct: bool = False
) -> tuple[Array, Array]:
    """Evaluate the cost at all sweep points in one call; name the step if it raises.

    ``where(k)`` says where row ``k`` lies. A cost that cannot batch is looped by its
    case, so each distinct point is evaluated once (the point itself recurs in every
    sweep), unless the caller knows the points ``distinct``. Floating-point overflow
    is no error here: it shows as a non-finite value, which the caller judges (at the
    largest steps it is pre-asymptotic). Returns the values and the mask of
    non-finite ones.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            if c.batched or pts.dtype == object or distinct:
                vals = np.asarray(c.cost(pts, cx))
            else:
                uniq, inverse = np.unique(pts, axis=0, return_inverse=True)
                vals = np.asarray(c.cost(uniq, cx))[inverse.reshape(-1)]
            bad = ~np.isfinite(cx.to_float(vals))
        except FirstOrderError:
            raise
        except Exception as exc:
            for k in range(len(pts)):
                try:
                    c.cost(pts[k], cx)
                except Exception as inner:
                    raise FirstOrderError(
                        f"the cost of case `{c.name}` raised {type(inner).__name__} "
                        f"{where(k)}: {inner}."
                    ) from inner
            raise FirstOrderError(
                f"the cost of case `{c.name}` raised {type(exc).__name__} on the batch: {exc}."
            ) from exc
    return vals, bad


def _finite_steps(name: str, bad: Array, h: Array) -> int:
    """How many of the largest steps to drop for a non-finite cost there.

    A cost that overflows (or leaves its domain) at the largest steps only is
    pre-asymptotic there: those steps are dropped. Non-finite at the point itself, at
    every step, or at a step smaller than a finite one is an error naming the step.
    """
    if bad[0]:
        raise FirstOrderError(f"the cost of case `{name}` is not finite at the point itself.")
    steps = bad[1:]
    if np.all(steps):
        raise FirstOrderError(
            f"the cost of case `{name}` is not finite at any step, down to `h={h[-1]:.3g}`."
        )
    top = int(np.argmin(steps))
    if np.any(steps[top:]):
        k = top + int(np.flatnonzero(steps[top:])[0])
        raise FirstOrderError(f"the cost of case `{name}` is not finite at step `h={h[k]:.3g}`.")
    return top
