"""Detection thresholds and false alarms of `check` on plain-numpy user costs.

Run from the repository root: ``python scripts/detection_thresholds.py [draws]``.
For each user cost of ``tests/fo_user_costs.py``, at ``draws`` seeded points: the
right gradient (false alarms, inconclusive), then faults of relative size δ — the
whole gradient ×(1+δ), the largest component ×(1+δ) — and a sign flip, a swap of the
two largest components and a dropped term (largest component set to 0). Prints a
Markdown table of detected % per fault kind × δ.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np

sys.path[:0] = [".", "tests"]

import fo_user_costs as U  # noqa: E402

import firstorder as fo  # noqa: E402

DELTAS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10)


def faults(g: np.ndarray, delta: float) -> dict[str, np.ndarray]:
    i = int(np.argmax(np.abs(g)))
    whole = g * (1 + delta)
    comp = g.copy()
    comp[i] *= 1 + delta
    return {f"whole {delta:g}": whole, f"largest {delta:g}": comp}


def structural(g: np.ndarray) -> dict[str, tuple[np.ndarray, set[int]]]:
    order = np.argsort(-np.abs(g))
    i, j = int(order[0]), int(order[1])
    flip, swap, drop = g.copy(), g.copy(), g.copy()
    flip[i] = -g[i]
    swap[i], swap[j] = g[j], g[i]
    drop[i] = 0.0
    out = {"sign flip": (flip, {i}), "dropped term": (drop, {i})}
    if g[i] != g[j]:
        out["swap"] = (swap, {i, j})
    return out


def main(draws: int) -> None:
    rows = []
    for c in U.COSTS:
        seen: Counter[str] = Counter()
        hit: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for k, v in enumerate(c.points(draws, seed=100)):
            g = c.grad(v)
            right[fo.check_gradient(c.cost, c.grad, v, seed=k).verdict] += 1
            if k >= 10:
                continue  # faults at the first 10 points
            for delta in DELTAS:
                for name, gw in faults(g, delta).items():
                    res = fo.check_gradient(c.cost, lambda _v, gw=gw: gw, v, seed=k)
                    seen[name] += 1
                    hit[name] += res.verdict == "fail"
            for name, (gw, wrong) in structural(g).items():
                res = fo.check_gradient(c.cost, lambda _v, gw=gw: gw, v, seed=k)
                seen[name] += 1
                hit[name] += res.verdict == "fail" and set(res.wrong_components) == wrong
        rows.append((c.name, right, {n: 100 * hit[n] / seen[n] for n in seen}))
    kinds = list(rows[0][2])
    print("| cost | right: pass / fail / inconclusive | " + " | ".join(kinds) + " |")
    print("|---" * (len(kinds) + 2) + "|")
    for name, right, pct in rows:
        r = f"{right['pass'] + right['exact']} / {right['fail']} / {right['inconclusive']}"
        cells = " | ".join(f"{pct.get(k, float('nan')):.0f}" for k in kinds)
        print(f"| {name} | {r} | {cells} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
