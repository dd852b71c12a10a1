"""Locating wrong gradient components: O(log n) bisection, reference values, ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

import firstorder as fo


def _sum_case(n: int) -> fo.Case:
    @fo.case(name=f"sines_{n}", x0=list(np.linspace(0.2, 1.4, n)))
    def c(v, ctx):
        k = np.arange(1, n + 1)
        return ctx.sum(ctx.sin(v) * v * k + 0.5 * v**2)

    @c.gradient
    def _(v, ctx):
        k = np.arange(1, n + 1)
        return (ctx.cos(v) * v + ctx.sin(v)) * k + v

    return c


@pytest.mark.parametrize("wrong", [(5,), (0, 13)])
def test_bisection_finds_components_in_log_n_tests(wrong):
    n = 16
    c = _sum_case(n)
    v = c.point()
    g = c.grad(v)
    for i in wrong:
        g[i] = -g[i]
    diag = fo.locate_wrong_components(c, v, g)
    assert diag.components == wrong
    # Each wrong component costs at most 2 tests per level of the bisection tree.
    assert diag.n_tests <= 1 + 2 * len(wrong) * math.ceil(math.log2(n))
    assert np.allclose(diag.ratio, -1, atol=1e-8)
    assert diag.method == "complex-step"


def test_correct_gradient_locates_nothing():
    c = _sum_case(8)
    diag = fo.locate_wrong_components(c, c.point(), c.grad(c.point()))
    assert diag.components == () and diag.n_tests == 1


def test_factor_two_shows_ratio_two():
    c = fo.resolve_case("rosenbrock")
    v = c.point()
    g = c.grad(v)
    g[1] *= 2
    res = fo.taylor_test(c, gradient=g)
    assert res.wrong_components == (1,)
    assert res.diagnosis.ratio[0] == pytest.approx(2, rel=1e-10)


def test_reference_falls_back_to_mp_when_not_complex_safe():
    @fo.case(name="abs_bowl", x0=[0.7, -0.3], complex_safe=False)
    def c(v, ctx):
        return ctx.sum(v**2) + ctx.abs(v[..., 0])

    @c.gradient
    def _(v, ctx):
        return ctx.stack([2 * v[..., 0] + ctx.sign(v[..., 0]), 2 * v[..., 1]])

    g = c.grad(c.point())
    g[1] = -g[1]
    diag = fo.locate_wrong_components(c, c.point(), g)
    assert diag.components == (1,) and diag.method == "mp"
    assert diag.reference[0] == pytest.approx(-0.6, rel=1e-14)
