"""The Moré–Garbow–Hillstrom test set (ACM TOMS 7(1), 1981, 17–41).

Each problem is F(x) = Σ f_i(x)² at its standard start point; gradients are analytic,
∇F = 2 Jᵀ f, through the residual Jacobian.
"""

from firstorder import case

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
    return ctx.stack([ctx.stack([h11, h12]), ctx.stack([h12, 200 + 0 * x])], axis=-2)


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
    g1 = g2 = 0 * x1
    for i, y in enumerate(_BEALE_Y, start=1):
        r = y - x1 * (1 - x2**i)
        g1 = g1 + 2 * r * (x2**i - 1)
        g2 = g2 + 2 * r * (i * x1 * x2 ** (i - 1))
    return ctx.stack([g1, g2])


@beale.hessian
def _(v, ctx):
    x1, x2 = v[..., 0], v[..., 1]
    h11 = h12 = h22 = 0 * x1
    for i, y in enumerate(_BEALE_Y, start=1):
        r = y - x1 * (1 - x2**i)
        a, b = x2**i - 1, i * x1 * x2 ** (i - 1)
        h11 = h11 + 2 * a * a
        h12 = h12 + 2 * (a * b + r * i * x2 ** (i - 1))
        h22 = h22 + 2 * (b * b + r * i * (i - 1) * x1 * x2 ** max(i - 2, 0))
    return ctx.stack([ctx.stack([h11, h12]), ctx.stack([h12, h22])], axis=-2)
