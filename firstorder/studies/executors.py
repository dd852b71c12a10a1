"""Where a run's tasks execute: serially, on a process pool or on Dask, in timed groups.

Tasks go out in groups so that scheduling costs little next to the work: the groups
are cut, largest task first, to about :data:`GROUPS_PER_WORKER` groups per worker of
roughly equal estimated cost (a task bigger than that share is a group of its own).
Each task is timed in its worker; :func:`dispatch` sums those times into the run's
``timing`` (``run.json``): the serial-equivalent task time against the wall time is
the speed-up, and the share of the workers' time not spent in tasks is the overhead
(scheduling, transfers and the idle tail of the last groups). On a shared machine
wall times stretch with the load; ``cpu_speedup`` (all tasks' CPU time against the
busiest worker's) is what the workers would reach with a core each, and ``cpu_share``
the share of the workers' wall time they actually got on a CPU.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..case.shipping import forget
from ..errors import FirstOrderError
from .spec import ProgressFn, Task
from .tasks import TaskResult, run_tasks

__all__ = ["GROUPS_PER_WORKER", "Pool", "dispatch", "group_tasks", "open_pool"]

#: Groups per worker: enough to balance the tail, few enough to keep scheduling cheap.
#: The cost estimate is rough (its log correlates 0.65 with the measured task times of
#: the default run), so the tail needs small groups: replaying the measured times, 6
#: groups per worker left 10% of two workers idle, 20 leave under 1%, at a few
#: milliseconds of scheduling per group.
GROUPS_PER_WORKER = 20
#: The Dask install hint of every message about a missing Dask.
DASK_HINT = 'install it with `pip install "firstorder[dask]"`'


@dataclass(frozen=True)
class Pool:
    """An executor with what a run records about it.

    Attributes
    ----------
    executor : Executor or None
        None runs serially in this process.
    workers : int
        Worker processes (1 when serial).
    kind : str
        ``serial``, ``processes`` or ``dask``.
    address : str
        The Dask scheduler's address, or empty.
    everywhere : callable or None
        Runs a function once on every worker (Dask's ``Client.run``); None where the
        workers share this machine's temporary folder.
    """

    executor: Executor | None
    workers: int = 1
    kind: str = "serial"
    address: str = ""
    everywhere: Callable[..., Any] | None = None

    def forget(self, digests: Sequence[str]) -> None:
        """Remove the run's case bundles from the workers' temporary folders (best effort:
        a worker that left keeps them until they are a day old)."""
        if not digests:
            return
        forget(digests)
        if self.everywhere is not None:
            with contextlib.suppress(Exception):
                self.everywhere(forget, list(digests))


@contextlib.contextmanager
def open_pool(dask: str | None = None, jobs: int = 1) -> Iterator[Pool]:
    """Open the executor of a run: Dask at ``dask`` (``local`` for a LocalCluster), else
    ``jobs`` processes (serial for 1); close it on exit, stopping the worker processes
    at once when the run is abandoned (an error, Ctrl-C or SIGTERM).

    Raises
    ------
    FirstOrderError
        When Dask is not installed, the scheduler cannot be reached, or ``jobs < 1``.
    """
    if dask:
        with _dask_pool(dask) as pool:
            yield pool
        return
    if jobs < 1:
        raise FirstOrderError(f"`--jobs` must be at least 1, not `{jobs}`.")
    if jobs == 1:
        yield Pool(None)
        return
    ex = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield Pool(ex, workers=jobs, kind="processes")
    except BaseException:
        # An error, Ctrl-C or SIGTERM abandons the run: stop the workers rather than let
        # them finish their tasks (there is no public way before Python 3.14's
        # terminate_workers).
        for proc in list((getattr(ex, "_processes", None) or {}).values()):
            proc.terminate()
        raise
    finally:
        ex.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _dask_pool(address: str) -> Iterator[Pool]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise FirstOrderError(
            f"`--dask` needs Dask distributed, which is not installed; {DASK_HINT}."
        ) from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
        )
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise FirstOrderError(
                f"cannot reach the Dask scheduler at `{address}` ({exc}); give its "
                "address (tcp://host:8786) or `local`."
            ) from None
    try:
        info = client.scheduler_info()
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        paused = _pause_profilers(client)
        try:
            yield Pool(
                client.get_executor(),
                workers=max(1, threads),
                kind="dask",
                address=address,
                everywhere=client.run,
            )
        finally:
            if paused:
                with contextlib.suppress(Exception):
                    client.run(_profilers, False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


#: The Dask worker's periodic callbacks of its statistical profiler.
_PROFILER = ("profile", "profile-cycle")


def _profilers(pause: bool, dask_worker: Any = None) -> bool:
    """Pause (or resume) a Dask worker's statistical profiler; True if it was running.

    Every 10 ms it walks the running thread's stack under the interpreter lock; with
    firstorder's deep pure-Python stacks (mp arithmetic) that cost 45% more CPU per
    task in the default run (90 s against 62 s serially, 70 s with it paused).
    """
    callbacks = getattr(dask_worker, "periodic_callbacks", {})
    profilers = [pc for key in _PROFILER if (pc := callbacks.get(key)) is not None]
    running = any(pc.is_running() for pc in profilers)
    for pc in profilers:
        if pause:
            pc.stop()
        else:
            pc.start()
    return running


def _pause_profilers(client: Any) -> bool:
    """Pause the profilers of the run's workers (resumed when the pool closes)."""
    try:
        return any(client.run(_profilers, True).values())
    except Exception:  # noqa: BLE001 - an old or unusual worker: run with its profiler
        return False


def _cost(task: Task) -> int:
    """A task's estimated cost: its dimension times its grid cells."""
    return max(1, task.dim) * max(1, len(task.cells))


def group_tasks(tasks: Sequence[Task], workers: int) -> list[list[Task]]:
    """Cut tasks, largest first, into groups of about equal estimated cost.

    Parameters
    ----------
    tasks
        The run's tasks.
    workers
        Worker processes; a serial run (1) still gets groups, which changes nothing.
    """
    order = sorted(tasks, key=lambda t: (-_cost(t), t.index))
    share = sum(map(_cost, order)) / max(1, workers * GROUPS_PER_WORKER)
    groups: list[list[Task]] = []
    load = 0.0
    for t in order:
        if not groups or load + _cost(t) > share:
            groups.append([])
            load = 0.0
        groups[-1].append(t)
        load += _cost(t)
    return groups


def dispatch(
    tasks: Sequence[Task], pool: Pool, progress: ProgressFn | None = None
) -> tuple[list[TaskResult], dict[str, Any]]:
    """Run tasks on a pool in groups; return their results in task order and the timing.

    Raises
    ------
    FirstOrderError
        One line naming the worker and the case of a task that failed.
    """
    import time

    groups = group_tasks(tasks, pool.workers)
    start = time.perf_counter()
    try:
        results = _collect(groups, pool, len(tasks), progress)
    finally:
        pool.forget(sorted({d for d in map(_bundle_digest, tasks) if d}))
    return results, _timing(results, pool, time.perf_counter() - start, len(groups))


def _bundle_digest(task: Task) -> str:
    """The digest of the user's files the task carries, or empty."""
    bundle = task.origin.bundle if task.origin is not None else None
    return bundle.digest if bundle is not None else ""


def _collect(
    groups: Sequence[Sequence[Task]], pool: Pool, total: int, progress: ProgressFn | None
) -> list[TaskResult]:
    """The groups' results in task order, as they come back."""
    run: Callable[..., Any] = map if pool.executor is None else pool.executor.map
    results: list[TaskResult | None] = [None] * total
    done = 0
    stream = run(run_tasks, groups)
    for group in groups:
        try:
            got = next(stream)
        except FirstOrderError:
            raise
        except Exception as exc:  # noqa: BLE001 - an executor's own failure, in one line
            labels = ", ".join(f"`{t.label}`" for t in group[:3])
            raise FirstOrderError(
                f"the {pool.kind} executor lost the tasks {labels}: {type(exc).__name__}: "
                f"{exc}".replace("\n", " ")
            ) from None
        for task, res in zip(group, got, strict=True):
            results[task.index] = res
            done += 1
            if progress is not None:
                progress(done, total, task.label)
    return [r for r in results if r is not None]


def _timing(results: Sequence[TaskResult], pool: Pool, wall: float, groups: int) -> dict[str, Any]:
    """The run's timing: serial-equivalent task time against wall time, and overhead."""
    busy: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for r in results:
        if r.timing is not None:
            busy[r.timing.worker] = busy.get(r.timing.worker, 0.0) + r.timing.wall_s
            cpu[r.timing.worker] = cpu.get(r.timing.worker, 0.0) + r.timing.cpu_s
    task_wall, task_cpu = sum(busy.values()), sum(cpu.values())
    capacity = pool.workers * wall
    return {
        "executor": pool.kind,
        "address": pool.address,
        "workers": pool.workers,
        "tasks": len(results),
        "groups": groups,
        "wall_s": round(wall, 3),
        "task_wall_s": round(task_wall, 3),
        "task_cpu_s": round(task_cpu, 3),
        "speedup": round(task_wall / wall, 3) if wall > 0 else None,
        # the speed-up were each worker on a core of its own: all the tasks' CPU time
        # against the busiest worker's (a measure that a loaded machine disturbs less)
        "cpu_speedup": round(task_cpu / max(cpu.values()), 3) if cpu else None,
        "cpu_share": round(task_cpu / capacity, 3) if capacity > 0 else None,
        "overhead": round(1 - task_wall / capacity, 4) if capacity > 0 else None,
        "busy_s": {w: round(s, 3) for w, s in sorted(busy.items())},
        "cpu_s": {w: round(s, 3) for w, s in sorted(cpu.items())},
    }
