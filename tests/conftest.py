"""Shared fixtures: the registry, and parametrisation over its cases."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import firstorder as fo


@pytest.fixture(scope="session")
def registry() -> fo.Registry:
    """The built-in registry, loaded once."""
    return fo.load_cases(env=False, entry_points=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``case`` over every built-in case (``hessian_case``, ``published_case``
    over those with second derivatives, with a published value), ids by name."""
    reg = fo.load_cases(env=False, entry_points=False)
    pick = {
        "case": lambda c: True,
        "hessian_case": lambda c: c.has_hessian,
        "published_case": lambda c: c.value is not None,
    }
    for fixture, keep in pick.items():
        if fixture in metafunc.fixturenames:
            cases = [c for c in reg.values() if keep(c)]
            metafunc.parametrize(fixture, cases, ids=[c.name for c in cases])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` the registry-parametrised tests of cases tagged ``slow`` (costly in mp)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for fixture in ("case", "hessian_case", "published_case"):
            c = params.get(fixture)
            if isinstance(c, fo.Case) and "slow" in c.tags:
                item.add_marker(pytest.mark.slow)


# Hypothesis: a fixed, derandomised example count so property tests stay in budget
# and give the same verdict on every run; `HYPOTHESIS_PROFILE=dev` explores more.
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
