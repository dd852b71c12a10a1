"""``bench_gradients``: the table's shape and counts (times are not asserted)."""

from __future__ import annotations

import fo_local_cases as L
import numpy as np
import pytest

import firstorder as fo
from firstorder.studies.bench import COLUMNS, bench_gradients


def test_bench_table():
    backends = ["central", "central@rule", "complex-step", "forward"]
    frame = bench_gradients(
        [L.ext_rosenbrock, "squire_trapp"], sizes=[4, 8], backends=backends, repeats=2
    )
    assert len(frame) == (2 + 1) * len(backends)
    assert tuple(frame.columns) == COLUMNS
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


def test_ratio_summary_gives_geometric_mean_least_ratio_and_accuracy():
    import pandas as pd

    from firstorder.report.bench_report import ratio_summary, speed_ratios

    rows = []
    # ours takes 1 ms everywhere; the peer 8 ms at a, 2 ms at b (and fails at c)
    for case, peer_time, peer_error in [("a", 8e-3, 1e-12), ("b", 2e-3, 1e-14), ("c", 4e-3, 1.0)]:
        rows += [
            {
                "case": case,
                "n": 2,
                "backend": "richardson",
                "median_time": 1e-3,
                "min_time": 0.5e-3,
                "rel_error": 1e-13,
            },
            {
                "case": case,
                "n": 2,
                "backend": "numdifftools",
                "median_time": peer_time,
                "min_time": peer_time,
                "rel_error": peer_error,
            },
        ]
    summary = ratio_summary(speed_ratios(pd.DataFrame(rows)))
    row = summary.set_index(["ours", "peer"]).loc[("richardson", "numdifftools")]
    assert row["measurements"] == 3
    assert np.isclose(row["geomean_ratio"], 4.0) and np.isclose(row["min_ratio"], 2.0)
    assert row["slowest_at"] == "b n=2"
    # of the fastest samples: ours 0.5 ms
    assert np.isclose(row["geomean_best_ratio"], 8.0) and np.isclose(row["min_best_ratio"], 4.0)
    # the peer's failure at c does not count: 1e-14 / 1e-13 at b
    assert np.isclose(row["min_accuracy_gain"], 0.1)
    assert ratio_summary(speed_ratios(pd.DataFrame(rows[:1]))).empty


def test_bench_case_spec_names_a_size_with_the_case():
    from firstorder.cli.bench import _case_spec

    assert _case_spec("watson", [10, 100]) == ("watson", [10, 100])
    assert _case_spec("watson:9", [10, 100]) == ("watson", [9])
    for bad in ("watson:", "watson:0", "watson:x"):
        with pytest.raises(fo.FirstOrderError, match="NAME:N"):
            _case_spec(bad, [10])
