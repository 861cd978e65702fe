"""``abm run``: one run of a scenario file, written as tables, a network, figures and a manifest."""

from __future__ import annotations

import argparse
from typing import Any

from abm.options import (
    MAX_SEED,
    MAX_STEPS,
    add_force_argument,
    add_format_argument,
    add_svg_argument,
    folder,
    integer,
)

HELP = "run one scenario (TOML): time series, agents, network, figures, manifest"
DESCRIPTION = (
    "Runs the market of a scenario file once and writes into --out: timeseries.parquet (one row "
    "per period), agents.parquet (when the scenario's output.agents is true), network.graphml "
    "(the final supply chain), figures (PNG; SVG too with --svg) and manifest.json (the resolved "
    "scenario, seeds, versions, git commit, platform, timings). The run's seed is run 0 of the "
    "scenario's master seed, so it equals run 0 of `abm mc` on the same scenario. A rerun into "
    "the folder of an earlier `abm run` replaces that run's outputs: once the new manifest is "
    "written, the files the earlier one listed and this run did not rewrite (a CSV, figures) "
    "are removed. A folder holding other outputs or files abm did not write is refused unless "
    "--force. Bad input exits with code 2 and writes nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm run``."""
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    parser.add_argument(
        "--seed",
        type=integer(0, MAX_SEED),
        default=None,
        metavar="N",
        help="master seed; none: the file's",
    )
    parser.add_argument(
        "--steps",
        type=integer(1, MAX_STEPS),
        default=None,
        metavar="N",
        help="periods; none: the file's",
    )
    parser.add_argument(
        "--out",
        type=folder,
        default=None,
        metavar="DIR",
        help="output folder; none: results/<name>",
    )
    add_force_argument(parser)
    add_format_argument(parser)
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    add_svg_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def resolve_scenario(args: argparse.Namespace) -> Any:
    """Load the scenario and apply --seed/--steps; raise ParameterError on bad input.

    Also refuses a run whose agent table would not fit in memory (:func:`check_recording`).
    """
    from abm.scenarios import check_recording, load_scenario

    scenario = load_scenario(args.scenario)
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if getattr(args, "steps", None) is not None:
        changes["horizon.steps"] = args.steps
        # A shorter horizon caps the summary window (recorded in the manifest).
        changes["output.summary_window"] = min(scenario.output.summary_window, args.steps)
    scenario = scenario.replace(**changes) if changes else scenario
    check_recording(scenario)
    return scenario


def run(args: argparse.Namespace) -> int:
    """Run ``abm run``."""
    import tempfile
    from pathlib import Path

    from abm.experiments.seeds import run_seed
    from abm.experiments.simulate import simulate
    from abm.io import atomic_write, claim_folder, replace_folder, write_table
    from abm.manifest import Manifest

    scenario = resolve_scenario(args)
    folder = Path(args.out) if args.out else Path("results") / scenario.name
    if args.force:
        replace_folder(folder)
    claim_folder(folder, "run")  # before the run: refused at once if taken
    seed = run_seed(scenario.seed, 0)
    manifest = Manifest(
        "run", {"scenario": scenario.to_dict(), "run_seed": seed}, seed=scenario.seed
    )
    with tempfile.TemporaryDirectory() as scratch:
        network = Path(scratch) / "network.graphml" if scenario.output.network else None
        tables = simulate(
            scenario.market_data(),
            seed,
            scenario.horizon.steps,
            collect_agents=scenario.output.agents,
            graphml=network,
        )
        # The folder was claimed (created and locked) before the run; the files land now.
        written: list[Path] = []
        written += write_table(tables["timeseries"], folder, "timeseries", csv=args.format == "csv")
        if "agents" in tables:
            written += write_table(tables["agents"], folder, "agents", csv=args.format == "csv")
        if network is not None:
            data = network.read_bytes()
            written.append(atomic_write(folder / "network.graphml", lambda s: s.write(data)))
    if scenario.output.figures and not args.no_figures:
        from abm.figures.runs import run_figures
        from abm.figures.style import figure_formats

        formats = figure_formats(args.svg)
        written += run_figures(tables["timeseries"], folder, scenario.name, formats=formats)
    manifest.outputs = [path.name for path in written]
    manifest.write(folder)
    if args.quiet:
        return 0
    final = tables["timeseries"].iloc[-1]
    # The seed as the user gave it (or the file's); the run's child seed is in manifest.json.
    print(f"scenario {scenario.name}: {scenario.horizon.steps} periods, seed {scenario.seed}")
    for name in ("participation", "open_share", "mean_openness", "hhi", "welfare"):
        print(f"  {name:<16} {final[name]:.4g}")
    print(f"wrote {len(written) + 1} files to {folder}")
    return 0
