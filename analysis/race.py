"""Study 4, the race: does a better open model make closed labs race harder, or retreat?

Model II's closed forms (``abm.theory.race_cases.catchup_curve`` at the base case, drawn by
``abm.figures.race``, written to ``theory/`` as ``abm race --out`` draws them): the closed
firm's gain from upgrading y → z and its optimal training spend against the open catch-up x′.
Then the market model (``scenarios/open_frontier_race.toml``): closed firms learn their
compute level while the open frontier jumps in period 40 to a slow (small) or fast (large)
catch-up level; the fan chart shows the closed firms' mean compute over time across
replications (run with the Monte Carlo runner).

``python -m analysis.race [--quick] [--out DIR] [--workers W]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analysis._common import fan, replications, run_main, start

NAME = "race"
DESCRIPTION = (
    "Upgrade gain and optimal spend against the open catch-up (Model II), and the closed "
    "firms' compute over time in the market under a slow and a fast open frontier."
)

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "open_frontier_race.toml"
#: Open frontier after the catch-up period: slow (x′ = 2) and fast (x′ = 256).
FRONTIERS = {"slow": 2.0, "fast": 256.0}
#: Compute cost per unit over the horizon: high enough that the profit-maximising level is
#: interior (256 of 4…1024 before the catch-up), so a fast catch-up can make the firm retreat.
COMPUTE_COST = 100.0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the theory figure, the market fan chart, tables and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np

    from abm.figures import OKABE_ITO, save_figure
    from abm.figures.race import CATCHUP_STEM, catchup_figure, catchup_table
    from abm.io import write_table
    from abm.scenarios import load_scenario
    from abm.theory.race_cases import RaceCase, catchup_curve

    context = start(NAME, DESCRIPTION, argv)
    args = context.args
    reps, steps = (3, 120) if args.quick else (20, 200)
    scenario = load_scenario(SCENARIO)
    catchup_period = int(scenario.market["frontier"]["catchup_period"])
    context.parameters = {
        "scenario": str(SCENARIO.name),
        "frontiers": FRONTIERS,
        "compute_cost": COMPUTE_COST,
        "replications": reps,
        "steps": steps,
        "theory": "abm race --out (defaults: x = 1, y = 4, z = 16, k = 100, m = 365)",
    }

    theory = context.out / "theory"
    theory.mkdir(parents=True, exist_ok=True)
    case = RaceCase()  # the base case: abm race's defaults
    curve = catchup_curve(case)
    context.written += save_figure(
        catchup_figure(curve, case), theory, CATCHUP_STEM, context.formats
    )
    context.written += write_table(catchup_table(curve), theory, CATCHUP_STEM)
    gains, spends = curve.gains, curve.spends

    context.say(f"market: {reps} replications × {len(FRONTIERS)} frontiers × {steps} periods …")
    points = tuple(
        {"frontier.catchup_compute": value, "closed_firms.compute_cost": COMPUTE_COST}
        for value in FRONTIERS.values()
    )
    series = replications(
        context, scenario, context.out / "market", points=points, replications=reps, steps=steps
    )
    labels = {index: name for index, name in enumerate(FRONTIERS)}
    series["frontier"] = series["point"].map(labels)

    figure, (axis, gap_axis) = plt.subplots(1, 2, figsize=(16, 6), constrained_layout=True)
    colours = {"slow": OKABE_ITO["blue"], "fast": OKABE_ITO["vermillion"]}
    final = {}
    for name, value in FRONTIERS.items():
        part = series[series["frontier"] == name]
        label = f"open frontier → {value:g}"
        fan(axis, part, "closed_mean_compute", colours[name], label)
        fan(gap_axis, part, "open_closed_gap", colours[name], label)
        last = part[part["step"] > steps - 10].groupby("run_id")["closed_mean_compute"].mean()
        final[name] = float(last.median())
    for panel in (axis, gap_axis):
        panel.axvline(
            catchup_period, color=OKABE_ITO["grey"], ls="--", lw=1.3, label="catch-up period"
        )
        panel.set_xlabel("period")
    gap_axis.axhline(0.0, color="black", lw=0.8)
    axis.set_yscale("log")
    axis.set_ylabel("closed firms' mean compute (log scale)")
    gap_axis.set_ylabel("log10(best closed / open compute)")
    gap_axis.set_title("The open–closed gap over time (below 0: the open model leads)", fontsize=13)
    verdict = "retreat" if final["fast"] < final["slow"] else "do not retreat"
    axis.set_title(
        f"After a fast open catch-up closed labs {verdict}: median compute "
        f"{final['fast']:.3g} vs {final['slow']:.3g}\n(median and 50/90 % bands, {reps} runs each)",
        fontsize=13,
    )
    axis.legend(fontsize=11, loc="best")
    context.figure(figure, "race_market_compute")
    summary = (
        series.groupby(["frontier", "step"])["closed_mean_compute"]
        .describe(percentiles=[0.05, 0.25, 0.5, 0.75, 0.95])
        .reset_index()
    )
    context.table(summary, "race_market_summary")
    findings = {
        "theory_gain_never_rises": bool(np.all(np.diff(gains) <= 1e-9 * max(1.0, gains.max()))),
        "theory_spend_range": [float(spends.min()), float(spends.max())],
        "market_final_compute_median": final,
    }
    context.say(f"final median closed compute: slow {final['slow']:.3g}, fast {final['fast']:.3g}")
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
