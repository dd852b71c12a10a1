"""Report writing, from small hand-made tables."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from firstorder.report.plots import case_figure, clip_range
from firstorder.report.run_report import (
    errors_table,
    failures_table,
    index_html,
    markdown_table,
    orders_table,
    summary_markdown,
    write_report,
)
from firstorder.report.runfolder import RunFolder
from firstorder.report.tables import attention_table, banner, notes_table, overview_cells
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
    "fit",
    "fit_reason",
    "verdict",
    "reason",
]
GRADIENTS_REQUIRED = ["case", "backend", "precision", "point", "rel_error", "nfev"]


def _order_row(
    case,
    backend,
    precision,
    order,
    verdict,
    reason="",
    wrong="",
    located="",
    fit=None,
    point=0,
    judged=None,
):
    """An r1 row; the verdict rests on the whole-window fit where the fit's outcome is
    the verdict, unless ``judged`` (order, low, high) says what it rests on."""
    half = 0.01
    if judged is None and (fit or verdict) == verdict:
        judged = (order, order - half, order + half)
    judged = judged or (np.nan, np.nan, np.nan)
    return {
        "case": case,
        "backend": backend,
        "precision": precision,
        "point": point,
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
        "fit": fit or verdict,
        "fit_reason": reason,
        "verdict": verdict,
        "reason": reason,
        "wrong_components": wrong,
        "located": located,
        "judged_order": judged[0],
        "judged_order_ci_low": judged[1],
        "judged_order_ci_high": judged[2],
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


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One report written for every test that reads it (drawing its plots costs a
    CPU-second); the tests only read the folder."""
    result = small_result()
    base = tmp_path_factory.mktemp("written")
    with RunFolder("run", base=base, name="r") as folder:
        files = write_report(result, folder, {"seed": 0})
    return result, base / "r", files


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
    pngs = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))
    assert pngs == [
        "overview.png",
        "plots/bad.png",
        "plots/good.png",
        "plots/tests/bad-analytic-float64-p0-d0.png",
    ]
    assert sorted(f for f in files if f.endswith(".png")) == pngs
    assert all((folder / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
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
    why = "r1 converges at order 1.00, not 2: the gradient is wrong."
    assert f'<td class="fail" title="{why}">1.00 [0.99, 1.01] fail</td>' in page


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


# -- one verdict vocabulary (issue 13, item 7) -------------------------------------------


def test_every_orders_row_carries_its_tests_verdict_and_the_fit_has_its_own_column():
    """Today's defect: on linear · central the r1 and r2 rows said `verdict` fail while
    the test passed (r1 is the central gradient's own error, order 1)."""
    import firstorder as fo

    r = fo.run(["linear"], backends=["central"], precisions=["float64"], points=0, directions=1)
    o = r.orders
    # the automatic step makes central exact on a linear cost: every row says so
    assert set(o["verdict"]) == set(r.tests["verdict"]) == {"exact"}
    assert set(o["reason"]) == set(r.tests["reason"])
    assert "fit" in o and "fit_reason" in o
    assert "test_verdict" not in o and "test_reason" not in o


def _result_with(rows) -> RunResult:
    r = small_result()
    cases = pd.DataFrame(
        {"name": ["c"], "dim": [3], "tags": [""], "complex_safe": [True], "has_hessian": [False]}
    )
    spec = RunSpec(cases=("c",), backends=("analytic", "central"), precisions=("float64",))
    orders = pd.DataFrame(rows, columns=_ORDERS_COLUMNS)
    return RunResult(**{**r.__dict__, "spec": spec, "orders": orders, "cases": cases})


TAIL_REASON = (
    "r1 falls at order 0.29 [-0.40, 0.98] at the smallest clean steps, below the expected 2; "
    "the implied error of ∇C·d (4.1e-05) exceeds what `central` should make here (1.5e-05)."
)


def test_the_failures_table_quotes_the_order_its_reason_quotes():
    """Today's defect: osborne1's row showed the whole-window fit 1.97 beside a reason
    quoting the fit over the smallest clean steps, 0.29."""
    tail = (0.29, -0.40, 0.98)
    row = _order_row(
        "c", "central", "float64", 1.967, "fail", TAIL_REASON, "3", fit="fail", judged=tail
    )
    r = _result_with([row, _order_row("c", "analytic", "float64", 2.0, "pass")])
    f = failures_table(r)
    assert list(f["order"]) == ["0.29 [-0.40, 0.98]"]
    assert f["order"].iloc[0] in f["reason"].iloc[0]
    assert orders_table(r).loc[0, "central · float64"] == "0.29 [-0.40, 0.98] fail"
    assert "1.97" not in summary_markdown(r)


def test_a_verdict_not_read_from_an_order_shows_a_dash_and_its_reason():
    """Today's defect: linear · central showed `1.00 [1.00, 1.00] pass` under
    "expected 2"; a test at round-off showed a number instead of `exact`."""
    why = "r1 is the `central` gradient's own error h·|e·d| at every clean step."
    own = _order_row("c", "central", "float64", 1.0, "pass", why, fit="fail")
    exact = _order_row("c", "analytic", "float64", np.nan, "exact", "r1 stays at round-off.")
    r = _result_with([exact, own])
    table = orders_table(r).iloc[0]
    assert table["central · float64"] == "— pass"
    assert table["analytic · float64"] == "exact"
    assert list(notes_table(r)["reason"]) == [why]
    text = summary_markdown(r)
    assert "1.00 [" not in text and "Notes on the `—` cells" in text


def test_located_components_that_differ_print_differently_with_their_relative_difference():
    """Today's defect: osborne1 printed `central -411.656, reference -411.656`."""
    from firstorder.studies.tasks import _located

    class Diagnosis:
        def to_frame(self):
            return pd.DataFrame(
                {
                    "component": [3, 4],
                    "analytic": [-411.6563176, 3.0],
                    "reference": [-411.6559667, 2.0],
                }
            )

    class Result:
        diagnosis = Diagnosis()

    text = _located(Result(), "central")
    first, second = text.split("; ")
    a, r = (float(x) for x in re.findall(r"(-?\d+\.\d+)", first)[:2])
    assert a != r and abs(a - -411.6563176) < 1e-7 and abs(r - -411.6559667) < 1e-7
    assert "relative difference 8.5e-07" in first
    assert second == "[4] central 3, reference 2 (relative difference 0.33)"


# -- the page, the overview and the plots (issue 16) ---------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.banner = ""
        self._in_banner = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key])
        self._in_banner = "banner" in (a.get("class") or "")

    def handle_data(self, data):
        if self._in_banner:
            self.banner += data
            self._in_banner = False


def test_the_page_opens_with_a_banner_and_the_overview_and_links_each_failure_to_its_plot(
    written,
):
    _, folder, _ = written
    page = (folder / "index.html").read_text()
    parser = _Links()
    parser.feed(page)
    assert parser.banner == "FAILED — 1 of 4 Taylor tests failed: bad · analytic · float64 (1)."
    assert page.index("class='banner") < page.index("src='overview.png'") < page.index("Failures")
    plot = "plots/tests/bad-analytic-float64-p0-d0.png"
    assert plot in parser.links
    for link in parser.links:
        assert (folder / link).is_file(), link
    assert "<h2 id='rules'>Grid rules</h2>" in page
    summary = (folder / "summary.md").read_text()
    assert f"([plot]({plot}))" in summary and "![verdicts" in summary


def test_the_banner_says_when_nothing_failed():
    r = small_result()
    ok = RunResult(**{**r.__dict__, "orders": r.orders[r.orders["case"] == "good"]})
    assert banner(ok) == "Nothing failed: 2 Taylor tests: 2 pass."


def test_inconclusive_and_not_applicable_tests_are_listed_with_reasons_and_highlighted():
    rows = [
        _order_row("c", "analytic", "float64", np.nan, "inconclusive", "too few clean points."),
        _order_row(
            "c", "analytic", "float64", np.nan, "inconclusive", "too few clean points.", point=1
        ),
        _order_row("c", "central", "float64", np.nan, "not-applicable", "`central` cannot."),
    ]
    r = _result_with(rows)
    att = attention_table(r)
    assert list(att["tests"]) == ["p0 d0, p1 d0", "p0 d0"]
    assert list(att["reason"]) == ["too few clean points.", "`central` cannot."]
    drawn = [f"plots/tests/c-analytic-float64-p{k}-d0.png" for k in (0, 1)]
    page = index_html(r, drawn)
    assert all(f"<a href='{png}'>" in page for png in drawn)
    assert all(f"]({png})" in summary_markdown(r, drawn) for png in drawn)
    assert '<td class="inconclusive">inconclusive</td>' in page
    assert '<td class="not-applicable">not-applicable</td>' in page
    # in the orders table the cells say why on hover
    assert '<td class="inconclusive" title="too few clean points.">inconclusive</td>' in page
    assert '<td class="not-applicable" title="`central` cannot.">not-applicable</td>' in page
    assert list(orders_table(r).iloc[0])[2:] == ["inconclusive", "not-applicable"]
    _, _, grid = overview_cells(r)
    assert list(grid["text"]) == ["?", "n/a"]


def test_the_overview_is_one_readable_figure_for_the_whole_default_grid():
    """76 cases × 5 columns wrap into side-by-side blocks: the figure stays on one screen."""
    from firstorder.report.overview import overview_figure

    names = [f"case{i:02d}" for i in range(76)]
    rows = [
        _order_row(n, b, p, 2.0, "pass")
        for n in names
        for b, p in [("analytic", "float64"), ("analytic", "mp"), ("central", "float64")]
    ]
    r = small_result()
    spec = RunSpec(
        cases=tuple(names), backends=("analytic", "central"), precisions=("float64", "mp")
    )
    cases = pd.DataFrame(
        {"name": names, "dim": 2, "tags": "", "complex_safe": True, "has_hessian": False}
    )
    big = RunResult(
        **{
            **r.__dict__,
            "spec": spec,
            "orders": pd.DataFrame(rows, columns=_ORDERS_COLUMNS),
            "cases": cases,
        }
    )
    fig = overview_figure(big)
    width, height = fig.get_size_inches()
    assert width <= 14 and height <= 9  # 1400 × 900 pixels at 100 dpi
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == 76 * 3 and set(texts) == {"2.00"}
    assert min(t.get_fontsize() for ax in fig.axes for t in ax.texts) >= 8


def test_the_plot_clips_a_blow_up_and_says_so():
    """Today's defect: tiny_scale's y-axis ran to 1e190, squashing every curve."""
    h = 2.0 ** -np.arange(10, 60)
    r1 = h**2
    r1[:4] = [1e190, 1e120, 1e60, 1e20]  # the cost overflows at the largest steps
    window = (h < 1e-4) & (h > 1e-14)
    low, top = clip_range(h, np.vstack([h, r1]))
    assert r1[4] < top < 1e-2 and low <= r1[4:].min()  # r0 = h reaches 1e-3
    # a remainder that grows at its own order is information, never clipped
    assert clip_range(h, h * 1e12)[1] >= 1e12 * h[0]
    frame = pd.DataFrame({"h": h, "r0": h, "r1": r1, "r2": np.nan, "in_window": window})
    fig = case_figure("tiny", {"float64": frame}, None)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 1  # r0 ≤ 1e-4 in the window, plus the headroom
    assert "4 step(s) clipped, r up to 1e+190" in ax.get_xlabel()


def test_the_legend_lists_only_drawn_curves_and_stays_off_the_data():
    """Today's defect: r2 was listed without a Hessian, and the legend sat on the curves."""
    h = 10.0 ** -np.arange(1, 12)
    frame = pd.DataFrame({"h": h, "r0": h, "r1": h**2, "r2": np.nan, "in_window": h > 1e-8})
    fig = case_figure("c", {"float64": frame, "mp": frame}, None)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert not any(label.startswith("r2") for label in labels) and "r1 (slope 2)" in labels
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.legends[0].get_window_extent(renderer)
    assert all(not box.overlaps(ax.get_window_extent(renderer)) for ax in fig.axes)
    assert min(ax.title.get_fontsize() for ax in fig.axes) >= 10


def test_a_compact_report_keeps_only_the_small_files(tmp_path):
    result = small_result()
    with RunFolder("run", base=tmp_path, name="default") as folder:
        files = write_report(result, folder, compact=True)
    kept = sorted(
        p.relative_to(tmp_path / "default").as_posix() for p in (tmp_path / "default").rglob("*")
    )
    assert kept == sorted(files)
    assert kept == sorted(
        [
            "gradients.csv",
            "index.html",
            "orders.csv",
            "overview.png",
            "run.json",
            "spec.json",
            "summary.md",
        ]
    )
    page = (tmp_path / "default" / "index.html").read_text()
    assert "taylor.csv (not kept)" in page
    parser = _Links()
    parser.feed(page)
    assert all((tmp_path / "default" / link).is_file() for link in parser.links)


def test_run_compact_writes_the_kept_files_and_the_default_test_can_read_them(tmp_path, capsys):
    from firstorder.cli import main

    argv = ["run", "--case", "seed", "--precision", "float64", "--points", "0"]
    assert (
        main([*argv, "--directions", "1", "--out", str(tmp_path), "--name", "default", "--compact"])
        == 0
    )
    folder = tmp_path / "default"
    kept = ["gradients.csv", "index.html", "orders.csv", "overview.png", "run.json", "spec.json"]
    assert sorted(p.name for p in folder.iterdir()) == [*kept, "summary.md"]
    spec = json.loads((folder / "spec.json").read_text())["spec"]
    assert (
        spec["cases"] == ["seed"]
        and json.loads((folder / "run.json").read_text())["arguments"]["compact"]
    )
    orders = pd.read_csv(folder / "orders.csv", keep_default_na=False, na_values=[""])
    assert set(orders["verdict"]) == {"pass"} and {"fit", "fit_reason"} <= set(orders)
    assert "report:" in capsys.readouterr().out


class _InOrder:
    """An executor that runs ``map`` here (the pool path without starting processes)."""

    def __init__(self) -> None:
        self.tasks = 0

    def map(self, fn, chunks):
        chunks = list(chunks)
        self.tasks += len(chunks)
        return map(fn, chunks)


def test_plots_drawn_on_a_pool_are_the_plots_drawn_here(tmp_path, monkeypatch):
    """The pool gets the plots a few at a time and the files come back byte for byte,
    in the same order; a figure reused from one plot to the next leaves nothing behind."""
    from firstorder.report import plots

    result = small_result()
    here = plots.write_plots(result, tmp_path / "here")
    monkeypatch.setattr(plots, "_JOBS_PER_TASK", 1)
    pool = _InOrder()
    there = plots.write_plots(result, tmp_path / "pool", pool)
    assert here == there and pool.tasks == len(here) == 3
    for name in here:
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes()
    # each drawn on a new figure of its own: the same bytes as on the reused figures
    jobs = plots.case_plot_jobs(result)
    fresh = [plots.draw_pngs([job])[0] for job in jobs]
    assert fresh == [(tmp_path / "here" / name).read_bytes() for name, _, _ in jobs]


def test_a_judged_order_prints_the_decimals_its_interval_needs():
    """An interval just short of 2 never reads as one that holds 2 (the reason's digits)."""
    from firstorder.report.tables import JudgedOrder

    assert str(JudgedOrder(1.993, 1.989, 1.998)) == "1.993 [1.989, 1.998]"
    assert str(JudgedOrder(2.001, 1.994, 2.008)) == "2.00 [1.99, 2.01]"
