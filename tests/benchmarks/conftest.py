"""Benchmarks run only on request: ``pytest tests/benchmarks --benchmark-only``.

Without ``--benchmark-only`` or ``--benchmark-enable`` they are skipped, so unit runs
never time anything.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``benchmark``-marked tests unless benchmarks were asked for."""
    wanted = config.getoption("benchmark_only", False) or config.getoption(
        "benchmark_enable", False
    )
    if wanted:
        return
    skip = pytest.mark.skip(reason="benchmark: run with --benchmark-only or --benchmark-enable")
    for item in items:
        if "benchmark" in item.keywords:
            item.add_marker(skip)
