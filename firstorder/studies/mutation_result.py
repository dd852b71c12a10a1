"""The result of mutation testing: per-mutant rows, detection rates, thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MutationResult"]


@dataclass(frozen=True)
class MutationResult:
    """Detection, location and false alarms of the Taylor test on mutants.

    Attributes
    ----------
    mutants : pandas.DataFrame
        One row per mutant and precision: ``case``, ``precision``, ``kind``, ``delta``,
        ``rel_error`` (‖g_mutant − g‖∞ / ‖g‖∞ at the point), ``target`` (components
        aimed at), ``verdict``, ``detected``, ``located`` (the named components are the
        faulty ones), ``wrong_components``, ``reason``.
    false_alarms : pandas.DataFrame
        One row per case and precision: ``case``, ``precision``, ``draws``, ``alarms``,
        ``inconclusive``.
    skipped : tuple of str
        One sentence per mutant that changed nothing and was skipped.
    """

    mutants: pd.DataFrame
    false_alarms: pd.DataFrame
    skipped: tuple[str, ...]

    def detection(self) -> pd.DataFrame:
        """Detection and location rates per precision, fault kind and δ."""
        m = self.mutants.assign(delta=self.mutants["delta"].fillna(0.0))
        out = (
            m.groupby(["precision", "kind", "delta"], sort=False)
            .agg(
                mutants=("detected", "size"),
                detected=("detected", "mean"),
                located=("located", "mean"),
                min_rel_error=("rel_error", "min"),
            )
            .reset_index()
        )
        out["delta"] = out["delta"].where(out["delta"] > 0)
        precisions = list(dict.fromkeys(self.mutants["precision"]))
        out["_p"] = out["precision"].map(precisions.index)
        from .mutation import FAULTS  # the mutant table's order (imported late: it imports us)

        out["_k"] = out["kind"].map(FAULTS.index)
        out["_d"] = -out["delta"].fillna(0.0)
        return (
            out.sort_values(["_p", "_k", "_d"])
            .drop(columns=["_p", "_k", "_d"])
            .reset_index(drop=True)
        )

    def thresholds(self) -> pd.DataFrame:
        """Per precision: the smallest relative gradient error detected, the largest
        one missed, and the largest one missed where the test could resolve r1 (the
        rest were ``inconclusive``: the precision cannot see them at all)."""
        rows = []
        for precision, m in self.mutants.groupby("precision", sort=False):
            hit = m.loc[m["detected"], "rel_error"]
            miss = m.loc[~m["detected"], "rel_error"]
            resolved = m["verdict"] != "inconclusive"
            miss_resolved = m.loc[~m["detected"] & resolved, "rel_error"]
            rows.append(
                {
                    "precision": precision,
                    "smallest_detected": float(hit.min()) if len(hit) else np.nan,
                    "largest_missed": float(miss.max()) if len(miss) else np.nan,
                    "largest_missed_resolvable": (
                        float(miss_resolved.max()) if len(miss_resolved) else np.nan
                    ),
                    "inconclusive": int((~resolved).sum()),
                    "mutants": len(m),
                    "detected": int(m["detected"].sum()),
                    "located": int(m["located"].sum()),
                }
            )
        import pandas as pd

        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The per-mutant table."""
        return self.mutants.copy()
