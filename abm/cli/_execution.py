"""How ``abm mc``, ``abm sweep`` and ``abm sa`` run a study: options in, summary out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from abm.experiments.runner import Study, StudyResult
    from abm.experiments.study import Execution


def execution(args: argparse.Namespace) -> Execution:
    """The execution settings the options ask for."""
    from abm.experiments.study import Execution

    return Execution(
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        fail_fast=args.fail_fast,
        progress=not args.quiet,
        csv=args.csv,
    )


def check_execution(args: argparse.Namespace) -> None:
    """Raise ParameterError now, before anything runs, if the executor options clash."""
    from abm.experiments.study import resolve_execution

    resolve_execution(args.executor, args.workers, args.scheduler)


def execute(
    command: str,
    study: Study,
    folder: Path,
    args: argparse.Namespace,
    extra: dict[str, Any] | None = None,
) -> tuple[StudyResult, Any]:
    """Run ``study`` as the options say; an aborted study is one line on stderr and exit 1."""
    from abm.experiments.runner import StudyAbortedError
    from abm.experiments.study import execute as execute_study

    try:
        return execute_study(command, study, folder, execution(args), extra)
    except StudyAbortedError as error:
        print(f"abm {command}: error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def summarise(result: StudyResult, folder: Path, description: str) -> int:
    """Print the study's summary; return the exit code (1 if any run failed)."""
    failed = len(result.failures)
    print(
        f"{description}: {result.n_runs} runs ({result.ran} now, {result.resumed} resumed), "
        f"{failed} failed, {result.wall_seconds:.1f} s"
    )
    for failure in result.failures[:10]:
        print(f"  run {failure.run_id} (seed {failure.seed}): {failure.error}", file=sys.stderr)
    if failed > 10:
        print(f"  … and {failed - 10} more (see runs.parquet)", file=sys.stderr)
    if result.stopped:
        print("stopped at the first failure (--fail-fast); --resume continues", file=sys.stderr)
    print(f"results in {folder}")
    return 1 if failed else 0
