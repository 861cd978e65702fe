"""How ``abm mc``, ``abm sweep`` and ``abm sa`` run an experiment: options in, summary out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm.options import format_size

if TYPE_CHECKING:
    from abm.experiments.execution import Execution
    from abm.experiments.runner import Experiment, ExperimentResult


def execution(args: argparse.Namespace) -> Execution:
    """The execution settings the options ask for."""
    from abm.experiments.execution import Execution

    return Execution(
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        fail_fast=args.fail_fast,
        progress=not args.quiet,
        csv=args.format == "csv",
        force=args.force,
    )


def start_workers_early(args: argparse.Namespace) -> None:
    """Start a process pool's workers now if the options ask for one (in the background).

    See :func:`abm.experiments.executors.start_workers_early`: their imports then run alongside
    this process's own.
    """
    kind = args.executor or ("process" if (args.workers or 1) > 1 and not args.scheduler else None)
    if kind == "process":
        from abm.experiments.executors import start_workers_early as start

        start()


def check_execution(args: argparse.Namespace) -> None:
    """Raise ParameterError now, before anything runs, if the executor options clash."""
    from abm.experiments.execution import resolve_execution

    resolve_execution(args.executor, args.workers, args.scheduler)


#: Agent-periods above which an experiment's size is printed before it starts.
LARGE = 10**9
#: A rough cost per agent-period (benchmarks/bench_market.py: 1–7 µs at 10⁴ agents).
SECONDS_PER_AGENT_PERIOD = 3e-6


def execute(
    command: str,
    experiment: Experiment,
    folder: Path,
    args: argparse.Namespace,
    extra: dict[str, Any] | None = None,
) -> tuple[ExperimentResult, Any]:
    """Run ``experiment`` as the options say; an abort is one line on stderr, exit 1."""
    from abm.experiments.execution import execute as execute_experiment
    from abm.experiments.runner import ExperimentAbortedError

    agent_periods, peak = experiment.size()
    if agent_periods > LARGE:  # say what is coming before a long wait
        hours = agent_periods * SECONDS_PER_AGENT_PERIOD / 3600 / max(1, args.workers or 1)
        print(
            f"abm {command}: {experiment.n_runs} runs × {experiment.steps} periods, "
            f"{agent_periods:.3g} agent-periods: roughly {hours:.2g} h at "
            f"{SECONDS_PER_AGENT_PERIOD * 1e6:g} µs per agent-period and "
            f"{format_size(peak)} peak memory per worker"
        )
    try:
        return execute_experiment(command, experiment, folder, execution(args), extra)
    except ExperimentAbortedError as error:
        print(f"abm {command}: error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def summarise(result: ExperimentResult, folder: Path, description: str) -> int:
    """Print the experiment's summary; return the exit code (1 if any run failed)."""
    failed = len(result.failures)
    print(
        f"{description}: {result.n_runs} runs ({result.ran} now, {result.resumed} resumed), "
        f"{failed} failed, {result.wall_seconds:.1f} s ({result.executor or 'serial'})"
    )
    for failure in result.failures[:10]:
        print(f"  run {failure.run_id} (seed {failure.seed}): {failure.error}", file=sys.stderr)
    if failed > 10:
        print(f"  … and {failed - 10} more (see runs.parquet)", file=sys.stderr)
    if result.stopped:
        print("stopped at the first failure (--fail-fast); --resume continues", file=sys.stderr)
    print(f"results in {folder}")
    return 1 if failed else 0
