"""What the pages say a command finds is what it finds: README, model pages, scenario files.

Each check runs the documented command (read from the page where the page gives it, its
``--out`` moved into a temporary folder), recomputes the figures the text states from the
command's tables, and compares them with the text's numbers at the precision the text gives
them (0.47 agrees with 0.465 to 0.475; "about" as each check says). A change that moves a result
fails here until the page says what the command finds now; the numbers are read from the pages,
not repeated here.
"""

from __future__ import annotations

import json
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


def claim(pattern: str, page: str = README) -> tuple[str, ...]:
    """The numbers, as written, of the page's text matching ``pattern`` (its groups)."""
    found = re.search(pattern, page)
    assert found, f"the page no longer says {pattern!r}: update this test with it"
    return found.groups()


def near(value: float, stated: str, tolerance: float | None = None) -> bool:
    """Whether ``value`` reads as ``stated``: within half a unit of its last digit by default."""
    if tolerance is None:
        places = len(stated.partition(".")[2])
        tolerance = 0.5 * 10.0**-places
    return abs(value - float(stated)) <= tolerance + 1e-9


def scenario_text(name: str) -> str:
    """The comment block at the head of ``scenarios/<name>.toml``, as one line of text."""
    lines = (ROOT / "scenarios" / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    return " ".join(line.lstrip("#").strip() for line in lines if line.startswith("#"))


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
    if args[0] == "run":
        args.append("--no-figures")
    monkeypatch.chdir(ROOT)  # (the scenarios' paths are the pages', relative to the clone)
    assert main([*args, "--quiet"]) == 0
    return out


def series(line: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """The time series of the one run ``line`` makes, by step."""
    folder = run_line(line, out, monkeypatch)
    return pd.read_parquet(folder / "timeseries.parquet").set_index("step")


# --- README ---------------------------------------------------------------------------------


def test_the_penalty_sweep_finds_the_share_that_pays(tmp_path, monkeypatch):
    low, high, percent = claim(
        r"at every penalty from ([\d.]+) to ([\d.]+) about (\d+)% of model makers pay"
    )
    runs = pd.read_parquet(run("penalty=0:0.5:6", tmp_path, monkeypatch) / "runs.parquet")
    by_penalty = runs.groupby("regulator.penalty")[["share_pay", "welfare"]].mean()
    binding = by_penalty.loc[float(low) : float(high)]
    assert len(binding) == 5
    # "about 45 %": every point within 5 points of it
    assert all(near(100 * share, percent, 5) for share in binding["share_pay"]), binding
    # "welfare is lower than at p = 0"
    assert (binding["welfare"] < by_penalty.loc[0.0, "welfare"]).all()


def test_the_threshold_sample_finds_the_share_that_pays_rising(tmp_path, monkeypatch):
    bottom, below, top, above = claim(
        r"from ([\d.]+) \(θ < ([\d.]+)\) to ([\d.]+) \(θ > ([\d.]+)\)"
    )
    runs = pd.read_parquet(run("--sample lhs 16", tmp_path, monkeypatch) / "runs.parquet")
    theta, paying = runs["regulator.theta"], runs["share_pay"]
    assert near(paying[theta < float(below)].mean(), bottom)
    assert near(paying[theta > float(above)].mean(), top)


def test_the_morris_analysis_finds_the_target_ahead_of_the_gain(tmp_path, monkeypatch):
    target, gain, interval = claim(r"μ\* ([\d.]+) vs ([\d.]+) \(±([\d.]+)\)")
    folder = run("--method morris", tmp_path, monkeypatch)
    table = pd.read_parquet(folder / "sensitivity.parquet").set_index("parameter")
    assert near(table.loc["regulator.target_open_share", "mu_star"], target)
    assert near(table.loc["regulator.gain", "mu_star"], gain)
    assert near(table["mu_star_conf"].max(), interval)


def test_scenario_discovery_finds_the_withdrawal_box(tmp_path, monkeypatch):
    theta, penalty, alpha0 = claim(r"the box θ > ([\d.]+), p > ([\d.]+), α0 > ([\d.]+)")
    folder = run("--out results/withdrawal", tmp_path, monkeypatch)
    run("abm discover results/withdrawal", folder, monkeypatch)
    boxes = pd.read_parquet(folder / "discovery-withdrawal" / "boxes.parquet")
    best = boxes.loc[boxes["density"].idxmax()]
    assert best["density"] == 1.0 and best["regulator.theta high"] == 1.0
    assert near(best["regulator.theta low"], theta)
    assert near(best["regulator.penalty low"], penalty)
    assert near(best["generalists.alpha0 low"], alpha0)


def test_the_race_inside_the_market_finds_the_closed_labs_retreat(tmp_path, monkeypatch):
    before, after = claim(r"their mean compute falls from about ([\d.]+) to ([\d.]+)")
    (line,) = [line for line in README.splitlines() if "open_frontier_race.toml --out" in line]
    compute = series(line, tmp_path, monkeypatch)["closed_mean_compute"]
    # before the catch-up and over the scenario's summary window (its last periods)
    scenario = load_scenario(ROOT / "scenarios" / "open_frontier_race.toml")
    catchup = scenario.market["frontier"]["catchup_period"]
    assert near(compute.loc[1:catchup].mean(), before)
    assert near(compute.iloc[-scenario.output.summary_window :].mean(), after)


# --- docs/model/market.md -------------------------------------------------------------------


def test_the_default_markets_monte_carlo_finds_what_the_model_page_says(tmp_path, monkeypatch):
    # "The default market": the end-of-run figures of its mc command (each run's figure is its
    # mean over the scenario's summary window)
    (line,) = re.findall(r"`(abm mc scenarios/baseline\.toml --replications \d+)`", MARKET_PAGE)
    median, low, high = claim(
        r"open share is low \(median ([\d.]+), range ([\d.]+)–([\d.]+) over runs\)", MARKET_PAGE
    )
    hhi_low, hhi_high = claim(r"HHI of derivatives per base ([\d.]+)–([\d.]+)", MARKET_PAGE)
    welfare, surplus = claim(
        r"welfare\s+about (\d+) per period, of which about (\d+) is consumer surplus", MARKET_PAGE
    )
    runs = pd.read_parquet(run_line(line, tmp_path / "out", monkeypatch) / "runs.parquet")
    assert near(runs["open_share"].median(), median)
    assert near(runs["open_share"].min(), low) and near(runs["open_share"].max(), high)
    assert near(runs["hhi"].min(), hhi_low) and near(runs["hhi"].max(), hhi_high)
    assert near(runs["welfare"].mean(), welfare)
    assert near(runs["consumer_surplus"].mean(), surplus, 5)  # "about 250"


# --- scenarios/*.toml -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "other"),
    [("concentrated_market", "fragmented_market"), ("fragmented_market", "concentrated_market")],
)
def test_the_paired_markets_find_what_their_files_say(name, other, tmp_path, monkeypatch):
    text = scenario_text(name)
    (line,) = re.findall(rf"`(abm mc scenarios/{name}\.toml --replications \d+)`", text)
    runs = pd.read_parquet(run_line(line, tmp_path / name, monkeypatch) / "runs.parquet")
    if name == "concentrated_market":
        hhi_low, hhi_high = claim(r"HHI ([\d.]+) to ([\d.]+)\)", text)
        low, high, mean, against = claim(
            r"\(([\d.]+) to ([\d.]+), mean ([\d.]+), against ([\d.]+) in the fragmented", text
        )
    else:
        low, high, mean, against = claim(
            r"open share of ([\d.]+) to ([\d.]+) \(mean ([\d.]+), against ([\d.]+) with three", text
        )
        hhi_low, hhi_high = claim(r"HHI ([\d.]+) to ([\d.]+)\)", text)
    assert near(runs["hhi"].min(), hhi_low) and near(runs["hhi"].max(), hhi_high)
    assert near(runs["open_share"].min(), low) and near(runs["open_share"].max(), high)
    assert near(runs["open_share"].mean(), mean)
    # the other file's mean, as its own file states it
    (other_mean,) = claim(r"mean ([\d.]+)", scenario_text(other).partition("Found")[2])
    assert against == other_mean


def test_the_adaptive_regulator_finds_what_its_file_says(tmp_path, monkeypatch):
    text = scenario_text("adaptive_regulator")
    settled, spread, first, last, penalty = claim(
        r"\(([\d.]+) ± ([\d.]+) over periods (\d+)-(\d+), penalty about ([\d.]+)\)", text
    )
    peak, peak_first, peak_last, peak_penalty = claim(
        r"overshoot \(([\d.]+) over periods (\d+)-(\d+), with the penalty at ([\d.]+)\)", text
    )
    run_series = series("abm run scenarios/adaptive_regulator.toml", tmp_path, monkeypatch)
    end = run_series.loc[int(first) : int(last)]
    assert near(end["open_share"].mean(), settled) and near(end["open_share"].std(), spread)
    assert near(end["penalty"].mean(), penalty, 0.01)  # "about 0.15"
    overshoot = run_series.loc[int(peak_first) : int(peak_last)]
    assert near(overshoot["open_share"].mean(), peak)
    assert near(overshoot["penalty"].mean(), peak_penalty)


def test_the_phased_rule_finds_what_its_file_says(tmp_path, monkeypatch):
    text = scenario_text("phased_in")
    first_from, first_to, second_from, second_to = claim(
        r"means over periods (\d+)-(\d+) and (\d+)-(\d+)", text
    )
    paying, opened, unregulated = claim(
        r"\((\d+) % pay; open share ([\d.]+) against ([\d.]+) unregulated\)", text
    )
    complying, opened_later, unregulated_later = claim(
        r"\(p = [\d.]+: (\d+) % comply; open share ([\d.]+) against ([\d.]+)\)", text
    )
    phased = series("abm run scenarios/phased_in.toml", tmp_path / "phased", monkeypatch)
    baseline = series("abm run scenarios/baseline.toml", tmp_path / "baseline", monkeypatch)
    first = slice(int(first_from), int(first_to))
    second = slice(int(second_from), int(second_to))
    assert near(100 * phased.loc[first, "share_pay"].mean(), paying)
    assert near(phased.loc[first, "open_share"].mean(), opened)
    assert near(baseline.loc[first, "open_share"].mean(), unregulated)
    assert near(100 * phased.loc[second, "share_comply"].mean(), complying)
    assert near(phased.loc[second, "open_share"].mean(), opened_later)
    assert near(baseline.loc[second, "open_share"].mean(), unregulated_later)


# --- docs/validation.md ---------------------------------------------------------------------


def test_the_full_validation_suite_finds_what_the_validation_page_says(capsys):
    # the page's table of the full suite: each row's figures against `abm validate --json`
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    table = page.partition("Results of the full suite")[2].partition("\n\n")[2].partition("\n\n")[0]
    rows = {}
    for line in table.splitlines():
        if line.startswith("| V"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1]

    def row(prefix: str) -> str:
        (found,) = [figure for name, figure in rows.items() if name.startswith(prefix)]
        return found

    assert main(["validate", "--json", "--workers", "2"]) == 0
    checks = {check["check"]: check for check in json.loads(capsys.readouterr().out)["checks"]}

    def figure(name: str) -> float:
        return checks[name]["figure"]

    def gap(name: str) -> float:
        return float(re.search(r"mean \|ω − ω⁰\| = ([\d.]+)", checks[name]["detail"])[1])

    # V0: the errors at the page's two significant digits
    (error,) = claim(r"max error ([\d.e-]+)", row("V0 Model I reduction"))
    assert f"{figure('V0 Model I reduction'):.1e}" == error
    (error,) = claim(r"relative error ([\d.e-]+)", row("V0 Model II reduction"))
    assert f"{figure('V0 Model II reduction'):.1e}" == error
    # V1: the share, and the benchmark's regimes in the row's name
    v1 = "V1 myopic Nash (counterfactual)"
    assert near(figure(v1), row("V1"))
    (name,) = [name for name in rows if name.startswith("V1")]
    counts = claim(r"regimes (\d+) free, (\d+) comply, (\d+) pay, (\d+) abstain", name)
    assert f"[{', '.join(counts)}]" in checks[v1]["detail"]
    # V2: each leader's share and mean gap
    for prefix, leader in [
        ("V2 SPE", "q_learning"),
        ("V2, Q-learning revising", "q_learning_fast"),
        ("V2, Roth", "roth_erev"),
        ("V2, imitation", "imitation"),
    ]:
        share, mean_gap = claim(r"^([\d.]+) \(mean gap ([\d.]+)\)$", row(prefix))
        name = f"V2 SPE from experience: {leader}"
        assert near(figure(name), share) and near(gap(name), mean_gap), name
    # V3 and V4: one figure per benchmark or α0, in the row's order
    myopic, spe = claim(r"MAE ([\d.]+) / ([\d.]+)", row("V3"))
    assert near(figure("V3 heterogeneous pairs: myopic"), myopic)
    assert near(figure("V3 heterogeneous pairs: spe"), spe)
    for benchmark in ("myopic", "SPE"):
        shares = row(f"V4 regime maps, 21 × 21, α0 = 0.5 / 2 / 3, {benchmark}").split(" / ")
        for alpha0, share in zip(("0.5", "2", "3"), shares, strict=True):
            assert near(figure(f"V4 regime map α0 = {alpha0}: {benchmark.lower()}"), share)
    # V5 and V6
    (share,) = claim(r"([\d.]+) of judged periods", row("V5"))
    assert near(figure("V5 race upgrade"), share)
    peak, low, high, correlation = claim(
        r"peak ([\d.]+) \[([\d.]+), ([\d.]+)\], r = ([\d.]+)", row("V6")
    )
    assert near(figure("V6 firm size"), peak)
    assert f"[{low}, {high}]" in checks["V6 firm size"]["detail"]
    assert f"r = {correlation}" in checks["V6 firm size"]["detail"]
