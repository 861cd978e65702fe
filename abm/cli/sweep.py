"""``abm sweep``: a parameter sweep of a scenario, on a grid or a SALib sample."""

from __future__ import annotations

import argparse
from typing import Any

from abm.cli.mc import add_executor_arguments, add_size_arguments

HELP = "parameter sweep of a scenario: a grid (--param) or an LHS/Sobol sample (--sample)"
DESCRIPTION = (
    "Runs a scenario at many parameter points, each replicated (experiment.replications or "
    "--replications). --param NAME=START:STOP:COUNT (repeatable) sweeps a market parameter on "
    "an evenly spaced grid (full factorial); NAME is its path in the [market] table, e.g. "
    "regulator.penalty or generalists.alpha0.high. --sample lhs|sobol N draws N points (Sobol: "
    "N·(D+2), N a power of two) with SALib within bounds given as --param NAME=LOW:HIGH or by "
    "[experiment.parameters]. Without --param/--sample the scenario's [experiment] block is "
    "used. Writes runs.parquet (one row per run, with the parameter values), "
    "timeseries.parquet, a figure and manifest.json; the execution options are those of mc."
)


def parameter(text: str) -> tuple[str, tuple[float, ...]]:
    """Parse ``NAME=START:STOP:COUNT`` or ``NAME=LOW:HIGH`` (argparse type)."""
    name, sep, spec = text.partition("=")
    parts = spec.split(":")
    try:
        numbers = tuple(float(part) for part in parts)
    except ValueError:
        numbers = ()
    if not sep or not name or len(numbers) not in (2, 3):
        raise argparse.ArgumentTypeError(
            f"must be NAME=START:STOP:COUNT (grid) or NAME=LOW:HIGH (sampler), got {text!r}"
        )
    if len(numbers) == 3 and (numbers[2] != int(numbers[2]) or not 1 <= numbers[2] <= 10_000):
        raise argparse.ArgumentTypeError(f"COUNT must be an integer in [1, 10000], got {text!r}")
    return name, numbers


def add_experiment_arguments(parser: argparse.ArgumentParser, *, out: str) -> None:
    """The scenario, seed, steps, replications and output options of sweep and sa.

    Args:
        parser: The command's parser.
        out: The command's default output folder, as its --help says it.
    """
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    parser.add_argument(
        "--param",
        type=parameter,
        action="append",
        default=None,
        metavar="NAME=A:B[:COUNT]",
        help="market parameter to vary (repeatable, once per parameter)",
    )
    add_size_arguments(
        parser,
        replications="runs per point; none: the scenario's experiment.replications",
        out=f"output folder; none: {out}",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm sweep``."""
    add_experiment_arguments(parser, out="results/<name>-sweep")
    parser.add_argument(
        "--sample",
        nargs=2,
        default=None,
        metavar=("SAMPLER", "N"),
        help="lhs or sobol, and N",
    )
    add_executor_arguments(parser)


def _sample_option(args: argparse.Namespace) -> tuple[str, int] | None:
    from abm.errors import ParameterError

    if args.sample is None:
        return None
    sampler, count = args.sample
    if sampler not in ("lhs", "sobol"):
        raise ParameterError(f"--sample must be lhs or sobol, got {sampler!r}")
    try:
        samples = int(count)
    except ValueError:
        samples = 0
    if samples < 1:
        raise ParameterError(f"--sample N must be an integer >= 1, got {count!r}")
    return sampler, samples


def check_repeated_params(args: argparse.Namespace) -> None:
    """Refuse a parameter given twice by --param: one value would silently replace the other."""
    from abm.errors import ParameterError

    seen: set[str] = set()
    for name, _ in args.param or []:
        if name in seen:
            raise ParameterError(
                f"--param {name} is given more than once; give each parameter once"
            )
        seen.add(name)


def bounds_option(args: argparse.Namespace, scenario: Any) -> dict[str, tuple[float, float]]:
    """Sampler bounds from --param NAME=LOW:HIGH, or the scenario's experiment.parameters."""
    from abm.errors import ParameterError
    from abm.scenarios import check_bounds

    if not args.param:
        return dict(scenario.experiment.parameters)
    check_repeated_params(args)
    bounds = {}
    for name, numbers in args.param:
        if len(numbers) != 2 or not numbers[0] < numbers[1]:
            raise ParameterError(f"--param {name} must be NAME=LOW:HIGH with LOW < HIGH here")
        bounds[name] = (numbers[0], numbers[1])
    check_bounds(scenario, bounds, "--param")
    return bounds


def replications_option(args: argparse.Namespace, replications: int) -> str:
    """How the user gave the replications, for an error message."""
    given = args.replications is not None
    return f"{'--replications' if given else 'experiment.replications'} {replications}"


def run(args: argparse.Namespace) -> int:
    """Run ``abm sweep``."""
    import math
    from pathlib import Path

    from abm.cli._execution import check_execution, execute, start_workers_early, summarise

    start_workers_early(args)  # a pool's workers import alongside this process

    from abm.cli.run import resolve_scenario
    from abm.errors import ParameterError
    from abm.experiments.runner import Experiment
    from abm.experiments.sampling import grid_points, sample_matrix, sample_points, sample_size
    from abm.scenarios import check_points, check_run_count, grid_values

    scenario = resolve_scenario(args)
    check_execution(args)
    sample = _sample_option(args)
    table = scenario.experiment
    replications = args.replications or table.replications
    if sample is None and table.sampler in ("lhs", "sobol") and not args.param:
        sample = (table.sampler, table.samples)
    if sample is not None:
        sampler, samples = sample
        bounds = bounds_option(args, scenario)
        named = "--sample N" if args.sample else "experiment.samples"
        check_run_count(
            sample_size(sampler, len(bounds), samples),
            replications,
            f"{named} {samples} ({sampler} sample)",
            replications_option(args, replications),
        )
        matrix = sample_matrix(sampler, bounds, samples, scenario.seed, name=named)
        points = sample_points(matrix, list(bounds))
        names, design = list(bounds), {"sampler": sampler, "samples": samples, "bounds": bounds}
    else:
        if args.param:
            check_repeated_params(args)
            sweep = {}
            for name, numbers in args.param:
                if len(numbers) != 3:
                    raise ParameterError(f"--param {name} must be NAME=START:STOP:COUNT for a grid")
                start, stop, count = numbers
                sweep[name] = grid_values(
                    f"--param {name}", {"start": start, "stop": stop, "count": int(count)}
                )
        else:
            sweep = dict(table.sweep)
        if not sweep:
            raise ParameterError(
                "nothing to sweep: give --param NAME=START:STOP:COUNT, --sample, or an "
                "[experiment.sweep] table"
            )
        check_run_count(  # before check_points builds the grid's points
            math.prod(len(values) for values in sweep.values()),
            replications,
            "--param grid" if args.param else "experiment.sweep grid",
            replications_option(args, replications),
        )
        if args.param:  # (the scenario's own grid was checked when it was loaded)
            check_points(scenario, sweep, "--param")
        points = grid_points(sweep)
        names, design = list(sweep), {"sampler": "grid", "sweep": sweep}
    experiment = Experiment(
        scenario,
        points=points,
        replications=replications,
        steps=scenario.horizon.steps,
        chunk_size=args.chunk_size or table.chunk_size,
    )
    folder = Path(args.out) if args.out else Path("results") / f"{scenario.name}-sweep"
    result, manifest = execute("sweep", experiment, folder, args, {"design": design})
    outcome = table.outcome
    if not result.stopped and (folder / "runs.parquet").exists():
        import pandas as pd

        runs = pd.read_parquet(folder / "runs.parquet")
        if scenario.output.figures and not args.no_figures and outcome in runs:
            from abm.figures.runs import sweep_figure
            from abm.figures.style import figure_formats

            written = sweep_figure(
                runs,
                names,
                outcome,
                folder,
                scenario.name,
                sampled=sample is not None,
                formats=figure_formats(args.svg),
            )
            manifest.outputs += [path.name for path in written]
    manifest.write(folder)
    code = summarise(result, folder, f"sweep {scenario.name} (seed {scenario.seed})")
    if not result.stopped and (folder / "runs.parquet").exists():
        import pandas as pd

        _print_points(pd.read_parquet(folder / "runs.parquet"), names, outcome)
    return code


def _print_points(runs: Any, names: list[str], outcome: str) -> None:
    """The outcome at each point (mean and sd over its replications), at most 30 of them."""
    ok = runs[runs["status"] == "ok"]
    if outcome not in ok or ok.empty:
        return
    table = ok.groupby(names)[outcome].agg(["mean", "std"])
    shown = f"the first 30 of {len(table)} points; runs.parquet has all" if len(table) > 30 else ""
    print(f"{outcome} by point (mean, sd over replications{'; ' + shown if shown else ''}):")
    print(table.head(30).to_string(float_format=lambda v: f"{v:.4g}"))
