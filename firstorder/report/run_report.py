"""Reports of a run: CSV tables, summary.md, index.html, run.json and plots.

Everything is written into a :class:`~firstorder.report.runfolder.RunFolder`, which renames
the finished folder into place; nothing here prints. ``reports/README.md`` explains
each file and column. Only ``run.json`` holds timing; every other file is the same for
the same seed and arguments. One writer per report: :mod:`.summary` (summary.md),
:mod:`.page` (index.html), :mod:`.overview` and :mod:`.plots` (the figures), all from
the tables of :mod:`.tables`.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from ..studies.grid import RunResult
from .markdown import markdown_table
from .page import index_html
from .runfolder import RunFolder
from .summary import summary_markdown
from .tables import errors_table, failures_table, orders_table

__all__ = [
    "BULKY",
    "errors_table",
    "failures_table",
    "index_html",
    "markdown_table",
    "orders_table",
    "summary_markdown",
    "write_report",
]

#: What a compact report leaves out: the per-step tables, which a rerun regenerates
#: (the per-case and per-test plots are left out too; the overview is kept).
BULKY = ("taylor.csv", "steps.csv")


def write_report(
    result: RunResult,
    folder: RunFolder,
    args: dict[str, Any] | None = None,
    plots: bool = True,
    compact: bool = False,
    executor: Executor | None = None,
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
        Whether to draw the figures: ``overview.png``, ``plots/<case>.png`` and, for
        every failing or inconclusive test, ``plots/tests/*.png``.
    compact
        Write only what is small enough to keep in git: summary.md, index.html,
        orders.csv, gradients.csv, spec.json, run.json and the overview; leave out
        :data:`BULKY` and the per-case and per-test plots.
    executor
        The run's pool (processes or Dask), to draw the per-case and per-test plots
        on; None draws them here.

    Returns
    -------
    list of str
        The files written, relative to the folder.
    """
    folder.prepare()
    folder.write_csv("orders.csv", result.orders)
    folder.write_csv("gradients.csv", result.gradients)
    files = ["orders.csv", "gradients.csv"]
    if not compact:
        # every step of every test: 7 digits are plenty to read and plot
        folder.write_csv("taylor.csv", result.taylor, digits=7)
        folder.write_csv("steps.csv", result.steps, digits=7)
        files += list(BULKY)
    pngs: list[str] = []
    overview = None
    if plots:
        from .overview import write_overview
        from .plots import write_plots

        overview = write_overview(result, folder.path)
        if not compact:
            pngs = write_plots(result, folder.path, executor)
    omitted = list(BULKY) if compact else []
    folder.write_text("summary.md", summary_markdown(result, pngs, overview))
    folder.write_text("index.html", index_html(result, pngs, overview, omitted))
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
    figures = [overview] if overview else []
    return [*files, *figures, *pngs, "summary.md", "index.html", "spec.json", "run.json"]
