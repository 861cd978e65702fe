"""The ``abm open-source`` subcommand."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.cli import main
from abm.theory.open_sourcing import OpenSourcingGame, open_probability, opening_gain

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *options):
    assert main(["open-source", *options, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_at_the_anchor(capsys):
    result = run_json(capsys, "--share", "0.6")
    assert {"gain", "open", "probability", "interval", "peak"} <= result.keys()
    assert result["gain"] == pytest.approx(0.11)
    assert result["open"] is True
    assert result["probability"] == pytest.approx(0.900, abs=5e-4)
    assert result["interval"] == pytest.approx([0.268, 0.932], abs=5e-4)
    assert result["peak"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("share", "probability", "opens"),
    [("0.1", 0.057, False), ("0.3", 0.599, True), ("0.9", 0.599, True), ("0.99", 0.301, False)],
)
def test_json_anchor_probabilities(capsys, share, probability, opens):
    result = run_json(
        capsys,
        "--share",
        share,
        "--growth-value",
        "1",
        "--licensing",
        "0.2",
        "--edge",
        "0.05",
        "--precision",
        "20",
    )
    assert result["probability"] == pytest.approx(probability, abs=5e-4)
    assert result["open"] is opens


def test_json_interval_is_null_when_opening_never_pays(capsys):
    result = run_json(capsys, "--share", "0.6", "--edge", "0.3")
    assert result["interval"] is None
    assert result["open"] is False
    assert result["gain"] == pytest.approx(opening_gain(OpenSourcingGame(1.0, 0.2, 0.3), 0.6))


def test_json_follows_the_options(capsys):
    result = run_json(
        capsys, "--share", "0.4", "--growth-value", "2", "--licensing", "0.1", "--edge", "0.02"
    )
    assert result["gain"] == pytest.approx(2 * 0.4 * 0.6 - 0.1 * 0.6 - 0.02)
    assert result["peak"] == pytest.approx(2.1 / 4)
    assert result["probability"] == pytest.approx(
        open_probability(OpenSourcingGame(2.0, 0.1, 0.02, 20.0), 0.4)
    )
    precise = run_json(capsys, "--share", "0.4", "--precision", "5")
    assert precise["probability"] == pytest.approx(
        open_probability(OpenSourcingGame(precision=5.0), 0.4)
    )


def test_json_peak_when_the_gain_peaks_beyond_one(capsys):
    result = run_json(capsys, "--share", "0.5", "--licensing", "1.5")
    assert result["peak"] == 1.0
    assert result["unconstrained_peak"] == pytest.approx(1.25)
    assert result["interval"] is None


def test_readable_table(capsys):
    assert main(["open-source", "--share", "0.6"]) == 0
    output = capsys.readouterr().out
    lines = output.strip().splitlines()
    assert len(lines) >= 8
    # Aligned: label, two or more spaces, value — every value starts in the same column.
    rows = [re.match(r"^(\S.*?\S)\s{2,}(\S.*)$", line) for line in lines]
    assert all(rows), output
    assert len({row.start(2) for row in rows}) == 1, output
    assert "0.11" in output
    assert "(0.2683, 0.9317)" in output
    assert "yes" in output
    assert "0.900" in output


def test_table_says_when_opening_never_pays(capsys):
    assert main(["open-source", "--share", "0.6", "--growth-value", "0"]) == 0
    assert "never pays" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--share", "1.5"], "--share"),
        (["--share", "-0.1"], "--share"),
        (["--share", "abc"], "--share"),
        (["--share", "nan"], "--share"),
        (["--share", "0.5", "--growth-value", "-1"], "--growth-value"),
        (["--share", "0.5", "--licensing", "-0.2"], "--licensing"),
        (["--share", "0.5", "--edge", "-0.05"], "--edge"),
        (["--share", "0.5", "--precision", "0"], "--precision"),
        (["--share", "0.5", "--precision", "-3"], "--precision"),
        ([], "--share"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, options, needle):
    try:
        code = main(["open-source", *options])
    except SystemExit as exit_:  # argparse type errors exit from the parser
        code = exit_.code
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert needle in lines[0] and "error" in lines[0]


def test_plot_writes_figure_table_and_manifest(tmp_path, capsys):
    folder = tmp_path / "figure"
    assert main(["open-source", "--out", str(folder), "--edge", "0.08", "--json"]) == 0
    written = json.loads(capsys.readouterr().out)["written"]
    names = {Path(path).name for path in written}
    stem = "open_sourcing_by_share"
    assert names == {f"{stem}.png", f"{stem}.parquet", "manifest.json"}  # SVG with --svg only
    for name in names:
        assert (folder / name).stat().st_size > 0

    frame = pd.read_parquet(folder / f"{stem}.parquet")
    assert {"share", "edge", "gain", "probability"} <= set(frame.columns)
    edges = sorted(frame["edge"].unique())
    assert 0.08 in edges and len(edges) >= 4
    assert len(frame) == len(edges) * frame["share"].nunique()
    assert frame["share"].min() == 0.0 and frame["share"].max() == 1.0
    np.testing.assert_allclose(
        frame["gain"],
        opening_gain(OpenSourcingGame(1.0, 0.2, frame["edge"].to_numpy()), frame["share"]),
    )
    np.testing.assert_allclose(
        frame["probability"],
        open_probability(
            OpenSourcingGame(1.0, 0.2, frame["edge"].to_numpy(), 20.0), frame["share"]
        ),
    )

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["command"] == "open-source"
    assert manifest["parameters"]["edge"] == 0.08
    assert set(manifest["outputs"]) == names - {"manifest.json"}


def test_plot_with_share_prints_both(tmp_path, capsys):
    assert main(["open-source", "--share", "0.3", "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "0.599" in output
    assert "wrote" in output and (tmp_path / "open_sourcing_by_share.png").exists()


def test_subprocess_bad_input_exits_2_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "abm", "open-source", "--share", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--share" in lines[0]
