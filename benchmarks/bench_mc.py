"""Benchmark: Monte Carlo throughput, parallel efficiency, memory and Dask overhead.

Runs the shipped baseline scenario (``scenarios/baseline.toml``) through the study runner:

1. serial throughput (runs per second; every timing is the best of ``--repeat``);
2. a spawn process pool with 2 workers: parallel efficiency T_serial / (2 · T_pool), with the pool
   warm (start-up excluded) and cold (start-up included); target ≥ 0.8 on 2 cores;
3. peak memory of the main process for 100 and 1,000 replications (each in a fresh
   subprocess; maximum resident set size), target: flat;
4. the same study through Dask's ``LocalCluster`` (2 workers): runs per second, cluster
   start-up, and overhead per run against the warm process pool.

    python benchmarks/bench_mc.py                    # the defaults below
    python benchmarks/bench_mc.py --runs 40 --steps 200 --memory-steps 20
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def study(runs: int, steps: int, chunk_size: int):
    """The baseline scenario as a study of ``runs`` replications."""
    from abm.experiments.runner import Experiment
    from abm.scenarios import load_scenario

    scenario = load_scenario(BASELINE)
    scenario = scenario.replace(**{"horizon.steps": steps, "output.summary_window": min(steps, 20)})
    return Experiment(scenario, ({},), runs, steps, chunk_size)


def timed(executor, the_study, workers: int) -> float:
    """Wall seconds of one study into a fresh temporary folder."""
    from abm.experiments.runner import run_experiment

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        run_experiment(the_study, folder, executor, workers=workers, progress=False)
        return time.perf_counter() - started


def memory_child(runs: int, steps: int) -> None:
    """Run one serial study and print the peak resident set size in MiB."""
    from abm.experiments.executors import SerialExecutor

    timed(SerialExecutor(), study(runs, steps, 25), 1)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kib / 1024:.1f}")


def peak_memory(runs: int, steps: int) -> float:
    """Peak RSS (MiB) of a fresh process running a serial study of ``runs`` replications."""
    output = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(runs), "--steps", str(steps)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="replications (throughput)")
    parser.add_argument("--steps", type=int, default=200, help="periods per run")
    parser.add_argument("--chunk-size", type=int, default=5, help="runs per task")
    parser.add_argument("--repeat", type=int, default=3, help="timings: best of this many")
    parser.add_argument("--memory-steps", type=int, default=20, help="periods (memory test)")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, args.steps)
        return

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from abm.experiments.executors import SerialExecutor, make_executor

    the_study = study(args.runs, args.steps, args.chunk_size)
    print(
        f"baseline scenario, {args.runs} runs of {args.steps} periods, chunks of {args.chunk_size}"
    )
    timed(SerialExecutor(), study(2, args.steps, 1), 1)  # warm-up: imports, caches
    # best of --repeat: the machine may be shared, and the minimum is the least disturbed run
    serial = min(timed(SerialExecutor(), the_study, 1) for _ in range(args.repeat))
    print(f"serial:               {serial:7.2f} s   {args.runs / serial:7.2f} runs/s")

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        cold = timed(pool, the_study, 2)  # the pool spawns its workers on first use
        warm = min(timed(pool, the_study, 2) for _ in range(args.repeat))
    print(
        f"process pool, 2 workers: {warm:7.2f} s   {args.runs / warm:7.2f} runs/s   "
        f"efficiency {serial / (2 * warm):.2f} warm, {serial / (2 * cold):.2f} "
        "with pool start-up"
    )

    started = time.perf_counter()
    with make_executor("dask", 2) as (executor, _):
        startup = time.perf_counter() - started
        dask_cold = timed(executor, the_study, 2)
        dask_warm = min(timed(executor, the_study, 2) for _ in range(args.repeat))
    overhead = (dask_warm - warm) / args.runs
    print(
        f"dask LocalCluster, 2:  {dask_warm:7.2f} s   {args.runs / dask_warm:7.2f} runs/s   "
        f"efficiency {serial / (2 * dask_warm):.2f}; cluster start-up {startup:.1f} s, "
        f"first study {dask_cold:.2f} s; "
        f"overhead {1000 * overhead:+.1f} ms per run against the process pool"
    )

    small = peak_memory(100, args.memory_steps)
    large = peak_memory(1000, args.memory_steps)
    print(
        f"peak RSS of the main process ({args.memory_steps} periods per run): "
        f"100 runs {small:.0f} MiB, 1,000 runs {large:.0f} MiB (ratio {large / small:.2f})"
    )


if __name__ == "__main__":
    main()
