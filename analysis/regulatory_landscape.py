"""Study 2, the regulatory landscape: what a (θ, p) rule does, analytically and in the market.

For a weak and a strong base model the (θ, p) plane is coloured by outcome class (nonbinding,
deadweight loss, withdrawal, utility transfer, Pareto improvement, both lose) twice: from the
closed form of Model I (:func:`abm.theory.landscape.region_map`, fixed δ) and from one-generalist
one-specialist markets that learn their choices (the grid of
:func:`abm.market.validation.check_regime_map`). A learned cell is classified against the
learned unregulated market, with both sides' payoffs evaluated at the learned choices.

``python -m analysis.regulatory_landscape [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from analysis._common import run_main, start

NAME = "landscape"
DESCRIPTION = (
    "Outcome maps over (θ, p) for a weak and a strong base model: closed form against learned "
    "markets, with the indifference curve and the share of cells where they agree."
)

#: (label, α0, largest penalty on the grid): the weak model's map lives at small penalties.
MODELS = (("weak", 0.5, 0.15), ("strong", 2.9, 1.0))


def _extra(parser: Any) -> None:
    parser.add_argument(
        "--rule",
        choices=("best_response", "fictitious_play"),
        default="best_response",
        help="learning rule of the generalists",
    )


def learned_outcomes(
    alpha0: float, thetas: Any, penalties: Any, periods: int, rule: str, seed: int
) -> dict[str, Any]:
    """Learned regime, openness and outcome class at every (θ, p), plus the learned baseline."""
    import numpy as np
    from abm.market.validation import DELTA, _pair_config

    from abm.market.model import MarketModel
    from abm.theory.openness_game import ABSTAIN, PAY, OpennessGame
    from abm.theory.openness_game import generalist_utility as utility_g
    from abm.theory.openness_game import specialist_utility as utility_d
    from abm.theory.outcomes import classify

    def learn(theta: float, penalty: float, index: int) -> tuple[float, int]:
        model = MarketModel(_pair_config(rule, alpha0, theta, penalty), rng=seed + index)
        generalists = model.run(periods).generalists
        result = float(generalists.openness[0]), int(generalists.regime[0])
        model.close()
        return result

    shape = (thetas.size, penalties.size)
    openness, regime = np.empty(shape), np.empty(shape, dtype=np.int8)
    for index in np.ndindex(shape):
        flat = int(np.ravel_multi_index(index, shape))
        openness[index], regime[index] = learn(thetas[index[0]], penalties[index[1]], flat + 1)
    base_openness, base_regime = learn(0.0, 0.0, 0)

    game = OpennessGame(alpha0=alpha0)
    theta_grid, penalty_grid = np.meshgrid(thetas, penalties, indexing="ij")

    def stage(omega: Any, codes: Any, penalty: Any) -> SimpleNamespace:
        absent = codes == ABSTAIN
        released = np.where(absent, 0.0, omega)
        value_g = utility_g(game, released, DELTA) - np.where(codes == PAY, penalty, 0.0)
        return SimpleNamespace(
            regime=codes,
            openness=np.where(absent, np.nan, omega),
            utility_generalist=np.where(absent, 0.0, value_g),
            utility_specialist=np.where(absent, 0.0, utility_d(game, released, DELTA)),
        )

    regulated = SimpleNamespace(stage=stage(openness, regime, penalty_grid))
    baseline = SimpleNamespace(
        stage=stage(np.array(base_openness), np.array(base_regime, dtype=np.int8), 0.0)
    )
    return {
        "openness": openness,
        "regime": regime,
        "outcome": classify(regulated, baseline),  # type: ignore[arg-type]
        "baseline_openness": base_openness,
        "theta": theta_grid,
        "penalty": penalty_grid,
    }


def _panel(axis: Any, thetas: Any, penalties: Any, outcome: Any, region: Any, title: str) -> None:
    import numpy as np
    from matplotlib.colors import ListedColormap

    from abm.figures.openness import OUTCOME_COLOURS
    from abm.theory.outcomes import OUTCOMES

    colours = ListedColormap([OUTCOME_COLOURS[name] for name in OUTCOMES])
    axis.pcolormesh(
        thetas,
        penalties,
        outcome.T,
        cmap=colours,
        vmin=-0.5,
        vmax=len(OUTCOMES) - 0.5,
        shading="nearest",
        rasterized=True,
    )
    binding = region.thetas > region.baseline_openness
    axis.plot(region.thetas[binding], region.curve[binding], color="white", lw=3.2)
    axis.plot(region.thetas[binding], region.curve[binding], color="#0072B2", lw=1.8, label="p̄(θ)")
    axis.set_ylim(penalties[0], penalties[-1])
    axis.set_xlim(thetas[0], thetas[-1])
    axis.set_xlabel("open-source threshold θ")
    axis.set_ylabel("penalty p below θ")
    axis.set_title(title, fontsize=13)
    del np


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write maps, tables, the agreement shares and the manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from abm.market.validation import DELTA, _boundary_cells
    from matplotlib.patches import Patch

    from abm.figures.openness import OUTCOME_COLOURS, region_figure
    from abm.theory.landscape import region_map
    from abm.theory.openness_game import OpennessGame
    from abm.theory.outcomes import OUTCOMES

    context = start(NAME, DESCRIPTION, argv, _extra)
    args = context.args
    cells, periods = (8, 40) if args.quick else (26, 60)
    context.parameters = {
        "models": [{"label": m[0], "alpha0": m[1], "max_penalty": m[2]} for m in MODELS],
        "grid": [cells, cells],
        "periods": periods,
        "rule": args.rule,
        "delta": DELTA,
        "bargaining": "fixed",
    }
    figure, axes = plt.subplots(2, 2, figsize=(14, 12), constrained_layout=True)
    rows, findings = [], {}
    present: set[int] = set()
    for row_axes, (label, alpha0, ceiling) in zip(axes, MODELS, strict=True):
        thetas, penalties = np.linspace(0.0, 1.0, cells), np.linspace(0.0, ceiling, cells)
        region = region_map(OpennessGame(alpha0=alpha0), thetas, penalties, "fixed", DELTA)
        context.say(f"{label} model α0 = {alpha0:g}: learning {cells * cells + 1} markets …")
        learned = learned_outcomes(alpha0, thetas, penalties, periods, args.rule, args.seed)
        agree = learned["outcome"] == region.outcome
        boundary = _boundary_cells(region.outcome)
        share = float(np.mean(agree))
        interior = float(np.mean(agree[~boundary])) if (~boundary).any() else 1.0
        findings[label] = {
            "alpha0": alpha0,
            "agreement": share,
            "agreement_interior": interior,
            "regime_agreement": float(np.mean(learned["regime"] == region.regime)),
            "analytic_free_openness": region.baseline_openness,
            "learned_free_openness": learned["baseline_openness"],
            "outcome_shares_analytic": {
                OUTCOMES[c]: float(np.mean(region.outcome == c)) for c in np.unique(region.outcome)
            },
        }
        present |= set(np.unique(region.outcome)) | set(np.unique(learned["outcome"]))
        _panel(
            row_axes[0],
            thetas,
            penalties,
            region.outcome,
            region,
            f"{label} model (α0 = {alpha0:g}), closed form",
        )
        _panel(
            row_axes[1],
            thetas,
            penalties,
            learned["outcome"],
            region,
            f"{label} model, learned markets ({args.rule.replace('_', ' ')}): "
            f"agree in {share:.0%} of cells",
        )
        rows.append(
            pd.DataFrame(
                {
                    "model": label,
                    "alpha0": alpha0,
                    "theta": learned["theta"].ravel(),
                    "penalty": learned["penalty"].ravel(),
                    "outcome_analytic": np.asarray(OUTCOMES, dtype=object)[region.outcome.ravel()],
                    "outcome_learned": np.asarray(OUTCOMES, dtype=object)[
                        learned["outcome"].ravel()
                    ],
                    "openness_analytic": region.openness.ravel(),
                    "openness_learned": learned["openness"].ravel(),
                    "agree": agree.ravel(),
                    "near_boundary": boundary.ravel(),
                }
            )
        )
        context.figure(region_figure(region, alpha0, "fixed"), f"region_map_{label}")
    handles = [
        Patch(color=OUTCOME_COLOURS[OUTCOMES[code]], label=OUTCOMES[code].replace("_", " "))
        for code in sorted(present)
    ]
    line, _ = axes[0][0].get_legend_handles_labels()
    figure.legend(
        handles=handles + line, loc="outside lower center", ncol=len(handles) + 1, fontsize=12
    )
    overall = float(np.mean(pd.concat(rows)["agree"]))
    figure.suptitle(
        f"Learned markets reproduce Model I's regulatory landscape in {overall:.0%} of (θ, p) "
        "cells; above p̄(θ) the generalist complies, below it pays",
        fontsize=15,
    )
    context.figure(figure, "landscape_side_by_side")
    context.table(pd.concat(rows, ignore_index=True), "landscape_cells")
    findings["agreement"] = overall
    for label in findings:
        if label != "agreement":
            context.say(
                f"  {label}: outcome agreement {findings[label]['agreement']:.1%} "
                f"(interior {findings[label]['agreement_interior']:.1%})"
            )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
