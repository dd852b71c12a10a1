"""What every gradient backend returns, and the request it is handed.

:class:`GradientResult` is the one result type of :func:`~firstorder.gradient`; a
backend that cannot apply returns one too, built by :func:`not_applicable`, with its
reason. :class:`Job` is the validated request a backend's ``run`` receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..case.model import Case
from ..numbers import Array

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GradientResult", "Job", "not_applicable"]


@dataclass(frozen=True, eq=False)
class GradientResult:
    """A gradient from one backend.

    Attributes
    ----------
    values : numpy.ndarray
        Shape ``(n,)``: floats for float precisions, ``mpf`` objects for ``mp`` and
        ``reference``. All NaN when not applicable.
    nfev : int
        Cost evaluations, counted as points evaluated.
    steps : numpy.ndarray or None
        The step of each component (the largest of a ladder), None when not stepped.
    backend, precision : str
        What computed it, and in which number system.
    dps : int or None
        Digits of ``mp`` results.
    error_estimate : numpy.ndarray or None
        Per-component error estimate where the method has one.
    status : str
        ``"ok"`` or ``"not-applicable"``.
    step_rule : str
        Which rule set the steps: ``"auto"`` (the step search), ``"rule"`` (the fixed
        rule, SciPy's), ``"user"``, or ``""`` for unstepped backends and peers.
    reason : str
        One sentence why not applicable, ``""`` when ok.
    """

    values: Array
    nfev: int
    steps: Array | None
    backend: str
    precision: str
    dps: int | None = None
    error_estimate: Array | None = None
    status: str = "ok"
    reason: str = ""
    step_rule: str = ""

    @property
    def ok(self) -> bool:
        """Whether the backend applied."""
        return self.status == "ok"

    def as_float(self) -> Array:
        """The values as a float64 copy (the real part, NaN when not applicable)."""
        vals = np.asarray(self.values)
        if vals.dtype == object:
            return np.array([float(t) for t in vals.flat], dtype=np.float64).reshape(vals.shape)
        return np.array(np.real(vals), dtype=np.float64)

    def to_frame(self) -> pd.DataFrame:
        """One row per component: value, exact value (mp), step and error estimate."""
        import pandas as pd

        n = len(self.values)
        vals = np.asarray(self.values)
        exact = [str(t) for t in vals] if vals.dtype == object else [repr(float(t)) for t in vals]

        def col(a: Array | None) -> Array:
            if a is None:
                return np.full(n, np.nan)
            return np.array([float(t) for t in np.asarray(a).flat], dtype=np.float64)

        return pd.DataFrame(
            {
                "component": np.arange(n),
                "value": self.as_float(),
                "value_exact": exact,
                "step": col(self.steps),
                "error_estimate": col(self.error_estimate),
                "backend": self.backend,
                "precision": self.precision,
                "status": self.status,
                "step_rule": self.step_rule,
            }
        )


class Job(NamedTuple):
    """A validated gradient request: what a backend's ``run`` is called with."""

    case: Case
    point: Array
    precision: str
    step: Any
    dps: int
    chunk_bytes: int


def not_applicable(
    backend: str, n: int, precision: str, reason: str, dps: int | None = None
) -> GradientResult:
    """An all-NaN result saying in one sentence why ``backend`` does not apply."""
    return GradientResult(
        values=np.full(n, np.nan),
        nfev=0,
        steps=None,
        backend=backend,
        precision=precision,
        dps=dps,
        status="not-applicable",
        reason=reason,
    )
