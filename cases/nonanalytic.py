"""Costs that are smooth except on a set of kinks: not analytic, not complex-step safe.

Each uses ``ctx.abs``/``ctx.sign``/``ctx.where``; its start point and the seeded points
near it are away from the kinks, where the cost is smooth and the analytic gradient is
exact. They are marked ``complex_safe=False``: the complex step rests on the cost
being analytic (Cauchy–Riemann), which these are not, so a complex-step backend must
refuse them rather than return the derivative of whichever piece the real part picks.

Data are generated at import from fixed seeds of :func:`numpy.random.default_rng`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from firstorder import case
from firstorder.case.helpers import converted

_SEEDS = {"huber_regression": 30411, "lasso": 30412}


# -- Huber regression -----------------------------------------------------------------------

_HU_D, _HU_N, _HU_DELTA = 5, 24, 1.0


def _huber_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["huber_regression"])
    x = rng.standard_normal((_HU_N, _HU_D))
    w_true = rng.standard_normal(_HU_D)
    noise = 0.3 * rng.standard_normal(_HU_N)
    noise[::6] += 4 * rng.choice([-1.0, 1.0], size=len(noise[::6]))  # outliers
    y = x @ w_true + noise
    x0 = w_true + 0.5 * rng.standard_normal(_HU_D)
    return x, y, x0


_HU_X, _HU_Y, _HU_X0 = _huber_data()
_HU_CACHE: dict[Any, tuple[Any, ...]] = {}


def _hu_residuals(v, ctx):
    x, y = converted(_HU_CACHE, (_HU_X, _HU_Y), ctx)
    r = y - ctx.matmul(v[..., None, :], np.swapaxes(x, -1, -2))[..., 0, :]  # (..., N)
    inner = ctx.real(ctx.abs(r)) <= _HU_DELTA
    return x, r, inner


@case(
    name="huber_regression",
    x0=_HU_X0,
    tags={"nonanalytic", "robust", "regression"},
    reference=(
        "Huber, Robust estimation of a location parameter, Ann. Math. Statist. 35 (1964) "
        "73–101; Hastie, Tibshirani & Friedman, ESL 2nd ed. (2009), §10.6"
    ),
    complex_safe=False,
)
def huber_regression(v, ctx):
    """Mean Huber loss 1/N Σᵢ ρ(yᵢ − xᵢ·w), ρ(r) = r²/2 for |r| ≤ 1, |r| − 1/2 beyond.

    Data (seed 30411): N = 24 standard normal inputs in R⁵, y = Xw* + 0.3 ε with an
    outlier of ±4 added to every sixth observation; x0 = w* + 0.5·N(0, 1), where no
    residual is near the kink |r| = 1. Not complex-step safe: ρ is only piecewise
    analytic (it uses |r| and a branch on |r| ≤ 1), C¹ but not C² at the kinks.
    Gradient −1/N Σ ψ(rᵢ) xᵢ with ψ(r) = r clipped to [−1, 1]; Hessian
    1/N Σ_{|rᵢ|<1} xᵢxᵢᵀ.
    """
    _, r, inner = _hu_residuals(v, ctx)
    rho = ctx.where(inner, r * r / 2, _HU_DELTA * (ctx.abs(r) - _HU_DELTA / 2))
    return ctx.sum(rho) / _HU_N


@huber_regression.gradient
def _(v, ctx):
    x, r, inner = _hu_residuals(v, ctx)
    psi = ctx.where(inner, r, _HU_DELTA * ctx.sign(r))
    return -ctx.matmul(psi[..., None, :], x)[..., 0, :] / _HU_N


@huber_regression.hessian
def _(v, ctx):
    x, _, inner = _hu_residuals(v, ctx)
    wgt = ctx.where(inner, ctx.const(1) / _HU_N, ctx.const(0))[..., :, None]
    return ctx.matmul(np.swapaxes(x, -1, -2), wgt * x)


# -- lasso ------------------------------------------------------------------------------------

_LA_D, _LA_N, _LA_LAMBDA = 6, 20, 0.1


def _lasso_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEEDS["lasso"])
    x = rng.standard_normal((_LA_N, _LA_D))
    w_true = rng.standard_normal(_LA_D)
    y = x @ w_true + 0.1 * rng.standard_normal(_LA_N)
    # Start away from the kinks wᵢ = 0: every |x0ᵢ| ≥ 0.5.
    x0 = rng.choice([-1.0, 1.0], size=_LA_D) * (0.5 + rng.random(_LA_D))
    return x, y, x0


_LA_X, _LA_Y, _LA_X0 = _lasso_data()
_LA_CACHE: dict[Any, tuple[Any, ...]] = {}


def _la_residuals(v, ctx):
    x, y = converted(_LA_CACHE, (_LA_X, _LA_Y), ctx)
    r = ctx.matmul(v[..., None, :], np.swapaxes(x, -1, -2))[..., 0, :] - y  # (..., N)
    return x, r


@case(
    name="lasso",
    x0=_LA_X0,
    tags={"nonanalytic", "regression", "sparse"},
    reference=(
        "Tibshirani, Regression shrinkage and selection via the lasso, J. R. Statist. "
        "Soc. B 58 (1996) 267–288"
    ),
    complex_safe=False,
)
def lasso(v, ctx):
    """Lasso objective 1/(2N) ‖Xw − y‖² + λ ‖w‖₁, λ = 0.1.

    Data (seed 30412): N = 20 standard normal inputs in R⁶, y = Xw* + 0.1 ε. Every
    component of x0 has |x0ᵢ| ≥ 0.5, so x0 and the seeded points near it are away
    from the kinks wᵢ = 0. Not complex-step safe: ‖w‖₁ uses |wᵢ|, which is not
    analytic; away from the kinks the gradient is Xᵀ(Xw − y)/N + λ sign(w) and the
    Hessian XᵀX/N.
    """
    _, r = _la_residuals(v, ctx)
    return ctx.sum(r * r) / (2 * _LA_N) + _LA_LAMBDA * ctx.sum(ctx.abs(v))


@lasso.gradient
def _(v, ctx):
    x, r = _la_residuals(v, ctx)
    return ctx.matmul(r[..., None, :], x)[..., 0, :] / _LA_N + _LA_LAMBDA * ctx.sign(v)


@lasso.hessian
def _(v, ctx):
    x, _ = _la_residuals(v, ctx)
    h = ctx.matmul(np.swapaxes(x, -1, -2), x) / _LA_N
    return ctx.broadcast(h, v[..., :, None])
