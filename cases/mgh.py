"""The Moré–Garbow–Hillstrom test set (ACM TOMS 7(1), 1981, 17–41): all 35 problems.

Each problem is F(x) = Σ f_i(x)² at its standard start point, written as its residual
vector f (shape ``(..., m)``) and Jacobian J (``(..., m, n)``), so that the gradient is
analytic, ∇F = 2 Jᵀ f, and, where the residual curvature S = Σ f_i ∇²f_i is given, the
Hessian is 2 (JᵀJ + S). The data (y_i, u_i, …) are the decimal numbers of the paper,
rounded to binary once; the mp context then evaluates exactly that function.

Definitions, m, start points and data follow the paper and the MINPACK-1 test code
(Algorithm 566 and the ``lmder`` drivers), which are the authority where later copies
differ; each docstring says which choice was made where sources disagree.

Published F(x0), given as strings so their printed precision sets the tolerance:

* ``F = r0²`` from the initial residual norms r0 printed by the MINPACK-1 ``lmder``
  test (netlib minpack/ex, file17; transcribed to 15 digits in Apache Commons Math's
  ``MinpackTest``): Freudenstein–Roth, helical valley, Bard, Kowalik–Osborne, Meyer,
  Watson, Box, Jennrich–Sampson, Brown–Dennis, Chebyquad, Brown almost-linear,
  Osborne 1 and 2, Powell singular;
* the objective values at x0 printed by TEST_OPT (J. Burkardt's port of the
  Algorithm 566 objectives, six digits): Powell badly scaled, Brown badly scaled,
  Gaussian, Wood, Biggs EXP6;
* Moré & Wild, SIAM J. Optim. 20 (2009) 172–191, table of F(x0): the three linear
  functions, at their (n, m) = (9, 45) and (7, 35).

Published minima are F* = r*² from the final residual norms r* printed by the same
MINPACK-1 test where it has them (10 digits kept), else the paper's six digits. The
paper's six-digit minima for Bard, Kowalik–Osborne and Meyer are truncated, not
rounded (8.21487e−3, 3.07505e−4 and 87.9458 for 8.2148773e−3, 3.0750560e−4 and
87.945855).

No printed F at the paper's x0 was found for Gulf and the variable-dimension problems
at their default n; tests/test_mgh.py checks those at the n where TEST_OPT prints one.
"""

import functools

import numpy as np

from firstorder import case
from firstorder.case.helpers import diag, integers, matrix, powell_blocks

MGH = "Moré, Garbow & Hillstrom, ACM TOMS 7 (1981) 17–41"


@case(
    name="rosenbrock",
    x0=[-1.2, 1.0],
    tags={"mgh", "classic", "smooth"},
    reference=f"{MGH}, problem 1 (Rosenbrock)",
    value="24.20",
    minimum=0.0,
    points={"xmin": [1.0, 1.0]},
)
def rosenbrock(v, ctx):
    """Rosenbrock's banana valley: f1 = 10 (x2 − x1²), f2 = 1 − x1; F* = 0 at (1, 1)."""
    x, y = v[..., 0], v[..., 1]
    return 100 * (y - x**2) ** 2 + (1 - x) ** 2


@rosenbrock.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    return ctx.stack([-400 * x * (y - x**2) - 2 * (1 - x), 200 * (y - x**2)])


@rosenbrock.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    h11 = 1200 * x**2 - 400 * y + 2
    h12 = -400 * x
    return ctx.stack([ctx.stack([h11, h12]), ctx.stack([h12, ctx.broadcast(200, x)])], axis=-2)


_BEALE_Y = (1.5, 2.25, 2.625)


@case(
    name="beale",
    x0=[1.0, 1.0],
    tags={"mgh", "classic", "smooth"},
    reference=f"{MGH}, problem 5 (Beale)",
    value="14.203125",
    minimum=0.0,
    points={"xmin": [3.0, 0.5]},
)
def beale(v, ctx):
    """Beale: f_i = y_i − x1 (1 − x2^i), y = (1.5, 2.25, 2.625); F* = 0 at (3, 1/2)."""
    x1, x2 = v[..., 0], v[..., 1]
    return sum((y - x1 * (1 - x2**i)) ** 2 for i, y in enumerate(_BEALE_Y, start=1))


@beale.gradient
def _(v, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    g1 = g2 = ctx.broadcast(0, x1)
    for i, y in enumerate(_BEALE_Y, start=1):
        r = y - x1 * (1 - x2**i)
        g1 = g1 + 2 * r * (x2**i - 1)
        g2 = g2 + 2 * r * (i * x1 * x2 ** (i - 1))
    return ctx.stack([g1, g2])


@beale.hessian
def _(v, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    h11 = h12 = h22 = ctx.broadcast(0, x1)
    for i, y in enumerate(_BEALE_Y, start=1):
        r = y - x1 * (1 - x2**i)
        a, b = x2**i - 1, i * x1 * x2 ** (i - 1)
        h11 = h11 + 2 * a * a
        h12 = h12 + 2 * (a * b + r * i * x2 ** (i - 1))
        h22 = h22 + 2 * (b * b + r * i * (i - 1) * x1 * x2 ** max(i - 2, 0))
    return ctx.stack([ctx.stack([h11, h12]), ctx.stack([h12, h22])], axis=-2)


# -- the least-squares pattern ------------------------------------------------------------
#
# A problem below is its residual r(v, ctx) of shape (..., m), its Jacobian
# J(v, ctx) of shape (..., m, n) and, where given, its curvature
# S(v, f, ctx) = Σ_i f_i ∇²f_i(v) of shape (..., n, n). Then
#   F = Σ f_i²,   ∇F = 2 Jᵀ f,   ∇²F = 2 (JᵀJ + S).


def _gradient(f, jac):
    return 2 * (f[..., None, :] @ jac)[..., 0, :]


def least_squares(jacobian, curvature=None, *, number, title, tags=(), **options):
    """Declare an MGH problem from its residuals (decorator).

    Parameters
    ----------
    jacobian
        ``J(v, ctx)`` of shape ``(..., m, n)``.
    curvature
        ``S(v, f, ctx) = Σ_i f_i ∇²f_i`` of shape ``(..., n, n)``; when given the case
        carries the analytic Hessian ``2 (JᵀJ + S)``.
    number, title
        The problem number and name in Moré, Garbow & Hillstrom (1981).
    tags
        Tags besides ``"mgh"``.
    **options
        Passed on to :func:`firstorder.case`.
    """

    def build(residual):
        @functools.wraps(residual)
        def cost(v, ctx):
            f = residual(v, ctx)
            return ctx.sum(f * f, axis=-1)

        made = case(
            name=residual.__name__,
            tags={"mgh", "least-squares", *tags},
            reference=f"{MGH}, problem {number} ({title})",
            **options,
        )(cost)

        @made.gradient
        def _(v, ctx):
            return _gradient(residual(v, ctx), jacobian(v, ctx))

        if curvature is not None:

            @made.hessian
            def _(v, ctx):
                f, jac = residual(v, ctx), jacobian(v, ctx)
                return 2 * (ctx.matmul(np.swapaxes(jac, -1, -2), jac) + curvature(v, f, ctx))

        return made

    return build


def _zero(v, ctx):
    return ctx.broadcast(0, v[..., 0])


def _scalable(x0, minimum_n=1, multiple=1, maximum_n=None):
    def dims(n):
        return n >= minimum_n and n % multiple == 0 and (maximum_n is None or n <= maximum_n)

    return {"x0": x0, "scalable": True, "dims": dims}


# -- problems 2–4 ---------------------------------------------------------------------------


def _freudenstein_roth_jac(v, ctx):
    x2 = v[..., 1]
    one = ctx.broadcast(1, x2)
    return matrix(ctx, [[one, (10 - 3 * x2) * x2 - 2], [one, (3 * x2 + 2) * x2 - 14]])


def _freudenstein_roth_curv(v, f, ctx):
    x2, z = v[..., 1], _zero(v, ctx)
    h22 = f[..., 0] * (10 - 6 * x2) + f[..., 1] * (6 * x2 + 2)
    return matrix(ctx, [[z, z], [z, h22]])


@least_squares(
    _freudenstein_roth_jac,
    _freudenstein_roth_curv,
    number=2,
    title="Freudenstein and Roth",
    x0=[0.5, -2.0],
    value="400.5",
    minimum=0.0,
    points={"xmin": [5.0, 4.0]},
)
def freudenstein_roth(v, ctx):
    """Freudenstein & Roth: f1 = −13 + x1 + ((5 − x2) x2 − 2) x2,
    f2 = −29 + x1 + ((x2 + 1) x2 − 14) x2; m = n = 2.

    F* = 0 at (5, 4); a local minimum F = 48.9842… at (11.41…, −0.8968…).
    """
    x1, x2 = v[..., 0], v[..., 1]
    return ctx.stack([-13 + x1 + ((5 - x2) * x2 - 2) * x2, -29 + x1 + ((x2 + 1) * x2 - 14) * x2])


def _powell_badly_scaled_jac(v, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    return matrix(ctx, [[1e4 * x2, 1e4 * x1], [-ctx.exp(-x1), -ctx.exp(-x2)]])


def _powell_badly_scaled_curv(v, f, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    f1, f2 = f[..., 0], f[..., 1]
    return matrix(ctx, [[f2 * ctx.exp(-x1), 1e4 * f1], [1e4 * f1, f2 * ctx.exp(-x2)]])


@least_squares(
    _powell_badly_scaled_jac,
    _powell_badly_scaled_curv,
    number=3,
    title="Powell badly scaled",
    tags={"badly-scaled"},
    x0=[0.0, 1.0],
    value="1.13526",
    minimum=0.0,
)
def powell_badly_scaled(v, ctx):
    """Powell badly scaled: f1 = 10⁴ x1 x2 − 1, f2 = exp(−x1) + exp(−x2) − 1.0001.

    F* = 0 at (1.098…e−5, 9.106…); m = n = 2.
    """
    x1, x2 = v[..., 0], v[..., 1]
    return ctx.stack([1e4 * x1 * x2 - 1, ctx.exp(-x1) + ctx.exp(-x2) - ctx.const("1.0001")])


def _brown_badly_scaled_jac(v, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    one, z = ctx.broadcast(1, x1), _zero(v, ctx)
    return matrix(ctx, [[one, z], [z, one], [x2, x1]])


def _brown_badly_scaled_curv(v, f, ctx):
    z = _zero(v, ctx)
    f3 = f[..., 2]
    return matrix(ctx, [[z, f3], [f3, z]])


@least_squares(
    _brown_badly_scaled_jac,
    _brown_badly_scaled_curv,
    number=4,
    title="Brown badly scaled",
    tags={"badly-scaled"},
    x0=[1.0, 1.0],
    value="9.99998e11",
    minimum=0.0,
    points={"xmin": [1e6, 2e-6]},
)
def brown_badly_scaled(v, ctx):
    """Brown badly scaled: f1 = x1 − 10⁶, f2 = x2 − 2·10⁻⁶, f3 = x1 x2 − 2; n = 2, m = 3.

    F* = 0 at (10⁶, 2·10⁻⁶).
    """
    x1, x2 = v[..., 0], v[..., 1]
    return ctx.stack([x1 - 1e6, x2 - ctx.const("2e-6"), x1 * x2 - 2])


# -- problems 6–12 --------------------------------------------------------------------------

_JS_M = 10


def _jennrich_sampson_jac(v, ctx):
    i = integers(ctx, 1, _JS_M)
    x1, x2 = v[..., :1], v[..., 1:2]
    return ctx.stack([-i * ctx.exp(i * x1), -i * ctx.exp(i * x2)])


def _jennrich_sampson_curv(v, f, ctx):
    i = integers(ctx, 1, _JS_M)
    x1, x2 = v[..., :1], v[..., 1:2]
    z = _zero(v, ctx)
    h11 = ctx.sum(-f * i * i * ctx.exp(i * x1))
    h22 = ctx.sum(-f * i * i * ctx.exp(i * x2))
    return matrix(ctx, [[h11, z], [z, h22]])


@least_squares(
    _jennrich_sampson_jac,
    _jennrich_sampson_curv,
    number=6,
    title="Jennrich and Sampson",
    x0=[0.3, 0.4],
    value="4171.306162",
    minimum="124.3621825",
)
def jennrich_sampson(v, ctx):
    """Jennrich & Sampson: f_i = 2 + 2i − (exp(i x1) + exp(i x2)), i = 1..m; n = 2.

    m = 10, the paper's choice, for which F* = 124.362 at x1 = x2 = 0.2578.
    """
    i = integers(ctx, 1, _JS_M)
    return 2 + 2 * i - (ctx.exp(i * v[..., :1]) + ctx.exp(i * v[..., 1:2]))


def _helical_theta(x1, x2, ctx):
    # The branch of the paper: arctan(x2/x1)/2π, plus 1/2 for x1 < 0.
    return ctx.arctan(x2 / x1) / (2 * ctx.pi) + ctx.where(ctx.real(x1) < 0, 0.5, 0.0)


def _helical_valley_jac(v, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    r2 = x1 * x1 + x2 * x2
    r = ctx.sqrt(r2)
    c = 100 / (2 * ctx.pi * r2)
    z, one = _zero(v, ctx), ctx.broadcast(1, v[..., 0])
    return matrix(ctx, [[c * x2, -c * x1, 10 + z], [10 * x1 / r, 10 * x2 / r, z], [z, z, one]])


def _helical_valley_curv(v, f, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    r2 = x1 * x1 + x2 * x2
    r = ctx.sqrt(r2)
    # ∇²θ = [[2 x1 x2, x2² − x1²], [x2² − x1², −2 x1 x2]] / (2π r⁴); f1 = 10 x3 − 100 θ.
    a = -100 * f[..., 0] / (2 * ctx.pi * r2 * r2)
    # ∇² r = [[x2², −x1 x2], [−x1 x2, x1²]] / r³; f2 = 10 (r − 1).
    b = 10 * f[..., 1] / (r2 * r)
    h11 = a * 2 * x1 * x2 + b * x2 * x2
    h12 = a * (x2 * x2 - x1 * x1) - b * x1 * x2
    h22 = -a * 2 * x1 * x2 + b * x1 * x1
    z = _zero(v, ctx)
    return matrix(ctx, [[h11, h12, z], [h12, h22, z], [z, z, z]])


@least_squares(
    _helical_valley_jac,
    _helical_valley_curv,
    number=7,
    title="Helical valley",
    x0=[-1.0, 0.0, 0.0],
    value="2500",
    minimum=0.0,
    points={"xmin": [1.0, 0.0, 0.0]},
    complex_safe=False,
)
def helical_valley(v, ctx):
    """Helical valley: f1 = 10 (x3 − 10 θ(x1, x2)), f2 = 10 (√(x1² + x2²) − 1), f3 = x3.

    θ = arctan(x2/x1)/2π for x1 > 0 and arctan(x2/x1)/2π + 1/2 for x1 < 0 (the paper and
    MINPACK-1; not the four-quadrant arctan2, which differs by 1 for x1 < 0, x2 < 0).
    Not complex safe: the branch is chosen by comparing x1 with 0, which is not an
    analytic operation, and the cost jumps across the half-line x1 = 0, x2 < 0 (θ goes
    from −1/4 to 3/4), so it is not one analytic function of its arguments, which the
    complex step assumes. F* = 0 at (1, 0, 0).
    """
    x1, x2, x3 = v[..., 0], v[..., 1], v[..., 2]
    theta = _helical_theta(x1, x2, ctx)
    return ctx.stack([10 * (x3 - 10 * theta), 10 * (ctx.sqrt(x1 * x1 + x2 * x2) - 1), x3])


_BARD_Y = (0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39)


def _bard_data(ctx):
    u = integers(ctx, 1, 15)
    w = 16 - u
    return u, w, ctx.minimum(u, w)


def _bard_jac(v, ctx):
    u, vv, w = _bard_data(ctx)
    d = vv * v[..., 1:2] + w * v[..., 2:3]
    return ctx.stack([ctx.broadcast(-1, d), u * vv / d**2, u * w / d**2])


def _bard_curv(v, f, ctx):
    u, vv, w = _bard_data(ctx)
    d = vv * v[..., 1:2] + w * v[..., 2:3]
    c = -2 * f * u / d**3
    z = _zero(v, ctx)
    h22, h23, h33 = ctx.sum(c * vv * vv), ctx.sum(c * vv * w), ctx.sum(c * w * w)
    return matrix(ctx, [[z, z, z], [z, h22, h23], [z, h23, h33]])


@least_squares(
    _bard_jac,
    _bard_curv,
    number=8,
    title="Bard",
    x0=[1.0, 1.0, 1.0],
    value="41.68169586",
    minimum="8.214877307e-3",
)
def bard(v, ctx):
    """Bard: f_i = y_i − (x1 + u_i / (v_i x2 + w_i x3)), u_i = i, v_i = 16 − i,
    w_i = min(u_i, v_i); n = 3, m = 15 as in the paper and MINPACK-1 (some copies use a
    different m or a misprinted y).

    F* = 8.2148773e−3 (the paper prints 8.21487e−3, truncated); F = 17.4286 as
    x2, x3 → −∞ with x1 = 0.8406.
    """
    u, vv, w = _bard_data(ctx)
    y = ctx.asarray(_BARD_Y)
    return y - (v[..., :1] + u / (vv * v[..., 1:2] + w * v[..., 2:3]))


_GAUSSIAN_Y = (
    0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
    0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009,
)  # fmt: skip


def _gaussian_parts(v, ctx):
    t = (8 - integers(ctx, 1, 15)) / 2
    x1, x2, x3 = v[..., :1], v[..., 1:2], v[..., 2:3]
    s = t - x3
    return x1, x2, s, ctx.exp(-x2 * s * s / 2)


def _gaussian_jac(v, ctx):
    x1, x2, s, e = _gaussian_parts(v, ctx)
    return ctx.stack([e, -x1 * s * s * e / 2, x1 * x2 * s * e])


def _gaussian_curv(v, f, ctx):
    x1, x2, s, e = _gaussian_parts(v, ctx)
    z = _zero(v, ctx)
    h12 = ctx.sum(f * (-s * s * e / 2))
    h13 = ctx.sum(f * x2 * s * e)
    h22 = ctx.sum(f * x1 * s**4 * e / 4)
    h23 = ctx.sum(f * x1 * s * e * (1 - x2 * s * s / 2))
    h33 = ctx.sum(f * x1 * x2 * e * (x2 * s * s - 1))
    return matrix(ctx, [[z, h12, h13], [h12, h22, h23], [h13, h23, h33]])


@least_squares(
    _gaussian_jac,
    _gaussian_curv,
    number=9,
    title="Gaussian",
    x0=[0.4, 1.0, 0.0],
    value="3.88811e-6",
    minimum="1.12793e-8",
)
def gaussian(v, ctx):
    """Gaussian: f_i = x1 exp(−x2 (t_i − x3)²/2) − y_i, t_i = (8 − i)/2; n = 3, m = 15.

    F* = 1.12793e−8.
    """
    x1, _, _, e = _gaussian_parts(v, ctx)
    return x1 * e - ctx.asarray(_GAUSSIAN_Y)


_MEYER_Y = (
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0,
    8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
)  # fmt: skip


def _meyer_parts(v, ctx):
    q = 45 + 5 * integers(ctx, 1, 16) + v[..., 2:3]
    x1, x2 = v[..., :1], v[..., 1:2]
    return x1, x2, q, ctx.exp(x2 / q)


def _meyer_jac(v, ctx):
    x1, x2, q, e = _meyer_parts(v, ctx)
    return ctx.stack([e, x1 * e / q, -x1 * x2 * e / q**2])


def _meyer_curv(v, f, ctx):
    x1, x2, q, e = _meyer_parts(v, ctx)
    z = _zero(v, ctx)
    h12 = ctx.sum(f * e / q)
    h13 = ctx.sum(-f * x2 * e / q**2)
    h22 = ctx.sum(f * x1 * e / q**2)
    h23 = ctx.sum(-f * x1 * e * (x2 / q + 1) / q**2)
    h33 = ctx.sum(f * x1 * x2 * e * (x2 / q + 2) / q**3)
    return matrix(ctx, [[z, h12, h13], [h12, h22, h23], [h13, h23, h33]])


@least_squares(
    _meyer_jac,
    _meyer_curv,
    number=10,
    title="Meyer",
    tags={"badly-scaled"},
    x0=[0.02, 4000.0, 250.0],
    value="1.693607809e9",
    minimum="87.94585517",
)
def meyer(v, ctx):
    """Meyer: f_i = x1 exp(x2 / (t_i + x3)) − y_i, t_i = 45 + 5i; n = 3, m = 16.

    F* = 87.945855 (the paper prints 87.9458, truncated).
    """
    x1, _, _, e = _meyer_parts(v, ctx)
    return x1 * e - ctx.asarray(_MEYER_Y)


_GULF_M = 99


def _gulf_parts(v, ctx):
    t = integers(ctx, 1, _GULF_M) / 100
    y = 25 + ctx.power(-50 * ctx.log(t), ctx.const(2) / 3)
    x1, x2, x3 = v[..., :1], v[..., 1:2], v[..., 2:3]
    d = y - x2
    r = ctx.abs(d)
    p = ctx.power(r, x3)
    return t, x1, x3, d, r, p, ctx.exp(-p / x1)


def _gulf_jac(v, ctx):
    _, x1, x3, d, r, p, e = _gulf_parts(v, ctx)
    return ctx.stack([e * p / x1**2, e * x3 * p / (r * x1) * ctx.sign(d), -e * p * ctx.log(r) / x1])


@least_squares(
    _gulf_jac,
    number=11,
    title="Gulf research and development",
    x0=[5.0, 2.5, 0.15],
    minimum=0.0,
    points={"xmin": [50.0, 25.0, 1.5]},
    complex_safe=False,
)
def gulf(v, ctx):
    """Gulf research and development: f_i = exp(−|y_i − x2|^x3 / x1) − t_i, t_i = i/100,
    y_i = 25 + (−50 ln t_i)^(2/3); n = 3.

    The paper prints "|y_i m i x2|", a typesetting slip for y_i − x2 (the MINPACK-1 code
    has the minus). m = 99 as in the MINPACK-1 unconstrained-minimisation code
    (Algorithm 566); the paper allows 3 ≤ m ≤ 100. Not complex safe: the cost uses |·|,
    which is not analytic where y_i = x2, and a real power of it. F* = 0 at (50, 25, 1.5).
    x0 = (5, 2.5, 0.15) as in the paper and Algorithm 566; TEST_OPT starts from
    (40, 20, 1.2), where F = 1.20538, so its printed value does not apply here.
    """
    t, *_, e = _gulf_parts(v, ctx)
    return e - t


_BOX_M = 10


def _box_parts(ctx):
    t = integers(ctx, 1, _BOX_M) / 10
    return t, ctx.exp(-t) - ctx.exp(-10 * t)


def _box_3d_jac(v, ctx):
    t, c = _box_parts(ctx)
    x1, x2 = v[..., :1], v[..., 1:2]
    return ctx.stack([-t * ctx.exp(-t * x1), t * ctx.exp(-t * x2), ctx.broadcast(-c, x1)])


def _box_3d_curv(v, f, ctx):
    t, _ = _box_parts(ctx)
    x1, x2 = v[..., :1], v[..., 1:2]
    z = _zero(v, ctx)
    h11 = ctx.sum(f * t * t * ctx.exp(-t * x1))
    h22 = ctx.sum(-f * t * t * ctx.exp(-t * x2))
    return matrix(ctx, [[h11, z, z], [z, h22, z], [z, z, z]])


@least_squares(
    _box_3d_jac,
    _box_3d_curv,
    number=12,
    title="Box three-dimensional",
    x0=[0.0, 10.0, 20.0],
    value="1031.153811",
    minimum=0.0,
    points={"xmin": [1.0, 10.0, 1.0]},
)
def box_3d(v, ctx):
    """Box three-dimensional: f_i = exp(−t_i x1) − exp(−t_i x2) − x3 (exp(−t_i) −
    exp(−10 t_i)), t_i = i/10; n = 3, m = 10 (MINPACK-1's choice; the paper allows m ≥ 3).

    F* = 0 at (1, 10, 1), (10, 1, −1) and wherever x1 = x2, x3 = 0. x0 = (0, 10, 20) as
    in the paper and MINPACK-1; TEST_OPT starts from (0, 10, 5), where F = 34.7325.
    """
    t, c = _box_parts(ctx)
    x1, x2, x3 = v[..., :1], v[..., 1:2], v[..., 2:3]
    return ctx.exp(-t * x1) - ctx.exp(-t * x2) - x3 * c


# -- problems 13–20 -------------------------------------------------------------------------


def _extended_powell_residual(v, ctx):
    a, b, c, d = powell_blocks(v)
    r5, r10 = ctx.sqrt(ctx.const(5)), ctx.sqrt(ctx.const(10))
    f = ctx.stack([a + 10 * b, r5 * (c - d), (b - 2 * c) ** 2, r10 * (a - d) ** 2])
    return f.reshape(v.shape)  # (…, n/4, 4) → (…, n): f_{4i−3}, f_{4i−2}, f_{4i−1}, f_{4i}


def _extended_powell_jac(v, ctx):
    n = v.shape[-1]
    a, b, c, d = powell_blocks(v)
    r5, r10 = ctx.sqrt(ctx.const(5)), ctx.sqrt(ctx.const(10))
    one = ctx.broadcast(1, a)
    u, w = 2 * (b - 2 * c), 2 * r10 * (a - d)
    z = ctx.broadcast(0, a)
    block = matrix(
        ctx,
        [[one, 10 * one, z, z], [z, z, r5 * one, -r5 * one], [z, u, -2 * u, z], [w, z, z, -w]],
    )  # (…, n/4, 4, 4)
    jac = ctx.zeros((*v.shape, n))
    for k in range(n // 4):
        jac[..., 4 * k : 4 * k + 4, 4 * k : 4 * k + 4] = block[..., k, :, :]
    return jac


def _extended_powell_curv(v, f, ctx):
    n = v.shape[-1]
    r10 = ctx.sqrt(ctx.const(10))
    f3, f4 = f[..., 2::4], 2 * r10 * f[..., 3::4]
    z = ctx.broadcast(0, f3)
    block = matrix(
        ctx,
        [[f4, z, z, -f4], [z, 2 * f3, -4 * f3, z], [z, -4 * f3, 8 * f3, z], [-f4, z, z, f4]],
    )
    out = ctx.zeros((*v.shape, n))
    for k in range(n // 4):
        out[..., 4 * k : 4 * k + 4, 4 * k : 4 * k + 4] = block[..., k, :, :]
    return out


@least_squares(
    _extended_powell_jac,
    _extended_powell_curv,
    number=13,
    title="Powell singular",
    tags={"singular-hessian"},
    x0=[3.0, -1.0, 0.0, 1.0],
    value="215",
    minimum=0.0,
    points={"xmin": [0.0, 0.0, 0.0, 0.0]},
)
def powell_singular(v, ctx):
    """Powell singular: f1 = x1 + 10 x2, f2 = √5 (x3 − x4), f3 = (x2 − 2 x3)²,
    f4 = √10 (x1 − x4)²; m = n = 4.

    F* = 0 at the origin, where the Hessian is singular.
    """
    return _extended_powell_residual(v, ctx)


def _wood_jac(v, ctx):
    x1, x3 = v[..., 0], v[..., 2]
    r90, r10 = ctx.sqrt(ctx.const(90)), ctx.sqrt(ctx.const(10))
    z, one = _zero(v, ctx), ctx.broadcast(1, v[..., 0])
    return matrix(
        ctx,
        [
            [-20 * x1, 10 * one, z, z],
            [-one, z, z, z],
            [z, z, -2 * r90 * x3, r90 * one],
            [z, z, -one, z],
            [z, r10 * one, z, r10 * one],
            [z, one / r10, z, -one / r10],
        ],
    )


def _wood_curv(v, f, ctx):
    r90 = ctx.sqrt(ctx.const(90))
    z = _zero(v, ctx)
    h11, h33 = -20 * f[..., 0], -2 * r90 * f[..., 2]
    return matrix(ctx, [[h11, z, z, z], [z, z, z, z], [z, z, h33, z], [z, z, z, z]])


@least_squares(
    _wood_jac,
    _wood_curv,
    number=14,
    title="Wood",
    x0=[-3.0, -1.0, -3.0, -1.0],
    value="19192.0",
    minimum=0.0,
    points={"xmin": [1.0, 1.0, 1.0, 1.0]},
)
def wood(v, ctx):
    """Wood: f1 = 10 (x2 − x1²), f2 = 1 − x1, f3 = √90 (x4 − x3²), f4 = 1 − x3,
    f5 = √10 (x2 + x4 − 2), f6 = (x2 − x4)/√10; n = 4, m = 6. F* = 0 at (1, 1, 1, 1)."""
    x1, x2, x3, x4 = v[..., 0], v[..., 1], v[..., 2], v[..., 3]
    r90, r10 = ctx.sqrt(ctx.const(90)), ctx.sqrt(ctx.const(10))
    return ctx.stack(
        [
            10 * (x2 - x1 * x1),
            1 - x1,
            r90 * (x4 - x3 * x3),
            1 - x3,
            r10 * (x2 + x4 - 2),
            (x2 - x4) / r10,
        ]
    )


_KO_Y = (0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246)
_KO_U = (4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625)


def _kowalik_osborne_parts(v, ctx):
    u = ctx.asarray(_KO_U)
    x1, x2, x3, x4 = (v[..., k : k + 1] for k in range(4))
    num = u * (u + x2)
    den = u * (u + x3) + x4
    return u, x1, num, den


def _kowalik_osborne_jac(v, ctx):
    u, x1, num, den = _kowalik_osborne_parts(v, ctx)
    return ctx.stack([-num / den, -x1 * u / den, x1 * num * u / den**2, x1 * num / den**2])


def _kowalik_osborne_curv(v, f, ctx):
    u, x1, num, den = _kowalik_osborne_parts(v, ctx)
    z = _zero(v, ctx)

    def s(x):
        return ctx.sum(f * x)

    h12, h13, h14 = s(-u / den), s(num * u / den**2), s(num / den**2)
    h23, h24 = s(x1 * u * u / den**2), s(x1 * u / den**2)
    h33, h34, h44 = (s(-2 * x1 * num * p / den**3) for p in (u * u, u, 1))
    return matrix(
        ctx,
        [[z, h12, h13, h14], [h12, z, h23, h24], [h13, h23, h33, h34], [h14, h24, h34, h44]],
    )


@least_squares(
    _kowalik_osborne_jac,
    _kowalik_osborne_curv,
    number=15,
    title="Kowalik and Osborne",
    x0=[0.25, 0.39, 0.415, 0.39],
    value="5.313172272e-3",
    minimum="3.075056046e-4",
)
def kowalik_osborne(v, ctx):
    """Kowalik & Osborne: f_i = y_i − x1 (u_i² + u_i x2) / (u_i² + u_i x3 + x4); n = 4,
    m = 11, with u_i and y_i as printed in the paper (u_6 = 0.167, u_9 = 0.0833,
    u_10 = 0.0714). F* = 3.0750560e−4 (the paper prints 3.07505e−4, truncated);
    F = 1.02734e−3 as x → (+∞, −14.07…, −∞, −∞)."""
    _, x1, num, den = _kowalik_osborne_parts(v, ctx)
    return ctx.asarray(_KO_Y) - x1 * num / den


_BD_M = 20


def _brown_dennis_parts(v, ctx):
    t = integers(ctx, 1, _BD_M) / 5
    s = ctx.sin(t)
    a = v[..., :1] + t * v[..., 1:2] - ctx.exp(t)
    b = v[..., 2:3] + s * v[..., 3:4] - ctx.cos(t)
    return t, s, a, b


def _brown_dennis_jac(v, ctx):
    t, s, a, b = _brown_dennis_parts(v, ctx)
    return ctx.stack([2 * a, 2 * a * t, 2 * b, 2 * b * s])


def _brown_dennis_curv(v, f, ctx):
    t, s, _, _ = _brown_dennis_parts(v, ctx)
    z = _zero(v, ctx)
    h11, h12, h22 = 2 * ctx.sum(ctx.broadcast(f, t)), 2 * ctx.sum(f * t), 2 * ctx.sum(f * t * t)
    h33, h34, h44 = 2 * ctx.sum(ctx.broadcast(f, s)), 2 * ctx.sum(f * s), 2 * ctx.sum(f * s * s)
    return matrix(ctx, [[h11, h12, z, z], [h12, h22, z, z], [z, z, h33, h34], [z, z, h34, h44]])


@least_squares(
    _brown_dennis_jac,
    _brown_dennis_curv,
    number=16,
    title="Brown and Dennis",
    x0=[25.0, 5.0, -5.0, -1.0],
    value="7926693.337",
    minimum="85822.215",
)
def brown_dennis(v, ctx):
    """Brown & Dennis: f_i = (x1 + t_i x2 − exp t_i)² + (x3 + x4 sin t_i − cos t_i)²,
    t_i = i/5; n = 4, m = 20 (the paper's choice, for which F* = 85822.2)."""
    _, _, a, b = _brown_dennis_parts(v, ctx)
    return a * a + b * b


_OSBORNE1_Y = (
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
    0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
    0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
)  # fmt: skip


def _osborne1_parts(v, ctx):
    t = 10 * integers(ctx, 0, 32)
    return t, ctx.exp(-t * v[..., 3:4]), ctx.exp(-t * v[..., 4:5])


def _osborne1_jac(v, ctx):
    t, e4, e5 = _osborne1_parts(v, ctx)
    return ctx.stack([ctx.broadcast(-1, e4), -e4, -e5, t * v[..., 1:2] * e4, t * v[..., 2:3] * e5])


@least_squares(
    _osborne1_jac,
    number=17,
    title="Osborne 1",
    x0=[0.5, 1.5, -1.0, 0.01, 0.02],
    value="0.8790262935",
    minimum="5.464894697e-5",
)
def osborne1(v, ctx):
    """Osborne 1: f_i = y_i − (x1 + x2 exp(−t_i x4) + x3 exp(−t_i x5)), t_i = 10 (i − 1);
    n = 5, m = 33. F* = 5.46489e−5.

    x0 = (0.5, 1.5, −1, 0.01, 0.02) as in the paper and the MINPACK-1 test, whose initial
    residual norm 0.937564021037838 gives F(x0) = 0.8790262935. The value 16.17411 listed
    for this problem in estimagic's transcription of the Moré–Wild (2009) set is F at
    x3 = +1, not at the paper's x0.
    """
    _, e4, e5 = _osborne1_parts(v, ctx)
    y = ctx.asarray(_OSBORNE1_Y)
    return y - (v[..., :1] + v[..., 1:2] * e4 + v[..., 2:3] * e5)


_BIGGS_M = 13


def _biggs_parts(v, ctx):
    t = integers(ctx, 1, _BIGGS_M) / 10
    y = ctx.exp(-t) - 5 * ctx.exp(-10 * t) + 3 * ctx.exp(-4 * t)
    e1, e2, e5 = (ctx.exp(-t * v[..., k : k + 1]) for k in (0, 1, 4))
    return t, y, e1, e2, e5


def _biggs_exp6_jac(v, ctx):
    t, _, e1, e2, e5 = _biggs_parts(v, ctx)
    x3, x4, x6 = v[..., 2:3], v[..., 3:4], v[..., 5:6]
    return ctx.stack([-t * x3 * e1, t * x4 * e2, e1, -e2, -t * x6 * e5, e5])


@least_squares(
    _biggs_exp6_jac,
    number=18,
    title="Biggs EXP6",
    x0=[1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
    value="0.779070",
    minimum=0.0,
    points={"xmin": [1.0, 10.0, 1.0, 5.0, 4.0, 3.0]},
)
def biggs_exp6(v, ctx):
    """Biggs EXP6: f_i = x3 exp(−t_i x1) − x4 exp(−t_i x2) + x6 exp(−t_i x5) − y_i,
    t_i = i/10, y_i = exp(−t_i) − 5 exp(−10 t_i) + 3 exp(−4 t_i); n = 6, m = 13 (the
    paper's choice). F* = 0 at (1, 10, 1, 5, 4, 3) for any m; the paper also lists the
    local minimum F = 5.65565e−3 for m = 13."""
    _, y, e1, e2, e5 = _biggs_parts(v, ctx)
    return v[..., 2:3] * e1 - v[..., 3:4] * e2 + v[..., 5:6] * e5 - y


_OSBORNE2_Y = (
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
    0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
    0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
    0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
    0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
    0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
)  # fmt: skip


def _osborne2_parts(v, ctx):
    t = integers(ctx, 0, 64) / 10
    x = [v[..., k : k + 1] for k in range(11)]
    e = ctx.exp(-t * x[4])
    s = [t - x[8], t - x[9], t - x[10]]
    g = [ctx.exp(-(s[k] ** 2) * x[5 + k]) for k in range(3)]
    return t, x, e, s, g


def _osborne2_jac(v, ctx):
    t, x, e, s, g = _osborne2_parts(v, ctx)
    return ctx.stack(
        [-e, -g[0], -g[1], -g[2], t * x[0] * e]
        + [x[1 + k] * s[k] ** 2 * g[k] for k in range(3)]
        + [-2 * x[1 + k] * x[5 + k] * s[k] * g[k] for k in range(3)]
    )


@least_squares(
    _osborne2_jac,
    number=19,
    title="Osborne 2",
    x0=[1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
    value="2.093419514",
    minimum="4.01377363e-2",
)
def osborne2(v, ctx):
    """Osborne 2: f_i = y_i − (x1 e^(−t_i x5) + x2 e^(−(t_i − x9)² x6) + x3 e^(−(t_i − x10)² x7)
    + x4 e^(−(t_i − x11)² x8)), t_i = (i − 1)/10; n = 11, m = 65. F* = 4.01377e−2."""
    _, x, e, _, g = _osborne2_parts(v, ctx)
    y = ctx.asarray(_OSBORNE2_Y)
    return y - (x[0] * e + x[1] * g[0] + x[2] * g[1] + x[3] * g[2])


def _watson_matrices(n, ctx):
    t = integers(ctx, 1, 29) / 29
    j = np.arange(n)
    p = ctx.power(t[:, None], ctx.asarray(j)[None, :])  # t_i^(j−1), j = 1..n
    q = ctx.asarray(j)[None, :] * ctx.power(t[:, None], ctx.asarray(np.maximum(j - 1, 0)))
    return p, q  # q: (j − 1) t_i^(j−2), zero in the first column


def _watson_jac(v, ctx):
    n = v.shape[-1]
    p, q = _watson_matrices(n, ctx)
    px = ctx.matmul(v, p.T)  # (…, 29)
    top = q - 2 * px[..., None] * p
    x1 = v[..., 0]
    e1 = (np.arange(n) == 0).astype(float)
    e2 = (np.arange(n) == 1).astype(float)
    r30 = ctx.broadcast(ctx.asarray(e1), v)
    r31 = ctx.asarray(e2) - 2 * x1[..., None] * e1
    return ctx.concatenate([top, r30[..., None, :], r31[..., None, :]], axis=-2)


def _watson_curv(v, f, ctx):
    n = v.shape[-1]
    p, _ = _watson_matrices(n, ctx)
    out = -2 * ctx.matmul(p.T, f[..., :29, None] * p)
    e11 = ctx.asarray((np.arange(n)[:, None] == 0) & (np.arange(n)[None, :] == 0))
    return out - 2 * f[..., 30, None, None] * e11


@least_squares(
    _watson_jac,
    _watson_curv,
    number=20,
    title="Watson",
    dim=9,
    value="30",
    minimum="1.399760138e-6",
    **_scalable(lambda n: [0.0] * n, minimum_n=2, maximum_n=31),
)
def watson(v, ctx):
    """Watson: f_i = Σ_{j=2}^n (j − 1) x_j t_i^(j−2) − (Σ_{j=1}^n x_j t_i^(j−1))² − 1,
    t_i = i/29, i = 1..29; f30 = x1, f31 = x2 − x1² − 1; 2 ≤ n ≤ 31, m = 31, x0 = 0.

    n = 9 by default; the paper gives F* = 2.28767e−3 (n = 6), 1.39976e−6 (n = 9) and
    4.72238e−10 (n = 12).
    """
    p, q = _watson_matrices(v.shape[-1], ctx)
    top = ctx.matmul(v, q.T) - ctx.matmul(v, p.T) ** 2 - 1
    x1, x2 = v[..., :1], v[..., 1:2]
    return ctx.concatenate([top, x1, x2 - x1 * x1 - 1], axis=-1)


# -- problems 21–35: variable dimension --------------------------------------------------


def _extended_rosenbrock_residual(v, ctx):
    odd, even = v[..., 0::2], v[..., 1::2]
    return ctx.stack([10 * (even - odd * odd), 1 - odd]).reshape(v.shape)


def _extended_rosenbrock_jac(v, ctx):
    n = v.shape[-1]
    odd = v[..., 0::2]
    jac = ctx.zeros((*v.shape, n))
    k = np.arange(n // 2)
    jac[..., 2 * k, 2 * k] = -20 * odd
    jac[..., 2 * k, 2 * k + 1] = 10
    jac[..., 2 * k + 1, 2 * k] = -1
    return jac


def _extended_rosenbrock_curv(v, f, ctx):
    d = ctx.zeros(v.shape)
    d[..., 0::2] = -20 * f[..., 0::2]
    return diag(ctx, d)


@least_squares(
    _extended_rosenbrock_jac,
    _extended_rosenbrock_curv,
    number=21,
    title="Extended Rosenbrock",
    dim=10,
    minimum=0.0,
    **_scalable(lambda n: [-1.2, 1.0] * (n // 2), minimum_n=2, multiple=2),
)
def extended_rosenbrock(v, ctx):
    """Extended Rosenbrock: f_{2i−1} = 10 (x_{2i} − x_{2i−1}²), f_{2i} = 1 − x_{2i−1};
    n even, m = n, x0 = (−1.2, 1, …). n = 10 by default. F* = 0 at (1, …, 1)."""
    return _extended_rosenbrock_residual(v, ctx)


@least_squares(
    _extended_powell_jac,
    _extended_powell_curv,
    number=22,
    title="Extended Powell singular",
    tags={"singular-hessian"},
    dim=12,
    minimum=0.0,
    **_scalable(lambda n: [3.0, -1.0, 0.0, 1.0] * (n // 4), minimum_n=4, multiple=4),
)
def extended_powell(v, ctx):
    """Extended Powell singular: problem 13 on each block of four, n a multiple of 4,
    m = n, x0 = (3, −1, 0, 1, …). n = 12 by default. F* = 0 at the origin."""
    return _extended_powell_residual(v, ctx)


def _penalty1_jac(v, ctx):
    n = v.shape[-1]
    ra = ctx.sqrt(ctx.const("1e-5"))
    top = ctx.broadcast(ra * ctx.asarray(np.eye(n)), v[..., None, :])
    return ctx.concatenate([top, 2 * v[..., None, :]], axis=-2)


def _penalty1_curv(v, f, ctx):
    return diag(ctx, ctx.broadcast(2 * f[..., -1:], v))


@least_squares(
    _penalty1_jac,
    _penalty1_curv,
    number=23,
    title="Penalty I",
    dim=10,
    minimum="7.08765e-5",
    **_scalable(lambda n: [float(j) for j in range(1, n + 1)]),
)
def penalty1(v, ctx):
    """Penalty I: f_i = √a (x_i − 1), i = 1..n, f_{n+1} = Σ x_j² − 1/4, a = 10⁻⁵;
    m = n + 1, x0 = (1, 2, …, n). n = 10 by default; the paper gives F* = 2.24997e−5
    (n = 4) and 7.08765e−5 (n = 10)."""
    ra = ctx.sqrt(ctx.const("1e-5"))
    last = ctx.sum(v * v)[..., None] - ctx.const("0.25")
    return ctx.concatenate([ra * (v - 1), last], axis=-1)


def _penalty2_parts(v, ctx):
    n = v.shape[-1]
    ra = ctx.sqrt(ctx.const("1e-5"))
    i = integers(ctx, 2, n)
    y = ctx.exp(i / 10) + ctx.exp((i - 1) / 10)
    e = ctx.exp(v / 10)
    return n, ra, y, e


def _penalty2_jac(v, ctx):
    n, ra, _, e = _penalty2_parts(v, ctx)
    w = ctx.asarray(np.arange(n, 0, -1, dtype=float))  # n − j + 1
    jac = ctx.zeros((*v.shape[:-1], 2 * n - 1, n))
    jac[..., 0, 0] = 1
    k = np.arange(1, n)
    jac[..., k, k] = ra * e[..., 1:] / 10
    jac[..., k, k - 1] = ra * e[..., :-1] / 10
    jac[..., n - 1 + k, k] = ra * e[..., 1:] / 10
    full = ctx.concatenate([jac, (2 * w * v)[..., None, :]], axis=-2)
    return full


def _penalty2_curv(v, f, ctx):
    n, ra, _, e = _penalty2_parts(v, ctx)
    w = ctx.asarray(np.arange(n, 0, -1, dtype=float))
    d = ctx.broadcast(2 * w * f[..., -1:], v)
    mid, tail = f[..., 1:n], f[..., n : 2 * n - 1]
    d[..., 1:] = d[..., 1:] + ra * e[..., 1:] / 100 * (mid + tail)
    d[..., :-1] = d[..., :-1] + ra * e[..., :-1] / 100 * mid
    return diag(ctx, d)


@least_squares(
    _penalty2_jac,
    _penalty2_curv,
    number=24,
    title="Penalty II",
    dim=10,
    minimum="2.93660e-4",
    **_scalable(lambda n: [0.5] * n),
)
def penalty2(v, ctx):
    """Penalty II: f1 = x1 − 0.2, f_i = √a (exp(x_i/10) + exp(x_{i−1}/10) − y_i) for
    2 ≤ i ≤ n, f_i = √a (exp(x_{i−n+1}/10) − exp(−1/10)) for n < i < 2n,
    f_{2n} = Σ (n − j + 1) x_j² − 1, with a = 10⁻⁵, y_i = exp(i/10) + exp((i − 1)/10);
    m = 2n, x0 = 1/2. n = 10 by default; the paper gives F* = 9.37629e−6 (n = 4) and
    2.93660e−4 (n = 10)."""
    n, ra, y, e = _penalty2_parts(v, ctx)
    w = ctx.asarray(np.arange(n, 0, -1, dtype=float))
    first = v[..., :1] - ctx.const("0.2")
    mid = ra * (e[..., 1:] + e[..., :-1] - y)
    tail = ra * (e[..., 1:] - ctx.exp(ctx.const(-1) / 10))
    last = ctx.sum(w * v * v)[..., None] - 1
    return ctx.concatenate([first, mid, tail, last], axis=-1)


def _variably_dimensioned_jac(v, ctx):
    n = v.shape[-1]
    j = ctx.asarray(np.arange(1, n + 1, dtype=float))
    s = ctx.sum(j * (v - 1))[..., None]
    top = ctx.broadcast(ctx.asarray(np.eye(n)), v[..., None, :])
    return ctx.concatenate(
        [top, ctx.broadcast(j, v)[..., None, :], (2 * s * j)[..., None, :]], axis=-2
    )


def _variably_dimensioned_curv(v, f, ctx):
    n = v.shape[-1]
    j = ctx.asarray(np.arange(1, n + 1, dtype=float))
    return 2 * f[..., -1, None, None] * (j[:, None] * j[None, :])


@least_squares(
    _variably_dimensioned_jac,
    _variably_dimensioned_curv,
    number=25,
    title="Variably dimensioned",
    dim=10,
    minimum=0.0,
    **_scalable(lambda n: [1 - j / n for j in range(1, n + 1)]),
)
def variably_dimensioned(v, ctx):
    """Variably dimensioned: f_i = x_i − 1, f_{n+1} = Σ j (x_j − 1), f_{n+2} = f_{n+1}²;
    m = n + 2, x0_j = 1 − j/n. n = 10 by default. F* = 0 at (1, …, 1)."""
    n = v.shape[-1]
    j = ctx.asarray(np.arange(1, n + 1, dtype=float))
    s = ctx.sum(j * (v - 1))[..., None]
    return ctx.concatenate([v - 1, s, s * s], axis=-1)


def _trigonometric_jac(v, ctx):
    n = v.shape[-1]
    i = ctx.asarray(np.arange(1, n + 1, dtype=float))
    s, c = ctx.sin(v), ctx.cos(v)
    return s[..., None, :] + diag(ctx, i * s - c)


def _trigonometric_curv(v, f, ctx):
    n = v.shape[-1]
    i = ctx.asarray(np.arange(1, n + 1, dtype=float))
    s, c = ctx.sin(v), ctx.cos(v)
    return diag(ctx, ctx.sum(f)[..., None] * c + f * (i * c + s))


@least_squares(
    _trigonometric_jac,
    _trigonometric_curv,
    number=26,
    title="Trigonometric",
    dim=10,
    minimum=0.0,
    **_scalable(lambda n: [1 / n] * n),
)
def trigonometric(v, ctx):
    """Trigonometric: f_i = n − Σ_j cos x_j + i (1 − cos x_i) − sin x_i; m = n,
    x0 = 1/n. n = 10 by default. F* = 0."""
    n = v.shape[-1]
    i = ctx.asarray(np.arange(1, n + 1, dtype=float))
    c = ctx.cos(v)
    return n - ctx.sum(c)[..., None] + i * (1 - c) - ctx.sin(v)


def _products_without(v, ctx, skip):
    """Π_l x_l over l not in skip (a boolean mask broadcasting against (…, k, n))."""
    return ctx.prod(ctx.where(skip, ctx.const(1), v), axis=-1)


def _brown_almost_linear_jac(v, ctx):
    n = v.shape[-1]
    eye = np.eye(n, dtype=bool)
    top = ctx.broadcast(ctx.asarray(np.eye(n)[: n - 1] + 1), v[..., None, :])
    last = _products_without(v[..., None, :], ctx, eye)  # (…, n): Π_{l≠j} x_l
    return ctx.concatenate([top, last[..., None, :]], axis=-2)


def _brown_almost_linear_curv(v, f, ctx):
    n = v.shape[-1]
    eye = np.eye(n, dtype=bool)
    skip = eye[:, None, :] | eye[None, :, :]  # (j, k, l): l ∈ {j, k}
    pair = _products_without(v[..., None, None, :], ctx, skip)  # Π_{l∉{j,k}} x_l
    pair = ctx.where(eye, ctx.const(0), pair)
    return f[..., -1, None, None] * pair


@least_squares(
    _brown_almost_linear_jac,
    _brown_almost_linear_curv,
    number=27,
    title="Brown almost-linear",
    dim=10,
    value="273.2480478",
    minimum=0.0,
    **_scalable(lambda n: [0.5] * n),
)
def brown_almost_linear(v, ctx):
    """Brown almost-linear: f_i = x_i + Σ_j x_j − (n + 1), 1 ≤ i < n, f_n = Π_j x_j − 1;
    m = n, x0 = 1/2. n = 10 by default. F* = 0 at (α, …, α, α^(1−n)) with
    n α^n − (n + 1) α^(n−1) + 1 = 0, e.g. (1, …, 1); F = 1 at (0, …, 0, n + 1)."""
    total = ctx.sum(v)[..., None]
    head = v[..., :-1] + total - (v.shape[-1] + 1)
    return ctx.concatenate([head, ctx.prod(v)[..., None] - 1], axis=-1)


def _grid(n, ctx):
    h = ctx.const(1) / (n + 1)
    return h, integers(ctx, 1, n) * h


def _boundary_x0(n):
    t = np.arange(1, n + 1) / (n + 1)
    return t * (t - 1)


def _discrete_boundary_value_jac(v, ctx):
    n = v.shape[-1]
    h, t = _grid(n, ctx)
    u = v + t + 1
    band = np.eye(n, k=1) + np.eye(n, k=-1)
    return diag(ctx, 2 + 3 * h * h * u * u / 2) - ctx.asarray(band)


def _discrete_boundary_value_curv(v, f, ctx):
    n = v.shape[-1]
    h, t = _grid(n, ctx)
    return diag(ctx, f * 3 * h * h * (v + t + 1))


@least_squares(
    _discrete_boundary_value_jac,
    _discrete_boundary_value_curv,
    number=28,
    title="Discrete boundary value",
    dim=10,
    minimum=0.0,
    **_scalable(_boundary_x0),
)
def discrete_boundary_value(v, ctx):
    """Discrete boundary value: f_i = 2 x_i − x_{i−1} − x_{i+1} + h² (x_i + t_i + 1)³/2,
    h = 1/(n + 1), t_i = i h, x_0 = x_{n+1} = 0; m = n, x0_j = t_j (t_j − 1). n = 10 by
    default. F* = 0."""
    n = v.shape[-1]
    h, t = _grid(n, ctx)
    z = ctx.broadcast(0, v[..., :1])
    left = ctx.concatenate([z, v[..., :-1]], axis=-1)
    right = ctx.concatenate([v[..., 1:], z], axis=-1)
    return 2 * v - left - right + h * h * (v + t + 1) ** 3 / 2


def _integral_kernel(n, ctx):
    h, t = _grid(n, ctx)
    lower = np.tril(np.ones((n, n), dtype=bool))  # j ≤ i
    k = ctx.where(lower, (1 - t)[:, None] * t[None, :], t[:, None] * (1 - t)[None, :])
    return h, t, k


def _discrete_integral_equation_jac(v, ctx):
    n = v.shape[-1]
    h, t, k = _integral_kernel(n, ctx)
    u = v + t + 1
    return ctx.asarray(np.eye(n)) + h / 2 * k * (3 * u * u)[..., None, :]


def _discrete_integral_equation_curv(v, f, ctx):
    n = v.shape[-1]
    h, t, k = _integral_kernel(n, ctx)
    kf = ctx.matmul(f[..., None, :], k)[..., 0, :]
    return diag(ctx, h / 2 * kf * 6 * (v + t + 1))


@least_squares(
    _discrete_integral_equation_jac,
    _discrete_integral_equation_curv,
    number=29,
    title="Discrete integral equation",
    dim=10,
    minimum=0.0,
    **_scalable(_boundary_x0),
)
def discrete_integral_equation(v, ctx):
    """Discrete integral equation: f_i = x_i + h [(1 − t_i) Σ_{j≤i} t_j (x_j + t_j + 1)³
    + t_i Σ_{j>i} (1 − t_j)(x_j + t_j + 1)³]/2, h = 1/(n + 1), t_i = i h; m = n,
    x0_j = t_j (t_j − 1). n = 10 by default. F* = 0."""
    h, t, k = _integral_kernel(v.shape[-1], ctx)
    c = (v + t + 1) ** 3
    return v + h / 2 * ctx.matmul(c, k.T)


def _broyden_tridiagonal_jac(v, ctx):
    n = v.shape[-1]
    band = np.eye(n, k=-1) + 2 * np.eye(n, k=1)
    return diag(ctx, 3 - 4 * v) - ctx.asarray(band)


def _broyden_tridiagonal_curv(v, f, ctx):
    return diag(ctx, -4 * f)


@least_squares(
    _broyden_tridiagonal_jac,
    _broyden_tridiagonal_curv,
    number=30,
    title="Broyden tridiagonal",
    dim=10,
    minimum=0.0,
    **_scalable(lambda n: [-1.0] * n),
)
def broyden_tridiagonal(v, ctx):
    """Broyden tridiagonal: f_i = (3 − 2 x_i) x_i − x_{i−1} − 2 x_{i+1} + 1,
    x_0 = x_{n+1} = 0; m = n, x0 = −1. n = 10 by default. F* = 0."""
    z = ctx.broadcast(0, v[..., :1])
    left = ctx.concatenate([z, v[..., :-1]], axis=-1)
    right = ctx.concatenate([v[..., 1:], z], axis=-1)
    return (3 - 2 * v) * v - left - 2 * right + 1


def _band(n):
    """B_ij = 1 for j ≠ i with i − 5 ≤ j ≤ i + 1 (m_l = 5, m_u = 1)."""
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    return ((j != i) & (j >= i - 5) & (j <= i + 1)).astype(float)


def _broyden_banded_jac(v, ctx):
    b = ctx.asarray(_band(v.shape[-1]))
    return diag(ctx, 2 + 15 * v * v) - b * (1 + 2 * v)[..., None, :]


def _broyden_banded_curv(v, f, ctx):
    b = ctx.asarray(_band(v.shape[-1]))
    fb = ctx.matmul(f[..., None, :], b)[..., 0, :]
    return diag(ctx, 30 * v * f - 2 * fb)


@least_squares(
    _broyden_banded_jac,
    _broyden_banded_curv,
    number=31,
    title="Broyden banded",
    dim=10,
    minimum=0.0,
    **_scalable(lambda n: [-1.0] * n),
)
def broyden_banded(v, ctx):
    """Broyden banded: f_i = x_i (2 + 5 x_i²) + 1 − Σ_{j∈J_i} x_j (1 + x_j),
    J_i = {j ≠ i : max(1, i − 5) ≤ j ≤ min(n, i + 1)}; m = n, x0 = −1. n = 10 by
    default. F* = 0."""
    b = ctx.asarray(_band(v.shape[-1]))
    return v * (2 + 5 * v * v) + 1 - ctx.matmul(v * (1 + v), b.T)


# The linear functions take m = 5n, the choice of Moré & Wild (2009) for these
# problems (n = 9, m = 45 and n = 7, m = 35), whose printed F(x0) then apply.


def _linear_full_rank_matrix(n, ctx):
    m = 5 * n
    return ctx.asarray(np.eye(m, n)) - ctx.const(2) / m


def _linear_full_rank_jac(v, ctx):
    return ctx.broadcast(_linear_full_rank_matrix(v.shape[-1], ctx), v[..., None, :])


def _no_curvature(v, f, ctx):
    return ctx.zeros(v.shape + v.shape[-1:])


@least_squares(
    _linear_full_rank_jac,
    _no_curvature,
    number=32,
    title="Linear function, full rank",
    tags={"quadratic"},
    dim=9,
    value="72",
    minimum="36",
    **_scalable(lambda n: [1.0] * n),
)
def linear_full_rank(v, ctx):
    """Linear function, full rank: f_i = x_i − (2/m) Σ_j x_j − 1 (i ≤ n),
    f_i = −(2/m) Σ_j x_j − 1 (i > n); x0 = 1. m = 5n and n = 9 by default, as in
    Moré & Wild (2009); the paper allows any m ≥ n. F* = m − n at x = −1."""
    return ctx.matmul(v, _linear_full_rank_matrix(v.shape[-1], ctx).T) - 1


def _rank1_matrix(n, ctx):
    i = np.arange(1, 5 * n + 1, dtype=float)
    j = np.arange(1, n + 1, dtype=float)
    return ctx.asarray(np.outer(i, j))


def _linear_rank1_jac(v, ctx):
    return ctx.broadcast(_rank1_matrix(v.shape[-1], ctx), v[..., None, :])


@least_squares(
    _linear_rank1_jac,
    _no_curvature,
    number=33,
    title="Linear function, rank 1",
    tags={"quadratic", "singular-hessian"},
    dim=7,
    value="1.165420e7",
    minimum="8.380282",
    **_scalable(lambda n: [1.0] * n),
)
def linear_rank1(v, ctx):
    """Linear function, rank 1: f_i = i Σ_j j x_j − 1; x0 = 1. m = 5n and n = 7 by
    default, as in Moré & Wild (2009); the paper allows any m ≥ n.
    F* = m (m − 1) / (2 (2m + 1)) on the hyperplane Σ j x_j = 3/(2m + 1)."""
    return ctx.matmul(v, _rank1_matrix(v.shape[-1], ctx).T) - 1


def _rank1_zero_matrix(n, ctx):
    m = 5 * n
    i = np.arange(m, dtype=float)  # i − 1 for i = 1..m
    i[-1] = 0.0
    j = np.arange(1, n + 1, dtype=float)
    j[0] = j[-1] = 0.0
    return ctx.asarray(np.outer(i, j))


def _linear_rank1_zero_jac(v, ctx):
    return ctx.broadcast(_rank1_zero_matrix(v.shape[-1], ctx), v[..., None, :])


@least_squares(
    _linear_rank1_zero_jac,
    _no_curvature,
    number=34,
    title="Linear function, rank 1 with zero columns and rows",
    tags={"quadratic", "singular-hessian"},
    dim=7,
    value="4.989195e6",
    minimum="9.880597",
    **_scalable(lambda n: [1.0] * n, minimum_n=3),
)
def linear_rank1_zero(v, ctx):
    """Linear function, rank 1 with zero columns and rows: f1 = −1,
    f_i = (i − 1) Σ_{j=2}^{n−1} j x_j − 1 for 2 ≤ i ≤ m − 1, f_m = −1; x0 = 1, n ≥ 3.
    m = 5n and n = 7 by default, as in Moré & Wild (2009); the paper allows any m ≥ n.
    F* = (m² + 3m − 6) / (2 (2m − 3))."""
    return ctx.matmul(v, _rank1_zero_matrix(v.shape[-1], ctx).T) - 1


def _chebyshev(v, ctx, m):
    """T_i(2x − 1) and its x-derivative for i = 1..m: two (…, m, n) arrays."""
    y = 2 * v - 1
    t_prev, t_cur = ctx.broadcast(1, y), y
    d_prev, d_cur = ctx.broadcast(0, y), ctx.broadcast(2, y)
    ts, ds = [t_cur], [d_cur]
    for _ in range(m - 1):
        t_next = 2 * y * t_cur - t_prev
        d_next = 4 * t_cur + 2 * y * d_cur - d_prev
        t_prev, t_cur, d_prev, d_cur = t_cur, t_next, d_cur, d_next
        ts.append(t_cur)
        ds.append(d_cur)
    return ctx.stack(ts, axis=-2), ctx.stack(ds, axis=-2)


def _chebyquad_jac(v, ctx):
    n = v.shape[-1]
    _, d = _chebyshev(v, ctx, n)
    return d / n


def _chebyquad_integrals(m, ctx):
    i = np.arange(1, m + 1)
    out = [ctx.const(-1) / (k * k - 1) if k % 2 == 0 else ctx.const(0) for k in i]
    return ctx.stack(out)


@least_squares(
    _chebyquad_jac,
    number=35,
    title="Chebyquad",
    dim=8,
    value="3.861769829e-2",
    minimum="3.516873741e-3",
    **_scalable(lambda n: [j / (n + 1) for j in range(1, n + 1)]),
)
def chebyquad(v, ctx):
    """Chebyquad: f_i = (1/n) Σ_j T_i(x_j) − ∫₀¹ T_i, T_i the Chebyshev polynomial
    shifted to [0, 1]; m = n (the paper allows m ≥ n), x0_j = j/(n + 1). n = 8 by
    default, for which F* = 3.51687e−3 (F* = 0 for n ≤ 7 and n = 9)."""
    n = v.shape[-1]
    t, _ = _chebyshev(v, ctx, n)
    return ctx.sum(t) / n - _chebyquad_integrals(n, ctx)
