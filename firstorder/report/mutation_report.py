"""The mutation report: ``mutation.csv``, ``false_alarms.csv`` and ``mutation.md``."""

from __future__ import annotations

import pandas as pd

from ..studies.mutation import MutationResult
from .markdown import markdown_table
from .runfolder import RunFolder

__all__ = ["mutation_markdown", "write_mutation_report"]


def mutation_markdown(result: MutationResult) -> str:
    """The readable report: detection per fault, thresholds, false alarms, skips."""
    det = result.detection()
    det = det.assign(
        detected=(100 * det["detected"]).round(1),
        located=(100 * det["located"]).round(1),
    ).rename(columns={"detected": "detected %", "located": "located %"})
    thr = result.thresholds()
    fa = result.false_alarms
    fa_sum = (
        fa.groupby("precision", sort=False)
        .agg(
            cases=("case", "size"),
            draws=("draws", "sum"),
            alarms=("alarms", "sum"),
            inconclusive=("inconclusive", "sum"),
        )
        .reset_index()
    )
    fa_sum["false alarm %"] = (100 * fa_sum["alarms"] / fa_sum["draws"]).round(3)
    missed = result.mutants[~result.mutants["detected"] | ~result.mutants["located"]]
    lines = [
        "# Mutation testing of the Taylor verdicts",
        "",
        "Faults are injected into each case's analytic gradient at x0 (and, for "
        "`scale-perturbed`, the largest component ×(1 + 1e-6) at a seeded point near x0, "
        "where no component is special); a mutant is "
        "*detected* when the Taylor test's verdict is `fail` and *located* when the "
        "named components are the faulty ones. `rel_error` is ‖g_mutant − g‖∞ / ‖g‖∞. "
        "The detector tests along the descent direction of the gradient under test and a "
        "seeded random direction. A test that is `inconclusive` is one the precision "
        "cannot resolve at all (its predicted clean window is too short): the harness "
        "says so instead of passing the mutant; `largest_missed_resolvable` leaves those "
        "out.",
        "",
        f"Scope: {_scope(fa)}. The kept report covers every case in float64 and mp; "
        "regenerate it with `python -m firstorder mutate --full --name mutation --jobs 2` "
        "at the repository root (`reports/README.md` says how long it takes; the default "
        "`firstorder mutate` mutates only representative cases in mp). The kept report "
        "is this summary, "
        "`detection.csv` and `false_alarms.csv`; `mutation.csv` (one row per mutant) "
        "is regenerated, not kept.",
        "",
        "## Detection and location per fault",
        "",
        markdown_table(det),
        "",
        "## Thresholds",
        "",
        markdown_table(thr),
        "",
        "## False alarms on correct gradients",
        "",
        markdown_table(fa_sum),
        "",
    ]
    if len(missed):
        cols = [
            "case",
            "precision",
            "kind",
            "delta",
            "rel_error",
            "verdict",
            "wrong_components",
            "reason",
        ]
        lines += ["## Missed or mislocated mutants", "", markdown_table(missed[cols]), ""]
    if result.skipped:
        lines += ["## Skipped mutants", ""] + [f"- {s}" for s in result.skipped] + [""]
    return "\n".join(lines)


def write_mutation_report(folder: RunFolder, result: MutationResult) -> None:
    """Write the tables and the Markdown report into ``folder``."""
    folder.write_csv("mutation.csv", result.mutants)
    folder.write_csv("false_alarms.csv", result.false_alarms)
    folder.write_csv("detection.csv", result.detection())
    folder.write_text("mutation.md", mutation_markdown(result))


def _scope(fa: pd.DataFrame) -> str:
    """``N cases in float64 (K draws each), M in mp (…)``, from the false-alarm table."""
    parts = []
    for precision, rows in fa.groupby("precision", sort=False):
        draws = sorted({int(d) for d in rows["draws"]})
        each = (
            f"{_count(draws[0], 'draw')} each"
            if len(draws) == 1
            else "draws " + "/".join(map(str, draws))
        )
        parts.append(f"{_count(len(rows), 'case')} in {precision} ({each})")
    return ", ".join(parts) or "no case"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
