"""Fornberg's finite-difference weights against the known tables, exactly."""

from __future__ import annotations

import math
from fractions import Fraction as F

import mpmath
import pytest

import firstorder as fo
from firstorder.gradients.stencils import STENCILS, fornberg_weights, stencil_weights

# Fornberg (1988), Table 1: centred first derivatives, and a few others.
TABLES = [
    ([-1, 0, 1], 1, [F(-1, 2), 0, F(1, 2)]),
    ([-2, -1, 0, 1, 2], 1, [F(1, 12), F(-2, 3), 0, F(2, 3), F(-1, 12)]),
    (
        [-3, -2, -1, 0, 1, 2, 3],
        1,
        [F(-1, 60), F(3, 20), F(-3, 4), 0, F(3, 4), F(-3, 20), F(1, 60)],
    ),
    (
        [-4, -3, -2, -1, 0, 1, 2, 3, 4],
        1,
        [F(1, 280), F(-4, 105), F(1, 5), F(-4, 5), 0, F(4, 5), F(-1, 5), F(4, 105), F(-1, 280)],
    ),
    ([-1, 0, 1], 2, [1, -2, 1]),
    ([-2, -1, 0, 1, 2], 2, [F(-1, 12), F(4, 3), F(-5, 2), F(4, 3), F(-1, 12)]),
    ([0, 1], 1, [-1, 1]),
    ([0, 1, 2], 1, [F(-3, 2), 2, F(-1, 2)]),
    ([0, 1, 2, 3], 1, [F(-11, 6), 3, F(-3, 2), F(1, 3)]),
    ([-1, 0], 1, [-1, 1]),
    ([-2, -1, 0, 1, 2], 4, [1, -4, 6, -4, 1]),
]


@pytest.mark.parametrize(("offsets", "m", "expected"), TABLES)
def test_known_tables_exactly(offsets, m, expected):
    got = fornberg_weights(offsets, m)
    assert all(isinstance(w, F) for w in got)
    assert got == [F(e) for e in expected]


@pytest.mark.parametrize("offsets", [[-1, 0, 2, 5], [F(-1, 2), F(1, 3), 1, 3], [0, 1, 2, 3, 4]])
@pytest.mark.parametrize("m", [0, 1, 2, 3])
def test_weights_differentiate_polynomials_exactly(offsets, m):
    """Σ w_k x_k^j = d^m/dx^m x^j at 0 = m!·[j == m] for every j below the stencil size."""
    w = fornberg_weights(offsets, m)
    for j in range(len(offsets)):
        moment = sum(wk * F(x) ** j for wk, x in zip(w, offsets, strict=True))
        assert moment == (math.factorial(m) if j == m else 0)


def test_weights_about_another_point():
    # d/dx at x0 = 1 on {0, 1, 2} is the central difference.
    assert fornberg_weights([0, 1, 2], 1, x0=1) == [F(-1, 2), 0, F(1, 2)]


def test_mp_offsets_carry_full_precision():
    mp = mpmath.MPContext()
    mp.dps = 60
    xs = [mp.mpf(k) / 3 for k in (-2, -1, 1, 2)]
    got = fornberg_weights(xs, 1)
    exact = fornberg_weights([F(k, 3) for k in (-2, -1, 1, 2)], 1)
    for g, e in zip(got, exact, strict=True):
        assert abs(g - mp.mpf(e.numerator) / e.denominator) <= 10 * mp.eps * abs(g)


@pytest.mark.parametrize("name", list(STENCILS))
def test_named_stencils_have_their_order(name):
    """The order is the first j with a non-vanishing moment Σ w_k s_k^(j+1), minus one."""
    offsets, weights, order = stencil_weights(name)
    moments = [sum(w * F(s) ** j for w, s in zip(weights, offsets, strict=True)) for j in range(12)]
    assert moments[1] == 1
    first_bad = next(j for j in range(2, 12) if moments[j] != 0)
    assert first_bad - 1 == order


@pytest.mark.parametrize(("offsets", "m"), [([0], 1), ([0, 1], 2), ([0, 0, 1], 1), ([0, 1], -1)])
def test_bad_stencils_raise(offsets, m):
    with pytest.raises(fo.FirstOrderError, match=r"offsets|order"):
        fornberg_weights(offsets, m)
