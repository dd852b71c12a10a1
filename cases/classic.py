"""Classic smooth test functions with known minima."""

import numpy as np

from firstorder import case
from firstorder.case.helpers import symmetric2


@case(
    name="booth",
    x0=[0.0, 0.0],
    tags={"classic", "quadratic", "smooth"},
    reference="Booth function; Jamil & Yang, Int. J. Math. Model. Numer. Optim. 4 (2013), #23",
    value="74",
    minimum=0.0,
    points={"xmin": [1.0, 3.0]},
)
def booth(v, ctx):
    """Booth: (x + 2y − 7)² + (2x + y − 5)², a quadratic; F* = 0 at (1, 3)."""
    x, y = v[..., 0], v[..., 1]
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


@booth.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return ctx.stack([2 * a + 4 * b, 4 * a + 2 * b])


@booth.hessian
def _(v, ctx):
    z = ctx.broadcast(0, v[..., 0])
    return ctx.stack([ctx.stack([10 + z, 8 + z]), ctx.stack([8 + z, 10 + z])], axis=-2)


# Sources the formulas and minima below were checked against:
SFU = "Surjanovic & Bingham, Virtual Library of Simulation Experiments (sfu.ca/~ssurjano)"
JY = "Jamil & Yang, Int. J. Math. Model. Numer. Optim. 4 (2013) 150–194"


def _sq_times(u, du, w, dw, d2w):
    """Value, gradient and Hessian entries of u²·w for u affine (∇²u = 0).

    ``du``, ``dw`` are 2-tuples of partials, ``d2w`` the tuple (w_xx, w_xy, w_yy).
    """
    val = u * u * w
    grad = tuple(2 * u * du[i] * w + u * u * dw[i] for i in range(2))
    idx = ((0, 0), (0, 1), (1, 1))
    hess = tuple(
        2 * du[i] * du[j] * w + 2 * u * (du[i] * dw[j] + du[j] * dw[i]) + u * u * d2
        for (i, j), d2 in zip(idx, d2w, strict=True)
    )
    return val, grad, hess


def _gp_factors(v):
    x, y = v[..., 0], v[..., 1]
    q = 19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2
    dq = (-14 + 6 * x + 6 * y, -14 + 6 * x + 6 * y)
    a, da, d2a = _sq_times(x + y + 1, (1, 1), q, dq, (6, 6, 6))
    s = 18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2
    ds = (-32 + 24 * x - 36 * y, 48 - 36 * x + 54 * y)
    b, db, d2b = _sq_times(2 * x - 3 * y, (2, -3), s, ds, (24, -36, 54))
    return 1 + a, da, d2a, 30 + b, db, d2b


@case(
    name="goldstein_price",
    x0=[-0.5, 0.25],
    tags={"classic", "polynomial", "smooth"},
    reference=f"Goldstein & Price, Math. Comp. 25 (1971) 569–574; {SFU}: goldpr; {JY}, #58",
    minimum=3.0,
    points={"xmin": [0.0, -1.0]},
)
def goldstein_price(v, ctx):
    """Goldstein–Price: [1 + (x+y+1)² q(x, y)]·[30 + (2x−3y)² s(x, y)]; F* = 3 at (0, −1).

    q = 19 − 14x + 3x² − 14y + 6xy + 3y², s = 18 − 32x + 12x² + 48y − 36xy + 27y².
    The literature gives no start point; x0 = (−0.5, 0.25) is ours, inside [−2, 2]².
    """
    a, _, _, b, _, _ = _gp_factors(v)
    return a * b


@goldstein_price.gradient
def _(v, ctx):
    a, da, _, b, db, _ = _gp_factors(v)
    return ctx.stack([da[0] * b + a * db[0], da[1] * b + a * db[1]])


@goldstein_price.hessian
def _(v, ctx):
    a, da, d2a, b, db, d2b = _gp_factors(v)
    h11 = d2a[0] * b + 2 * da[0] * db[0] + a * d2b[0]
    h12 = d2a[1] * b + da[0] * db[1] + da[1] * db[0] + a * d2b[1]
    h22 = d2a[2] * b + 2 * da[1] * db[1] + a * d2b[2]
    return symmetric2(h11, h12, h22, ctx)


@case(
    name="six_hump_camel",
    x0=[-1.0, 1.0],
    tags={"classic", "polynomial", "smooth"},
    reference=f"{SFU}: camel6; {JY}, #30",
    minimum="-1.0316",
    points={"xmin": [0.08984201310031806, -0.7126564030207396]},
)
def six_hump_camel(v, ctx):
    """Six-hump camel: (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y².

    Two global minima F* = −1.0316 (−1.031628453489877…) at ±(0.08984, −0.71266);
    ``xmin`` is the first, refined to float64 by Newton's method in mp. x0 = (−1, 1)
    is ours, inside [−3, 3] × [−2, 2].
    """
    x, y = v[..., 0], v[..., 1]
    return (4 - ctx.const("2.1") * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


@six_hump_camel.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    return ctx.stack([8 * x - 4 * ctx.const("2.1") * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3])


@six_hump_camel.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    return symmetric2(
        8 - 12 * ctx.const("2.1") * x**2 + 10 * x**4, ctx.broadcast(1, x), -8 + 48 * y**2, ctx
    )


@case(
    name="three_hump_camel",
    x0=[1.0, -1.0],
    tags={"classic", "polynomial", "smooth"},
    reference=f"{SFU}: camel3; {JY}, #29",
    minimum=0.0,
    points={"xmin": [0.0, 0.0]},
)
def three_hump_camel(v, ctx):
    """Three-hump camel: 2x² − 1.05x⁴ + x⁶/6 + xy + y²; F* = 0 at the origin.

    x0 = (1, −1) is ours, inside [−5, 5]².
    """
    x, y = v[..., 0], v[..., 1]
    return 2 * x**2 - ctx.const("1.05") * x**4 + x**6 / 6 + x * y + y**2


@three_hump_camel.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    return ctx.stack([4 * x - 4 * ctx.const("1.05") * x**3 + x**5 + y, x + 2 * y])


@three_hump_camel.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    return symmetric2(
        4 - 12 * ctx.const("1.05") * x**2 + 5 * x**4, ctx.broadcast(1, x), ctx.broadcast(2, y), ctx
    )


@case(
    name="mccormick",
    x0=[0.0, 0.0],
    tags={"classic", "smooth"},
    reference=f"McCormick (1976); {SFU}: mccorm; {JY}, #86",
    minimum="-1.913222954981036",
    points={"xmin": [-0.5471975511965977, -1.5471975511965976]},
)
def mccormick(v, ctx):
    """McCormick: sin(x + y) + (x − y)² − 1.5x + 2.5y + 1.

    F* = −1.9133 at (−0.54719, −1.54719); exactly, the minimum is at x + y = −2π/3,
    x − y = 1, with F* = −√3/2 − π/3 = −1.913222954981…, recorded here. SFU and
    Jamil & Yang print −1.9133, which is not the correctly rounded value (−1.9132).
    x0 = (0, 0) is ours.
    """
    x, y = v[..., 0], v[..., 1]
    return ctx.sin(x + y) + (x - y) ** 2 - ctx.const("1.5") * x + ctx.const("2.5") * y + 1


@mccormick.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    c = ctx.cos(x + y)
    return ctx.stack([c + 2 * (x - y) - 1.5, c - 2 * (x - y) + 2.5])


@mccormick.hessian
def _(v, ctx):
    s = ctx.sin(v[..., 0] + v[..., 1])
    return symmetric2(2 - s, -2 - s, 2 - s, ctx)


def _branin_consts(ctx):
    pi = ctx.pi
    return ctx.const("5.1") / (4 * pi**2), 5 / pi, 1 / (8 * pi)


@case(
    name="branin",
    x0=[0.0, 0.0],
    tags={"classic", "smooth"},
    reference=f"Branin (1972); Dixon & Szegő (1978); {SFU}: branin; {JY}, #22",
    minimum="0.397887",
    points={"xmin": [np.pi, 2.275]},
)
def branin(v, ctx):
    """Branin–Hoo: (y − b x² + c x − 6)² + 10 (1 − t) cos x + 10.

    b = 5.1/(4π²), c = 5/π, t = 1/(8π). Three global minima F* = 10 t = 5/(4π) =
    0.397887… at (−π, 12.275), (π, 2.275), (9.42478, 2.475). x0 = (0, 0) is ours
    (F = 56 − 10 t there).
    """
    b, c, t = _branin_consts(ctx)
    x, y = v[..., 0], v[..., 1]
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * ctx.cos(x) + 10


@branin.gradient
def _(v, ctx):
    b, c, t = _branin_consts(ctx)
    x, y = v[..., 0], v[..., 1]
    u = y - b * x**2 + c * x - 6
    return ctx.stack([2 * u * (c - 2 * b * x) - 10 * (1 - t) * ctx.sin(x), 2 * u])


@branin.hessian
def _(v, ctx):
    b, c, t = _branin_consts(ctx)
    x, y = v[..., 0], v[..., 1]
    u = y - b * x**2 + c * x - 6
    du = c - 2 * b * x
    h11 = 2 * du**2 - 4 * b * u - 10 * (1 - t) * ctx.cos(x)
    return symmetric2(h11, 2 * du, ctx.broadcast(2, y), ctx)


@case(
    name="himmelblau",
    x0=[0.0, 0.0],
    tags={"classic", "polynomial", "smooth"},
    reference="Himmelblau, Applied Nonlinear Programming (1972); " + f"{JY}, #65",
    minimum=0.0,
    points={"xmin": [3.0, 2.0]},
)
def himmelblau(v, ctx):
    """Himmelblau: (x² + y − 11)² + (x + y² − 7)²; F* = 0 at (3, 2) and three others.

    x0 = (0, 0) is ours.
    """
    x, y = v[..., 0], v[..., 1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


@himmelblau.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    a, b = x**2 + y - 11, x + y**2 - 7
    return ctx.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b])


@himmelblau.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    a, b = x**2 + y - 11, x + y**2 - 7
    return symmetric2(4 * a + 8 * x**2 + 2, 4 * x + 4 * y, 2 + 4 * b + 8 * y**2, ctx)


@case(
    name="matyas",
    x0=[1.0, -2.0],
    tags={"classic", "quadratic", "smooth"},
    reference=f"{SFU}: matya; {JY}, #71",
    minimum=0.0,
    points={"xmin": [0.0, 0.0]},
)
def matyas(v, ctx):
    """Matyas: 0.26 (x² + y²) − 0.48 xy, a flat quadratic; F* = 0 at the origin.

    x0 = (1, −2) is ours.
    """
    x, y = v[..., 0], v[..., 1]
    return ctx.const("0.26") * (x**2 + y**2) - ctx.const("0.48") * x * y


@matyas.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    a, b = 2 * ctx.const("0.26"), ctx.const("0.48")
    return ctx.stack([a * x - b * y, a * y - b * x])


@matyas.hessian
def _(v, ctx):
    z = ctx.broadcast(0, v[..., 0])
    a, b = 2 * ctx.const("0.26"), ctx.const("0.48")
    return symmetric2(a + z, -b + z, a + z, ctx)


@case(
    name="colville",
    x0=[-3.0, -1.0, -3.0, -1.0],
    tags={"classic", "polynomial", "smooth"},
    reference=(
        f"Colville (1968); {SFU}: colville; {JY}, #36; identical to Moré, Garbow & "
        "Hillstrom (1981) problem 14 (Wood)"
    ),
    value="19192",
    minimum=0.0,
    points={"xmin": [1.0, 1.0, 1.0, 1.0]},
)
def colville(v, ctx):
    """Colville: 100(x1² − x2)² + (x1 − 1)² + (x3 − 1)² + 90(x3² − x4)²
    + 10.1((x2 − 1)² + (x4 − 1)²) + 19.8(x2 − 1)(x4 − 1); F* = 0 at (1, 1, 1, 1).

    Expanding 10(x2 + x4 − 2)² + 0.1(x2 − x4)² shows it is the Wood function, MGH
    problem 14, whose start point (−3, −1, −3, −1) with F = 19192 we use.
    """
    x1, x2, x3, x4 = (v[..., i] for i in range(4))
    return (
        100 * (x1**2 - x2) ** 2
        + (x1 - 1) ** 2
        + (x3 - 1) ** 2
        + 90 * (x3**2 - x4) ** 2
        + ctx.const("10.1") * ((x2 - 1) ** 2 + (x4 - 1) ** 2)
        + ctx.const("19.8") * (x2 - 1) * (x4 - 1)
    )


@colville.gradient
def _(v, ctx):
    x1, x2, x3, x4 = (v[..., i] for i in range(4))
    a, b = 2 * ctx.const("10.1"), ctx.const("19.8")
    return ctx.stack(
        [
            400 * x1 * (x1**2 - x2) + 2 * (x1 - 1),
            -200 * (x1**2 - x2) + a * (x2 - 1) + b * (x4 - 1),
            2 * (x3 - 1) + 360 * x3 * (x3**2 - x4),
            -180 * (x3**2 - x4) + a * (x4 - 1) + b * (x2 - 1),
        ]
    )


@colville.hessian
def _(v, ctx):
    x1, x2, x3, x4 = (v[..., i] for i in range(4))
    z = ctx.broadcast(0, x1)
    a, b = 2 * ctx.const("10.1"), ctx.const("19.8")
    rows = [
        [1200 * x1**2 - 400 * x2 + 2, -400 * x1, z, z],
        [-400 * x1, 200 + a + z, z, b + z],
        [z, z, 1080 * x3**2 - 360 * x4 + 2, -360 * x3],
        [z, b + z, -360 * x3, 180 + a + z],
    ]
    return ctx.stack([ctx.stack(r) for r in rows], axis=-2)


@case(
    name="bohachevsky1",
    x0=[0.5, -0.4],
    tags={"classic", "smooth", "multimodal"},
    reference=f"Bohachevsky, Johnson & Stein, Technometrics 28 (1986); {SFU}: boha; {JY}, #17",
    minimum=0.0,
    points={"xmin": [0.0, 0.0]},
)
def bohachevsky1(v, ctx):
    """Bohachevsky 1: x² + 2y² − 0.3 cos(3πx) − 0.4 cos(4πy) + 0.7; F* = 0 at 0.

    x0 = (0.5, −0.4) is ours, inside [−100, 100]².
    """
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    a, b = ctx.const("0.3"), ctx.const("0.4")
    return x**2 + 2 * y**2 - a * ctx.cos(3 * pi * x) - b * ctx.cos(4 * pi * y) + a + b


@bohachevsky1.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    a, b = ctx.const("0.3"), ctx.const("0.4")
    return ctx.stack(
        [2 * x + 3 * pi * a * ctx.sin(3 * pi * x), 4 * y + 4 * pi * b * ctx.sin(4 * pi * y)]
    )


@bohachevsky1.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    a, b = ctx.const("0.3"), ctx.const("0.4")
    h11 = 2 + 9 * pi**2 * a * ctx.cos(3 * pi * x)
    h22 = 4 + 16 * pi**2 * b * ctx.cos(4 * pi * y)
    return symmetric2(h11, ctx.broadcast(0, x), h22, ctx)


@case(
    name="bohachevsky2",
    x0=[0.5, -0.4],
    tags={"classic", "smooth", "multimodal"},
    reference=f"Bohachevsky, Johnson & Stein, Technometrics 28 (1986); {SFU}: boha; {JY}, #18",
    minimum=0.0,
    points={"xmin": [0.0, 0.0]},
)
def bohachevsky2(v, ctx):
    """Bohachevsky 2: x² + 2y² − 0.3 cos(3πx) cos(4πy) + 0.3; F* = 0 at 0.

    x0 = (0.5, −0.4) is ours.
    """
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    a = ctx.const("0.3")
    return x**2 + 2 * y**2 - a * ctx.cos(3 * pi * x) * ctx.cos(4 * pi * y) + a


@bohachevsky2.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    c1, s1 = ctx.cos(3 * pi * x), ctx.sin(3 * pi * x)
    c2, s2 = ctx.cos(4 * pi * y), ctx.sin(4 * pi * y)
    a = ctx.const("0.3")
    return ctx.stack([2 * x + 3 * pi * a * s1 * c2, 4 * y + 4 * pi * a * c1 * s2])


@bohachevsky2.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    c1, s1 = ctx.cos(3 * pi * x), ctx.sin(3 * pi * x)
    c2, s2 = ctx.cos(4 * pi * y), ctx.sin(4 * pi * y)
    a = ctx.const("0.3")
    h11 = 2 + 9 * pi**2 * a * c1 * c2
    h12 = -12 * pi**2 * a * s1 * s2
    h22 = 4 + 16 * pi**2 * a * c1 * c2
    return symmetric2(h11, h12, h22, ctx)


@case(
    name="easom",
    x0=[2.5, 3.5],
    tags={"classic", "smooth"},
    reference=f"Easom (1990); {SFU}: easom; {JY}, #50",
    minimum=-1.0,
    points={"xmin": [np.pi, np.pi]},
)
def easom(v, ctx):
    """Easom: −cos x cos y exp(−(x − π)² − (y − π)²); F* = −1 at (π, π).

    Flat almost everywhere; x0 = (2.5, 3.5) is ours, on the slope of the hole.
    """
    x, y = v[..., 0], v[..., 1]
    return -ctx.cos(x) * ctx.cos(y) * ctx.exp(-((x - ctx.pi) ** 2) - (y - ctx.pi) ** 2)


def _easom_parts(v, ctx):
    x, y = v[..., 0], v[..., 1]
    dx, dy = x - ctx.pi, y - ctx.pi
    e = ctx.exp(-(dx**2) - dy**2)
    return ctx.cos(x), ctx.sin(x), ctx.cos(y), ctx.sin(y), dx, dy, e


@easom.gradient
def _(v, ctx):
    c1, s1, c2, s2, dx, dy, e = _easom_parts(v, ctx)
    return ctx.stack([c2 * e * (s1 + 2 * dx * c1), c1 * e * (s2 + 2 * dy * c2)])


@easom.hessian
def _(v, ctx):
    c1, s1, c2, s2, dx, dy, e = _easom_parts(v, ctx)
    h11 = c2 * e * (3 * c1 - 4 * dx * s1 - 4 * dx**2 * c1)
    h12 = -e * (s1 + 2 * dx * c1) * (s2 + 2 * dy * c2)
    h22 = c1 * e * (3 * c2 - 4 * dy * s2 - 4 * dy**2 * c2)
    return symmetric2(h11, h12, h22, ctx)


@case(
    name="levy13",
    x0=[-2.0, 3.0],
    tags={"classic", "smooth", "multimodal"},
    reference=f"{SFU}: levy13 (Levy function N. 13)",
    minimum=0.0,
    points={"xmin": [1.0, 1.0]},
)
def levy13(v, ctx):
    """Lévy N. 13: sin²(3πx) + (x − 1)²[1 + sin²(3πy)] + (y − 1)²[1 + sin²(2πy)].

    F* = 0 at (1, 1). x0 = (−2, 3) is ours, inside [−10, 10]².
    """
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    return (
        ctx.sin(3 * pi * x) ** 2
        + (x - 1) ** 2 * (1 + ctx.sin(3 * pi * y) ** 2)
        + (y - 1) ** 2 * (1 + ctx.sin(2 * pi * y) ** 2)
    )


@levy13.gradient
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    gx = 3 * pi * ctx.sin(6 * pi * x) + 2 * (x - 1) * (1 + ctx.sin(3 * pi * y) ** 2)
    gy = (
        3 * pi * (x - 1) ** 2 * ctx.sin(6 * pi * y)
        + 2 * (y - 1) * (1 + ctx.sin(2 * pi * y) ** 2)
        + 2 * pi * (y - 1) ** 2 * ctx.sin(4 * pi * y)
    )
    return ctx.stack([gx, gy])


@levy13.hessian
def _(v, ctx):
    x, y = v[..., 0], v[..., 1]
    pi = ctx.pi
    h11 = 18 * pi**2 * ctx.cos(6 * pi * x) + 2 * (1 + ctx.sin(3 * pi * y) ** 2)
    h12 = 6 * pi * (x - 1) * ctx.sin(6 * pi * y)
    h22 = (
        18 * pi**2 * (x - 1) ** 2 * ctx.cos(6 * pi * y)
        + 2 * (1 + ctx.sin(2 * pi * y) ** 2)
        + 8 * pi * (y - 1) * ctx.sin(4 * pi * y)
        + 8 * pi**2 * (y - 1) ** 2 * ctx.cos(4 * pi * y)
    )
    return symmetric2(h11, h12, h22, ctx)


_H3_ALPHA = ("1.0", "1.2", "3.0", "3.2")
_H3_A = (("3", "10", "30"), ("0.1", "10", "35"), ("3", "10", "30"), ("0.1", "10", "35"))
_H3_P = (
    ("0.3689", "0.1170", "0.2673"),
    ("0.4699", "0.4387", "0.7470"),
    ("0.1091", "0.8732", "0.5547"),
    ("0.03815", "0.5743", "0.8828"),
)


def _hartmann3_terms(v, ctx):
    """For each of the four bumps: α_i e_i, A_i· and the offsets x − P_i·."""
    out = []
    for alpha, a_row, p_row in zip(_H3_ALPHA, _H3_A, _H3_P, strict=True):
        a = [ctx.const(t) for t in a_row]
        u = [v[..., j] - ctx.const(p_row[j]) for j in range(3)]
        e = ctx.const(alpha) * ctx.exp(-(a[0] * u[0] ** 2 + a[1] * u[1] ** 2 + a[2] * u[2] ** 2))
        out.append((e, a, u))
    return out


@case(
    name="hartmann3",
    x0=[0.5, 0.5, 0.5],
    tags={"classic", "smooth", "multimodal"},
    reference=(
        "Dixon & Szegő, Towards Global Optimisation 2 (1978); Hedar's test set (Hartman 3); "
        f"{SFU}: hart3"
    ),
    minimum="-3.86278",
    points={"xmin": [0.11461433858967198, 0.555648849971857, 0.8525469535208658]},
)
def hartmann3(v, ctx):
    """Hartmann 3-D: −Σ_{i=1}^{4} α_i exp(−Σ_j A_ij (x_j − P_ij)²) on [0, 1]³.

    F* = −3.86278 (−3.8627821478207…) at (0.114614, 0.555649, 0.852547). We use
    P_41 = 0.03815 as in Dixon & Szegő and Hedar's code; the SFU library prints
    P_41 = 0.0381, with which the minimum moves to x1 = 0.114589, F* = −3.862780,
    disagreeing with the minimiser SFU itself quotes. x0 = (0.5, 0.5, 0.5) is ours.
    """
    return -sum(e for e, _, _ in _hartmann3_terms(v, ctx))


@hartmann3.gradient
def _(v, ctx):
    terms = _hartmann3_terms(v, ctx)
    return ctx.stack([sum(2 * e * a[k] * u[k] for e, a, u in terms) for k in range(3)])


@hartmann3.hessian
def _(v, ctx):
    terms = _hartmann3_terms(v, ctx)

    def entry(k, m):
        return sum(
            e * ((2 * a[k] if k == m else 0) - 4 * a[k] * a[m] * u[k] * u[m]) for e, a, u in terms
        )

    return ctx.stack([ctx.stack([entry(k, m) for m in range(3)]) for k in range(3)], axis=-2)
