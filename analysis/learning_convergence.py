"""Study 6, learning: does each leader setting find its benchmark openness in the market?

Independent generalist–specialist pairs (:func:`abm.market.checks.pair_config`: captive demand,
fixed δ = 0.5, α0 = :data:`ALPHA0`) learn from what the market pays. The follower is
:data:`abm.market.checks.FAST_FOLLOWER` on the fine effort grid. Each leader setting has its
own yardstick from Model I:

- the settings of :data:`abm.market.checks.EXPERIENCED_LEADERS` see only their own realised
  payoff, so they learn the follower's response along with it: their benchmark is the SPE ω⁰;
- the counterfactual best response (:data:`abm.market.checks.COUNTERFACTUAL`) sees forgone
  payoffs with the follower's α1 held fixed: its benchmark is the myopic Nash ω^N.

Each curve is the mean |ω_t − benchmark| over a group of pairs per period
(:func:`abm.market.checks.benchmark_gap`); the groups play the role of seeds and the figure shows
the median and 50 % / 90 % bands across them. The exploration an agent keeps up shows in
these curves; what it has learned is its modal release over the last fifth of the periods, and
the summary gives the share of pairs whose mode lies within 0.02 of the benchmark (as in V2).
Settings that stay away are reported, not hidden.

``python -m analysis.learning_convergence [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis._common import fan, run_main, start

NAME = "learning"
DESCRIPTION = (
    "Convergence of each leader setting (experienced learners, counterfactual best response) "
    "to its Model I benchmark (SPE ω⁰ or myopic ω^N) in the market, across many pairs."
)

#: The validation tolerance on learned ω.
TOLERANCE = 0.02
#: The base model of every pair: ω⁰ = 0.375 and ω^N = 0.0625 are both interior.
ALPHA0 = 0.25
#: Name of the counterfactual leader setting in tables and findings.
COUNTERFACTUAL_NAME = "best_response (counterfactual)"


def _modal(path: Any) -> Any:
    """Each pair's most frequent release over ``path`` (periods × pairs); NaN = abstaining."""
    import numpy as np

    codes = np.where(np.isnan(path), -1, np.round(path * 1e6)).astype(np.int64)
    result = np.empty(path.shape[1])
    for column in range(path.shape[1]):
        values, counts = np.unique(codes[:, column], return_counts=True)
        mode = values[counts.argmax()]
        result[column] = np.nan if mode < 0 else mode / 1e6
    return result


def _openness_path(leader: Any, benchmark: str, pairs: int, seed: int, steps: int) -> Any:
    """One leader setting's pairs: (benchmark ω per pair, each pair's ω every period)."""
    from abm.market import checks
    from abm.market.model import MarketModel
    from abm.theory.openness_game import myopic_benchmark, spe_benchmark

    config = checks.pair_config(pairs, ALPHA0, leader, checks.FAST_FOLLOWER)
    model = MarketModel(config, rng=seed)
    solve = spe_benchmark if benchmark == "spe" else myopic_benchmark
    target = solve(checks._game(model), checks.DELTA).openness
    path = checks.openness_path(model, steps)
    model.close()
    return target, path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the curves table, findings and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.figures import OKABE_ITO
    from abm.market import checks

    context = start(NAME, DESCRIPTION, argv)
    groups, per_group, periods, fast_periods = (
        (4, 4, 4000, 300) if context.args.quick else (20, 10, 4000, 400)
    )
    settings = {name: (leader, "spe") for name, leader in checks.EXPERIENCED_LEADERS.items()}
    settings[COUNTERFACTUAL_NAME] = (checks.COUNTERFACTUAL, "myopic")
    context.parameters = {
        "leaders": {
            name: {**leader.model_dump(), "benchmark": benchmark}
            for name, (leader, benchmark) in settings.items()
        },
        "follower": checks.FAST_FOLLOWER.model_dump(),
        "effort": checks.FINE_EFFORT,
        "alpha0": ALPHA0,
        "delta": checks.DELTA,
        "groups": groups,
        "pairs_per_group": per_group,
        "periods_experienced": periods,
        "periods_counterfactual": fast_periods,
        "tolerance": TOLERANCE,
    }
    pairs = groups * per_group
    context.say(f"{len(settings)} leader settings × {pairs} pairs …")
    names = list(settings)
    benchmarks = [benchmark for _, benchmark in settings.values()]
    lengths = [periods if benchmark == "spe" else fast_periods for benchmark in benchmarks]
    runs = context.map(
        _openness_path,
        [leader for leader, _ in settings.values()],
        benchmarks,
        [pairs] * len(names),
        [context.args.seed * 1000 + index for index in range(len(names))],
        lengths,
    )
    frames, targets, matched = [], {}, {}
    for name, (leader, benchmark), steps, (target, path) in zip(
        names, settings.values(), lengths, runs, strict=True
    ):
        gap = checks.benchmark_gap(path, target[None, :])  # (periods, pairs)
        learned = _modal(path[-max(1, steps // 5) :])
        matched[name] = float(np.mean(checks.benchmark_gap(learned, target) <= TOLERANCE + 1e-9))
        by_group = gap.reshape(steps, groups, per_group).mean(axis=2)
        targets[name] = float(target[0])
        frames.append(
            pd.DataFrame(
                {
                    "leader": name,
                    "information": leader.information,
                    "benchmark": benchmark,
                    "target": float(target[0]),
                    "group": np.tile(np.arange(groups), steps),
                    "step": np.repeat(np.arange(1, steps + 1), groups),
                    "gap": by_group.ravel(),
                }
            )
        )
    curves = pd.concat(frames, ignore_index=True)
    rows = []
    for name, curve in curves.groupby("leader", sort=False):
        last = int(curve["step"].max())
        tail = curve[curve["step"] > last - max(5, last // 10)]
        final = tail.groupby("group")["gap"].mean()
        rows.append(
            {
                "leader": name,
                "information": curve["information"].iloc[0],
                "benchmark": curve["benchmark"].iloc[0],
                "target": targets[name],
                "judged": name in (checks.JUDGED_LEADER, COUNTERFACTUAL_NAME),
                "periods": last,
                "final_gap_median": float(final.median()),
                "final_gap_q95": float(final.quantile(0.95)),
                "share_mode_within_tolerance": matched[name],
            }
        )
    summary = pd.DataFrame(rows)
    summary["within_tolerance"] = summary["final_gap_median"] <= TOLERANCE

    colours = [colour for key, colour in OKABE_ITO.items() if key not in ("yellow", "grey")]
    figure, axes = plt.subplots(1, 2, figsize=(15, 6.2), sharey=True, constrained_layout=True)
    for axis, benchmark in zip(axes, ("spe", "myopic"), strict=True):
        chosen = summary[summary["benchmark"] == benchmark]
        for colour, row in zip(colours, chosen.to_dict("records"), strict=False):
            fan(
                axis,
                curves[curves["leader"] == row["leader"]],
                "gap",
                colour,
                row["leader"].replace("_", " ") + ("" if row["judged"] else " (reported)"),
            )
        axis.axhline(TOLERANCE, color="black", ls="--", lw=1.2, label=f"tolerance {TOLERANCE}")
        axis.set_yscale("symlog", linthresh=0.01)
        axis.set_xscale("log")
        symbol = "ω⁰" if benchmark == "spe" else "ω^N"
        axis.set(xlabel="period (log scale)", ylabel=f"mean |ω_t − {symbol}| over pairs")
        axis.set_title(
            f"experienced leaders → SPE ω⁰ = {targets[checks.JUDGED_LEADER]:.4g}"
            if benchmark == "spe"
            else f"counterfactual best response → myopic ω^N = {targets[COUNTERFACTUAL_NAME]:.4g}",
            fontsize=13,
        )
        axis.legend(fontsize=10, loc="upper right")
    converged = summary[summary["within_tolerance"]]["leader"].tolist()
    figure.suptitle(
        f"{len(converged)} of {len(summary)} leader settings end within {TOLERANCE} of their "
        f"benchmark (α0 = {ALPHA0:g}; median and 50/90 % bands over {groups} groups of "
        f"{per_group} pairs)",
        fontsize=15,
    )
    context.figure(figure, "learning_convergence")
    context.table(curves, "convergence_curves")
    context.table(summary, "convergence_summary")
    findings = {
        row["leader"]: {
            "information": row["information"],
            "benchmark": row["benchmark"],
            "target": row["target"],
            "judged": bool(row["judged"]),
            "final_gap_median": row["final_gap_median"],
            "final_gap_q95": row["final_gap_q95"],
            "within_tolerance": bool(row["within_tolerance"]),
            "share_mode_within_tolerance": row["share_mode_within_tolerance"],
        }
        for row in summary.to_dict("records")
    }
    for name, item in findings.items():
        context.say(
            f"  {name:<32} final gap {item['final_gap_median']:.4f}; modal ω within "
            f"{TOLERANCE} in {item['share_mode_within_tolerance']:.0%} of pairs"
        )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
