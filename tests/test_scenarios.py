"""Scenario files: loading, validation with key paths and suggestions, the shipped set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from abm.cli import main
from abm.errors import ParameterError
from abm.experiments.simulate import simulate
from abm.scenarios import (
    grid_values,
    load_scenario,
    market_field,
    parse_scenario,
    shipped_scenarios,
)

TINY = """
name = "tiny"
seed = 7
[horizon]
steps = 5
[market.generalists]
count = 3
alpha0 = { kind = "uniform", low = 0.1, high = 2.0 }
[market.specialists]
count = 4
[output]
figures = false
"""


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_in_and_resolve():
    scenario = parse_scenario({}, name="empty")
    assert scenario.name == "empty"
    assert scenario.horizon.steps == 100
    assert scenario.experiment.replications == 1
    resolved = scenario.to_dict()
    # the market block resolves to MarketConfig's defaults, distributions spelled out
    assert resolved["market"]["generalists"]["count"] == 1
    assert resolved["market"]["generalists"]["alpha0"]["kind"] == "constant"
    assert resolved["market"]["generalists"]["alpha0"]["low"] == "-inf"  # valid JSON


def test_tiny_file_loads(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY))
    assert scenario.name == "tiny"
    assert scenario.seed == 7
    assert scenario.market["generalists"]["count"] == 3
    assert scenario.source.endswith("scenario.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sede = 1", "unknown key sede (did you mean 'seed'?)"),
        ("[horizon]\nstep = 3", "unknown key horizon.step (did you mean 'steps'?)"),
        (
            "[market.generalists]\ncuont = 3",
            "unknown key market.generalists.cuont (did you mean 'count'?)",
        ),
        (
            "[market.generalists]\nalpha0 = { kind = 'uniform', lwo = 0.1, high = 1 }",
            "unknown key market.generalists.alpha0.lwo (did you mean 'low'?)",
        ),
        ("[experiment]\nreplication = 3", "did you mean 'replications'?"),
        ("[output]\nagent = true", "unknown key output.agent (did you mean 'agents'?)"),
    ],
)
def test_unknown_keys_name_the_path_and_suggest(tmp_path, text, expected):
    with pytest.raises(ParameterError, match="accepted keys") as error:
        load_scenario(write(tmp_path, text))
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[horizon]\nsteps = 0", "horizon.steps must be an integer in [1, 10000000], got 0"),
        ("seed = -3", "seed must be an integer >= 0, got -3"),
        ("[market.regulator]\ntheta = 2.0", "market.regulator.theta must be in [0, 1], got 2"),
        ("[market.generalists]\ncount = 0", "market.generalists.count must be an integer >= 1"),
        ("[market.regulator]\nmode = 'magic'", "market.regulator.mode must be one of static"),
        ("[experiment]\nsampler = 'halton'", "experiment.sampler must be one of grid, lhs"),
        ("[experiment]\noutcome = 'welfar'", "did you mean 'welfare'?"),
        ("[output]\nsummary_window = 9\n[horizon]\nsteps = 5", "output.summary_window must be"),
        (
            "[market.generalists]\nlearning = { rule = 'best_respons' }",
            "market.generalists.learning.rule must be one of",
        ),
        (  # needs the model to be built: a list distribution of the wrong length
            "[market.generalists]\ncount = 3\nalpha0 = [1.0, 2.0]",
            "market.generalists.alpha0",
        ),
        (
            "[experiment.sweep]\n'regulator.penalty' = { start = -1.0, stop = 1.0, count = 3 }",
            "experiment.sweep (regulator.penalty = -1): market.regulator.penalty must be in",
        ),
        ("[experiment.sweep]\n'regulator.penalti' = [0.1]", "did you mean 'penalty'?"),
        ("[experiment.parameters]\n'regulator.theta' = [0.5, 0.1]", "low < high"),
        ("[experiment.parameters]\n'generalists.count' = [1, 5]", "use a grid"),
        ("seed = 'x'", "seed must be an integer"),
        ("[market]\nagent_every = 2", "use output.agents and output.agent_every"),
        ("this is = not toml", "invalid TOML"),
    ],
)
def test_bad_values_name_key_value_and_range(tmp_path, text, expected):
    with pytest.raises(ParameterError) as error:
        load_scenario(write(tmp_path, text))
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_file_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_a_folder_given_as_the_scenario_is_named_as_a_folder(tmp_path):
    with pytest.raises(ParameterError, match=r"is a directory, not a file$"):
        load_scenario(tmp_path)


@pytest.mark.parametrize(
    "command",
    [["run"], ["mc"], ["sweep"], ["sa"], ["calibrate", "evidence", "--scenario"]],
    ids=["run", "mc", "sweep", "sa", "calibrate"],
)
def test_an_unreadable_scenario_is_one_line_and_exit_2(tmp_path, command, as_user):
    scenario = tmp_path / "locked.toml"
    scenario.write_text(TINY, encoding="utf-8")
    scenario.chmod(0)
    out = tmp_path / "out"
    abm = [sys.executable, "-m", "abm", *command, str(scenario), "--out", str(out)]
    done = subprocess.run(
        [*as_user, *abm],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"abm {command[0]}: error: cannot read scenario file {scenario}: Permission denied\n"
    )
    assert not out.exists()


def test_market_paths_and_grid_values():
    assert market_field("regulator.penalty") == (0.0, False)
    assert market_field("generalists.count") == (1, False)
    default, is_distribution = market_field("generalists.alpha0.high")
    assert is_distribution and default == np.inf
    with pytest.raises(ParameterError, match="did you mean 'regulator'"):
        market_field("regulatr.penalty")
    assert grid_values("x", {"start": 0.0, "stop": 1.0, "count": 5}) == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert grid_values("x", [3, 1]) == (3.0, 1.0)


def test_overrides_reach_the_market_and_distribution_fields(tmp_path):
    scenario = load_scenario(write(tmp_path, TINY))
    data = scenario.market_data({"regulator.penalty": 0.3, "generalists.alpha0.high": 5.0})
    assert data["regulator"]["penalty"] == 0.3
    assert data["generalists"]["alpha0"] == {"kind": "uniform", "low": 0.1, "high": 5.0}
    assert scenario.market["generalists"]["alpha0"]["high"] == 2.0  # the scenario is untouched
    constant = parse_scenario({"market": {"generalists": {"alpha0": 1.5}}})
    with pytest.raises(ParameterError, match="write it as a table"):
        constant.market_data({"generalists.alpha0.high": 2.0})


def test_cli_bad_scenario_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = write(tmp_path, "[market.generalists]\ncuont = 3")
    out = tmp_path / "out"
    for command in (["run"], ["mc", "--replications", "2"], ["sweep"], ["sa"]):
        assert main([*command, str(bad), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "market.generalists.cuont" in err
        assert not out.exists()


def test_cli_subprocess_bad_input_one_line_exit_2(tmp_path):
    bad = write(tmp_path, "[horizon]\nsteps = -1")
    result = subprocess.run(
        [sys.executable, "-m", "abm", "run", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "horizon.steps must be an integer in [1, 10000000], got -1" in result.stderr
    assert not (tmp_path / "o").exists()


SHIPPED = shipped_scenarios()


def test_the_documented_set_is_shipped():
    names = {path.stem for path in SHIPPED}
    assert "baseline" in names
    assert len(names) >= 9


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_every_shipped_scenario_loads_and_runs(path):
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("# Question:"), "each file states its question first"
    scenario = load_scenario(path)
    tables = simulate(scenario.market_data(), 1, 3, collect_agents=scenario.output.agents)
    frame = tables["timeseries"]
    assert list(frame["step"]) == [0, 1, 2, 3]
    assert np.isfinite(frame["welfare"]).all()


@pytest.mark.parametrize(
    "name", ["../../escape", "/absolute", "a/b", "back\\slash", "$x$", ".hidden"]
)
def test_a_scenario_name_cannot_leave_results_or_break_a_title(tmp_path, monkeypatch, capsys, name):
    file = tmp_path / "s.toml"
    file.write_text(f"name = {name!r}\n[horizon]\nsteps = 2\n".replace("'", '"'))
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(file), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "name must be a short name" in error
    assert not (tmp_path / "results").exists() and not (tmp_path.parent / "escape").exists()


def test_a_market_too_large_for_memory_is_refused_before_allocation(tmp_path, capsys):
    file = tmp_path / "big.toml"
    file.write_text("[horizon]\nsteps = 2\n[market.specialists]\ncount = 1000000000\n")
    assert main(["run", str(file), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "needs about" in error and "ABM_MAX_MEMORY" in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_agent_table_too_large_for_memory_is_refused_once_the_horizon_is_known(
    tmp_path, capsys, monkeypatch
):
    # 2,200 agents recorded every period: the market alone fits in 100 MiB, its table does not
    file = tmp_path / "agents.toml"
    file.write_text(
        "[horizon]\nsteps = 1500\n[market.generalists]\ncount = 200\n"
        "[market.specialists]\ncount = 2000\n[market.demand]\nniches = 50\n"
        "[output]\nagents = true\nagent_every = 1\nfigures = false\nnetwork = false\n"
    )
    monkeypatch.setenv("ABM_MAX_MEMORY", "100M")
    out = tmp_path / "out"
    assert main(["run", str(file), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "output.agents: a run records 1,501 snapshots" in error
    assert "more than the limit 100 MiB" in error and not out.exists()
    # a short try of the same file fits; a chunk of 40 such runs does not
    assert main(["run", str(file), "--steps", "2", "--out", str(out), "--quiet"]) == 0
    mc = ["mc", str(file), "--steps", "10", "--replications", "40", "--chunk-size", "40"]
    assert main([*mc, "--out", str(tmp_path / "mc"), "--quiet"]) == 2
    assert "a chunk of 40 runs holds 11 snapshots" in capsys.readouterr().err
    assert not (tmp_path / "mc").exists()


def test_the_agent_row_estimate_is_twice_what_a_row_takes():
    from abm.experiments.simulate import simulate
    from abm.scenarios import AGENT_ROW_BYTES

    market = {"generalists": {"count": 5}, "specialists": {"count": 30}, "agent_every": 1}
    table = simulate(market, 1, 20, collect_agents=True)["agents"]
    assert table["step"].nunique() >= 20 and len(table) >= 20 * 35
    per_row = table.memory_usage(deep=True).sum() / len(table)
    assert 2 * per_row <= AGENT_ROW_BYTES <= 6 * per_row  # conservative, not absurd


def test_the_memory_ceiling_follows_the_environment(monkeypatch):
    from abm.market import MarketConfig
    from abm.options import memory_limit, parse_size

    assert parse_size("8G") == 8 * 2**30 and parse_size("500M") == 500 * 2**20
    assert parse_size("1024") == 1024 and parse_size("1.5KiB") == 1536
    monkeypatch.setenv("ABM_MAX_MEMORY", "1K")
    assert memory_limit() == 1024
    with pytest.raises(ParameterError, match="needs about"):
        MarketConfig.from_dict({"specialists": {"count": 10}})
    monkeypatch.setenv("ABM_MAX_MEMORY", "lots")
    with pytest.raises(ParameterError, match="ABM_MAX_MEMORY must be a size"):
        MarketConfig.from_dict({})
