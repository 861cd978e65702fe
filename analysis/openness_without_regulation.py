"""Study 1, openness without regulation: how open do model makers choose to be?

(a) Model I's free choice ω⁰(α0) (fixed δ) for several reputation values ε, with the openness
learned in Model I's own market overlaid: independent generalist–specialist pairs under captive
demand (:func:`abm.market.checks.pair_config`), each leader learning its release from
experience (``checks.EXPERIENCED_LEADERS["q_learning"]``) over a fast follower
(``checks.FAST_FOLLOWER``), at two of the ε values. There the learned ω should sit on ω⁰.

(b) The openness learned in the competitive default market (``scenarios/baseline.toml``: 20
model makers, 60 fine-tuners who choose their base, logit demand, no regulation) against α0,
coloured by the number n of fine-tuners building on each model. Here a model maker is not a
lone pair: its gain from openness grows with its followers, so the yardstick is Model I's
ω_int(n) = [n·δ(1−δ)λ/(2c_D) + ε + o − βα0]/(2k) (clipped to [0, 1]) at the n measured in
the market, drawn as hollow markers. A learned ω is the modal release over the last fifth of
the periods (:func:`abm.market.checks.learned_release`); n is the mean over the same periods.

``python -m analysis.openness_without_regulation [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis._common import run_main, start

NAME = "openness"
DESCRIPTION = (
    "Analytical unregulated openness ω⁰ against α0 for several reputation values ε, with the "
    "openness learned by Model I's pairs overlaid, and the openness learned in the competitive "
    "baseline market against α0 and the number of followers."
)

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
#: Reputation values ε drawn analytically; the pairs run at :data:`SIMULATED`.
REPUTATIONS = (0.0, 0.05, 0.15, 0.3)
SIMULATED = (0.05, 0.3)
#: Tolerance on learned ω (the checks' criterion) and the share of points that must meet it.
TOLERANCE = 0.02
MATCH_SHARE = 0.95
#: α0 range of both panels (the baseline's).
ALPHA0 = (0.05, 3.0)


def _pairs(reputation: float, pairs: int, periods: int, seed: int) -> Any:
    """Learned ω of ``pairs`` Model I pairs at ε = ``reputation``, with ω⁰ per pair."""
    import pandas as pd

    from abm.market import Distribution, checks
    from abm.market.model import MarketModel
    from abm.theory.openness_game import free_openness

    config = checks.pair_config(
        pairs,
        Distribution("uniform", low=ALPHA0[0], high=ALPHA0[1]),
        checks.EXPERIENCED_LEADERS[checks.JUDGED_LEADER],
        checks.FAST_FOLLOWER,
        generalist={"reputation": reputation},
    )
    model = MarketModel(config, rng=seed)
    game = checks._game(model)
    learned = checks.learned_release(model, periods)
    model.close()
    return pd.DataFrame(
        {
            "reputation": reputation,
            "alpha0": game.alpha0,
            "learned": learned,
            "free_openness": free_openness(game, checks.DELTA),
        }
    )


def _baseline(scenario: Any, periods: int, seed: int, replication: int) -> Any:
    """One baseline run: per model maker α0, learned ω, measured n and ω_int(n), ω⁰."""
    import numpy as np
    import pandas as pd

    from abm.market import MarketConfig
    from abm.market.model import MarketModel
    from abm.theory.openness_game import OpennessGame, free_openness, interior_openness

    config = MarketConfig.from_dict(scenario.market_data())
    model = MarketModel(config, rng=seed)
    g, s = model.generalists, model.specialists
    tail = max(1, periods // 5)
    counts = np.zeros((g.count, g.n_actions), dtype=np.int64)
    followers = np.zeros(g.count)
    rows = np.arange(g.count)
    for period in range(periods):
        model.step()
        if period >= periods - tail:
            counts[rows, g.action] += 1
            followers += g.derivatives
    mode = counts.argmax(axis=1)
    learned = np.where(mode < g.grid.size, g.grid[np.minimum(mode, g.grid.size - 1)], np.nan)
    followers /= tail
    delta = float(config.delta)
    # every fine-tuner has the same c_D and λ in the baseline; Model I's game per model maker
    game = OpennessGame(
        alpha0=g.alpha0,
        licensing=g.licensing,
        reputation=g.reputation,
        operation=g.operation,
        compliance=g.compliance,
        production=g.production,
        specialist_cost=float(np.mean(s.cost)),
        openness_leverage=float(np.mean(s.leverage)),
    )
    lone = free_openness(game, delta)
    # ω_int(n): the fine-tuning slope counted n times (n = 0: no follower at all)
    fine_tuning = delta * (1.0 - delta) / (2.0 * game.specialist_cost) * game.openness_leverage
    with_n = interior_openness(game, delta) + (followers - 1.0) * fine_tuning / (2 * g.compliance)
    model.close()
    return pd.DataFrame(
        {
            "replication": replication,
            "seed": seed,
            "alpha0": g.alpha0,
            "followers": followers,
            "learned": learned,
            "free_openness": lone,
            "omega_int_n": np.clip(with_n, 0.0, 1.0),
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the tables, findings and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.figures import OKABE_ITO
    from abm.market import checks
    from abm.scenarios import load_scenario
    from abm.theory.openness_game import OpennessGame, free_openness

    context = start(NAME, DESCRIPTION, argv)
    args = context.args
    pairs, pair_periods = (40, 1500) if args.quick else (120, 3000)
    reps, periods = (2, 1000) if args.quick else (10, 1000)
    scenario = load_scenario(SCENARIO)
    delta = checks.DELTA
    seeds = np.random.SeedSequence(args.seed).generate_state(len(SIMULATED) + reps)
    context.parameters = {
        "scenario": SCENARIO.name,
        "reputations": REPUTATIONS,
        "simulated_reputations": SIMULATED,
        "pairs": pairs,
        "pair_periods": pair_periods,
        "baseline_replications": reps,
        "baseline_periods": periods,
        "delta": delta,
        "leader": checks.JUDGED_LEADER,
    }
    context.say(f"(a) Model I pairs: {len(SIMULATED)} ε × {pairs} pairs × {pair_periods} periods")
    simulated = len(SIMULATED)
    pair_seeds = [int(seed) for seed in seeds[:simulated]]
    paired = pd.concat(
        context.map(_pairs, SIMULATED, [pairs] * simulated, [pair_periods] * simulated, pair_seeds),
        ignore_index=True,
    )
    paired["gap"] = checks.benchmark_gap(paired["learned"], paired["free_openness"])
    context.say(f"(b) baseline market: {reps} runs × {periods} periods")
    run_seeds = [int(seed) for seed in seeds[simulated:]]
    market = pd.concat(
        context.map(_baseline, [scenario] * reps, [periods] * reps, run_seeds, range(reps)),
        ignore_index=True,
    )
    market["gap_lone"] = checks.benchmark_gap(market["learned"], market["free_openness"])
    market["gap_n"] = checks.benchmark_gap(market["learned"], market["omega_int_n"])

    pair_gap = float(paired["gap"].mean())
    pair_within = float(np.mean(paired["gap"] <= TOLERANCE + 1e-9))
    released = market.dropna(subset=["learned"])
    leaders = released.loc[released.groupby("replication")["followers"].idxmax()]
    others = released.drop(leaders.index)
    crowded = released[released["followers"] >= 5]
    findings: dict[str, Any] = {
        "pairs": {
            "mean_abs_gap": pair_gap,
            "share_within_0.02": pair_within,
            "on_curve": pair_within >= MATCH_SHARE,
            "points": len(paired),
        },
        "baseline": {
            "model_makers": len(market),
            "released": len(released),
            "leader_openness_median": float(leaders["learned"].median()),
            "leader_followers_median": float(leaders["followers"].median()),
            "leader_share_open": float(np.mean(leaders["learned"] >= 0.5)),
            "leader_lone_pair_openness_median": float(leaders["free_openness"].median()),
            "others_openness_median": float(others["learned"].median()),
            "others_share_open": float(np.mean(others["learned"] >= 0.5)),
            "share_with_no_follower": float(np.mean(market["followers"] < 0.5)),
            "crowded_share_open": float(np.mean(crowded["learned"] >= 0.5))
            if len(crowded)
            else float("nan"),
            "crowded": len(crowded),
            "mean_abs_gap_lone_pair": float(market["gap_lone"].mean()),
            "mean_abs_gap_omega_int_n": float(market["gap_n"].mean()),
            "share_within_0.1_lone_pair": float(np.mean(market["gap_lone"] <= 0.1 + 1e-9)),
            "share_within_0.1_omega_int_n": float(np.mean(market["gap_n"] <= 0.1 + 1e-9)),
            "leaders_mean_abs_gap_lone_pair": float(leaders["gap_lone"].mean()),
            "leaders_mean_abs_gap_omega_int_n": float(leaders["gap_n"].mean()),
        },
    }

    grid = np.linspace(*ALPHA0, 300)
    colours = dict(
        zip(
            REPUTATIONS,
            (OKABE_ITO[c] for c in ("grey", "blue", "bluish_green", "vermillion")),
            strict=True,
        )
    )
    figure, (left, right) = plt.subplots(1, 2, figsize=(17, 6.8), constrained_layout=True)
    curves = {}
    for reputation in REPUTATIONS:
        curve = free_openness(OpennessGame(alpha0=grid, reputation=reputation), delta)
        curves[reputation] = curve
        left.plot(
            grid, curve, color=colours[reputation], lw=2.2, label=f"ω⁰(α0), ε = {reputation:g}"
        )
    for reputation in SIMULATED:
        part = paired[paired["reputation"] == reputation]
        left.scatter(
            part["alpha0"],
            part["learned"],
            color=colours[reputation],
            s=30,
            edgecolor="black",
            lw=0.6,
            zorder=3,
            label=f"learned by Model I pairs, ε = {reputation:g}",
        )
    left.set(
        xlabel="base-model performance α0",
        ylabel="openness ω chosen without regulation",
        ylim=(-0.03, 1.03),
    )
    left.set_title(
        (
            "(a) Model I pairs learn ω⁰: stronger models are released less\nopenly, "
            "reputation shifts the curve up"
            if findings["pairs"]["on_curve"]
            else "(a) Model I pairs against ω⁰"
        )
        + f"\n{pair_within:.0%} of {len(paired)} pairs within {TOLERANCE} of ω⁰ "
        f"(mean |ω − ω⁰| = {pair_gap:.3f})",
        fontsize=12,
    )
    left.legend(fontsize=9, loc="upper right")

    right.plot(grid, curves[0.05], color=colours[0.05], lw=2.2, label="lone pair ω⁰(α0), ε = 0.05")
    cap = max(1.0, float(np.ceil(market["followers"].max())))
    points = right.scatter(
        released["alpha0"],
        released["learned"],
        c=released["followers"],
        cmap="viridis",
        vmin=0,
        vmax=cap,
        s=40 + 6 * released["followers"],
        edgecolor="black",
        lw=0.6,
        zorder=3,
        label="learned in the baseline market",
    )
    right.scatter(
        market["alpha0"],
        market["omega_int_n"],
        facecolor="none",
        edgecolor=OKABE_ITO["vermillion"],
        s=70,
        lw=1.4,
        marker="D",
        zorder=2,
        label="ω_int(n) at the measured n",
    )
    figure.colorbar(points, ax=right, label="fine-tuners building on the model (n)")
    b = findings["baseline"]
    right.set(xlabel="base-model performance α0", ylabel="learned openness ω", ylim=(-0.03, 1.03))
    right.set_title(
        f"(b) Competitive market: the model with most fine-tuners (median n = "
        f"{b['leader_followers_median']:.0f})\nopens (ω ≥ 0.5) in {b['leader_share_open']:.0%} "
        f"of {reps} runs, the others in {b['others_share_open']:.0%}; the lone pair's ω⁰ "
        f"says {b['leader_lone_pair_openness_median']:.2f}\nmean |ω − ω⁰| = "
        f"{b['mean_abs_gap_lone_pair']:.2f}, mean |ω − ω_int(n)| = "
        f"{b['mean_abs_gap_omega_int_n']:.2f} (leaders: {b['leaders_mean_abs_gap_lone_pair']:.2f}"
        f" and {b['leaders_mean_abs_gap_omega_int_n']:.2f})",
        fontsize=12,
    )
    right.legend(fontsize=9, loc="center right")
    context.figure(figure, "openness_vs_alpha0")
    context.table(paired, "learned_openness_pairs")
    context.table(market, "learned_openness_market")
    context.table(
        pd.DataFrame(
            {
                "alpha0": np.tile(grid, len(REPUTATIONS)),
                "reputation": np.repeat(REPUTATIONS, grid.size),
                "free_openness": np.concatenate([curves[r] for r in REPUTATIONS]),
            }
        ),
        "analytic_openness",
    )
    context.say(
        f"(a) pairs vs ω⁰: mean gap {pair_gap:.4f}, {pair_within:.0%} within {TOLERANCE}\n"
        f"(b) baseline: leaders (median n {b['leader_followers_median']:.0f}) open in "
        f"{b['leader_share_open']:.0%} of runs, others {b['others_share_open']:.0%}; gap to ω⁰ "
        f"{b['mean_abs_gap_lone_pair']:.3f}, to ω_int(n) {b['mean_abs_gap_omega_int_n']:.3f}"
    )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
