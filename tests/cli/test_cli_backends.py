"""``firstorder backends`` and ``firstorder sweep``, run from outside the repo."""

from __future__ import annotations

import json

import pandas as pd
from fo_support import run_cli

import firstorder as fo


def test_backends_table(tmp_path):
    res = run_cli("backends", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    header = res.stdout.splitlines()[0].split()
    assert header == ["name", "kind", "order", "description", "available"]
    for name in fo.backends():
        assert name in res.stdout


def test_backends_json(tmp_path):
    res = run_cli("backends", "--format", "json", cwd=tmp_path)
    rows = json.loads(res.stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["central4"]["order"] == 4 and by_name["central"]["available"] is True


def test_sweep_writes_table_csv_and_plot(tmp_path):
    out = tmp_path / "reports"
    res = run_cli(
        "sweep",
        "squire_trapp",
        "--backend",
        "forward",
        "--backend",
        "central",
        "--backend",
        "complex-step",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    folder = out / "latest"
    frame = pd.read_csv(folder / "sweep.csv")
    assert {"step", "rel_error", "backend"} <= set(frame.columns)
    assert set(frame["backend"]) == {"forward", "central", "complex-step"}
    assert (folder / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = pd.read_csv(folder / "summary.csv").set_index("backend")
    assert abs(summary.loc["central", "order"] - 2) < 0.1
    assert summary.loc["central", "min_error"] <= 1e-10
    run = json.loads((folder / "run.json").read_text())
    assert run["arguments"]["case"] == "squire_trapp"
    assert "complex-step" in res.stdout and "min_error" in res.stdout
    # a summary, not the data: one line per backend, no NaN; every step is in the CSV
    lines = res.stdout.splitlines()
    assert len(lines) <= 80 and "nan" not in res.stdout.lower()
    assert lines[0].split()[:1] == ["backend"] and "best_step" in lines[0]
    assert len(frame) > 80 and str(folder.resolve().name) in res.stdout


def test_sweep_at_a_point_in_mp(tmp_path):
    res = run_cli(
        "sweep",
        "rosenbrock",
        "--backend",
        "central",
        "--precision",
        "mp",
        "--dps",
        "20",
        "--point",
        "0.5,0.7",
        "--format",
        "csv",
        "--out",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("case,backend,precision,step,rel_error")


def test_sweep_bad_input_exits_2(tmp_path):
    cases = [
        (["sweep", "squire_trapp", "--backend", "centrl"], "unknown stepped backend `centrl`"),
        (["sweep", "squire_trapp", "--precision", "float16"], "unknown precision `float16`"),
        (["sweep", "nosuchcase"], "unknown case `nosuchcase`"),
        (["sweep", "squire_trapp", "--point", "a,b"], "`--point a,b`"),
        (["sweep", "squire_trapp", "--point", "1,2"], "`point`"),
        (["sweep", "squire_trapp", "--backend", "analytic"], "`analytic`"),
    ]
    for args, message in cases:
        res = run_cli(*args, "--out", str(tmp_path), cwd=tmp_path)
        assert res.returncode == 2, (args, res.stderr)
        assert message in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.stderr
