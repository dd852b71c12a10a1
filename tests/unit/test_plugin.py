"""The pytest plugin, used the way another project's test suite would use it."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

import firstorder as fo
from firstorder.testing import assert_gradient, assert_taylor_order, select_cases

pytest_plugins = ["pytester"]

USER_TESTS = """
import numpy as np
from firstorder.testing import assert_gradient

def cost(v):
    return float(np.sum(v**4) + v[0] * v[1] + np.sin(v[2]))

def grad(v):
    g = 4 * v**3
    g[0] += v[1]
    g[1] += v[0]
    g[2] += np.cos(v[2])
    return g

def wrong_grad(v):
    g = grad(v)
    g[2] = -g[2]          # a sign slip in one component
    return g

def test_right():
    assert_gradient(cost, grad, point=[0.3, -1.2, 2.0, 0.7])

def test_wrong():
    assert_gradient(cost, wrong_grad, point=[0.3, -1.2, 2.0, 0.7])
"""


def test_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    eps = metadata.entry_points(group="pytest11")
    assert any(ep.value == "firstorder.testing" for ep in eps)


def test_user_suite_fails_with_readable_message_naming_the_component(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*gradient check fail:*",
            "*wrong components (0-based): [[]2[]]*",
            "*component*analytic*reference*ratio*",
        ]
    )
    # the ratio of a sign slip is -1
    assert any(re.search(r"\s2\s+\S+\s+\S+\s+-1$", line) for line in result.stdout.lines)


def test_marker_parametrises_over_registered_cases_by_tag(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_cases="""
import pytest
from firstorder.testing import assert_taylor_order

@pytest.mark.firstorder_cases(tag="mgh")
def test_order(firstorder_case):
    assert_taylor_order(firstorder_case)
"""
    )
    registry = fo.load_cases()
    expected = len(select_cases(registry, tag="mgh"))
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "--collect-only")
    result.stdout.fnmatch_lines([f"*{expected} tests collected*"])
    result.stdout.fnmatch_lines(["*test_order?rosenbrock?*"])


def test_unknown_tag_is_a_collection_error_listing_tags(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_cases="""
import pytest

@pytest.mark.firstorder_cases(tag="no-such-tag")
def test_order(firstorder_case):
    pass
"""
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no registered case has tag `no-such-tag`*mgh*"])


def test_assert_gradient_returns_the_check_on_success() -> None:
    res = assert_gradient(lambda v: float(v @ v), lambda v: 2 * v, [1.0, -2.0, 0.5])
    assert res.verdict in ("pass", "exact")


def test_assert_gradient_raises_on_missing_factor_two() -> None:
    with pytest.raises(AssertionError, match=r"wrong components \(0-based\): \[1\]"):
        assert_gradient(
            lambda v: float(v[0] ** 2 + v[1] ** 2),
            lambda v: v * [2.0, 1.0],
            [1.0, -2.0],
        )


def test_assert_taylor_order_on_a_registered_name() -> None:
    res = assert_taylor_order("rosenbrock", precision="mp")
    assert res.verdict == "pass"
