"""What the README (and the model page's default market) says a command finds is what it finds.

Each check runs the documented command line (read from the page, its ``--out`` moved into a
temporary folder), recomputes the figures the text states from the command's tables, and
compares them with the text's numbers at the precision the text gives them. A change that
moves a result fails here until the page says what the command finds now; the numbers are read
from the pages, not repeated here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from abm.cli import main
from abm.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MARKET_PAGE = (ROOT / "docs" / "model" / "market.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.slow


def claim(pattern: str, page: str = README) -> list[float]:
    """The numbers the page's text matching ``pattern`` states (its groups)."""
    found = re.search(pattern, page)
    assert found, f"the page no longer says {pattern!r}: update this test with it"
    return [float(group) for group in found.groups()]


def run(fragment: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the README's ``abm`` line containing ``fragment``, writing into ``out``."""
    lines = [line for line in README.splitlines() if line.startswith("abm ") and fragment in line]
    assert len(lines) == 1, f"one README command with {fragment!r}, found {len(lines)}"
    return run_line(lines[0], out, monkeypatch)


def run_line(line: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the command ``line`` (``abm …``, a trailing comment dropped), writing into ``out``."""
    args = shlex.split(line.split("#")[0])[1:]
    if "--out" in args:
        args[args.index("--out") + 1] = str(out)
    elif args[0] == "discover":  # it reads and writes a sweep's folder, given first
        args[1] = str(out)
    else:
        args += ["--out", str(out)]
    monkeypatch.chdir(ROOT)  # (the scenarios' paths are the README's, relative to the clone)
    assert main([*args, "--quiet"]) == 0
    return out


def test_the_penalty_sweep_finds_the_share_that_pays(tmp_path, monkeypatch):
    low, high, percent = claim(
        r"at every penalty from ([\d.]+) to ([\d.]+) about (\d+)% of model makers pay"
    )
    runs = pd.read_parquet(run("penalty=0:0.5:6", tmp_path, monkeypatch) / "runs.parquet")
    by_penalty = runs.groupby("regulator.penalty")[["share_pay", "welfare"]].mean()
    binding = by_penalty.loc[low:high]
    assert len(binding) == 5
    # "about 45 %": every point within 5 points of it
    assert (abs(binding["share_pay"] - percent / 100) <= 0.05).all(), binding["share_pay"]
    # "welfare is lower than at p = 0"
    assert (binding["welfare"] < by_penalty.loc[0.0, "welfare"]).all()


def test_the_threshold_sample_finds_the_share_that_pays_rising(tmp_path, monkeypatch):
    bottom, below, top, above = claim(
        r"from ([\d.]+) \(θ < ([\d.]+)\) to ([\d.]+) \(θ > ([\d.]+)\)"
    )
    runs = pd.read_parquet(run("--sample lhs 16", tmp_path, monkeypatch) / "runs.parquet")
    theta, paying = runs["regulator.theta"], runs["share_pay"]
    assert round(paying[theta < below].mean(), 2) == bottom
    assert round(paying[theta > above].mean(), 2) == top


def test_the_morris_analysis_finds_the_target_ahead_of_the_gain(tmp_path, monkeypatch):
    target, gain, interval = claim(r"μ\* ([\d.]+) vs ([\d.]+) \(±([\d.]+)\)")
    folder = run("--method morris", tmp_path, monkeypatch)
    table = pd.read_parquet(folder / "sensitivity.parquet").set_index("parameter")
    assert round(table.loc["regulator.target_open_share", "mu_star"], 2) == target
    assert round(table.loc["regulator.gain", "mu_star"], 2) == gain
    assert round(table["mu_star_conf"].max(), 2) == interval


def test_scenario_discovery_finds_the_withdrawal_box(tmp_path, monkeypatch):
    theta, penalty, alpha0 = claim(r"the box θ > ([\d.]+), p > ([\d.]+), α0 > ([\d.]+)")
    folder = run("--out results/withdrawal", tmp_path, monkeypatch)
    run("abm discover results/withdrawal", folder, monkeypatch)
    boxes = pd.read_parquet(folder / "discovery-withdrawal" / "boxes.parquet")
    best = boxes.loc[boxes["density"].idxmax()]
    assert best["regulator.theta low"] == theta and best["regulator.theta high"] == 1.0
    assert best["regulator.penalty low"] == penalty
    assert round(best["generalists.alpha0 low"], 1) == alpha0


def test_the_race_inside_the_market_finds_the_closed_labs_retreat(tmp_path, monkeypatch):
    before, after = claim(r"their mean compute falls from about ([\d.]+) to ([\d.]+)")
    folder = run("open_frontier_race.toml", tmp_path, monkeypatch)
    compute = pd.read_parquet(folder / "timeseries.parquet").set_index("step")
    compute = compute["closed_mean_compute"]
    # before the catch-up and over the scenario's summary window (its last periods)
    scenario = load_scenario(ROOT / "scenarios" / "open_frontier_race.toml")
    catchup = scenario.market["frontier"]["catchup_period"]
    assert round(compute.loc[1:catchup].mean()) == before
    assert round(compute.iloc[-scenario.output.summary_window :].mean()) == after


def test_the_default_markets_monte_carlo_finds_what_the_model_page_says(tmp_path, monkeypatch):
    # docs/model/market.md, "The default market": the end-of-run figures of its mc command
    (line,) = re.findall(r"`(abm mc scenarios/baseline\.toml --replications \d+)`", MARKET_PAGE)
    median, low, high = claim(
        r"open share is low \(median ([\d.]+), range ([\d.]+)–([\d.]+) over runs\)", MARKET_PAGE
    )
    hhi_low, hhi_high = claim(r"HHI of derivatives per base ([\d.]+)–([\d.]+)", MARKET_PAGE)
    welfare, surplus = claim(
        r"welfare\s+about (\d+) per period, of which about (\d+) is consumer surplus", MARKET_PAGE
    )
    runs = pd.read_parquet(run_line(line, tmp_path / "out", monkeypatch) / "runs.parquet")
    # each run's figure is its mean over the scenario's summary window (the last periods)
    assert round(runs["open_share"].median(), 2) == median
    assert (round(runs["open_share"].min(), 2), round(runs["open_share"].max(), 2)) == (low, high)
    assert (round(runs["hhi"].min(), 2), round(runs["hhi"].max(), 2)) == (hhi_low, hhi_high)
    assert round(runs["welfare"].mean()) == welfare
    assert round(runs["consumer_surplus"].mean(), -1) == surplus  # "about 250"
