"""Study 8, information: what the leader knows decides which Model I benchmark the market finds.

A generalist that learns only from its own realised payoff (``experienced``) tries a release,
holds it while its follower adjusts its effort, and judges it by what it then earns: it learns
the follower's response with it, and its learned openness is Model I's subgame-perfect ω⁰. A
generalist that sees forgone payoffs (``counterfactual``: the market re-cleared with its own
deviation, the follower's α1 held fixed) best-responds to a follower that does not move: it
finds the myopic Nash ω^N. The gap ω⁰ − ω^N = δ(1−δ)λ/(4k·c_D) per follower is the value of
the follower's response to openness.

(a) Learned ω against α0 under both kinds of information: independent pairs
(:func:`abm.market.checks.pair_config`, captive demand, δ = 0.5); the experienced leader is
``checks.EXPERIENCED_LEADERS["q_learning"]``, the counterfactual one ``checks.COUNTERFACTUAL``,
the follower ``checks.FAST_FOLLOWER`` on the fine effort grid ``checks.FINE_EFFORT``.

(b) Learned ω against the number n of followers on one base (α0 = :data:`FOLLOWERS_ALPHA0`):
each market has G generalists and n·G specialists matched in ``pairs`` (specialist j builds on
generalist j mod G), so each base has exactly n followers; under captive demand the bases do not
interact, so the G bases are G independent one-base markets run together. The yardsticks are
ω_int(n) (``spe_benchmark(game, δ, followers=n)``) and ω^N, which does not depend on n.

A learned ω is the modal release over the last fifth of the periods
(:func:`abm.market.checks.learned_release`). A title states a finding only when at least 95 %
of the points lie within 0.02 of the curve (the checks' criterion; Wilson 95 % intervals in the
findings); otherwise it says what was seen.

``python -m analysis.information [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis._common import run_main, start

NAME = "information"
DESCRIPTION = (
    "Learned openness under experienced vs counterfactual information against α0 and against "
    "the number of followers, with Model I's SPE ω⁰ / ω_int(n) and myopic ω^N."
)

#: Tolerance on learned ω and the share of points that must meet it for a claim.
TOLERANCE = 0.02
MATCH_SHARE = 0.95
#: α0 range of part (a): ω⁰ is interior below α0 = 0.75, ω^N below α0 = 1/3.
ALPHA0_RANGE = (0.05, 1.0)
#: Part (b): a base for which ω_int(n) is 0, 0.125, 0.44, 0.75, 1 for n = 1..5.
FOLLOWERS_ALPHA0 = 1.0
FOLLOWERS = (1, 2, 3, 4, 5)


def _learned(config: Any, periods: int, seed: int, followers: int = 1) -> dict[str, Any]:
    """Run one market; learned ω per generalist with both benchmarks."""
    from abm.market import checks
    from abm.market.model import MarketModel
    from abm.theory.openness_game import myopic_benchmark, spe_benchmark

    model = MarketModel(config, rng=seed)
    game = checks._game(model)
    if followers > 1:  # the n followers of base g are specialists g, g + G, …: all identical
        bases = model.generalists.count
        game = game.replace(
            specialist_cost=model.specialists.cost[:bases],
            openness_leverage=model.specialists.leverage[:bases],
        )
    learned = checks.learned_release(model, periods)
    model.close()
    return {
        "alpha0": game.alpha0,
        "learned": learned,
        "spe": spe_benchmark(game, checks.DELTA, followers=followers).openness,
        "myopic": myopic_benchmark(game, checks.DELTA).openness,
    }


def _frame(panel: str, information: str, result: dict[str, Any], followers: int) -> Any:
    import pandas as pd

    from abm.market.checks import benchmark_gap

    own = result["spe"] if information == "experienced" else result["myopic"]
    other = result["myopic"] if information == "experienced" else result["spe"]
    gap = benchmark_gap(result["learned"], own)
    return pd.DataFrame(
        {
            "panel": panel,
            "information": information,
            "followers": followers,
            "alpha0": result["alpha0"],
            "learned": result["learned"],
            "spe": result["spe"],
            "myopic": result["myopic"],
            "benchmark": "spe" if information == "experienced" else "myopic",
            "gap": gap,
            "gap_other": benchmark_gap(result["learned"], other),
            "within": gap <= TOLERANCE + 1e-9,
        }
    )


def _summary(points: Any) -> Any:
    import numpy as np
    import pandas as pd

    from abm.stats.propensity import wilson_interval

    rows = []
    for (panel, information), group in points.groupby(["panel", "information"], sort=False):
        hits, total = int(group["within"].sum()), len(group)
        lower, upper = wilson_interval(hits, total)
        share = hits / total
        rows.append(
            {
                "panel": panel,
                "information": information,
                "benchmark": group["benchmark"].iloc[0],
                "points": total,
                "share_within": share,
                "share_lower": float(lower),
                "share_upper": float(upper),
                "mean_gap": float(group["gap"].mean()),
                "mean_gap_other": float(group["gap_other"].mean()),
                "on_curve": bool(share >= MATCH_SHARE),
                # where the two benchmarks differ by more than twice the tolerance
                "separated_points": int(
                    np.sum(np.abs(group["spe"] - group["myopic"]) > 2 * TOLERANCE)
                ),
            }
        )
    return pd.DataFrame(rows)


def _phrase(row: dict[str, Any]) -> str:
    """What a title may say about one set of points."""
    name = "ω⁰" if row["benchmark"] == "spe" else "ω^N"
    if row["on_curve"]:
        return f"{row['information']} on {name} ({row['share_within']:.0%} within {TOLERANCE})"
    return (
        f"{row['information']}: {row['share_within']:.0%} within {TOLERANCE} of {name} "
        f"(mean gap {row['mean_gap']:.3f})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the two figures, the points and findings tables and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.figures import OKABE_ITO
    from abm.market import checks
    from abm.market.distributions import Distribution
    from abm.theory.openness_game import OpennessGame, myopic_benchmark, spe_benchmark

    context = start(NAME, DESCRIPTION, argv)
    seed = context.args.seed
    pairs, bases, periods, fast_periods = (
        (32, 3, 4000, 300) if context.args.quick else (200, 20, 4000, 400)
    )
    leaders = {
        "experienced": checks.EXPERIENCED_LEADERS[checks.JUDGED_LEADER],
        "counterfactual": checks.COUNTERFACTUAL,
    }
    context.parameters = {
        "leaders": {name: leader.model_dump() for name, leader in leaders.items()},
        "follower": checks.FAST_FOLLOWER.model_dump(),
        "effort": checks.FINE_EFFORT,
        "delta": checks.DELTA,
        "demand": "captive",
        "alpha0_range": list(ALPHA0_RANGE),
        "pairs": pairs,
        "followers": list(FOLLOWERS),
        "followers_alpha0": FOLLOWERS_ALPHA0,
        "bases_per_n": bases,
        "periods": {"experienced": periods, "counterfactual": fast_periods},
        "tolerance": TOLERANCE,
        "match_share": MATCH_SHARE,
    }

    # (panel, information, followers, config, periods, seed) of every market, run in one map
    markets = []
    uniform = Distribution("uniform", low=ALPHA0_RANGE[0], high=ALPHA0_RANGE[1])
    for index, (information, leader) in enumerate(leaders.items()):
        config = checks.pair_config(pairs, uniform, leader, checks.FAST_FOLLOWER)
        steps = periods if information == "experienced" else fast_periods
        markets.append(("alpha0", information, 1, config, steps, seed * 1000 + index))
    for n in FOLLOWERS:
        for index, (information, leader) in enumerate(leaders.items()):
            config = checks.pair_config(bases, FOLLOWERS_ALPHA0, leader, checks.FAST_FOLLOWER)
            config.specialists.count = n * bases  # specialist j builds on generalist j mod G
            steps = periods if information == "experienced" else fast_periods
            markets.append(
                ("followers", information, n, config, steps, seed * 1000 + 100 + 10 * n + index)
            )
    context.say(
        f"(a) {pairs} pairs per information setting, α0 ~ U{ALPHA0_RANGE}; "
        f"(b) {bases} bases per n = {FOLLOWERS[0]}…{FOLLOWERS[-1]} followers …"
    )
    _, _, followers, configs, lengths, seeds = zip(*markets, strict=True)
    results = context.map(_learned, configs, lengths, seeds, followers)
    frames = [
        _frame(panel, information, result, n)
        for (panel, information, n, *_), result in zip(markets, results, strict=True)
    ]
    points = pd.concat(frames, ignore_index=True)
    summary = _summary(points)
    rows = {(row["panel"], row["information"]): row for row in summary.to_dict("records")}
    colours = {"experienced": OKABE_ITO["vermillion"], "counterfactual": OKABE_ITO["blue"]}

    # (a) ω against α0
    figure, axis = plt.subplots(figsize=(10, 6.5), constrained_layout=True)
    line = np.linspace(*ALPHA0_RANGE, 300)
    game = OpennessGame(alpha0=line)
    axis.plot(
        line, spe_benchmark(game, checks.DELTA).openness, color="black", lw=2.2, label="SPE ω⁰(α0)"
    )
    axis.plot(
        line,
        myopic_benchmark(game, checks.DELTA).openness,
        color="black",
        lw=2.0,
        ls="--",
        label="myopic Nash ω^N(α0)",
    )
    for information in leaders:
        shown = points[(points["panel"] == "alpha0") & (points["information"] == information)]
        row = rows[("alpha0", information)]
        axis.scatter(
            shown["alpha0"],
            shown["learned"],
            s=28,
            color=colours[information],
            edgecolor="black",
            linewidth=0.4,
            zorder=3,
            label=f"{information} leader ({row['share_within']:.0%} within {TOLERANCE} of "
            f"{'ω⁰' if row['benchmark'] == 'spe' else 'ω^N'})",
        )
    axis.set(
        xlabel="base-model performance α0",
        ylabel="learned openness ω (modal release)",
        xlim=ALPHA0_RANGE,
        ylim=(-0.03, 0.65),
    )
    axis.legend(fontsize=11, loc="upper right")
    axis.set_title(
        "Learned openness by the leader's information: "
        + "; ".join(_phrase(rows[("alpha0", info)]) for info in leaders)
        + f"\n({pairs} pairs each, δ = {checks.DELTA:g}, captive demand)",
        fontsize=13,
    )
    context.figure(figure, "information_alpha0")

    # (b) ω against the number of followers
    figure, axis = plt.subplots(figsize=(10, 6.5), constrained_layout=True)
    counts = np.arange(FOLLOWERS[0], FOLLOWERS[-1] + 1)
    game = OpennessGame(alpha0=FOLLOWERS_ALPHA0)
    axis.plot(
        counts,
        spe_benchmark(game, checks.DELTA, followers=counts).openness,
        color="black",
        lw=2.2,
        marker="s",
        label="SPE ω_int(n)",
    )
    axis.plot(
        counts,
        np.broadcast_to(myopic_benchmark(game, checks.DELTA).openness, counts.shape),
        color="black",
        lw=2.0,
        ls="--",
        label="myopic Nash ω^N",
    )
    rng = np.random.default_rng(seed)
    for shift, information in zip((-0.08, 0.08), leaders, strict=True):
        shown = points[(points["panel"] == "followers") & (points["information"] == information)]
        row = rows[("followers", information)]
        axis.scatter(
            shown["followers"] + shift + rng.uniform(-0.03, 0.03, len(shown)),
            shown["learned"],
            s=36,
            color=colours[information],
            edgecolor="black",
            linewidth=0.4,
            zorder=3,
            label=f"{information} leader ({row['share_within']:.0%} within {TOLERANCE} of "
            f"{'ω_int(n)' if row['benchmark'] == 'spe' else 'ω^N'})",
        )
    axis.set(
        xlabel="followers n on one base",
        ylabel="learned openness ω (modal release)",
        xticks=counts,
        ylim=(-0.05, 1.05),
    )
    axis.legend(fontsize=11, loc="upper left")
    axis.set_title(
        "Openness against the number of followers (α0 = "
        f"{FOLLOWERS_ALPHA0:g}): "
        + "; ".join(
            _phrase(rows[("followers", info)]).replace("ω⁰", "ω_int(n)") for info in leaders
        )
        + f"\n({bases} bases per n)",
        fontsize=13,
    )
    context.figure(figure, "information_followers")

    context.table(points, "information_points")
    context.table(summary, "information_findings")
    findings = {
        f"{row['panel']}:{row['information']}": {
            key: row[key]
            for key in (
                "benchmark",
                "points",
                "share_within",
                "share_lower",
                "share_upper",
                "mean_gap",
                "mean_gap_other",
                "on_curve",
            )
        }
        for row in summary.to_dict("records")
    }
    for key, item in findings.items():
        context.say(
            f"  {key:<28} {item['share_within']:.0%} within {TOLERANCE} of {item['benchmark']} "
            f"(Wilson [{item['share_lower']:.2f}, {item['share_upper']:.2f}]); mean gap "
            f"{item['mean_gap']:.4f}, to the other benchmark {item['mean_gap_other']:.4f}"
        )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
