"""Study 3, the lever map: over (α0, θ), the penalty needed to make each threshold bind.

From :func:`abm.theory.landscape.lever_map` (closed form, fixed δ). Two figures: the required
penalty p̄(θ) with the region where no penalty buys compliance (the generalist would rather
leave), and the lever comparison — the extra penalty one more unit of threshold costs
(∂p̄/∂θ), which says where raising the penalty vs raising the threshold changes the
generalist's choice.

``python -m analysis.lever_map [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis._common import run_main, start

NAME = "levers"
DESCRIPTION = (
    "Lever map over (α0, θ): the penalty that makes each threshold bind, where compliance is "
    "impossible, and how much penalty one more unit of threshold costs."
)


def _slope_figure(levers: Any) -> Any:
    import matplotlib.pyplot as plt
    import numpy as np

    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6.2), constrained_layout=True)
    binds = levers.thetas[None, :] > levers.free_openness[:, None]
    usable = binds & levers.compliance_feasible
    slope = np.where(usable, levers.penalty_slope, np.nan)
    mesh = left.pcolormesh(
        levers.thetas, levers.alpha0, slope, cmap="viridis", shading="nearest", rasterized=True
    )
    figure.colorbar(mesh, ax=left, label="∂p̄/∂θ: extra penalty per unit of threshold")
    left.plot(levers.free_openness, levers.alpha0, color="#D55E00", lw=2.2, label="ω⁰(α0)")
    left.set(xlabel="open-source threshold θ", ylabel="base-model performance α0")
    left.set_title("Cost of raising the threshold, in penalty", fontsize=13)
    left.legend(loc="lower right", fontsize=11)
    left.grid(False)
    # For a few models: p̄(θ), the exit penalty and the region where the penalty is the lever.
    colours = ["#0072B2", "#009E73", "#E69F00", "#CC79A7"]
    picks = np.unique(np.linspace(0, levers.alpha0.size - 1, 4).round().astype(int))
    for colour, index in zip(colours, picks, strict=False):
        feasible = levers.compliance_feasible[index] & binds[index]
        right.plot(
            levers.thetas[feasible],
            levers.required_penalty[index][feasible],
            color=colour,
            lw=2.2,
            label=f"α0 = {levers.alpha0[index]:.2g}: p̄(θ)",
        )
        right.axhline(levers.exit_penalty[index], color=colour, ls=":", lw=1.3)
    right.set(
        xlabel="open-source threshold θ",
        ylabel="penalty p",
        title="Required penalty p̄(θ); dotted: penalty above which a payer withdraws",
    )
    right.title.set_fontsize(13)
    right.legend(fontsize=11, loc="upper left")
    figure.suptitle(
        "Raising θ needs a steeply rising penalty for strong models; for weak models a small "
        "penalty already makes a high threshold bind",
        fontsize=15,
    )
    return figure


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the lever maps, the table and the manifest."""
    import numpy as np
    import pandas as pd

    from abm.figures.openness import lever_figure
    from abm.market.checks import DELTA
    from abm.theory.landscape import lever_map
    from abm.theory.openness_game import OpennessGame

    context = start(NAME, DESCRIPTION, argv)
    alphas, thetas = (30, 51) if context.args.quick else (120, 201)
    alpha0 = np.linspace(0.05, 3.0, alphas)
    theta = np.linspace(0.0, 1.0, thetas)
    context.parameters = {
        "alpha0": [0.05, 3.0, alphas],
        "theta": [0.0, 1.0, thetas],
        "bargaining": "fixed",
        "delta": DELTA,
    }
    levers = lever_map(OpennessGame(), alpha0, theta, "fixed", DELTA)
    context.table(pd.DataFrame(levers.columns()), "lever_map")
    context.figure(lever_figure(levers), "lever_map")
    context.figure(_slope_figure(levers), "lever_slope")
    binds = theta[None, :] > levers.free_openness[:, None]
    findings = {
        "share_binding_cells": float(np.mean(binds)),
        "share_compliance_infeasible": float(np.mean(binds & ~levers.compliance_feasible)),
        "max_required_penalty": float(np.max(levers.required_penalty)),
        "free_openness_range": [
            float(levers.free_openness.min()),
            float(levers.free_openness.max()),
        ],
    }
    context.say(
        f"thresholds bind in {findings['share_binding_cells']:.0%} of (α0, θ) cells; "
        f"no penalty buys compliance in {findings['share_compliance_infeasible']:.0%}"
    )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
