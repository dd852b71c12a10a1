"""Sampling the step ladder from the top down: thin far above the noise, stop once quiet.

A cost that cannot batch is looped, one point at a time, so every point of a sweep
costs a call (a cost that batches is evaluated at every point in one call, and the
same steps are kept from its values, so both judge the same samples). Two kinds of
steps carry next to nothing:

* **Below the noise.** Once a remainder has sunk into the cost's round-off, the
  intercept fit of s1 weighs a step ``h`` by ``h²/σ²``
  (:mod:`~firstorder.taylor.detection`), so steps a factor 2⁶ under the first quiet
  one weigh 2⁻¹² of it; r1 is fitted over its clean window above the floor, and its
  floor is read off a few steps below.
* **Far above it.** Where a remainder stands more than :data:`FAR` noise deviations
  above the round-off, a step tells only the smooth terms, which a ladder of ratio
  4 tells as well: the fits take any steps, and s1's intercept is fitted
  near the noise, where the ladder is dense again.

:func:`sample_early` evaluates the ladder in rounds of :data:`CHUNK` steps from the
largest down, along every direction at once. The point and one noise probe come
first: the probe measures the round-off of a cost value at the point, the same along
any direction, so the other directions share its σ. In a round a side takes every
other step while its last remainder is :data:`FAR` deviations above the noise. It
stops its −h side once s1 has stayed within :data:`QUIET` deviations for
:data:`QUIET_RUN` consecutive steps, and its +h side once the −h side has stopped
and r1 has been quiet for :data:`QUIET_RUN_R1` steps. A wrong gradient's ``h|e·d|``
keeps s1 above the noise down to ``h ≈ σ/|e·d|``, so the steps it shows at are
kept; where the probe misses round-off (a plateau above it), the remainders never
read as quiet and the ladder is evaluated down to its end.

The kept steps are formed and judged as a full ladder's
(:func:`~firstorder.taylor.remainders.sample_along`); s1 is NaN at the +h steps
where the −h side was thinned or had stopped. The noise probe is shared: sampled with
their own probes, each direction after the first would cost a looped cost 16 calls
more, and the σ of one probe of 33 points is better measured than each of 17.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..case.model import Case
from ..numbers import Array, Context
from .remainders import (
    PROBE,
    Samples,
    evaluate_sweep,
    form_samples,
    jittered_steps,
    probe_noise,
    resolution,
    round_off,
    sweep_points,
    where_in_sweep,
)

__all__ = [
    "CHUNK",
    "FAR",
    "QUIET",
    "QUIET_RUN",
    "QUIET_RUN_R1",
    "SHARED_PROBE",
    "sample_early",
]

#: A remainder within this many noise deviations (κ not included) is quiet.
QUIET = 3.0
#: Consecutive quiet steps after which the −h side stops (s1 is read there).
QUIET_RUN = 6
#: Consecutive quiet steps after which the +h side stops, once the −h side has: r1's
#: floor is read off the last few (:func:`~firstorder.taylor.fit.plateau_floor` needs 3).
QUIET_RUN_R1 = 4
#: The shared noise probe evaluates C at v + kδd for k = −SHARED_PROBE … SHARED_PROBE
#: along the first direction (a σ from 30 third differences, not 14: it decides for
#: every direction).
SHARED_PROBE = 2 * PROBE
#: Steps per round, along every direction still going.
CHUNK = 2
#: A side whose last remainder stands this many noise deviations above the round-off
#: takes every other step of the next round: over a round a right gradient's s1 falls
#: by about 2⁶ (r1 by 2⁴), so the ladder is dense again from 10³–10⁵ deviations
#: down, where s1's intercept is fitted (its window rarely reaches higher).
FAR = 1e5


class _Side:
    """What one direction has evaluated so far, and whether each side goes on."""

    def __init__(self, n: int, jit_row: dict[int, int]) -> None:
        self.n, self.jit_row = n, jit_row
        self.plus: list[int] = []  # the +h and −h steps evaluated, in ladder places
        self.minus: list[int] = []
        self.jittered: list[int] = []
        self.plus_on = self.minus_on = True
        # whether the last remainder stood FAR above the noise: the largest step, first,
        # is presumed to (it is where a noisy cost loses one step, the next)
        self.far_r1 = self.far_s1 = True
        self.quiet_r1: list[bool] = []
        self.quiet_s1: list[bool] = []

    def wanted(self, lo: int, hi: int) -> tuple[list[int], list[int], list[int]]:
        """The rows to evaluate for steps ``lo … hi − 1``, and those steps on each side."""
        m = self.n + 1
        rows: list[int] = []
        plus: list[int] = []
        minus: list[int] = []
        # the +h side thins only where the −h side does too (s1 needs both sides)
        thin_plus = self.far_r1 and (self.far_s1 or not self.minus_on)
        for s in range(lo, min(hi, self.n)):
            if not self.plus_on or (thin_plus and s % 2):
                continue
            plus.append(s)
            rows.append(1 + s)
            # the jitter measures round-off, which matters near the noise only (r1,
            # the larger remainder, no longer far above it)
            if s in self.jit_row and not self.far_r1:
                rows.append(self.jit_row[s])
                self.jittered.append(s)
            if self.minus_on and not (self.far_s1 and s % 2):
                minus.append(s)
                rows.append(m + s)
        return rows, plus, minus

    def judge(self, plus: list[int], minus: list[int], r1: Array, s1: Array) -> None:
        """Record a round's steps and their deviations (s1 at the +h steps, NaN where
        not formed); thin or stop each side."""
        self.plus.extend(plus)
        self.minus.extend(minus)
        # NaN (a value not finite, the noise unknown) is neither quiet nor far
        if plus:
            self.far_r1 = bool(r1[-1] > FAR)
            self.quiet_r1.extend((r1 <= QUIET).tolist())
        if minus:
            formed = set(minus)
            s1 = s1[[s in formed for s in plus]]
            self.far_s1 = bool(s1[-1] > FAR)
            self.quiet_s1.extend((s1 <= QUIET).tolist())
        if self.minus_on and _run(self.quiet_s1):
            self.minus_on = False
        if self.plus_on and not self.minus_on and _run(self.quiet_r1, QUIET_RUN_R1):
            self.plus_on = False


class _Ladder:
    """The points of every direction's sweep (full-ladder row layout), their values
    so far, and ∇C·Δv of every step in float64 (known before any is evaluated)."""

    def __init__(self, v: Array, ds: list[Array], h64: Array, g: Array, cx: Context) -> None:
        n, v64 = len(h64), np.asarray(cx.to_float(v), dtype=float)
        h, delta = cx.asarray(h64), max(float(h64[-1]), resolution(v64, cx))
        # every direction's rows end with a probe of SHARED_PROBE points each side (one
        # layout for all); only the first direction's is evaluated
        self.rows = np.stack(
            [sweep_points(v, cx.asarray(d), h, delta, cx, SHARED_PROBE) for d in ds]
        )
        m = n + 1
        jit_row = {int(s): 2 * m - 1 + i for i, s in enumerate(jittered_steps(n))}
        self.probe = np.arange(2 * m - 1 + len(jit_row), self.rows.shape[1])
        self.sides = [_Side(n, jit_row) for _ in ds]
        x = np.asarray(cx.to_float(self.rows[:, : 2 * m - 1]), dtype=float)
        g64 = np.asarray(cx.to_float(g), dtype=float)
        plus, minus = x[:, 1:m], x[:, m:]
        dvs = (plus - minus) / 2
        # ∇C·Δv on the +h side, on both sides (symmetric), and Σ|g_i Δv_i| of the
        # latter, stacked: a round gathers all three at once
        self.linear = np.stack([(plus - x[:, :1]) @ g64, dvs @ g64, np.abs(dvs) @ np.abs(g64)])
        self.vals = np.zeros(self.rows.shape[:2])
        self.bad = np.ones(self.rows.shape[:2], dtype=bool)
        self.n, self.eps = n, float(cx.eps)
        # rows of a step's point, +h and −h values: shift + scale · step
        self._shift, self._scale = np.array([[0], [1], [m]]), np.array([[0], [1], [1]])

    def store(self, js: Array, rs: Array, vals: Array, bad: Array) -> None:
        """Values at rows ``rs`` of directions ``js`` (in the precision's own dtype)."""
        if self.vals.dtype != vals.dtype:
            self.vals = self.vals.astype(vals.dtype)
        self.vals[js, rs], self.bad[js, rs] = vals, bad

    def deviations(self, js: Array, steps: Array, noise: float) -> tuple[Array, Array]:
        """r1 and s1 at ladder places ``steps`` of directions ``js``, in noise
        deviations (:func:`~firstorder.taylor.remainders.round_off`, without κ and
        without the plateau, which the remainders themselves would set); NaN where a
        value is not finite or the noise is unknown.

        In float64 arithmetic: the values of float32 are exact in it, and a decision
        to thin or stop needs no more.
        """
        if not math.isfinite(noise):
            nan = np.full(len(steps), np.nan)
            return nan, nan
        # the point, the +h and the −h values of each step, gathered at once
        rows = self._shift + self._scale * steps
        c0, cp, cm = self.vals[js, rows].astype(float, copy=False)
        bad = self.bad[js, rows]
        lin, lin_sym, terms = self.linear[:, js, steps]
        with np.errstate(all="ignore"):
            r1_sigma, s1_sigma = round_off(noise, self.eps, cp, cm, terms)
            r1 = np.abs(cp - c0 - lin) / r1_sigma
            s1 = np.abs((cp - cm) / 2 - lin_sym) / s1_sigma
        r1[bad[1]] = np.nan
        s1[bad[1] | bad[2]] = np.nan
        return r1, s1

    def kept(self, j: int) -> tuple[Array, Array, Array, Array]:
        """Direction ``j``'s kept steps (ladder places), and its rows, values and mask
        in the layout of a ladder of those steps, without a probe."""
        side, m = self.sides[j], self.n + 1
        ks = np.array(side.plus, dtype=int)
        jit = [side.jit_row[s] for s in side.jittered]
        idx = np.concatenate([[0], 1 + ks, m + ks, jit]).astype(int)
        bad = self.bad[j, idx].copy()
        # −h steps thinned or after the stop: s1 is not formed there
        formed = set(side.minus)
        bad[1 + len(ks) : 1 + 2 * len(ks)] |= [s not in formed for s in side.plus]
        return ks, self.rows[j, idx], self.vals[j, idx], bad


def sample_early(
    c: Case, v64: Array, ds: list[Array], h64: Array, g: Array, cx: Context
) -> list[Samples]:
    """:func:`~firstorder.taylor.remainders.sample_along`, from the largest step down,
    thinning each side far above the noise and stopping it once its remainder is
    round-off.

    Raises
    ------
    FirstOrderError
        As :func:`~firstorder.taylor.remainders.sample_remainders`.
    """
    v, n = cx.asarray(v64), len(h64)
    lad = _Ladder(v, ds, h64, g, cx)
    size, probe = lad.rows.shape[1], lad.probe
    if c.batched:
        # One call for everything is cheaper than a call per round; the rounds below
        # then read the values, and keep the steps a looped cost keeps.
        js = np.repeat(np.arange(len(ds)), [size] + [probe[0]] * (len(ds) - 1))
        rs = np.concatenate([np.arange(size)] + [np.arange(probe[0])] * (len(ds) - 1))
        vals, bad = evaluate_sweep(c, lad.rows[js, rs], cx, _locator(rs, h64))
        lad.store(js, rs, vals, bad)
    else:
        # the point (every direction shares it) and the probe, once
        rows = np.concatenate([[0], probe])
        vals, bad = evaluate_sweep(c, lad.rows[0, rows], cx, _locator(rows, h64))
        lad.store(np.zeros_like(rows), rows, vals, bad)
        lad.store(np.arange(len(ds)), np.zeros(len(ds), dtype=int), vals[:1], bad[:1])
    noise = probe_noise(v, g, cx, lad.rows[0, probe], lad.vals[0, probe], lad.vals[0, 0])
    # a probe that is not finite: nothing reads as quiet, the ladder is evaluated whole
    quiet_noise = math.nan if lad.bad[0, 0] or np.any(lad.bad[0, probe]) else noise
    for lo in range(0, n, CHUNK):
        wanted = [side.wanted(lo, lo + CHUNK) for side in lad.sides]
        counts = [len(rows) for rows, _, _ in wanted]
        if not sum(counts):
            break
        if not c.batched:
            js = np.repeat(np.arange(len(ds)), counts)
            rs = np.array([r for rows, _, _ in wanted for r in rows], dtype=int)
            # every point is met once: no search for repeated ones
            vals, bad = evaluate_sweep(c, lad.rows[js, rs], cx, _locator(rs, h64), distinct=True)
            lad.store(js, rs, vals, bad)
        pcounts = [len(plus) for _, plus, _ in wanted]
        steps = np.array([s for _, plus, _ in wanted for s in plus], dtype=int)
        r1, s1 = lad.deviations(np.repeat(np.arange(len(ds)), pcounts), steps, quiet_noise)
        at = np.cumsum([0, *pcounts])
        for j, (side, (_, plus, minus)) in enumerate(zip(lad.sides, wanted, strict=True)):
            side.judge(plus, minus, r1[at[j] : at[j + 1]], s1[at[j] : at[j + 1]])
    out = []
    for j, d64 in enumerate(ds):
        ks, rows, vals, bad = lad.kept(j)
        jittered = np.array(lad.sides[j].jittered, dtype=int)
        out.append(form_samples(c, v64, d64, h64[ks], g, cx, rows, vals, bad, ks, jittered, noise))
    return out


def _locator(rs: Array, h64: Array) -> Callable[[int], str]:
    """Where row ``k`` of a round lies, for an error that names the step."""
    return lambda k: where_in_sweep(int(rs[k]), h64)


def _run(quiet: list[bool], run: int = QUIET_RUN) -> bool:
    return len(quiet) >= run and all(quiet[-run:])
