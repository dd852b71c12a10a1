"""A cross-check that catches a cost silently dropping what a method needs.

The complex step and the mp reference both rely on the cost keeping their arithmetic
(the imaginary part, the extra digits). One seeded directional derivative by float64
differences tells a dropped part from a badly scaled cost.
"""

from __future__ import annotations

import numpy as np

from ..case.model import Case
from ..numbers import Array

__all__ = ["disagreement"]


def disagreement(c: Case, x: Array, g: Array) -> str:
    """Cross-check a gradient along one seeded direction by float64 central differences.

    A cost can drop what a method needs without any error: ``np.real`` inside the cost
    under the complex step, ``float()`` or numpy functions under mp. The gradient then
    comes out silently wrong (often exactly zero in some components). The check takes
    C(x ± h d) and C(x ± 2h d) for a ladder of steps h = 10⁻²…10⁻⁹ · max(1, ‖x‖∞) in
    one batched call, and returns one sentence when ∇C·d disagrees with the difference
    at *every* step by more than the difference's own error there (its change between
    h and 2h, and round-off); an empty string otherwise. A dropped imaginary part is
    wrong at every scale; a badly scaled cost agrees at some step of the ladder.
    """
    n = len(x)
    d = np.random.default_rng(20030101).standard_normal(n)
    d /= np.linalg.norm(d)
    eps = float(np.finfo(np.float64).eps)
    hs = 10.0 ** -np.arange(2, 10) * max(1.0, float(np.max(np.abs(x))))
    offs = np.concatenate([hs, -hs, 2 * hs, -2 * hs])
    pts = x[None, :] + offs[:, None] * d[None, :]
    try:
        with np.errstate(all="ignore"):
            f = np.asarray(c.cost(np.concatenate([x[None, :], pts])), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a cost failing in float64 is reported elsewhere
        return ""
    k = len(hs)
    fp, fm, f2p, f2m = f[1 : k + 1], f[k + 1 : 2 * k + 1], f[2 * k + 1 : 3 * k + 1], f[3 * k + 1 :]
    with np.errstate(all="ignore"):
        d1 = (fp - fm) / (2 * hs)
        d2 = (f2p - f2m) / (4 * hs)
    gd = float(np.dot(g, d))
    noise = 8 * eps * np.max(np.abs(f[np.isfinite(f)]), initial=0.0) / hs
    tol = 10 * np.abs(d1 - d2) + 10 * noise + 1e-6 * (np.abs(d1) + float(np.linalg.norm(g)))
    good = np.isfinite(d1) & np.isfinite(d2)
    if not np.any(good) or np.any(np.abs(gd - d1[good]) <= tol[good]):
        return ""
    best = int(np.flatnonzero(good)[np.argmin(np.abs(gd - d1[good]))])
    return (
        f"its derivative along a test direction is {gd:.6g} but float64 differences of "
        f"the cost give {d1[best]:.6g} (at h = {hs[best]:.0e})"
    )
