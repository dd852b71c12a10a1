"""``firstorder bench``: the table, the plots and the run folder, from outside the repo."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from fo_support import run_cli

from firstorder.report.bench_report import speed_ratios


def test_bench_with_peers_writes_table_markdown_and_plots(tmp_path):
    out = tmp_path / "reports"
    res = run_cli(
        "bench",
        "--case",
        "ext_rosenbrock",
        "--sizes",
        "10,20",
        "--backend",
        "central",
        "--backend",
        "central@rule",
        "--backend",
        "complex-step",
        "--peers",
        "--repeats",
        "2",
        "--out",
        str(out),
        "--quiet",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    folder = out / "latest"
    assert {p.name for p in folder.iterdir()} >= {
        "bench.csv",
        "bench.md",
        "run.json",
        "time_vs_n.png",
        "error_vs_time.png",
    }
    frame = pd.read_csv(folder / "bench.csv")
    assert set(frame["n"]) == {10, 20}
    assert {"central", "complex-step", "scipy-3point", "scipy-cs", "numdifftools"} <= set(
        frame["backend"]
    )
    for col in (
        "median_time",
        "min_time",
        "max_time",
        "nfev",
        "time_per_cost_eval",
        "rel_error",
        "peak_memory",
    ):
        assert col in frame
    assert (frame["min_time"] <= frame["median_time"]).all()
    assert (frame["median_time"] <= frame["max_time"]).all()
    # nfev: 2n for central with SciPy's rule, n for the complex step, as points
    # evaluated; the automatic step adds its search, which every timed call repeats
    central = frame[frame["backend"] == "central@rule"].set_index("n")["nfev"]
    assert central.to_dict() == {10: 20, 20: 40}
    auto = frame[frame["backend"] == "central"].set_index("n")
    assert (auto["nfev"] > central).all() and set(auto["step_rule"]) == {"auto"}
    # the time with the search reused is recorded beside it, for the searched backend
    # only (which is faster is the bench's to measure, not a unit test's)
    assert (auto["warm_time"] > 0).all()
    unsearched = frame[frame["backend"].isin(["central@rule", "complex-step"])]
    assert len(unsearched) and unsearched["warm_time"].isna().all()
    cs = frame[frame["backend"] == "complex-step"]
    assert (cs["rel_error"] <= 8 * np.finfo(float).eps).all()
    # the same error as SciPy's same formula, to a few ulps of the truncation error
    pairs = speed_ratios(frame)
    row = pairs[(pairs["ours"] == "central@rule") & (pairs["peer"] == "scipy-3point")]
    assert np.allclose(row["our_error"], row["peer_error"], rtol=0.1)
    # the automatic step is no less accurate than SciPy's rule
    row = pairs[(pairs["ours"] == "central") & (pairs["peer"] == "scipy-3point")]
    assert (row["our_error"] <= row["peer_error"]).all()
    md = (folder / "bench.md").read_text()
    assert "Speed ratios" in md and "scipy-3point" in md
    meta = json.loads((folder / "run.json").read_text())
    assert meta["arguments"]["sizes"] == [10, 20]


def test_bench_bad_input_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "reports"
    for args in (
        ["--sizes", "10,x"],
        ["--backend", "nope"],
        ["--case", "nope"],
        ["--case", "ext_rosenbrock", "--sizes", "11"],
        ["--case", "ext_rosenbrock:11"],
        ["--case", "watson:x"],
        ["--case", "rosenbrock:3"],
    ):
        res = run_cli("bench", *args, "--out", str(out), cwd=tmp_path)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.startswith("firstorder: error:") and "Traceback" not in res.stderr
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_bench_jobs_runs_each_case_and_size_in_worker_processes(tmp_path):
    out = tmp_path / "reports"
    # the fixed rule: 2n evaluations per gradient, nothing spent on a step search
    args = ["--case", "ext_rosenbrock", "--sizes", "10,20", "--backend", "central@rule"]
    res = run_cli("bench", *args, "--repeats", "1", "--jobs", "2", "--out", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    frame = pd.read_csv(out / "latest" / "bench.csv")
    assert frame[["n", "nfev"]].values.tolist() == [[10, 20], [20, 40]]
    # progress on stderr, ending with every measurement done
    assert res.stderr.strip().splitlines()[-1].startswith("bench: 2/2 measurements done")
