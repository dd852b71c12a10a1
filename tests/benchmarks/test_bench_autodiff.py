"""Autodiff speed: `autodiff` (reverse) and `autodiff-fwd` beside central differences
and SciPy's 3-point differences on extended Rosenbrock, n = 10 … 10 000.

Run with ``pytest tests/benchmarks/test_bench_autodiff.py --benchmark-only`` in an
environment with the ``autodiff`` extra (``tox -e autodiff -- tests/benchmarks/...``).
The compile (the first call at each n) is kept out of the timed rounds and reported
in ``extra_info``.
"""

from __future__ import annotations

import fo_local_cases as L
import pytest

import firstorder as fo
from firstorder.studies.bench import bench_gradients

pytest.importorskip("jax", reason="needs the `autodiff` extra: pip install 'firstorder[autodiff]'")

from firstorder.gradients.autodiff import time_gradient

pytestmark = pytest.mark.benchmark

SIZES = [10, 100, 1000, 10000]
#: The speed goal of issue 17 at n = 10⁴ (steady state, scipy-3point over autodiff).
GOAL = 100


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("backend", ["autodiff", "autodiff-fwd"])
def test_ext_rosenbrock_autodiff(benchmark, backend, n):
    c = L.ext_rosenbrock
    x = c.point(n=n)
    mode = "reverse" if backend == "autodiff" else "forward"
    timing = time_gradient(c, x, mode, repeat=1)  # compiles this case at this n
    benchmark.group = f"ext_rosenbrock n={n}"
    res = benchmark(fo.gradient, c, x, backend=backend)
    benchmark.extra_info.update(nfev=res.nfev, compile_s=timing.compile_s)
    assert res.ok


def test_autodiff_against_scipy_3point_side_by_side(benchmark, capsys):
    """Steady-state autodiff against SciPy's 3-point, measured in one run."""
    backends = [b for b in ["central", "autodiff", "scipy-3point"] if b in fo.BACKENDS]
    frame = benchmark.pedantic(
        bench_gradients,
        args=([L.ext_rosenbrock],),
        kwargs={"sizes": SIZES, "backends": backends, "repeats": 5},
        rounds=1,
        iterations=1,
    )
    t = frame.pivot(index="n", columns="backend", values="median_time")
    first = frame.pivot(index="n", columns="backend", values="first_time")["autodiff"]
    lines = [
        f"autodiff compile (first call): { {int(k): round(float(v), 3) for k, v in first.items()} }"
    ]
    if "scipy-3point" in t:
        ratio = t["scipy-3point"] / t["autodiff"]
        benchmark.extra_info["scipy-3point/autodiff"] = {int(k): float(v) for k, v in ratio.items()}
        lines.append(
            "scipy-3point/autodiff: " + ", ".join(f"n={k}: {v:.0f}x" for k, v in ratio.items())
        )
        assert ratio[10000] >= GOAL
    with capsys.disabled():
        print("\n" + "\n".join(lines))
