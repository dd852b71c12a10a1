"""Reports of a run: CSV tables, summary.md, index.html, run.json and plots.

Everything is written into a :class:`~firstorder.report.runfolder.RunFolder`, which renames
the finished folder into place; nothing here prints. ``reports/README.md`` explains
each file and column. Only ``run.json`` holds timing; every other file is the same for
the same seed and arguments.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from ..studies.grid import RunResult
from .markdown import escape, fmt, markdown_table
from .runfolder import RunFolder

__all__ = [
    "errors_table",
    "index_html",
    "markdown_table",
    "orders_table",
    "summary_markdown",
    "write_report",
]

#: Verdicts from worst to best: a summary cell shows its worst test.
_RANK = {"fail": 0, "inconclusive": 1, "not-applicable": 2, "exact": 3, "pass": 4}


def _cell_key(backend: str, precision: str) -> str:
    return f"{backend} · {precision}"


def _cell_text(tests: pd.DataFrame) -> str:
    """One summary cell: the worst test's r1 order [CI] and verdict, with a tally."""
    ranks = tests["test_verdict"].map(lambda v: _RANK.get(v, -1))
    worst_rank = ranks.min()
    worst = tests[ranks == worst_rank]
    dev = (worst["order"].astype(float) - worst["expected_order"].astype(float)).abs()
    row = worst.loc[dev.fillna(np.inf).idxmax()] if dev.notna().any() else worst.iloc[0]
    verdict = str(row["test_verdict"])
    counts = tests["test_verdict"].value_counts()
    tally = f" {counts[verdict]}/{len(tests)}" if len(counts) > 1 else ""
    if pd.isna(row["order"]):
        return f"{verdict}{tally}"
    return (
        f"{float(row['order']):.2f} [{float(row['order_ci_low']):.2f}, "
        f"{float(row['order_ci_high']):.2f}] {verdict}{tally}"
    )


def orders_table(result: RunResult) -> pd.DataFrame:
    """One row per case: dim, and per backend × precision the r1 order, interval, verdict.

    Each cell shows the worst of the cell's tests (over points and directions): its
    fitted r1 order with confidence interval and verdict, and the count of tests with
    that verdict when verdicts differ.
    """
    tests = result.tests
    present = set(zip(tests["backend"], tests["precision"], strict=True)) if len(tests) else set()
    cols = [
        _cell_key(b, p)
        for b in result.spec.backends
        for p in result.spec.precisions
        if (b, p) in present
    ]
    rows = []
    for _, c in result.cases.iterrows():
        row: dict[str, Any] = {"case": c["name"], "dim": int(c["dim"])}
        mine = tests[tests["case"] == c["name"]] if len(tests) else tests
        for b in result.spec.backends:
            for p in result.spec.precisions:
                key = _cell_key(b, p)
                if key not in cols:
                    continue
                part = (
                    mine[(mine["backend"] == b) & (mine["precision"] == p)] if len(mine) else mine
                )
                row[key] = _cell_text(part) if len(part) else "skipped"
        rows.append(row)
    return pd.DataFrame(rows, columns=["case", "dim", *cols])


def errors_table(result: RunResult) -> pd.DataFrame:
    """One row per case: per backend × precision, the largest relative gradient error.

    The maximum over the run's points of ‖g − g_ref‖∞ / ‖g_ref‖∞ against the mp
    reference; ``n/a`` where the backend or the reference does not apply.
    """
    g = result.gradients
    keys = (
        [] if len(g) == 0 else list(dict.fromkeys(zip(g["backend"], g["precision"], strict=True)))
    )
    rows = []
    for _, c in result.cases.iterrows():
        row: dict[str, Any] = {"case": c["name"]}
        mine = g[g["case"] == c["name"]] if len(g) else g
        for b, p in keys:
            part = mine[(mine["backend"] == b) & (mine["precision"] == p)]
            ok = part[part["status"] == "ok"]
            if len(ok):
                row[_cell_key(b, p)] = fmt(ok["rel_error"].max(), 2)
            elif len(part):
                row[_cell_key(b, p)] = "n/a"
            else:
                row[_cell_key(b, p)] = "skipped"
        rows.append(row)
    return pd.DataFrame(rows, columns=["case", *(_cell_key(b, p) for b, p in keys)])


def failures_table(result: RunResult) -> pd.DataFrame:
    """The failed Taylor tests, with reasons and located components."""
    f = result.failures
    cols = [
        "case",
        "backend",
        "precision",
        "point",
        "direction",
        "order",
        "test_reason",
        "wrong_components",
        "located",
    ]
    if len(f) == 0:
        return pd.DataFrame(columns=cols)
    return f[cols].rename(columns={"test_reason": "reason"})


def _counts_line(result: RunResult) -> str:
    counts = result.verdict_counts()
    tests = sum(counts.values())
    parts = ", ".join(f"{v} {k}" for k, v in counts.items())
    return f"{tests} Taylor tests: {parts or 'none'}."


def summary_markdown(result: RunResult, plots: list[str] | None = None) -> str:
    """The run's summary.md: failures first, then one row per case.

    Parameters
    ----------
    result
        The run.
    plots
        Plot files (relative paths) to link.
    """
    spec = result.spec
    out = ["# firstorder run", ""]
    out.append(
        f"Cases: {len(spec.cases)}; backends: {', '.join(spec.backends)}; precisions: "
        f"{', '.join(spec.precisions)} (mp at {spec.dps} digits); points: x0 + {spec.points}; "
        f"directions: {spec.directions}; seed: {spec.seed}."
    )
    out.append("")
    out.append(_counts_line(result))
    out.append("")
    out.append("## Failures")
    out.append("")
    fails = failures_table(result)
    if len(result.problems):
        out.append("Cases that failed to load:")
        out.append("")
        for p in result.problems.to_dict("records"):
            line = "" if p["line"] is None or pd.isna(p["line"]) else f":{int(p['line'])}"
            out.append(f"- `{p['source']}{line}`: {p['problem']}")
        out.append("")
    if len(fails):
        for r in fails.to_dict("records"):
            where = (
                f"`{r['case']}` · {r['backend']} · {r['precision']} · point {r['point']} · "
                f"direction {r['direction']}"
            )
            out.append(f"- {where}: {escape(r['reason'])}")
            if r["wrong_components"]:
                out.append(f"  - wrong components: {r['wrong_components']}")
            if r["located"]:
                out.append(f"  - {escape(r['located'])}")
        out.append("")
    elif not len(result.problems):
        out.append("None: no Taylor test failed.")
        out.append("")
    out.append("## Taylor orders (r1, expected 2)")
    out.append("")
    out.append(
        "Each cell: the fitted order of the remainder r1 = |C(v+hd) − C(v) − h ∇C·d| "
        "with its confidence interval and the verdict, for the worst of the cell's tests "
        "over points and directions (with the count when verdicts differ)."
    )
    out.append("")
    out.append(markdown_table(orders_table(result)))
    out.append("")
    out.append("## Gradient errors against the mp reference")
    out.append("")
    out.append(
        "Each cell: the largest relative error ‖g − g_ref‖∞ / ‖g_ref‖∞ over the points "
        f"(reference: mpmath at {spec.dps} digits)."
    )
    out.append("")
    out.append(markdown_table(errors_table(result)))
    out.append("")
    out.append("## Grid rules")
    out.append("")
    rules: dict[str, Any] = spec.rules
    out.append(
        "- `complex-step` runs in float64 only, `reference` in mp only.\n"
        "- In mp, the Taylor test runs at x0 in the first direction for the exact backends "
        "(analytic, reference); "
        "finite-difference backends get their gradient error, for dimension ≤ "
        f"{rules['mp_max_dim']}.\n"
        f"- Gradient errors compare every component for dimension ≤ "
        f"{rules['ref_full_max_dim']}, a seeded sample of {rules['ref_sample']} above.\n"
        f"- Step sweeps run at x0 in float64 for dimension ≤ {rules['sweep_max_dim']}."
    )
    if len(result.skipped):
        out.append(f"- {len(result.skipped)} grid cells were dropped by these rules:")
        groups = result.skipped.groupby(["backend", "precision", "reason"], sort=False)
        for key, part in groups:
            b, prec, why = (str(k) for k in key)
            out.append(f"  - {b} · {prec}: {len(part)} case(s) — {why}")
    out.append("")
    if plots:
        out.append("## Plots")
        out.append("")
        for png in plots:
            out.append(f"- [{png}]({png})")
        out.append("")
    out.append("Files and columns are explained in `reports/README.md`.")
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f0f0f0} .fail{background:#fdd} img{max-width:100%;border:1px solid #eee}
"""


def _html_table(frame: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        text = fmt(v) if isinstance(v, float) else str(v)
        cls = ' class="fail"' if " fail" in f" {text}" else ""
        return f"<td{cls}>{html.escape(text)}</td>"

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def index_html(result: RunResult, plots: list[str]) -> str:
    """A single offline page: counts, failures, the tables and the plots."""
    spec = result.spec
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>firstorder run</title><style>{_CSS}</style></head><body>",
        "<h1>firstorder run</h1>",
        f"<p>{html.escape(_counts_line(result))} Cases: {len(spec.cases)}; backends: "
        f"{html.escape(', '.join(spec.backends))}; precisions: "
        f"{html.escape(', '.join(spec.precisions))}; seed {spec.seed}.</p>",
        "<p>Tables: <a href='orders.csv'>orders.csv</a> · <a href='taylor.csv'>taylor.csv</a>"
        " · <a href='gradients.csv'>gradients.csv</a> · <a href='steps.csv'>steps.csv</a>"
        " · <a href='summary.md'>summary.md</a> · <a href='run.json'>run.json</a></p>",
        "<h2>Failures</h2>",
    ]
    fails = failures_table(result)
    if len(result.problems):
        parts.append("<p>Cases that failed to load:</p>" + _html_table(result.problems))
    parts.append(_html_table(fails) if len(fails) else "<p>None: no Taylor test failed.</p>")
    parts.append("<h2>Taylor orders (r1, expected 2)</h2>")
    parts.append(_html_table(orders_table(result)))
    parts.append("<h2>Gradient errors against the mp reference</h2>")
    parts.append(_html_table(errors_table(result)))
    if plots:
        parts.append("<h2>Plots</h2>")
        parts.append(
            "<p>Left: remainders r0, r1, r2 against h (log-log); dashed lines have slopes "
            "1, 2, 3; the shaded band is the clean window of the fit. Right: gradient "
            "error against step, the V-shaped curves.</p>"
        )
        for p in plots:
            parts.append(f"<h3>{html.escape(p)}</h3><img src='{html.escape(p)}' alt='{p}'>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(
    result: RunResult,
    folder: RunFolder,
    args: dict[str, Any] | None = None,
    plots: bool = True,
) -> list[str]:
    """Write every report file of a run into a prepared run folder.

    Parameters
    ----------
    result
        The run.
    folder
        The run folder (its temporary path; the caller commits it).
    args
        The command-line arguments, for ``run.json``.
    plots
        Whether to draw ``plots/*.png``.

    Returns
    -------
    list of str
        The files written, relative to the folder.
    """
    folder.prepare()
    folder.write_csv("orders.csv", result.orders)
    # every step of every test: 7 digits are plenty to read and plot, and keep the
    # kept default report small
    folder.write_csv("taylor.csv", result.taylor, digits=7)
    folder.write_csv("gradients.csv", result.gradients)
    folder.write_csv("steps.csv", result.steps, digits=7)
    pngs: list[str] = []
    if plots:
        from .plots import write_case_plots

        pngs = write_case_plots(result, folder.path)
    folder.write_text("summary.md", summary_markdown(result, pngs))
    folder.write_text("index.html", index_html(result, pngs))
    spec = {
        "spec": result.spec.to_dict(),
        "rules": result.spec.rules,
        "verdicts": result.verdict_counts(),
    }
    folder.write_json("spec.json", spec)
    extra = result.to_dict()
    extra["grid_wall_time_s"] = extra.pop("wall_time_s")
    extra["seed"] = result.spec.seed
    folder.write_json("run.json", folder.metadata(args or result.spec.to_dict(), extra))
    files = ["orders.csv", "taylor.csv", "gradients.csv", "steps.csv", *pngs]
    return [*files, "summary.md", "index.html", "spec.json", "run.json"]
