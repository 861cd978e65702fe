"""Study 7, policy over time: no regulation, a static rule and an adaptive regulator.

The baseline market (``scenarios/baseline.toml``: 20 generalists with α0 ~ U(0.05, 3), 60
fine-tuners, 3 closed labs) under three policies, each replicated with the Monte Carlo runner:
no regulation; a static rule θ = 0.5, p = 0.1 (``scenarios/eu_threshold.toml``); and the
adaptive regulator of ``scenarios/adaptive_regulator.toml`` (θ = 0.5, the penalty rises by
0.05 × the shortfall of the open share below 0.5 each period, capped at 1). Fan charts: median
and 50 % / 90 % bands over replications of mean openness, participation, specialists'
performance, welfare, penalties paid and the penalty in force.

``python -m analysis.policy_over_time [--quick] [--out DIR] [--workers W]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    "mean_openness": "mean openness ω of released models",
    "participation": "share of generalists releasing",
    "mean_alpha1": "specialists' performance (mean α1)",
    "welfare": "welfare per period",
    "penalties_paid": "penalties paid per period",
    "penalty": "penalty p in force",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the fan charts, the summary table, findings and the manifest."""
    import matplotlib.pyplot as plt

    from abm.figures import OKABE_ITO
    from abm.scenarios import load_scenario

    context = start(NAME, DESCRIPTION, argv)
    reps, steps = (4, 80) if context.args.quick else (40, 300)
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
    figure, axes = plt.subplots(2, 3, figsize=(18, 10), sharex=True, constrained_layout=True)
    for axis, (column, label) in zip(axes.ravel(), PANELS.items(), strict=True):
        for colour, name in zip(colours, names, strict=True):
            fan(axis, series[series["policy"] == name], column, colour, name)
        axis.set(ylabel=label, title=label)
        axis.title.set_fontsize(13)
    for axis in axes[1]:
        axis.set_xlabel("period")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=len(names), fontsize=12)

    window = max(1, steps // 10)
    last = series[series["step"] > steps - window]
    per_run = last.groupby(["policy", "run_id"])[list(PANELS)].mean()
    summary = per_run.groupby("policy").median().reindex(names)
    none, static = summary.loc[names[0]], summary.loc[names[1]]
    figure.suptitle(
        f"A static rule raises released openness ({none['mean_openness']:.2f} → "
        f"{static['mean_openness']:.2f}) but cuts participation ({none['participation']:.0%} → "
        f"{static['participation']:.0%}); median and 50/90 % bands over {reps} runs",
        fontsize=15,
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
    for name in names:
        row = summary.loc[name]
        context.say(
            f"  {name:<42} openness {row['mean_openness']:.3f}, welfare "
            f"{row['welfare']:.4g}, penalties {row['penalties_paid']:.3g}"
        )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
