"""The Moré–Garbow–Hillstrom family: membership, F against an independent mp
evaluation, published values at other points and dimensions, and complex safety.

The independent evaluations below are written from the paper's formulas as plain
scalar loops on a private mpmath context, sharing no code with cases/mgh.py.
"""

from __future__ import annotations

import json
import re

import mpmath
import numpy as np
import pytest
from fo_support import REF_DPS, relative_gap, run_cli

import firstorder as fo
from firstorder.case.model import published_tolerance
from firstorder.gradients.reference import reference_gradient

DPS = 40
M = mpmath.MPContext()
M.dps = DPS


def _reg():
    return fo.load_cases(env=False, entry_points=False)


MGH_CASES = [c for c in _reg().values() if "mgh" in c.tags]
SCALABLE = [c for c in MGH_CASES if c.scalable]


# -- independent scalar evaluations, one per problem ----------------------------------------


def _f(x):
    return [M.mpf(t) for t in x]


def _sumsq(fs):
    return M.fsum(f * f for f in fs)


def rosenbrock(x):
    return _sumsq([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def freudenstein_roth(x):
    a, b = x
    return _sumsq([-13 + a + ((5 - b) * b - 2) * b, -29 + a + ((b + 1) * b - 14) * b])


def powell_badly_scaled(x):
    return _sumsq([10**4 * x[0] * x[1] - 1, M.exp(-x[0]) + M.exp(-x[1]) - M.mpf("1.0001")])


def brown_badly_scaled(x):
    return _sumsq([x[0] - 10**6, x[1] - M.mpf("2e-6"), x[0] * x[1] - 2])


def beale(x):
    ys = [M.mpf("1.5"), M.mpf("2.25"), M.mpf("2.625")]
    return _sumsq([ys[i - 1] - x[0] * (1 - x[1] ** i) for i in (1, 2, 3)])


def jennrich_sampson(x):
    return _sumsq([2 + 2 * i - (M.exp(i * x[0]) + M.exp(i * x[1])) for i in range(1, 11)])


def helical_valley(x):
    theta = M.atan(x[1] / x[0]) / (2 * M.pi) + (M.mpf("0.5") if x[0] < 0 else 0)
    return _sumsq([10 * (x[2] - 10 * theta), 10 * (M.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]])


BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]


def bard(x):
    out = []
    for i in range(1, 16):
        u, v = i, 16 - i
        out.append(M.mpf(BARD_Y[i - 1]) - (x[0] + u / (v * x[1] + min(u, v) * x[2])))
    return _sumsq(out)


GAUSS_Y = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989]
GAUSS_Y = GAUSS_Y + GAUSS_Y[-2::-1]


def gaussian(x):
    out = []
    for i in range(1, 16):
        t = M.mpf(8 - i) / 2
        out.append(x[0] * M.exp(-x[1] * (t - x[2]) ** 2 / 2) - M.mpf(GAUSS_Y[i - 1]))
    return _sumsq(out)


MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744]
MEYER_Y += [8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872]


def meyer(x):
    return _sumsq([x[0] * M.exp(x[1] / (45 + 5 * i + x[2])) - MEYER_Y[i - 1] for i in range(1, 17)])


def gulf(x):
    out = []
    for i in range(1, 100):
        t = M.mpf(i) / 100
        y = 25 + (-50 * M.log(t)) ** (M.mpf(2) / 3)
        out.append(M.exp(-(abs(y - x[1]) ** x[2]) / x[0]) - t)
    return _sumsq(out)


def box_3d(x):
    out = []
    for i in range(1, 11):
        t = M.mpf(i) / 10
        out.append(M.exp(-t * x[0]) - M.exp(-t * x[1]) - x[2] * (M.exp(-t) - M.exp(-10 * t)))
    return _sumsq(out)


def extended_powell(x):
    out = []
    for k in range(0, len(x), 4):
        a, b, c, d = x[k : k + 4]
        out += [a + 10 * b, M.sqrt(5) * (c - d), (b - 2 * c) ** 2, M.sqrt(10) * (a - d) ** 2]
    return _sumsq(out)


powell_singular = extended_powell


def wood(x):
    a, b, c, d = x
    return _sumsq(
        [
            10 * (b - a * a),
            1 - a,
            M.sqrt(90) * (d - c * c),
            1 - c,
            M.sqrt(10) * (b + d - 2),
            (b - d) / M.sqrt(10),
        ]
    )


KO_Y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
KO_U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]


def kowalik_osborne(x):
    out = []
    for y, u in zip(KO_Y, KO_U, strict=True):
        u = M.mpf(u)
        out.append(M.mpf(y) - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3]))
    return _sumsq(out)


def brown_dennis(x):
    out = []
    for i in range(1, 21):
        t = M.mpf(i) / 5
        a = x[0] + t * x[1] - M.exp(t)
        b = x[2] + x[3] * M.sin(t) - M.cos(t)
        out.append(a * a + b * b)
    return _sumsq(out)


OS1_Y = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751]
OS1_Y += [0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490]
OS1_Y += [0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]


def osborne1(x):
    out = []
    for i in range(1, 34):
        t = 10 * (i - 1)
        model = x[0] + x[1] * M.exp(-t * x[3]) + x[2] * M.exp(-t * x[4])
        out.append(M.mpf(OS1_Y[i - 1]) - model)
    return _sumsq(out)


def biggs_exp6(x):
    out = []
    for i in range(1, 14):
        t = M.mpf(i) / 10
        y = M.exp(-t) - 5 * M.exp(-10 * t) + 3 * M.exp(-4 * t)
        out.append(x[2] * M.exp(-t * x[0]) - x[3] * M.exp(-t * x[1]) + x[5] * M.exp(-t * x[4]) - y)
    return _sumsq(out)


OS2_Y = (
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
    0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
    0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
    0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
    0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
    0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
)  # fmt: skip


def osborne2(x):
    out = []
    for i in range(1, 66):
        t = M.mpf(i - 1) / 10
        model = x[0] * M.exp(-t * x[4])
        for k in range(3):
            model += x[1 + k] * M.exp(-((t - x[8 + k]) ** 2) * x[5 + k])
        out.append(M.mpf(OS2_Y[i - 1]) - model)
    return _sumsq(out)


def watson(x):
    n = len(x)
    out = []
    for i in range(1, 30):
        t = M.mpf(i) / 29
        s1 = M.fsum((j - 1) * x[j - 1] * t ** (j - 2) for j in range(2, n + 1))
        s2 = M.fsum(x[j - 1] * t ** (j - 1) for j in range(1, n + 1))
        out.append(s1 - s2 * s2 - 1)
    return _sumsq([*out, x[0], x[1] - x[0] ** 2 - 1])


def extended_rosenbrock(x):
    out = []
    for k in range(0, len(x), 2):
        out += [10 * (x[k + 1] - x[k] ** 2), 1 - x[k]]
    return _sumsq(out)


def penalty1(x):
    ra = M.sqrt(M.mpf("1e-5"))
    return _sumsq([ra * (t - 1) for t in x] + [M.fsum(t * t for t in x) - M.mpf("0.25")])


def penalty2(x):
    n = len(x)
    ra = M.sqrt(M.mpf("1e-5"))
    out = [x[0] - M.mpf("0.2")]
    for i in range(2, n + 1):
        y = M.exp(M.mpf(i) / 10) + M.exp(M.mpf(i - 1) / 10)
        out.append(ra * (M.exp(x[i - 1] / 10) + M.exp(x[i - 2] / 10) - y))
    for i in range(n + 1, 2 * n):
        out.append(ra * (M.exp(x[i - n] / 10) - M.exp(M.mpf(-1) / 10)))
    out.append(M.fsum((n - j + 1) * x[j - 1] ** 2 for j in range(1, n + 1)) - 1)
    return _sumsq(out)


def variably_dimensioned(x):
    s = M.fsum(j * (x[j - 1] - 1) for j in range(1, len(x) + 1))
    return _sumsq([t - 1 for t in x] + [s, s * s])


def trigonometric(x):
    n = len(x)
    c = M.fsum(M.cos(t) for t in x)
    return _sumsq([n - c + i * (1 - M.cos(x[i - 1])) - M.sin(x[i - 1]) for i in range(1, n + 1)])


def brown_almost_linear(x):
    n = len(x)
    s = M.fsum(x)
    return _sumsq([x[i] + s - (n + 1) for i in range(n - 1)] + [M.fprod(x) - 1])


def discrete_boundary_value(x):
    n = len(x)
    h = M.mpf(1) / (n + 1)
    xx = [M.zero, *x, M.zero]
    return _sumsq(
        [
            2 * xx[i] - xx[i - 1] - xx[i + 1] + h * h * (xx[i] + i * h + 1) ** 3 / 2
            for i in range(1, n + 1)
        ]
    )


def discrete_integral_equation(x):
    n = len(x)
    h = M.mpf(1) / (n + 1)
    t = [i * h for i in range(1, n + 1)]
    out = []
    for i in range(n):
        a = M.fsum(t[j] * (x[j] + t[j] + 1) ** 3 for j in range(i + 1))
        b = M.fsum((1 - t[j]) * (x[j] + t[j] + 1) ** 3 for j in range(i + 1, n))
        out.append(x[i] + h * ((1 - t[i]) * a + t[i] * b) / 2)
    return _sumsq(out)


def broyden_tridiagonal(x):
    xx = [M.zero, *x, M.zero]
    n = len(x)
    return _sumsq(
        [(3 - 2 * xx[i]) * xx[i] - xx[i - 1] - 2 * xx[i + 1] + 1 for i in range(1, n + 1)]
    )


def broyden_banded(x):
    n = len(x)
    out = []
    for i in range(1, n + 1):
        band = [j for j in range(max(1, i - 5), min(n, i + 1) + 1) if j != i]
        s = M.fsum(x[j - 1] * (1 + x[j - 1]) for j in band)
        out.append(x[i - 1] * (2 + 5 * x[i - 1] ** 2) + 1 - s)
    return _sumsq(out)


def linear_full_rank(x, m=None):
    n = len(x)
    m = 5 * n if m is None else m
    s = M.fsum(x)
    return _sumsq([x[i] - 2 * s / m - 1 for i in range(n)] + [-2 * s / m - 1] * (m - n))


def linear_rank1(x, m=None):
    n = len(x)
    m = 5 * n if m is None else m
    s = M.fsum(j * x[j - 1] for j in range(1, n + 1))
    return _sumsq([i * s - 1 for i in range(1, m + 1)])


def linear_rank1_zero(x, m=None):
    n = len(x)
    m = 5 * n if m is None else m
    s = M.fsum(j * x[j - 1] for j in range(2, n))
    return _sumsq([M.mpf(-1)] + [(i - 1) * s - 1 for i in range(2, m)] + [M.mpf(-1)])


def chebyquad(x):
    n = len(x)
    out = []
    for i in range(1, n + 1):
        mean = M.fsum(M.chebyt(i, 2 * t - 1) for t in x) / n
        out.append(mean - (M.mpf(-1) / (i * i - 1) if i % 2 == 0 else 0))
    return _sumsq(out)


INDEPENDENT = {
    name: fn
    for name, fn in globals().items()
    if callable(fn) and name in {c.name for c in MGH_CASES}
}


# -- tests -----------------------------------------------------------------------------------


def test_the_family_has_all_35_problems_numbered_1_to_35():
    assert len(MGH_CASES) == 35
    numbers = sorted(int(re.search(r"problem (\d+) \(", c.reference).group(1)) for c in MGH_CASES)
    assert numbers == list(range(1, 36))
    assert sum(c.has_hessian for c in MGH_CASES) >= 12
    assert set(INDEPENDENT) == {c.name for c in MGH_CASES}


def test_cli_lists_35_mgh_cases(tmp_path):
    out = run_cli("list", "--tag", "mgh", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 35
    assert {r["name"] for r in rows} == {c.name for c in MGH_CASES}


def _agree(got, want):
    """|got − want| within 1e-30 relative (both 40-digit; float data rounded alike)."""
    return abs(got - want) <= M.mpf("1e-30") * max(1, abs(want))


@pytest.mark.parametrize("mgh", MGH_CASES, ids=[c.name for c in MGH_CASES])
def test_value_at_x0_matches_an_independent_mp_evaluation(mgh):
    case = mgh
    x0 = case.point()
    got = case.cost(x0, fo.context("mp", DPS))[()]
    want = INDEPENDENT[case.name](_f(x0))
    assert _agree(M.mpf(got), want), f"{case.name}: {got} vs {want}"


def _other_n(case):
    n = case.dim
    for cand in (4, 6, 8, 3, 5, 12):
        if cand != n and case.accepts(cand):
            return cand
    raise AssertionError(f"no other dimension for {case.name}")


@pytest.mark.parametrize("mgh", SCALABLE, ids=[c.name for c in SCALABLE])
def test_scalable_case_at_a_non_default_n(mgh):
    case = mgh
    n = _other_n(case)
    x0 = case.point(n=n)
    assert x0.shape == (n,)
    mp = fo.context("mp", DPS)
    got = case.cost(x0, mp)[()]
    assert _agree(M.mpf(got), INDEPENDENT[case.name](_f(x0)))
    v = case.random_points(1, seed=7, n=n)[0]
    ref = reference_gradient(case, v, dps=REF_DPS)
    assert relative_gap(case.grad(v, mp), ref, float(case.cost(v))) <= 1e-30
    if case.has_hessian:
        h = case.hess(v)
        assert h.shape == (n, n)
        np.testing.assert_allclose(h, h.T, rtol=0, atol=1e-12 * np.max(np.abs(h)))


# Printed values at other points or dimensions, each checked at the precision printed.
# (case, n, point, value as printed or r0² of a printed residual norm r0, source)
TEST_OPT = "Burkardt TEST_OPT output (Algorithm 566 objectives)"
LMDER = "MINPACK-1 lmder test, initial residual norm squared"
MORE_WILD = "Moré & Wild (2009), as transcribed by estimagic"
ELSEWHERE = [
    ("variably_dimensioned", 4, None, "3222.19", TEST_OPT),
    ("watson", 4, None, "30.0000", TEST_OPT),
    ("penalty1", 4, None, "885.063", TEST_OPT),
    ("penalty2", 4, None, "2.34001", TEST_OPT),
    ("trigonometric", 4, None, "0.130531e-1", TEST_OPT),
    ("extended_rosenbrock", 4, None, "48.4000", TEST_OPT),
    ("extended_powell", 4, None, "215.000", TEST_OPT),
    ("chebyquad", 4, None, "0.711839e-1", TEST_OPT),
    ("box_3d", 3, [0.0, 10.0, 5.0], "34.7325", TEST_OPT),
    ("gulf", 3, [40.0, 20.0, 1.2], "1.20538", TEST_OPT),
    ("watson", 6, None, ("5.47722557505166", 2), LMDER),
    ("watson", 12, None, ("5.47722557505166", 2), LMDER),
    ("watson", 6, [10.0] * 6, ("6433.12578950026", 2), LMDER),
    ("chebyquad", 9, None, ("0.16994993465202", 2), LMDER),
    ("chebyquad", 10, None, ("0.183747831178711", 2), LMDER),
    ("brown_almost_linear", 30, None, ("83.476044467848", 2), LMDER),
    ("brown_almost_linear", 40, None, ("128.026364472323", 2), LMDER),
    ("meyer", 3, [0.2, 40000.0, 2500.0], ("4168216.89130846", 2), LMDER),
    ("kowalik_osborne", 4, [2.5, 3.9, 4.15, 3.9], ("2.97937007555202", 2), LMDER),
    ("helical_valley", 3, [-10.0, 0.0, 0.0], "10600", MORE_WILD),
    ("powell_singular", 4, [30.0, -10.0, 0.0, 10.0], "1.615400e6", MORE_WILD),
    ("freudenstein_roth", 2, [5.0, -20.0], "1.545754e8", MORE_WILD),
    ("bard", 3, [10.0, 10.0, 10.0], "1306.234", MORE_WILD),
    ("brown_dennis", 4, [250.0, 50.0, -50.0, -10.0], "3.081064e11", MORE_WILD),
    ("watson", 9, [0.5] * 9, "26.90417", MORE_WILD),
    ("watson", 12, [0.5] * 12, "73.67821", MORE_WILD),
    ("chebyquad", 6, None, "4.642817e-2", MORE_WILD),
    ("chebyquad", 11, None, "2.674060e-2", MORE_WILD),
    ("brown_almost_linear", 100, None, "2.524757e5", MORE_WILD),
    ("linear_full_rank", 9, [10.0] * 9, "1125", MORE_WILD),
    ("linear_rank1", 7, [10.0] * 7, "1.168591e9", MORE_WILD),
    ("linear_rank1_zero", 7, [10.0] * 7, "5.009356e8", MORE_WILD),
]


@pytest.mark.parametrize(
    ("name", "n", "point", "printed", "source"),
    ELSEWHERE,
    ids=[f"{e[0]}-n{e[1]}-{'x0' if e[2] is None else 'x'}" for e in ELSEWHERE],
)
def test_printed_values_at_other_points_and_dimensions(name, n, point, printed, source):
    case = next(c for c in MGH_CASES if c.name == name)
    x = case.point(n=n) if point is None else np.array(point)
    got = M.mpf(case.cost(x, fo.context("mp", DPS))[()])
    if isinstance(printed, tuple):  # a residual norm r0 printed to 15 digits: F = r0²
        # r0 was computed in double precision: its 15th digit is good only to a few
        # ulps of the double the driver computed, whichever is coarser.
        r0 = M.mpf(printed[0])
        dr0 = max(published_tolerance(printed[0]), 16 * np.finfo(float).eps * float(r0))
        tol = 2 * r0 * dr0 * 1.01
        want = r0**2
    else:
        want, tol = M.mpf(printed), published_tolerance(printed)
    assert abs(got - want) <= tol, f"{name} at n={n}: {got} vs {printed} ({source})"


def test_only_gulf_and_helical_valley_are_not_complex_safe():
    unsafe = {c.name for c in MGH_CASES if not c.complex_safe}
    assert unsafe == {"gulf", "helical_valley"}
    for name in unsafe:
        doc = next(c for c in MGH_CASES if c.name == name).doc
        assert "Not complex safe" in " ".join(doc.split())


def test_admissible_dimensions_follow_the_paper():
    by = {c.name: c for c in MGH_CASES}
    assert not by["extended_rosenbrock"].accepts(5) and by["extended_rosenbrock"].accepts(6)
    assert not by["extended_powell"].accepts(6) and by["extended_powell"].accepts(8)
    assert not by["watson"].accepts(1) and not by["watson"].accepts(32)
    assert by["watson"].accepts(31)
    assert not by["linear_rank1_zero"].accepts(2)
    assert not by["rosenbrock"].accepts(4)
    with pytest.raises(fo.FirstOrderError, match=r"case `extended_powell` does not accept"):
        by["extended_powell"].point(n=6)


COMPLEX_SAFE = [c for c in MGH_CASES if c.complex_safe]


@pytest.mark.parametrize("mgh", COMPLEX_SAFE, ids=[c.name for c in COMPLEX_SAFE])
def test_complex_step_of_a_complex_safe_case_is_its_gradient(mgh):
    """Im C(v + i h e_k)/h with h = 1e-200 is ∂C/∂v_k to rounding, with no cancellation."""
    v = mgh.random_points(1, seed=3)[0]
    h = 1e-200
    cs = np.imag(mgh.cost(v[None, :] + 1j * h * np.eye(len(v)), "complex128")) / h
    g = mgh.grad(v)
    assert np.max(np.abs(cs - g)) <= 64 * np.finfo(float).eps * np.max(np.abs(g))


# Final points printed by the MINPACK-1 lmder test (15 digits; transcribed in Apache
# Commons Math's MinpackTest). F is stationary there, so rounding the point moves F only
# to second order and F at the printed point checks the published minimum to its digits.
MINIMIZERS = {
    "bard": [0.0824105765758334, 1.1330366534715, 2.34369463894115],
    "kowalik_osborne": [0.192807810476249, 0.191262653354071, 0.123052801046931, 0.136053221150517],
    "meyer": [0.00560963647102661, 6181.34634628659, 345.223634624144],
    "jennrich_sampson": [0.257819926636811, 0.257829976764542],
    "brown_dennis": [-11.59125141003, 13.2024883984741, -0.403574643314272, 0.236736269844604],
    "osborne1": [
        0.375410049244025, 1.93584654543108, -1.46468676748716, 0.0128675339110439,
        0.0221227011813076,
    ],
    "osborne2": [
        1.30997663810096, 0.43155248076, 0.633661261602859, 0.599428560991695,
        0.754179768272449, 0.904300082378518, 1.36579949521007, 4.82373199748107,
        2.39868475104871, 4.56887554791452, 5.67534206273052,
    ],
    "watson": [
        -0.153070644166722e-4, 0.999789703934597, 0.0147639634910978, 0.146342330145992,
        1.00082109454817, -2.61773112070507, 4.10440313943354, -3.14361226236241,
        1.05262640378759,
    ],
    "chebyquad": [
        0.0431536648587336, 0.193091637843267, 0.266328593812698, 0.499999334628884,
        0.500000665371116, 0.733671406187302, 0.806908362156733, 0.956846335141266,
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MINIMIZERS))
def test_published_minimum_at_the_printed_minimizer(name):
    case = next(c for c in MGH_CASES if c.name == name)
    got = case.cost(np.array(MINIMIZERS[name]), fo.context("mp", DPS))[()]
    assert isinstance(case.minimum, str)
    assert abs(got - M.mpf(case.minimum)) <= published_tolerance(case.minimum)


WITH_XMIN = [c for c in MGH_CASES if "xmin" in c.points]


@pytest.mark.parametrize("mgh", WITH_XMIN, ids=[c.name for c in WITH_XMIN])
def test_named_minimizers_reach_the_minimum(mgh):
    got = mgh.cost(mgh.point("xmin"), fo.context("mp", DPS))[()]
    assert abs(got - M.mpf(mgh.minimum)) <= 1e-20
