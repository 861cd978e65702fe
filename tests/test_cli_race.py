"""The ``abm race`` subcommand."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.cli import main
from abm.theory import race
from abm.theory.race import RaceMarket
from abm.theory.value_functions import power_value

ROOT = Path(__file__).resolve().parents[1]
LN = math.log


def run_json(capsys, *options):
    assert main(["race", *options, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- P1/P2 anchors ---------------------------------------------------------------------------


def test_json_defaults_are_the_spec_anchor(capsys):
    result = run_json(capsys)
    assert {"revenue", "upgrade_gain"} <= result.keys()
    assert result["upgrade_gain"] == pytest.approx(365 * LN(4), rel=1e-12)
    assert round(result["upgrade_gain"], 1) == 506.0
    assert result["revenue"] == pytest.approx(365 * LN(4), rel=1e-12)  # y = 4 against x = 1
    assert "optimal_spend" not in result


@pytest.mark.parametrize(
    ("catchup", "shown"), [("3", 506.0), ("4", 506.0), ("8", 322.3), ("16", 138.6), ("32", 138.6)]
)
def test_json_upgrade_gain_anchors(capsys, catchup, shown):
    result = run_json(capsys, "--catchup", catchup, "--catchup-day", "100")
    assert round(result["upgrade_gain"], 1) == shown


# --- P3 ----------------------------------------------------------------------------------------


def test_json_optimal_spend_anchor(capsys):
    result = run_json(capsys, "--optimal-spend")
    assert result["optimal_spend"] == pytest.approx(365.0, rel=1e-14)
    assert result["threshold_catchup"] == pytest.approx(
        math.exp((365 * LN(365) - 100 * LN(100) - 265) / 265), rel=1e-13
    )
    assert round(result["threshold_catchup"], 1) == 218.9
    assert result["revenue"] == pytest.approx(365 * LN(365))
    assert result["upgrade_gain"] == pytest.approx(365 * LN(365) - 365)


@pytest.mark.parametrize(("catchup", "spend"), [("200", 365.0), ("218.8", 365.0), ("219", 100.0)])
def test_json_optimal_spend_switches(capsys, catchup, spend):
    result = run_json(capsys, "--optimal-spend", "--catchup", catchup)
    assert result["optimal_spend"] == pytest.approx(spend, rel=1e-14)
    assert result["threshold_catchup"] == pytest.approx(218.869, abs=1e-3)


def test_optimal_spend_does_not_need_closed_or_upgrade(capsys):
    with_them = run_json(capsys, "--optimal-spend", "--closed", "50", "--upgrade", "60")
    without = run_json(capsys, "--optimal-spend")
    assert with_them == without


# --- value function and extensions match the library -------------------------------------------


def test_power_value_options(capsys):
    result = run_json(capsys, "--value", "power", "--scale", "2", "--exponent", "0.25")
    curve = power_value(2.0, 0.25)
    assert result["upgrade_gain"] == pytest.approx(365 * float(curve(16.0) - curve(4.0)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--scale", "2"], "--scale is only accepted with --value power (got --value log)"),
        (
            ["--value", "log", "--exponent", "0.3"],
            "--exponent is only accepted with --value power (got --value log)",
        ),
        (
            ["--pricing", "discriminate"],
            "--pricing is only accepted with --valuations (none given)",
        ),
        (["--pricing", "uniform"], "--pricing is only accepted with --valuations (none given)"),
        (
            ["--substitution-discount", "0.25"],
            "--substitution-discount is only accepted with --substitution above 0 (got 0)",
        ),
    ],
)
def test_an_option_without_effect_is_refused(tmp_path, capsys, options, message):
    """As equilibrium refuses --delta unless bargaining is fixed: no silently ignored option."""
    out = tmp_path / "out"
    assert main(["race", *options, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"abm race: error: {message}\n"
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "market"),
    [
        (["--rivals", "2", "3"], {"rival_compute": 3.0}),
        (["--discount", "0.99"], {"discount": 0.99}),
        (["--hazard", "0.05"], {"hazard": 0.05}),
        (["--valuations", "0.5", "1", "2"], {"valuations": [0.5, 1.0, 2.0]}),
        (
            ["--valuations", "0.5", "1", "2", "--pricing", "discriminate"],
            {"valuations": [0.5, 1.0, 2.0], "pricing": "discriminate"},
        ),
        (
            ["--substitution", "0.4", "--substitution-discount", "0.25"],
            {"substitution": 0.4, "substitution_discount": 0.25},
        ),
        (["--undercut", "0.05"], {"undercut": 0.05}),
        (["--customers", "1000", "--days", "90"], {"customers": 1000.0, "days": 90}),
    ],
)
def test_extension_options_match_the_library(capsys, options, market):
    catchup = ["--catchup", "8", "--catchup-day", "30"]
    result = run_json(capsys, *catchup, *options)
    settings = {"customers": 1.0, "days": 365, **market}
    settings.update(catchup_compute=8.0, catchup_day=30)
    assert result["upgrade_gain"] == pytest.approx(
        float(race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(**settings))), rel=1e-12
    )
    assert result["revenue"] == pytest.approx(
        float(race.closed_revenue(4.0, 1.0, RaceMarket(**settings))), rel=1e-12
    )
    spend = run_json(capsys, *catchup, *options, "--optimal-spend")
    assert spend["optimal_spend"] == pytest.approx(
        float(race.optimal_spend(1.0, RaceMarket(**settings)).spend), rel=1e-12
    )


def test_valuations_report_the_uniform_pricing_loss(capsys):
    result = run_json(capsys, "--valuations", "0.5", "1", "1.5")
    premium = 365 * LN(4)
    assert result["uniform_revenue"] == pytest.approx(premium * 2 / 3)
    assert result["discriminating_revenue"] == pytest.approx(premium)
    assert result["uniform_pricing_loss"] == pytest.approx(premium / 3)


# --- readable table ---------------------------------------------------------------------------


def test_table_is_aligned_and_shows_the_anchor(capsys):
    assert main(["race", "--catchup", "8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    gain = next(line for line in lines if line.startswith("upgrade gain y → z"))
    assert gain.split()[-1] == "322.3134"
    rule = next(index for index, line in enumerate(lines) if set(line) == {"-"})
    assert len({len(line) for line in lines[rule + 1 :]}) == 1  # numbers right-aligned
    starts = {re.match(r"^.*?\S\s{2,}(?=\S)", line).end() for line in lines[:rule]}
    assert len(starts) == 1  # input values start in one column


def test_table_for_optimal_spend(capsys):
    assert main(["race", "--optimal-spend", "--catchup", "300"]) == 0
    output = capsys.readouterr().out
    assert "optimal spend z" in output and "100.0000" in output
    assert "218.8691" in output


# --- figure --------------------------------------------------------------------------------------


def test_plot_writes_figure_tidy_table_and_manifest(tmp_path, capsys):
    folder = tmp_path / "race"
    assert main(["race", "--out", str(folder), "--json", "--svg"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert round(result["upgrade_gain"], 1) == 506.0
    for name in ("race_catchup.png", "race_catchup.svg", "race_catchup.parquet", "manifest.json"):
        assert (folder / name).exists()
    table = pd.read_parquet(folder / "race_catchup.parquet")
    assert list(table.columns) == ["catchup_compute", "quantity", "value"]
    assert set(table["quantity"]) == {"upgrade_gain", "optimal_spend"}
    gains = table[table["quantity"] == "upgrade_gain"].sort_values("catchup_compute")
    spends = table[table["quantity"] == "optimal_spend"].sort_values("catchup_compute")
    assert np.all(np.diff(gains["value"].to_numpy()) <= 1e-9)
    assert spends["value"].max() == pytest.approx(365.0)
    assert spends["value"].min() == pytest.approx(100.0)
    at_upgrade = gains.loc[np.isclose(gains["catchup_compute"], 16.0), "value"]
    assert at_upgrade.iloc[0] == pytest.approx(100 * LN(4))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["command"] == "race"
    assert manifest["parameters"]["threshold_catchup"] == pytest.approx(218.869, abs=1e-3)
    assert set(manifest["outputs"]) == {
        "race_catchup.png",
        "race_catchup.svg",
        "race_catchup.parquet",
    }


# --- bad input ----------------------------------------------------------------------------------


def test_the_default_catchup_day_stops_at_a_shorter_horizon(capsys):
    # day 100 by default; a 30-day race without a catch-up has no day 100 and must still run
    short = run_json(capsys, "--days", "30")
    assert short["upgrade_gain"] == pytest.approx(30 * math.log(16.0 / 4.0))  # n·m·ln(z/y)
    spend = run_json(capsys, "--days", "50", "--optimal-spend")
    assert spend["mode"] == "optimal-spend"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--days", "0"], "--days"),
        (["--days", "-5"], "--days"),
        (["--catchup", "8", "--catchup-day", "400"], "--catchup-day"),
        (["--optimal-spend", "--days", "50", "--catchup-day", "60"], "--catchup-day"),
        # without a catch-up a day given is still checked: the options are named, not its fields
        (["--catchup-day", "400"], "--catchup-day must be in [0, 365] (the horizon --days)"),
        (["--days", "30", "--catchup-day", "40"], "--catchup-day must be in [0, 30] (the hor"),
        (["--value", "power", "--exponent", "1"], "--exponent"),
        (["--value", "power", "--exponent", "1.5"], "--exponent"),
        (["--customers", "-1"], "--customers"),
        (["--catchup", "0.5"], "--catchup"),
        (["--open", "0"], "--open"),
        (["--hazard", "2"], "--hazard"),
        (["--discount", "0"], "--discount"),
        (["--valuations", "1", "-2"], "--valuations"),
        (["--value", "cubic"], "--value"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, options, needle):
    assert exit_code(["race", *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert needle in lines[0]


def exit_code(argv):
    """main's return value; argparse errors exit through SystemExit instead."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def test_subprocess_bad_input_exits_2_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "abm", "race", "--catchup", "8", "--catchup-day", "400"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--catchup-day" in lines[0]
