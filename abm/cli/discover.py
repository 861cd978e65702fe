"""``abm discover DIR``: scenario discovery over a sweep (which parameter boxes lead where)."""

from __future__ import annotations

import argparse

from abm.options import UNIT, add_format_argument, add_svg_argument, folder, integer

HELP = "scenario discovery: which parameter boxes of a sweep lead to withdrawal, Pareto gains, …"
DESCRIPTION = (
    "Reads DIR (the output of abm sweep), classifies every run as a case of interest or not, "
    "and fits a classification tree (CART, scikit-learn) to the swept parameters: each leaf is a "
    "box of parameter values, with its density (share of its runs that are cases) and coverage "
    "(share of all cases it holds). Targets: withdrawal (a share of model makers of at least "
    "--threshold abstain), pareto (generalists and specialists both earn more than in the same "
    "market without regulation: the sweep must include regulator.penalty = 0 or "
    "regulator.theta = 0), or OBSERVABLE>=VALUE / OBSERVABLE<=VALUE. Prints the boxes where "
    "most runs are cases and writes boxes.parquet, a figure and manifest.json. Needs the extra "
    '`pip install -e ".[discover]"`.'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm discover``."""
    parser.add_argument("folder", metavar="DIR", help="output folder of abm sweep")
    parser.add_argument(
        "--target",
        default="withdrawal",
        metavar="CASE",
        help="withdrawal, pareto, or OBSERVABLE>=VALUE / OBSERVABLE<=VALUE",
    )
    parser.add_argument(
        "--threshold",
        type=UNIT,
        default=0.5,
        metavar="S",
        help="withdrawal: the share of abstaining model makers that counts, in [0, 1]",
    )
    parser.add_argument(
        "--depth", type=integer(1, 8), default=3, metavar="D", help="tree depth (≤ 2^D boxes)"
    )
    parser.add_argument(
        "--out",
        type=folder,
        default=None,
        metavar="DIR",
        help="output folder; none: DIR/discovery-<target>",
    )
    add_format_argument(parser)
    add_svg_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def _slug(target: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in target)


def run(args: argparse.Namespace) -> int:
    """Discover the boxes, print them, write the table, figure and manifest."""
    from pathlib import Path

    from abm.experiments.discovery import describe, discover, read_runs
    from abm.io import claim_folder, write_table
    from abm.manifest import Manifest

    manifest = Manifest("discover", {})  # (its timings run from here)
    runs = read_runs(args.folder)
    found = discover(runs, args.target, threshold=args.threshold, max_depth=args.depth)
    out = Path(args.out) if args.out else Path(args.folder) / f"discovery-{_slug(args.target)}"
    claim_folder(out, "discover", force=False)  # (no --force: the refusal does not offer it)
    from abm.figures.discovery import discovery_figure
    from abm.figures.style import figure_formats, save_figure

    written = write_table(found.boxes, out, "boxes", csv=args.format == "csv")
    name = Path(args.folder).resolve().name
    formats = figure_formats(args.svg)
    written += save_figure(discovery_figure(found, name), out, "discovery", formats)
    manifest.parameters = {
        "folder": str(Path(args.folder).resolve()),
        "target": args.target,
        "threshold": args.threshold,
        "depth": args.depth,
        "parameters": found.parameters,
        "importance": found.importance,
    }
    manifest.outputs = [path.name for path in written]
    manifest.write(out)
    cases = int(found.cases.sum())
    print(f"{name}: {cases} of {len(found.cases)} runs are {args.target}")
    full = {p: (float(runs[p].min()), float(runs[p].max())) for p in found.parameters}
    boxes = found.found()
    if boxes.empty:
        print("  no box where most runs are cases")
    for _, box in boxes.iterrows():
        print(
            f"  box {int(box['box'])}: {describe(box, found.parameters, full)}: "
            f"{int(box['cases'])} of {int(box['runs'])} runs ({box['density']:.0%}), "
            f"{box['coverage']:.0%} of all cases"
        )
    print(f"wrote {len(written) + 1} files to {out}")
    return 0
