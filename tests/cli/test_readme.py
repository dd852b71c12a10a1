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
    assert 'python3 -m pip install -e ".[test]" tox' in text
    assert "\ntox\n" in text
