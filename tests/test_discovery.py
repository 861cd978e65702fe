"""Scenario discovery (abm discover): boxes of a sweep's parameters that lead to an outcome."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from abm.cli import main
from abm.experiments.discovery import classify, describe, discover


def _sweep(folder: Path | None = None) -> pd.DataFrame:
    """A grid sweep whose outcomes follow known boxes (two replications per point)."""
    rows = []
    grid = itertools.product(np.linspace(0, 1, 6), np.linspace(0, 1, 5), (0.1, 1.5, 3.0), range(2))
    for run_id, (theta, penalty, alpha0, replication) in enumerate(grid):
        binding = theta > 0 and penalty > 0
        withdraw = binding and theta >= 0.6 and penalty >= 0.5 and alpha0 >= 3.0
        pareto = binding and alpha0 <= 0.1 and 0.4 <= theta <= 0.6
        rows.append(
            {
                "run_id": run_id,
                "point": run_id // 2,
                "replication": replication,
                "seed": run_id,
                "status": "ok",
                "error": "",
                "regulator.theta": theta,
                "regulator.penalty": penalty,
                "generalists.alpha0": alpha0,
                "theta": theta,
                "penalty": penalty,
                "share_abstain": 0.9 if withdraw else 0.0,
                "utility_generalists": 1.0 + (0.1 if pareto else -0.1 * binding),
                "utility_specialists": 2.0 + (0.1 if pareto else 0.0),
                "welfare": 3.0,
            }
        )
    runs = pd.DataFrame(rows)
    if folder is not None:
        folder.mkdir()
        runs.to_parquet(folder / "runs.parquet")
    return runs


def test_withdrawal_box_is_found() -> None:
    found = discover(_sweep(), "withdrawal")
    assert set(found.parameters) == {"regulator.theta", "regulator.penalty", "generalists.alpha0"}
    best = found.found().iloc[0]
    assert best["density"] == 1.0 and best["coverage"] == 1.0
    full = {
        name: (float(found.runs[name].min()), float(found.runs[name].max()))
        for name in found.parameters
    }
    words = describe(best, found.parameters, full)
    assert "regulator.theta >" in words and "regulator.penalty >" in words
    assert "generalists.alpha0 >" in words


def test_pareto_compares_with_the_unregulated_runs() -> None:
    runs = _sweep()
    cases = classify(runs, "pareto", ["regulator.theta", "regulator.penalty", "generalists.alpha0"])
    expected = (
        (runs["regulator.theta"] > 0)
        & (runs["regulator.penalty"] > 0)
        & (runs["generalists.alpha0"] <= 0.1)
        & runs["regulator.theta"].between(0.4, 0.6)
    )
    assert (cases == expected.to_numpy()).all()
    found = discover(runs, "pareto", max_depth=4)
    best = found.found().iloc[0]
    assert best["density"] >= 0.75 and best["coverage"] >= 0.75


def test_pareto_without_reference_runs_is_refused() -> None:
    runs = _sweep()
    runs = runs[(runs["regulator.penalty"] > 0) & (runs["regulator.theta"] > 0)]
    with pytest.raises(Exception, match="without regulation"):
        discover(runs, "pareto")


def test_cli_writes_boxes_figure_and_manifest(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "sweep"
    _sweep(folder)
    out = tmp_path / "found"
    assert main(["discover", str(folder), "--target", "share_abstain>=0.5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "box 1:" in printed and "(100%)" in printed
    boxes = pd.read_parquet(out / "boxes.parquet")
    assert {"box", "runs", "cases", "density", "coverage"} <= set(boxes.columns)
    assert (out / "discovery.png").stat().st_size > 10_000
    assert json.loads((out / "manifest.json").read_text())["command"] == "discover"


def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "sweep"
    _sweep(folder)
    assert main(["discover", str(folder), "--target", "nonsense"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "--target must be" in error
    assert not (folder / "discovery-nonsense").exists()
    assert main(["discover", str(tmp_path / "missing")]) == 2
    with pytest.raises(SystemExit) as exit_code:
        main(["discover", str(folder), "--threshold", "2"])
    assert exit_code.value.code == 2


def test_cli_refuses_another_commands_folder_without_offering_force(tmp_path, capsys) -> None:
    folder = tmp_path / "sweep"
    _sweep(folder)
    race = tmp_path / "race"  # another command's outputs
    race.mkdir()
    (race / "manifest.json").write_text('{"command": "race", "outputs": []}')
    assert main(["discover", str(folder), "--out", str(race)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds the outputs of abm race" in error
    assert "--force" not in error  # discover has no --force to offer
    assert "choose another folder, or remove it first" in error
    assert [p.name for p in race.iterdir()] == ["manifest.json"]


def test_one_grid_point_can_be_a_box_of_its_own() -> None:
    runs = _sweep()
    corner = (
        (runs["regulator.theta"] == 1.0)
        & (runs["regulator.penalty"] == 1.0)
        & (runs["generalists.alpha0"] == 3.0)
    )
    runs["share_abstain"] = np.where(corner, 0.9, 0.0)  # 2 of 180 runs: under 5 %
    best = discover(runs, "withdrawal").found().iloc[0]
    assert (best["runs"], best["cases"]) == (2, 2)
