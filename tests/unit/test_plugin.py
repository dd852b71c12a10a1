"""The pytest plugin, used the way another project's test suite would use it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

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
    """pyproject names the hooks-only module; what this environment installed (which
    may predate the move) provides the hooks either way."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    entry = tomllib.loads(pyproject.read_text())["project"]["entry-points"]["pytest11"]
    assert entry == {"firstorder": "firstorder._pytest_plugin"}
    installed = [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "firstorder"]
    assert installed
    module = installed[0].load()
    assert callable(module.pytest_configure) and callable(module.pytest_generate_tests)


HEAVY = ("pandas", "mpmath", "scipy", "matplotlib")


@pytest.mark.parametrize("module", ["firstorder._pytest_plugin", "firstorder"])
def test_loading_the_plugin_imports_nothing_heavy(module: str) -> None:
    """Every pytest session of every project in the environment loads the plugin."""
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(fo.__file__).resolve().parents[1])},
    )
    assert out.stdout.strip() == ""


def test_public_names_load_on_first_use() -> None:
    assert sorted(fo.__all__) == sorted(set(fo.__all__)) and len(fo.__all__) == 33
    for name in fo.__all__:
        assert getattr(fo, name) is not None
    assert callable(fo.case) and fo.case.__module__ == "firstorder.case.model"
    with pytest.raises(AttributeError, match="no attribute `nope`"):
        _ = fo.nope


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
    assert any(
        re.search(r"\s2\s+\S+\s+\S+\s+-1\s+(richardson|complex-step|mp) ± \S+$", line)
        for line in result.stdout.lines
    )


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
    result.stdout.fnmatch_lines(["*unknown tag `no-such-tag`*`firstorder list` shows all*"])


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


def test_one_selector_behind_the_marker_the_grid_and_mutation(registry: fo.Registry) -> None:
    """`select_cases`, `run` and `mutate` pick through `Registry.select`: the same
    cases, the same sentence for a tag nobody has."""
    by_registry = registry.select(tags=["mgh"], has_hessian=True)
    assert select_cases(registry, tag="mgh", has_hessian=True) == by_registry
    assert all(c.has_hessian and "mgh" in c.tags for c in by_registry)
    for pick in (
        lambda: select_cases(registry, tag="no-such-tag"),
        lambda: fo.mutate(tags=["no-such-tag"], registry=registry),
        lambda: fo.run(tags=["no-such-tag"]),
    ):
        with pytest.raises(
            fo.FirstOrderError, match=r"unknown tag `no-such-tag`; `firstorder list` shows all"
        ):
            pick()
    with pytest.raises(fo.FirstOrderError, match=r"no case among those named has the tags"):
        registry.select(["seed"], ["mgh"])


def test_one_point_validator_behind_taylor_gradient_and_check() -> None:
    """The same bad point gets the same sentence from every entry."""
    from firstorder.case.points import as_point

    c = fo.resolve_case("seed")
    for bad, match in (
        ([1.0, float("nan")], r"the `point` has a non-finite component `v\[1\]`"),
        ([[1.0, 2.0]], r"the `point` must be a non-empty 1-D array"),
        (["a", "b"], r"the `point` `\['a', 'b'\]` is not an array of numbers"),
    ):
        for call in (
            lambda p: as_point(p, c),
            lambda p: fo.taylor_test(c, p),
            lambda p: fo.gradient(c, p),
            lambda p: fo.check_gradient(lambda v: float(v @ v), lambda v: 2 * v, p),
        ):
            with pytest.raises(fo.FirstOrderError, match=match):
                call(bad)
    with pytest.raises(fo.FirstOrderError, match=r"the `point` has length 3 but case `seed`"):
        fo.gradient(c, [1.0, 2.0, 3.0])


def test_the_hooks_only_module_alone_provides_marker_and_fixture(
    pytester: pytest.Pytester,
) -> None:
    """Whatever entry point this environment installed, the new module does the job."""
    pytester.makepyfile(
        test_cases="""
import pytest

@pytest.mark.firstorder_cases(names=["seed", "rosenbrock"])
def test_named(firstorder_case):
    assert firstorder_case.name in ("seed", "rosenbrock")
"""
    )
    result = pytester.runpytest(
        "-q", "-p", "no:cacheprovider", "-p", "no:firstorder", "-p", "firstorder._pytest_plugin"
    )
    result.assert_outcomes(passed=2)
