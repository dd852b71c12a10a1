"""Run folders are written atomically and never damage earlier reports."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import firstorder as fo
from firstorder.report.runfolder import RunFolder


def test_a_completed_run_lands_under_its_name_and_latest_follows(tmp_path):
    with RunFolder("run", base=tmp_path, name="first") as f:
        f.write_csv("orders.csv", pd.DataFrame({"a": [1.0, 0.1]}))
        f.write_json("run.json", f.metadata({"seed": 0}))
        assert not (tmp_path / "first").exists()
    assert (tmp_path / "first" / "orders.csv").read_text() == "a\n1\n0.10000000000000001\n"
    assert os.readlink(tmp_path / "latest") == "first"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_interrupted_run_leaves_earlier_reports_intact(tmp_path):
    with RunFolder("run", base=tmp_path, name="good") as f:
        f.write_text("summary.md", "good\n")
    with pytest.raises(KeyboardInterrupt), RunFolder("run", base=tmp_path, name="good") as f:
        f.write_text("summary.md", "half")
        raise KeyboardInterrupt
    assert (tmp_path / "good" / "summary.md").read_text() == "good\n"
    assert os.readlink(tmp_path / "latest") == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good", "latest"]


def test_a_rerun_replaces_a_named_folder_whole(tmp_path):
    for text in ("one", "two"):
        with RunFolder("run", base=tmp_path, name="default") as f:
            f.write_text(f"{text}.md", text)
    assert sorted(p.name for p in (tmp_path / "default").iterdir()) == ["two.md"]


def test_stale_temporary_folders_of_dead_runs_are_cleared(tmp_path):
    stale = tmp_path / ".tmp-run-x-999999999-deadbeef"
    stale.mkdir()
    with RunFolder("run", base=tmp_path, name="next"):
        pass
    assert not stale.exists()


def test_an_unwritable_base_fails_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(fo.FirstOrderError, match=r"output folder `.*file/reports` is not writable"):
        RunFolder("run", base=blocker / "reports").prepare()


@pytest.mark.parametrize("name", ["latest", "../escape", "a/b", ""])
def test_bad_run_names(tmp_path, name):
    with pytest.raises(fo.FirstOrderError, match=r"run name `.*` must be a plain folder name"):
        RunFolder("run", base=tmp_path, name=name or "/")


def test_metadata_records_versions_and_wall_time(tmp_path):
    with RunFolder("bench", base=tmp_path) as f:
        meta = f.metadata({"sizes": [10]})
    assert meta["versions"]["firstorder"] == fo.__version__
    assert set(meta["versions"]) == {"firstorder", "python", "numpy", "mpmath", "pandas"}
    assert meta["wall_time_s"] >= 0 and meta["arguments"] == {"sizes": [10]}
    assert f.final.name.startswith("bench-")
