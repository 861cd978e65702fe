"""The agent-based market: Models I–III with learning agents on Mesa.

Build a market in a few lines::

    from abm.market import MarketConfig, MarketModel, GeneralistConfig, Distribution
    config = MarketConfig(generalists=GeneralistConfig(count=20,
                          alpha0=Distribution("uniform", low=0.05, high=3.0)))
    model = MarketModel(config, rng=1).run(200)
    model.timeseries(); model.agent_frame(); model.network

Modules:
    config: the typed configuration tree and its validation.
    distributions: per-agent parameter distributions.
    clearing: per-niche market clearing (captive, limit pricing, logit) and deviations.
    populations: per-type numpy state: actions, payoffs, learning.
    agents: thin Mesa agents reading the populations.
    regulator: the policy (static, schedule, adaptive).
    network: the supply-chain graph, HHI, shares, GraphML.
    observables: the model-level series.
    core: ``MarketCore``, the state and the period (no Mesa).
    model: ``MarketModel``, the core as a Mesa model.
    batch: ``BatchMarket``, replications stacked into one set of arrays, each bit for bit the
        replication run alone.
    checks: the checks V0–V6 against the analytical models.
"""

import importlib
from typing import Any

from abm.market.config import (
    ClosedFirmConfig,
    DemandConfig,
    FrontierConfig,
    GeneralistConfig,
    LearningConfig,
    MarketConfig,
    RegulatorConfig,
    SpecialistConfig,
)
from abm.market.distributions import Distribution
from abm.market.observables import OBSERVABLES

#: Names imported on first use: the Mesa model and its agents import Mesa (about 0.7 s), which
#: a study's stacked runs (:mod:`abm.market.batch`) do without.
_LAZY = {
    "MarketModel": "abm.market.model",
    "ClosedFirm": "abm.market.agents",
    "Generalist": "abm.market.agents",
    "Regulator": "abm.market.agents",
    "Specialist": "abm.market.agents",
}


def __getattr__(name: str) -> Any:
    """Import a :data:`_LAZY` name from its module the first time it is asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "OBSERVABLES",
    "ClosedFirm",
    "ClosedFirmConfig",
    "DemandConfig",
    "Distribution",
    "FrontierConfig",
    "Generalist",
    "GeneralistConfig",
    "LearningConfig",
    "MarketConfig",
    "MarketModel",
    "Regulator",
    "RegulatorConfig",
    "Specialist",
    "SpecialistConfig",
]
