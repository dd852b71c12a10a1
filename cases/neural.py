"""Neural-network costs: the costs of the gradient-descent story.

Every network here takes its parameters as one flat vector ``v`` of shape ``(..., P)``
and its gradient is hand-written backpropagation (Nielsen, *Neural Networks and Deep
Learning*, ch. 2), batched over the leading axes of ``v``. Nothing is differenced.

Data
----
The data sets are synthetic and generated once, at import, from fixed seeds of
:func:`numpy.random.default_rng` (the seed of each case is given in its docstring and
in ``_SEEDS``). Inputs are standard normal; labels and targets come from a fixed
random "teacher" map of the inputs, so the problems are learnable. They are stored as
float64 arrays and converted into the evaluating context (exactly: a float64 number
is also an mp number) on first use in that context.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from firstorder import case
from firstorder.case.helpers import converted, swap_last

#: Seeds of :func:`numpy.random.default_rng` for the data and start points of each case.
_SEEDS = {
    "nielsen_quadratic": 20151,
    "softmax_cross_entropy": 20152,
    "logistic_l2": 20153,
    "tanh_network": 20154,
    "neural_width": 20155,
}

_NIELSEN_BOOK = "Nielsen, Neural Networks and Deep Learning (2015)"


def _sigmoid(z, ctx):
    return 1 / (1 + ctx.exp(-z))


def _split(v, shapes):
    """Views of the flat parameters ``v`` (..., P) as arrays of the given shapes."""
    out, start = [], 0
    lead = v.shape[:-1]
    for shp in shapes:
        size = int(np.prod(shp))
        out.append(v[..., start : start + size].reshape(lead + tuple(shp)))
        start += size
    return out


def _flat(parts, lead):
    """Concatenate gradient blocks of shapes ``lead + shape`` into ``lead + (P,)``."""
    return np.concatenate([np.asarray(p).reshape((*lead, -1)) for p in parts], axis=-1)


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


# -- (a) Nielsen's quadratic cost of a one-hidden-layer sigmoid network ---------------------

_NQ_D, _NQ_H, _NQ_O, _NQ_N = 8, 20, 3, 16
_NQ_SHAPES = ((_NQ_H, _NQ_D), (_NQ_H,), (_NQ_O, _NQ_H), (_NQ_O,))
_NQ_P = sum(int(np.prod(s)) for s in _NQ_SHAPES)


def _nielsen_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["nielsen_quadratic"])
    x = rng.standard_normal((_NQ_N, _NQ_D))
    teacher = rng.standard_normal((_NQ_D, _NQ_O))
    y = _one_hot(np.argmax(x @ teacher, axis=1), _NQ_O)
    # Nielsen's ch. 1 `Network.__init__`: every weight and bias standard normal.
    x0 = rng.standard_normal(_NQ_P)
    return x, y, x0


_NQ_X, _NQ_Y, _NQ_X0 = _nielsen_data()
_NQ_CACHE: dict[Any, tuple[Any, ...]] = {}


def _nq_forward(v, ctx):
    x, y = converted(_NQ_CACHE, (_NQ_X, _NQ_Y), ctx)
    w1, b1, w2, b2 = _split(v, _NQ_SHAPES)
    a1 = _sigmoid(ctx.matmul(x, swap_last(w1)) + b1[..., None, :], ctx)  # (..., N, H)
    a2 = _sigmoid(ctx.matmul(a1, swap_last(w2)) + b2[..., None, :], ctx)  # (..., N, O)
    return x, y, w2, a1, a2


@case(
    name="nielsen_quadratic",
    x0=_NQ_X0,
    tags={"neural", "sigmoid", "smooth"},
    reference=f"{_NIELSEN_BOOK}, ch. 1, eq. (6), the quadratic cost; ch. 2, backpropagation",
)
def nielsen_quadratic(v, ctx):
    """Quadratic cost C(w, b) = 1/(2N) Σₓ ‖y(x) − a(x)‖² of an 8–20–3 sigmoid network.

    The network of Nielsen's ch. 1: a = σ(W² σ(W¹x + b¹) + b²), σ(z) = 1/(1 + e⁻ᶻ).
    P = 243 parameters, flattened as [W¹ (20×8, row-major), b¹ (20), W² (3×20), b² (3)].
    Data (seed 20151): N = 16 standard normal inputs x ∈ R⁸, one-hot targets y(x) of
    the class argmax(xᵀT) of a random teacher T. The start point is Nielsen's
    initialisation: every weight and bias standard normal. The gradient is the
    backpropagation of ch. 2: δ² = (a² − y) ⊙ σ'(z²)/N, δ¹ = (W²ᵀδ²) ⊙ σ'(z¹),
    ∂C/∂b = Σₓ δ, ∂C/∂W = Σₓ δ aᵀ. The Hessian-vector product is the forward-mode
    derivative of that backpropagation (Pearlmutter, Neural Comput. 6 (1994) 147).
    """
    _, y, _, _, a2 = _nq_forward(v, ctx)
    return ctx.sum(ctx.sum((a2 - y) ** 2), axis=-1) / (2 * _NQ_N)


@nielsen_quadratic.gradient
def _(v, ctx):
    x, y, w2, a1, a2 = _nq_forward(v, ctx)
    d2 = (a2 - y) * a2 * (1 - a2) / _NQ_N  # (..., N, O)
    d1 = ctx.matmul(d2, w2) * a1 * (1 - a1)  # (..., N, H)
    gw1 = ctx.matmul(swap_last(d1), x)
    gb1 = ctx.sum(d1, axis=-2)
    gw2 = ctx.matmul(swap_last(d2), a1)
    gb2 = ctx.sum(d2, axis=-2)
    return _flat([gw1, gb1, gw2, gb2], v.shape[:-1])


@nielsen_quadratic.hessian_vector
def _(v, u, ctx):
    # Pearlmutter's R-operator: the forward-mode derivative of backpropagation along u.
    x, y, w2, a1, a2 = _nq_forward(v, ctx)
    u1, c1, u2, c2 = _split(u, _NQ_SHAPES)
    s1, s2 = a1 * (1 - a1), a2 * (1 - a2)
    ra1 = s1 * (ctx.matmul(x, swap_last(u1)) + c1[..., None, :])
    ra2 = s2 * (ctx.matmul(ra1, swap_last(w2)) + ctx.matmul(a1, swap_last(u2)) + c2[..., None, :])
    e = (a2 - y) / _NQ_N
    d2 = e * s2
    rd2 = ra2 / _NQ_N * s2 + e * (1 - 2 * a2) * ra2
    back = ctx.matmul(d2, w2)
    rd1 = (ctx.matmul(rd2, w2) + ctx.matmul(d2, u2)) * s1 + back * (1 - 2 * a1) * ra1
    parts = [
        ctx.matmul(swap_last(rd1), x),
        ctx.sum(rd1, axis=-2),
        ctx.matmul(swap_last(rd2), a1) + ctx.matmul(swap_last(d2), ra1),
        ctx.sum(rd2, axis=-2),
    ]
    return _flat(parts, v.shape[:-1])


# -- (b) softmax cross-entropy of a linear classifier ---------------------------------------

_SM_D, _SM_K, _SM_N = 10, 4, 32
_SM_SHAPES = ((_SM_K, _SM_D), (_SM_K,))
_SM_P = _SM_K * _SM_D + _SM_K


def _softmax_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["softmax_cross_entropy"])
    x = rng.standard_normal((_SM_N, _SM_D))
    teacher = rng.standard_normal((_SM_D, _SM_K))
    y = _one_hot(np.argmax(x @ teacher, axis=1), _SM_K)
    x0 = 0.5 * rng.standard_normal(_SM_P)
    return x, y, x0


_SM_X, _SM_Y, _SM_X0 = _softmax_data()
_SM_CACHE: dict[Any, tuple[Any, ...]] = {}


def _sm_forward(v, ctx):
    x, y = converted(_SM_CACHE, (_SM_X, _SM_Y), ctx)
    w, b = _split(v, _SM_SHAPES)
    z = ctx.matmul(x, swap_last(w)) + b[..., None, :]  # (..., N, K)
    e = ctx.exp(z)
    s = ctx.sum(e)
    return x, y, z, e / s[..., None], s


@case(
    name="softmax_cross_entropy",
    x0=_SM_X0,
    tags={"neural", "softmax", "smooth"},
    reference=f"{_NIELSEN_BOOK}, ch. 3, softmax and the log-likelihood cost, eqs. (78)–(82)",
)
def softmax_cross_entropy(v, ctx):
    """Mean cross-entropy −1/N Σₓ log softmax(Wx + b)_{y(x)} of a linear softmax classifier.

    P = 44 parameters [W (4×10, row-major), b (4)]. Data (seed 20152): N = 32
    standard normal inputs in R¹⁰, labels argmax(xᵀT) of a random teacher T, 4
    classes. Start point 0.5·standard normal. Written as log Σ eᶻ − z_y without
    max-shifting, so it stays analytic (the logits at and near x0 are a few units).
    Gradient: ∂C/∂z = (p − y)/N, backpropagated through z = Wx + b.
    """
    _, y, z, _, s = _sm_forward(v, ctx)
    return ctx.sum(ctx.log(s) - ctx.sum(y * z)) / _SM_N


@softmax_cross_entropy.gradient
def _(v, ctx):
    x, y, _, p, _ = _sm_forward(v, ctx)
    d = (p - y) / _SM_N
    return _flat([ctx.matmul(swap_last(d), x), ctx.sum(d, axis=-2)], v.shape[:-1])


@softmax_cross_entropy.hessian_vector
def _(v, u, ctx):
    x, _, _, p, _ = _sm_forward(v, ctx)
    uw, ub = _split(u, _SM_SHAPES)
    dz = ctx.matmul(x, swap_last(uw)) + ub[..., None, :]  # directional change of the logits
    # The Jacobian of softmax, diag(p) − p pᵀ, applied to dz.
    dd = (p * dz - p * ctx.sum(p * dz)[..., None]) / _SM_N
    return _flat([ctx.matmul(swap_last(dd), x), ctx.sum(dd, axis=-2)], v.shape[:-1])


# -- (c) L2-regularised logistic regression -------------------------------------------------

_LR_D, _LR_N, _LR_LAMBDA = 30, 48, 0.01


def _logistic_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["logistic_l2"])
    x = rng.standard_normal((_LR_N, _LR_D))
    w_true = rng.standard_normal(_LR_D) / np.sqrt(_LR_D)
    noise = 0.5 * rng.standard_normal(_LR_N)
    y = (x @ w_true + noise > 0).astype(float)
    x0 = 0.3 * rng.standard_normal(_LR_D + 1)
    return x, y, x0


_LR_X, _LR_Y, _LR_X0 = _logistic_data()
_LR_CACHE: dict[Any, tuple[Any, ...]] = {}


def _lr_forward(v, ctx):
    x, y = converted(_LR_CACHE, (_LR_X, _LR_Y), ctx)
    w, b = v[..., :_LR_D], v[..., _LR_D]
    z = ctx.matmul(w[..., None, :], swap_last(x))[..., 0, :] + b[..., None]  # (..., N)
    return x, y, w, z


@case(
    name="logistic_l2",
    x0=_LR_X0,
    tags={"neural", "logistic", "convex", "smooth"},
    reference=(
        "Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, 2nd ed. "
        "(2009), §4.4 and §18.4 (L2-penalised logistic regression)"
    ),
)
def logistic_l2(v, ctx):
    """C(w, b) = 1/N Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ] + λ/2 ‖w‖², zᵢ = w·xᵢ + b, λ = 0.01.

    P = 31 parameters [w (30), b]. Data (seed 20153): N = 48 standard normal inputs,
    labels yᵢ = [xᵢ·w* + 0.5 ε > 0] of a random w*. The bias is not penalised.
    Gradient Xᵀ(σ(z) − y)/N + λw; Hessian Xᵀ diag(σ(1 − σ)) X/N + λI (on w), also
    as a Hessian-vector product that never forms it.
    """
    _, y, w, z = _lr_forward(v, ctx)
    data = ctx.sum(ctx.log1p(ctx.exp(z)) - y * z) / _LR_N
    return data + _LR_LAMBDA / 2 * ctx.sum(w * w)


@logistic_l2.gradient
def _(v, ctx):
    x, y, w, z = _lr_forward(v, ctx)
    r = (_sigmoid(z, ctx) - y) / _LR_N  # (..., N)
    gw = ctx.matmul(r[..., None, :], x)[..., 0, :] + _LR_LAMBDA * w
    return _flat([gw, ctx.sum(r)], v.shape[:-1])


@logistic_l2.hessian
def _(v, ctx):
    x, _, _, z = _lr_forward(v, ctx)
    p = _sigmoid(z, ctx)
    ones = ctx.asarray(np.ones((_LR_N, 1)))
    xb = np.concatenate(
        [
            np.broadcast_to(x, v.shape[:-1] + x.shape),
            np.broadcast_to(ones, v.shape[:-1] + ones.shape),
        ],
        axis=-1,
    )  # (..., N, P)
    wgt = (p * (1 - p) / _LR_N)[..., :, None]
    reg = np.diag([_LR_LAMBDA] * _LR_D + [0.0])
    return ctx.matmul(swap_last(xb), wgt * xb) + ctx.asarray(reg)


@logistic_l2.hessian_vector
def _(v, u, ctx):
    x, _, _, z = _lr_forward(v, ctx)
    p = _sigmoid(z, ctx)
    uw, ub = u[..., :_LR_D], u[..., _LR_D]
    dz = ctx.matmul(uw[..., None, :], swap_last(x))[..., 0, :] + ub[..., None]  # X u_w + u_b
    r = p * (1 - p) * dz / _LR_N
    hw = ctx.matmul(r[..., None, :], x)[..., 0, :] + _LR_LAMBDA * uw
    return _flat([hw, ctx.sum(r)], v.shape[:-1])


# -- (d) a two-layer tanh network -----------------------------------------------------------

_TN_D, _TN_H, _TN_O, _TN_N = 8, 32, 2, 8
_TN_SHAPES = ((_TN_H, _TN_D), (_TN_H,), (_TN_H, _TN_H), (_TN_H,), (_TN_O, _TN_H), (_TN_O,))
_TN_P = sum(int(np.prod(s)) for s in _TN_SHAPES)


def _tanh_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["tanh_network"])
    x = rng.standard_normal((_TN_N, _TN_D))
    a = rng.standard_normal((_TN_D, _TN_O)) / np.sqrt(_TN_D)
    y = np.sin(2 * x @ a)
    # LeCun initialisation: weights N(0, 1/fan_in), biases 0.1·N(0, 1).
    parts = []
    for shp in _TN_SHAPES:
        scale = 1 / np.sqrt(shp[1]) if len(shp) == 2 else 0.1
        parts.append(scale * rng.standard_normal(shp).ravel())
    return x, y, np.concatenate(parts)


_TN_X, _TN_Y, _TN_X0 = _tanh_data()
_TN_CACHE: dict[Any, tuple[Any, ...]] = {}


def _tn_forward(v, ctx):
    x, y = converted(_TN_CACHE, (_TN_X, _TN_Y), ctx)
    w1, b1, w2, b2, w3, b3 = _split(v, _TN_SHAPES)
    a1 = ctx.tanh(ctx.matmul(x, swap_last(w1)) + b1[..., None, :])
    a2 = ctx.tanh(ctx.matmul(a1, swap_last(w2)) + b2[..., None, :])
    out = ctx.matmul(a2, swap_last(w3)) + b3[..., None, :]
    return x, y, (w2, w3), (a1, a2), out


@case(
    name="tanh_network",
    x0=_TN_X0,
    tags={"neural", "tanh", "smooth", "slow"},
    reference=(
        "LeCun, Bottou, Orr & Müller, Efficient BackProp (1998); "
        f"{_NIELSEN_BOOK}, ch. 2 (backpropagation) and ch. 3 (tanh neurons)"
    ),
)
def tanh_network(v, ctx):
    """Quadratic cost 1/(2N) Σₓ ‖y(x) − out(x)‖² of an 8–32–32–2 network, two tanh layers.

    out = W³ tanh(W² tanh(W¹x + b¹) + b²) + b³, linear output. P = 1410 parameters
    [W¹ (32×8), b¹, W² (32×32), b², W³ (2×32), b³], each matrix row-major. Data
    (seed 20154): N = 8 standard normal inputs in R⁸ (kept small so that 40-digit mp
    evaluations stay cheap), targets y = sin(2 Aᵀx) of a random A. Start point: LeCun
    initialisation, weights N(0, 1/fan_in), biases 0.1·N(0, 1). Gradient by
    backpropagation with tanh' = 1 − tanh²; the Hessian-vector product is its
    forward-mode derivative (Pearlmutter, Neural Comput. 6 (1994) 147). Tagged
    ``slow``: its 40-digit mp reference derivatives take several seconds, so the
    tests mark it slow.
    """
    _, y, _, _, out = _tn_forward(v, ctx)
    return ctx.sum(ctx.sum((out - y) ** 2), axis=-1) / (2 * _TN_N)


@tanh_network.gradient
def _(v, ctx):
    x, y, (w2, w3), (a1, a2), out = _tn_forward(v, ctx)
    d3 = (out - y) / _TN_N
    d2 = ctx.matmul(d3, w3) * (1 - a2 * a2)
    d1 = ctx.matmul(d2, w2) * (1 - a1 * a1)
    parts = [
        ctx.matmul(swap_last(d1), x),
        ctx.sum(d1, axis=-2),
        ctx.matmul(swap_last(d2), a1),
        ctx.sum(d2, axis=-2),
        ctx.matmul(swap_last(d3), a2),
        ctx.sum(d3, axis=-2),
    ]
    return _flat(parts, v.shape[:-1])


@tanh_network.hessian_vector
def _(v, u, ctx):
    # Pearlmutter's R-operator: the forward-mode derivative of backpropagation along u.
    x, y, (w2, w3), (a1, a2), out = _tn_forward(v, ctx)
    u1, c1, u2, c2, u3, c3 = _split(u, _TN_SHAPES)
    s1, s2 = 1 - a1 * a1, 1 - a2 * a2
    ra1 = s1 * (ctx.matmul(x, swap_last(u1)) + c1[..., None, :])  # (..., N, H)
    ra2 = s2 * (ctx.matmul(ra1, swap_last(w2)) + ctx.matmul(a1, swap_last(u2)) + c2[..., None, :])
    rout = ctx.matmul(ra2, swap_last(w3)) + ctx.matmul(a2, swap_last(u3)) + c3[..., None, :]
    d3, rd3 = (out - y) / _TN_N, rout / _TN_N  # (..., N, O)
    back2 = ctx.matmul(d3, w3)
    d2 = back2 * s2
    rd2 = (ctx.matmul(rd3, w3) + ctx.matmul(d3, u3)) * s2 - 2 * back2 * a2 * ra2
    back1 = ctx.matmul(d2, w2)
    rd1 = (ctx.matmul(rd2, w2) + ctx.matmul(d2, u2)) * s1 - 2 * back1 * a1 * ra1
    parts = [
        ctx.matmul(swap_last(rd1), x),
        ctx.sum(rd1, axis=-2),
        ctx.matmul(swap_last(rd2), a1) + ctx.matmul(swap_last(d2), ra1),
        ctx.sum(rd2, axis=-2),
        ctx.matmul(swap_last(rd3), a2) + ctx.matmul(swap_last(d3), ra2),
        ctx.sum(rd3, axis=-2),
    ]
    return _flat(parts, v.shape[:-1])


# -- (e) a scalable network whose width grows with n ---------------------------------------

_NW_D, _NW_N = 3, 8
_NW_PER_UNIT = _NW_D + 2  # input weights, bias, output weight


def _width_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["neural_width"])
    x = rng.standard_normal((_NW_N, _NW_D))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    return x, y


_NW_X, _NW_Y = _width_data()
_NW_CACHE: dict[Any, tuple[Any, ...]] = {}


def _width_x0(n: int) -> np.ndarray:
    """Start point at n = 5m: all parameters standard normal (seed 20155 + n)."""
    return np.random.default_rng(_SEEDS["neural_width"] + n).standard_normal(n)


def _nw_forward(v, ctx):
    x, y = converted(_NW_CACHE, (_NW_X, _NW_Y), ctx)
    m = v.shape[-1] // _NW_PER_UNIT
    w, b, c = _split(v, ((m, _NW_D), (m,), (m,)))
    a = ctx.tanh(ctx.matmul(x, swap_last(w)) + b[..., None, :])  # (..., N, m)
    out = ctx.matmul(a, c[..., :, None])[..., 0] / m  # (..., N)
    return x, y, m, w, c, a, out


@case(
    name="neural_width",
    x0=_width_x0,
    dim=40,
    tags={"neural", "scalable", "tanh", "smooth"},
    reference=(
        "Mei, Montanari & Nguyen, PNAS 115 (2018) E7665 (mean-field two-layer network); "
        f"{_NIELSEN_BOOK}, ch. 2"
    ),
    scalable=True,
    dims=lambda n: n % _NW_PER_UNIT == 0,
)
def neural_width(v, ctx):
    """Quadratic cost of a one-hidden-layer tanh network of width m = n/5, any n = 5m.

    out(x) = (1/m) Σⱼ cⱼ tanh(wⱼ·x + bⱼ) (mean-field scaling, so the output stays O(1)
    as m grows); C = 1/(2N) Σₓ (out(x) − y(x))². Parameters [W (m×3), b (m), c (m)].
    Data (seed 20155): N = 8 inputs in R³, targets sin(x₁) + x₂x₃/2. Start point:
    standard normal (seed 20155 + n). Cost, gradient and Hessian-vector product
    (forward-mode differentiation of the backpropagation) take O(N n) work and
    memory, so n = 10⁵ is cheap in float64.
    """
    _, y, _, _, _, _, out = _nw_forward(v, ctx)
    return ctx.sum((out - y) ** 2) / (2 * _NW_N)


@neural_width.gradient
def _(v, ctx):
    x, y, m, _, c, a, out = _nw_forward(v, ctx)
    r = (out - y) / _NW_N  # (..., N)
    gc = ctx.matmul(r[..., None, :], a)[..., 0, :] / m
    dz = r[..., :, None] * (1 - a * a) * c[..., None, :] / m  # (..., N, m)
    gw = ctx.matmul(swap_last(dz), x)
    gb = ctx.sum(dz, axis=-2)
    return _flat([gw, gb, gc], v.shape[:-1])


@neural_width.hessian_vector
def _(v, u, ctx):
    # Forward-mode derivative of the backpropagation along u (Pearlmutter's R-operator).
    x, y, m, _, c, a, out = _nw_forward(v, ctx)
    uw, ub, uc = _split(u, ((m, _NW_D), (m,), (m,)))
    r = (out - y) / _NW_N  # (..., N)
    s = 1 - a * a  # tanh'
    dz = ctx.matmul(x, swap_last(uw)) + ub[..., None, :]  # (..., N, m)
    da = s * dz
    dout = (ctx.matmul(a, uc[..., :, None])[..., 0] + ctx.matmul(da, c[..., :, None])[..., 0]) / m
    dr = dout / _NW_N
    hc = (
        ctx.matmul(dr[..., None, :], a)[..., 0, :] + ctx.matmul(r[..., None, :], da)[..., 0, :]
    ) / m
    dgz = (
        dr[..., :, None] * s * c[..., None, :]
        + r[..., :, None] * s * uc[..., None, :]
        - 2 * r[..., :, None] * a * da * c[..., None, :]
    ) / m
    return _flat([ctx.matmul(swap_last(dgz), x), ctx.sum(dgz, axis=-2), hc], v.shape[:-1])
