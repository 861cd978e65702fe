"""Study 1, openness without regulation: how open do model makers choose to be?

The analytical free choice ω⁰(α0) of Model I (fixed δ) for several reputation values ε, with
the openness learned in a heterogeneous market (``scenarios/baseline.toml``: α0 uniform on
[0.05, 3], no regulation, each generalist matched with one fine-tuner) overlaid: per α0 bin,
the mean over replications of the bin's mean learned ω, with the 5–95 % spread across
replications. The market runs at two of the ε values
so the overlay can be matched to its curve.

``python -m analysis.openness_without_regulation [--quick] [--out DIR] [--workers W]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analysis._common import replications, run_main, start

NAME = "openness"
DESCRIPTION = (
    "Analytical unregulated openness ω⁰ against α0 for several reputation values ε, with the "
    "learned openness of a heterogeneous market overlaid (mean and spread over replications)."
)

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
#: Reputation values ε drawn analytically; the market runs at :data:`SIMULATED`.
REPUTATIONS = (0.0, 0.05, 0.15, 0.3)
SIMULATED = (0.05, 0.3)
#: Each generalist gets its own fine-tuner (as in Model I); with sampled matching a generalist
#: without derivatives faces another problem than ω⁰ answers (see docs/_drafts/analysis.md).
PAIRS = {"specialists.matching": "pairs", "specialists.count": 20}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the binned table, findings and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.figures import OKABE_ITO
    from abm.scenarios import load_scenario
    from abm.theory.openness_game import OpennessGame, free_openness

    context = start(NAME, DESCRIPTION, argv)
    args = context.args
    reps, steps = (2, 60) if args.quick else (20, 200)
    scenario = load_scenario(SCENARIO).replace(**{"output.agents": True, "output.agent_every": 0})
    delta = float(scenario.market.get("delta", 0.5))
    context.parameters = {
        "scenario": SCENARIO.name,
        "reputations": REPUTATIONS,
        "simulated_reputations": SIMULATED,
        "replications": reps,
        "steps": steps,
        "delta": delta,
        "overrides": PAIRS,
    }
    context.say(f"market: {reps} replications × {len(SIMULATED)} ε values × {steps} periods …")
    points = tuple({"generalists.reputation": value, **PAIRS} for value in SIMULATED)
    replications(
        context, scenario, context.out / "market", points=points, replications=reps, steps=steps
    )
    agents = pd.read_parquet(context.out / "market" / "agents.parquet")
    runs = pd.read_parquet(context.out / "market" / "runs.parquet", columns=["run_id", "point"])
    agents = agents[(agents["type"] == "generalist") & (agents["step"] == agents["step"].max())]
    agents = agents.merge(runs, on="run_id")
    agents["reputation"] = np.asarray(SIMULATED)[agents["point"].to_numpy()]
    agents["analytic_openness"] = free_openness(
        OpennessGame(alpha0=agents["alpha0"].to_numpy(), reputation=agents["reputation"]), delta
    )
    released = agents.dropna(subset=["openness"]).copy()
    released["gap"] = (released["openness"] - released["analytic_openness"]).abs()

    edges = np.linspace(0.05, 3.0, 11 if args.quick else 16)
    released["bin"] = pd.cut(released["alpha0"], edges, include_lowest=True)
    per_run = (
        released.groupby(["reputation", "bin", "run_id"], observed=True)
        .agg(alpha0=("alpha0", "mean"), openness=("openness", "mean"))
        .reset_index()
    )
    binned = (
        per_run.groupby(["reputation", "bin"], observed=True)
        .agg(
            alpha0=("alpha0", "mean"),
            openness_mean=("openness", "mean"),
            openness_q05=("openness", lambda v: v.quantile(0.05)),
            openness_q95=("openness", lambda v: v.quantile(0.95)),
            runs=("run_id", "nunique"),
        )
        .reset_index()
    )
    binned["bin"] = binned["bin"].astype(str)

    alpha0 = np.linspace(0.05, 3.0, 300)
    colours = [OKABE_ITO[c] for c in ("grey", "blue", "bluish_green", "vermillion")]
    figure, axis = plt.subplots(figsize=(10, 6.5), constrained_layout=True)
    curves = {}
    for colour, reputation in zip(colours, REPUTATIONS, strict=True):
        curve = free_openness(OpennessGame(alpha0=alpha0, reputation=reputation), delta)
        curves[reputation] = curve
        axis.plot(alpha0, curve, color=colour, lw=2.2, label=f"ω⁰(α0), ε = {reputation:g}")
        part = binned[binned["reputation"] == reputation]
        if not part.empty:
            axis.errorbar(
                part["alpha0"],
                part["openness_mean"],
                yerr=[
                    part["openness_mean"] - part["openness_q05"],
                    part["openness_q95"] - part["openness_mean"],
                ],
                fmt="o",
                color=colour,
                ms=7,
                capsize=3,
                markeredgecolor="black",
                label=f"learned in the market, ε = {reputation:g}",
            )
    axis.set(
        xlabel="base-model performance α0",
        ylabel="openness ω chosen without regulation",
        ylim=(-0.03, 1.03),
    )
    gap = float(released["gap"].mean())
    axis.set_title(
        "Without regulation, stronger models are released less openly; reputation shifts the "
        f"curve up.\nMarket agents learn ω⁰ (mean |ω − ω⁰| = {gap:.3f}; bars: 5–95 % over "
        f"{reps} runs)",
        fontsize=13,
    )
    axis.legend(fontsize=10, loc="upper right", ncol=2)
    context.figure(figure, "openness_vs_alpha0")
    context.table(binned, "learned_openness_binned")
    context.table(
        pd.DataFrame(
            {
                "alpha0": np.tile(alpha0, len(REPUTATIONS)),
                "reputation": np.repeat(REPUTATIONS, alpha0.size),
                "free_openness": np.concatenate([curves[r] for r in REPUTATIONS]),
            }
        ),
        "analytic_openness",
    )
    findings = {
        "mean_abs_gap": gap,
        "share_within_0.02": float(np.mean(released["gap"] <= 0.02 + 1e-12)),
        "generalists": len(agents),
        "released": len(released),
    }
    context.say(
        f"learned vs analytical ω⁰: mean gap {gap:.4f}, "
        f"{findings['share_within_0.02']:.0%} within 0.02"
    )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
