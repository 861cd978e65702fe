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
