"""The README's case example is a working case file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import firstorder as fo

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_case_example_loads_and_is_right(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if b.startswith("# my_cases.py"))
    path = tmp_path / "my_cases.py"
    path.write_text(example)
    c = fo.load_cases(path, builtin=False, entry_points=False, strict=True)["tilted_bowl"]
    v = c.random_points(3, seed=0)
    h = 1e-20
    cs = np.stack([c.cost(v + 1j * h * e, "complex128").imag / h for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(c.grad(v), cs, rtol=8 * np.finfo(float).eps)


def test_readme_names_the_commands():
    text = README.read_text()
    # a virtualenv first: PEP 668 systems refuse a bare pip install
    venv = text.index("python3 -m venv .venv && . .venv/bin/activate")
    assert venv < text.index('python -m pip install -e ".[test]" tox')
    assert "inconclusive" in text[: text.index("## Tests")]
    assert "\ntox\n" in text


def test_ci_runs_exactly_the_readme_test_command_and_tox_has_a_fast_lane():
    import configparser
    import tomllib

    root = README.parent
    ci = [t for t in (root / ".ci" / "run").read_text().splitlines() if t and t[0] != "#"]
    assert ci[-1] == "tox"
    assert any(t.startswith("python3 -m venv") for t in ci)
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(root / "tox.ini")
    envlist = [e.strip() for e in tox["tox"]["envlist"].split(",")]
    assert not {"slow", "py312", "py313"} & set(envlist)
    # what the default list leaves out is named in tox's output, in one line
    note = tox["testenv:py311"]["commands_pre"]
    assert "py312, py313 and the slow tests" in note and "tox -m pythons" in note
    assert "slow" in tox["tox"]["labels"]
    assert '-m "not slow"' in tox["testenv"]["commands"] and "-n auto" in tox["testenv"]["commands"]
    assert "-m slow" in tox["testenv:slow"]["commands"]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("pytest-xdist") for d in extras["optional-dependencies"]["test"])
