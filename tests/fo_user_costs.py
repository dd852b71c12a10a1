"""Plain-numpy user costs with hand-written gradients, as a user would bring them to `check`.

Each :class:`UserCost` has ``cost(v) -> float``, ``grad(v) -> array`` and
``points(k, seed)``: seeded points where the cost is well defined. They use numpy as
users do (``np.linalg.cholesky``, ``np.log``, float returns), not ``ctx``. Each also
has ``batched``: the same cost written over ``(..., n) -> (...)``, as a user who
batches would write it (`check` then evaluates it in one call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UserCost:
    name: str
    cost: Callable[[np.ndarray], float]
    grad: Callable[[np.ndarray], np.ndarray]
    n: int
    center: Callable[[np.random.Generator], np.ndarray]
    well_scaled: bool = True
    batched: Callable[[np.ndarray], np.ndarray] | None = None

    def points(self, k: int, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [self.center(rng) for _ in range(k)]


# -- logistic regression ------------------------------------------------------------------

_rng = np.random.default_rng(11)
_X = _rng.standard_normal((60, 8))
_y = (_rng.uniform(size=60) < 0.5).astype(float)


def logreg_cost(w: np.ndarray) -> float:
    z = _X @ w
    return float(np.sum(np.logaddexp(0.0, z) - _y * z) / len(_y) + 0.05 * w @ w)


def logreg_grad(w: np.ndarray) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-(_X @ w)))
    return _X.T @ (p - _y) / len(_y) + 0.1 * w


# -- a tanh MLP, 4 -> 6 -> 1, squared loss ---------------------------------------------------

_Xm = _rng.standard_normal((30, 4))
_ym = np.sin(_Xm[:, 0]) + 0.5 * _Xm[:, 1]
_SHAPES = [(6, 4), (6,), (1, 6), (1,)]
_SIZES = [int(np.prod(s)) for s in _SHAPES]


def _unpack(v: np.ndarray) -> list[np.ndarray]:
    out, k = [], 0
    for shape, size in zip(_SHAPES, _SIZES, strict=True):
        out.append(v[k : k + size].reshape(shape))
        k += size
    return out


def mlp_cost(v: np.ndarray) -> float:
    W1, b1, W2, b2 = _unpack(v)
    a = np.tanh(_Xm @ W1.T + b1)
    out = a @ W2.T + b2
    return float(0.5 * np.mean((out[:, 0] - _ym) ** 2))


def mlp_grad(v: np.ndarray) -> np.ndarray:
    W1, b1, W2, b2 = _unpack(v)
    a = np.tanh(_Xm @ W1.T + b1)
    out = a @ W2.T + b2
    r = (out[:, 0] - _ym)[:, None] / len(_ym)
    gW2 = r.T @ a
    gb2 = r.sum(axis=0)
    da = (r @ W2) * (1 - a**2)
    gW1 = da.T @ _Xm
    gb1 = da.sum(axis=0)
    return np.concatenate([gW1.ravel(), gb1, gW2.ravel(), gb2])


# -- Gaussian-process negative log likelihood, through np.linalg.cholesky -------------------

_xg = np.linspace(0.0, 3.0, 12)
_yg = np.sin(2 * _xg) + 0.1 * np.cos(7 * _xg)


def gp_cost(t: np.ndarray) -> float:
    ell, sf, sn = np.exp(t)
    d2 = (_xg[:, None] - _xg[None, :]) ** 2
    K = sf**2 * np.exp(-0.5 * d2 / ell**2) + (sn**2 + 1e-8) * np.eye(len(_xg))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, _yg))
    return float(0.5 * _yg @ alpha + np.sum(np.log(np.diag(L))))


def gp_grad(t: np.ndarray) -> np.ndarray:
    ell, sf, sn = np.exp(t)
    d2 = (_xg[:, None] - _xg[None, :]) ** 2
    E = np.exp(-0.5 * d2 / ell**2)
    K = sf**2 * E + (sn**2 + 1e-8) * np.eye(len(_xg))
    Ki = np.linalg.inv(K)
    alpha = Ki @ _yg
    A = np.outer(alpha, alpha) - Ki
    dK = [sf**2 * E * d2 / ell**2, 2 * sf**2 * E, 2 * sn**2 * np.eye(len(_xg))]
    return np.array([-0.5 * np.sum(A * D) for D in dK])


# -- softmax cross-entropy, 5 features x 3 classes -----------------------------------------

_Xs = _rng.standard_normal((40, 5))
_ys = _rng.integers(0, 3, 40)


def softmax_cost(v: np.ndarray) -> float:
    W = v.reshape(5, 3)
    z = _Xs @ W
    z = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(lse - z[np.arange(len(_ys)), _ys]))


def softmax_grad(v: np.ndarray) -> np.ndarray:
    W = v.reshape(5, 3)
    z = _Xs @ W
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(_ys)), _ys] -= 1
    return (_Xs.T @ p / len(_ys)).ravel()


# -- Lennard-Jones energy of 5 atoms in 3-D ------------------------------------------------


def lj_cost(v: np.ndarray) -> float:
    x = v.reshape(-1, 3)
    i, j = np.triu_indices(len(x), 1)
    r2 = np.sum((x[i] - x[j]) ** 2, axis=1)
    s6 = 1.0 / r2**3
    return float(np.sum(4 * (s6 * s6 - s6)))


def lj_grad(v: np.ndarray) -> np.ndarray:
    x = v.reshape(-1, 3)
    i, j = np.triu_indices(len(x), 1)
    diff = x[i] - x[j]
    r2 = np.sum(diff**2, axis=1)
    s6 = 1.0 / r2**3
    coef = (-48 * s6 * s6 + 24 * s6) / r2
    g = np.zeros_like(x)
    np.add.at(g, i, coef[:, None] * diff)
    np.add.at(g, j, -coef[:, None] * diff)
    return g.ravel()


_LJ0 = np.array(
    [[0, 0, 0], [1.12, 0, 0], [0.56, 0.97, 0], [0.56, 0.32, 0.92], [1.6, 1.0, 0.7]], dtype=float
)


# -- variables of scales 1e-4 and 1e4 --------------------------------------------------------

_S = np.array([1e-4, 1e4, 1e-4, 1e4, 1.0, 1e-4])


def mixed_cost(v: np.ndarray) -> float:
    u = v / _S
    return float(np.sum((u[:-1] - 1) ** 2) + np.sum(np.cos(u) * u**2) / 10 + np.exp(0.1 * u[-1]))


def mixed_grad(v: np.ndarray) -> np.ndarray:
    u = v / _S
    g = np.zeros_like(u)
    g[:-1] += 2 * (u[:-1] - 1)
    g += (-np.sin(u) * u**2 + 2 * u * np.cos(u)) / 10
    g[-1] += 0.1 * np.exp(0.1 * u[-1])
    return g / _S


# -- the same costs over batches (..., n) ----------------------------------------------------


def logreg_batched(w: np.ndarray) -> np.ndarray:
    z = w @ _X.T
    return np.sum(np.logaddexp(0.0, z) - _y * z, axis=-1) / len(_y) + 0.05 * np.sum(w * w, -1)


def mlp_batched(v: np.ndarray) -> np.ndarray:
    lead = v.shape[:-1]
    W1 = v[..., :24].reshape(*lead, 6, 4)
    b1, W2, b2 = v[..., 24:30], v[..., 30:36], v[..., 36]
    a = np.tanh(np.einsum("kd,...hd->...kh", _Xm, W1) + b1[..., None, :])
    out = np.einsum("...kh,...h->...k", a, W2) + b2[..., None]
    return 0.5 * np.mean((out - _ym) ** 2, axis=-1)


def gp_batched(t: np.ndarray) -> np.ndarray:
    e = np.exp(t)
    ell, sf, sn = (e[..., k, None, None] for k in range(3))
    d2 = (_xg[:, None] - _xg[None, :]) ** 2
    K = sf**2 * np.exp(-0.5 * d2 / ell**2) + (sn**2 + 1e-8) * np.eye(len(_xg))
    L = np.linalg.cholesky(K)
    y = np.broadcast_to(_yg[:, None], (*t.shape[:-1], len(_xg), 1))
    z = np.linalg.solve(L, y)
    alpha = np.linalg.solve(np.swapaxes(L, -1, -2), z)[..., 0]
    logdet = np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    return 0.5 * alpha @ _yg + logdet


def softmax_batched(v: np.ndarray) -> np.ndarray:
    z = _Xs @ v.reshape(*v.shape[:-1], 5, 3)
    z = z - z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=-1))
    return np.mean(lse - z[..., np.arange(len(_ys)), _ys], axis=-1)


def lj_batched(v: np.ndarray) -> np.ndarray:
    x = v.reshape(*v.shape[:-1], -1, 3)
    i, j = np.triu_indices(x.shape[-2], 1)
    r2 = np.sum((x[..., i, :] - x[..., j, :]) ** 2, axis=-1)
    s6 = 1.0 / r2**3
    return np.sum(4 * (s6 * s6 - s6), axis=-1)


def mixed_batched(v: np.ndarray) -> np.ndarray:
    u = v / _S
    return (
        np.sum((u[..., :-1] - 1) ** 2, axis=-1)
        + np.sum(np.cos(u) * u**2, axis=-1) / 10
        + np.exp(0.1 * u[..., -1])
    )


COSTS: tuple[UserCost, ...] = (
    UserCost(
        "logreg",
        logreg_cost,
        logreg_grad,
        8,
        lambda r: 0.5 * r.standard_normal(8),
        batched=logreg_batched,
    ),
    UserCost(
        "mlp",
        mlp_cost,
        mlp_grad,
        37,
        lambda r: 0.5 * r.standard_normal(37),
        batched=mlp_batched,
    ),
    UserCost(
        "gp",
        gp_cost,
        gp_grad,
        3,
        lambda r: np.array([-0.5, 0.0, -1.5]) + 0.3 * r.standard_normal(3),
        batched=gp_batched,
    ),
    UserCost(
        "softmax",
        softmax_cost,
        softmax_grad,
        15,
        lambda r: 0.5 * r.standard_normal(15),
        batched=softmax_batched,
    ),
    UserCost(
        "lennard_jones",
        lj_cost,
        lj_grad,
        15,
        lambda r: (_LJ0 + 0.05 * r.standard_normal(_LJ0.shape)).ravel(),
        batched=lj_batched,
    ),
    UserCost(
        "mixed_scales",
        mixed_cost,
        mixed_grad,
        6,
        lambda r: _S * (1 + 0.5 * r.standard_normal(6)),
        well_scaled=False,
        batched=mixed_batched,
    ),
)
