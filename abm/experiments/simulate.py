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
    from abm.market import MarketConfig, MarketModel

    config = MarketConfig.from_dict(market)
    config.validate()
    if check_only:
        return config
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
    model = build_model(market, seed)
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


def observables() -> dict[str, str]:
    """Every model-level observable and its meaning."""
    from abm.market import OBSERVABLES

    return dict(OBSERVABLES)
