"""``abm open-source``: the open-sourcing decision against firm size (Model III)."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

from abm.cli._output import json_number
from abm.options import (
    NON_NEGATIVE,
    POSITIVE,
    UNIT,
    add_force_argument,
    add_format_argument,
    add_plot_alias,
    add_svg_argument,
    folder,
)

if TYPE_CHECKING:
    from abm.theory.open_sourcing import OpenSourcingGame

HELP = "open-sourcing decision against firm size: gain, open interval, peak (Model III)"
DESCRIPTION = (
    "Model III (after Habibi 2025; functional form ours): an owner with share s of the "
    "applications compatible with its model gains Δ(s) = γ·s·(1−s) − ℓ·(1−s) − κ by opening "
    "it, opens iff Δ(s) > 0, i.e. for s in the interval (s₋, s₊), and with noise opens with "
    "probability 1/(1 + exp(−λ·Δ(s))). Prints the decision at --share; --out DIR also draws "
    "Δ(s) and P(open) for several performance edges κ."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm open-source``."""
    parser.add_argument(
        "--share",
        type=UNIT,
        default=None,
        metavar="S",
        help="the owner's share s of compatible applications, in [0, 1] (required unless --out)",
    )
    parser.add_argument(
        "--growth-value",
        type=NON_NEGATIVE,
        default=1.0,
        metavar="GAMMA",
        help="value of ecosystem growth an open model attracts, γ ≥ 0",
    )
    parser.add_argument(
        "--licensing",
        type=NON_NEGATIVE,
        default=0.2,
        metavar="ELL",
        help="licensing margin forgone on outsiders by opening, ℓ ≥ 0",
    )
    parser.add_argument(
        "--edge",
        type=NON_NEGATIVE,
        default=0.05,
        metavar="KAPPA",
        help="value of the performance edge handed to rivals by opening, κ ≥ 0",
    )
    parser.add_argument(
        "--precision",
        type=POSITIVE,
        default=20.0,
        metavar="LAMBDA",
        help="precision of the logit propensity, λ > 0 (larger: closer to the sharp rule)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--out",
        type=folder,
        default=None,
        metavar="DIR",
        help=(
            "write the figure (Δ(s) and P(open) for several edges κ), its data as a "
            "table and manifest.json into DIR"
        ),
    )
    add_force_argument(parser)
    add_plot_alias(parser)
    add_format_argument(parser)
    add_svg_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def _game(args: argparse.Namespace) -> OpenSourcingGame:
    """Model III's parameters from the command line."""
    from abm.theory.open_sourcing import OpenSourcingGame

    return OpenSourcingGame(
        growth_value=args.growth_value,
        licensing=args.licensing,
        edge=args.edge,
        precision=args.precision,
    )


def _result(args: argparse.Namespace) -> dict[str, Any]:
    from abm.theory.open_sourcing import gain_peak, open_sourcing_decision

    game = _game(args)
    decision = open_sourcing_decision(game, args.share)
    lower, upper = float(decision.interval_lower), float(decision.interval_upper)
    interval = [lower, upper] if math.isfinite(lower) and math.isfinite(upper) else None
    return {
        "share": args.share,
        "growth_value": args.growth_value,
        "licensing": args.licensing,
        "edge": args.edge,
        "precision": args.precision,
        "gain": float(decision.gain),
        "open": bool(decision.opens),
        "probability": float(decision.probability),
        "interval": interval,
        "peak": json_number(decision.peak),
        "peak_gain": float(decision.peak_gain),
        "unconstrained_peak": json_number(gain_peak(game)),
    }


def _format_table(result: dict[str, Any]) -> str:
    def number(value: float | None) -> str:
        return "none" if value is None else f"{value:.4g}"

    interval = result["interval"]
    chance = result["probability"]
    probability = f"{chance:.3f}" if 0.001 <= chance <= 0.999 else f"{chance:.3g}"
    unconstrained = result["unconstrained_peak"]
    peak_note = ""
    if unconstrained is not None and result["peak"] is not None and unconstrained > 1.0:
        peak_note = f"  (the gain peaks at s* = {unconstrained:.4g} > 1)"
    elif unconstrained is None and result["peak"] is not None:
        peak_note = "  (growth value 0: the gain rises with s)"
    rows = [
        ("share s", number(result["share"])),
        ("growth value (gamma)", number(result["growth_value"])),
        ("licensing margin (ell)", number(result["licensing"])),
        ("performance edge (kappa)", number(result["edge"])),
        ("precision (lambda)", number(result["precision"])),
        ("gain from opening", f"{result['gain']:.4g}"),
        ("opens (gain > 0)", "yes" if result["open"] else "no"),
        ("probability of opening", probability),
        (
            "open interval of shares",
            "none: opening never pays"
            if interval is None
            else f"({interval[0]:.4g}, {interval[1]:.4g})",
        ),
        ("peak share in [0, 1]", number(result["peak"]) + peak_note),
        ("gain at the peak", f"{result['peak_gain']:.4g}"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _plot(args: argparse.Namespace) -> list[str]:
    """The figure (Δ(s) and P(open) for several edges κ), its data and the manifest."""
    from abm.figures import apply_style, figure_formats, save_figure
    from abm.figures.open_sourcing import SHARE_STEM, compared_edges, share_figure, share_table
    from abm.io import write_table
    from abm.manifest import Manifest
    from abm.theory.open_sourcing import SHARE_POINTS, share_curves

    manifest = Manifest("open-source", {})  # (its timings run from here)
    edges = compared_edges(args.edge)
    curves = share_curves(_game(args), edges)
    apply_style()
    formats = figure_formats(args.svg)
    written = save_figure(share_figure(curves, args.edge), args.out, SHARE_STEM, formats)
    written += write_table(share_table(curves), args.out, SHARE_STEM, csv=args.format == "csv")
    manifest.parameters = {
        "share": args.share,
        "growth_value": args.growth_value,
        "licensing": args.licensing,
        "edge": args.edge,
        "precision": args.precision,
        "plot_edges": edges,
        "grid_points": SHARE_POINTS,
    }
    manifest.outputs.extend(path.name for path in written)
    written.append(manifest.write(args.out))
    return [str(path) for path in written]


def run(args: argparse.Namespace) -> int:
    """Print the open-sourcing decision at --share and, with --out, write the figure."""
    from abm.errors import ParameterError
    from abm.io import claim_output

    if args.share is None and args.out is None:
        raise ParameterError("--share is required (a number in [0, 1]) unless --out DIR is given")
    result = _result(args) if args.share is not None else None
    if args.out is not None:  # claimed as abm run claims its folder, before anything is drawn
        claim_output(args.out, "open-source", force=args.force)
    written = _plot(args) if args.out is not None else []
    if args.json:
        payload: dict[str, Any] = dict(result) if result is not None else {}
        if written:
            payload["written"] = written
        print(json.dumps(payload, indent=2))
    else:
        if result is not None:
            print(_format_table(result))
        if written:  # as every command says it: how many files, and where
            print(f"wrote {len(written)} files to {args.out}")
    return 0
