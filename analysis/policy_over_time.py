"""Study 7, policy over time: no regulation, a static rule and an adaptive regulator.

The baseline market (``scenarios/baseline.toml``: 20 generalists with α0 ~ U(0.05, 3), 60
fine-tuners, 3 closed labs) under three policies, each replicated with the Monte Carlo runner:
no regulation; a static rule θ = 0.5, p = 0.1 (``scenarios/eu_threshold.toml``); and the
adaptive regulator of ``scenarios/adaptive_regulator.toml`` (θ = 0.5, the penalty rises by
0.05 × the shortfall of the open share below 0.5 each period, capped at 1). Fan charts: median
and 50 % / 90 % bands over replications of the open share, mean openness, participation,
welfare, consumer surplus, penalties paid and the penalty in force.

A policy's outcome is each run's mean over the last tenth of the periods. The title states a
difference between two policies only when it clears the fan's uncertainty: the 5–95 % ranges
of the two policies' run outcomes do not overlap. Otherwise it says the difference is within
the spread.

``python -m analysis.policy_over_time [--quick] [--out DIR] [--workers W]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis._common import fan, replications, run_main, start

NAME = "policy"
DESCRIPTION = (
    "Fan charts of mean openness, specialists' performance, welfare and penalties paid under "
    "no regulation, a static rule and an adaptive regulator."
)

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
#: Policy name -> regulator overrides of the baseline market.
POLICIES: dict[str, dict[str, object]] = {
    "no regulation": {"regulator.mode": "static", "regulator.theta": 0.0, "regulator.penalty": 0.0},
    "static θ = 0.5, p = 0.1": {
        "regulator.mode": "static",
        "regulator.theta": 0.5,
        "regulator.penalty": 0.1,
    },
    "adaptive penalty (target open share 0.5)": {
        "regulator.mode": "adaptive",
        "regulator.theta": 0.5,
        "regulator.penalty": 0.0,
        "regulator.lever": "penalty",
        "regulator.target_open_share": 0.5,
        "regulator.gain": 0.05,
        "regulator.lever_max": 1.0,
    },
}
PANELS = {
    "open_share": "share of models released openly (ω ≥ 0.5)",
    "mean_openness": "mean openness ω of released models",
    "participation": "share of model makers releasing",
    "welfare": "welfare per period",
    "consumer_surplus": "customers' surplus per period",
    "penalties_paid": "penalties paid per period",
    "penalty": "penalty p in force",
    "mean_alpha1": "fine-tuned performance (mean α1)",
}
#: Outcomes the title may state a finding about, with a short name.
CLAIMS = {
    "open_share": "open share",
    "welfare": "welfare",
    "consumer_surplus": "consumer surplus",
    "participation": "participation",
}


def clear_difference(first: Any, second: Any) -> int:
    """Whether two samples' 5–95 % ranges are apart: +1 second above, −1 below, 0 overlap."""
    import numpy as np

    low_a, high_a = np.quantile(first, [0.05, 0.95])
    low_b, high_b = np.quantile(second, [0.05, 0.95])
    return 1 if low_b > high_a else -1 if high_b < low_a else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the fan charts, the summary table, findings and the manifest."""
    import matplotlib.pyplot as plt

    from abm.figures import OKABE_ITO
    from abm.scenarios import load_scenario

    context = start(NAME, DESCRIPTION, argv)
    reps, steps = (3, 600) if context.args.quick else (20, 1000)
    scenario = load_scenario(SCENARIO)
    names = list(POLICIES)
    context.parameters = {
        "scenario": SCENARIO.name,
        "policies": POLICIES,
        "replications": reps,
        "steps": steps,
    }
    context.say(f"{len(names)} policies × {reps} replications × {steps} periods …")
    series = replications(
        context,
        scenario,
        context.out / "runs",
        points=tuple(POLICIES.values()),
        replications=reps,
        steps=steps,
    )
    series["policy"] = series["point"].map(dict(enumerate(names)))

    colours = [OKABE_ITO["grey"], OKABE_ITO["blue"], OKABE_ITO["vermillion"]]
    figure, axes = plt.subplots(2, 4, figsize=(22, 10), sharex=True, constrained_layout=True)
    for axis, (column, label) in zip(axes.ravel(), PANELS.items(), strict=True):
        for colour, name in zip(colours, names, strict=True):
            fan(axis, series[series["policy"] == name], column, colour, name)
        axis.set(title=label)  # (a y label would repeat the title and crowd the next panel)
        axis.title.set_fontsize(13)
    for axis in axes[1]:
        axis.set_xlabel("period")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=len(names), fontsize=12)

    window = max(1, steps // 10)
    last = series[series["step"] > steps - window]
    per_run = last.groupby(["policy", "run_id"])[list(PANELS)].mean()
    summary = per_run.groupby("policy").median().reindex(names)
    statements = []
    clear: dict[str, dict[str, int]] = {}
    for name in names[1:]:
        clear[name] = {}
        parts = []
        for column, short in CLAIMS.items():
            sign = clear_difference(per_run.loc[names[0], column], per_run.loc[name, column])
            clear[name][column] = sign
            if sign:
                parts.append(
                    f"{'raises' if sign > 0 else 'lowers'} {short} "
                    f"({summary.loc[names[0], column]:.3g} → {summary.loc[name, column]:.3g})"
                )
        label = name.split(" (")[0]
        statements.append(
            f"{label}: " + ("; ".join(parts) if parts else "no difference beyond the spread")
        )
    figure.suptitle(
        "Against no regulation (last tenth of the periods, 5–95 % ranges of runs apart):\n"
        + "\n".join(statements)
        + f"\nmedian and 50/90 % bands over {reps} runs",
        fontsize=14,
    )
    context.figure(figure, "policy_fan_charts")
    quantiles = (
        series.groupby(["policy", "step"])[list(PANELS)]
        .quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        .rename_axis(["policy", "step", "quantile"])
        .reset_index()
    )
    context.table(quantiles, "policy_quantiles")
    context.table(summary.reset_index(), "policy_final_medians")
    findings = {
        name: {column: float(summary.loc[name, column]) for column in PANELS} for name in names
    }
    findings["window"] = window
    findings["clear_differences"] = clear
    findings["statements"] = statements
    for name in names:
        row = summary.loc[name]
        context.say(
            f"  {name:<42} openness {row['mean_openness']:.3f}, welfare "
            f"{row['welfare']:.4g}, penalties {row['penalties_paid']:.3g}"
        )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
