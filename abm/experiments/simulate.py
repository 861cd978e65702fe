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
