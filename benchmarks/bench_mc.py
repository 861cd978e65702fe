"""Benchmark: Monte Carlo throughput, parallel efficiency, memory and Dask overhead.

Runs the shipped baseline scenario (``scenarios/baseline.toml``) through the study runner.
Sections (``--sections``, comma-separated; default all):

- ``command``: ``abm mc --no-figures --quiet`` end to end in fresh processes, serially and with
  ``--workers 2``: wall time, CPU time of the whole process tree (the command, its forkserver
  and workers) and the parallel efficiency T_serial / (2 · T_2 workers), start-up included:
  what a user waits for. Target ≥ 0.8 on 2 cores. Twice: runs of ``--steps`` periods (short:
  the fixed start-up weighs most) and runs of the scenario's own horizon (``--horizon-steps``,
  timed once: what ``abm mc scenarios/baseline.toml`` runs).
- ``pool``: inside one process, serial throughput (runs per second) against the process pool
  that ``abm mc --workers 2`` opens (``make_executor``: forkserver workers on Linux), cold (the
  process's first pool: the forkserver's imports included) and warm (a later pool), and a spawn
  pool (every worker imports afresh; timed once) for comparison;
- ``dask``: the same experiment through Dask's ``LocalCluster`` (2 workers): runs per second,
  cluster start-up, and overhead per run against the warm process pool;
- ``memory``: peak memory of the main process for 100 and 1,000 replications (each in a fresh
  subprocess; maximum resident set size), target: flat.

Every timing is the best of ``--repeat`` (the machine may be shared: the minimum is the least
disturbed run).

    python benchmarks/bench_mc.py                                  # every section (~6 min)
    python benchmarks/bench_mc.py --sections command,pool          # efficiency (~4 min)
    python benchmarks/bench_mc.py --runs 40 --steps 200 --memory-steps 20
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SECTIONS = ("command", "pool", "dask", "memory")


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


def tree_child(command: list[str]) -> None:
    """Run ``command``; print its wall seconds and the CPU seconds of every process it started.

    A forkserver outlives the command's main process and is not its waited-for child, so this
    process becomes a subreaper (Linux): orphaned descendants are re-parented to it and reaped
    here, and their CPU time lands in ``RUSAGE_CHILDREN``.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    while True:  # reap the orphans (the forkserver exits once the command has)
        try:
            os.wait()
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{wall:.3f} {usage.ru_utime + usage.ru_stime:.3f}")


def command_cost(arguments: list[str]) -> tuple[float, float]:
    """(wall, CPU of the process tree) seconds of ``python -m abm ARGUMENTS``."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "abm", *arguments, "--out", str(Path(folder) / "out")]
        output = subprocess.run(
            [sys.executable, __file__, "--tree-child", *command],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    wall, cpu = (float(value) for value in output.split())
    return wall, cpu


def command_section(args: argparse.Namespace) -> None:
    """``abm mc`` end to end, serial against 2 workers: short runs, then the scenario's own."""
    from abm.scenarios import load_scenario

    horizon = args.horizon_steps
    horizon = load_scenario(BASELINE).horizon.steps if horizon is None else horizon
    lengths = [(args.steps, args.repeat, "")]
    if horizon:
        lengths.append((horizon, 1, " at the scenario's horizon"))
    for steps, repeat, label in lengths:
        base = ["mc", str(BASELINE), "--replications", str(args.runs), "--steps", str(steps)]
        base += ["--no-figures", "--quiet"]
        timings = {}
        for name, extra in (("serial", []), ("2 workers", ["--workers", "2"])):
            samples = [command_cost([*base, *extra]) for _ in range(repeat)]
            timings[name] = (min(s[0] for s in samples), min(s[1] for s in samples))
        serial, pool = timings["serial"], timings["2 workers"]
        print(f"abm mc, {args.runs} runs of {steps} periods, end to end (fresh processes):")
        for name, (wall, cpu) in timings.items():
            print(f"  {name:<10} {wall:7.2f} s wall   {cpu:7.2f} s CPU (process tree)")
        print(f"  parallel efficiency{label} {serial[0] / (2 * pool[0]):.2f} (start-up included)")


def pool_section(args: argparse.Namespace, the_study) -> float:
    """Serial against the command's process pool (cold and warm) and a spawn pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from abm.experiments.executors import SerialExecutor, make_executor

    serial = min(timed(SerialExecutor(), the_study, 1) for _ in range(args.repeat))
    print(f"serial:                  {serial:7.2f} s   {args.runs / serial:7.2f} runs/s")
    with make_executor("process", 2) as (pool, description):
        cold = timed(pool, the_study, 2)  # this process's first pool: the forkserver starts
    warm = []
    for _ in range(args.repeat):
        with make_executor("process", 2) as (pool, _):  # a new pool, as each command opens
            warm.append(timed(pool, the_study, 2))
    best = min(warm)
    print(
        f"{description}:  {best:7.2f} s   {args.runs / best:7.2f} runs/s   "
        f"efficiency {serial / (2 * best):.2f} warm, {serial / (2 * cold):.2f} with pool "
        "start-up (warm: a new pool; start-up: the process's first, with the forkserver's imports)"
    )
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        spawned = timed(pool, the_study, 2)  # each worker imports afresh; once, to compare
    print(
        f"spawn pool, 2 workers:   {spawned:7.2f} s   {args.runs / spawned:7.2f} runs/s   "
        f"efficiency {serial / (2 * spawned):.2f} (start-up included; one timing)"
    )
    return best


def dask_section(args: argparse.Namespace, the_study, serial: float, warm: float | None) -> None:
    """The experiment through a Dask LocalCluster of 2 workers."""
    from abm.experiments.executors import make_executor

    started = time.perf_counter()
    with make_executor("dask", 2) as (executor, _):
        startup = time.perf_counter() - started
        dask_cold = timed(executor, the_study, 2)
        dask_warm = min(timed(executor, the_study, 2) for _ in range(args.repeat))
    overhead = "" if warm is None else (
        f"; overhead {1000 * (dask_warm - warm) / args.runs:+.1f} ms per run against the "
        "process pool"
    )  # fmt: skip
    print(
        f"dask LocalCluster, 2:    {dask_warm:7.2f} s   {args.runs / dask_warm:7.2f} runs/s   "
        f"efficiency {serial / (2 * dask_warm):.2f}; cluster start-up {startup:.1f} s, "
        f"first study {dask_cold:.2f} s{overhead}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="replications")
    parser.add_argument("--steps", type=int, default=20, help="periods per run")
    parser.add_argument(
        "--horizon-steps",
        type=int,
        default=None,
        help="command section: also runs of this many periods, timed once (none: the baseline "
        "scenario's horizon; 0: skip)",
    )
    parser.add_argument("--chunk-size", type=int, default=10, help="runs per task (pool, dask)")
    parser.add_argument("--repeat", type=int, default=3, help="timings: best of this many")
    parser.add_argument("--memory-steps", type=int, default=20, help="periods (memory test)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, among {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tree-child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, args.steps)
        return
    if args.tree_child:
        tree_child(args.tree_child)
        return
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: unknown {', '.join(sorted(unknown))}")

    print(
        f"baseline scenario, {args.runs} runs of {args.steps} periods, chunks of {args.chunk_size}"
    )
    if "command" in sections:
        command_section(args)
    if "pool" in sections or "dask" in sections:
        from abm.experiments.executors import SerialExecutor

        the_study = study(args.runs, args.steps, args.chunk_size)
        timed(SerialExecutor(), study(2, args.steps, 1), 1)  # warm-up: imports, caches
        warm = pool_section(args, the_study) if "pool" in sections else None
        if "dask" in sections:
            serial = min(timed(SerialExecutor(), the_study, 1) for _ in range(args.repeat))
            dask_section(args, the_study, serial, warm)
    if "memory" in sections:
        small = peak_memory(100, args.memory_steps)
        large = peak_memory(1000, args.memory_steps)
        print(
            f"peak RSS of the main process ({args.memory_steps} periods per run): "
            f"100 runs {small:.0f} MiB, 1,000 runs {large:.0f} MiB (ratio {large / small:.2f})"
        )


if __name__ == "__main__":
    main()
