"""The one validator of points: what every entry taking a ``point`` accepts.

The Taylor harness, the gradient backends and the check of users' plain functions all
take a point from the user; they share this function so that the same bad point gets
the same sentence everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import FirstOrderError
from ..numbers import Array
from .model import Case

__all__ = ["as_point"]


def as_point(point: Any, case: Case | None = None, *, keep_objects: bool = False) -> Array:
    """A validated point: 1-D, non-empty, finite, of a length the case accepts.

    Parameters
    ----------
    point
        The point: numbers, an array, or (with ``case``) None for the case's ``x0``
        or the name of one of its points.
    case
        The case the point is for; None for a user's plain functions.
    keep_objects
        Keep an object array (mpmath numbers) as it is instead of rounding it to
        float64, for the mp paths that carry a point's digits.

    Returns
    -------
    numpy.ndarray
        float64 (or the object array itself under ``keep_objects``), shape ``(n,)``.

    Raises
    ------
    FirstOrderError
        For a point that is not numeric, not 1-D, empty, of a length the case does not
        accept, or not finite; naming the first non-finite component.
    """
    if case is not None and point is None:
        return case.point()
    if case is not None and isinstance(point, str):
        return case.point(point)
    arr = np.asarray(point)
    if not (keep_objects and arr.dtype == object):
        try:
            arr = np.asarray(point, dtype=np.float64)
        except (TypeError, ValueError):
            raise FirstOrderError(f"the `point` `{point!r}` is not an array of numbers.") from None
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise FirstOrderError(
            f"the `point` must be a non-empty 1-D array, not of shape {arr.shape}."
        )
    if case is not None and not case.accepts(arr.shape[0]):
        raise FirstOrderError(
            f"the `point` has length {arr.shape[0]} but case `{case.name}` has dimension "
            f"{case.dim}{' (or another it accepts)' if case.scalable else ''}."
        )
    finite = np.isfinite(arr.astype(np.float64)) if arr.dtype == object else np.isfinite(arr)
    if not np.all(finite):
        bad = int(np.flatnonzero(~finite)[0])
        raise FirstOrderError(f"the `point` has a non-finite component `v[{bad}]` = {arr[bad]}.")
    return arr
