"""Executors: serial, a process pool and Dask, all behind ``concurrent.futures.Executor``.

The experiment runner only calls ``submit`` and waits on the returned futures, so the laptop, the
workstation and the cluster differ only in :func:`make_executor`. Dask is used through
``Client.get_executor()``; without a scheduler address a ``LocalCluster`` is started.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from abm.errors import ParameterError

EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")


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
        # spawn: workers import abm afresh (and Mesa forces spawn anyway).
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
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
