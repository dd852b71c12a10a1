"""Timing gradient backends side by side: time per gradient, nfev, cost-evaluation ratio,
relative error.

Used by ``firstorder bench`` and the pytest-benchmark suite. Each gradient is timed
``repeats`` times (after one warm-up call), the backends of one point taking turns, one
sample each per round, so that a change of load on a shared machine reaches all of
them alike and their ratios stay fair; one cost evaluation at the same point is
timed the same way, so ``time_per_cost_eval`` says how many cost evaluations one
gradient is worth.
"""

from __future__ import annotations

import functools
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..case.model import Case
from ..errors import FirstOrderError, unknown

__all__ = [
    "BENCH_BACKENDS",
    "bench_gradients",
    "peak_memory",
    "time_call",
    "time_interleaved",
]

#: Backends timed unless told otherwise (peers only where installed).
BENCH_BACKENDS = (
    "central",
    "central@rule",
    "complex-step",
    "central4",
    "forward",
    "richardson",
    "scipy-3point",
    "scipy-cs",
    "scipy-2point",
    "numdifftools",
    "autodiff",
)
#: A backend name followed by this and a step rule (``central@rule``) is timed with
#: that rule; a stepped backend alone is timed with its automatic step, the search
#: included in every timed call (the search cache is cleared before each).
RULE_MARK = "@"
#: Up to this n, the error is measured against ``reference`` when there is no analytic
#: gradient (an mp gradient costs about 2n cost evaluations in mp).
REFERENCE_MAX_N = 64


#: The columns of :func:`bench_gradients`, in order.
COLUMNS = (
    "case",
    "n",
    "backend",
    "step_rule",
    "median_time",
    "min_time",
    "max_time",
    "nfev",
    "cost_time",
    "time_per_cost_eval",
    "rel_error",
    "truth",
    "peak_memory",
    "status",
    "warm_time",
    "first_time",
)
#: A timed sample lasts at least this long: fast calls are looped inside it (like
#: :mod:`timeit`), so microsecond gradients are not lost in timer and scheduler noise.
MIN_SAMPLE_SECONDS = 2e-3


def time_call(fn: Callable[[], Any], repeats: int) -> np.ndarray:
    """Wall time per call of ``fn`` in ``repeats`` samples, after one warm-up call
    (seconds). A sample loops ``fn`` enough times to last :data:`MIN_SAMPLE_SECONDS`."""
    t0 = time.perf_counter()
    fn()
    return time_interleaved([fn], [time.perf_counter() - t0], repeats)[0]


def time_interleaved(
    calls: Sequence[Callable[[], Any]], firsts: Sequence[float], repeats: int
) -> list[np.ndarray]:
    """Wall time per call of each of ``calls`` in ``repeats`` rounds, one sample of each
    per round (seconds): on a shared machine a change of load then reaches every call
    alike, and their ratios stay fair. ``firsts`` are the calls' first (warm-up) times,
    which set how many calls one sample loops (as :func:`time_call`)."""
    loops = [max(1, int(MIN_SAMPLE_SECONDS / f)) if f > 0 else 1 for f in firsts]
    times = [np.empty(repeats) for _ in calls]
    for i in range(repeats):
        for fn, k, out in zip(calls, loops, times, strict=True):
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            out[i] = (time.perf_counter() - t0) / k
    return times


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (numpy buffers included) during one call of ``fn``.

    Measured in a separate call from the timed ones: tracing slows allocation.
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - base)


def _truth(c: Case, x: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The gradient errors are measured against, and its name."""
    from ..gradients.backends import gradient

    if c.has_gradient:
        return np.asarray(c.grad(x), dtype=np.float64), "analytic"
    if len(x) <= REFERENCE_MAX_N:
        ref = gradient(c, x, backend="reference")
        if ref.ok:
            return ref.as_float(), "reference"
    cs = gradient(c, x, backend="complex-step")
    if cs.ok:
        return cs.as_float(), "complex-step"
    return None, ""


def _calls(
    c: Case, x: np.ndarray, backend: str, rule: str, chunk_bytes: int | None
) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    """The timed call, and for the automatic step the call that reuses its search."""
    from ..gradients.backends import BACKENDS, gradient
    from ..gradients.finite_difference import clear_step_cache

    kw: dict[str, Any] = {}
    if chunk_bytes is not None and BACKENDS[backend].kind != "peer":
        kw["chunk_bytes"] = chunk_bytes
    if rule:
        kw["step"] = rule
    warm = functools.partial(gradient, c, x, backend=backend, **kw)
    auto = BACKENDS[backend].stepped and backend != "complex-step" and rule in ("", "auto")
    if not auto:
        return warm, None

    def cold() -> Any:
        clear_step_cache()
        return warm()

    return cold, warm


def bench_gradients(
    cases: Iterable[Case | str],
    sizes: Sequence[int] | None = None,
    backends: Sequence[str] | None = None,
    repeats: int = 5,
    *,
    max_seconds: float = 30.0,
    chunk_bytes: int | None = None,
    skip: Callable[[str, int], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Time gradients of each case at each size by each backend.

    Parameters
    ----------
    cases
        Cases or registered names.
    sizes
        Dimensions for scalable cases (others run at their own ``dim``); default each
        case's ``dim``.
    backends
        Backend names (default :data:`BENCH_BACKENDS` that are installed), a stepped
        one optionally with a step rule, ``central@rule``.
    repeats
        Timed calls per measurement (after a warm-up).
    max_seconds
        A backend whose single warm-up gradient takes longer than this is timed once.
    chunk_bytes
        Memory budget handed to firstorder's own backends.
    skip
        ``skip(backend, n) -> bool``: measurements to leave out (e.g. a peer that
        would take minutes at large n).
    progress
        Called with a short label before each measurement.

    Returns
    -------
    pandas.DataFrame
        One row per (case, n, backend): ``case``, ``n``, ``backend`` (``name@rule``
        for a fixed step rule), ``step_rule``, ``median_time``,
        ``min_time``, ``max_time`` (seconds), ``nfev``, ``cost_time``,
        ``time_per_cost_eval`` (median gradient time over median cost time),
        ``rel_error`` (‖g − g*‖∞/‖g*‖∞), ``truth`` (what g* is: the analytic gradient,
        else the mp reference up to :data:`REFERENCE_MAX_N`, else the complex step),
        ``peak_memory`` (bytes, one traced call), ``status``, ``warm_time`` (for the
        automatic step: the median time when its search is reused; ``median_time``
        includes the search), ``first_time`` (the first, untimed call; for ``autodiff``
        that is tracing and jit-compiling at this n, kept apart from the steady-state
        times).
    """
    from ..case.loading import resolve_case
    from ..gradients.backends import BACKENDS
    from ..gradients.finite_difference import STEP_RULES

    names = (
        [b for b in BENCH_BACKENDS if b.split(RULE_MARK)[0] in BACKENDS]
        if backends is None
        else list(backends)
    )
    for spec_name in names:
        b, _, rule = spec_name.partition(RULE_MARK)
        if b not in BACKENDS:
            raise unknown("backend", b, BACKENDS)
        if rule and (rule not in STEP_RULES or not BACKENDS[b].stepped):
            raise unknown(f"step rule of `{b}`", rule, STEP_RULES)
    if repeats < 1:
        raise FirstOrderError(f"`repeats` must be at least 1, not `{repeats}`.")
    rows = []
    for spec in cases:
        c = resolve_case(spec)
        ns = [c.dim] if sizes is None or not c.scalable else list(sizes)
        for n in ns:
            x = c.point(n=n)
            cost_time = float(np.median(time_call(functools.partial(c.cost, x), max(repeats, 5))))
            truth, truth_name = _truth(c, x)
            labels = [b for b in names if skip is None or not skip(b.partition(RULE_MARK)[0], n)]
            if progress is not None:
                progress(f"{c.name} n={n} " + " ".join(labels))
            for row in _measure_point(c, x, labels, repeats, max_seconds, chunk_bytes, truth):
                row.update(
                    case=c.name,
                    n=n,
                    cost_time=cost_time,
                    time_per_cost_eval=row["median_time"] / cost_time if cost_time > 0 else np.nan,
                    truth=truth_name,
                )
                rows.append({k: row[k] for k in COLUMNS})
    return pd.DataFrame(rows)


def _measure_point(
    c: Case,
    x: np.ndarray,
    labels: Sequence[str],
    repeats: int,
    max_seconds: float,
    chunk_bytes: int | None,
    truth: np.ndarray | None,
) -> list[dict[str, Any]]:
    """Every backend of ``labels`` at one point: a first call each, then their timed
    samples interleaved (:func:`time_interleaved`), then a traced call each."""
    calls, results, firsts = [], [], []
    for label in labels:
        b, _, rule = label.partition(RULE_MARK)
        call, warm = _calls(c, x, b, rule, chunk_bytes)
        t0 = time.perf_counter()
        results.append(call())
        firsts.append(time.perf_counter() - t0)
        calls.append((call, warm))
    # a backend slower than max_seconds is timed once, by its first call
    timed = [i for i, f in enumerate(firsts) if f <= max_seconds]
    warmed = [(i, w) for i in timed if (w := calls[i][1]) is not None]
    samples = time_interleaved(
        [calls[i][0] for i in timed] + [w for _, w in warmed],
        [firsts[i] for i in timed] + [firsts[i] for i, _ in warmed],
        repeats,
    )
    times = {i: samples[j] for j, i in enumerate(timed)}
    warm_times = {i: float(np.median(samples[len(timed) + j])) for j, (i, _) in enumerate(warmed)}
    rows = []
    for i, (label, res) in enumerate(zip(labels, results, strict=True)):
        t = times.get(i, np.array([firsts[i]]))
        err = np.nan
        if truth is not None and res.ok:
            scale = np.max(np.abs(truth)) or 1.0
            err = float(np.max(np.abs(res.as_float() - truth)) / scale)
        rows.append(
            {
                "backend": label,
                "step_rule": res.step_rule,
                "median_time": float(np.median(t)),
                "min_time": float(np.min(t)),
                "max_time": float(np.max(t)),
                "nfev": res.nfev,
                "rel_error": err,
                "peak_memory": peak_memory(calls[i][0]) if i in times else -1,
                "status": res.status,
                "warm_time": warm_times.get(i, np.nan),
                "first_time": firsts[i],
            }
        )
    return rows
