"""``abm mc``: Monte Carlo replications of a scenario, on one machine or a Dask cluster."""

from __future__ import annotations

import argparse

from abm.options import (
    MAX_REPLICATIONS,
    MAX_SEED,
    MAX_STEPS,
    add_force_argument,
    add_format_argument,
    add_svg_argument,
    folder,
    integer,
)

HELP = "Monte Carlo replications of a scenario (serial, process pool or Dask), resumable"
DESCRIPTION = (
    "Runs N replications of a scenario. Run i has the seed of child i of "
    "SeedSequence(master seed), so the results are identical whatever the executor and the "
    "number of workers. Runs are grouped into chunks streamed to DIR/chunks/ (memory does not "
    "grow with N); --resume skips the chunks a crashed experiment finished. Writes runs.parquet "
    "(one row per run: seed, status, each observable's mean over the last output.summary_window "
    "periods), timeseries.parquet (run_id, step, observables), agents.parquet (if the scenario "
    "asks), a fan chart (PNG; SVG too with --svg) and manifest.json. A run that raises is "
    "reported with its run id and seed and the experiment goes on (exit code 1 at the end; "
    "--fail-fast stops at once). Dask: --executor dask starts a LocalCluster; --scheduler "
    "tcp://HOST:PORT uses a running one."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm mc``."""
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add_size_arguments(
        parser,
        replications="replications; none: the scenario's experiment.replications",
        out="output folder; none: results/<name>-mc",
    )
    add_executor_arguments(parser)


def add_size_arguments(parser: argparse.ArgumentParser, *, replications: str, out: str) -> None:
    """``--replications``, ``--seed``, ``--steps`` and ``--out``, shared by the experiment commands.

    Their limits are the scenario schema's (:mod:`abm.options`).
    """
    parser.add_argument(
        "--replications",
        type=integer(1, MAX_REPLICATIONS),
        default=None,
        metavar="N",
        help=replications,
    )
    parser.add_argument(
        "--seed", type=integer(0, MAX_SEED), default=None, metavar="N", help="master seed"
    )
    parser.add_argument(
        "--steps", type=integer(1, MAX_STEPS), default=None, metavar="N", help="periods"
    )
    parser.add_argument("--out", type=folder, default=None, metavar="DIR", help=out)
    add_force_argument(parser)


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every experiment command takes (imports only argparse-level helpers)."""
    group = parser.add_argument_group("execution")
    group.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        default=None,
        help="serial, a process pool, or Dask (none: serial; process with --workers > 1; "
        "dask with --scheduler)",
    )
    group.add_argument(
        "--workers",
        type=integer(1, 4096),
        default=None,
        metavar="W",
        help="worker processes; none: 1 for serial, the usable CPUs otherwise",
    )
    group.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.1:8786 (implies dask)",
    )
    group.add_argument(
        "--chunk-size",
        type=integer(1, 100_000),
        default=None,
        metavar="K",
        help="runs per task and per chunk file; none: the scenario's experiment.chunk_size",
    )
    group.add_argument("--resume", action="store_true", help="skip runs finished in --out")
    group.add_argument("--fail-fast", action="store_true", help="stop at the first failed run")
    add_format_argument(group, resumable=True)
    group.add_argument(
        "--quiet", action="store_true", help="print nothing on success (no progress bar)"
    )
    group.add_argument("--no-figures", action="store_true", help="skip the figures")
    add_svg_argument(group)


def run(args: argparse.Namespace) -> int:
    """Run ``abm mc``."""
    from pathlib import Path

    from abm.cli._execution import check_execution, execute, start_workers_early, summarise

    start_workers_early(args)  # a pool's workers import alongside this process

    from abm.cli.run import resolve_scenario
    from abm.experiments.runner import Experiment

    scenario = resolve_scenario(args)
    check_execution(args)  # option errors before anything runs
    experiment = Experiment(
        scenario,
        points=({},),
        replications=args.replications or scenario.experiment.replications,
        steps=scenario.horizon.steps,
        chunk_size=args.chunk_size or scenario.experiment.chunk_size,
    )
    folder = Path(args.out) if args.out else Path("results") / f"{scenario.name}-mc"
    result, manifest = execute("mc", experiment, folder, args)
    drawn = not result.stopped and scenario.output.figures and not args.no_figures
    if drawn and (folder / "timeseries.parquet").exists():
        from abm.figures.runs import fan_chart
        from abm.figures.style import figure_formats

        formats = figure_formats(args.svg)
        written = fan_chart(folder / "timeseries.parquet", folder, scenario.name, formats=formats)
        manifest.outputs += [path.name for path in written]
    manifest.write(folder)
    code = summarise(result, folder, f"mc {scenario.name} (seed {scenario.seed})")
    if (folder / "runs.parquet").exists():
        _print_outcomes(folder, scenario.experiment.outcome, scenario.output.summary_window)
    return code


def _print_outcomes(folder: object, outcome: str, window: int) -> None:
    """Mean, standard deviation and 5–95 % range across runs of a few outcomes."""
    from pathlib import Path

    import pandas as pd

    names = list(dict.fromkeys([outcome, "participation", "open_share", "hhi", "welfare"]))
    runs = pd.read_parquet(Path(str(folder)) / "runs.parquet", columns=["status", *names])
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        return
    last = "the last period" if window == 1 else f"the last {window} periods"
    print(f"across {len(ok)} runs (each run: mean over {last}):")
    print(f"  {'':<14} {'mean':>10} {'sd':>10} {'5%':>10} {'95%':>10}")
    for name in names:
        values = ok[name]
        low, high = values.quantile([0.05, 0.95])
        print(
            f"  {name:<14} {values.mean():>10.4g} {values.std():>10.4g} {low:>10.4g} {high:>10.4g}"
        )
