"""firstorder in your own pytest suite: gradient assertions and case parametrisation.

Installing firstorder registers its pytest plugin (:mod:`firstorder._pytest_plugin`,
the ``pytest11`` entry point), so nothing else is needed to use it::

    import numpy as np
    from firstorder.testing import assert_gradient

    def cost(v):
        return float(np.sum(v**4) + v[0] * v[1])

    def grad(v):
        g = 4 * v**3
        g[0] += v[1]
        g[1] += v[0]
        return g

    def test_my_gradient():
        assert_gradient(cost, grad, point=[0.3, -1.2, 2.0])

and, to run one test for every registered case with a tag::

    import pytest
    from firstorder.testing import assert_taylor_order

    @pytest.mark.firstorder_cases(tag="mgh")
    def test_order(firstorder_case):
        assert_taylor_order(firstorder_case, precision="mp")

On failure the assertion message gives the verdict, the fitted order with its
interval, and the wrong components with their analytic and reference values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

# The marker and fixture names are the plugin's (the hooks live there only).
from ._pytest_plugin import CASE_FIXTURE, CASES_MARKER
from .case.loading import resolve_case
from .case.model import Case
from .case.registry import Registry
from .errors import FirstOrderError
from .taylor.harness import PASS_TOL

__all__ = [
    "CASES_MARKER",
    "CASE_FIXTURE",
    "assert_gradient",
    "assert_taylor_order",
    "select_cases",
]

_GOOD = ("pass", "exact")


def _format_order(order: float, ci: Sequence[float] | None) -> str:
    if order is None or not np.isfinite(order):
        return "no fitted order"
    if ci is None:
        return f"fitted order {order:.3f}"
    return f"fitted order {order:.3f} (95% CI {ci[0]:.3f} to {ci[1]:.3f})"


def _components_table(results: Iterable[Any], limit: int = 10) -> str:
    """Lines naming wrong components from the first diagnosis that has any."""
    for res in results:
        diag = getattr(res, "diagnosis", None)
        if diag is None:
            continue
        frame = diag.to_frame()
        if frame.empty:
            continue
        lines = ["  component      analytic     reference         ratio  reference by"]
        for row in frame.head(limit).itertuples(index=False):
            err = getattr(row, "error_estimate", float("nan"))
            lines.append(
                f"  {int(row.component):>9d}  {float(row.analytic):>12.6g}  "
                f"{float(row.reference):>12.6g}  {float(row.ratio):>12.6g}  "
                f"{row.method} ± {float(err):.1g}"
            )
        if len(frame) > limit:
            lines.append(f"  ... and {len(frame) - limit} more")
        return "\n".join(lines)
    return ""


def assert_gradient(
    cost: Callable[[np.ndarray], Any],
    grad: Callable[[np.ndarray], Any],
    point: Sequence[float] | np.ndarray,
    *,
    precision: str = "float64",
    directions: int = 3,
    seed: int = 0,
) -> Any:
    """Assert that ``grad`` is the gradient of ``cost`` at ``point``.

    Runs :func:`firstorder.check_gradient`: Taylor tests along ``directions`` seeded
    directions, and, when one fails, locates the wrong components.

    Parameters
    ----------
    cost
        ``cost(v) -> float`` on a 1-D float array.
    grad
        ``grad(v) -> array`` of the same length as ``v``.
    point
        Where to check.
    precision
        ``"float64"`` or ``"float32"``.
    directions
        How many seeded random directions to test.
    seed
        Seed of the directions.

    Returns
    -------
    CheckResult
        The check, when it passed (verdict ``pass`` or ``exact``).

    Raises
    ------
    AssertionError
        When the verdict is not ``pass`` or ``exact``; the message names the wrong
        components with analytic and reference values and the fitted order.
    """
    from .taylor.check import check_gradient

    result = check_gradient(
        cost, grad, point, precision=precision, directions=directions, seed=seed
    )
    if result.verdict in _GOOD:
        return result
    lines = [
        f"gradient check {result.verdict}: {result.reason}",
        f"{_format_order(result.order, result.order_ci)} for the first-order remainder "
        "(expected 2)",
    ]
    wrong = list(result.wrong_components)
    if wrong:
        lines.append(f"wrong components (0-based): {wrong}")
        table = _components_table(result.results)
        if table:
            lines.append(table)
    raise AssertionError("\n".join(lines))


def assert_taylor_order(
    case: Case | str,
    point: Sequence[float] | np.ndarray | None = None,
    *,
    direction: str | Sequence[float] | np.ndarray = "random",
    gradient: str | Any = "analytic",
    precision: str = "float64",
    dps: int = 50,
    seed: int = 0,
    remainder: str = "r1",
    registry: Registry | None = None,
) -> Any:
    """Assert that a case's Taylor remainder converges at its expected order.

    Parameters
    ----------
    case
        A :class:`~firstorder.Case` or a registered case name.
    point, direction, gradient, precision, dps, seed
        As for :func:`firstorder.taylor_test`.
    remainder
        Which fit must reach its expected order: ``"r0"`` (1), ``"r1"`` (2) or
        ``"r2"`` (3, needs a Hessian).
    registry
        Where to look a case name up; the default registry when omitted.

    Returns
    -------
    TaylorResult
        The test, when it passed.

    Raises
    ------
    AssertionError
        When the verdict is not ``pass``/``exact`` or the chosen remainder's interval
        misses its expected order.
    """
    from .taylor.harness import taylor_test

    c = (
        (registry[case] if registry is not None else resolve_case(case))
        if isinstance(case, str)
        else case
    )
    result = taylor_test(
        c,
        point=point,
        direction=direction,
        gradient=gradient,
        precision=precision,
        dps=dps,
        seed=seed,
    )
    if remainder not in ("r0", "r1", "r2"):
        raise FirstOrderError(f"remainder `{remainder}` is not one of `r0`, `r1`, `r2`.")
    if result.verdict not in _GOOD:
        lines = [
            f"Taylor test of `{c.name}` ({gradient}, {precision}) {result.verdict}: "
            f"{result.reason}",
            f"{_format_order(result.order, result.order_ci)} for r1 (expected 2)",
        ]
        if result.wrong_components:
            lines.append(f"wrong components (0-based): {list(result.wrong_components)}")
            table = _components_table([result])
            if table:
                lines.append(table)
        raise AssertionError("\n".join(lines))
    if result.verdict == "pass" and remainder != "r1":
        fit = result.orders.get(remainder)
        if fit is None:
            raise AssertionError(f"`{c.name}` has no `{remainder}` fit (no Hessian?).")
        low, high = fit.order_ci
        if not (low - PASS_TOL <= fit.expected_order <= high + PASS_TOL):
            raise AssertionError(
                f"`{c.name}` {remainder}: {_format_order(fit.order, fit.order_ci)}, "
                f"expected {fit.expected_order}"
            )
    return result


def select_cases(
    registry: Registry,
    tag: str | Iterable[str] | None = None,
    names: Iterable[str] | None = None,
    has_hessian: bool | None = None,
) -> list[Case]:
    """Registered cases with any of the tags and any of the names given
    (:meth:`Registry.select <firstorder.Registry.select>`, under the marker's names).

    Parameters
    ----------
    registry
        The cases to pick from.
    tag
        One tag or several; a case qualifies when it has any of them.
    names
        Case names; each must be registered.
    has_hessian
        Keep only cases with (``True``) or without (``False``) second derivatives.

    Returns
    -------
    list of Case
        In registry order.
    """
    tags = [tag] if isinstance(tag, str) else list(tag or ())
    return registry.select(names, tags, has_hessian=has_hessian)
