"""Study 6, learning: does each learning rule find the analytical openness ω⁰?

For every rule of :data:`abm.market.validation.RULE_SETTINGS` and many seeds,
:func:`abm.market.validation.convergence_curve` gives the mean |ω_t − ω⁰| over identical
one-generalist-one-specialist pairs (α0 = 0.5, δ = 0.5, ω⁰ = 0.1875) per period. The figure
shows the median and the 50 % / 90 % bands across seeds, one panel for the rules that are meant
to converge and one for those that are not (reported, never hidden).

``python -m analysis.learning_convergence [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis._common import fan, run_main, start

NAME = "learning"
DESCRIPTION = (
    "Convergence of each learning rule to the analytical openness: distance over time across "
    "many seeds, including the rules that do not converge."
)

#: The validation tolerance on learned ω.
TOLERANCE = 0.02


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the curves table, findings and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from abm.market.validation import RULE_SETTINGS, convergence_curve

    from abm.figures import OKABE_ITO
    from abm.learning import rule_info

    context = start(NAME, DESCRIPTION, argv)
    seeds, pairs, periods = (4, 10, 80) if context.args.quick else (40, 40, 400)
    rules = list(RULE_SETTINGS)
    context.parameters = {
        "rules": {rule: RULE_SETTINGS[rule] for rule in rules},
        "seeds": seeds,
        "pairs": pairs,
        "periods": periods,
        "alpha0": 0.5,
        "tolerance": TOLERANCE,
    }
    context.say(f"{len(rules)} rules × {seeds} seeds × {pairs} pairs × {periods} periods …")
    frames = []
    for rule in rules:
        for index in range(seeds):
            curve = convergence_curve(
                rule, pairs=pairs, periods=periods, seed=context.args.seed * 1000 + index
            )
            frames.append(
                pd.DataFrame(
                    {"rule": rule, "seed": index, "step": np.arange(1, periods + 1), "gap": curve}
                )
            )
    curves = pd.concat(frames, ignore_index=True)
    tail = curves[curves["step"] > periods - max(5, periods // 10)]
    final = tail.groupby(["rule", "seed"])["gap"].mean().groupby("rule")
    summary = pd.DataFrame(
        {
            "converges_by_design": [rule_info(rule).converges for rule in rules],
            "final_gap_median": final.median().reindex(rules).to_numpy(),
            "final_gap_q95": final.quantile(0.95).reindex(rules).to_numpy(),
        },
        index=pd.Index(rules, name="rule"),
    )
    summary["within_tolerance"] = summary["final_gap_median"] <= TOLERANCE
    summary = summary.reset_index()

    # Yellow and grey are too faint for thin bands on white.
    colours = [colour for name, colour in OKABE_ITO.items() if name not in ("yellow", "grey")]
    figure, axes = plt.subplots(1, 2, figsize=(15, 6.2), sharey=True, constrained_layout=True)
    for axis, converging in zip(axes, (True, False), strict=True):
        chosen = summary[summary["converges_by_design"] == converging]["rule"]
        for colour, rule in zip(colours, chosen, strict=False):
            fan(axis, curves[curves["rule"] == rule], "gap", colour, rule.replace("_", " "))
        axis.axhline(TOLERANCE, color="black", ls="--", lw=1.2, label=f"tolerance {TOLERANCE}")
        axis.set_yscale("symlog", linthresh=0.01)
        axis.set_xscale("log")
        axis.set(xlabel="period (log scale)", ylabel="mean |ω_t − ω⁰| over pairs")
        axis.set_title(
            "rules meant to converge" if converging else "rules not meant to converge",
            fontsize=13,
        )
        axis.legend(fontsize=10, loc="upper right")
    converged = summary[summary["within_tolerance"]]["rule"].tolist()
    figure.suptitle(
        f"{len(converged)} of {len(rules)} learning rules reach ω⁰ within {TOLERANCE} "
        f"(median and 50/90 % bands over {seeds} seeds)",
        fontsize=15,
    )
    context.figure(figure, "learning_convergence")
    context.table(curves, "convergence_curves")
    context.table(summary, "convergence_summary")
    findings = {
        row["rule"]: {
            "converges_by_design": bool(row["converges_by_design"]),
            "final_gap_median": float(row["final_gap_median"]),
            "within_tolerance": bool(row["within_tolerance"]),
        }
        for row in summary.to_dict("records")
    }
    for rule, item in findings.items():
        context.say(f"  {rule:<26} final gap {item['final_gap_median']:.4f}")
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
