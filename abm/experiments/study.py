"""What ``abm mc``, ``abm sweep`` and ``abm sa`` share: executor options, running, reporting."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from abm.experiments.runner import Study, StudyAbortedError, StudyResult, prepare_output, run_study
from abm.validation import ParameterError


def resolve_execution(args: argparse.Namespace) -> tuple[str, int]:
    """The executor kind and worker count the options ask for."""
    from abm.experiments.executors import default_workers

    kind = args.executor
    if kind is None:
        if args.scheduler is not None:
            kind = "dask"
        elif args.workers is not None and args.workers > 1:
            kind = "process"
        else:
            kind = "serial"
    if args.scheduler is not None and kind != "dask":
        raise ParameterError(f"--scheduler needs --executor dask, got --executor {kind}")
    if kind == "serial" and args.workers not in (None, 1):
        raise ParameterError(f"--workers must be 1 with --executor serial, got {args.workers}")
    workers = args.workers or (1 if kind == "serial" else default_workers())
    return kind, workers


def execute(
    command: str,
    study: Study,
    folder: Path,
    args: argparse.Namespace,
    extra: dict[str, Any] | None = None,
) -> tuple[StudyResult, Any]:
    """Run ``study`` into ``folder`` with the executor the options ask for; write the manifest.

    Returns:
        The study result and the manifest (its ``outputs`` to be completed by the caller,
        which then calls ``manifest.write``).
    """
    from abm.experiments.executors import make_executor
    from abm.manifest import Manifest

    kind, workers = resolve_execution(args)
    prepare_output(study, folder, resume=args.resume)  # before anything is written
    manifest = Manifest(
        command,
        {
            "scenario": study.scenario.to_dict(),
            "study": {
                "runs": study.n_runs,
                "points": len(study.points),
                "replications": study.replications,
                "steps": study.steps,
                "chunk_size": study.chunk_size,
                **(extra or {}),
            },
        },
        seed=study.seed,
    )
    with make_executor(kind, workers, args.scheduler) as (executor, description):
        try:
            result = run_study(
                study,
                folder,
                executor,
                workers=workers,
                resume=args.resume,
                fail_fast=args.fail_fast,
                progress=not args.quiet,
                csv=args.csv,
            )
        except StudyAbortedError as error:
            print(f"abm {command}: error: {error}", file=sys.stderr)
            raise SystemExit(1) from None
    if kind == "dask":
        from importlib.metadata import version

        description = f"{description} (distributed {version('distributed')})"
    manifest.parameters["execution"] = {
        "executor": description,
        "workers": workers,
        "ran": result.ran,
        "resumed": result.resumed,
        "failures": len(result.failures),
        "stopped_early": result.stopped,
        "runs_per_second": round(result.ran / result.wall_seconds, 3) if result.ran else None,
    }
    manifest.outputs = ["study.json", *result.outputs]
    return result, manifest


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
