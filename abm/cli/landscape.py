"""``abm landscape``: what an openness regulation does over the (θ, p) plane (Model I)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from abm.cli._game_options import add_game_arguments, check_delta, game_fields
from abm.options import (
    POSITIVE,
    add_force_argument,
    add_format_argument,
    add_svg_argument,
    folder,
    integer,
)

HELP = "region map of regulation outcomes over (threshold, penalty), with the indifference curve"
DESCRIPTION = (
    "Solves the openness game at every (θ, p) of a grid for one base model and writes the "
    "outcome map (nonbinding, deadweight loss, withdrawal, utility transfer, Pareto improvement, "
    "both lose, reverse transfer) with the indifference curve p̄(θ) as a figure and a tidy "
    "table, plus the lever map over (α0, θ): the penalty needed to make each threshold bind."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm landscape``."""
    add_game_arguments(parser, policy=False)
    grid = parser.add_argument_group("grid")
    grid.add_argument("--thetas", type=integer(2, 2000), default=201, help="threshold grid points")
    grid.add_argument("--penalties", type=integer(2, 2000), default=201, help="penalty grid points")
    grid.add_argument(
        "--max-penalty",
        type=POSITIVE,
        default=None,
        help="largest penalty on the grid, > 0 (default: 1.25 × the larger of max p̄ and G's "
        "unregulated payoff, so every regime shows)",
    )
    parser.add_argument("--out", type=folder, required=True, metavar="DIR", help="output folder")
    add_force_argument(parser)
    add_format_argument(parser)
    add_svg_argument(parser)
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


def run(args: argparse.Namespace) -> int:
    """Compute the region and lever maps, then write figures, tables and the manifest."""
    check_delta(args)
    import numpy as np
    import pandas as pd

    from abm.figures import apply_style, figure_formats, save_figure
    from abm.figures.openness import lever_figure, region_figure
    from abm.io import claim_output, write_table
    from abm.manifest import Manifest
    from abm.theory.landscape import lever_map, region_map
    from abm.theory.openness_game import OpennessGame

    manifest = Manifest("landscape", {})  # (its timings run from here)
    fields = game_fields(args, policy=False)
    game = OpennessGame(**fields)
    # (None, not 0, means "not given": --max-penalty is > 0, a grid of one penalty is no map)
    if args.max_penalty is None:
        ceiling = _penalty_ceiling(game, args.delta, args.bargaining)
    else:
        ceiling = args.max_penalty
    out = claim_output(args.out, "landscape", force=args.force)  # before the maps are solved
    thetas = np.linspace(0.0, 1.0, args.thetas)
    penalties = np.linspace(0.0, ceiling, args.penalties)
    region = region_map(game, thetas, penalties, args.bargaining, args.delta)
    alpha0_axis = np.linspace(0.05, 3.0, 60)
    levers = lever_map(game, alpha0_axis, np.linspace(0.0, 1.0, 101), args.bargaining, args.delta)

    manifest.parameters = {
        **fields,
        "bargaining": args.bargaining,
        "delta": args.delta,
        "thetas": args.thetas,
        "penalties": args.penalties,
        "max_penalty": ceiling,
    }
    apply_style()
    formats = figure_formats(args.svg)
    written = [
        *write_table(pd.DataFrame(region.columns()), out, "region_map", csv=args.format == "csv"),
        *save_figure(
            region_figure(region, args.alpha0, args.bargaining), out, "region_map", formats
        ),
        *write_table(pd.DataFrame(levers.columns()), out, "lever_map", csv=args.format == "csv"),
        *save_figure(lever_figure(levers), out, "lever_map", formats),
    ]
    manifest.outputs = [path.name for path in written]
    manifest.write(out)
    if not args.quiet:
        counts = pd.Series(region.columns()["outcome"]).value_counts()
        total = int(counts.sum())
        print(f"α0 = {args.alpha0:g}: unregulated openness ω⁰ = {region.baseline_openness:.4f}")
        for name, count in counts.items():
            # the count too: one cell in 40,401 would round to 0.0 %
            label = name.replace("_", " ")
            print(f"  {label:<20} {count / total:6.1%} ({count:,} of {total:,} cells)")
        print(f"wrote {len(written) + 1} files to {out}", file=sys.stdout)
    return 0
