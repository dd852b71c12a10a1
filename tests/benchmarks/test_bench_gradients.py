"""Gradient speed: firstorder's batched backends against SciPy and numdifftools.

Run with ``pytest tests/benchmarks --benchmark-only`` (skipped otherwise). Cases are
local (``fo_local_cases``): extended Rosenbrock at n = 10 … 10 000 and a small tanh
network at a few hundred and a few thousand parameters.
"""

from __future__ import annotations

import fo_local_cases as L
import numpy as np
import pytest

import firstorder as fo
from firstorder.report.bench_report import ratio_summary, speed_ratios
from firstorder.studies.bench import bench_gradients

pytestmark = pytest.mark.benchmark

SIZES = [10, 100, 1000, 10000]
PAIRS = [
    ("central", "scipy-3point"),
    ("central@rule", "scipy-3point"),
    ("complex-step", "scipy-cs"),
]
OURS = ["central", "complex-step"]
PEERS = [p for p in ["scipy-3point", "scipy-cs", "numdifftools"] if p in fo.BACKENDS]


def params():
    out = []
    for n in SIZES:
        for b in OURS + PEERS:
            if b == "numdifftools" and n > 1000:
                continue  # about 100 s per gradient
            out.append(pytest.param(b, n, id=f"{b}-n{n}"))
    return out


@pytest.mark.parametrize(("backend", "n"), params())
def test_ext_rosenbrock(benchmark, backend, n):
    c = L.ext_rosenbrock
    x = c.point(n=n)
    benchmark.group = f"ext_rosenbrock n={n}"
    res = benchmark(fo.gradient, c, x, backend=backend)
    g = c.grad(x)
    rel = np.max(np.abs(res.as_float() - g)) / np.max(np.abs(g))
    benchmark.extra_info.update(nfev=res.nfev, rel_error=float(rel))
    assert res.ok and rel < 1e-6


@pytest.mark.parametrize("n", SIZES)
def test_ext_rosenbrock_central_with_its_step_search(benchmark, n):
    """``central`` with the automatic step searched afresh in every call."""
    from firstorder.gradients.finite_difference import clear_step_cache

    c = L.ext_rosenbrock
    x = c.point(n=n)
    benchmark.group = f"ext_rosenbrock n={n}"

    def cold():
        clear_step_cache()
        return fo.gradient(c, x, backend="central")

    res = benchmark(cold)
    g = c.grad(x)
    rel = np.max(np.abs(res.as_float() - g)) / np.max(np.abs(g))
    benchmark.extra_info.update(nfev=res.nfev, rel_error=float(rel))
    assert res.ok and rel < 1e-6


@pytest.mark.parametrize("n", [320, 2400])
@pytest.mark.parametrize("backend", OURS + [p for p in PEERS if p != "numdifftools"])
def test_neural(benchmark, backend, n):
    c = L.local_neural
    x = c.point(n=n)
    benchmark.group = f"neural n={n}"
    res = benchmark(fo.gradient, c, x, backend=backend)
    benchmark.extra_info.update(nfev=res.nfev)
    assert res.ok


def test_speed_ratios(benchmark, capsys):
    """Ours against the matching SciPy method, side by side in one run (not asserted)."""
    backends = [
        b
        for b in ["central", "central@rule", "complex-step", "scipy-3point", "scipy-cs"]
        if b.split("@")[0] in fo.BACKENDS
    ]
    frame = benchmark.pedantic(
        bench_gradients,
        args=([L.ext_rosenbrock],),
        kwargs={"sizes": SIZES, "backends": backends, "repeats": 5},
        rounds=1,
        iterations=1,
    )
    t = frame.pivot(index="n", columns="backend", values="median_time")
    lines = []
    for ours, peer in PAIRS:
        if peer in t:
            ratio = t[peer] / t[ours]
            benchmark.extra_info[f"{peer}/{ours}"] = {int(k): float(v) for k, v in ratio.items()}
            lines.append(
                f"{peer}/{ours}: " + ", ".join(f"n={k}: {v:.1f}x" for k, v in ratio.items())
            )
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_richardson_against_numdifftools(benchmark, capsys):
    """Automatic-step Richardson against numdifftools on the issue's cases, one run."""
    if "numdifftools" not in fo.BACKENDS:
        pytest.skip("numdifftools is not installed")
    cases = ["rosenbrock", "watson", "levy13", "osborne1", "brown_badly_scaled"]
    cases += ["huge_offset", "scosine", "tiny_scale"]
    frame = benchmark.pedantic(
        bench_gradients,
        args=(cases,),
        kwargs={"backends": ["richardson", "numdifftools"], "repeats": 3},
        rounds=1,
        iterations=1,
    )
    t = frame.pivot(index="case", columns="backend", values="median_time")
    e = frame.pivot(index="case", columns="backend", values="rel_error")
    summary = ratio_summary(speed_ratios(frame)).iloc[0]
    benchmark.extra_info.update(
        geomean_ratio=float(summary["geomean_ratio"]),
        min_ratio=float(summary["min_ratio"]),
        min_accuracy_gain=float(summary["min_accuracy_gain"]),
    )
    with capsys.disabled():
        print()
        for case in cases:
            print(
                f"{case}: numdifftools {e.loc[case, 'numdifftools']:.1e} "
                f"richardson {e.loc[case, 'richardson']:.1e}, "
                f"{t.loc[case, 'numdifftools'] / t.loc[case, 'richardson']:.0f}x faster"
            )
        print(
            f"richardson over numdifftools: {summary['geomean_ratio']:.1f}x (geometric mean), "
            f"least {summary['min_ratio']:.1f}x ({summary['slowest_at']}); least accuracy "
            f"gain where numdifftools succeeds {summary['min_accuracy_gain']:.2g}"
        )


@pytest.mark.parametrize("precision", ["float64", "mp"])
def test_one_taylor_test(benchmark, precision):
    """One Taylor test of rosenbrock (all steps in one batched call)."""
    benchmark.group = "taylor"
    res = benchmark(fo.taylor_test, "rosenbrock", precision=precision)
    benchmark.extra_info.update(verdict=res.verdict, order=float(res.order))
    assert res.verdict == "pass"


def test_one_default_run(benchmark):
    """The whole default grid (every case, analytic/central/complex-step, float64 and
    mp, x0 + 2 points, 2 directions), serially, without writing a report."""
    benchmark.group = "run"
    result = benchmark.pedantic(fo.run, rounds=1, iterations=1)
    orders = result.orders
    benchmark.extra_info.update(taylor_tests=int(orders.shape[0]))
    assert len(orders) > 0
