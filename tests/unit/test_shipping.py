"""Case bundles on a worker's disk: written once, removed by the run, swept when stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from firstorder.case import shipping
from firstorder.case.shipping import CaseBundle, forget, materialize


@pytest.fixture
def tmp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(shipping.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path / "firstorder-cases"


def _bundle(text: str) -> CaseBundle:
    return CaseBundle(label="mine.py", entry="mine.py", files=(("mine.py", text),))


def test_a_bundle_is_written_once_and_forgotten(tmp_root):
    one = _bundle("A = 1\n")
    folder = materialize(one)
    assert folder == tmp_root / one.digest
    assert (folder / "mine.py").read_text() == "A = 1\n"
    assert materialize(one) == folder
    assert forget([one.digest, "0" * 20]) == 1
    assert not folder.exists()


def test_folders_left_by_a_killed_run_are_swept_when_stale(tmp_root):
    old, recent = materialize(_bundle("A = 1\n")), materialize(_bundle("A = 2\n"))
    half_written = tmp_root / ".deadbeef.xyz"
    half_written.mkdir()
    past = time.time() - shipping.STALE_AFTER_S - 60
    for folder in (old, half_written):
        os.utime(folder, (past, past))
    new = materialize(_bundle("A = 3\n"))
    assert sorted(tmp_root.iterdir()) == sorted([recent, new])
