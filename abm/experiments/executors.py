"""Executors: serial, a process pool and Dask, all behind ``concurrent.futures.Executor``.

The experiment runner only calls ``submit`` and waits on the returned futures, so the laptop, the
workstation and the cluster differ only in :func:`make_executor`. Dask is used through
``Client.get_executor()``; without a scheduler address a ``LocalCluster`` is started.

The process pool's workers start with their imports done: on Linux they are forked from a
forkserver that imported :data:`PRELOAD` once (about 1.5 s of CPU that a spawned worker pays
each, every time a pool starts), and that serves every pool the process opens. The forkserver
is a fresh single-threaded interpreter, not this process, so forking is safe even though this
process has threads (progress bar, pyarrow). Elsewhere (macOS, Windows) workers are spawned.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from abm.errors import ParameterError

EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")

#: What a process pool's workers import before their first task (the runner's chunk function,
#: the simulation, the stacked market with pandas): once, in the forkserver. Mesa is
#: left out: stacked runs do without it (a worker imports it the
#: first time it runs a market that cannot be stacked), which spares every pool 0.7 s.
PRELOAD: tuple[str, ...] = (
    "abm.experiments.runner",
    "abm.experiments.simulate",
    "abm.market.batch",
    "pandas",
)


class SerialExecutor(Executor):
    """Runs each task in the calling process when it is submitted."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # a task's error belongs to its future
            future.set_exception(error)
        return future


def default_workers() -> int:
    """Workers when none are asked for: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def process_context() -> multiprocessing.context.BaseContext:
    """The start method of the process pool's workers: forkserver with :data:`PRELOAD` on Linux.

    Mesa sets the *default* start method to spawn when it is imported (``mesa.batchrunner``);
    an explicit context is not affected by that. macOS and Windows spawn (fork-based methods are
    not safe with macOS's system libraries, and Windows has none).
    """
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        # Applies when the forkserver starts (once per process); later calls change nothing.
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - not Linux


def start_workers_early() -> None:
    """Start the process pool's forkserver now, in the background (Linux; elsewhere nothing).

    Its imports (:data:`PRELOAD`, about 1.5 s) then run on another core while this process
    reads the scenario and imports the same libraries, instead of after it, when the first
    worker is asked for. Commands call this first thing when their options ask for a pool.
    """
    if process_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def start_worker(environment: Mapping[str, str]) -> None:
    """Worker initializer: take the parent's environment as it is now; hold freed memory.

    A forked worker inherits the forkserver's environment, fixed when the server started; the
    market reads settings from the environment (``ABM_MAX_MEMORY``, which ``abm --max-memory``
    sets), so each pool's workers get the environment of the moment the pool opens, as spawned
    workers would. The allocator's settings (:func:`abm.allocator.hold_freed_memory`) are the
    command's.
    """
    from abm.allocator import hold_freed_memory

    os.environ.clear()
    os.environ.update(environment)
    hold_freed_memory()


@contextlib.contextmanager
def make_executor(
    kind: str, workers: int = 1, scheduler: str | None = None
) -> Iterator[tuple[Executor, str]]:
    """Open an executor; yields ``(executor, description)`` and shuts it down afterwards.

    Args:
        kind: ``"serial"``, ``"process"`` or ``"dask"``.
        workers: Worker processes (process pool, or the LocalCluster's workers).
        scheduler: Dask scheduler address (``tcp://host:port``); None starts a LocalCluster.
    """
    if kind not in EXECUTORS:
        raise ParameterError(f"--executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    if kind == "serial":
        yield SerialExecutor(), "serial"
    elif kind == "process":
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=process_context(),
            initializer=start_worker,
            initargs=(dict(os.environ),),
        ) as pool:
            yield pool, f"process pool, {workers} workers"
    else:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ParameterError(
                "--executor dask needs the 'cluster' extra: pip install 'openness-abm[cluster]'"
            ) from None
        if scheduler is None:
            with (
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                Client(cluster) as client,
            ):
                yield client.get_executor(pure=False), f"dask LocalCluster, {workers} workers"
        else:
            try:
                client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError, ValueError) as error:
                raise ParameterError(
                    f"--scheduler {scheduler}: cannot connect to a Dask scheduler ({error})"
                ) from None
            with client:
                count = len(client.scheduler_info().get("workers", {}))
                yield (
                    client.get_executor(pure=False),
                    f"dask scheduler {scheduler}, {count} workers",
                )


def pool_map(
    function: Callable[..., Any], calls: Sequence[tuple[Any, ...]], workers: int
) -> list[Any]:
    """``[function(*call) for call in calls]``, on a process pool when ``workers`` is above 1.

    For independent tasks that each depend on their arguments alone (their own seed): the
    results, in order, are then the same whatever the workers. ``function`` must be importable
    by name (a module-level function); the pool has at most one worker per call.
    """
    workers = min(workers, len(calls))
    if workers <= 1:
        return [function(*call) for call in calls]
    with make_executor("process", workers) as (executor, _):
        return list(executor.map(function, *zip(*calls, strict=True)))
