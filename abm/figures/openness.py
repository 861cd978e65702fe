"""Figures of the openness game (Model I): the regulatory region map and the lever map.

Shared by ``abm landscape`` and the studies in ``analysis/``.
"""

from __future__ import annotations

from typing import Any

# Outcome colours: Okabe–Ito, chosen so the classes stay distinct for colour-blind readers.
OUTCOME_COLOURS = {
    "nonbinding": "#D9D9D9",
    "deadweight_loss": "#E69F00",
    "withdrawal": "#000000",
    "utility_transfer": "#56B4E9",
    "pareto_improvement": "#009E73",
    "both_lose": "#D55E00",
    "reverse_transfer": "#CC79A7",
}


def region_figure(region: Any, alpha0: float, rule: str) -> Any:
    """Outcome classes and released openness over (θ, p), with p̄(θ) and ω⁰ drawn."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from abm.theory.outcomes import OUTCOMES

    colours = ListedColormap([OUTCOME_COLOURS[name] for name in OUTCOMES])
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6.2), constrained_layout=True)
    left.pcolormesh(
        region.thetas,
        region.penalties,
        region.outcome.T,
        cmap=colours,
        vmin=-0.5,
        vmax=len(OUTCOMES) - 0.5,
        shading="nearest",
        rasterized=True,
    )
    mesh = right.pcolormesh(
        region.thetas,
        region.penalties,
        region.openness.T,
        cmap="viridis",
        vmin=0,
        vmax=1,
        shading="nearest",
        rasterized=True,
    )
    figure.colorbar(mesh, ax=right, label="released openness ω (blank: withdrawal)")
    binding = region.thetas > region.baseline_openness
    for axis in (left, right):
        axis.plot(region.thetas[binding], region.curve[binding], color="white", lw=3.2)
        axis.plot(
            region.thetas[binding],
            region.curve[binding],
            color="#0072B2",
            lw=1.8,
            label="indifference curve p̄(θ)",
        )
        axis.axvline(
            region.baseline_openness,
            color="#CC79A7",
            ls="--",
            lw=1.5,
            label=f"unregulated openness ω⁰ = {region.baseline_openness:.3f}",
        )
        axis.set_xlabel("open-source threshold θ")
        axis.set_ylabel("penalty p below the threshold")
        axis.set_ylim(region.penalties[0], region.penalties[-1])
    present = [name for code, name in enumerate(OUTCOMES) if np.any(region.outcome == code)]
    handles = [Patch(color=OUTCOME_COLOURS[name], label=name.replace("_", " ")) for name in present]
    line_handles, _ = left.get_legend_handles_labels()
    left.legend(  # below the axes: a region map has data everywhere inside them
        handles=handles + line_handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncols=2,
        fontsize=11,
        frameon=False,
    )
    left.set_title("What the regulation does (vs no regulation)")
    right.set_title("Openness the generalist releases")
    shares = {name: float(np.mean(region.outcome == OUTCOMES.index(name))) for name in present}
    leading = max((n for n in shares if n != "nonbinding"), key=shares.get, default="nonbinding")
    figure.suptitle(
        f"Base model α0 = {alpha0:g}, {rule.replace('_', ' ')} bargaining: "
        f"{leading.replace('_', ' ')} in {shares[leading]:.0%} of policies; "
        "above p̄(θ) the generalist complies, below it pays",
        fontsize=15,
    )
    return figure


def lever_figure(levers: Any) -> Any:
    """Penalty needed for compliance over (α0, θ); hatched where compliance never pays."""
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axis = plt.subplots(figsize=(9, 6.5), constrained_layout=True)
    required = np.where(levers.required_penalty > 0, levers.required_penalty, np.nan)
    required = np.where(levers.compliance_feasible, required, np.nan)
    mesh = axis.pcolormesh(
        levers.thetas, levers.alpha0, required, cmap="cividis", shading="nearest", rasterized=True
    )
    figure.colorbar(mesh, ax=axis, label="penalty needed for compliance p̄(θ)")
    infeasible = ~levers.compliance_feasible
    axis.contourf(
        levers.thetas,
        levers.alpha0,
        infeasible.astype(float),
        levels=[0.5, 1.5],
        colors=["#BBBBBB"],
        hatches=["//"],
    )
    axis.contour(
        levers.thetas,
        levers.alpha0,
        infeasible.astype(float),
        levels=[0.5],
        colors="black",
        linewidths=1.2,
    )
    axis.plot(
        levers.free_openness,
        levers.alpha0,
        color="#D55E00",
        lw=2.2,
        label="ω⁰(α0): thresholds left of it never bind",
    )
    axis.set_xlabel("open-source threshold θ")
    axis.set_ylabel("base-model performance α0")
    axis.set_title(
        "Lever map: weak models comply for small penalties; hatched: the\n"
        "generalist would rather leave than comply, whatever the penalty",
        fontsize=13,
    )
    axis.grid(False)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=11, frameon=False)
    return figure
