"""``firstorder list`` and ``show``, run as a user runs them, from outside the repo."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from fo_support import run_cli

import firstorder as fo

REPO = Path(__file__).resolve().parents[2]


def test_tests_run_against_the_installed_package():
    """Under tox the package comes from the built wheel, not the checkout."""
    if os.environ.get("FIRSTORDER_TEST_INSTALLED") != "1":
        pytest.skip("only meaningful under tox, which installs the wheel")
    installed = Path(fo.__file__).resolve().parent
    assert installed != REPO / "firstorder"
    assert "site-packages" in installed.parts
    assert fo.builtin_cases_dir() == installed / "_cases"


def test_installed_package_lists_its_cases_from_anywhere(tmp_path):
    # a child process: the entry point, as a user starts it
    res = run_cli("list", "--format", "json", cwd=tmp_path, isolated=True)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    names = {r["name"] for r in rows}
    assert {"seed", "rosenbrock", "beale", "booth", "linear", "squire_trapp"} <= names
    for key in ("name", "dim", "tags", "complex_safe", "has_hessian", "reference"):
        assert key in rows[0]


def test_list_formats_and_tags(tmp_path):
    table = run_cli("list", cwd=tmp_path)
    assert table.returncode == 0 and "rosenbrock" in table.stdout
    # a long reference is cut with "…", a short one is whole
    full = run_cli("list", "--format", "csv", cwd=tmp_path).stdout
    assert "…" in table.stdout and "…" not in full
    csv = run_cli("list", "--format", "csv", "--tag", "mgh", cwd=tmp_path)
    assert csv.returncode == 0
    assert csv.stdout.splitlines()[0].startswith("name,dim,")
    assert "seed" not in csv.stdout and "rosenbrock" in csv.stdout


def test_user_case_with_cases_option(tmp_path):
    (tmp_path / "mine.py").write_text(
        textwrap.dedent(
            """
            from firstorder import case

            @case(name="my_bowl", x0=[1.0, 2.0], tags={"user"})
            def bowl(v, ctx):
                return ctx.exp(v[..., 0]) + v[..., 1] ** 2

            @bowl.gradient
            def _(v, ctx):
                return ctx.stack([ctx.exp(v[..., 0]), 2 * v[..., 1]])
            """
        )
    )
    res = run_cli("list", "--cases", "mine.py", "--tag", "user", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "my_bowl" in res.stdout


def test_broken_case_file_is_named_and_nothing_else_is_listed(tmp_path):
    """Bad input stops before any work: the error only, exit 2 (issue 13, item 6)."""
    (tmp_path / "broken.py").write_text("x = 1\ndef f(:\n")
    res = run_cli("list", "--cases", "broken.py", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stdout == ""
    assert f"{tmp_path / 'broken.py'}:2: SyntaxError" in res.stderr
    assert "Traceback" not in res.stderr


def test_show_json_keys_and_mp_digits(tmp_path):
    res = run_cli("show", "squire_trapp", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    for key in ("name", "x0", "value", "gradient", "value_mp", "gradient_mp"):
        assert key in data
    assert data["gradient_mp"][0].startswith("4.05342789389862")
    assert isinstance(data["value_mp"], str) and len(data["value_mp"]) > 40


def test_show_text(tmp_path):
    res = run_cli("show", "seed", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "ball rests at the" in res.stdout and "(mp, 50 digits)" in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["show", "rosenbrok"], "unknown case `rosenbrok` (did you mean `rosenbrock`?)"),
        (["list", "--tag", "nope"], "unknown tag `nope`; `firstorder list` shows all"),
        (["list", "--format", "xml"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["show", "seed", "--dps", "2"], "`dps` must be an integer of at least 5"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, args, needle):
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    assert needle in res.stderr
    assert "Traceback" not in res.stderr
