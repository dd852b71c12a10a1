"""Scalable cases: any dimension n, up to 10⁵ and beyond, at batch speed.

Every cost, gradient and Hessian-vector product here is a handful of vectorised
operations over the last axis: O(n) time and memory per point, never an n × n array.
The Hessians (for small n) are assembled from the Hessian-vector product applied to
the identity, so they cost n² and are meant for n up to a few hundred.
"""

import numpy as np

from firstorder import case
from firstorder.case.helpers import column, hessian_from_hvp, powell_blocks

MGH = "Moré, Garbow & Hillstrom, ACM TOMS 7 (1981) 17–41"
SFU = "Surjanovic & Bingham, Virtual Library of Simulation Experiments (sfu.ca/~ssurjano)"
JY = "Jamil & Yang, Int. J. Math. Model. Numer. Optim. 4 (2013) 150–194"


def _index(n, start=1, ctx=None):
    """The indices start, …, start + n − 1 as numbers of ``ctx`` (float64 if None).

    Converted to the context's type so that a float32 evaluation stays in float32.
    """
    out = np.arange(start, start + n, dtype=np.float64)
    return out if ctx is None else ctx.asarray(out)


# -- extended Rosenbrock ------------------------------------------------------------------


@case(
    name="ext_rosenbrock",
    x0=lambda n: np.tile([-1.2, 1.0], n // 2),
    dim=10,
    scalable=True,
    dims=lambda n: n % 2 == 0,
    tags={"scalable", "smooth"},
    reference=f"{MGH}, problem 21 (extended Rosenbrock)",
    minimum=0.0,
    points={"xmin": [1.0] * 10},
)
def ext_rosenbrock(v, ctx):
    """Extended Rosenbrock, n even: n/2 uncoupled banana valleys.

    f_{2i−1} = 10 (x_{2i} − x_{2i−1}²), f_{2i} = 1 − x_{2i−1}; x0 = (−1.2, 1, …),
    F(x0) = 12.1 n (121 at the default n = 10); F* = 0 at (1, …, 1).
    """
    a, b = v[..., 0::2], v[..., 1::2]
    return ctx.sum(100 * (b - a**2) ** 2 + (1 - a) ** 2)


@ext_rosenbrock.gradient
def _(v, ctx):
    a, b = v[..., 0::2], v[..., 1::2]
    ga = -400 * a * (b - a**2) - 2 * (1 - a)
    gb = 200 * (b - a**2)
    return ctx.stack([ga, gb]).reshape(v.shape)


@ext_rosenbrock.hessian_vector
def _ext_rosenbrock_hvp(v, d, ctx):
    a, b = v[..., 0::2], v[..., 1::2]
    da, db = d[..., 0::2], d[..., 1::2]
    h11 = 1200 * a**2 - 400 * b + 2
    h12 = -400 * a
    return ctx.stack([h11 * da + h12 * db, h12 * da + 200 * db]).reshape(v.shape)


ext_rosenbrock.hessian(hessian_from_hvp(_ext_rosenbrock_hvp))


# -- extended Powell singular -------------------------------------------------------------


@case(
    name="ext_powell",
    x0=lambda n: np.tile([3.0, -1.0, 0.0, 1.0], n // 4),
    dim=12,
    scalable=True,
    dims=lambda n: n % 4 == 0,
    tags={"scalable", "smooth", "singular"},
    reference=f"{MGH}, problem 22 (extended Powell singular)",
    minimum=0.0,
    points={"xmin": [0.0] * 12},
)
def ext_powell(v, ctx):
    """Extended Powell singular, n a multiple of 4: per block of four,
    (x1 + 10 x2)² + 5 (x3 − x4)² + (x2 − 2 x3)⁴ + 10 (x1 − x4)⁴.

    x0 = (3, −1, 0, 1, …), F(x0) = 215 per block (645 at the default n = 12);
    F* = 0 at the origin, where the Hessian is singular.
    """
    x1, x2, x3, x4 = powell_blocks(v)
    p2, q2 = (x2 - 2 * x3) ** 2, (x1 - x4) ** 2  # squared, not **4: numpy's pow is slow
    return ctx.sum((x1 + 10 * x2) ** 2 + 5 * (x3 - x4) ** 2 + p2 * p2 + 10 * q2 * q2)


@ext_powell.gradient
def _(v, ctx):
    x1, x2, x3, x4 = powell_blocks(v)
    s, t = x1 + 10 * x2, x3 - x4
    p, q = x2 - 2 * x3, x1 - x4
    p3, q3 = p * p * p, q * q * q
    g = [2 * s + 40 * q3, 20 * s + 4 * p3, 10 * t - 8 * p3, -10 * t - 40 * q3]
    return ctx.stack(g).reshape(v.shape)


@ext_powell.hessian_vector
def _ext_powell_hvp(v, d, ctx):
    x1, x2, x3, x4 = powell_blocks(v)
    d1, d2, d3, d4 = powell_blocks(d)
    p = 12 * (x2 - 2 * x3) ** 2
    q = 120 * (x1 - x4) ** 2
    out = [
        (2 + q) * d1 + 20 * d2 - q * d4,
        20 * d1 + (200 + p) * d2 - 2 * p * d3,
        -2 * p * d2 + (10 + 4 * p) * d3 - 10 * d4,
        -q * d1 - 10 * d3 + (10 + q) * d4,
    ]
    return ctx.stack(out).reshape(v.shape)


ext_powell.hessian(hessian_from_hvp(_ext_powell_hvp))


# -- Trid -----------------------------------------------------------------------------------


def _neighbours(x, ctx):
    """x_{i−1} + x_{i+1}, with zeros beyond the ends."""
    out = ctx.zeros(x.shape)
    out[..., 1:] += x[..., :-1]
    out[..., :-1] += x[..., 1:]
    return out


@case(
    name="trid",
    x0=lambda n: np.zeros(n),
    dim=10,
    scalable=True,
    tags={"scalable", "classic", "quadratic", "smooth"},
    reference=f"{SFU}: trid; {JY}, #150",
    minimum=-210.0,
    points={"xmin": [i * (11 - i) for i in range(1, 11)]},
)
def trid(v, ctx):
    """Trid: Σ (x_i − 1)² − Σ_{i≥2} x_i x_{i−1}, a convex quadratic with tridiagonal Hessian.

    F* = −n(n + 4)(n − 1)/6 at x_i = i(n + 1 − i): −210 at the default n = 10.
    x0 = 0 is ours (F = n there).
    """
    return ctx.sum((v - 1) ** 2) - ctx.sum(v[..., 1:] * v[..., :-1])


@trid.gradient
def _(v, ctx):
    return 2 * (v - 1) - _neighbours(v, ctx)


@trid.hessian_vector
def _trid_hvp(v, d, ctx):
    return ctx.broadcast(2 * d - _neighbours(d, ctx), v)


trid.hessian(hessian_from_hvp(_trid_hvp))


# -- sum of squares --------------------------------------------------------------------------


@case(
    name="sum_of_squares",
    x0=lambda n: np.ones(n),
    dim=10,
    scalable=True,
    tags={"scalable", "classic", "quadratic", "smooth"},
    reference=f"{SFU}: sumsqu (sum squares function); {JY}, #139",
    minimum=0.0,
    points={"xmin": [0.0] * 10},
)
def sum_of_squares(v, ctx):
    """Sum of squares: Σ i x_i², a diagonal quadratic with condition number n.

    F* = 0 at the origin. x0 = (1, …, 1) is ours (F = n(n + 1)/2 there).
    """
    return ctx.sum(_index(v.shape[-1], ctx=ctx) * v**2)


@sum_of_squares.gradient
def _(v, ctx):
    return 2 * _index(v.shape[-1], ctx=ctx) * v


@sum_of_squares.hessian_vector
def _sum_of_squares_hvp(v, d, ctx):
    return ctx.broadcast(2 * _index(v.shape[-1], ctx=ctx) * d, v)


sum_of_squares.hessian(hessian_from_hvp(_sum_of_squares_hvp))


# -- Dixon–Price --------------------------------------------------------------------------------


def _dixon_price_xmin(n):
    i = _index(n)
    return 2.0 ** (2.0 ** (1 - i) - 1)


@case(
    name="dixon_price",
    x0=lambda n: np.ones(n),
    dim=10,
    scalable=True,
    tags={"scalable", "classic", "smooth"},
    reference=f"Dixon & Price (1989); {SFU}: dixonpr; {JY}, #48",
    minimum=0.0,
    points={"xmin": _dixon_price_xmin(10)},
)
def dixon_price(v, ctx):
    """Dixon–Price: (x1 − 1)² + Σ_{i≥2} i (2 x_i² − x_{i−1})².

    F* = 0 at x_i = 2^(−(2^i − 2)/2^i). x0 = (1, …, 1) is ours (F = Σ_{i≥2} i).
    """
    i = _index(v.shape[-1] - 1, start=2, ctx=ctx)
    r = 2 * v[..., 1:] ** 2 - v[..., :-1]
    return (v[..., 0] - 1) ** 2 + ctx.sum(i * r**2)


@dixon_price.gradient
def _(v, ctx):
    i = _index(v.shape[-1] - 1, start=2, ctx=ctx)
    r = 2 * v[..., 1:] ** 2 - v[..., :-1]
    g = ctx.zeros(v.shape)
    g[..., 1:] += 8 * i * r * v[..., 1:]
    g[..., :-1] -= 2 * i * r
    g[..., 0] += 2 * (v[..., 0] - 1)
    return g


@dixon_price.hessian_vector
def _dixon_price_hvp(v, d, ctx):
    i = _index(v.shape[-1] - 1, start=2, ctx=ctx)
    x = v[..., 1:]
    r = 2 * x**2 - v[..., :-1]
    t = 2 * i * (4 * x * d[..., 1:] - d[..., :-1])  # 2i ∇r·d for each term
    out = ctx.zeros(v.shape)
    out[..., 1:] += 4 * x * t + 8 * i * r * d[..., 1:]
    out[..., :-1] -= t
    out[..., 0] += 2 * d[..., 0]
    return out


dixon_price.hessian(hessian_from_hvp(_dixon_price_hvp))


# -- Styblinski–Tang ------------------------------------------------------------------------------

#: The minimiser of x⁴ − 16x² + 5x, a root of 4x³ − 32x + 5 (Newton in mp, rounded).
_ST_X = -2.903534027771177


@case(
    name="styblinski_tang",
    x0=lambda n: np.zeros(n),
    dim=10,
    scalable=True,
    tags={"scalable", "classic", "smooth", "multimodal"},
    reference=(
        f"Styblinski & Tang, Neural Networks 3 (1990); {SFU}: stybtang; {JY}, #144; "
        "argmin-testfunctions (Rust), styblinskitang"
    ),
    minimum="-391.6616570377142",
    points={"xmin": [_ST_X] * 10},
)
def styblinski_tang(v, ctx):
    """Styblinski–Tang: ½ Σ (x_i⁴ − 16 x_i² + 5 x_i), separable, 2ⁿ local minima.

    F* = −39.16616570377… n at x_i = −2.903534…, as argmin-testfunctions prints
    (−39.16616 n); SFU and benchmarkfcns print −39.16599 n, which Newton's method
    in mp does not confirm. We record −391.66165703771… for the default n = 10.
    x0 = 0 is ours.
    """
    w = v * v  # squares rather than v**4: numpy's integer powers above 2 are slow
    return 0.5 * ctx.sum(w * w - 16 * w + 5 * v)


@styblinski_tang.gradient
def _(v, ctx):
    return 2 * v * v * v - 16 * v + 2.5


@styblinski_tang.hessian_vector
def _styblinski_tang_hvp(v, d, ctx):
    return (6 * v**2 - 16) * d


styblinski_tang.hessian(hessian_from_hvp(_styblinski_tang_hvp))


# -- Zakharov -------------------------------------------------------------------------------------


def _zakharov_s(v, ctx):
    c = 0.5 * _index(v.shape[-1], ctx=ctx)
    return c, ctx.sum(c * v)


@case(
    name="zakharov",
    x0=lambda n: np.ones(n),
    dim=2,
    scalable=True,
    tags={"scalable", "classic", "polynomial", "smooth"},
    reference=f"{SFU}: zakharov; {JY}, #172",
    minimum=0.0,
    points={"xmin": [0.0, 0.0]},
)
def zakharov(v, ctx):
    """Zakharov: Σ x_i² + S² + S⁴ with S = Σ ½ i x_i; F* = 0 at the origin.

    The Hessian 2I + (2 + 12 S²) c cᵀ, c_i = i/2, is dense but of rank one beyond the
    identity, so its product with a vector costs O(n). x0 = (1, …, 1) is ours.
    """
    _, s = _zakharov_s(v, ctx)
    return ctx.sum(v**2) + s**2 + s**4


@zakharov.gradient
def _(v, ctx):
    c, s = _zakharov_s(v, ctx)
    return 2 * v + column(2 * s + 4 * s**3) * c


@zakharov.hessian_vector
def _zakharov_hvp(v, d, ctx):
    c, s = _zakharov_s(v, ctx)
    return 2 * d + column((2 + 12 * s**2) * ctx.sum(c * d)) * c


zakharov.hessian(hessian_from_hvp(_zakharov_hvp))


# -- rotated ill-conditioned quadratic ------------------------------------------------------

#: Condition number of the rotated ellipsoid.
KAPPA = 1e6


def _ellipsoid_weights(n):
    """λ_i = κ^((i−1)/(n−1)), as float64 numbers (they define the case exactly)."""
    if n == 1:
        return np.ones(1)
    return KAPPA ** (np.arange(n) / (n - 1))


def _householder(y, ctx):
    """Q y with Q = I − (2/n) 1 1ᵀ, a reflection (Q = Qᵀ = Q⁻¹), in O(n)."""
    n = y.shape[-1]
    return y - column(2 * ctx.sum(y)) / n


@case(
    name="rotated_ellipsoid",
    x0=lambda n: np.ones(n),
    dim=10,
    scalable=True,
    tags={"scalable", "quadratic", "smooth", "ill-conditioned"},
    reference=(
        "Rotated ellipsoid ½ xᵀQᵀΛQx in the style of Hansen et al., COCO/BBOB (2009), f10, "
        "with a Householder rotation so that it stays O(n)"
    ),
    minimum=0.0,
    points={"xmin": [0.0] * 10},
)
def rotated_ellipsoid(v, ctx):
    """A rotated ill-conditioned quadratic: ½ Σ λ_i (Qx)_i², condition number 10⁶.

    λ_i = 10^(6 (i−1)/(n−1)) and Q = I − (2/n) 1 1ᵀ, a Householder reflection that
    couples every variable with every other at O(n) cost. F* = 0 at the origin.
    x0 = (1, …, 1) is ours (Q x0 = −x0).
    """
    y = _householder(v, ctx)
    return 0.5 * ctx.sum(ctx.asarray(_ellipsoid_weights(v.shape[-1])) * y**2)


@rotated_ellipsoid.gradient
def _(v, ctx):
    lam = ctx.asarray(_ellipsoid_weights(v.shape[-1]))
    return _householder(lam * _householder(v, ctx), ctx)


@rotated_ellipsoid.hessian_vector
def _rotated_ellipsoid_hvp(v, d, ctx):
    lam = ctx.asarray(_ellipsoid_weights(v.shape[-1]))
    return ctx.broadcast(_householder(lam * _householder(d, ctx), ctx), v)


rotated_ellipsoid.hessian(hessian_from_hvp(_rotated_ellipsoid_hvp))
