"""Cases that make finite differences suffer."""

import numpy as np

from firstorder import case


@case(
    name="squire_trapp",
    x0=[1.5],
    tags={"hard", "complex-step", "1d", "smooth"},
    reference=(
        "Squire & Trapp, SIAM Rev. 40 (1998) 110–112; Martins, Sturdza & Alonso, "
        "ACM TOMS 29 (2003) 245–262"
    ),
)
def squire_trapp(v, ctx):
    """f(x) = eˣ / √(sin³x + cos³x), the standard complex-step test function.

    At x = 1.5, f'(x) = 4.0534278938986… The denominator is small there (cos 1.5 ≈
    0.07), so finite differences lose digits while the complex step keeps them all.
    """
    x = v[..., 0]
    return ctx.exp(x) / ctx.sqrt(ctx.sin(x) ** 3 + ctx.cos(x) ** 3)


def _parts(v, ctx):
    x = v[..., 0]
    s, c = ctx.sin(x), ctx.cos(x)
    g = s**3 + c**3
    dg = 3 * s * c * (s - c)
    f = ctx.exp(x) / ctx.sqrt(g)
    return s, c, g, dg, f


@squire_trapp.gradient
def _(v, ctx):
    _, _, g, dg, f = _parts(v, ctx)
    return (f * (1 - dg / (2 * g)))[..., None]


@squire_trapp.hessian
def _(v, ctx):
    s, c, g, dg, f = _parts(v, ctx)
    d2g = 6 * s * c**2 - 3 * s**3 + 6 * c * s**2 - 3 * c**3
    k = 1 - dg / (2 * g)
    dk = -(d2g * g - dg**2) / (2 * g**2)
    return (f * k * k + f * dk)[..., None, None]


# -- badly scaled variables: CUTEst SCOSINE -------------------------------------------------

_SCOSINE_SCAL = 12.0


def _scosine_scales(n, ctx):
    i = np.arange(n, dtype=float)
    return ctx.exp(ctx.asarray(_SCOSINE_SCAL * i / (n - 1)))


def _scosine_x0(n: int) -> np.ndarray:
    return 1 / np.exp(_SCOSINE_SCAL * np.arange(n) / (n - 1))


def _scosine_parts(v, ctx):
    s = _scosine_scales(v.shape[-1], ctx)
    sx = s * v
    u = sx[..., :-1] ** 2 - sx[..., 1:] / 2
    return s, sx, u


@case(
    name="scosine",
    x0=_scosine_x0,
    dim=10,
    tags={"hard", "badly-scaled", "scalable", "smooth"},
    reference=(
        "CUTEst SCOSINE (Gould, Orban & Toint, CUTEst, Comput. Optim. Appl. 60 (2015) "
        "545–557; SIF file SCOSINE.SIF, scaled version of COSINE, SCAL = 12)"
    ),
    scalable=True,
    dims=lambda n: n >= 2,
)
def scosine(v, ctx):
    """SCOSINE: Σᵢ₌₁ⁿ⁻¹ cos(sᵢ²xᵢ² − sᵢ₊₁xᵢ₊₁/2), sᵢ = exp(12 (i−1)/(n−1)).

    The scales sᵢ span e¹² ≈ 1.6·10⁵ at every n, so a single finite-difference step
    is too large for some variables and too small for others. Start point xᵢ = 1/sᵢ
    (as in the SIF file), where every argument is 1/2 and C = (n − 1) cos(1/2).
    Followed: the CUTEst SIF file (N. Gould, 1997; SCAL = 12, default N = 10).
    Lukšan, Matonoha & Vlček's problem 50 and some ports use SCAL = 6 instead,
    whose scales span only e⁶ ≈ 400.
    """
    _, _, u = _scosine_parts(v, ctx)
    return ctx.sum(ctx.cos(u))


@scosine.gradient
def _(v, ctx):
    s, sx, u = _scosine_parts(v, ctx)
    sn = ctx.sin(u)
    zero = ctx.broadcast(0, sn[..., :1])
    left = -2 * sn * sx[..., :-1] * s[:-1]
    right = sn * s[1:] / 2
    return ctx.concatenate([left, zero], axis=-1) + np.concatenate([zero, right], axis=-1)


@scosine.hessian_vector
def _(v, d, ctx):
    s, sx, u = _scosine_parts(v, ctx)
    sn, cs = ctx.sin(u), ctx.cos(u)
    # u_i depends on x_i and x_{i+1}: du_i = 2 s_i² x_i dx_i − s_{i+1} dx_{i+1}/2.
    a = 2 * sx[..., :-1] * s[:-1]
    b = -s[1:] / 2
    du = a * d[..., :-1] + b * d[..., 1:]
    # H d = Σ_i [−cos(u_i) (du_i) ∇u_i − sin(u_i) ∇²u_i d], ∇²u_i = 2 s_i² e_i e_iᵀ.
    first = -cs * du * a - sn * 2 * s[:-1] ** 2 * d[..., :-1]
    second = -cs * du * b
    zero = ctx.broadcast(0, sn[..., :1])
    return ctx.concatenate([first, zero], axis=-1) + np.concatenate([zero, second], axis=-1)


# -- huge and tiny values -------------------------------------------------------------------


def _valley(y, ctx):
    """g(y) = (y₁ − 1)²/2 + 2 (y₂ − sin y₁)² + cosh(y₃) − 1, with its derivatives."""
    y1, y2, y3 = y[..., 0], y[..., 1], y[..., 2]
    s, c = ctx.sin(y1), ctx.cos(y1)
    w = y2 - s
    g = (y1 - 1) ** 2 / 2 + 2 * w**2 + ctx.cosh(y3) - 1
    grad = ctx.stack([(y1 - 1) - 4 * w * c, 4 * w, ctx.sinh(y3)])
    h11 = 1 + 4 * c**2 + 4 * w * s
    h12 = -4 * c
    z = ctx.broadcast(0, h11)
    hess = ctx.stack(
        [ctx.stack([h11, h12, z]), ctx.stack([h12, 4 + z, z]), ctx.stack([z, z, ctx.cosh(y3)])],
        axis=-2,
    )
    return g, grad, hess


_HUGE = 1e12


@case(
    name="huge_offset",
    x0=[-0.5, 1.5, 0.8],
    tags={"hard", "huge-values", "smooth"},
    reference=(
        "Constructed; the round-off term eps·|C|/h of finite differences "
        "(Gill, Murray & Wright, Practical Optimization (1981), §8.6)"
    ),
)
def huge_offset(v, ctx):
    """C(v) = 10¹² + g(v), g the curved valley (v₁−1)²/2 + 2(v₂ − sin v₁)² + cosh v₃ − 1.

    The value is ≈ 10¹² while its variation is O(1): a float64 difference of two values
    keeps only about 4 of 16 digits at h = 10⁻⁸, so finite differences lose most of
    their accuracy. The derivatives are those of g.
    """
    return _HUGE + _valley(v, ctx)[0]


@huge_offset.gradient
def _(v, ctx):
    return _valley(v, ctx)[1]


@huge_offset.hessian
def _(v, ctx):
    return _valley(v, ctx)[2]


# Powers of two, so that v/σ and σ² are exact in every precision.
_BIG_SCALE = 2.0**20  # ≈ 1.05e6
_TINY_SCALE = 2.0**-20  # ≈ 9.5e-7


@case(
    name="huge_scale",
    x0=[-0.5 * _BIG_SCALE, 1.5 * _BIG_SCALE, 0.8 * _BIG_SCALE],
    tags={"hard", "huge-values", "badly-scaled", "smooth"},
    reference=(
        "Constructed; scaling of variables, Dennis & Schnabel, Numerical Methods for "
        "Unconstrained Optimization (1983), §7.1"
    ),
)
def huge_scale(v, ctx):
    """C(v) = σ² g(v/σ), σ = 2²⁰ ≈ 10⁶: variables ≈ 10⁶, values ≈ 10¹², Hessian O(1).

    g is the curved valley of `huge_offset`. An absolute step of 10⁻⁸ is far below the
    variables' scale, so differences of values ≈ 10¹² cancel catastrophically.
    """
    return _BIG_SCALE**2 * _valley(v / _BIG_SCALE, ctx)[0]


@huge_scale.gradient
def _(v, ctx):
    return _BIG_SCALE * _valley(v / _BIG_SCALE, ctx)[1]


@huge_scale.hessian
def _(v, ctx):
    return _valley(v / _BIG_SCALE, ctx)[2]


@case(
    name="tiny_scale",
    x0=[-0.5 * _TINY_SCALE, 1.5 * _TINY_SCALE, 0.8 * _TINY_SCALE],
    tags={"hard", "tiny-values", "badly-scaled", "smooth"},
    reference=(
        "Constructed; scaling of variables, Dennis & Schnabel, Numerical Methods for "
        "Unconstrained Optimization (1983), §7.1"
    ),
)
def tiny_scale(v, ctx):
    """C(v) = σ² g(v/σ), σ = 2⁻²⁰ ≈ 10⁻⁶: variables ≈ 10⁻⁶, values ≈ 10⁻¹², Hessian O(1).

    g is the curved valley of `huge_offset`. An absolute step of 10⁻⁸ is 1% of the
    variables, far outside the region where the Taylor expansion is good, and any
    absolute tolerance of 10⁻¹⁰ declares the gradient zero.
    """
    return _TINY_SCALE**2 * _valley(v / _TINY_SCALE, ctx)[0]


@tiny_scale.gradient
def _(v, ctx):
    return _TINY_SCALE * _valley(v / _TINY_SCALE, ctx)[1]


@tiny_scale.hessian
def _(v, ctx):
    return _valley(v / _TINY_SCALE, ctx)[2]


# -- exponential growth ---------------------------------------------------------------------


@case(
    name="exp_growth",
    x0=[2.0, 3.0],
    tags={"hard", "exponential", "smooth"},
    reference=(
        "Constructed; the truncation term h²|C'''|/6 of central differences "
        "(Gill, Murray & Wright, Practical Optimization (1981), §8.6)"
    ),
)
def exp_growth(v, ctx):
    """C(x, y) = e^{10x} + e^{xy}: at x0 = (2, 3), C ≈ 4.9·10⁸ and ∂ᵏC/∂xᵏ ≈ 10ᵏ C.

    Every derivative is ten times the previous one, so the truncation error of a
    finite difference is large for any step that is not tiny.
    """
    x, y = v[..., 0], v[..., 1]
    return ctx.exp(10 * x) + ctx.exp(x * y)


@exp_growth.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    e1, e2 = ctx.exp(10 * x), ctx.exp(x * y)
    return ctx.stack([10 * e1 + y * e2, x * e2])


@exp_growth.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    e1, e2 = ctx.exp(10 * x), ctx.exp(x * y)
    hxy = (1 + x * y) * e2
    return ctx.stack(
        [ctx.stack([100 * e1 + y * y * e2, hxy]), ctx.stack([hxy, x * x * e2])], axis=-2
    )


# -- a near-singular Hessian ----------------------------------------------------------------

_DELTA = 1e-8


@case(
    name="ill_conditioned",
    x0=[3.0, -0.5],
    tags={"hard", "ill-conditioned", "smooth"},
    reference=(
        "Constructed; Nocedal & Wright, Numerical Optimization, 2nd ed. (2006), §3.3 "
        "(condition number and steepest descent)"
    ),
    minimum=0.0,
    points={"xmin": [1.0, 1.0]},
)
def ill_conditioned(v, ctx):
    """C = s²/2 + s⁴/12 + δ d²/2, s = x + y − 2, d = x − y, δ = 10⁻⁸.

    Along (1, −1) the curvature is 2δ, along (1, 1) it is ≥ 2: the Hessian has
    condition number ≥ 10⁸ everywhere and is nearly singular. The quartic term makes
    the cost non-quadratic. Minimum 0 at (1, 1).
    """
    x, y = v[..., 0], v[..., 1]
    s, d = x + y - 2, x - y
    return s**2 / 2 + s**4 / 12 + _DELTA * d**2 / 2


@ill_conditioned.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    s, d = x + y - 2, x - y
    gs = s + s**3 / 3
    return ctx.stack([gs + _DELTA * d, gs - _DELTA * d])


@ill_conditioned.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    s = x + y - 2
    hs = 1 + s**2
    return ctx.stack(
        [ctx.stack([hs + _DELTA, hs - _DELTA]), ctx.stack([hs - _DELTA, hs + _DELTA])], axis=-2
    )


# -- a degenerate (quartic) minimum ---------------------------------------------------------


@case(
    name="quartic_valley",
    x0=[-1.2, 1.0],
    tags={"hard", "degenerate", "smooth"},
    reference=(
        "Constructed after Rosenbrock's valley (Comput. J. 3 (1960) 175); quartic "
        "instead of quadratic terms, as in Powell's singular function (MGH #13)"
    ),
    minimum=0.0,
    points={"xmin": [1.0, 1.0]},
)
def quartic_valley(v, ctx):
    """C(x, y) = (x − 1)⁴ + 10 (y − x²)⁴: a curved valley with a quartic floor.

    The Hessian vanishes at the minimum (1, 1), so the gradient there is of third
    order in the distance and Newton-type and difference estimates degrade near it.
    """
    x, y = v[..., 0], v[..., 1]
    return (x - 1) ** 4 + 10 * (y - x**2) ** 4


@quartic_valley.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    w = y - x**2
    return ctx.stack([4 * (x - 1) ** 3 - 80 * x * w**3, 40 * w**3])


@quartic_valley.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    w = y - x**2
    hxx = 12 * (x - 1) ** 2 - 80 * w**3 + 480 * x**2 * w**2
    hxy = -240 * x * w**2
    hyy = 120 * w**2
    return ctx.stack([ctx.stack([hxx, hxy]), ctx.stack([hxy, hyy])], axis=-2)


# -- stationary points ----------------------------------------------------------------------


@case(
    name="stationary_saddle",
    x0=[1.0, 2.0],
    tags={"hard", "stationary", "saddle", "smooth"},
    reference="Constructed: a saddle of a product of quadratics at an exactly representable point",
    value=0.0,
    points={"saddle": [1.0, 2.0]},
)
def stationary_saddle(v, ctx):
    """C(x, y) = (x² − 1)(y² − 4) e^{x − 1}: ∇C(1, 2) = 0 exactly, a saddle.

    At x0 = (1, 2) both factors vanish, so the gradient is exactly zero in every
    precision and the Hessian [[0, 8], [8, 0]] is indefinite. A relative gradient
    error is meaningless there; the first-order remainder is all second order.
    """
    x, y = v[..., 0], v[..., 1]
    return (x**2 - 1) * (y**2 - 4) * ctx.exp(x - 1)


@stationary_saddle.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    e = ctx.exp(x - 1)
    p, q = x**2 - 1, y**2 - 4
    return ctx.stack([(2 * x + p) * q * e, 2 * y * p * e])


@stationary_saddle.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    e = ctx.exp(x - 1)
    p, q = x**2 - 1, y**2 - 4
    hxx = (2 + 4 * x + p) * q * e
    hxy = 2 * y * (2 * x + p) * e
    hyy = 2 * p * e
    return ctx.stack([ctx.stack([hxx, hxy]), ctx.stack([hxy, hyy])], axis=-2)


@case(
    name="partial_stationary",
    x0=[1.0, 0.5, 0.3, -0.7],
    tags={"hard", "stationary", "smooth"},
    reference="Constructed: a gradient with exactly zero components at x0",
)
def partial_stationary(v, ctx):
    """C = (x₁ − 1)² (1 + x₂²) + e^{x₃} + x₃ x₄ + x₄²/2.

    At x0 = (1, 0.5, 0.3, −0.7), ∂C/∂x₁ = ∂C/∂x₂ = 0 exactly (both carry the factor
    x₁ − 1) while ∂C/∂x₃ and ∂C/∂x₄ do not vanish: a component-wise relative error
    test divides by zero in two components.
    """
    x1, x2, x3, x4 = v[..., 0], v[..., 1], v[..., 2], v[..., 3]
    return (x1 - 1) ** 2 * (1 + x2**2) + ctx.exp(x3) + x3 * x4 + x4**2 / 2


@partial_stationary.gradient
def _(v, ctx):
    x1, x2, x3, x4 = v[..., 0], v[..., 1], v[..., 2], v[..., 3]
    return ctx.stack(
        [2 * (x1 - 1) * (1 + x2**2), 2 * (x1 - 1) ** 2 * x2, ctx.exp(x3) + x4, x3 + x4]
    )


@partial_stationary.hessian
def _(v, ctx):
    x1, x2, x3 = v[..., 0], v[..., 1], v[..., 2]
    z = ctx.broadcast(0, x1)
    h11 = 2 * (1 + x2**2)
    h12 = 4 * (x1 - 1) * x2
    h22 = 2 * (x1 - 1) ** 2
    return ctx.stack(
        [
            ctx.stack([h11, h12, z, z]),
            ctx.stack([h12, h22, z, z]),
            ctx.stack([z, z, ctx.exp(x3), 1 + z]),
            ctx.stack([z, z, 1 + z, 1 + z]),
        ],
        axis=-2,
    )
