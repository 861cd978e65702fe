"""Benchmark: cost per agent-step of the market against Mesa's trivial "money" agent.

Runs, side by side in the same process, (a) the Boltzmann wealth model without a grid (each
agent with wealth gives one unit to a random agent; the agent list is cached once per step, so
the baseline is the fast form of Mesa's tutorial model) and (b) the market with the same number
of agents: 1% generalists (at most 100), the rest specialists choosing base and effort, 1%
closed firms, one niche per 100 agents, logit demand, model-level data every period, no agent
snapshots; once with every population learning from experience (Q-learning) and once with
counterfactual information (logit response to forgone payoffs from re-clearing the market).
Model makers may abstain, and about half of them do at any time; a specialist's forgone table
has a column per model maker taking part, so the row ``all-in`` repeats the counterfactual
market with abstention off (every column computed: the costliest case, no target).
Prints µs per agent-step and the ratio market/baseline; the targets (issue "A market that
pays") are experienced ≤ 1.0 and counterfactual ≤ 3.0 at 10,000 agents. ``--memory N`` also
reports the peak traced memory of N agents over 200 periods (target: 10⁵ agents under 1 GiB).

    python benchmarks/bench_market.py                 # 1,000 and 10,000 agents, 200 periods
    python benchmarks/bench_market.py --periods 100 --agents 10000 --memory 100000
"""

from __future__ import annotations

import argparse
import gc
import math
import time
import tracemalloc

import mesa

from abm.market import (
    ClosedFirmConfig,
    DemandConfig,
    Distribution,
    GeneralistConfig,
    LearningConfig,
    MarketConfig,
    MarketModel,
    SpecialistConfig,
)

#: Row → (information setting, abstention allowed, target ratio of market to money agent per
#: agent-step, or None).
VARIANTS: dict[str, tuple[str, bool, float | None]] = {
    "experienced": ("experienced", True, 1.0),
    "counterfactual": ("counterfactual", True, 3.0),
    "all-in": ("counterfactual", False, None),
}


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


def market_config(agents: int, information: str, abstain: bool = True) -> MarketConfig:
    generalists = min(100, max(1, agents // 100))  # a few hundred base-model makers at most
    closed = max(1, agents // 100)
    if information == "experienced":
        learning = LearningConfig("q_learning", {"epsilon": 0.05}, "experienced", 0.3)
    else:
        learning = LearningConfig("logit", {"precision": 20.0}, "counterfactual", 0.3)
    return MarketConfig(
        generalists=GeneralistConfig(
            count=generalists,
            alpha0=Distribution("uniform", low=0.05, high=3.0),
            openness_levels=21,
            allow_abstain=abstain,
            learning=learning,
        ),
        specialists=SpecialistConfig(
            count=agents - generalists - closed,
            matching="learned",
            learning=learning,
            effort_levels=21,
            effort_learning=learning,
        ),
        closed_firms=ClosedFirmConfig(
            count=closed, initial_compute=30.0, levels=3, learning=learning
        ),
        demand=DemandConfig(rule="logit", niches=max(1, agents // 100), customers=4.0),
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
    parser.add_argument("--periods", type=int, default=200)
    parser.add_argument("--memory", type=int, default=0, help="agents for the memory check")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (minimum kept)")
    args = parser.parse_args()
    print(
        f"{'agents':>7} {'information':>14} {'money µs':>9} {'market µs':>10} {'ratio':>6} "
        f"{'target':>6} {'init s':>7}"
    )
    for agents in args.agents:
        steps = agents * args.periods
        builds = {"money": lambda a=agents: MoneyModel(a, rng=args.seed)}
        for name, (information, abstain, _) in VARIANTS.items():
            builds[name] = lambda a=agents, i=information, x=abstain: MarketModel(
                market_config(a, i, x), rng=args.seed
            )
        # the four are timed in turn, repeat after repeat, so that a busy spell on a shared
        # machine slows all of them; each keeps its fastest (least disturbed) run
        best = {name: (math.inf, math.inf) for name in builds}
        for _ in range(args.repeats):
            for name, build in builds.items():
                init, run = timed(build, args.periods)
                best[name] = (min(best[name][0], init), min(best[name][1], run))
        money_us = best["money"][1] / steps * 1e6
        for name, (_, _, target) in VARIANTS.items():
            init, market = best[name]
            market_us = market / steps * 1e6
            goal = "-" if target is None else f"{target:.1f}"
            print(
                f"{agents:>7} {name:>14} {money_us:>9.3f} {market_us:>10.3f} "
                f"{market_us / money_us:>6.2f} {goal:>6} {init:>7.2f}"
            )
    if args.memory:
        build = lambda: MarketModel(  # noqa: E731
            market_config(args.memory, "experienced"), rng=args.seed
        )
        peak = peak_memory(build, 200)
        print(f"peak traced memory, {args.memory:,} agents x 200 periods: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
