"""``abm report``: one self-contained, escaped HTML file with figures and key numbers."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from abm.cli import main
from abm.manifest import Manifest

matplotlib.use("Agg")


def _study_folder(folder: Path) -> Path:
    import matplotlib.pyplot as plt

    folder.mkdir()
    runs = pd.DataFrame(
        {
            "run_id": range(6),
            "point": [0, 0, 0, 1, 1, 1],
            "replication": [0, 1, 2] * 2,
            "seed": range(100, 106),
            "regulator.penalty": [0.0] * 3 + [0.5] * 3,
            "status": ["ok"] * 6,
            "error": [""] * 6,
            "welfare": [1.0, 2.0, 3.0, 10.0, 20.0, 30.0],
            "mean_openness": [0.1] * 6,
        }
    )
    runs.to_parquet(folder / "runs.parquet")
    series = pd.DataFrame(
        {"run_id": np.repeat(range(6), 3), "step": np.tile([1, 2, 3], 6), "welfare": 1.0}
    )
    series.to_parquet(folder / "timeseries.parquet")
    figure, axis = plt.subplots()
    axis.plot([0, 1], [0, 1])
    figure.savefig(folder / "fan_chart.png")
    plt.close(figure)
    manifest = Manifest(
        "mc",
        {
            "scenario": {
                "name": "evil<script>alert(1)</script>",
                "description": "a & b",
                "horizon": {"steps": 3},
                "market": {"delta": 0.5},
            }
        },
        seed=42,
    )
    manifest.write(folder)
    return folder


def test_report_embeds_figures_escapes_text_and_summarises(tmp_path: Path) -> None:
    folder = _study_folder(tmp_path / "study")
    out = tmp_path / "report.html"
    assert main(["report", str(folder), "--out", str(out), "--quiet"]) == 0
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text  # the scenario name is escaped, nothing runs
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "a &amp; b" in text
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 1
    assert base64.b64decode(images[0]) == (folder / "fan_chart.png").read_bytes()
    assert "http://" not in text and "https://" not in text  # no external resources
    # Per-point means of welfare: 2 and 20; across runs: mean 11.
    assert re.search(r"<td[^>]*>2</td>", text) and re.search(r"<td[^>]*>20</td>", text)
    assert re.search(r"<td[^>]*>11</td>", text)
    assert "42" in text  # the seed


def test_report_of_a_real_run(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
    run = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(run), "--steps", "5", "--quiet"]) == 0
    assert main(["report", str(run), "--quiet"]) == 0
    text = (run / "report.html").read_text()
    assert text.count("data:image/png;base64,") == len(list(run.glob("*.png"))) > 0
    assert "baseline" in text and "mean_openness" in text


def test_report_rejects_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    error = capsys.readouterr().err.strip()
    assert "DIR must be an output folder" in error and "\n" not in error
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2


def test_report_subprocess_bad_input_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "abm", "report", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def _mc_folder(folder: Path, penalty: float, welfare: list[float], seed: int) -> Path:
    folder.mkdir()
    n = len(welfare)
    pd.DataFrame(
        {
            "run_id": range(n),
            "point": 0,
            "replication": range(n),
            "seed": range(n),
            "status": "ok",
            "error": "",
            "welfare": welfare,
            "open_share": [0.5] * n,
            "share_pay": [penalty] * n,
        }
    ).to_parquet(folder / "runs.parquet")
    pd.DataFrame(
        {
            "run_id": np.repeat(range(n), 3),
            "step": np.tile([0, 1, 2], n),
            "welfare": 1.0,
            "open_share": 0.5,
            "share_pay": penalty,
        }
    ).to_parquet(folder / "timeseries.parquet")
    market = {
        "generalists": {
            "alpha0": {
                "kind": "uniform",
                "value": 0.0,
                "low": 0.05,
                "high": 3.0,
                "mean": 0.0,
                "sd": 1.0,
                "values": [],
            },
        },
        "regulator": {
            "mode": "static",
            "theta": 0.5,
            "penalty": penalty,
            "schedule": [],
            "lever": "penalty",
            "gain": 0.05,
        },
    }
    Manifest("mc", {"scenario": {"name": folder.name, "market": market}}, seed=seed).write(folder)
    return folder


def test_compare_two_folders_side_by_side(tmp_path: Path) -> None:
    low = _mc_folder(tmp_path / "low", 0.0, [10.0, 11.0, 12.0, 13.0], seed=20261122)
    high = _mc_folder(tmp_path / "high", 0.3, [20.0, 21.0, 22.0, 23.0], seed=20261122)
    out = tmp_path / "cmp.html"
    assert main(["report", str(low), str(high), "--out", str(out), "--quiet"]) == 0
    text = out.read_text()
    assert "low" in text and "high" in text and "high − low" in text
    # Only the setting that differs is listed (plus command, scenario, seed, size).
    assert "market.regulator.penalty" in text and "market.regulator.theta" not in text
    assert "20261122" in text and "20,261,122" not in text  # seeds as given, plain integers
    # welfare: +10 with a Welch interval that excludes 0 (marked *)
    assert re.search(r"<td[^>]*>10 \[[\d.]+, [\d.]+\] \*</td>", text)
    assert text.count("data:image/png;base64,") == 2
    assert "fewer than 30" in text  # 4 runs each: the bands carry a caveat
    assert 'class="scroll"' in text


def test_compare_needs_two_folders_with_outputs(tmp_path: Path, capsys) -> None:
    good = _mc_folder(tmp_path / "good", 0.0, [1.0, 2.0], seed=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(good), str(empty), "--out", str(tmp_path / "x.html")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "runs.parquet" in error
    assert not (tmp_path / "x.html").exists()


def test_scenario_lists_only_fields_that_apply(tmp_path: Path) -> None:
    from abm.report import applicable

    folder = _mc_folder(tmp_path / "one", 0.1, [1.0] * 40, seed=7)
    assert main(["report", str(folder), "--quiet"]) == 0
    text = (folder / "report.html").read_text().split("<h3>Scenario</h3>")[1]
    text = text.split("<details>")[0]  # the raw manifest below keeps everything
    assert "market.generalists.alpha0.low" in text
    assert "alpha0.mean" not in text and "-inf" not in text and "schedule" not in text
    whole = (folder / "report.html").read_text()
    assert "fewer than 30" not in whole.split("Across runs")[1].split("<h2>")[0]  # 40 runs
    pruned = applicable(
        {
            "x": {
                "kind": "lognormal",
                "value": 0,
                "low": float("-inf"),
                "high": 3.0,
                "mean": -0.7,
                "sd": 0.6,
                "values": [],
            }
        }
    )
    assert pruned == {"x": {"kind": "lognormal", "mean": -0.7, "sd": 0.6, "high": 3.0}}


def test_one_colour_per_observable() -> None:
    from abm.figures.style import colour_of

    assert colour_of("share_pay") == colour_of("pay")
    assert colour_of("open_share") != colour_of("mean_openness")


def test_report_out_must_be_a_file(tmp_path: Path, capsys) -> None:
    low = _mc_folder(tmp_path / "low", 0.0, [1.0, 2.0], seed=1)
    high = _mc_folder(tmp_path / "high", 0.3, [2.0, 3.0], seed=1)
    with pytest.raises(SystemExit) as exit_code:
        main(["report", str(low), str(high), "--out", str(low)])
    assert exit_code.value.code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "is a folder, not a file" in error


@pytest.mark.parametrize("broken", ["manifest.json", "timeseries.parquet"])
def test_a_corrupt_input_is_one_line_and_exit_2(tmp_path, capsys, broken):
    from abm.cli import main

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n')
    folder = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(folder), "--quiet", "--no-figures"]) == 0
    (folder / broken).write_text("{garbage")
    assert main(["report", str(folder), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("abm report: error: cannot read") and error.count("\n") == 1
    assert not (folder / "report.html").exists()


def test_a_read_only_folder_is_a_write_failure_naming_report_html(
    tmp_path: Path, as_user: list[str]
) -> None:

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n')
    folder = tmp_path / "rorun"
    assert main(["run", str(scenario), "--out", str(folder), "--quiet", "--no-figures"]) == 0
    folder.chmod(0o555)
    command = [*as_user, sys.executable, "-m", "abm", "report", str(folder)]
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    folder.chmod(0o755)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    wanted = f"abm report: error: cannot write {folder / 'report.html'}: Permission denied"
    assert result.stderr.strip() == wanted  # a write, and the file the user asked for
    assert not (folder / "report.html").exists()


def test_compare_an_observable_one_folder_never_had_quietly(tmp_path: Path, recwarn) -> None:
    """A single run whose observable is NaN (e.g. no closed firms): '–', and no warning."""
    one = _mc_folder(tmp_path / "one", 0.0, [10.0], seed=1)
    other = _mc_folder(tmp_path / "other", 0.3, [float("nan")], seed=1)
    out = tmp_path / "cmp.html"
    assert main(["report", str(one), str(other), "--out", str(out), "--quiet"]) == 0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    row = out.read_text().split(">welfare<")[1].split("</tr>")[0]
    assert row.count("–") >= 2  # the empty folder's value and the difference
