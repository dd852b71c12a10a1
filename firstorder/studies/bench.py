"""Timing gradient backends side by side: time per gradient, nfev, cost-evaluation ratio,
relative error.

Used by ``firstorder bench`` and the pytest-benchmark suite. Each gradient is timed
``repeats`` times (after one warm-up call); one cost evaluation at the same point is
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

__all__ = ["BENCH_BACKENDS", "bench_gradients", "peak_memory", "time_call"]

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
)
#: A backend name followed by this and a step rule (``central@rule``) is timed with
#: that rule; a stepped backend alone is timed with its automatic step, the search
#: included in every timed call (the search cache is cleared before each).
RULE_MARK = "@"
#: Up to this n, the error is measured against ``reference`` when there is no analytic
#: gradient (an mp gradient costs about 2n cost evaluations in mp).
REFERENCE_MAX_N = 64


#: A timed sample lasts at least this long: fast calls are looped inside it (like
#: :mod:`timeit`), so microsecond gradients are not lost in timer and scheduler noise.
MIN_SAMPLE_SECONDS = 2e-3


def time_call(fn: Callable[[], Any], repeats: int) -> np.ndarray:
    """Wall time per call of ``fn`` in ``repeats`` samples, after one warm-up call
    (seconds). A sample loops ``fn`` enough times to last :data:`MIN_SAMPLE_SECONDS`."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    loops = max(1, int(MIN_SAMPLE_SECONDS / first)) if first > 0 else 1
    times = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        times[i] = (time.perf_counter() - t0) / loops
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
        includes the search).
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
            for label in names:
                b, _, rule = label.partition(RULE_MARK)
                if skip is not None and skip(b, n):
                    continue
                if progress is not None:
                    progress(f"{c.name} n={n} {label}")
                call, warm = _calls(c, x, b, rule, chunk_bytes)
                t0 = time.perf_counter()
                res = call()
                first = time.perf_counter() - t0
                times = np.array([first]) if first > max_seconds else time_call(call, repeats)
                warm_time = np.nan
                if warm is not None and first <= max_seconds:
                    warm_time = float(np.median(time_call(warm, repeats)))
                err = np.nan
                if truth is not None and res.ok:
                    scale = np.max(np.abs(truth)) or 1.0
                    err = float(np.max(np.abs(res.as_float() - truth)) / scale)
                med = float(np.median(times))
                peak = peak_memory(call) if first <= max_seconds else -1
                rows.append(
                    {
                        "case": c.name,
                        "n": n,
                        "backend": label,
                        "step_rule": res.step_rule,
                        "median_time": med,
                        "min_time": float(np.min(times)),
                        "max_time": float(np.max(times)),
                        "nfev": res.nfev,
                        "cost_time": cost_time,
                        "time_per_cost_eval": med / cost_time if cost_time > 0 else np.nan,
                        "rel_error": err,
                        "truth": truth_name,
                        "peak_memory": peak,
                        "status": res.status,
                        "warm_time": warm_time,
                    }
                )
    return pd.DataFrame(rows)
