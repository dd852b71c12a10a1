"""The seed of the project: the gradient-descent "ball in a valley", and a linear cost.

A learner meets ΔC ≈ ∂C/∂v1 Δv1 + ∂C/∂v2 Δv2 in the ball-in-a-valley picture of
gradient descent (Nielsen, *Neural Networks and Deep Learning*, ch. 1). It is the
first-order Taylor approximation ΔC ≈ ∇C·Δv, whose error shrinks like |Δv|².
"""

from firstorder import case


@case(
    name="seed",
    x0=[1.5, -0.5],
    tags={"seed", "valley", "smooth"},
    reference="Nielsen, Neural Networks and Deep Learning (2015), ch. 1: the ball in a valley",
    minimum=0.0,
    points={"xmin": [0.0, 0.0]},
)
def seed(v, ctx):
    """A curved valley: C(v1, v2) = v1²/2 + 2 (v2 − sin(v1)/2)².

    The floor of the valley is the curve v2 = sin(v1)/2 and the ball rests at the
    origin. The valley is deliberately not quadratic: for a quadratic cost
    ΔC − ∇C·Δv equals ½ ΔvᵀHΔv exactly, so (ΔC − ∇C·Δv)/|Δv|² would be the same at
    every step and a learner could not watch the approximation *become* good. Here
    the third derivatives are non-zero, the ratio approaches dᵀHd/2 as Δv shrinks,
    and the second-order remainder r2 shrinks like |Δv|³. The start point (1.5, −0.5)
    puts the ball on the wall of the valley.
    """
    v1, v2 = v[..., 0], v[..., 1]
    w = v2 - 0.5 * ctx.sin(v1)
    return 0.5 * v1**2 + 2 * w**2


@seed.gradient
def _(v, ctx):
    v1, v2 = v[..., 0], v[..., 1]
    w = v2 - 0.5 * ctx.sin(v1)
    return ctx.stack([v1 - 2 * w * ctx.cos(v1), 4 * w])


@seed.hessian
def _(v, ctx):
    v1, v2 = v[..., 0], v[..., 1]
    s, c = ctx.sin(v1), ctx.cos(v1)
    w = v2 - 0.5 * s
    h11 = 1 + c**2 + 2 * w * s
    h12 = -2 * c
    return ctx.stack([ctx.stack([h11, h12]), ctx.stack([h12, ctx.broadcast(4, h11)])], axis=-2)


_A = (1.0, -2.0, 3.0)


@case(
    name="linear",
    x0=[0.5, 1.0, -1.5],
    tags={"linear", "exact", "smooth"},
    reference="Any affine function: the first-order Taylor remainder vanishes identically",
    value="-5.5",
)
def linear(v, ctx):
    """C(v) = v1 − 2 v2 + 3 v3 + 1/2: affine, so ΔC = ∇C·Δv exactly and r1 ≡ 0."""
    return _A[0] * v[..., 0] + _A[1] * v[..., 1] + _A[2] * v[..., 2] + 0.5


@linear.gradient
def _(v, ctx):
    return ctx.stack([ctx.broadcast(_A[i], v[..., i]) for i in range(3)])


@linear.hessian
def _(v, ctx):
    return ctx.zeros(v.shape + v.shape[-1:])
