"""The tables every run report shows, built from a run's frames.

One vocabulary throughout: ``verdict`` is a Taylor test's verdict, ``fit`` the outcome
of one remainder's fit. A table quotes the order its test's reason quotes, and where
no order was judged (a remainder at round-off, or a verdict not read from the r1
slope) it shows ``exact`` or ``—``, never a number the verdict contradicts. The
Markdown and HTML writers render these frames; nothing here formats a page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..studies.grid import RunResult
from ..taylor.fit import interval_decimals
from .markdown import fmt

__all__ = [
    "RANK",
    "TEST_KEYS",
    "JudgedOrder",
    "attention_table",
    "banner",
    "cell_key",
    "counts_line",
    "errors_table",
    "failures_table",
    "grid_rules",
    "judged_order",
    "notes_table",
    "orders_table",
    "overview_cells",
    "test_plot_name",
]

#: Verdicts from worst to best: a summary cell shows its worst test.
RANK = {"fail": 0, "inconclusive": 1, "not-applicable": 2, "exact": 3, "pass": 4}
#: The columns that name one Taylor test.
TEST_KEYS = ["case", "backend", "precision", "point", "direction"]


@dataclass(frozen=True)
class JudgedOrder:
    """The r1 order a test's verdict rests on, with its confidence interval."""

    order: float
    low: float
    high: float

    def __str__(self) -> str:
        # the decimals the reason uses: an interval just short of 2 never prints as
        # `[1.99, 2.00]` (1.989–1.998 reads `1.993 [1.989, 1.998]`, as the reason says)
        k = interval_decimals(self.low, self.high, 2)
        return f"{self.order:.{k}f} [{self.low:.{k}f}, {self.high:.{k}f}]"


def judged_order(test: Mapping[Any, Any] | pd.Series) -> JudgedOrder | None:
    """The r1 order that a test's verdict rests on, or None where none was judged.

    The harness records it (:attr:`~firstorder.TaylorResult.judged_order`): the order
    the reason quotes, which may be a fit over the smallest clean steps rather than the
    whole window. None where the verdict was not read from the r1 slope (a remainder at
    round-off, or a backend's own error): a number would contradict it.

    Parameters
    ----------
    test
        A row of ``orders.csv`` (``judged_order``, ``judged_order_ci_low``,
        ``judged_order_ci_high``).
    """
    order = test.get("judged_order")
    if order is None or pd.isna(order):
        return None
    low, high = test["judged_order_ci_low"], test["judged_order_ci_high"]
    return JudgedOrder(float(order), float(low), float(high))


def cell_key(backend: str, precision: str) -> str:
    """The column name of a backend × precision cell."""
    return f"{backend} · {precision}"


def test_plot_name(test: Mapping[Any, Any] | pd.Series) -> str:
    """The file of one test's own plot: ``plots/tests/<case>-<backend>-<precision>-p<k>-d<j>.png``
    (point k, direction j; the name made filesystem-safe)."""
    where = f"p{test['point']}-d{test['direction']}"
    stem = f"{test['case']}-{test['backend']}-{test['precision']}-{where}"
    return f"plots/tests/{re.sub(r'[^A-Za-z0-9._-]', '_', stem)}.png"


def _order_text(test: Mapping[Any, Any]) -> str:
    verdict = str(test["verdict"])
    judged = None if verdict in ("exact", "not-applicable") else judged_order(test)
    if judged:
        return f"{judged} {verdict}"
    # a pass or fail not read from an order is flagged `—` (the notes give its reason)
    return f"— {verdict}" if verdict in ("pass", "fail") else verdict


def _worst(rows: list[dict[Any, Any]]) -> Mapping[Any, Any]:
    """The worst test of a cell: worst verdict, then the judged order farthest off (the
    first such row)."""
    rank = min(RANK.get(r["verdict"], -1) for r in rows)
    worst = [r for r in rows if RANK.get(r["verdict"], -1) == rank]

    def off(row: Mapping[Any, Any]) -> float:
        j = judged_order(row)
        return -1.0 if j is None else abs(j.order - float(row["expected_order"]))

    return max(worst, key=off)


def _cell_text(rows: list[dict[Any, Any]]) -> str:
    """One summary cell: the worst test's judged r1 order [CI] and verdict, with a tally."""
    row = _worst(rows)
    verdict = str(row["verdict"])
    same = sum(r["verdict"] == verdict for r in rows)
    tally = f" {same}/{len(rows)}" if same < len(rows) else ""
    return _order_text(row) + tally


def _cell_tests(tests: pd.DataFrame) -> dict[tuple[Any, ...], list[dict[Any, Any]]]:
    """The tests of each (case, backend, precision) cell as plain rows, in one pass (a
    table of a few hundred cells built from per-cell frames cost seconds per report)."""
    cells: dict[tuple[Any, ...], list[dict[Any, Any]]] = {}
    for row in tests.to_dict("records"):
        cells.setdefault((row["case"], row["backend"], row["precision"]), []).append(row)
    return cells


def _cells(result: RunResult) -> list[tuple[str, str]]:
    tests = result.tests
    present = set(zip(tests["backend"], tests["precision"], strict=True)) if len(tests) else set()
    return [
        (b, p) for b in result.spec.backends for p in result.spec.precisions if (b, p) in present
    ]


def _parts(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], pd.DataFrame]:
    """The rows of ``frame`` per value of ``keys``, in one pass (a mask per table cell
    cost seconds on the default grid)."""
    if len(frame) == 0:
        return {}
    return {k: part for k, part in frame.groupby(keys, sort=False)}


def orders_table(result: RunResult) -> pd.DataFrame:
    """One row per case: dim, and per backend × precision the judged r1 order and verdict.

    Each cell shows the worst of the cell's tests (over points and directions): the r1
    order its verdict rests on, with confidence interval, and the verdict (``—`` where
    the verdict was not read from an order), and the count of tests with that verdict
    when verdicts differ.
    """
    tests = result.tests
    cells = _cells(result)
    parts = _cell_tests(tests)
    rows = []
    for _, c in result.cases.iterrows():
        row: dict[str, Any] = {"case": c["name"], "dim": int(c["dim"])}
        for b, p in cells:
            part = parts.get((c["name"], b, p))
            row[cell_key(b, p)] = _cell_text(part) if part is not None else "skipped"
        rows.append(row)
    return pd.DataFrame(rows, columns=["case", "dim", *(cell_key(b, p) for b, p in cells)])


def overview_cells(result: RunResult) -> tuple[list[str], list[tuple[str, str]], pd.DataFrame]:
    """The overview grid: its cases, its (backend, precision) columns, and per cell the
    worst test's ``verdict``, short ``text`` (judged order, ``ex``, ``n/a``, ``—``) and
    ``reason``."""
    tests = result.tests
    cells = _cells(result)
    cases = [str(c) for c in result.cases["name"]]
    parts = _cell_tests(tests)
    rows = []
    for case in cases:
        for b, p in cells:
            part = parts.get((case, b, p))
            if part is None:
                rows.append({"case": case, "cell": cell_key(b, p), "verdict": "skipped"})
                continue
            worst = _worst(part)
            verdict = str(worst["verdict"])
            judged = judged_order(worst)
            short = {"exact": "ex", "not-applicable": "n/a", "inconclusive": "?"}
            text = f"{judged.order:.2f}" if judged else short.get(verdict, "—")
            rows.append(
                {"case": case, "cell": cell_key(b, p), "verdict": verdict, "text": text}
                | {"reason": str(worst["reason"])}
            )
    frame = pd.DataFrame(rows, columns=["case", "cell", "verdict", "text", "reason"])
    return cases, cells, frame.fillna({"text": "", "reason": ""})


def errors_table(result: RunResult) -> pd.DataFrame:
    """One row per case: per backend × precision, the largest relative gradient error.

    The maximum over the run's points of ‖g − g_ref‖∞ / ‖g_ref‖∞ against the mp
    reference; ``n/a`` where the backend or the reference does not apply.
    """
    g = result.gradients
    keys = (
        [] if len(g) == 0 else list(dict.fromkeys(zip(g["backend"], g["precision"], strict=True)))
    )
    parts = _parts(g, ["case", "backend", "precision"])
    rows = []
    for _, c in result.cases.iterrows():
        row: dict[str, Any] = {"case": c["name"]}
        for b, p in keys:
            part = parts.get((c["name"], b, p))
            ok = part["rel_error"][part["status"] == "ok"] if part is not None else None
            if ok is not None and len(ok):
                row[cell_key(b, p)] = fmt(ok.max(), 2)
            elif part is not None:
                row[cell_key(b, p)] = "n/a"
            else:
                row[cell_key(b, p)] = "skipped"
        rows.append(row)
    return pd.DataFrame(rows, columns=["case", *(cell_key(b, p) for b, p in keys)])


def failures_table(result: RunResult) -> pd.DataFrame:
    """The failed Taylor tests: the order their verdict rests on, reason, components.

    ``order`` is the judged r1 order with its interval, the one the reason quotes.
    """
    f = result.failures
    cols = [*TEST_KEYS, "order", "reason", "wrong_components", "located"]
    if len(f) == 0:
        return pd.DataFrame(columns=cols)
    out = f[cols].copy()
    out["order"] = [str(j) if (j := judged_order(r)) else "—" for _, r in f.iterrows()]
    return out.reset_index(drop=True)


def attention_table(result: RunResult) -> pd.DataFrame:
    """Inconclusive and not-applicable tests, grouped by cell and reason.

    Columns ``case, backend, precision, verdict, tests`` (which point/direction pairs,
    as ``p0 d1``), ``reason``, and ``keys`` (each test's keys, for its plot).
    """
    t = result.tests
    cols = ["case", "backend", "precision", "verdict", "tests", "reason", "keys"]
    if len(t) == 0:
        return pd.DataFrame(columns=cols)
    t = t[t["verdict"].isin(["inconclusive", "not-applicable"])]
    rows = []
    for key, part in t.groupby(["case", "backend", "precision", "verdict", "reason"], sort=False):
        case, backend, precision, verdict, reason = (str(k) for k in key)
        pairs = zip(part["point"], part["direction"], strict=True)
        which = ", ".join(f"p{int(p)} d{int(d)}" for p, d in pairs)
        keys = part[TEST_KEYS].to_dict("records")
        rows.append([case, backend, precision, verdict, which, reason, keys])
    return pd.DataFrame(rows, columns=cols)


def notes_table(result: RunResult) -> pd.DataFrame:
    """Cells whose verdict was not read from the r1 order (shown ``—``), with the
    reason: e.g. r1 is a backend's own error h·|e·d| on a linear cost."""
    t = result.tests
    cols = ["case", "backend", "precision", "verdict", "reason"]
    if len(t) == 0:
        return pd.DataFrame(columns=cols)
    plain = t[t["verdict"].isin(["pass", "fail"])]
    none = [judged_order(r) is None for _, r in plain.iterrows()]
    dash = plain[pd.Series(none, index=plain.index, dtype=bool)]
    return dash.drop_duplicates(["case", "backend", "precision"])[cols].reset_index(drop=True)


def counts_line(result: RunResult) -> str:
    """``N Taylor tests: a exact, b fail, …``."""
    counts = result.verdict_counts()
    parts = ", ".join(f"{v} {k}" for k, v in counts.items())
    return f"{sum(counts.values())} Taylor tests: {parts or 'none'}."


def banner(result: RunResult) -> str:
    """One line: what failed (cases and cells), or that nothing did."""
    fails = result.failures
    loads = len(result.problems)
    if len(fails) == 0 and loads == 0:
        return f"Nothing failed: {counts_line(result)}"
    parts = []
    if len(fails):
        cells = fails.groupby(["case", "backend", "precision"], sort=False).size()
        named = [f"{c} · {b} · {p} ({n})" for c, b, p, n in cells.reset_index().itertuples(False)]
        shown = ", ".join(named[:6]) + (f", … {len(named) - 6} more" if len(named) > 6 else "")
        parts.append(f"{len(fails)} of {len(result.tests)} Taylor tests failed: {shown}")
    if loads:
        parts.append(f"{loads} case file(s) failed to load")
    return "FAILED — " + "; ".join(parts) + "."


def grid_rules(result: RunResult) -> list[str]:
    """The run's grid rules as sentences, then the cells they dropped (indented)."""
    rules: dict[str, Any] = result.spec.rules
    out = [
        "`complex-step` runs in float64 only, `reference` in mp only.",
        "In mp, the Taylor test runs at x0 in the first direction for the exact backends "
        "(analytic, reference); finite-difference backends get their gradient error, for "
        f"dimension ≤ {rules['mp_max_dim']}.",
        f"Gradient errors compare every component for dimension ≤ {rules['ref_full_max_dim']}, "
        f"a seeded sample of {rules['ref_sample']} above.",
        f"Step sweeps run at x0 in float64 for dimension ≤ {rules['sweep_max_dim']}.",
    ]
    if len(result.skipped):
        out.append(f"{len(result.skipped)} grid cells were dropped by these rules:")
        groups = result.skipped.groupby(["backend", "precision", "reason"], sort=False)
        for key, part in groups:
            b, prec, why = (str(k) for k in key)
            out.append(f"  {b} · {prec}: {len(part)} case(s) — {why}")
    return out
