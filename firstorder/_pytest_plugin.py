"""The pytest plugin of firstorder (the ``pytest11`` entry point): hooks only.

Installing firstorder registers this module in every pytest session of the
environment, firstorder's users or not. So it imports nothing heavy: the marker is
registered with a line of text, and the registry (with pandas, mpmath and the case
files) is loaded only when a test asks for the :data:`CASE_FIXTURE` fixture. The
assertions themselves live in :mod:`firstorder.testing`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CASES_MARKER", "CASE_FIXTURE", "pytest_configure", "pytest_generate_tests"]

#: Marker choosing the cases a test taking :data:`CASE_FIXTURE` runs over.
CASES_MARKER = "firstorder_cases"
#: Fixture name that receives one registered :class:`~firstorder.Case` per test.
CASE_FIXTURE = "firstorder_case"


def pytest_configure(config: Any) -> None:
    """Register the :data:`CASES_MARKER` marker."""
    config.addinivalue_line(
        "markers",
        f"{CASES_MARKER}(tag=None, names=None, has_hessian=None, paths=()): run a test "
        f"taking the `{CASE_FIXTURE}` fixture once per registered firstorder case "
        "(built-in, entry points, FIRSTORDER_CASES and `paths`), filtered by tag/names.",
    )


def pytest_generate_tests(metafunc: Any) -> None:
    """Parametrise :data:`CASE_FIXTURE` over the selected registered cases."""
    if CASE_FIXTURE not in metafunc.fixturenames:
        return
    from .case.loading import load_cases
    from .testing import select_cases

    marker = metafunc.definition.get_closest_marker(CASES_MARKER)
    kwargs = dict(marker.kwargs) if marker is not None else {}
    paths = kwargs.pop("paths", ())
    cases = select_cases(load_cases(*paths), **kwargs)
    metafunc.parametrize(CASE_FIXTURE, cases, ids=[c.name for c in cases])
