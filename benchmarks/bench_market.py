"""Benchmark: cost per agent-step of the market against Mesa's trivial "money" agent.

Runs, side by side in the same process, (a) the Boltzmann wealth model without a grid (each
agent with wealth gives one unit to a random agent; the agent list is cached once per step, so
the baseline is the fast form of Mesa's tutorial model) and (b) the market with the same number
of agents (10% generalists, 89% specialists with sampled matching, 1% closed firms; model-level
data collected every period, no agent snapshots). Prints µs per agent-step, agent-steps per
second, the ratio market/baseline (target ≤ 1.0) and the market's peak traced memory.

    python benchmarks/bench_market.py                 # 1,000 and 10,000 agents, 1,000 periods
    python benchmarks/bench_market.py --periods 200 --agents 1000 10000
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import mesa

from abm.market import (
    ClosedFirmConfig,
    Distribution,
    GeneralistConfig,
    MarketConfig,
    MarketModel,
    SpecialistConfig,
)


class MoneyAgent(mesa.Agent):
    """Mesa tutorial's Boltzmann agent: give one unit of wealth to a random agent."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.wealth = 1

    def step(self) -> None:
        """Give one unit to a uniformly drawn agent (possibly itself)."""
        if self.wealth > 0:
            other = self.random.choice(self.model.agent_list)
            other.wealth += 1
            self.wealth -= 1


class MoneyModel(mesa.Model):
    """Boltzmann wealth without a grid (the agent list is cached once per step)."""

    def __init__(self, n: int, rng: int = 0) -> None:
        super().__init__(rng=rng)
        MoneyAgent.create_agents(self, n)
        self.agent_list = list(self.agents)

    def step(self) -> None:
        """Activate every agent once in random order."""
        self.agent_list = list(self.agents)
        self.agents.shuffle_do("step")


def market_config(agents: int) -> MarketConfig:
    generalists = max(1, agents // 10)
    closed = max(1, agents // 100)
    return MarketConfig(
        generalists=GeneralistConfig(
            count=generalists, alpha0=Distribution("uniform", low=0.05, high=3.0)
        ),
        specialists=SpecialistConfig(count=agents - generalists - closed, matching="sampled"),
        closed_firms=ClosedFirmConfig(count=closed, initial_compute=30.0, levels=3),
    )


def timed(build, periods: int) -> tuple[float, float]:
    """Build time and run time (seconds) of ``periods`` steps."""
    gc.collect()
    start = time.perf_counter()
    model = build()
    built = time.perf_counter()
    for _ in range(periods):
        model.step()
    return built - start, time.perf_counter() - built


def peak_memory(build, periods: int) -> float:
    """Peak traced memory (MB) while building and running the model."""
    gc.collect()
    tracemalloc.start()
    model = build()
    for _ in range(periods):
        model.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del model
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--periods", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"{'agents':>7} {'periods':>7} {'money µs':>9} {'market µs':>10} {'ratio':>6} "
        f"{'market steps/s':>15} {'init s':>7} {'peak MB':>8}"
    )
    for agents in args.agents:
        steps = agents * args.periods
        _, money = timed(lambda agents=agents: MoneyModel(agents, rng=args.seed), args.periods)
        build = lambda agents=agents: MarketModel(market_config(agents), rng=args.seed)  # noqa: E731
        init, market = timed(build, args.periods)
        memory = peak_memory(build, args.periods)
        money_us = money / steps * 1e6
        market_us = market / steps * 1e6
        print(
            f"{agents:>7} {args.periods:>7} {money_us:>9.3f} {market_us:>10.3f} "
            f"{market_us / money_us:>6.2f} {steps / market:>15,.0f} {init:>7.2f} {memory:>8.1f}"
        )


if __name__ == "__main__":
    main()
