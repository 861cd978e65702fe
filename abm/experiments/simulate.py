"""The one adapter between the experiment machinery and the market model.

Everything the runner knows about :mod:`abm.market` goes through this module, so a change of the
market's API is absorbed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def build_model(market: dict[str, Any], seed: int, *, check_only: bool = False) -> Any:
    """Build (and validate) a market model from a plain market block.

    Args:
        market: Nested data accepted by ``MarketConfig.from_dict``.
        seed: The run's integer seed.
        check_only: Validate the configuration only and return it instead of a model.

    Returns:
        The ``MarketModel`` (or the validated ``MarketConfig`` with ``check_only``).
    """
    from abm.market import MarketConfig

    config = MarketConfig.from_dict(market)
    config.validate()
    if check_only:  # (without importing the model and Mesa)
        return config
    from abm.market import MarketModel

    return MarketModel(config=config, rng=int(seed))


def simulate(
    market: dict[str, Any],
    seed: int,
    steps: int,
    *,
    collect_agents: bool = False,
    graphml: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Run one simulation and return its tidy tables.

    Args:
        market: The market block (nested plain data).
        seed: The run's integer seed; the run depends on nothing else.
        steps: Periods to simulate.
        collect_agents: Also return the agent-level records.
        graphml: If given, write the final supply-chain network there.

    Returns:
        ``{"timeseries": ...}`` (one row per step, ``step`` then the observables) and, with
        ``collect_agents``, ``"agents"``.
    """
    config = build_model(market, seed, check_only=True)
    from abm.market.batch import BatchMarket, batch_obstacle

    if batch_obstacle(config) is not None:
        return _simulate_model(config, seed, steps, collect_agents, graphml)
    # The stacked market as a batch of one: bit for bit the Mesa model's run (tests/test_batch.py)
    # without importing Mesa, which a command's single run then does not wait for (0.3 s).
    run = BatchMarket(config, [int(seed)]).run(int(steps))
    tables = {"timeseries": run.timeseries(0)}
    if collect_agents:
        tables["agents"] = run.agent_frame(0)
    if graphml is not None:
        from abm.market.network import build_network, write_graphml

        write_graphml(build_network(run), graphml)
    return tables


def _simulate_model(
    config: Any, seed: int, steps: int, collect_agents: bool, graphml: str | Path | None
) -> dict[str, pd.DataFrame]:
    """:func:`simulate` through the Mesa model (the markets a batch cannot hold)."""
    from abm.market import MarketModel

    model = MarketModel(config=config, rng=int(seed))
    try:
        model.run(int(steps))
        tables = {"timeseries": model.timeseries()}
        if collect_agents:
            tables["agents"] = model.agent_frame()
        if graphml is not None:
            model.export_graphml(graphml)
    finally:
        model.close()
    return tables


#: Agents stacked in one batch at most: beyond a few thousand a period's cost is per agent, so
#: larger batches gain nothing and only hold more memory.
BATCH_AGENTS = 20_000
#: Estimated peak memory of one batch at most (``MarketConfig.memory_estimate`` per replication).
BATCH_BYTES = 256 * 2**20


def simulate_replications(
    market: dict[str, Any] | list[dict[str, Any]],
    seeds: list[int],
    steps: int,
    *,
    collect_agents: bool = False,
) -> list[dict[str, pd.DataFrame]]:
    """Run markets with each of ``seeds``; each run's tables exactly as :func:`simulate`'s.

    Runs are stacked into batches (:class:`abm.market.batch.BatchMarket`) of at most
    :data:`BATCH_AGENTS` agents and :data:`BATCH_BYTES` of estimated memory when their markets
    allow it and differ at most in the regulator's numbers (θ, p, the adaptive target, gain and
    lever bound: :func:`abm.market.batch.stack_key`), which spreads a small market's per-period
    cost over the batch; the others run one by one. A run's tables are the same bit for bit
    either way.

    Args:
        market: The market block (nested plain data), one for every run or one per seed.
        seeds: One integer seed per run.
        steps: Periods to simulate.
        collect_agents: Also return each run's agent-level records.

    Returns:
        One ``{"timeseries": ...}`` (and ``"agents"``) per seed, in order.
    """
    from abm.market import MarketConfig
    from abm.market.batch import BatchMarket, batch_obstacle, stack_key

    markets = [market] * len(seeds) if isinstance(market, dict) else list(market)
    parsed: dict[int, MarketConfig] = {}  # one configuration per distinct market block
    for each in markets:
        if id(each) not in parsed:
            parsed[id(each)] = MarketConfig.from_dict(each)
    configs = [parsed[id(each)] for each in markets]
    results: list[dict[str, pd.DataFrame] | None] = [None] * len(seeds)
    stacks: dict[str, list[int]] = {}
    for index, config in enumerate(configs):
        if batch_obstacle(config) is None:
            stacks.setdefault(stack_key(config), []).append(index)
    for members in stacks.values():
        if len(members) < 2:
            continue
        first = configs[members[0]]
        agents = first.generalists.count + first.specialists.count + first.closed_firms.count
        size = max(
            1,
            min(
                BATCH_AGENTS // max(agents, 1),
                BATCH_BYTES // max(first.memory_estimate(), 1),
            ),
        )
        for begin in range(0, len(members), size):
            part = members[begin : begin + size]
            batch = BatchMarket([configs[i] for i in part], [seeds[i] for i in part])
            batch.run(int(steps))
            for replication, index in enumerate(part):
                tables = {"timeseries": batch.timeseries(replication)}
                if collect_agents:
                    tables["agents"] = batch.agent_frame(replication)
                results[index] = tables
    return [
        tables
        if tables is not None
        else simulate(markets[index], seeds[index], steps, collect_agents=collect_agents)
        for index, tables in enumerate(results)
    ]


def observables() -> dict[str, str]:
    """Every model-level observable and its meaning."""
    from abm.market import OBSERVABLES

    return dict(OBSERVABLES)


def release_panel(
    market: dict[str, Any], seed: int, steps: int, window: int
) -> tuple[pd.DataFrame, dict[str, float]]:
    """One run's releases, agent by agent, averaged over its last ``window`` periods.

    What a calibration against release data needs from a run (:mod:`abm.experiments.calibration`):
    who opened, how strong each model was, and where the fine-tuners went.

    Args:
        market: The market block (nested plain data).
        seed: The run's integer seed.
        steps: Periods to simulate (``window`` ≤ ``steps``).
        window: The last periods averaged over.

    Returns:
        ``(generalists, run)``: one row per generalist (``alpha0``; ``open_rate``, the share of
        the window's periods it released with ω ≥ the open bar; ``participation``;
        ``derivatives``, its mean number of fine-tuners; ``open_final`` and
        ``derivatives_final``, the last period's), and the run's ``on_open``, the share of
        matched fine-tuners whose base was open (mean over the window's periods with any).
    """
    import numpy as np
    import pandas as pd

    model = build_model(market, seed)
    try:
        g, s = model.generalists, model.specialists
        opened = np.zeros(g.count)
        participated = np.zeros(g.count)
        derivatives = np.zeros(g.count)
        on_open: list[float] = []
        model.run(int(steps) - int(window))
        for _ in range(int(window)):
            model.step()
            opened += g.is_open
            participated += g.participates
            derivatives += g.derivatives
            matched = s.matched
            if matched.any():
                on_open.append(float(g.is_open[s.base[matched]].mean()))
        frame = pd.DataFrame(
            {
                "agent": np.arange(g.count),
                "alpha0": g.alpha0.copy(),
                "open_rate": opened / window,
                "participation": participated / window,
                "derivatives": derivatives / window,
                "open_final": g.is_open.copy(),
                "derivatives_final": np.asarray(g.derivatives).copy(),
            }
        )
    finally:
        model.close()
    return frame, {"on_open": float(np.mean(on_open)) if on_open else float("nan")}
