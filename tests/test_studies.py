"""Each study's --quick run: files exist and the content says what the study claims."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.cli import main

ROOT = Path(__file__).resolve().parent.parent

# Minutes of simulation: the full run (CI) only; `python -m pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


def _run(name: str, folder: Path, *extra: str) -> dict:
    started = time.perf_counter()
    assert main(["study", name, "--quick", "--quiet", "--out", str(folder), *extra]) == 0
    elapsed = time.perf_counter() - started
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["command"] == f"study {name}"
    # the manifest's timings cover the study, not only the writing of its files
    assert 0.5 * elapsed <= manifest["timings"]["wall_seconds"] <= elapsed
    for output in manifest["outputs"]:
        assert (folder / output).exists(), output
    return json.loads((folder / "findings.json").read_text())


def test_landscape_learned_regimes_agree_with_the_closed_form(tmp_path: Path) -> None:
    findings = _run("landscape", tmp_path, "--svg")
    for stem in ("landscape_side_by_side", "region_map_weak", "region_map_strong"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 10_000
        assert (tmp_path / f"{stem}.svg").exists()
    cells = pd.read_parquet(tmp_path / "landscape_cells.parquet")
    share = float(np.mean(cells["regime_expected"] == cells["regime_learned"]))
    assert findings["regime_agreement"] == pytest.approx(share)
    interior = cells[~cells["near_boundary"]]
    assert float(np.mean(interior["agree"])) >= 0.95
    assert share >= 0.85
    # The strong model's map must show withdrawal (high θ, high p), the weak one's must not,
    # and the strong market must learn to abstain there.
    strong = cells[cells["model"] == "strong"]
    assert (strong["outcome_analytic"] == "withdrawal").any()
    assert not (cells[cells["model"] == "weak"]["outcome_analytic"] == "withdrawal").any()
    withdrawn = strong[strong["outcome_analytic"] == "withdrawal"]
    assert (withdrawn["regime_learned"] == "abstains").mean() >= 0.9
    # Below the threshold nothing binds: ω⁰(α0 = 0.5) = 0.1875 at the defaults.
    low = cells[(cells["model"] == "weak") & (cells["theta"] < 0.18)]
    assert set(low["outcome_analytic"]) == {"nonbinding"}
    assert set(low["regime_learned"]) == {"free or complies"}


def test_lever_map_required_penalty_is_the_closed_form(tmp_path: Path) -> None:
    _run("levers", tmp_path)
    table = pd.read_parquet(tmp_path / "lever_map.parquet")
    # Ū_G(ω) = c + s·ω − k·ω² with s = δ(1−δ)λ/(2c_D) − βα0 + ε + o at the defaults, δ = 0.5.
    nearest = (table["alpha0"] - 1.0).abs() + (table["theta"] - 0.8).abs()
    row = table.iloc[int(np.argmin(nearest))]
    alpha0, theta = row["alpha0"], row["theta"]
    slope = 0.5 * 0.5 / 2.0 - 0.3 * alpha0 + 0.05 + 0.05
    free = min(max(slope / (2 * 0.2), 0.0), 1.0)
    expected = slope * (free - theta) - 0.2 * (free**2 - theta**2)
    assert theta > free
    assert row["required_penalty"] == pytest.approx(expected, rel=1e-9)
    assert (tmp_path / "lever_slope.png").exists()


def test_race_theory_and_market_retreat(tmp_path: Path) -> None:
    findings = _run("race", tmp_path)
    assert (tmp_path / "theory" / "race_catchup.png").exists()
    assert (tmp_path / "race_market_compute.png").exists()
    assert findings["theory_gain_never_rises"] is True
    final = findings["market_final_compute_median"]
    assert final["fast"] < final["slow"]
    runs = pd.read_parquet(tmp_path / "market" / "runs.parquet")
    assert len(runs) == 6 and set(runs["status"]) == {"ok"}


def test_openness_pairs_learn_free_openness_and_the_market_departs(tmp_path: Path) -> None:
    findings = _run("openness", tmp_path)
    curve = pd.read_parquet(tmp_path / "analytic_openness.parquet")
    at = curve[curve["reputation"] == 0.05]
    # README anchor: ω⁰(α0 = 0.5) = 0.1875; linear in α0 between the kinks.
    assert np.interp(0.5, at["alpha0"], at["free_openness"]) == pytest.approx(0.1875, abs=2e-3)

    # (a) Model I pairs: ω⁰ = clip((δ(1−δ)λ/(2c_D) + ε + o − βα0)/(2k), 0, 1) at the defaults
    pairs = pd.read_parquet(tmp_path / "learned_openness_pairs.parquet")
    assert set(pairs["reputation"]) == {0.05, 0.3}
    omega0 = np.clip((0.125 + pairs["reputation"] + 0.05 - 0.3 * pairs["alpha0"]) / 0.4, 0, 1)
    assert np.allclose(pairs["free_openness"], omega0)
    within = np.abs(pairs["learned"] - omega0) <= 0.02 + 1e-9
    assert within.mean() >= 0.95
    assert findings["pairs"]["share_within_0.02"] == pytest.approx(within.mean())
    assert findings["pairs"]["on_curve"] is True

    # (b) the baseline market: ω_int(n) = clip((n·0.125 + ε + o − βα0)/(2k), 0, 1), ε = o = 0.05
    market = pd.read_parquet(tmp_path / "learned_openness_market.parquet")
    assert market["replication"].nunique() == 2 and len(market) == 40
    expected = np.clip((0.125 * market["followers"] + 0.1 - 0.3 * market["alpha0"]) / 0.4, 0, 1)
    assert np.allclose(market["omega_int_n"], expected)
    assert np.allclose(
        market["free_openness"], np.clip((0.225 - 0.3 * market["alpha0"]) / 0.4, 0, 1)
    )
    released = market.dropna(subset=["learned"])
    leaders = released.loc[released.groupby("replication")["followers"].idxmax()]
    others = released.drop(leaders.index)
    # fine-tuners gather on one model: the leader has several times the others' followers
    assert (leaders["followers"] > 5 * others["followers"].mean()).all()
    # the leaders are strong models, closed by the lone pair's ω⁰, yet they open more
    assert (leaders["free_openness"] == 0).all()
    assert leaders["learned"].mean() > others["learned"].mean() + 0.2
    assert findings["baseline"]["leaders_mean_abs_gap_lone_pair"] > 0.2
    assert findings["baseline"]["others_share_open"] < 0.2

    # two workers (and the module's own entry, whose functions the workers import by name):
    # the same tables, since each market depends on its own seed only
    pooled = tmp_path / "pooled"
    command = ["-m", "analysis.openness_without_regulation", "--quick", "--quiet"]
    subprocess.run(
        [sys.executable, *command, "--workers", "2", "--out", str(pooled)], check=True, cwd=ROOT
    )
    for stem in ("learned_openness_pairs", "learned_openness_market"):
        alone = pd.read_parquet(tmp_path / f"{stem}.parquet")
        assert pd.read_parquet(pooled / f"{stem}.parquet").equals(alone)


def test_study_command_rejects_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "nonexistent"]) == 2
    error = capsys.readouterr().err.strip()
    assert "study must be one of" in error and "\n" not in error


def test_study_module_entry_point_exits_2_on_bad_option(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "analysis.lever_map", "--workers", "0", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_firm_size_inverted_u_and_edge(tmp_path: Path) -> None:
    findings = _run("firm-size", tmp_path)
    assert findings["theory_peak"] == pytest.approx(0.6)
    # the market's mechanism: the inverted U emerges near s* and a larger edge lowers opening
    market = findings["market"]
    for edge, fit in market.items():
        assert fit["interior_peak"] is True, edge
        assert abs(fit["peak"] - 0.6) <= 0.1, edge
        assert fit["correlation"] > 0.9, edge
    assert findings["market_open_rate_falls_with_edge"] is True
    simulated = pd.read_parquet(tmp_path / "market_propensity.parquet")
    assert {"edge", "mean_share", "rate", "rate_lower", "rate_upper", "model_three"} <= set(
        simulated.columns
    )
    curves = pd.read_parquet(tmp_path / "propensity_curves.parquet")
    for edge, curve in curves.groupby("edge"):
        probability = curve["probability"].to_numpy()
        peak = curve["share"].to_numpy()[np.argmax(probability)]
        assert peak == pytest.approx(0.6, abs=0.01)  # inverted U with an interior peak
        assert probability[0] < probability.max() and probability[-1] < probability.max()
        # Δ(s) = γ s(1−s) − ℓ(1−s) − κ at the defaults γ = 1, ℓ = 0.2
        s = curve["share"].to_numpy()
        expected = s * (1 - s) - 0.2 * (1 - s) - edge
        assert np.allclose(curve["gain"], expected, atol=1e-12)
    # a larger edge lowers the propensity everywhere and narrows the opening interval
    wide = curves.pivot(index="share", columns="edge", values="probability")
    assert (wide.diff(axis=1).iloc[:, 1:] < 0).all().all()
    assert findings["width_falls_with_edge"] is True
    assert findings["edges"]["0.05"]["open_lower"] == pytest.approx(0.268, abs=1e-3)


def test_learning_leaders_reach_their_benchmarks(tmp_path: Path) -> None:
    findings = _run("learning", tmp_path)
    counterfactual = findings["best_response (counterfactual)"]
    assert counterfactual["benchmark"] == "myopic" and counterfactual["within_tolerance"] is True
    assert counterfactual["share_mode_within_tolerance"] == 1.0
    judged = findings["q_learning"]
    assert judged["benchmark"] == "spe" and judged["judged"] is True
    assert judged["share_mode_within_tolerance"] >= 0.8
    assert findings["roth_erev"]["final_gap_median"] > 0.1  # reported, visibly not converged
    curves = pd.read_parquet(tmp_path / "convergence_curves.parquet")
    assert set(curves["leader"]) == set(findings)
    first = curves[(curves["leader"] == "q_learning") & (curves["step"] == 1)]["gap"]
    assert (first > 0.05).all()  # they start away from ω⁰ = 0.375 and learn it


def test_policy_fan_charts_follow_each_policy(tmp_path: Path) -> None:
    findings = _run("policy", tmp_path)
    assert (tmp_path / "policy_fan_charts.png").exists()
    series = pd.read_parquet(tmp_path / "runs" / "timeseries.parquet")
    runs = pd.read_parquet(tmp_path / "runs" / "runs.parquet")
    series = series.merge(runs[["run_id", "point"]], on="run_id")
    series = series[series["step"] > 0]
    none, static, adaptive = (series[series["point"] == k] for k in range(3))
    assert (none["penalty"] == 0).all() and (none["penalties_paid"] == 0).all()
    assert np.allclose(static["penalty"], 0.1) and np.allclose(static["theta"], 0.5)
    assert findings["static θ = 0.5, p = 0.1"]["penalties_paid"] > 0  # the rule binds
    # the adaptive law: p(t+1) = clip(p(t) + 0.05·(0.5 − open share(t)), 0, 1), from p(1) = 0
    for _, run in adaptive.groupby("run_id"):
        run = run.sort_values("step")
        penalty, share = run["penalty"].to_numpy(), run["open_share"].to_numpy()
        assert penalty[0] == 0.0
        assert np.allclose(penalty[1:], np.clip(penalty[:-1] + 0.05 * (0.5 - share[:-1]), 0, 1))
    # it steers the open share towards its target 0.5, further than no regulation gets
    window = findings["window"]
    last = series[series["step"] > series["step"].max() - window]
    per_run = last.groupby(["point", "run_id"])["open_share"].mean()
    assert abs(per_run[2].median() - 0.5) < abs(per_run[0].median() - 0.5)
    # each stated difference is one whose 5–95 % ranges of runs are apart
    for point, name in (
        (1, "static θ = 0.5, p = 0.1"),
        (2, "adaptive penalty (target open share 0.5)"),
    ):
        for column, sign in findings["clear_differences"][name].items():
            outcome = last.groupby(["point", "run_id"])[column].mean()
            low_a, high_a = np.quantile(outcome[0], [0.05, 0.95])
            low_b, high_b = np.quantile(outcome[point], [0.05, 0.95])
            assert sign == (1 if low_b > high_a else -1 if high_b < low_a else 0), (name, column)
    assert len(findings["statements"]) == 2


def test_information_counterfactual_finds_myopic_and_experienced_tracks_spe(
    tmp_path: Path,
) -> None:
    findings = _run("information", tmp_path)
    for stem in ("information_alpha0", "information_followers"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 10_000
    points = pd.read_parquet(tmp_path / "information_points.parquet")
    counterfactual = points[points["information"] == "counterfactual"]
    experienced = points[points["information"] == "experienced"]
    # the counterfactual best response finds ω^N in every pair, in both panels
    assert (np.abs(counterfactual["learned"] - counterfactual["myopic"]) <= 0.02 + 1e-9).all()
    # the experienced leader learns the follower's response: near ω⁰ / ω_int(n), not ω^N
    assert experienced["gap"].mean() <= 0.03
    separated = experienced[np.abs(experienced["spe"] - experienced["myopic"]) > 0.1]
    assert len(separated) >= 10
    assert (np.abs(separated["learned"] - separated["myopic"]) > 0.05).all()
    assert findings["alpha0:experienced"]["share_within"] >= 0.8
    # openness rises with the number of followers on one base
    by_n = experienced[experienced["panel"] == "followers"].groupby("followers")["learned"].median()
    assert by_n.is_monotonic_increasing and by_n.iloc[-1] - by_n.iloc[0] > 0.8
    summary = pd.read_parquet(tmp_path / "information_findings.parquet")
    assert set(summary["panel"]) == {"alpha0", "followers"}
    assert summary.set_index(["panel", "information"]).loc[("alpha0", "counterfactual"), "on_curve"]


def test_collusion_sessions_converge_above_nash(tmp_path: Path) -> None:
    findings = _run("collusion", tmp_path)
    assert (tmp_path / "collusion.png").exists()
    sessions = pd.read_parquet(tmp_path / "collusion_sessions.parquet")
    assert len(sessions) == findings["sessions"] == 3
    assert findings["share_converged"] == 1.0
    assert findings["delta"]["mean"] == pytest.approx(sessions["delta"].mean())
    assert findings["delta"]["min"] > 0.5  # well above Nash (Δ = 0)
    low, high = findings["delta"]["ci95"]
    assert low < findings["delta"]["mean"] < high
    impulse = pd.read_parquet(tmp_path / "collusion_impulse_response.parquet")
    assert set(impulse["tau"]) == set(range(-1, 16))
