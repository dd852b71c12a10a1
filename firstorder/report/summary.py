"""summary.md of a run: the banner, failures first, then the tables and the grid rules."""

from __future__ import annotations

import pandas as pd

from ..studies.grid import RunResult
from .markdown import escape, markdown_table
from .tables import (
    attention_table,
    banner,
    counts_line,
    errors_table,
    failures_table,
    grid_rules,
    notes_table,
    orders_table,
    test_plot_name,
)

__all__ = ["summary_markdown"]


def _head(result: RunResult, overview: str | None) -> list[str]:
    spec = result.spec
    out = [
        "# firstorder run",
        "",
        f"**{escape(banner(result))}**",
        "",
        f"Cases: {len(spec.cases)}; backends: {', '.join(spec.backends)}; precisions: "
        f"{', '.join(spec.precisions)} (mp at {spec.dps} digits); points: x0 + {spec.points}; "
        f"directions: {spec.directions}; seed: {spec.seed}.",
        "",
        counts_line(result),
        "",
    ]
    if overview:
        out += [f"![verdicts of every case × backend × precision]({overview})", ""]
    return out


def _problems(result: RunResult) -> list[str]:
    if not len(result.problems):
        return []
    out = ["Cases that failed to load:", ""]
    for p in result.problems.to_dict("records"):
        line = "" if p["line"] is None or pd.isna(p["line"]) else f":{int(p['line'])}"
        out.append(f"- `{p['source']}{line}`: {p['problem']}")
    return [*out, ""]


def _failures(result: RunResult, plots: set[str]) -> list[str]:
    out = ["## Failures", "", *_problems(result)]
    fails = failures_table(result)
    if not len(fails):
        return out + ([] if len(result.problems) else ["None: no Taylor test failed.", ""])
    for r in fails.to_dict("records"):
        where = (
            f"`{r['case']}` · {r['backend']} · {r['precision']} · point {r['point']} · "
            f"direction {r['direction']}"
        )
        png = test_plot_name(r)
        link = f" ([plot]({png}))" if png in plots else ""
        quoted = r["order"] == "—" or r["order"] in str(r["reason"])
        order = "" if quoted else f"r1 order {r['order']}. "
        out.append(f"- {where}: {order}{escape(r['reason'])}{link}")
        if r["wrong_components"]:
            out.append(f"  - wrong components: {r['wrong_components']}")
        if r["located"]:
            out.append(f"  - {escape(r['located'])}")
    return [*out, ""]


def _attention(result: RunResult, plots: set[str]) -> list[str]:
    att = attention_table(result)
    if not len(att):
        return []
    out = ["## Inconclusive and not applicable", ""]
    for r in att.to_dict("records"):
        tests = ", ".join(
            f"[{label}]({png})" if (png := test_plot_name(k)) in plots else label
            for k in r["keys"]
            for label in [f"p{k['point']} d{k['direction']}"]
        )
        out.append(
            f"- `{r['case']}` · {r['backend']} · {r['precision']} — {r['verdict']} "
            f"({tests}): {escape(r['reason'])}"
        )
    return [*out, ""]


def _orders(result: RunResult) -> list[str]:
    out = [
        "## Taylor orders (r1, expected 2)",
        "",
        "Each cell: the order of the remainder r1 = |C(v+hd) − C(v) − h ∇C·d| that the "
        "verdict rests on, with its confidence interval, and the verdict, for the worst of "
        "the cell's tests over points and directions (with the count when verdicts differ). "
        "`—`: the verdict was not read from an order (see the notes below).",
        "",
        markdown_table(orders_table(result)),
        "",
    ]
    notes = notes_table(result)
    if len(notes):
        out.append("Notes on the `—` cells:")
        out.append("")
        for r in notes.to_dict("records"):
            out.append(
                f"- `{r['case']}` · {r['backend']} · {r['precision']} ({r['verdict']}): "
                f"{escape(r['reason'])}"
            )
        out.append("")
    return out


def _errors(result: RunResult) -> list[str]:
    return [
        "## Gradient errors against the mp reference",
        "",
        "Each cell: the largest relative error ‖g − g_ref‖∞ / ‖g_ref‖∞ over the points "
        f"(reference: mpmath at {result.spec.dps} digits).",
        "",
        markdown_table(errors_table(result)),
        "",
    ]


def _rules(result: RunResult) -> list[str]:
    lines = [f"  - {r.strip()}" if r.startswith("  ") else f"- {r}" for r in grid_rules(result)]
    return ["## Grid rules", "", *lines, ""]


def summary_markdown(
    result: RunResult, plots: list[str] | None = None, overview: str | None = None
) -> str:
    """The run's summary.md: the banner, failures first, then one row per case.

    Parameters
    ----------
    result
        The run.
    plots
        Plot files written (relative paths): per-test plots are linked from their
        failure, the per-case plots listed at the end.
    overview
        The overview figure (relative path), shown under the banner, if written.
    """
    written = set(plots or [])
    cases = [p for p in plots or [] if not p.startswith("plots/tests/")]
    out = [
        *_head(result, overview),
        *_failures(result, written),
        *_attention(result, written),
        *_orders(result),
        *_errors(result),
        *_rules(result),
    ]
    if cases:
        out += ["## Plots", "", *(f"- [{png}]({png})" for png in cases), ""]
    out.append("Files and columns are explained in `reports/README.md`.")
    return "\n".join(out) + "\n"
