"""The one parameter schema: errors, the config API, the JSON Schema and the docs' table."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest

from abm.cli import main
from abm.errors import ParameterError
from abm.market import (
    Distribution,
    GeneralistConfig,
    LearningConfig,
    MarketConfig,
    RegulatorConfig,
)
from abm.market.config import parameter_table
from abm.scenarios import coerce_parameter, load_scenario, scenario_schema, shipped_scenarios

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
DOCS = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: GeneralistConfig(count=0), "generalists.count must be an integer >= 1, got 0"),
        (lambda: GeneralistConfig(count=True), "generalists.count must be an integer >= 1"),
        (lambda: GeneralistConfig(count=2.5), "generalists.count must be an integer >= 1"),
        (
            lambda: MarketConfig.from_dict({"demand": {"rule": "auction"}}),
            "demand.rule must be one of captive, limit_pricing, logit, got 'auction'",
        ),
        (
            lambda: MarketConfig.from_dict({"generalists": {"cont": 2}}),
            "unknown key generalists.cont (did you mean 'count'?); accepted keys: count, alpha0",
        ),
        (
            lambda: MarketConfig.from_dict({"regulator": {"theta": math.inf}}),
            "regulator.theta must be in [0, 1], got inf",
        ),
        (
            lambda: MarketConfig.from_dict({"specialists": {"effort_max": 0}}),
            "specialists.effort_max must be in (0, inf), got 0",
        ),
        (
            lambda: MarketConfig.from_dict({"regulator": {"schedule": [[1, 0.5]]}}),
            "regulator.schedule[0] must be a row [step, theta, penalty], got [1, 0.5]",
        ),
        (
            lambda: MarketConfig.from_dict({"regulator": {"schedule": [[1, 2.0, 0.1]]}}),
            "regulator.schedule[0][1] must be in [0, 1], got 2",
        ),
        (
            lambda: MarketConfig.from_dict({"generalists": {"count": 2, "alpha0": [1.0]}}),
            "generalists.alpha0: a list gives one value per agent, so it needs 2 values, got 1",
        ),
        (
            lambda: MarketConfig.from_dict(
                {"generalists": {"alpha0": {"kind": "uniform", "low": -1.0, "high": 1.0}}}
            ),
            "generalists.alpha0 must be in (0, inf), but its uniform distribution reaches -1",
        ),
        (
            lambda: MarketConfig.from_dict({"generalists": {"alpha0": {"kind": "gamma"}}}),
            "generalists.alpha0.kind must be one of constant, uniform, normal, lognormal, list",
        ),
        (
            lambda: MarketConfig.from_dict(
                {"closed_firms": {"learning": {"params": {"speed": 1.0}}}}
            ),
            "closed_firms.learning.params: unknown parameter 'speed' for the q_learning rule",
        ),
        (
            lambda: MarketConfig.from_dict({"generalists": {"learning": {"rule": "logit"}}}),
            "generalists.learning.information: the logit rule needs forgone payoffs",
        ),
        (lambda: LearningConfig("q_learnin"), "learning.rule must be one of best_response"),
    ],
)
def test_errors_are_one_line_naming_path_range_and_value(build, message):
    with pytest.raises(ParameterError) as error:
        build()
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_config_api_keywords_positional_assignment_and_round_trip():
    learning = LearningConfig("q_learning", {"epsilon": 0.1}, "experienced", 0.5)
    assert (learning.rule, learning.params, learning.revision_rate) == (
        "q_learning",
        {"epsilon": 0.1},
        0.5,
    )
    config = MarketConfig(generalists=GeneralistConfig(count=3.0, alpha0=[1.0, 2.0, 3.0]))
    assert config.generalists.count == 3 and isinstance(config.generalists.count, int)
    assert config.generalists.alpha0 == Distribution("list", values=[1.0, 2.0, 3.0])
    config.regulator.theta = 0.5
    config.generalists.licensing = 0.2  # a number becomes a constant distribution
    assert config.generalists.licensing == Distribution("constant", value=0.2)
    with pytest.raises(ParameterError, match=r"regulator\.theta must be in \[0, 1\], got 2"):
        config.regulator.theta = 2.0
    assert config.regulator.theta == 0.5
    again = MarketConfig.from_dict(config.to_dict())
    assert again == config
    config.regulator.schedule.append([1, 5.0, 0.0])  # in place: only validate() sees it
    with pytest.raises(ParameterError, match=r"regulator\.schedule\[0\]\[1\]"):
        config.validate()
    assert RegulatorConfig().schedule == []


def test_market_paths_read_the_schema():
    assert coerce_parameter("generalists.count", 3.0) == 3
    assert isinstance(coerce_parameter("regulator.penalty", 1), float)
    with pytest.raises(ParameterError, match="switch"):
        coerce_parameter("generalists.allow_abstain", 1.0)
    with pytest.raises(ParameterError, match="must be an integer"):
        coerce_parameter("demand.niches", 2.5)
    with pytest.raises(ParameterError, match="got a table"):
        coerce_parameter("generalists.learning", 1.0)


def _validator():
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda path: path.stem)
def test_shipped_scenarios_follow_the_json_schema(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    errors = [error.message for error in _validator().iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(
    "data",
    [
        {"market": {"generalists": {"cuont": 3}}},
        {"horizon": {"steps": 0}},
        {"market": {"regulator": {"theta": 2.0}}},
        {"market": {"demand": {"rule": "auction"}}},
        {"market": {"generalists": {"alpha0": {"kind": "uniform", "lwo": 0.1}}}},
        {"market": {"generalists": {"learning": {"rule": "best_respons"}}}},
        {"experiment": {"sampler": "halton"}},
        {"output": {"agents": "yes"}},
    ],
)
def test_a_bad_scenario_fails_the_json_schema(data):
    assert list(_validator().iter_errors(data))


def test_abm_schema_prints_and_writes(tmp_path, capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(scenario_schema()))
    assert "generalists" in printed["properties"]["market"]["properties"]
    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == printed


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("{tmp}", "is a folder, not a file"),
        ("", "must name a file, got ''"),
        ("{tmp}/plain/schema.json", "plain is a file, not a folder"),
        ("{tmp}/new/", "new/ is a folder, not a file"),  # not a file named "new"
    ],
)
def test_abm_schema_bad_out_is_one_line_exit_2(tmp_path, capsys, out, message):
    (tmp_path / "plain").write_text("x")
    with pytest.raises(SystemExit) as stop:
        main(["schema", "--out", out.format(tmp=tmp_path)])
    error = capsys.readouterr().err
    assert stop.value.code == 2 and error.count("\n") == 1 and message in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]  # nothing written


def test_abm_schema_into_a_read_only_folder_is_one_line_exit_2(
    tmp_path, capsys, monkeypatch, as_user
):
    import subprocess
    import sys

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    command = [*as_user, sys.executable, "-m", "abm", "schema", "--out", str(locked / "s.json")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cannot write in" in result.stderr and "Traceback" not in result.stderr
    assert list(locked.iterdir()) == []
    # a write that fails after the option was checked is one line too
    import abm.io

    def refused(path, text):
        raise PermissionError(13, "Permission denied", str(path) + ".tmp")

    monkeypatch.setattr(abm.io, "write_text", refused)
    assert main(["schema", "--out", str(tmp_path / "s.json")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert f"--out: cannot write {tmp_path / 's.json'}: Permission denied" in error


def test_a_file_the_schema_accepts_loads(tmp_path):
    text = "[market.generalists]\ncount = 2\nalpha0 = [0.5, 1.5]\n[horizon]\nsteps = 3\n"
    path = tmp_path / "ok.toml"
    path.write_text(text, encoding="utf-8")
    assert not list(_validator().iter_errors(tomllib.loads(text)))
    assert load_scenario(path).market["generalists"]["alpha0"] == [0.5, 1.5]


def test_docs_hold_the_generated_parameter_table():
    table = parameter_table()
    text = DOCS.read_text(encoding="utf-8")
    # The site's build puts the table in place of the marker (docs/hooks/abm_docs.py).
    assert "<!-- abm:parameter-table -->" in text, "docs/scenarios.md: keep the table's marker"
    for stale in ("growth_", "ecosystem_", "sampled", "specialists.effort`", "days_per_period`"):
        assert f"closed_firms.{stale}" not in text and f"generalists.{stale}" not in text
    for key in ("demand.rule", "demand.precision", "generalists.learning.information"):
        assert f"`{key}`" in table
    assert "`specialists.effort_learning.revision_rate`" in table
