"""Cases that make finite differences suffer."""

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
