"""How accurate a gradient backend promises to be: the error budget of its formula.

A finite difference of order p with the step h ~ eps^(1/(p+1)) balances truncation
(h^p) against round-off (eps/h), so its error is about eps^(p/(p+1)) times the size of
the cost's derivatives; the complex step and the mp reference are good to their
precision's eps. The Taylor harness uses the budget to tell a backend's expected
error (an order-1 tail in r1 below h*) from a wrong gradient.
"""

from __future__ import annotations

import math

__all__ = ["BUDGET_FACTOR", "backend_budget", "relative_accuracy"]

#: Safety factor on the formula's nominal accuracy (derivative sizes, constants).
BUDGET_FACTOR = 1e3


def relative_accuracy(backend: str, precision: str, dps: int) -> float | None:
    """The nominal relative accuracy eps^q of ``backend`` in ``precision``.

    Read from the backend's record (:attr:`Backend.accuracy`, :attr:`Backend.native`).
    Returns None for the analytic gradient (it has no formula error) and for unknown
    names.
    """
    from .backends import BACKENDS

    b = BACKENDS.get(backend)
    return None if b is None else b.relative_accuracy(precision, dps)


def backend_budget(
    backend: str, precision: str, dps: int, gnorm: float, cost: float, scale: float
) -> float | None:
    """Largest error of ∇C·d (d a unit vector) the backend's formula can explain.

    ``BUDGET_FACTOR · eps^q · (‖∇C‖ + |C| / scale)``: the gradient's own size and the
    round-off of differencing a cost of size |C| over steps of size ~scale.

    Parameters
    ----------
    backend, precision, dps
        The backend and the number system the test runs in.
    gnorm
        ‖∇C‖ of the backend's gradient.
    cost
        |C(v)|.
    scale
        max(1, ‖v‖∞), the scale of the steps.
    """
    acc = relative_accuracy(backend, precision, dps)
    if acc is None or not math.isfinite(gnorm):
        return None
    return BUDGET_FACTOR * acc * (gnorm + abs(cost) / max(scale, 1.0))
