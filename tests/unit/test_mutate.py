"""Mutation testing: the faults, their detection and location, the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fo_support import run_cli

import firstorder as fo
from firstorder.studies.mutation import DELTAS, FAULTS, make_mutants


def test_every_fault_kind_changes_the_gradient_it_claims_to() -> None:
    c = fo.load_cases()["nielsen_quadratic"]
    v = c.point()
    g = c.grad(v)
    mutants, skipped = make_mutants(c, v)
    kinds = {m.kind for m in mutants}
    assert kinds == set(FAULTS)
    assert not skipped
    for m in mutants:
        gm = m.case.grad(v)
        changed = np.flatnonzero(gm != g)
        assert len(changed) > 0, m.kind
        if m.kind in ("sign", "scale", "zero", "swap"):
            assert set(changed) == set(m.components), m.kind
        if m.kind == "scale":
            i = m.components[0]
            assert gm[i] / g[i] - 1 == pytest.approx(m.delta, rel=1e-6 if m.delta > 1e-9 else 1e-3)


def test_a_mutant_that_changes_nothing_is_skipped_and_said_so() -> None:
    lin = fo.load_cases()["linear"]  # gradient (1, -2, 3): no equal pair, 3 < 4 components
    _, skipped = make_mutants(lin)
    assert any("transposed-block" in s and "changes nothing" in s for s in skipped)

    @fo.case(name="equal_parts", x0=[1.0, 1.0])
    def equal(v, ctx):
        return v[..., 0] ** 2 + v[..., 1] ** 2

    @equal.gradient
    def _(v, ctx):
        return 2 * v

    mutants, skipped = make_mutants(equal)
    assert "swap" not in {m.kind for m in mutants}
    assert any("swap" in s and "equal" in s for s in skipped)


def test_mutants_are_detected_and_located_in_float64_and_mp() -> None:
    res = fo.mutate(["seed", "rosenbrock"], draws=5, mp_draws=2)
    m = res.mutants
    big = m[(m["kind"] != "scale") | (m["delta"] >= 1e-4)]
    assert big["detected"].all(), big[~big["detected"]]
    assert big["located"].all(), big[~big["located"]]
    # mp catches far smaller errors than float64 can
    thr = res.thresholds().set_index("precision")
    assert thr.loc["mp", "smallest_detected"] < 1e-6 * thr.loc["float64", "smallest_detected"]
    assert res.false_alarms["alarms"].sum() == 0
    det = res.detection()
    assert set(det["kind"]) == set(FAULTS) - {"transposed-block"}
    assert set(det.loc[det["precision"] == "float64", "delta"].dropna()) == set(DELTAS)


def test_mutate_command_writes_its_report(tmp_path) -> None:
    out = tmp_path / "reports"
    res = run_cli(
        "mutate",
        "--case",
        "seed",
        "--precision",
        "float64",
        "--draws",
        "3",
        "--jobs",
        "2",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    # progress on stderr (plain lines when it is not a terminal)
    assert "mutate: 1/1 tasks done (seed float64)" in res.stderr
    folder = out / "latest"
    names = {p.name for p in folder.iterdir()}
    assert {"mutation.csv", "mutation.md", "false_alarms.csv", "detection.csv", "run.json"} <= names
    frame = pd.read_csv(folder / "mutation.csv")
    assert set(frame["precision"]) == {"float64"}
    md = (folder / "mutation.md").read_text()
    assert "## Detection and location per fault" in md
    assert "Scope: 1 case in float64 (3 draws each)." in md


def test_mutate_bad_input(tmp_path) -> None:
    with pytest.raises(fo.FirstOrderError, match="unknown case `nope`"):
        fo.mutate(["nope"])
    with pytest.raises(fo.FirstOrderError, match="unknown precision `quad`"):
        fo.mutate(["seed"], precisions=["quad"])
    res = run_cli("mutate", "--tag", "no-such-tag", "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert res.returncode == 2 and "unknown tag `no-such-tag`" in res.stderr
    assert not (tmp_path / "r" / "latest").exists()


def test_mutate_in_worker_processes_gives_the_serial_result() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    kw = {"draws": 3, "mp_draws": 1, "precisions": ["float64"]}
    serial = fo.mutate(["seed", "booth"], **kw)
    seen: list[tuple[int, int, str]] = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        par = fo.mutate(["seed", "booth"], **kw, executor=pool, progress=lambda *a: seen.append(a))
    pd.testing.assert_frame_equal(serial.mutants, par.mutants)
    pd.testing.assert_frame_equal(serial.false_alarms, par.false_alarms)
    assert par.skipped == serial.skipped
    # the count at once, then each task as it completes (largest first: any order)
    assert seen[0] == (0, 2, "seed float64")
    assert [s[:2] for s in seen[1:]] == [(1, 2), (2, 2)]
    assert {s[2] for s in seen[1:]} == {"seed float64", "booth float64"}


def test_memoised_case_evaluates_each_point_once_and_returns_the_same_values() -> None:
    from firstorder.studies.memo import memoised

    calls: list[int] = []
    base = fo.load_cases()["rosenbrock"]

    def counted(v, ctx):
        calls.append(len(v))
        return base.cost_fn(v, ctx)

    import dataclasses

    c = memoised(dataclasses.replace(base, cost_fn=counted))
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(6, 2))
    for prec in ("float64", "mp"):
        first = c.cost(pts, prec)
        again = c.cost(np.vstack([pts[3:], pts[:3], pts[:1]]), prec)
        assert [str(t) for t in again] == [
            str(t) for t in np.concatenate([first[3:], first[:3], first[:1]])
        ]
        assert [str(t) for t in first] == [str(t) for t in base.cost(pts, prec)]
    # one batched call per precision; the repeats cost nothing
    assert calls == [6, 6]


def test_outcome_constructors() -> None:
    from firstorder.studies.mutation import Outcome
    from firstorder.taylor.check import detect

    res = detect(fo.load_cases()["seed"])
    out = Outcome.of(res)
    assert (out.verdict, out.reason) == (res.verdict, res.reason)
    failed = Outcome.not_tested(fo.FirstOrderError("the `gradient` has a non-finite component."))
    assert failed.verdict == "error" and failed.reason.startswith("not tested: the `gradient`")
    assert np.isnan(failed.order) and failed.wrong_components == ()


@pytest.mark.parametrize("precision", ["float64", "mp"])
def test_the_first_draw_on_the_mutants_memo_gives_the_unshared_verdicts(precision) -> None:
    """The draw at x0 reads the sweeps the mutants' tests left in the memo: every
    direction's estimate, window and verdict are those of a fresh case."""
    from firstorder.studies.memo import memoised
    from firstorder.studies.mutation import MutationTask, _false_alarms, _mutant_rows
    from firstorder.taylor.check import detect

    c = fo.load_cases()["rosenbrock"]
    task = MutationTask(c, precision, 20, 3, 0)
    shared = memoised(c)
    _mutant_rows(shared, task)  # fills the memo, as in a task
    hits = len(shared.cost_fn.cache)
    fresh = detect(c, seed=0, precision=precision, dps=20)
    reused = detect(shared, seed=0, precision=precision, dps=20)
    assert len(shared.cost_fn.cache) < hits + 3 * len(reused.results[0].steps)  # mostly reused
    assert (reused.verdict, reused.reason) == (fresh.verdict, fresh.reason)
    for a, b in zip(fresh.results, reused.results, strict=True):
        assert (a.verdict, a.error_estimate, a.error_sd, a.order) == (
            b.verdict,
            b.error_estimate,
            b.error_sd,
            b.order,
        )
    assert _false_alarms(c, task, at_x0=shared) == _false_alarms(c, task)


def test_mp_cases_limits_the_mp_tasks() -> None:
    res = fo.mutate(["seed", "linear"], draws=1, mp_draws=1, mp_cases=["linear"])
    fa = res.false_alarms
    assert set(fa.loc[fa["precision"] == "mp", "case"]) == {"linear"}
    assert set(fa.loc[fa["precision"] == "float64", "case"]) == {"seed", "linear"}
    with pytest.raises(fo.FirstOrderError, match="unknown case `lineer`"):
        fo.mutate(["seed"], mp_cases=["lineer"])


def test_default_mutate_scope_and_full() -> None:
    """The default command: every case in float64, the representative ones in mp;
    `--full`, `--case` and `--tag` mutate every case picked in mp."""
    import argparse

    from firstorder.cli.mutate import DRAWS, FULL_DRAWS, _draws, _mp_cases
    from firstorder.studies.mutation import MP_REPRESENTATIVE

    reg = fo.load_cases()
    assert all(name in reg and reg[name].grad_fn is not None for name in MP_REPRESENTATIVE)

    def ns(**kw):
        return argparse.Namespace(**({"full": False, "case": [], "tag": [], "draws": None} | kw))

    assert (_mp_cases(ns()), _draws(ns())) == (MP_REPRESENTATIVE, DRAWS)
    assert (_mp_cases(ns(full=True)), _draws(ns(full=True))) == (None, FULL_DRAWS)
    assert _mp_cases(ns(case=["gulf"])) is None and _mp_cases(ns(tag=["mgh"])) is None
    assert _draws(ns(full=True, draws=7)) == 7


def test_memo_keys_of_a_batch_are_the_keys_of_its_rows() -> None:
    """Rows short enough to be their own key are keyed at once; the rest by digest."""
    from firstorder.numbers import context
    from firstorder.studies.memo import RAW_KEY_BYTES, _row_key, _row_keys

    rng = np.random.default_rng(1)
    wide = RAW_KEY_BYTES // 8 + 1
    for v in (
        rng.normal(size=(5, 3)),
        rng.normal(size=(5, 3)).astype(np.float32),
        rng.normal(size=(5, 6))[:, ::2],  # not contiguous
        rng.normal(size=(3, wide)),
        context("mp", 20).asarray(rng.normal(size=(2, 3))),
        rng.normal(size=(3, 4, 2)),  # a batch of batches: each row a block of points
    ):
        assert _row_keys(v) == [_row_key(r) for r in v]
    assert len(set(_row_keys(np.array([[0.0, 1.0], [1.0, 0.0]])))) == 2


def test_a_memoised_cost_takes_any_batch_shape() -> None:
    from firstorder.studies.memo import memoised

    c = fo.load_cases()["rosenbrock"]
    v = np.random.default_rng(0).normal(size=(3, 4, 2))
    m = memoised(c)
    assert np.array_equal(m.cost(v), c.cost(v)) and np.array_equal(m.cost(v), c.cost(v))
