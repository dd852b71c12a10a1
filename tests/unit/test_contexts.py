"""Number contexts: every function agrees with mpmath, complex step is safe, mp is private."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import firstorder as fo

# Points inside every function's domain (log, sqrt need x > 0; tan away from pi/2).
X = np.array([0.1, 0.5, 0.9, 1.3, 2.2])
Y = np.array([0.7, -1.1, 2.5, 0.3, -0.4])

UNARY = {
    "exp": mpmath.exp,
    "log": mpmath.log,
    "log1p": mpmath.log1p,
    "expm1": mpmath.expm1,
    "sqrt": mpmath.sqrt,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "arctan": mpmath.atan,
    "sinh": mpmath.sinh,
    "cosh": mpmath.cosh,
    "tanh": mpmath.tanh,
}
BINARY = {
    "arctan2": lambda y, x: mpmath.atan2(y, x),
    "power": lambda x, y: mpmath.power(abs(x), y),
    "maximum": max,
    "minimum": min,
}


def _truth(fn, *args):
    with mpmath.workdps(60):
        return np.array([float(fn(*map(mpmath.mpf, a))) for a in zip(*args, strict=True)])


@pytest.mark.parametrize("precision", ["float64", "float32", "mp"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_functions_agree_with_mpmath(name, precision):
    ctx = fo.context(precision)
    got = ctx.to_float(getattr(ctx, name)(ctx.asarray(X)))
    truth = _truth(UNARY[name], X)
    # float contexts: a few ulps of their own eps; mp: its result rounded to float64.
    eps = ctx.eps if precision != "mp" else np.finfo(float).eps / 2
    np.testing.assert_allclose(got, truth, rtol=4 * float(eps), atol=0)


@pytest.mark.parametrize("precision", ["float64", "float32", "mp"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_functions_agree_with_mpmath(name, precision):
    ctx = fo.context(precision)
    a, b = (np.abs(X), Y) if name == "power" else (Y, X)
    got = ctx.to_float(getattr(ctx, name)(ctx.asarray(a), ctx.asarray(b)))
    truth = _truth(BINARY[name], a, b)
    eps = ctx.eps if precision != "mp" else np.finfo(float).eps / 2
    np.testing.assert_allclose(got, truth, rtol=4 * float(eps), atol=0)


@pytest.mark.parametrize("precision", ["float64", "float32", "complex128", "mp"])
def test_reductions_and_helpers(precision):
    ctx = fo.context(precision)
    a = ctx.asarray(np.arange(1.0, 7.0).reshape(2, 3))
    assert ctx.to_float(ctx.sum(a)).tolist() == [6.0, 15.0]
    assert ctx.to_float(ctx.prod(a)).tolist() == [6.0, 120.0]
    assert ctx.to_float(ctx.matmul(a, ctx.asarray(np.ones(3)))).tolist() == [6.0, 15.0]
    assert ctx.to_float(ctx.where(ctx.real(a) > 3, a, 0 * a)).tolist() == [
        [0.0, 0.0, 0.0],
        [4.0, 5.0, 6.0],
    ]
    assert ctx.to_float(ctx.abs(-a)).tolist() == ctx.to_float(a).tolist()
    assert ctx.to_float(ctx.sign(a - 3)).tolist() == [[-1.0, -1.0, 0.0], [1.0, 1.0, 1.0]]
    stacked = ctx.stack([a[..., 0], 2])
    assert stacked.shape == (2, 2)
    assert ctx.zeros((2, 3)).shape == (2, 3)
    assert abs(float(ctx.to_float(ctx.pi)) - np.pi) <= float(ctx.eps) * 4


def test_float32_keeps_its_dtype():
    ctx = fo.context("float32")
    x = ctx.asarray(X)
    assert (100 * ctx.exp(x) ** 2 + ctx.pi).dtype == np.float32
    assert ctx.stack([x, 1]).dtype == np.float32
    assert ctx.eps == float(np.finfo(np.float32).eps)


H = 1e-30


@pytest.mark.parametrize("name", sorted(UNARY))
def test_complex_step_gives_exact_derivatives(name):
    ctx = fo.context("complex128")
    out = getattr(ctx, name)(ctx.asarray(X) + 1j * H)
    with mpmath.workdps(40):
        deriv = np.array([float(mpmath.diff(UNARY[name], mpmath.mpf(x))) for x in X])
    np.testing.assert_allclose(out.imag / H, deriv, rtol=4 * ctx.eps)
    np.testing.assert_allclose(out.real, _truth(UNARY[name], X), rtol=4 * ctx.eps)


def test_complex_step_safe_nonsmooth_functions_act_on_the_real_part():
    ctx = fo.context("complex128")
    x = ctx.asarray(np.array([-2.0, 3.0])) + 1j * H
    np.testing.assert_array_equal(ctx.abs(x).imag / H, [-1.0, 1.0])
    np.testing.assert_array_equal(ctx.sign(x), [-1.0, 1.0])
    y = ctx.asarray(np.array([1.0, 1.0])) + 2j * H
    np.testing.assert_array_equal(ctx.maximum(x, y).imag / H, [2.0, 1.0])
    np.testing.assert_array_equal(ctx.minimum(x, y).imag / H, [1.0, 2.0])
    # d/dt arctan2(y, x) along (dy, dx) = (x dy - y dx) / (x^2 + y^2)
    yy, xx = np.array([0.7, -0.3]), np.array([-1.2, -0.5])
    got = ctx.arctan2(yy + 1j * H, xx + 2j * H)
    np.testing.assert_allclose(got.real, np.arctan2(yy, xx), rtol=2 * ctx.eps)
    np.testing.assert_allclose(got.imag / H, (xx - 2 * yy) / (xx**2 + yy**2), rtol=4 * ctx.eps)


def test_mp_precision_is_private():
    before = (mpmath.mp.dps, mpmath.mp.prec)
    ctx = fo.context("mp", 80)
    v = ctx.exp(ctx.asarray([1.0]))[0]
    assert (mpmath.mp.dps, mpmath.mp.prec) == before
    with mpmath.workdps(100):
        truth = +mpmath.e
    assert abs(v - truth) < mpmath.mpf(10) ** -78
    assert fo.context("mp").dps == fo.DEFAULT_DPS
    assert float(fo.context("mp", 80).eps) < 1e-78
    assert fo.context("mp", 80) is ctx  # cached


def test_mp_batches_on_object_arrays():
    ctx = fo.context("mp", 30)
    a = ctx.asarray(np.ones((4, 3)))
    out = ctx.sum(ctx.exp(a))
    assert out.shape == (4,)
    assert all(isinstance(t, ctx.mpmath.mpf) for t in out)


def test_contexts_pickle_to_the_same_context():
    import pickle

    for name in fo.PRECISIONS:
        ctx = fo.context(name)
        assert pickle.loads(pickle.dumps(ctx)) is ctx


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("float16",), r"unknown precision `float16`.*`complex128`, `float32`, `float64`, `mp`"),
        (("mp", 0), r"`dps` must be an integer of at least 5, not `0`"),
        (("mp", 2.5), r"`dps` must be an integer"),
    ],
)
def test_bad_context_names(args, match):
    with pytest.raises(fo.FirstOrderError, match=match):
        fo.context(*args)


@pytest.mark.parametrize("name", ["float64", "float32", "complex128", "mp"])
def test_broadcast_is_the_value_in_the_batch_shape_and_number_type(name):
    ctx = fo.context(name)
    x = ctx.asarray(np.ones((3, 2)))
    one = ctx.broadcast(1, x[..., 0])
    assert one.shape == (3,) and one.dtype == x.dtype
    assert type(one.flat[0]) is type(x.flat[0])
    assert all(t == 1 for t in one.flat)
    eye = ctx.asarray(np.eye(2))
    spread = ctx.broadcast(eye, x[..., None, :])
    assert spread.shape == (3, 2, 2) and type(spread.flat[0]) is type(x.flat[0])
    spread[0, 0, 0] = 5  # a new, writable array: the input matrix is untouched
    assert eye[0, 0] == 1


def test_broadcast_keeps_a_constant_where_the_points_are_not_finite():
    ctx = fo.context("float64")
    assert ctx.broadcast(2, np.array([np.inf, np.nan]))[0] == 2


def _mp_array(ctx, values):
    return np.array([ctx.const(v) for v in values], dtype=object)


@pytest.mark.parametrize("spread", [0, 40, 900])
def test_mp_sum_and_matmul_are_correctly_rounded(spread):
    # Exact integer accumulation: every result is the exact sum rounded once, even
    # across ~2**spread scales (mpmath's fdot is not, in near-ties decided by terms
    # 2**-900 smaller: spread 900 has one).
    ctx = fo.context("mp", dps=30)
    mp, exact = ctx.mpmath, mpmath.MPContext()
    exact.prec = 8 * spread + 4 * mp.prec  # wide enough to hold every sum exactly
    rng = np.random.default_rng(spread)
    scale = np.exp2(rng.integers(-spread, spread + 1, size=(3, 4, 5)).astype(float))
    a = ctx.asarray(rng.standard_normal((3, 4, 5)) * scale)
    a[0, 0, 0] = ctx.const(0)
    b = ctx.asarray(rng.standard_normal((5, 2)))
    sums, prods = ctx.sum(a), ctx.matmul(a, b)
    assert sums.shape == (3, 4) and prods.shape == (3, 4, 2)
    for idx in np.ndindex(3, 4):
        assert sums[idx] == mp.mpf(exact.fsum(a[idx]))
        for j in range(2):
            terms = zip(a[idx], b[:, j], strict=True)
            want = exact.fsum(exact.mpf(x) * exact.mpf(y) for x, y in terms)
            assert prods[(*idx, j)] == mp.mpf(want)
    assert isinstance(prods[0, 0, 0], mp.mpf)
    assert ctx.sum(a, axis=None) == mp.mpf(exact.fsum(a.flat))


def test_mp_sum_and_matmul_keep_special_values_and_mixed_inputs():
    ctx = fo.context("mp")
    mp = ctx.mpmath
    assert ctx.sum(_mp_array(ctx, [1, mp.inf])) == mp.inf
    assert mp.isnan(ctx.sum(_mp_array(ctx, [mp.inf, -mp.inf])))
    assert ctx.sum(np.array([mp.mpc(1, 2), mp.mpf(1)], dtype=object)) == mp.mpc(2, 2)
    assert ctx.sum(ctx.zeros((2, 0))).shape == (2,)
    assert ctx.sum(ctx.zeros(3)) == 0
    mixed = ctx.matmul(np.array([1.0, 2.0]), _mp_array(ctx, ["0.1", "0.2"]))
    assert isinstance(mixed, mp.mpf) and mixed == mp.fdot([1, 2], [mp.mpf("0.1"), mp.mpf("0.2")])
    tiny_huge = _mp_array(ctx, ["1e-3000", "1e3000"])  # too far apart for integers
    assert ctx.sum(tiny_huge) == mp.fsum(tiny_huge)
