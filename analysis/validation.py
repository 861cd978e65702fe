"""Run the market's validation suite and draw its figures.

    python analysis/validation.py OUTPUT_DIR [--quick]

Writes ``validation.csv``/``.parquet`` and ``validation.json`` (the table ``abm validate``
prints), a manifest, and five figures (PNG + SVG) made with :mod:`abm.figures.style`:

- ``validation_openness``: learned ω against α0 for many heterogeneous pairs, with Model I's ω⁰;
- ``validation_regimes``: learned regime over the (θ, p) grid next to Model I's region map;
- ``validation_race``: simulated closed-firm revenue against Model II's formula, and learned
  upgrade decisions against the net gain;
- ``validation_convergence``: mean |ω_t − ω⁰| per period for every learning rule;
- ``validation_propensity``: share of owners that open against measured s, with the fitted
  quadratic logit and Model III's propensity.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from abm.market.validation import RULE_SETTINGS, convergence_curve, run_suite

from abm.figures.style import OKABE_ITO, apply_style, save_figure
from abm.io import write_json, write_table
from abm.manifest import Manifest
from abm.theory.open_sourcing import open_probability
from abm.theory.openness_game import REGIMES, OpennessGame, free_openness


def _by_prefix(results, prefix):
    return next(r for r in results if r.check.startswith(prefix))


def figure_openness(result, folder):
    """Learned ω against α0 with Model I's ω⁰(α0)."""
    import matplotlib.pyplot as plt

    data = result.data
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.scatter(data["alpha0"], data["learned"], s=14, color=OKABE_ITO["orange"], label="learned ω")
    line = np.linspace(0.05, 3.0, 300)
    ax.plot(
        line,
        free_openness(OpennessGame(alpha0=line), 0.5),
        color=OKABE_ITO["blue"],
        label="Model I: ω⁰(α0)",
    )
    ax.set_xlabel("base-model performance α0")
    ax.set_ylabel("openness ω")
    ax.set_title(f"Learned openness tracks ω⁰ (MAE {result.figure:.4f})")
    ax.legend()
    return save_figure(fig, folder, "validation_openness")


def figure_regimes(result, folder):
    """Learned regimes over (θ, p) next to Model I's region map."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    data = result.data
    colours = ListedColormap(
        [OKABE_ITO["sky_blue"], OKABE_ITO["bluish_green"], OKABE_ITO["orange"], OKABE_ITO["grey"]]
    )
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    # cell centres on the grid points: pad the extent by half a grid step on every side
    half_theta = (data["thetas"][1] - data["thetas"][0]) / 2
    half_penalty = (data["penalties"][1] - data["penalties"][0]) / 2
    extent = [
        data["thetas"][0] - half_theta,
        data["thetas"][-1] + half_theta,
        data["penalties"][0] - half_penalty,
        data["penalties"][-1] + half_penalty,
    ]
    for ax, grid, title in (
        (axes[0], data["learned"], "learned (agents)"),
        (axes[1], data["analytic"], "Model I (closed form)"),
    ):
        ax.imshow(
            grid.T,
            origin="lower",
            aspect="auto",
            extent=extent,
            cmap=colours,
            vmin=0,
            vmax=3,
            interpolation="nearest",
        )
        ax.set_xlabel("threshold θ")
        ax.set_title(title)
    axes[0].set_ylabel("penalty p")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours(i)) for i in range(4)]
    fig.legend(handles, REGIMES, loc="lower center", ncol=4, frameon=False)
    fig.suptitle(f"Learned regimes match Model I in {result.figure:.0%} of interior cells")
    fig.subplots_adjust(bottom=0.22)
    return save_figure(fig, folder, "validation_regimes")


def figure_race(revenue, upgrade, folder):
    """Simulated revenue vs Model II; learned upgrades vs net gain."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(15, 5.5))
    sim, formula = revenue.data["simulated"], revenue.data["formula"]
    axes[0].scatter(formula, sim, color=OKABE_ITO["blue"], label="closed firms")
    top = float(max(formula.max(), sim.max())) * 1.05
    axes[0].plot([0, top], [0, top], color=OKABE_ITO["grey"], linestyle="--", label="equality")
    axes[0].set_xlabel("Model II revenue (formula)")
    axes[0].set_ylabel("simulated revenue (sum of periods)")
    axes[0].set_title(f"Revenue equals Model II (max rel. error {revenue.figure:.1e})")
    axes[0].legend()
    net, upgrades = upgrade.data["net_gain"], upgrade.data["upgrades"]
    axes[1].scatter(net, upgrades.astype(float), color=OKABE_ITO["vermillion"])
    axes[1].axvline(0.0, color=OKABE_ITO["grey"], linestyle="--", label="zero net gain")
    axes[1].set_xlabel("Model II net gain of y → z")
    axes[1].set_ylabel("learned decision (1 = upgrade)")
    axes[1].set_title(f"Firms upgrade exactly when it pays ({upgrade.figure:.0%} agree)")
    axes[1].legend()
    return save_figure(fig, folder, "validation_race")


def figure_convergence(curves, folder):
    """Mean |ω_t − ω⁰| per period for every learning rule."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    palette = list(OKABE_ITO.values())
    for index, (rule, curve) in enumerate(curves.items()):
        ax.plot(np.arange(1, curve.size + 1), curve, label=rule, color=palette[index % 9])
    ax.axhline(0.02, color=OKABE_ITO["black"], linestyle=":", label="tolerance 0.02")
    ax.set_xscale("log")
    ax.set_xlabel("period")
    ax.set_ylabel("mean |ω − ω⁰| over 50 pairs (α0 = 0.5)")
    ax.set_title("Belief learners settle on ω⁰; reinforcement learners do not")
    ax.legend(fontsize=10, ncol=2)
    return save_figure(fig, folder, "validation_convergence")


def figure_propensity(result, folder):
    """Share opening against measured s: binned, fitted, Model III."""
    import matplotlib.pyplot as plt

    table, fit = result.data["table"], result.data["fit"]
    fig, ax = plt.subplots(figsize=(9, 5.5))
    centres = (table["share_lower"] + table["share_upper"]) / 2
    ax.errorbar(
        centres,
        table["rate"],
        yerr=[table["rate"] - table["rate_lower"], table["rate_upper"] - table["rate"]],
        fmt="o",
        color=OKABE_ITO["orange"],
        label="share opening (Wilson 95%)",
    )
    line = np.linspace(0.0, 1.0, 200)
    ax.plot(line, fit.probability(line), color=OKABE_ITO["blue"], label="quadratic logit fit")
    ax.plot(
        line,
        open_probability(line),
        color=OKABE_ITO["grey"],
        linestyle="--",
        label="Model III, λ = 20",
    )
    ax.set_xlabel("owner's measured share s of derivatives")
    ax.set_ylabel("P(open)")
    ax.set_title(f"Inverted U in the market: peak at s = {fit.peak:.2f} (Model III: 0.6)")
    ax.legend(fontsize=11)
    return save_figure(fig, folder, "validation_propensity")


def main() -> None:
    """Run the suite, write the table, the figures and the manifest."""
    parser = argparse.ArgumentParser(description="Run the validation suite and draw figures.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    manifest = Manifest("analysis/validation", {"quick": args.quick})
    results = run_suite(quick=args.quick)
    rows = pd.DataFrame([r.row() for r in results])
    manifest.outputs += [str(p) for p in write_table(rows, args.output, "validation", csv=True)]
    manifest.outputs.append(
        str(write_json(args.output / "validation.json", rows.to_dict("records")))
    )
    apply_style()
    written = []
    written += figure_openness(_by_prefix(results, "heterogeneous pairs"), args.output)
    written += figure_regimes(_by_prefix(results, "regime map"), args.output)
    written += figure_race(
        _by_prefix(results, "race revenue"), _by_prefix(results, "race upgrade"), args.output
    )
    periods = 200 if args.quick else 1000
    curves = {rule: convergence_curve(rule, periods=periods) for rule in RULE_SETTINGS}
    written += figure_convergence(curves, args.output)
    written += figure_propensity(_by_prefix(results, "open-sourcing"), args.output)
    manifest.outputs += [str(p) for p in written]
    manifest.write(args.output)
    print(rows[["check", "figure", "threshold", "passed"]].to_string(index=False))
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
