"""``bench_gradients``: the table's shape and counts (times are not asserted)."""

from __future__ import annotations

import fo_local_cases as L
import numpy as np
import pytest

import firstorder as fo
from firstorder.studies.bench import bench_gradients


def test_bench_table():
    backends = ["central", "central@rule", "complex-step", "forward"]
    frame = bench_gradients(
        [L.ext_rosenbrock, "squire_trapp"], sizes=[4, 8], backends=backends, repeats=2
    )
    assert len(frame) == (2 + 1) * len(backends)
    assert {
        "case",
        "n",
        "backend",
        "median_time",
        "min_time",
        "max_time",
        "nfev",
        "cost_time",
        "time_per_cost_eval",
        "rel_error",
        "truth",
        "status",
        "step_rule",
        "warm_time",
    } <= set(frame.columns)
    row = frame.set_index(["case", "n", "backend"])
    assert row.loc[("local_ext_rosenbrock", 8, "central@rule"), "nfev"] == 16
    assert row.loc[("local_ext_rosenbrock", 8, "central@rule"), "step_rule"] == "rule"
    # the automatic step's search is in every timed call, and counted
    assert row.loc[("local_ext_rosenbrock", 8, "central"), "nfev"] > 16
    assert row.loc[("local_ext_rosenbrock", 8, "central"), "step_rule"] == "auto"
    assert row.loc[("squire_trapp", 1, "complex-step"), "rel_error"] <= 8 * np.finfo(float).eps
    assert (frame["min_time"] <= frame["median_time"]).all()
    assert (frame["median_time"] <= frame["max_time"]).all()
    assert set(frame["truth"]) == {"analytic"}


def test_bench_truth_without_analytic_gradient():
    frame = bench_gradients([L.trig], sizes=[5, 80], backends=["central"], repeats=1)
    assert list(frame["truth"]) == ["reference", "complex-step"]
    assert (frame["rel_error"] < 1e-8).all()


def test_bench_bad_input():
    with pytest.raises(fo.FirstOrderError, match="unknown backend"):
        bench_gradients(["squire_trapp"], backends=["nope"])
    with pytest.raises(fo.FirstOrderError, match="step rule"):
        bench_gradients(["squire_trapp"], backends=["analytic@rule"])
    with pytest.raises(fo.FirstOrderError, match="`repeats`"):
        bench_gradients(["squire_trapp"], repeats=0)


def test_bench_markdown_gives_the_unit_of_the_cost_ratio():
    from firstorder.report.bench_report import bench_markdown

    frame = bench_gradients(["squire_trapp"], sizes=[1], backends=["central"], repeats=1)
    md = bench_markdown(frame, 1.0)
    header = next(t for t in md.splitlines() if t.startswith("| case"))
    assert "time_cost_evals" in header
    assert "in units of one cost evaluation's time" in md
