"""Step sizes of the finite-difference and complex-step backends.

* A formula of order ``p`` balances truncation ``h^p`` against round-off ``eps / h``
  at ``h_j = eps^(1/(p+1)) · max(1, |v_j|)``, with ``eps`` the context's.
* The complex step has no subtraction, so its step is tiny: ``1e-20 · max(1, |v_j|)``.
* A user step, a positive scalar or one per component, overrides both.
* The step sweeps scan a geometric ladder of steps (:func:`sweep_ladder`), validated
  by :func:`ladder`.
* The Taylor test sweeps a geometric ladder of its own (:func:`taylor_steps`).
* The automatic steps (:func:`search_steps`) balance the stencil's truncation, from
  measured higher derivatives, against the cost's noise (:mod:`.noise`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..case.model import Case
from ..errors import FirstOrderError
from ..numbers import DEFAULT_DPS, Array, Context
from .noise import NOISE_LINE, noise_and_value, noise_from_values, noise_points
from .stencils import STENCILS
from .step_rounds import (
    CONFIRM_MAX_N,
    MAX_STEP,
    RATIO,
    FirstRound,
    bounds,
    first_rel,
    first_steps,
    measure_axes,
    representable,
    round_points,
)

__all__ = [
    "COMPLEX_STEP",
    "CONFIRM_MAX_N",
    "FUSE_MAX_N",
    "PER_DECADE",
    "StepSearch",
    "complex_steps",
    "ladder",
    "rule_steps",
    "search_steps",
    "sweep_ladder",
    "taylor_steps",
    "user_steps",
    "variable_scales",
]

#: Relative step of the complex step.
COMPLEX_STEP = 1e-20
#: Up to this n the step search's noise line and first round share one call (within the
#: chunk budget). Measured on extended Rosenbrock (cold central gradient, 2 cores,
#: shared): the fused call saves 4% at n = 16, 8% at n = 100 and 200; at n = 300 and
#: 500 the two are even (the round's cost outweighs one call's overhead).
FUSE_MAX_N = 200
#: Steps per decade of the default sweep ladders.
PER_DECADE = 4


def _scale(v: Array, ctx: Context) -> Array:
    if ctx.name == "mp":
        one = ctx.const(1)
        return np.array([max(one, abs(t)) for t in v], dtype=object)
    return np.maximum(1.0, np.abs(np.asarray(v, dtype=np.float64)))


def rule_steps(v: Array, order: int, ctx: Context) -> Array:
    """The fixed rule (SciPy's): ``h_j = eps^(1/(order+1)) · max(1, |v_j|)`` in the context ``ctx``.

    Parameters
    ----------
    v
        The point, shape ``(n,)``.
    order
        Order of accuracy ``p`` of the formula.
    ctx
        The context whose ``eps`` sets the step (mpf steps for ``mp``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``: float64 for numpy contexts, object (mpf) for ``mp``.
    """
    if ctx.name == "mp":
        base = ctx.eps ** (ctx.const(1) / (order + 1))
    else:
        base = float(ctx.eps) ** (1.0 / (order + 1))
    return base * _scale(v, ctx)


def complex_steps(v: Array) -> Array:
    """The complex step ``1e-20 · max(1, |v_j|)``, shape ``(n,)``."""
    h = np.abs(np.asarray(v, dtype=np.float64))
    np.maximum(h, 1.0, out=h)
    h *= COMPLEX_STEP
    return h


def user_steps(step: Any, n: int, ctx: Context | None = None) -> Array:
    """Validate a user step (scalar or one per component) and broadcast it to ``(n,)``.

    Parameters
    ----------
    step
        A positive finite number, or an array of ``n`` of them (strings and mpf are
        kept at full precision in the ``mp`` context).
    n
        The dimension.
    ctx
        The context of the result (float64 unless ``mp``).

    Raises
    ------
    FirstOrderError
        For a step that is zero, negative, not finite, not a number or of the wrong
        shape.
    """
    mp = ctx is not None and ctx.name == "mp"
    try:
        if mp:
            assert ctx is not None
            arr = ctx.asarray(step)
            check = np.asarray(ctx.to_float(arr), dtype=np.float64)
            positive = np.array([t > 0 for t in arr.flat]).reshape(arr.shape)
        else:
            arr = np.asarray(step, dtype=np.float64)
            check = arr
            positive = arr > 0
    except (TypeError, ValueError):
        raise FirstOrderError(
            f"`step` must be a positive number or an array of {n} of them, not `{step!r}`."
        ) from None
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise FirstOrderError(
            f"`step` has shape {arr.shape}; give a scalar or an array of shape ({n},)."
        )
    if not np.all(np.isfinite(check)):
        raise FirstOrderError(f"`step` must be finite, not `{step!r}`.")
    if not np.all(positive):
        raise FirstOrderError(f"`step` must be positive, not `{step!r}`.")
    return np.broadcast_to(arr, (n,)).copy()


def sweep_ladder(
    backend: str,
    precision: str = "float64",
    dps: int = 50,
    per_decade: int = PER_DECADE,
    low: int | None = None,
) -> Array:
    """A step sweep's ladder, from 1 down past where the backend's round-off dominates.

    Float64 finite differences: 1 to 1e-16; the complex step: 1 to 1e-300; float32:
    1 to 1e-8; mp: 1 to 10^-dps; ``low`` overrides the last decade. ``per_decade``
    steps per decade.
    """
    if low is None:
        if backend == "complex-step":
            low = 300
        elif precision == "float32":
            low = 8
        elif precision == "mp":
            low = dps
        else:
            low = 16
    return 10.0 ** (-np.arange(0, low * per_decade + 1) / per_decade)


def ladder(steps: Any) -> Array:
    """Validate a ladder of absolute steps: a non-empty 1-D array of positive numbers.

    Raises
    ------
    FirstOrderError
        For steps that are not numbers, not 1-D, empty, zero, negative or not finite.
    """
    try:
        hs = np.asarray(steps, dtype=np.float64)
    except (TypeError, ValueError):
        raise FirstOrderError(f"`steps` must be numbers, not `{steps!r}`.") from None
    if hs.ndim != 1:
        raise FirstOrderError(f"`steps` has shape {hs.shape}; give a 1-D sequence of step sizes.")
    if hs.size == 0 or not np.all(np.isfinite(hs)) or np.any(hs <= 0):
        raise FirstOrderError("`steps` must be positive finite numbers.")
    return hs


# -- the automatic step ----------------------------------------------------------------
# A stencil of order p with weights w has the error
#     E(h) = c_p |f^(p+1)| h^p  +  ‖w‖₁ ε_f / h,
# truncation plus the noise ε_f of the cost amplified by the weights, least at
#     h* = (‖w‖₁ ε_f / (p c_p |f^(p+1)|))^(1/(p+1)).
# The search measures the two unknowns once per point: ε_f by Moré & Wild's ECnoise
# (a difference table along one direction), and per component f''' from two central
# differences at h and ρh (ρ = 8): D(ρh) − D(h) ≈ (ρ² − 1) h² f'''/6, all components
# in one batched call per round. It starts a little above the balance for a cost whose
# f''' is |C|/scale³, where f''' stands out of the noise; each round moves h to the
# central difference's balanced step for the f''' it measured, and a component stops
# once its balance is within [h/8, 2h]: the last round's D(h) is then the central
# gradient wherever its step is h (4 evaluations per component in all on a
# well-scaled cost, 6 where the balance is further below, against 2 for a fixed step).
# Gill, Murray, Saunders & Wright (1983) search with δ² the same way for the forward
# difference. The outer points also give δ² ≈ (ρh)² f''. Where the difference is
# faint (1–3 sigma) the step follows it; where it is lost in the noise (a cubic-free
# direction) the step tries the largest step, or halfway to a step already too large.

#: Truncation constants c_p (E = c_p |f^(p+1)| h^p) and ‖w‖₁ of the named stencils.
TRUNCATION = {
    "forward": 1 / 2,
    "backward": 1 / 2,
    "central": 1 / 6,
    "central4": 1 / 30,
    "central6": 1 / 140,
    "central8": 1 / 630,
}
NOISE_GAIN = {
    "forward": 2.0,
    "backward": 2.0,
    "central": 1.0,
    "central4": 3 / 2,
    "central6": 11 / 6,
    "central8": 2.0345,
}


@dataclass(frozen=True, eq=False)
class StepSearch:
    """What the automatic step search measured at one point (reused across calls).

    Attributes
    ----------
    noise : float
        ε_f, the cost's noise level (standard deviation, absolute) near the point.
    f0 : float
        |C(x)|.
    trial : numpy.ndarray
        Per component, the last step h of the search (f''' from D(8h) − D(h)).
    d2, d3 : numpy.ndarray
        Upper-bound estimates of |f''| and |f'''| along each axis (a clean difference,
        or the noise bound where the difference drowned in noise).
    scale : numpy.ndarray
        The variables' scales (``typical=``, else ``max(1, |v_j|)``).
    nfev : int
        Cost evaluations the search used.
    analytic : bool
        Whether the cost is analytic (``complex_safe``): only then do its higher
        derivatives follow the model that sets the steps of high-order stencils.
    central : numpy.ndarray or None
        The central differences at ``trial`` (in the search's precision): the
        ``central`` gradient wherever its step is the trial step.
    unconfirmed : numpy.ndarray or None
        Per component, whether its third derivative was lost in the noise at the trial
        step and, above :data:`CONFIRM_MAX_N`, not confirmed at a larger step: the
        ``central`` gradient keeps the trial step there (its error at most the noise's).
    """

    noise: float
    f0: float
    trial: Array
    d2: Array
    d3: Array
    scale: Array
    nfev: int
    central: Array | None = None
    analytic: bool = True
    unconfirmed: Array | None = None

    @property
    def length(self) -> Array:
        """l = |f''/f'''|, kept between the search's step and the variable's scale."""
        return np.minimum(
            np.maximum(self.d2 / self.d3, self.trial), np.maximum(self.scale, self.trial)
        )

    def steps(self, stencil: str, eps: float | None = None) -> Array:
        """The step of each component for ``stencil``, at noise ``eps`` (default ε_f).

        The derivative f^(p+1) a stencil of order p needs is modelled from f''' and a
        length over which the derivatives grow, as Cauchy's estimate for an analytic
        function has them, |f^(m)| ~ |f'''| · (m!/3!) / l^(m-3), with l = |f''/f'''| kept
        between the search's step and the variable's scale (without the factorials the
        steps of ``central6`` and ``central8`` came out 2–5 times too large, their
        errors 10–100 times the rule's). For a cost that is not analytic the
        stencil's widest point, (p/2)·h, stays within the 8·trial where the search saw
        it behave like a cubic: a kink beyond it must not enter the difference.
        """
        e = self.noise if eps is None else eps
        order = STENCILS[stencil][1]
        gain = NOISE_GAIN[stencil]
        if order == 1:
            h = np.minimum(2 * np.sqrt(gain / 2 * e / self.d2), np.cbrt(6 * e / self.d3))
        else:
            deriv = self._derivative(order + 1)
            h = (gain * e / (order * TRUNCATION[stencil] * deriv)) ** (1 / (order + 1))
            if order > 2 and not self.analytic:
                # a kink the model cannot see: stay where the search saw a cubic
                h = np.minimum(h, RATIO * self.trial / (order // 2))
        # (np.clip's bounds, without its overhead on short arrays)
        return np.minimum(np.maximum(h, 1e-300), MAX_STEP * self.scale)

    def _derivative(self, m: int) -> Array:
        """The modelled |f^(m)| (m ≥ 3): f''' grown over the length l, factorially."""
        if m == 3:
            # f''' itself: the formula's factors are exactly 1
            return self.d3
        return self.d3 * (math.factorial(m) / 6) / self.length ** (m - 3)

    def error(self, stencil: str, h: Array, eps: float | None = None) -> Array:
        """The error the model predicts for ``stencil`` at steps ``h`` (a bound: 3 ε_f)."""
        e = self.noise if eps is None else eps
        order = STENCILS[stencil][1]
        if order == 1:
            trunc = self.d2 * h / 2 + self.d3 * h**2 / 6
        else:
            trunc = TRUNCATION[stencil] * self._derivative(order + 1) * h**order
        return trunc + 3 * NOISE_GAIN[stencil] * e / h


def variable_scales(typical: Any, x: Array) -> Array:
    """Each variable's scale: ``typical`` where the case gives it, else ``max(1, |v_j|)``."""
    ax = np.abs(np.asarray(x, dtype=np.float64))
    if typical is not None:
        t = np.asarray(typical, dtype=np.float64)
        if t.ndim == 0 or t.shape == ax.shape:
            return np.broadcast_to(t, ax.shape).astype(np.float64)
    return np.maximum(1.0, ax)


def search_steps(
    c: Case, x: Array, ctx: Context, chunk_bytes: int, typical: Any = None
) -> StepSearch:
    """Measure the noise and the axis derivatives that set the automatic steps.

    Up to :data:`FUSE_MAX_N` components (and within ``chunk_bytes``) the noise line
    and the first round, at a smooth cost's first step, go to the cost in one call:
    a smooth cost, most of them, then takes two calls in all. A noisy cost's first
    step is larger; the fused round is then dropped (its evaluations counted).

    Parameters
    ----------
    c, x, ctx
        The case, the point (float64 or float32 array) and its context.
    chunk_bytes
        Memory budget of one batched chunk.
    typical
        The case's typical variable scales (None: ``max(1, |v_j|)``).
    """
    s = variable_scales(typical, x)
    n = x.shape[0]
    eps = float(ctx.eps)
    first = None
    if n <= FUSE_MAX_N and (NOISE_LINE + 4 * n) * n * ctx.dtype.itemsize <= chunk_bytes:
        hmin, hmax = bounds(x, s, eps)
        h = first_steps(s, eps, hmin, hmax)
        ha = representable(x, h, ctx)
        pts = np.concatenate([noise_points(x, ctx, s), round_points(x, ha, ctx)])
        with np.errstate(all="ignore"):
            vals = c.cost(pts, ctx)
            noise, f0 = noise_from_values(vals[:NOISE_LINE], eps)
        nfev = NOISE_LINE
        if first_rel(noise, f0, eps) == eps:
            first = FirstRound(h, ha, np.asarray(vals[NOISE_LINE:]).reshape(4, n), hmin, hmax)
        else:
            nfev += 4 * n
    else:
        noise, f0, nfev = noise_and_value(c, x, ctx, s)
    trial, d2, d3, central, used, unconfirmed = measure_axes(
        c, x, ctx, chunk_bytes, s, noise, f0, first
    )
    return StepSearch(
        noise, abs(f0), trial, d2, d3, s, nfev + used, central, c.complex_safe, unconfirmed
    )


def taylor_steps(
    point: Array, precision: str, dps: int | None = None, length: float | None = None
) -> Array:
    """The Taylor test's default geometric step sequence (ratio 2) for a point and precision.

    It starts at about ``0.1 · scale`` (``0.5 · scale`` in float32) with
    ``scale = max(1, ‖v‖∞)`` and goes down past the round-off floor: to
    ``1e-13 · scale`` in float64, ``1e-6 · scale`` in float32
    and ``10^(−dps/2) / 100 · scale`` in mp.

    Parameters
    ----------
    point
        The point ``v``.
    precision
        ``float64``, ``float32`` or ``mp``.
    dps
        Digits for ``mp``.
    length
        The cost's own length scale along the direction, such as ``|C(v)| / ‖∇C‖∞``
        (features of size 10⁻⁶ put the window far below ``1e-13 · scale``). When it
        is below ``scale`` the sequence reaches down further by the ratio, by at most
        eight decades; the start is unchanged (steps where the cost overflows are
        dropped by the harness).

    Returns
    -------
    numpy.ndarray
        Powers of two (exact in every precision), decreasing.
    """
    scale = max(1.0, float(np.max(np.abs(point))) if len(point) else 1.0)
    bottom = scale
    if length is not None and math.isfinite(length) and length > 0:
        bottom = min(scale, max(length, 1e-8 * scale))
    # float32 has so few digits that its window needs the larger steps too.
    start = 0.5 if precision == "float32" else 0.1
    top = 2.0 ** math.floor(math.log2(start * scale))
    low = {
        "float64": 1e-13,
        "float32": 1e-6,
        "mp": 10.0 ** (-(dps or DEFAULT_DPS) / 2) * 1e-2,
    }[precision] * bottom
    k = math.ceil(math.log2(top / low))
    return top * 2.0 ** -np.arange(k + 1, dtype=float)
