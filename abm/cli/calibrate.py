"""``abm calibrate evidence``: fit a scenario's market to the Notable AI Models data."""

from __future__ import annotations

import argparse
from typing import Any

from abm.options import MAX_SEED, MAX_STEPS, add_format_argument, add_svg_argument, folder, integer

HELP = "calibrate a scenario against real model-release data (α0, open frontier growth, SMM)"
DESCRIPTION = (
    "abm calibrate evidence --scenario FILE fits the scenario's market to Epoch AI's Notable AI "
    "Models (shipped with the package): the α0 distribution from the models' gap to the compute "
    "frontier, the open frontier's growth rate, and by simulated method of moments (scipy "
    "Nelder–Mead, common random numbers) generalists' reputation and compliance cost and "
    "specialists' openness leverage against the open share by gap and the share of derivatives "
    "on open bases. Writes into --out: <name>_calibrated.toml (a scenario `abm run` takes), "
    "calibration_parameters (fitted values, standard errors, 95 % intervals and how they were "
    "obtained), calibration_moments (observed and simulated side by side), calibration_trace "
    "(every evaluation), the evidence study's measures for data and market (evidence_*), "
    "figures, calibration.json and manifest.json. docs/evidence.md explains the method. Bad "
    "input exits with code 2 and writes nothing."
)

#: What ``abm calibrate`` can calibrate against.
TARGETS = ("evidence",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm calibrate``."""
    parser.add_argument(
        "target", choices=TARGETS, metavar="TARGET", help="what to calibrate against: evidence"
    )
    parser.add_argument(
        "--scenario", required=True, metavar="FILE", help="scenario file (TOML) to calibrate"
    )
    parser.add_argument(
        "--out", type=folder, default=None, metavar="DIR", help="output folder; none: "
        "results/<name>-calibrated"
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=integer(0, MAX_SEED), default=None, metavar="N",
        help="master seed of the runs and the bootstrap; none: the scenario's",
    )  # fmt: skip
    parser.add_argument(
        "--replications", type=integer(2, 10_000), default=None, metavar="N",
        help="runs per evaluation (the same seeds each time); none: 8 (--quick: 2)",
    )  # fmt: skip
    parser.add_argument(
        "--steps", type=integer(1, MAX_STEPS), default=None, metavar="N",
        help="periods per run; none: the scenario's horizon (--quick: 30)",
    )  # fmt: skip
    parser.add_argument(
        "--window", type=integer(1, MAX_STEPS), default=None, metavar="N",
        help="last periods each run's moments average over; none: the scenario's "
        "output.summary_window (--quick: 10), at most --steps",
    )  # fmt: skip
    parser.add_argument(
        "--evaluations", type=integer(1, 100_000), default=None, metavar="N",
        help="Nelder–Mead's budget of objective evaluations; none: 40 (--quick: 4)",
    )  # fmt: skip
    parser.add_argument(
        "--bootstrap", type=integer(10, 1_000_000), default=None, metavar="N",
        help="bootstrap resamples of the data; none: 500 (--quick: 40)",
    )  # fmt: skip
    parser.add_argument(
        "--free", type=_names, default=None, metavar="NAMES",
        help="comma-separated parameters to fit among reputation, openness_leverage, "
        "compliance, licensing; none: reputation,openness_leverage,compliance",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small size (seconds; for tests)")
    add_format_argument(parser)
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    add_svg_argument(parser)
    parser.add_argument(
        "--quiet", action="store_true", help="print nothing on success (no progress bar)"
    )


#: The parameters ``--free`` accepts (abm.experiments.calibration.FREE_PARAMETERS; spelled
#: here so that parsing imports no numerical library).
FREE = ("reputation", "openness_leverage", "compliance", "licensing")


def _names(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names or any(name not in FREE for name in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"must name distinct parameters among {', '.join(FREE)}, got {text!r}"
        )
    return names


def settings_of(args: argparse.Namespace, scenario: Any) -> Any:
    """The calibration's :class:`~abm.experiments.calibration.Settings` from the options.

    Without ``--quick`` the runs last the scenario's horizon and the moments average over its
    summary window: the market is measured where the scenario's author reads it (learning
    from experience needs several hundred periods to settle).
    """
    from dataclasses import replace

    from abm.errors import ParameterError
    from abm.experiments.calibration import QUICK, Settings

    if args.quick:
        settings = QUICK
    else:
        steps = scenario.horizon.steps
        settings = Settings(steps=steps, window=min(scenario.output.summary_window, steps))
    changes: dict[str, Any] = {"seed": scenario.seed}
    if args.free is not None:
        changes["free"] = args.free
    for option, name in (
        ("replications", "replications"),
        ("steps", "steps"),
        ("window", "window"),
        ("evaluations", "max_evaluations"),
        ("bootstrap", "bootstrap"),
    ):
        if getattr(args, option) is not None:
            changes[name] = getattr(args, option)
    steps = changes.get("steps", settings.steps)
    if args.window is None:  # a shorter run averages over what it has
        changes["window"] = min(settings.window, steps)
    elif args.window > steps:
        raise ParameterError(f"--window must be in [1, {steps}] (--steps), got {args.window}")
    settings = replace(settings, **changes)
    settings.check()
    return settings


def run(args: argparse.Namespace) -> int:
    """Run ``abm calibrate``."""
    from pathlib import Path

    from abm.cli.run import resolve_scenario
    from abm.experiments.calibration import calibrate, check_market
    from abm.io import claim_folder
    from abm.manifest import Manifest

    # --steps sizes the calibration's runs, not the scenario's horizon: only --seed applies
    scenario = resolve_scenario(argparse.Namespace(scenario=args.scenario, seed=args.seed))
    settings = settings_of(args, scenario)
    check_market(scenario.market)
    folder = Path(args.out) if args.out else Path("results") / f"{scenario.name}-calibrated"
    claim_folder(folder, "calibrate", force=False)  # before the work (it has no --force)
    manifest = Manifest(
        "calibrate",
        {
            "target": args.target,
            "scenario": scenario.to_dict(),
            "settings": {**settings.__dict__, "free": list(settings.free)},
            "data": "abm/data/epoch-notable-ai-models.csv",
        },
        seed=settings.seed,
    )
    result = calibrate(scenario.market, settings, progress=not args.quiet)
    written = write_outputs(result, scenario, folder, args)
    manifest.outputs = [path.name for path in written]
    manifest.write(folder)
    if args.quiet:
        return 0
    _print_summary(result, folder, len(written) + 1)
    return 0


def write_outputs(result: Any, scenario: Any, folder: Any, args: argparse.Namespace) -> list[Any]:
    """The calibrated scenario, the tables, calibration.json and the figures."""
    from abm.evidence import CREDIT
    from abm.experiments.calibration import (
        evidence_comparison,
        scenario_data,
        to_toml,
        toml_value,
    )
    from abm.io import write_json, write_table, write_text
    from abm.scenarios import json_ready, parse_scenario

    name = f"{scenario.name}_calibrated"
    fitted = result.parameters.set_index("parameter")["estimate"]
    description = (
        f"{scenario.name} calibrated to Epoch AI's Notable AI Models (abm calibrate evidence)"
    )
    data = scenario_data(scenario, result.market, name, description)
    header = (
        f"{name}: {scenario.name} ({scenario.source or 'scenario'}) calibrated by "
        f"`abm calibrate evidence` (seed {result.summary['settings']['seed']}).\n"
        f"{CREDIT}.\n"
        "Fitted (docs/evidence.md, 'Calibration'; intervals in calibration_parameters): "
        + ", ".join(f"{key} {fitted[key]:.4g}" for key in result.summary["free_parameters"])
        + f";\nα0 from the gap to the compute frontier: {toml_value(result.summary['alpha0'])}; "
        f"open frontier growth {result.growth.slope:.3f} OOM/year (used only by an exogenous "
        "frontier's catch-up)."
    )
    text = to_toml(data, header)
    import tomllib

    # the file must load as the scenario it claims to be (and `abm run` takes it)
    parse_scenario(tomllib.loads(text), name=name)
    written = [write_text(folder / f"{name}.toml", text)]
    # the two tables a reader opens first are small: always CSV too
    written += write_table(result.parameters, folder, "calibration_parameters", csv=True)
    written += write_table(result.moments, folder, "calibration_moments", csv=True)
    written += write_table(result.trace, folder, "calibration_trace", csv=args.format == "csv")
    written += write_table(result.panel, folder, "calibration_panel", csv=args.format == "csv")
    comparison = evidence_comparison(result)
    for key, frame in comparison.items():
        if len(frame):
            written += write_table(frame, folder, f"evidence_{key}", csv=args.format == "csv")
    summary = {"credit": CREDIT, "calibrated_scenario": f"{name}.toml", **result.summary}
    written.append(write_json(folder / "calibration.json", json_ready(summary)))
    if not args.no_figures:
        written += _figures(result, comparison, folder, svg=args.svg)
    return written


def _figures(result: Any, comparison: dict[str, Any], folder: Any, *, svg: bool) -> list[Any]:
    from abm.evidence import load_models
    from abm.experiments.calibration import open_frontier_years
    from abm.figures import apply_style, figure_formats, save_figure
    from abm.figures.calibration import alpha_figure, evidence_figure, fit_figure

    apply_style()
    formats = figure_formats(svg)
    written = save_figure(
        fit_figure(result.moments, result.summary), folder, "calibration_fit", formats
    )
    written += save_figure(
        alpha_figure(
            result.gaps,
            result.panel["gap"].to_numpy(),
            result.alpha,
            open_frontier_years(load_models()),
            result.growth,
        ),
        folder,
        "calibration_alpha0",
        formats,
    )
    written += save_figure(evidence_figure(comparison), folder, "calibration_evidence", formats)
    return written


def _print_summary(result: Any, folder: Any, files: int) -> None:
    summary = result.summary
    print(
        f"calibrated against {summary['n_models']} models in {summary['evaluations']} "
        f"evaluations: objective {summary['start_objective']:.4g} → {summary['objective']:.4g} "
        f"on fresh seeds (search: {summary['search_start_objective']:.4g} → "
        f"{summary['search_objective']:.4g})"
    )
    for row in result.parameters.itertuples(index=False):
        print(
            f"  {row.parameter:<32} {row.estimate:9.4g}  [{row.lower:.4g}, {row.upper:.4g}]"
            + ("" if row.identified else "  (not identified)")
        )
    print("  moment                              observed  simulated      z  (fresh seeds)")
    for row in result.moments.itertuples(index=False):
        print(f"  {row.moment:<34} {row.observed:8.3f}  {row.simulated:9.3f}  {row.z:+6.2f}")
    print(
        f"  fit: χ² = {summary['fit_statistic']:.2f} on {summary['degrees_of_freedom']} d.f., "
        f"p = {summary['fit_p_value']:.3g}"
    )
    print(f"wrote {files} files to {folder}")
