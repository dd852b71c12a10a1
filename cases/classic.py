"""Classic smooth test functions with known minima."""

from firstorder import case


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
    z = 0 * v[..., 0]
    return ctx.stack([ctx.stack([10 + z, 8 + z]), ctx.stack([8 + z, 10 + z])], axis=-2)
