"""``abm landscape``: what an openness regulation does over the (θ, p) plane (Model I)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from abm.cli._game_options import add_game_arguments, check_delta, game_fields
from abm.cli._options import NON_NEGATIVE, integer

HELP = "region map of regulation outcomes over (threshold, penalty), with the indifference curve"
DESCRIPTION = (
    "Solves the openness game at every (θ, p) of a grid for one base model and writes the "
    "outcome map (nonbinding, deadweight loss, withdrawal, utility transfer, Pareto improvement, "
    "both lose) with the indifference curve p̄(θ) as a figure and a tidy table, plus the lever "
    "map over (α0, θ): the penalty needed to make each threshold bind."
)

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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm landscape``."""
    add_game_arguments(parser, policy=False)
    grid = parser.add_argument_group("grid")
    grid.add_argument("--thetas", type=integer(2, 2000), default=201, help="threshold grid points")
    grid.add_argument("--penalties", type=integer(2, 2000), default=201, help="penalty grid points")
    grid.add_argument(
        "--max-penalty",
        type=NON_NEGATIVE,
        default=None,
        help="largest penalty on the grid (default: 1.25 × the larger of max p̄ and G's "
        "unregulated payoff, so every regime shows)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def _penalty_ceiling(game: Any, delta: Any, rule: str) -> float:
    import numpy as np

    from abm.theory.bargaining import bargain
    from abm.theory.landscape import indifference_curve
    from abm.theory.openness_game import free_openness, generalist_utility

    share = bargain(game, rule, delta)
    curve = indifference_curve(game, np.linspace(0.0, 1.0, 101), share)
    payoff = generalist_utility(game, free_openness(game, share), share)
    return float(1.25 * max(curve.max(), payoff, 0.05))


def _region_figure(region: Any, alpha0: float, rule: str) -> Any:
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
    left.legend(handles=handles + line_handles, loc="upper left", fontsize=11, framealpha=0.9)
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


def _lever_figure(levers: Any) -> Any:
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
    axis.legend(loc="lower right", fontsize=11)
    return figure


def run(args: argparse.Namespace) -> int:
    """Compute the region and lever maps, then write figures, tables and the manifest."""
    check_delta(args)
    import numpy as np
    import pandas as pd

    from abm.figures import apply_style, save_figure
    from abm.io import write_table
    from abm.manifest import Manifest
    from abm.theory.landscape import lever_map, region_map
    from abm.theory.openness_game import OpennessGame

    fields = game_fields(args, policy=False)
    game = OpennessGame(**fields)
    ceiling = args.max_penalty or _penalty_ceiling(game, args.delta, args.bargaining)
    thetas = np.linspace(0.0, 1.0, args.thetas)
    penalties = np.linspace(0.0, ceiling, args.penalties)
    region = region_map(game, thetas, penalties, args.bargaining, args.delta)
    alpha0_axis = np.linspace(0.05, 3.0, 60)
    levers = lever_map(game, alpha0_axis, np.linspace(0.0, 1.0, 101), args.bargaining, args.delta)

    out = Path(args.out)
    manifest = Manifest(
        "landscape",
        {
            **fields,
            "bargaining": args.bargaining,
            "delta": args.delta,
            "thetas": args.thetas,
            "penalties": args.penalties,
            "max_penalty": ceiling,
        },
    )
    apply_style()
    written = [
        *write_table(pd.DataFrame(region.columns()), out, "region_map", csv=True),
        *save_figure(_region_figure(region, args.alpha0, args.bargaining), out, "region_map"),
        *write_table(pd.DataFrame(levers.columns()), out, "lever_map", csv=True),
        *save_figure(_lever_figure(levers), out, "lever_map"),
    ]
    manifest.outputs = [path.name for path in written]
    manifest.write(out)
    if not args.quiet:
        counts = pd.Series(region.columns()["outcome"]).value_counts(normalize=True)
        print(f"α0 = {args.alpha0:g}: unregulated openness ω⁰ = {region.baseline_openness:.4f}")
        for name, share in counts.items():
            print(f"  {name.replace('_', ' '):<20} {share:6.1%} of (θ, p) cells")
        print(f"wrote {len(written) + 1} files to {out}", file=sys.stdout)
    return 0
