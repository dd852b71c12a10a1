"""Report writing, from small hand-made tables."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from firstorder.report.run_report import (
    errors_table,
    markdown_table,
    orders_table,
    summary_markdown,
    write_report,
)
from firstorder.report.runfolder import RunFolder
from firstorder.studies.grid import _GRAD_COLUMNS, _ORDERS_COLUMNS, RunResult, RunSpec

ORDERS_REQUIRED = [
    "case",
    "backend",
    "precision",
    "point",
    "direction",
    "remainder",
    "expected_order",
    "order",
    "order_ci_low",
    "order_ci_high",
    "h_min",
    "h_max",
    "n_points",
    "verdict",
    "reason",
]
GRADIENTS_REQUIRED = ["case", "backend", "precision", "point", "rel_error", "nfev"]


def _order_row(case, backend, precision, order, verdict, reason="", wrong="", located=""):
    half = 0.01
    return {
        "case": case,
        "backend": backend,
        "precision": precision,
        "point": 0,
        "direction": 0,
        "remainder": "r1",
        "expected_order": 2,
        "order": order,
        "order_ci_low": order - half,
        "order_ci_high": order + half,
        "h_min": 1e-6,
        "h_max": 1e-1,
        "n_points": 12,
        "coefficient_agreement": np.nan,
        "verdict": verdict,
        "reason": reason,
        "test_verdict": verdict,
        "test_reason": reason,
        "wrong_components": wrong,
        "located": located,
    }


def small_result() -> RunResult:
    """Two cases; `bad` fails with its analytic gradient (component 1 located)."""
    spec = RunSpec(cases=("good", "bad"), backends=("analytic", "central"), precisions=("float64",))
    orders = pd.DataFrame(
        [
            _order_row("good", "analytic", "float64", 2.001, "pass"),
            _order_row("good", "central", "float64", 1.999, "pass"),
            _order_row(
                "bad",
                "analytic",
                "float64",
                1.002,
                "fail",
                "r1 converges at order 1.00, not 2: the gradient is wrong.",
                "1",
                "[1] analytic 3, reference 2",
            ),
            _order_row("bad", "central", "float64", 2.0, "pass"),
        ],
        columns=_ORDERS_COLUMNS,
    )
    h = 10.0 ** -np.arange(1, 9)
    taylor = pd.concat(
        [
            pd.DataFrame(
                {
                    "case": c,
                    "backend": "analytic",
                    "precision": "float64",
                    "point": 0,
                    "direction": 0,
                    "h": h,
                    "r0": h,
                    "r1": h**p,
                    "r2": h**3,
                    "in_window": h > 1e-7,
                }
            )
            for c, p in (("good", 2), ("bad", 1))
        ],
        ignore_index=True,
    )
    grads = pd.DataFrame(
        [
            ["good", "analytic", "float64", 0, 2, 1e-16, 1e-16, 2, 0, "", "ok", ""],
            ["good", "central", "float64", 0, 2, 3e-11, 3e-11, 2, 4, "auto", "ok", ""],
            ["bad", "analytic", "float64", 0, 2, 0.5, 1.0, 2, 0, "", "ok", ""],
            ["bad", "central", "float64", 0, 2, 2e-11, 4e-11, 2, 4, "auto", "ok", ""],
        ],
        columns=_GRAD_COLUMNS,
    )
    steps = pd.DataFrame(
        {
            "case": "good",
            "backend": "central",
            "precision": "float64",
            "point": 0,
            "step": h,
            "rel_error": h**2 + 1e-16 / h,
        }
    )
    cases = pd.DataFrame(
        {
            "name": ["good", "bad"],
            "dim": [2, 2],
            "tags": ["", ""],
            "complex_safe": [True, True],
            "has_hessian": [False, False],
        }
    )
    return RunResult(
        spec=spec,
        orders=orders,
        taylor=taylor,
        gradients=grads,
        steps=steps,
        skipped=pd.DataFrame(columns=["case", "backend", "precision", "reason"]),
        cases=cases,
        problems=pd.DataFrame(columns=["source", "line", "case", "problem"]),
        wall_time_s=1.5,
    )


@pytest.fixture
def written(tmp_path):
    result = small_result()
    with RunFolder("run", base=tmp_path, name="r") as folder:
        files = write_report(result, folder, {"seed": 0})
    return result, tmp_path / "r", files


def test_the_result_reports_its_failures():
    r = small_result()
    assert not r.ok
    assert r.verdict_counts() == {"fail": 1, "pass": 3}
    assert list(r.failures["case"]) == ["bad"]
    assert r.to_frame().equals(r.orders)


def test_every_file_is_written(written):
    _, folder, files = written
    for f in ("orders.csv", "taylor.csv", "gradients.csv", "summary.md", "index.html", "run.json"):
        assert (folder / f).is_file() and f in files
    pngs = sorted(p.name for p in (folder / "plots").iterdir())
    assert pngs == ["bad.png", "good.png"]
    assert all((folder / "plots" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert os.readlink(folder.parent / "latest") == "r"


def test_csv_columns(written):
    _, folder, _ = written
    orders = pd.read_csv(folder / "orders.csv")
    assert [c for c in orders.columns if c in ORDERS_REQUIRED] == ORDERS_REQUIRED
    assert len(orders) == 4
    grads = pd.read_csv(folder / "gradients.csv")
    assert set(GRADIENTS_REQUIRED) <= set(grads.columns)
    taylor = pd.read_csv(folder / "taylor.csv")
    assert {"case", "backend", "precision", "point", "direction", "h", "r1"} <= set(taylor)
    assert len(taylor) == 16


def test_floats_survive_the_round_trip(written):
    result, folder, _ = written
    orders = pd.read_csv(folder / "orders.csv")
    np.testing.assert_array_equal(orders["order"], result.orders["order"].astype(float))


def test_summary_lists_failures_first_with_reason_and_components(written):
    _, folder, _ = written
    text = (folder / "summary.md").read_text()
    fail_at = text.index("## Failures")
    assert fail_at < text.index("## Taylor orders")
    block = text[fail_at : text.index("## Taylor orders")]
    assert "`bad` · analytic · float64" in block
    assert "not 2: the gradient is wrong" in block
    assert "wrong components: 1" in block and "[1] analytic 3, reference 2" in block
    assert "| good | 2 | 2.00 [1.99, 2.01] pass |" in text
    assert "| bad | 2 | 1.00 [0.99, 1.01] fail |" in text


def test_summary_without_failures_says_so():
    r = small_result()
    ok = RunResult(**{**r.__dict__, "orders": r.orders[r.orders["case"] == "good"]})
    text = summary_markdown(ok)
    assert "None: no Taylor test failed." in text


def test_run_json_records_versions_arguments_seed_and_times(written):
    result, folder, _ = written
    meta = json.loads((folder / "run.json").read_text())
    assert set(meta["versions"]) >= {"firstorder", "python", "numpy", "mpmath", "pandas"}
    assert meta["arguments"] == {"seed": 0} and meta["seed"] == 0
    assert meta["machine"]["cpus"] >= 1
    assert meta["started"] <= meta["finished"] and meta["wall_time_s"] >= 0
    assert meta["grid_wall_time_s"] == result.wall_time_s
    assert meta["verdicts"] == {"fail": 1, "pass": 3}
    assert meta["spec"]["cases"] == ["good", "bad"]


def test_spec_json_is_free_of_timing(written):
    _, folder, _ = written
    spec = json.loads((folder / "spec.json").read_text())
    assert spec["spec"]["cases"] == ["good", "bad"] and "wall_time_s" not in json.dumps(spec)


def test_index_html_is_offline_with_tables_and_plots(written):
    _, folder, _ = written
    page = (folder / "index.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert page.count("<table>") >= 3
    assert "src='plots/good.png'" in page and "src='plots/bad.png'" in page
    assert '<td class="fail">1.00 [0.99, 1.01] fail</td>' in page


def test_tables_one_row_per_case():
    r = small_result()
    o = orders_table(r)
    assert list(o["case"]) == ["good", "bad"]
    assert list(o.columns) == ["case", "dim", "analytic · float64", "central · float64"]
    e = errors_table(r).set_index("case")
    assert e.loc["bad", "analytic · float64"] == "0.50"
    assert e.loc["good", "central · float64"] == "3e-11"


def test_markdown_table_escapes_pipes():
    t = markdown_table(pd.DataFrame({"a": ["x|y"], "b": [1.0]}))
    assert t.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 1.00 |"]
