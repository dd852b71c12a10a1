"""Cases local to the backend tests: scalable, broken on purpose, or unbatched.

They are built with :func:`firstorder.case` but not registered in the built-in
registry, so the tests do not depend on cases other branches add.
"""

from __future__ import annotations

import numpy as np

import firstorder as fo


def _ext_rosenbrock_x0(n: int) -> np.ndarray:
    return np.tile([-1.2, 1.0], n // 2)


@fo.case(
    name="local_ext_rosenbrock",
    x0=_ext_rosenbrock_x0,
    dim=10,
    scalable=True,
    dims=lambda n: n % 2 == 0,
    reference="MGH 1981 #21 (extended Rosenbrock)",
)
def ext_rosenbrock(v, ctx):
    """Σ 100 (x_{2i} − x_{2i−1}²)² + (1 − x_{2i−1})², any even n."""
    x, y = v[..., 0::2], v[..., 1::2]
    return ctx.sum(100 * (y - x**2) ** 2 + (1 - x) ** 2)


@ext_rosenbrock.gradient
def _(v, ctx):
    x, y = v[..., 0::2], v[..., 1::2]
    gx = -400 * x * (y - x**2) - 2 * (1 - x)
    gy = 200 * (y - x**2)
    return ctx.stack([gx, gy], axis=-1).reshape(v.shape)


@fo.case(name="local_trig", x0=lambda n: 0.3 + 0.1 * np.arange(n), dim=6, scalable=True)
def trig(v, ctx):
    """Σ exp(sin x_i) · cos(x_{i+1}) + log1p(x_i²): transcendental, all components coupled."""
    s = ctx.exp(ctx.sin(v)) * ctx.cos(np.roll(v, -1, axis=-1))
    return ctx.sum(s + ctx.log1p(v * v))


@fo.case(name="local_abs", x0=[0.5, -0.7], complex_safe=False)
def local_abs(v, ctx):
    """|x| + y², marked not complex-safe."""
    return ctx.abs(v[..., 0]) + v[..., 1] ** 2


@fo.case(name="local_drops_imag", x0=[0.5, 0.7])
def local_drops_imag(v, ctx):
    """x² + y², but through np.real: it silently drops the imaginary part."""
    return np.real(v[..., 0] ** 2 + v[..., 1] ** 2)


@fo.case(name="local_numpy_exp", x0=[0.5, 0.7])
def local_numpy_exp(v, ctx):
    """exp(x) + y written with numpy's exp, which mp cannot run."""
    return np.exp(v[..., 0]) + v[..., 1]


@fo.case(name="local_unbatched", x0=[0.4, 1.1, -0.3], batched=False)
def local_unbatched(v, ctx):
    """A cost taking one point at a time (looped by the backends)."""
    x, y, z = v[0], v[1], v[2]
    return ctx.exp(x) * y + ctx.sin(z) * x


@local_unbatched.gradient
def _(v, ctx):
    x, y, z = v[0], v[1], v[2]
    return ctx.stack([ctx.exp(x) * y + ctx.sin(z), ctx.exp(x), ctx.cos(z) * x])


@fo.case(
    name="local_neural",
    x0=lambda n: 0.1 * np.sin(np.arange(n) + 1.0),
    dim=40,
    scalable=True,
    dims=lambda n: n % 8 == 0,
)
def local_neural(v, ctx):
    """A one-hidden-layer tanh network's squared loss on four fixed inputs (n = 8k)."""
    k = v.shape[-1] // 8
    w1 = v[..., : 4 * k].reshape((*v.shape[:-1], 4, k))
    w2 = v[..., 4 * k : 5 * k]
    inputs = np.array([[1.0, 0.5, -0.3, 0.2], [0.1, -1.0, 0.7, 0.4], [0.3, 0.3, 0.3, -0.6]])
    hidden = ctx.tanh(ctx.matmul(inputs, w1))
    out = ctx.sum(hidden * w2[..., None, :])
    bias = ctx.sum(v[..., 5 * k :] ** 2)
    return ctx.sum((out - 1.0) ** 2) + 1e-3 * bias


@fo.case(name="local_casts_real", x0=[0.5, 0.7])
def local_casts_real(v, ctx):
    """x² + y², computed on a float copy: the cast drops the imaginary part."""
    w = np.asarray(v, dtype=np.float64) if ctx.name == "complex128" else v
    return ctx.asarray(w[..., 0] ** 2 + w[..., 1] ** 2)


@fo.case(name="local_sum_squares", x0=lambda n: np.linspace(-1.0, 1.0, n), dim=8, scalable=True)
def local_sum_squares(v, ctx):
    """Σ x_i²: the cheapest scalable cost, for memory checks at large n."""
    return ctx.sum(v * v)
