"""Loading cases: files, folders, the environment, entry points, and validation."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import firstorder as fo

GOOD = '''
from firstorder import case

@case(name="{name}", x0=[1.0, 2.0], tags={{"user"}}, value="5.0")
def c(v, ctx):
    """A bowl."""
    return v[..., 0] ** 2 + v[..., 1] ** 2

@c.gradient
def _(v, ctx):
    return 2 * v
'''


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_builtin_cases_load_without_problems(registry):
    assert registry.problems == ()
    assert {"seed", "rosenbrock", "beale", "booth", "linear", "squire_trapp"} <= set(registry)


def test_a_user_file_is_loaded_and_validated(tmp_path):
    path = write(tmp_path, "mine.py", GOOD.format(name="bowl"))
    reg = fo.load_cases(path, builtin=False, entry_points=False, strict=True)
    c = reg["bowl"]
    assert c.tags == {"user"}
    assert c.doc == "A bowl."
    assert c.source.startswith(str(path))
    np.testing.assert_array_equal(c.grad([1.0, 2.0]), [2.0, 4.0])


def test_a_folder_loads_every_public_file(tmp_path):
    write(tmp_path, "a.py", GOOD.format(name="a"))
    write(tmp_path, "b.py", GOOD.format(name="b"))
    write(tmp_path, "_helper.py", "raise RuntimeError('not a case file')")
    reg = fo.load_cases(tmp_path, builtin=False, entry_points=False, strict=True)
    assert sorted(reg) == ["a", "b"]


def test_the_environment_variable_adds_paths(tmp_path, monkeypatch):
    a = write(tmp_path, "a.py", GOOD.format(name="env_a"))
    sub = tmp_path / "more"
    sub.mkdir()
    write(sub, "b.py", GOOD.format(name="env_b"))
    monkeypatch.setenv("FIRSTORDER_CASES", f"{a}{__import__('os').pathsep}{sub}")
    reg = fo.load_cases(builtin=False, entry_points=False, strict=True)
    assert sorted(reg) == ["env_a", "env_b"]


BAD = {
    "syntax": ("def broken(:\n    pass\n", r"bad\.py:1: SyntaxError"),
    "import": ("import numpy\nimport no_such_module_xyz\n", r"bad\.py:2: ModuleNotFoundError"),
    "not_finite": (
        GOOD.format(name="nf").replace("return v[..., 0] ** 2", "return ctx.log(0 * v[..., 0])"),
        r"cost of case `nf` is not finite at x0",
    ),
    "not_scalar": (
        GOOD.format(name="ns").replace("return v[..., 0] ** 2 + v[..., 1] ** 2", "return v"),
        r"cost of case `ns` is not scalar at x0: it has shape \(2,\)",
    ),
    "gradient_shape": (
        GOOD.format(name="gs").replace("return 2 * v", "return 2 * v[..., :1]"),
        r"gradient of case `gs` has shape \(1,\) at x0; expected \(2,\)",
    ),
    "no_gradient": (
        GOOD.format(name="ng").split("@c.gradient")[0],
        r"case `ng` has no analytic gradient",
    ),
    "batch": (
        GOOD.format(name="bt").replace(
            "return v[..., 0] ** 2 + v[..., 1] ** 2", "return v.flat[0] ** 2 + v.flat[1] ** 2"
        ),
        r"case `bt` returns shape \(\) for a batch|cost of case `bt` .*batch",
    ),
    "batch_values": (
        GOOD.format(name="bv").replace("return 2 * v", "return 2 * v.reshape(-1, 2)[0]"),
        r"gradient of case `bv` returns shape \(2,\) for a batch|batch gradient of case `bv`",
    ),
    "published": (
        GOOD.format(name="pv").replace('value="5.0"', 'value="5.5"'),
        r"cost of case `pv` at x0 is 5, not the published value `5.5`",
    ),
    "raises": (
        GOOD.format(name="rs").replace(
            "return v[..., 0] ** 2 + v[..., 1] ** 2", "raise ZeroDivisionError('boom')"
        ),
        r"cost of case `rs` raises ZeroDivisionError at x0: boom",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_validation_errors(tmp_path, kind):
    text, match = BAD[kind]
    path = write(tmp_path, "bad.py", text)
    with pytest.raises(fo.CaseError, match=match):
        fo.load_cases(path, builtin=False, entry_points=False, strict=True)


def test_duplicate_names_are_refused(tmp_path):
    write(tmp_path, "a.py", GOOD.format(name="twin"))
    write(tmp_path, "b.py", GOOD.format(name="twin"))
    with pytest.raises(fo.CaseError, match=r"b\.py:\d+: duplicate case name `twin`"):
        fo.load_cases(tmp_path, builtin=False, entry_points=False, strict=True)


def test_good_cases_still_load_beside_broken_ones(tmp_path):
    write(tmp_path, "a.py", GOOD.format(name="fine"))
    write(tmp_path, "b.py", BAD["syntax"][0])
    reg = fo.load_cases(tmp_path, entry_points=False)
    assert "fine" in reg and "seed" in reg
    assert len(reg.problems) == 1
    assert str(reg.problems[0]).startswith(str(tmp_path / "b.py") + ":1: SyntaxError")


def test_missing_path_is_a_problem(tmp_path):
    with pytest.raises(fo.CaseError, match=r"nowhere\.py: does not exist"):
        fo.load_cases(tmp_path / "nowhere.py", builtin=False, entry_points=False, strict=True)


def test_unknown_case_lists_the_choices(registry):
    with pytest.raises(fo.FirstOrderError, match=r"unknown case `rosenbrok` \(did you mean "):
        registry["rosenbrok"]
    with pytest.raises(fo.FirstOrderError, match=r"unknown tag `nope`; `firstorder list` shows"):
        registry.select(tags=["nope"])


def test_case_evaluation_checks_dimensions(registry):
    c = registry["rosenbrock"]
    with pytest.raises(fo.FirstOrderError, match=r"point of length 3 given to case `rosenbrock`"):
        c.cost([1.0, 2.0, 3.0])
    assert c.cost(np.zeros((4, 5, 2))).shape == (4, 5)
    assert c.grad(np.zeros((4, 5, 2))).shape == (4, 5, 2)
    assert c.hess(np.zeros((4, 2)), "mp").shape == (4, 2, 2)


def test_a_case_that_cannot_batch_is_looped(tmp_path):
    path = write(
        tmp_path,
        "loop.py",
        """
        from firstorder import case

        @case(name="looped", x0=[1.0, 2.0], batched=False)
        def c(v, ctx):
            assert v.ndim == 1
            return float(v[0]) ** 2 + float(v[1]) ** 2

        @c.gradient
        def _(v, ctx):
            return 2 * v
        """,
    )
    c = fo.load_cases(path, builtin=False, entry_points=False, strict=True)["looped"]
    np.testing.assert_array_equal(c.cost(np.ones((3, 2, 2))), np.full((3, 2), 2.0))
    assert c.grad(np.ones((3, 2))).shape == (3, 2)


def test_random_points_are_seeded_and_near_x0(registry):
    c = registry["rosenbrock"]
    a, b = c.random_points(5, seed=3), c.random_points(5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 2)
    assert np.all(np.abs(a - c.point()) < 1.0 * np.abs(c.point()))


def test_membership_does_not_raise_for_unknown_names() -> None:
    registry = fo.load_cases()
    assert "seed" in registry
    assert "no-such-case" not in registry


# -- user files run as Python would run them, and cases that travel to workers ---------------

BESIDE = '''
from firstorder import case

from {helper} import SCALE


@case(name="{name}", x0=[1.0, 2.0])
def c(v, ctx):
    """A scaled bowl."""
    return SCALE * (v[..., 0] ** 2 + v[..., 1] ** 2)


@c.gradient
def _(v, ctx):
    return 2 * SCALE * v
'''


def test_a_user_file_imports_a_module_beside_it(tmp_path):
    write(tmp_path, "helper_beside_a.py", "SCALE = 3.0\n")
    path = write(tmp_path, "model.py", BESIDE.format(helper="helper_beside_a", name="beside_a"))
    reg = fo.load_cases(path, builtin=False, entry_points=False, strict=True)
    np.testing.assert_array_equal(reg["beside_a"].grad([1.0, 2.0]), [6.0, 12.0])


def test_check_imports_a_module_beside_the_user_file(tmp_path):
    from fo_support import run_cli

    write(tmp_path, "helpers.py", "def square(v):\n    return v * v\n")
    write(
        tmp_path,
        "model.py",
        """
        import numpy as np
        from helpers import square

        def cost(x):
            return np.sum(square(np.asarray(x)))

        def grad(x):
            return 2 * np.asarray(x)
        """,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # a fresh process, where `helpers` can only come from beside the file
    args = ["check", "../model.py:cost", "../model.py:grad", "--point", "1,2"]
    res = run_cli(*args, cwd=elsewhere, isolated=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("PASS")


def test_a_user_file_travels_with_its_helpers_as_text(tmp_path, monkeypatch):
    from firstorder.case import shipping
    from firstorder.case.loading import load_origin

    write(tmp_path, "helper_beside_b.py", "SCALE = 2.0\n")
    path = write(tmp_path, "model.py", BESIDE.format(helper="helper_beside_b", name="beside_b"))
    reg = fo.load_cases(path, builtin=False, entry_points=False, strict=True)
    origin = reg.origins["beside_b"]
    assert origin.kind == "bundle"
    assert [rel for rel, _ in origin.bundle.files] == ["helper_beside_b.py", "model.py"]
    # as a worker elsewhere would: nothing loaded in this process, the files gone
    monkeypatch.setattr(shipping, "_LOCAL", {})
    monkeypatch.setattr(shipping.tempfile, "gettempdir", lambda: str(tmp_path / "worker-tmp"))
    path.unlink()
    (tmp_path / "helper_beside_b.py").unlink()
    monkeypatch.delitem(__import__("sys").modules, "helper_beside_b")
    c = load_origin("beside_b", origin)
    assert str(tmp_path / "worker-tmp") in c.source
    np.testing.assert_array_equal(c.grad([1.0, 2.0]), [4.0, 8.0])


def test_builtin_and_entry_point_origins_fail_in_one_line_without_a_name_list():
    from firstorder.case.loading import load_origin
    from firstorder.case.shipping import CaseOrigin, WorkerError

    assert load_origin("rosenbrock", CaseOrigin.BUILTIN).name == "rosenbrock"
    with pytest.raises(WorkerError) as missing:
        load_origin("not_built_in", CaseOrigin.BUILTIN)
    assert "`not_built_in`" in str(missing.value) and "rosenbrock" not in str(missing.value)
    gone = CaseOrigin.from_entry_point("theirs", "their_pkg.cases:all", "their-pkg")
    with pytest.raises(WorkerError) as absent:
        load_origin("their_case", gone)
    text = str(absent.value)
    assert "\n" not in text
    assert "`their-pkg`" in text and "`their_case`" in text and "install it on every worker" in text
