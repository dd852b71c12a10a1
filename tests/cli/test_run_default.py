"""The kept report of the default run (reports/default/) is reproduced by a fresh run.

reports/default/ is a kept artifact of the repository, written by
``firstorder run --name default --compact`` at the repository root (the compact report
keeps orders.csv and spec.json, which is all this test reads): when it is missing, this
test fails rather than skips.

Marked slow (``tox -e slow``, ``tox -m all``): the fresh run is the whole default grid,
over a minute of one core, the longest single item of the fast lane; the fast lane's
convergence tests judge every case × backend × precision at x0 themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import firstorder as fo

pytestmark = pytest.mark.slow

KEPT = Path(__file__).resolve().parents[2] / "reports" / "default"
KEYS = ["case", "backend", "precision", "point", "direction", "remainder"]


def _kept_spec() -> dict:
    """The arguments of the kept run: spec.json (timing-free), else run.json."""
    for name in ("spec.json", "run.json"):
        path = KEPT / name
        if path.is_file():
            return json.loads(path.read_text())["spec"]
    raise AssertionError(f"`{KEPT}` has neither spec.json nor run.json.")


@pytest.fixture(scope="module")
def kept_and_fresh() -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = KEPT / "orders.csv"
    assert orders.is_file(), (
        f"the kept default report `{orders}` is missing; write it with "
        "`firstorder run --name default --compact` at the repository root."
    )
    spec = _kept_spec()
    fresh = fo.run(
        spec["cases"],
        case_paths=spec["case_paths"],
        backends=spec["backends"],
        precisions=spec["precisions"],
        points=spec["points"],
        directions=spec["directions"],
        seed=spec["seed"],
        dps=spec["dps"],
        mp_max_dim=spec["mp_max_dim"],
    )
    kept = pd.read_csv(orders, keep_default_na=False, na_values=[""])
    return kept, fresh.orders


def test_the_kept_report_covers_the_default_grid(kept_and_fresh):
    kept, fresh = kept_and_fresh
    spec = _kept_spec()
    assert spec["backends"] == ["analytic", "central", "complex-step"]
    assert spec["precisions"] == ["float64", "mp"]
    assert spec["points"] == 2 and spec["directions"] == 2
    builtin = fo.load_cases(env=False, entry_points=False).values()
    assert set(spec["cases"]) == {c.name for c in builtin}
    assert len(kept) == len(fresh) > 0


def test_a_fresh_default_run_reproduces_the_verdicts(kept_and_fresh):
    kept, fresh = kept_and_fresh
    a = kept.set_index(KEYS)
    b = fresh.set_index(KEYS)
    assert list(a.index) == list(b.index)
    differ = a["fit"] != b["fit"]
    assert not differ.any(), a[differ][["fit"]].join(b[differ][["fit"]], rsuffix="_fresh")
    assert (a["verdict"] == b["verdict"]).all()


def test_a_fresh_default_run_reproduces_the_fitted_orders(kept_and_fresh):
    """Each fresh order lies within the larger of the two fits' confidence half-widths.

    Both runs fit the same remainders; on the same machine they agree to the bit, and
    elsewhere only round-off in the floor region can move a fit, by less than its
    own confidence interval.
    """
    kept, fresh = kept_and_fresh
    a = kept.set_index(KEYS)
    b = fresh.set_index(KEYS)
    fitted = a["order"].notna() | b["order"].notna()
    oa, ob = a["order"][fitted].astype(float), b["order"][fitted].astype(float)
    assert (oa.isna() == ob.isna()).all()
    half = np.maximum(
        (a["order_ci_high"] - a["order_ci_low"])[fitted].astype(float) / 2,
        (b["order_ci_high"] - b["order_ci_low"])[fitted].astype(float) / 2,
    )
    gap = (oa - ob).abs()
    off = gap > half
    assert not off.any(), pd.DataFrame({"kept": oa[off], "fresh": ob[off], "half_ci": half[off]})
