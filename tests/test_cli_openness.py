"""``abm equilibrium`` and ``abm landscape`` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from abm.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *args):
    assert main(["equilibrium", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_equilibrium_json_keys_and_sanity_values(capsys):
    result = run_json(capsys, "--alpha0", "0.5")
    assert {
        "regime",
        "openness",
        "alpha1",
        "delta",
        "utility_generalist",
        "utility_specialist",
        "indifference_penalty",
        "outcome",
    } <= set(result)
    assert result["regime"] == "free" and result["outcome"] == "nonbinding"
    assert result["openness"] == pytest.approx(0.1875) and result[
        "utility_specialist"
    ] == pytest.approx(0.32422, abs=1e-5)
    strong = run_json(capsys, "--alpha0", "3")
    assert strong["openness"] == 0 and strong["utility_generalist"] == pytest.approx(0.675)


def test_equilibrium_regimes(capsys):
    withdrawn = run_json(capsys, "--alpha0", "3", "--theta", "1", "--penalty", "1")
    assert (
        withdrawn["regime"] == "abstain"
        and withdrawn["openness"] is None
        and withdrawn["alpha1"] is None
    )
    assert withdrawn["outcome"] == "withdrawal"
    paid = run_json(capsys, "--alpha0", "0.5", "--theta", "0.9", "--penalty", "0.01")
    assert paid["regime"] == "pay" and paid["outcome"] == "deadweight_loss"
    pareto = run_json(
        capsys,
        "--alpha0",
        "0.1",
        "--theta",
        "0.55",
        "--penalty",
        "0.5",
        "--bargaining",
        "egalitarian",
    )
    assert pareto["regime"] == "comply" and pareto["outcome"] == "pareto_improvement"


def test_equilibrium_table_is_readable(capsys):
    assert main(["equilibrium", "--alpha0", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "openness ω" in out and "0.1875" in out and "nonbinding" in out


def test_landscape_writes_figure_tables_and_manifest(tmp_path, capsys):
    out = tmp_path / "landscape"
    assert (
        main(
            [
                "landscape",
                "--alpha0",
                "0.5",
                "--thetas",
                "21",
                "--penalties",
                "11",
                "--out",
                str(out),
                "--format",
                "csv",
                "--svg",
            ]
        )
        == 0
    )
    names = {p.name for p in out.iterdir()}
    assert {
        "region_map.png",
        "region_map.svg",
        "region_map.parquet",
        "region_map.csv",
        "lever_map.png",
        "lever_map.parquet",
        "manifest.json",
    } <= names
    table = pd.read_parquet(out / "region_map.parquet")
    assert len(table) == 21 * 11 and {"theta", "penalty", "outcome", "regime"} <= set(table.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["alpha0"] == 0.5 and "numpy" in manifest["versions"]
    # no temporary files left; the lock of the claimed folder stays (as abm run's)
    assert [n for n in names if n.startswith(".")] == [".lock"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["equilibrium", "--specialist-cost", "-1"], "--specialist-cost"),
        (["equilibrium", "--theta", "1.5"], "--theta"),
        (["equilibrium", "--bargaining", "rubinstein"], "--bargaining"),
        (["equilibrium", "--bargaining", "nash", "--delta", "0.3"], "--delta"),
        (["landscape", "--alpha0", "-2", "--out", "x"], "--alpha0"),
        # beyond 1e12 the models' powers leave double precision (NaN penalties, inf revenue)
        (["landscape", "--alpha0", "1e200", "--out", "x"], "(0, 1e+12], got 1e200"),
        (["equilibrium", "--alpha0", "1e200", "--json"], "--alpha0"),
        (["race", "--customers", "1e308", "--days", "1000000", "--json"], "--customers"),
        (["open-source", "--licensing", "1e13", "--json"], "--licensing"),
        # 0 is no ceiling (a grid of one penalty), and is not silently replaced by the default
        (["landscape", "--max-penalty", "0", "--out", "x"], "--max-penalty: must be in (0, 1e+12]"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(args, needle, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "abm", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's abm, whatever is installed
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from abm.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('mesa', 'pandas', 'seaborn', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("abm ")
