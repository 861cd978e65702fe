"""Study 2, the regulatory landscape: what a (θ, p) rule does, analytically and in the market.

For a weak and a strong base model the (θ, p) plane is coloured by outcome class (nonbinding,
deadweight loss, withdrawal, utility transfer, Pareto improvement, both lose) from the closed
form of Model I (:func:`abm.theory.landscape.region_map`, fixed δ). The market is held
against it on what a market shows directly, the generalist's regime: release freely or comply
(meet θ), pay the penalty (release below θ when p > 0) or abstain. Every cell of the grid is
one independent generalist–specialist pair with its own (θ, p)
(:func:`abm.market.checks.pair_config`, captive demand), learning from
what the market pays, as in check V4 (:func:`abm.market.checks.check_regime_map`).

With ``--information experienced`` (the default) the generalist learns from its own payoff
(``checks.EXPERIENCED_LEADERS["q_learning"]``) and the yardstick is the SPE, whose regimes are
the closed-form map's; with ``counterfactual`` it best-responds to forgone payoffs
(``checks.COUNTERFACTUAL``) and the yardstick is the myopic Nash benchmark. Agreement is given
over all cells and over the cells more than one grid step from a regime boundary.

``python -m analysis.regulatory_landscape [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis._common import run_main, start

NAME = "landscape"
DESCRIPTION = (
    "Outcome maps over (θ, p) for a weak and a strong base model from the closed form, and the "
    "regimes (meet θ / pay / abstain) learned in markets against the matching benchmark."
)

#: (label, α0, largest penalty on the grid): the weak model's map lives at small penalties.
MODELS = (("weak", 0.5, 0.15), ("strong", 2.9, 1.0))
#: Regime codes of the learned and expected maps.
REGIME_NAMES = ("free or complies", "pays", "abstains")
#: The follower's effort grid (as in check V4).
EFFORT = {"effort_levels": 601, "effort_max": 0.6}


def _extra(parser: Any) -> None:
    parser.add_argument(
        "--information",
        choices=("experienced", "counterfactual"),
        default="experienced",
        help="what the generalists learn from (experienced: SPE yardstick; counterfactual: "
        "myopic Nash yardstick)",
    )


def learned_regimes(
    alpha0: float, thetas: Any, penalties: Any, periods: int, information: str, seed: int
) -> dict[str, Any]:
    """Learned and expected regime (0 free or complies, 1 pays, 2 abstains) at every (θ, p)."""
    import numpy as np

    from abm.market import checks
    from abm.market.model import MarketModel
    from abm.market.populations import ABSTAIN, PAY
    from abm.theory.openness_game import myopic_benchmark, spe_benchmark

    theta, penalty = np.meshgrid(thetas, penalties, indexing="ij")
    leader = (
        checks.EXPERIENCED_LEADERS[checks.JUDGED_LEADER]
        if information == "experienced"
        else checks.COUNTERFACTUAL
    )
    config = checks.pair_config(theta.size, alpha0, leader, checks.FAST_FOLLOWER, effort=EFFORT)
    model = MarketModel(config, rng=seed)
    model.policy.theta = theta.ravel().astype(float)  # a regulator per pair
    model.policy.penalty = penalty.ravel().astype(float)
    learned = checks.learned_release(model, periods)
    solve = spe_benchmark if information == "experienced" else myopic_benchmark
    target = solve(checks._game(model), checks.DELTA)
    model.close()
    # paying: a release below θ where the penalty is positive (below θ at p = 0 costs nothing)
    pays = (learned < theta.ravel() - 1e-9) & (penalty.ravel() > 0.0)
    observed = np.where(np.isnan(learned), 2, np.where(pays, 1, 0))
    expected = np.where(target.regime == ABSTAIN, 2, np.where(target.regime == PAY, 1, 0))
    shape = theta.shape
    interior = checks._away_from_boundary(expected.reshape(shape))
    return {
        "theta": theta,
        "penalty": penalty,
        "openness": learned.reshape(shape),
        "target_openness": target.openness.reshape(shape),
        "observed": observed.reshape(shape),
        "expected": expected.reshape(shape),
        "interior": interior,
    }


def _curve(axis: Any, region: Any) -> None:
    binding = region.thetas > region.baseline_openness
    axis.plot(region.thetas[binding], region.curve[binding], color="white", lw=3.2)
    axis.plot(region.thetas[binding], region.curve[binding], color="#0072B2", lw=1.8, label="p̄(θ)")


def _panel(
    axis: Any, thetas: Any, penalties: Any, codes: Any, colours: Any, region: Any, title: str
) -> None:
    axis.pcolormesh(
        thetas,
        penalties,
        codes.T,
        cmap=colours,
        vmin=-0.5,
        vmax=colours.N - 0.5,
        shading="nearest",
        rasterized=True,
    )
    _curve(axis, region)
    axis.set_ylim(penalties[0], penalties[-1])
    axis.set_xlim(thetas[0], thetas[-1])
    axis.set_xlabel("open-source threshold θ")
    axis.set_ylabel("penalty p below θ")
    axis.set_title(title, fontsize=12)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write maps, tables, the agreement shares and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from abm.figures import OKABE_ITO
    from abm.figures.openness import OUTCOME_COLOURS, region_figure
    from abm.market.checks import DELTA, MATCH_SHARE
    from abm.theory.landscape import region_map
    from abm.theory.openness_game import OpennessGame
    from abm.theory.outcomes import OUTCOMES

    context = start(NAME, DESCRIPTION, argv, _extra)
    args = context.args
    experienced = args.information == "experienced"
    cells = 8 if args.quick else 26
    periods = (3000 if args.quick else 4000) if experienced else 80
    context.parameters = {
        "models": [{"label": m[0], "alpha0": m[1], "max_penalty": m[2]} for m in MODELS],
        "grid": [cells, cells],
        "periods": periods,
        "information": args.information,
        "benchmark": "spe" if experienced else "myopic",
        "effort": EFFORT,
        "delta": DELTA,
        "bargaining": "fixed",
    }
    outcome_colours = ListedColormap([OUTCOME_COLOURS[name] for name in OUTCOMES])
    regime_colours = ListedColormap([OKABE_ITO["sky_blue"], OKABE_ITO["orange"], OKABE_ITO["grey"]])
    figure, axes = plt.subplots(2, 3, figsize=(20, 12), constrained_layout=True)
    rows, findings = [], {}
    present: set[int] = set()
    benchmark = "SPE" if experienced else "myopic Nash"
    axis_values = [
        (np.linspace(0.0, 1.0, cells), np.linspace(0.0, ceiling, cells)) for _, _, ceiling in MODELS
    ]
    context.say(f"{len(MODELS)} models: {cells * cells} pairs × {periods} periods each …")
    regimes = context.map(
        learned_regimes,
        [alpha0 for _, alpha0, _ in MODELS],
        [thetas for thetas, _ in axis_values],
        [penalties for _, penalties in axis_values],
        [periods] * len(MODELS),
        [args.information] * len(MODELS),
        [args.seed * 100 + index for index in range(len(MODELS))],
    )
    for row_axes, (label, alpha0, _), (thetas, penalties), learned in zip(
        axes, MODELS, axis_values, regimes, strict=True
    ):
        region = region_map(OpennessGame(alpha0=alpha0), thetas, penalties, "fixed", DELTA)
        agree = learned["observed"] == learned["expected"]
        interior = learned["interior"]
        share = float(np.mean(agree))
        share_interior = float(np.mean(agree[interior])) if interior.any() else float("nan")
        findings[label] = {
            "alpha0": alpha0,
            "regime_agreement": share,
            "regime_agreement_interior": share_interior,
            "interior_cells": int(interior.sum()),
            "analytic_free_openness": float(region.baseline_openness),
            "outcome_shares_analytic": {
                OUTCOMES[c]: float(np.mean(region.outcome == c)) for c in np.unique(region.outcome)
            },
            "regime_shares_learned": {
                REGIME_NAMES[c]: float(np.mean(learned["observed"] == c))
                for c in np.unique(learned["observed"])
            },
        }
        present |= set(np.unique(region.outcome))
        _panel(
            row_axes[0],
            thetas,
            penalties,
            region.outcome,
            outcome_colours,
            region,
            f"{label} model (α0 = {alpha0:g}): outcomes, closed form",
        )
        _panel(
            row_axes[1],
            thetas,
            penalties,
            learned["expected"],
            regime_colours,
            region,
            f"{label}: regimes, {benchmark} benchmark",
        )
        verdict = (
            f"agree in {share_interior:.0%} of interior cells"
            if share_interior >= MATCH_SHARE
            else f"only {share_interior:.0%} of interior cells agree"
        )
        _panel(
            row_axes[2],
            thetas,
            penalties,
            learned["observed"],
            regime_colours,
            region,
            f"{label}: regimes learned ({args.information}); {verdict}",
        )
        rows.append(
            pd.DataFrame(
                {
                    "model": label,
                    "alpha0": alpha0,
                    "theta": learned["theta"].ravel(),
                    "penalty": learned["penalty"].ravel(),
                    "outcome_analytic": np.asarray(OUTCOMES, dtype=object)[region.outcome.ravel()],
                    "openness_analytic": region.openness.ravel(),
                    "regime_expected": np.asarray(REGIME_NAMES, dtype=object)[
                        learned["expected"].ravel()
                    ],
                    "regime_learned": np.asarray(REGIME_NAMES, dtype=object)[
                        learned["observed"].ravel()
                    ],
                    "openness_benchmark": learned["target_openness"].ravel(),
                    "openness_learned": learned["openness"].ravel(),
                    "agree": agree.ravel(),
                    "near_boundary": ~interior.ravel(),
                }
            )
        )
        context.figure(region_figure(region, alpha0, "fixed"), f"region_map_{label}")
    handles = [
        Patch(color=OUTCOME_COLOURS[OUTCOMES[code]], label=OUTCOMES[code].replace("_", " "))
        for code in sorted(present)
    ] + [Patch(color=regime_colours(i), label=name) for i, name in enumerate(REGIME_NAMES)]
    line, _ = axes[0][0].get_legend_handles_labels()
    figure.legend(handles=handles + line, loc="outside lower center", ncol=6, fontsize=12)
    table = pd.concat(rows, ignore_index=True)
    overall = float(np.mean(table["agree"]))
    overall_interior = float(np.mean(table.loc[~table["near_boundary"], "agree"]))
    claim = (
        f"Learned regimes match the {benchmark} benchmark in {overall_interior:.0%} of (θ, p) "
        "cells off the boundaries"
        if overall_interior >= MATCH_SHARE
        else f"Learned regimes match the {benchmark} benchmark in only {overall_interior:.0%} "
        "of (θ, p) cells off the boundaries"
    )
    figure.suptitle(
        f"{claim} ({overall:.0%} of all cells); above p̄(θ) the generalist complies, below it pays",
        fontsize=15,
    )
    context.figure(figure, "landscape_side_by_side")
    context.table(table, "landscape_cells")
    findings["regime_agreement"] = overall
    findings["regime_agreement_interior"] = overall_interior
    for label, _, _ in MODELS:
        context.say(
            f"  {label}: regime agreement {findings[label]['regime_agreement']:.1%} "
            f"(off the boundaries {findings[label]['regime_agreement_interior']:.1%})"
        )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
