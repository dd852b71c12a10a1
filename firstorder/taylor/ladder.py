"""Sampling the step ladder from the top down, stopping once the remainders are round-off.

A cost that cannot batch is looped, one point at a time, so every point of a sweep
costs a call (a cost that batches is evaluated at every point in one call, as
before, and the same steps are kept from its values). Below the step where a
remainder has sunk into the cost's round-off, its steps carry next to nothing: the
intercept fit of s1 weighs a step ``h`` by ``h²/σ²``
(:mod:`~firstorder.taylor.detection`), so steps a factor 2⁸ under the first quiet
one weigh 2⁻¹⁶ of it; r1 is fitted over its clean window above the floor, and its
floor is read off a few steps below.

:func:`sample_early` evaluates the ladder in chunks from the largest step down,
along every direction at once. It stops a direction's −h side once s1 has stayed
within :data:`QUIET` noise deviations for :data:`QUIET_RUN` consecutive steps, and
its +h side once the −h side has stopped and r1 has done the same. The noise is the
probe's (measured first, at the point), never the remainders' own plateau. A wrong
gradient's ``h|e·d|`` keeps s1 above the noise down to ``h ≈ σ/|e·d|``, so the steps
it shows at are kept; where the probe misses round-off (a plateau above it), the
remainders never read as quiet and the whole ladder is evaluated, as before.

The kept steps are formed and judged exactly as a full ladder's
(:func:`~firstorder.taylor.remainders.sample_along`); s1 is NaN at the +h steps
below the −h side's stop.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context
from .detection import cost_noise
from .remainders import (
    Samples,
    _costs,
    _form,
    _jittered,
    _resolution,
    _sweep_points,
    _where,
    round_off,
)

__all__ = ["CHUNK", "QUIET", "QUIET_RUN", "sample_early"]

#: A remainder within this many noise deviations (κ not included) is quiet.
QUIET = 3.0
#: Consecutive quiet steps after which a side stops.
QUIET_RUN = 8
#: Steps evaluated per round, along every direction still going.
CHUNK = 4


class _Sweep:
    """The values evaluated so far along one direction (full-ladder row layout)."""

    def __init__(self, rows: Array, n: int, g64: Array, cx: Context) -> None:
        self.rows, self.n, self.eps = rows, n, float(cx.eps)
        # ∇C·Δv of every step, and of the probe, in float64 once (the points are known
        # before any is evaluated)
        x = np.asarray(cx.to_float(rows), dtype=float)
        plus, minus = x[1 : n + 1], x[n + 1 : 2 * n + 1]
        dvs = (plus - minus) / 2
        self.lin, self.lin_sym = (plus - x[0]) @ g64, dvs @ g64
        self.sym_terms = np.abs(dvs) @ np.abs(g64)
        self.vals = np.zeros(len(rows), dtype=object if cx.name == "mp" else float)
        self.bad = np.ones(len(rows), dtype=bool)
        self.plus = self.minus = 0  # +h and −h steps evaluated
        self.plus_on = self.minus_on = True
        self.quiet_r1: list[bool] = []
        self.quiet_s1: list[bool] = []
        self.noise: float | None = None  # the probe's σ, once evaluated
        self.plus_seen = self.minus_seen = 0  # steps whose quietness is recorded
        m, jit = n + 1, _jittered(n)
        self.jit_row = {int(s): 2 * m - 1 + i for i, s in enumerate(jit)}
        self.probe = np.arange(2 * m - 1 + len(jit), len(rows))
        self.lin_probe = (x[self.probe] - x[0]) @ g64

    def wanted(self, lo: int, hi: int) -> list[int]:
        """Rows of steps ``lo … hi − 1`` still to evaluate (the point and probe first)."""
        m = self.n + 1
        out = [0, *self.probe.tolist()] if lo == 0 else []
        for s in range(lo, min(hi, self.n)):
            if self.plus_on:
                out.append(1 + s)
                if s in self.jit_row:
                    out.append(self.jit_row[s])
            if self.minus_on:
                out.append(m + s)
        return out

    def truncated(self) -> tuple[int, Array, Array, Array]:
        """The kept steps, and the rows, values and mask of a ladder of that length."""
        m, k = self.n + 1, self.plus
        jit = [self.jit_row[int(s)] for s in _jittered(k)]
        idx = np.concatenate([np.arange(1 + k), m + np.arange(k), jit, self.probe]).astype(int)
        bad = self.bad[idx].copy()
        bad[1 + k + self.minus : 1 + 2 * k] = True  # −h side stopped: s1 not formed there
        return k, self.rows[idx], self.vals[idx], bad


def sample_early(
    c: Case, v64: Array, ds: list[Array], h64: Array, g: Array, cx: Context
) -> list[Samples]:
    """:func:`~firstorder.taylor.remainders.sample_along`, from the largest step down,
    stopping each side of each direction once its remainder is round-off.

    Raises
    ------
    FirstOrderError
        As :func:`~firstorder.taylor.remainders.sample_remainders`.
    """
    v, h, n = cx.asarray(v64), cx.asarray(h64), len(h64)
    delta = max(float(h64[-1]), _resolution(v64, cx))
    g64 = np.asarray(cx.to_float(g), dtype=float)
    sweeps = [_Sweep(_sweep_points(v, cx.asarray(d), h, delta, cx), n, g64, cx) for d in ds]
    if c.batched:
        # One call for everything is cheaper than a call per round; the stops are then
        # read off the values, the same steps as a looped cost keeps.
        size = len(sweeps[0].rows)
        every = np.concatenate([sw.rows for sw in sweeps])
        vals, bad = _costs(c, every, cx, lambda k: _where(k % size, h64))
        for j, sw in enumerate(sweeps):
            sw.vals, sw.bad = vals[j * size : (j + 1) * size], bad[j * size : (j + 1) * size]
            quiet_r1, quiet_s1 = _quiet(sw, 0, n)
            for lo in range(0, n, CHUNK):
                _stop(sw, min(lo + CHUNK, n), quiet_r1, quiet_s1)
    else:
        for lo in range(0, n, CHUNK):
            asked = [(j, r) for j, sw in enumerate(sweeps) for r in sw.wanted(lo, lo + CHUNK)]
            if not asked:
                break
            pts = np.stack([sweeps[j].rows[r] for j, r in asked])
            # after the first round (the point and the probes, which share the point)
            # every point is met once
            vals, bad = _costs(c, pts, cx, _locator(asked, h64), distinct=lo > 0)
            for (j, r), val, b in zip(asked, vals, bad, strict=True):
                sweeps[j].vals[r], sweeps[j].bad[r] = val, b
            hi = min(lo + CHUNK, n)
            for sw in sweeps:
                if hi < QUIET_RUN:  # no run yet: count the steps, test them later
                    sw.plus, sw.minus = hi, hi
                elif sw.plus_on or sw.minus_on:
                    start = min(sw.plus_seen, sw.minus_seen)
                    quiet_r1, quiet_s1 = _quiet(sw, start, hi)
                    _stop(sw, hi, quiet_r1, quiet_s1, start)
    out = []
    for sw, d64 in zip(sweeps, ds, strict=True):
        k, rows, vals, bad = sw.truncated()
        out.append(_form(c, v64, d64, h64[:k], g, cx, rows, vals, bad))
    return out


def _locator(asked: list[tuple[int, int]], h64: Array) -> Callable[[int], str]:
    """Where row ``k`` of a round lies, for an error that names the step."""
    return lambda k: _where(asked[k][1], h64)


def _stop(sw: _Sweep, hi: int, quiet_r1: Array, quiet_s1: Array, lo: int = 0) -> None:
    """Count the steps up to ``hi`` as evaluated and stop a side whose remainder has
    been quiet for a run of them (``quiet_*`` hold steps ``lo …``)."""
    if sw.plus_on:
        sw.plus = hi
        sw.quiet_r1.extend(quiet_r1[sw.plus_seen - lo : hi - lo].tolist())
        sw.plus_seen = hi
    if sw.minus_on:
        sw.minus = hi
        sw.quiet_s1.extend(quiet_s1[sw.minus_seen - lo : hi - lo].tolist())
        sw.minus_seen = hi
        sw.minus_on = not _run(sw.quiet_s1)
    if sw.plus_on and not sw.minus_on:
        sw.plus_on = not _run(sw.quiet_r1)


def _run(quiet: list[bool]) -> bool:
    return len(quiet) >= QUIET_RUN and all(quiet[-QUIET_RUN:])


def _quiet(sw: _Sweep, lo: int, hi: int) -> tuple[Array, Array]:
    """Whether r1 and s1 lie within :data:`QUIET` noise deviations at steps
    ``lo … hi − 1`` (:func:`~firstorder.taylor.remainders.round_off`, without κ and without
    the plateau, which the remainders themselves would set).

    In float64 arithmetic (never mp here): the values of float32 are exact in it, and
    a decision to stop needs no more.
    """
    eps, m, vals = sw.eps, sw.n + 1, sw.vals
    if sw.noise is None:
        finite = not (sw.bad[0] or np.any(sw.bad[sw.probe]))
        probed = np.asarray(vals[sw.probe], dtype=float) - sw.lin_probe
        sw.noise = cost_noise(probed, eps, float(vals[0])) if finite else math.nan
    noise = sw.noise
    if not math.isfinite(noise):  # a probe that is not finite: never quiet
        return np.zeros(hi - lo, dtype=bool), np.zeros(hi - lo, dtype=bool)
    c0 = float(vals[0])
    cp = np.asarray(vals[1 + lo : 1 + hi], dtype=float)
    cm = np.asarray(vals[m + lo : m + hi], dtype=float)
    with np.errstate(all="ignore"):
        r1_sigma, s1_sigma = round_off(noise, eps, cp, cm, sw.sym_terms[lo:hi])
        quiet_r1 = np.abs(cp - c0 - sw.lin[lo:hi]) <= QUIET * r1_sigma
        quiet_s1 = np.abs((cp - cm) / 2 - sw.lin_sym[lo:hi]) <= QUIET * s1_sigma
    kept = ~sw.bad[1 + lo : 1 + hi]
    return quiet_r1 & kept, quiet_s1 & kept & ~sw.bad[m + lo : m + hi]
