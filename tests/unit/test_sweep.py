"""The run grid: tasks, grid rules, determinism, and the same results on every executor."""

from __future__ import annotations

import multiprocessing
import pickle
import textwrap
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

import firstorder as fo
from firstorder.studies.grid import (
    build_tasks,
    cell_rule,
    direction_seed,
    point_of,
    resolve_spec,
    run_task,
)

EPS = np.finfo(float).eps
#: A small grid: two cases, every default backend, both default precisions.
SMALL = {
    "cases": ["booth", "seed"],
    "points": 1,
    "directions": 1,
    "dps": 30,
}

WRONG_CASE = textwrap.dedent(
    '''
    from firstorder import case


    @case(name="wrong_bowl", x0=[0.5, -1.0, 2.0], tags={"test"})
    def wrong_bowl(v, ctx):
        """A bowl whose gradient has component 1 off by a factor 1.5."""
        return ctx.sum(v**2) + v[..., 0] * v[..., 1]


    @wrong_bowl.gradient
    def _(v, ctx):
        x, y, z = v[..., 0], v[..., 1], v[..., 2]
        return ctx.stack([2 * x + y, 1.5 * (2 * y + x), 2 * z])
    '''
)


def frames(result: fo.RunResult) -> dict[str, pd.DataFrame]:
    return {k: getattr(result, k) for k in ("orders", "taylor", "gradients", "steps")}


def assert_same(a: fo.RunResult, b: fo.RunResult) -> None:
    for name, fa in frames(a).items():
        pd.testing.assert_frame_equal(fa, frames(b)[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def serial() -> fo.RunResult:
    return fo.run(**SMALL)


def test_tasks_cover_cases_times_points_and_drop_cells_by_rule(registry):
    spec, reg = resolve_spec(["booth", "seed"], points=2, registry=registry)
    tasks, skipped = build_tasks(spec, reg)
    assert [(t.case, t.point) for t in tasks] == [
        (c, k) for c in ("booth", "seed") for k in range(3)
    ]
    assert [t.index for t in tasks] == list(range(6))
    cells = {(b, p): n for b, p, n in tasks[0].cells}
    assert ("complex-step", "mp") not in cells
    assert cells[("analytic", "float64")] == spec.directions and cells[("analytic", "mp")] == 1
    assert cells[("central", "mp")] == 0, "mp finite differences get their gradient error only"
    later = {(b, p): n for b, p, n in tasks[1].cells}
    assert later[("analytic", "float64")] == spec.directions and later[("analytic", "mp")] == 0
    assert set(skipped["backend"]) == {"complex-step"}
    assert all(t.sweeps == () for t in tasks if t.point)
    assert tasks[0].sweeps == ("central", "complex-step")
    assert pickle.loads(pickle.dumps(tasks[1])) == tasks[1]


def test_every_case_runs_by_default_slow_ones_included(registry, tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(WRONG_CASE.replace('tags={"test"}', 'tags={"test", "slow"}'))
    reg = fo.load_cases(path, env=False, entry_points=False)
    spec, _ = resolve_spec(None, registry=reg)
    assert "wrong_bowl" in spec.cases and "booth" in spec.cases
    spec, _ = resolve_spec(["wrong_bowl"], registry=reg)
    assert spec.cases == ("wrong_bowl",)


def test_mp_finite_differences_stop_at_mp_max_dim():
    assert cell_rule("central", "mp", 3, mp_max_dim=2) is not None
    assert cell_rule("analytic", "mp", 10_000, mp_max_dim=2) is None
    assert cell_rule("central", "float64", 10_000, mp_max_dim=2) is None
    assert "float64 only" in cell_rule("complex-step", "float32", 2, mp_max_dim=99)


def test_points_and_directions_are_seeded_and_distinct(registry):
    c = registry["rosenbrock"]
    np.testing.assert_array_equal(point_of(c, 0, 2, seed=0), c.point())
    p1, p2 = point_of(c, 1, 2, seed=0), point_of(c, 2, 2, seed=0)
    np.testing.assert_array_equal(p1, point_of(c, 1, 2, seed=0))
    assert not np.array_equal(p1, p2) and not np.array_equal(p1, c.point())
    assert not np.array_equal(p1, point_of(c, 1, 2, seed=1))
    seeds = {direction_seed(0, "rosenbrock", p, d) for p in range(3) for d in range(3)}
    assert len(seeds) == 9


def test_a_small_grid_passes_and_fills_every_table(serial):
    spec = serial.spec
    tests = serial.tests
    # 2 cases × (3 backends in float64 at 2 points + analytic in mp at x0), 1 direction
    assert len(tests) == 2 * (3 * 2 + 1)
    assert set(tests[tests["precision"] == "mp"]["point"]) == {0}
    assert set(tests["verdict"]) <= {"pass", "exact"}
    assert serial.ok and serial.failures.empty
    assert set(serial.orders["remainder"]) >= {"r0", "r1"}
    g = serial.gradients
    assert len(g) == 2 * 5 * 2 and set(g["status"]) == {"ok"}
    analytic = g[(g["backend"] == "analytic") & (g["precision"] == "float64")]
    assert (analytic["rel_error"] <= 64 * EPS).all()
    analytic_mp = g[(g["backend"] == "analytic") & (g["precision"] == "mp")]
    assert (analytic_mp["rel_error"] <= 10.0 ** (8 - spec.dps)).all()
    central = g[(g["backend"] == "central") & (g["precision"] == "float64")]
    assert (central["rel_error"] <= EPS**0.5).all() and (central["nfev"] > 0).all()
    assert set(serial.steps["backend"]) == {"central", "complex-step"}
    assert {"h", "r0", "r1"} <= set(serial.taylor.columns)


def test_the_same_seed_gives_the_same_tables(serial):
    assert_same(serial, fo.run(**SMALL))


def test_a_different_seed_moves_the_random_points(serial):
    other = fo.run(**SMALL, seed=1)
    at = serial.gradients["point"] == 1
    assert not np.array_equal(
        serial.gradients[at]["abs_error"].to_numpy(), other.gradients[at]["abs_error"].to_numpy()
    )


def test_a_process_pool_gives_identical_results(serial):
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        assert_same(serial, fo.run(**SMALL, executor=pool))


def test_a_dask_local_cluster_gives_identical_results(serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, processes=False, threads_per_worker=1, dashboard_address="127.0.0.1:0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert_same(serial, fo.run(**SMALL, executor=client.get_executor()))


def test_extra_case_paths_reach_the_workers_and_wrong_gradients_fail(tmp_path):
    path = tmp_path / "wrong.py"
    path.write_text(WRONG_CASE)
    ctx = multiprocessing.get_context("spawn")
    kw = {"case_paths": [str(path)], "precisions": ["float64"], "points": 0, "directions": 1}
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        result = fo.run(["wrong_bowl"], **kw, backends=["analytic", "central"], executor=pool)
    tests = result.tests.set_index("backend")
    assert tests.loc["analytic", "verdict"] == "fail"
    assert tests.loc["analytic", "wrong_components"] == "1"
    assert tests.loc["analytic", "located"].startswith("[1] analytic -2.25, reference -1.5")
    assert tests.loc["central", "verdict"] == "pass"
    assert not result.ok and list(result.failures["case"]) == ["wrong_bowl"]
    g = result.gradients.set_index("backend")
    # Component 1 is 1.5x its true value: the normwise error is |0.5 g_1| / ‖g‖∞.
    truth = np.array([2 * 0.5 - 1.0, 2 * -1.0 + 0.5, 2 * 2.0])
    expected = 0.5 * abs(truth[1]) / np.abs(truth).max()
    assert g.loc["analytic", "rel_error"] == pytest.approx(expected, rel=16 * EPS)


def test_progress_is_called_once_per_task():
    calls = []
    fo.run(
        ["booth"],
        precisions=["float64"],
        points=1,
        directions=1,
        progress=lambda d, t, label: calls.append((d, t, label)),
    )
    assert [(d, t) for d, t, _ in calls] == [(1, 2), (2, 2)]
    assert {label for *_, label in calls} == {"booth@x0", "booth@p1"}


def test_a_task_runs_alone_in_any_process(registry):
    spec, reg = resolve_spec(["seed"], precisions=["float64"], points=0, registry=registry)
    tasks, _ = build_tasks(spec, reg)
    out = run_task(tasks[0])
    assert out.index == 0 and out.orders and out.gradients


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cases": ["nope"]}, r"unknown case `nope`"),
        ({"tags": ["no-such-tag"]}, r"unknown tag `no-such-tag`"),
        ({"backends": ["centre"]}, r"unknown backend `centre`.*`central`"),
        ({"precisions": ["float16"]}, r"unknown precision `float16`.*`float32`.*`mp`"),
        ({"points": -1}, r"`points` must be an integer ≥ 0"),
        ({"directions": 0}, r"`directions` must be an integer ≥ 1"),
        ({"dps": 5}, r"`dps` must be an integer ≥ 16"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(kwargs, match):
    with pytest.raises(fo.FirstOrderError, match=match):
        fo.run(**kwargs)


def test_tasks_go_out_in_groups_each_task_once_largest_first(registry):
    from firstorder.studies.executors import GROUPS_PER_WORKER, group_tasks

    spec, reg = resolve_spec(None, registry=registry)
    tasks, _ = build_tasks(spec, reg)
    groups = group_tasks(tasks, workers=2)
    flat = [t.index for g in groups for t in g]
    assert sorted(flat) == list(range(len(tasks)))
    # few groups, so scheduling costs little; enough to balance two workers' tails
    assert 2 * 2 <= len(groups) <= 4 * 2 * GROUPS_PER_WORKER
    cost = [t.dim * len(t.cells) for t in tasks]
    assert cost[groups[0][0].index] == max(cost)


def test_timing_compares_task_time_with_wall_time(serial):
    timing = serial.timing
    assert timing["executor"] == "serial" and timing["workers"] == 1
    assert timing["tasks"] == 4 and 1 <= timing["groups"] <= 4
    # serially the tasks fill the wall time but for the bookkeeping between them
    assert 0 <= timing["overhead"] < 0.1
    assert timing["speedup"] == pytest.approx(timing["task_wall_s"] / timing["wall_s"], rel=1e-2)
    assert serial.to_dict()["timing"] == timing


def test_an_abandoned_process_pool_stops_its_workers_at_once():
    import os
    import time

    from firstorder.studies.executors import open_pool

    with pytest.raises(KeyboardInterrupt), open_pool(jobs=2) as pool:
        assert pool.executor is not None
        # both workers up and idle first: a process still starting is not yet running
        for _ in range(100):
            if len({f.result() for f in [pool.executor.submit(os.getpid) for _ in range(8)]}) == 2:
                break
        futures = [pool.executor.submit(time.sleep, 60) for _ in range(2)]
        while not all(f.running() for f in futures):
            time.sleep(0.05)
        procs = list(pool.executor._processes.values())  # type: ignore[attr-defined]
        raise KeyboardInterrupt
    # The executor's own thread reaps the workers too: the one of two waitpid calls
    # that loses the race reads "still running" (ECHILD) until the winner records the
    # exit code, so wait for the exit codes, not for one join.
    deadline = time.monotonic() + 10
    for p in procs:
        while p.exitcode is None and time.monotonic() < deadline:
            p.join(timeout=0.05)
    assert all(p.exitcode is not None for p in procs)


def test_dask_worker_profilers_are_paused_for_the_run_and_resumed():
    from firstorder.studies.executors import _profilers

    class Callback:
        def __init__(self) -> None:
            self.running = True

        def is_running(self) -> bool:
            return self.running

        def stop(self) -> None:
            self.running = False

        def start(self) -> None:
            self.running = True

    class Worker:
        def __init__(self) -> None:
            names = ("profile", "profile-cycle", "other")
            self.periodic_callbacks = {name: Callback() for name in names}

    w = Worker()
    assert _profilers(True, dask_worker=w) is True
    assert [pc.running for pc in w.periodic_callbacks.values()] == [False, False, True]
    assert _profilers(False, dask_worker=w) is False
    assert all(pc.running for pc in w.periodic_callbacks.values())
    assert _profilers(True, dask_worker=object()) is False  # a worker without a profiler
