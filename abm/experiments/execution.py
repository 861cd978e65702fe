"""What ``abm mc``, ``abm sweep`` and ``abm sa`` share: the executor and running an experiment.

Plain arguments in, results out: the command line turns its options into an
:class:`Execution`, and reports what :func:`execute` returns or raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abm.errors import ParameterError
from abm.experiments.runner import (
    Experiment,
    ExperimentResult,
    finished_chunks,
    prepare_output,
    run_experiment,
)


@dataclass(frozen=True)
class Execution:
    """How an experiment runs.

    Attributes:
        executor: ``"serial"``, ``"process"`` or ``"dask"``; None chooses (see
            :func:`resolve_execution`).
        workers: Worker processes; None: 1 for serial, the usable CPUs otherwise.
        scheduler: Address of a running Dask scheduler, or None.
        resume: Skip the chunks a previous run of the same experiment finished.
        fail_fast: Stop at the first failed run.
        progress: Show a progress bar.
        csv: Also write the tables as CSV.
        force: Replace the folder whole if it holds other outputs.
    """

    executor: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    resume: bool = False
    fail_fast: bool = False
    progress: bool = True
    csv: bool = False
    force: bool = False


def resolve_execution(
    executor: str | None = None, workers: int | None = None, scheduler: str | None = None
) -> tuple[str, int]:
    """The executor kind and worker count asked for.

    Args:
        executor: The kind asked for, or None: dask with a scheduler, a process pool with more
            than one worker, serial otherwise.
        workers: Worker processes, or None for the kind's default.
        scheduler: Address of a running Dask scheduler, or None.

    Returns:
        (kind, workers).

    Raises:
        ParameterError: The three do not fit together.
    """
    from abm.experiments.executors import default_workers

    kind = executor
    if kind is None:
        if scheduler is not None:
            kind = "dask"
        elif workers is not None and workers > 1:
            kind = "process"
        else:
            kind = "serial"
    if scheduler is not None and kind != "dask":
        raise ParameterError(f"--scheduler needs --executor dask, got --executor {kind}")
    if kind == "serial" and workers not in (None, 1):
        raise ParameterError(f"--workers must be 1 with --executor serial, got {workers}")
    return kind, workers or (1 if kind == "serial" else default_workers())


def fit_to_chunks(kind: str, workers: int, chunks: int) -> tuple[str, int, str]:
    """The executor for ``chunks`` chunks still to run: a process pool only if it has work to share.

    A chunk is the unit of work a worker takes, so a pool never runs more than ``chunks`` tasks
    at once: its workers are capped at the chunk count, and with one chunk (or none) the
    experiment runs in this process, since starting workers would cost their start-up and gain
    nothing. The results are the same whatever the executor (a run's seed is fixed by its id).
    Dask and serial are left as asked.

    Returns:
        (kind, workers, note): ``note`` says why the executor changed, or is empty.

    Examples:
        >>> fit_to_chunks("process", 2, 1)
        ('serial', 1, 'serial: 1 chunk to run, nothing for a process pool to share')
        >>> fit_to_chunks("process", 8, 3)
        ('process', 3, '')
    """
    if kind != "process":
        return kind, workers, ""
    if chunks <= 1:
        noun = "chunk" if chunks == 1 else "chunks"
        return "serial", 1, f"serial: {chunks} {noun} to run, nothing for a process pool to share"
    return kind, min(workers, chunks), ""


def execute(
    command: str,
    experiment: Experiment,
    folder: Path,
    execution: Execution,
    extra: dict[str, Any] | None = None,
) -> tuple[ExperimentResult, Any]:
    """Run ``experiment`` into ``folder`` as ``execution`` says; prepare the manifest.

    Args:
        command: The manifest's command name (``"mc"``, ``"sweep"``, ``"sa"``).
        experiment: The experiment to run.
        folder: Output folder.
        execution: Executor and runner switches.
        extra: More entries for the manifest's ``experiment`` block.

    Returns:
        The experiment result and the manifest (its ``outputs`` to be completed by the caller,
        which then calls ``manifest.write``).

    Raises:
        ParameterError: The execution settings do not fit together.
        ExperimentAbortedError: The experiment stopped (see :func:`.runner.run_experiment`).
    """
    from abm.experiments.executors import make_executor
    from abm.io import check_folder, claim_folder, replace_folder
    from abm.manifest import Manifest

    kind, workers = resolve_execution(execution.executor, execution.workers, execution.scheduler)
    replacing = execution.force and not execution.resume
    if not replacing:  # (a folder --force replaces may hold anything)
        check_folder(folder, command)  # refused before an executor is started for nothing
        prepare_output(experiment, folder, resume=execution.resume)  # before anything is written
    todo = experiment.n_chunks - (len(finished_chunks(folder)) if execution.resume else 0)
    kind, workers, note = fit_to_chunks(kind, workers, todo)
    manifest = Manifest(
        command,
        {
            "scenario": experiment.scenario.to_dict(),
            "experiment": {
                "runs": experiment.n_runs,
                "points": len(experiment.points),
                "replications": experiment.replications,
                "steps": experiment.steps,
                "chunk_size": experiment.chunk_size,
                **(extra or {}),
            },
        },
        seed=experiment.seed,
    )
    # The executor first: a scheduler that cannot be reached is refused before the folder is
    # touched, so a bad --scheduler neither creates the folder nor lets --force delete it.
    with make_executor(kind, workers, execution.scheduler) as (executor, description):
        if replacing:
            replace_folder(folder)
        claim_folder(folder, command)
        result = run_experiment(
            experiment,
            folder,
            executor,
            workers=workers,
            resume=execution.resume,
            fail_fast=execution.fail_fast,
            progress=execution.progress,
            csv=execution.csv,
        )
    if kind == "dask":
        from importlib.metadata import version

        description = f"{description} (distributed {version('distributed')})"
    result.executor = note or description
    manifest.parameters["execution"] = {
        "executor": result.executor,
        "workers": workers,
        "ran": result.ran,
        "resumed": result.resumed,
        "failures": len(result.failures),
        "stopped_early": result.stopped,
        "runs_per_second": round(result.ran / result.wall_seconds, 3) if result.ran else None,
    }
    manifest.outputs = ["experiment.json", *result.outputs]
    return result, manifest
