"""``abm sa``: global sensitivity analysis of a scenario (SALib Sobol' or Morris)."""

from __future__ import annotations

import argparse

from abm.cli.mc import add_executor_arguments
from abm.cli.sweep import add_experiment_arguments
from abm.options import integer

HELP = "sensitivity analysis of a scenario (Sobol' or Morris, with confidence intervals)"
DESCRIPTION = (
    "Samples the market parameters of [experiment.parameters] (or --param NAME=LOW:HIGH) with "
    "SALib, runs every point (replicated; the point's output is its mean outcome) through the "
    "same executors as mc, and analyses one outcome (experiment.outcome or --outcome). Sobol': "
    "first- and total-order indices S1, ST (N·(D+2) points, N a power of two); Morris: μ*, σ "
    "(N trajectories of D+1 points). Prints the table with 95 % confidence intervals and writes "
    "sensitivity.parquet, a bar chart, the runs and manifest.json."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm sa``."""
    add_experiment_arguments(parser, out="results/<name>-sa-<method>")
    parser.add_argument(
        "--method",
        choices=("sobol", "morris"),
        default="sobol",
        help="Sobol' (first and total order S1, ST) or Morris (μ*, σ)",
    )
    parser.add_argument(
        "--samples",
        type=integer(2, 1_000_000),
        default=None,
        metavar="N",
        help="Sobol' base samples (a power of two) or Morris trajectories "
        "(none: experiment.samples)",
    )
    parser.add_argument(
        "--outcome",
        default=None,
        metavar="NAME",
        help="observable to analyse; none: experiment.outcome",
    )
    add_executor_arguments(parser)


def _check_outcome(outcome: str) -> None:
    """Raise ParameterError naming --outcome unless ``outcome`` is an observable."""
    from abm.errors import ParameterError
    from abm.market import OBSERVABLES
    from abm.schema import suggest

    if outcome not in OBSERVABLES:
        hint = suggest(outcome, list(OBSERVABLES), "observables")
        raise ParameterError(f"--outcome must be an observable, got {outcome!r}{hint}")


def run(args: argparse.Namespace) -> int:
    """Run ``abm sa``."""
    from pathlib import Path

    from abm.cli._execution import check_execution, execute, start_workers_early, summarise

    start_workers_early(args)  # a pool's workers import alongside this process

    from abm.cli.run import resolve_scenario
    from abm.cli.sweep import bounds_option, replications_option
    from abm.experiments.runner import Experiment
    from abm.experiments.sampling import sample_matrix, sample_points, sample_size
    from abm.experiments.sensitivity import analyse, point_outcomes
    from abm.io import write_table
    from abm.scenarios import Scenario, check_run_count, check_scenario

    scenario: Scenario = resolve_scenario(args)
    if args.outcome is not None:
        _check_outcome(args.outcome)  # named as the option, not as the key it sets
        scenario = scenario.replace(**{"experiment.outcome": args.outcome})
        check_scenario(scenario)
    check_execution(args)
    for name, numbers in args.param or []:
        if len(numbers) != 2:
            from abm.errors import ParameterError

            raise ParameterError(f"--param {name} must be NAME=LOW:HIGH for abm sa")
    bounds = bounds_option(args, scenario)
    samples = args.samples or scenario.experiment.samples
    named = "--samples" if args.samples else "experiment.samples"
    replications = args.replications or scenario.experiment.replications
    check_run_count(
        sample_size(args.method, len(bounds), samples),
        replications,
        f"{named} {samples} ({args.method} sample)",
        replications_option(args, replications),
    )
    matrix = sample_matrix(args.method, bounds, samples, scenario.seed, name=named)
    experiment = Experiment(
        scenario,
        points=sample_points(matrix, list(bounds)),
        replications=replications,
        steps=scenario.horizon.steps,
        chunk_size=args.chunk_size or scenario.experiment.chunk_size,
    )
    folder = Path(args.out) if args.out else Path("results") / f"{scenario.name}-sa-{args.method}"
    design = {"method": args.method, "samples": samples, "bounds": bounds}
    result, manifest = execute("sa", experiment, folder, args, {"design": design})
    code = summarise(result, folder, f"sa {scenario.name} (seed {scenario.seed})")
    if result.stopped or not (folder / "runs.parquet").exists():
        manifest.write(folder)
        return code
    import pandas as pd

    outcome = scenario.experiment.outcome
    runs = pd.read_parquet(folder / "runs.parquet")
    outputs = point_outcomes(runs, outcome, len(experiment.points))
    table = analyse(args.method, bounds, matrix, outputs, scenario.seed)
    written = write_table(table, folder, "sensitivity", csv=args.format == "csv")
    if scenario.output.figures and not args.no_figures:
        from abm.figures.runs import sensitivity_figure
        from abm.figures.style import figure_formats

        formats = figure_formats(args.svg)
        written += sensitivity_figure(
            table, args.method, outcome, folder, scenario.name, formats=formats
        )
    manifest.outputs += [path.name for path in written]
    manifest.write(folder)
    print(f"{args.method} sensitivity of {outcome} ({len(experiment.points)} points):")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return code
