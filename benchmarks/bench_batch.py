"""Stacked replications against separate runs: the default scenario's Monte Carlo on one core.

Issue "Speed where users wait": 100 replications of the default scenario must run at least 10×
faster stacked (``simulate_replications``, what ``abm mc`` does within a chunk) than as 100
separate ``simulate`` calls, with identical tables. Both sides run in this process, one after
the other, on one core; the separate calls are timed on ``--alone`` of the seeds (each costs
the same, so their mean stands for all) and their tables compared with the stacked run's.
The process is set up as the ``abm`` command sets up its own (``abm.allocator``: freed memory
stays with the process), so both sides run as ``abm mc`` would run them.

    python benchmarks/bench_batch.py                       # 100 replications, 1,000 periods
    python benchmarks/bench_batch.py --steps 200 --alone 5 # quicker

Prints one line per side and ``speed-up <x>× (target ≥ 10)`` and ``tables identical: yes``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from abm.allocator import hold_freed_memory
from abm.experiments.simulate import simulate, simulate_replications
from abm.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--steps", type=int, default=None, help="none: the scenario's")
    parser.add_argument("--alone", type=int, default=10, help="separate runs timed")
    args = parser.parse_args()
    hold_freed_memory()  # as abm mc does (abm.cli.main)
    scenario = load_scenario(args.scenario)
    steps = args.steps or scenario.horizon.steps
    market = scenario.market_data({})
    sequence = np.random.SeedSequence(scenario.seed)
    seeds = [int(child.generate_state(1)[0]) for child in sequence.spawn(args.replications)]

    start = time.process_time()
    stacked = simulate_replications(market, seeds, steps)
    batch = (time.process_time() - start) / len(seeds)

    timed = seeds[: args.alone]
    start = time.process_time()
    alone = [simulate(market, seed, steps) for seed in timed]
    single = (time.process_time() - start) / len(timed)

    identical = all(
        tables["timeseries"].equals(stacked[index]["timeseries"])
        for index, tables in enumerate(alone)
    )
    print(f"scenario {scenario.name}, {len(seeds)} replications × {steps} periods, one core")
    print(f"separate simulate calls  {single * 1e3:10.1f} ms per replication")
    print(f"stacked replications     {batch * 1e3:10.1f} ms per replication")
    print(f"speed-up {single / batch:.2f}× (target ≥ 10)")
    print(f"tables identical: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
