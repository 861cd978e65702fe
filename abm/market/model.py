"""The market as a Mesa model: :class:`MarketModel`.

The period and the state are :class:`~abm.market.core.MarketCore`'s (see its module for the
order of a period); this class adds what makes the market a Mesa model a user can inspect: the
seeded ``model.rng`` every draw comes from, the agents (thin views of the population arrays, see
:mod:`abm.market.agents`), the DataCollector of every observable, agent snapshots, and the
supply-chain network.
"""

from __future__ import annotations

import copy
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from abm.errors import ParameterError
from abm.market.agents import ClosedFirm, Generalist, Regulator, Specialist
from abm.market.config import MarketConfig
from abm.market.core import MarketCore
from abm.market.network import build_network, write_graphml
from abm.market.observables import OBSERVABLES, compute_observables, reporter


class _Collector(mesa.DataCollector):
    """Mesa's DataCollector, without a deep copy of every value every period.

    Mesa copies each reporter's value in case it is mutable; the market's reporters return the
    step (an int) and the period's observables (floats), which need no copy (the copies cost a
    twentieth of a small market's period). A value of another type (a reporter a user added) is
    still copied. Records and tables are Mesa's own.
    """

    def collect(self, model: mesa.Model) -> None:
        """Append this period's value of every model reporter."""
        if self.agent_reporters or self.agenttype_reporters:
            super().collect(model)
            return
        for name, source in self.model_reporters.items():
            value = getattr(model, source) if isinstance(source, str) else source(model)
            self.model_vars[name].append(
                value if isinstance(value, int | float) else copy.deepcopy(value)
            )


class MarketModel(MarketCore, mesa.Model):
    """The market of Models I–III with learning agents.

    Args:
        config: The market's configuration (defaults: one generalist, one specialist, captive
            demand, Model I's default numbers, fixed δ = 0.5, no regulation, no closed firms).
        rng: Integer seed of every random draw.

    Attributes:
        generalists, specialists, closed_firms: The populations (numpy state).
        policy: The regulator's (θ, p).
        clearing: This period's :class:`~abm.market.clearing.Clearing`.
        observables: This period's model-level observables.
        datacollector: Mesa DataCollector of every observable, one row per period (row 0 is the
            state before the first period).

    Examples:
        >>> from abm.market import GeneralistConfig, MarketConfig, RegulatorConfig
        >>> config = MarketConfig(
        ...     generalists=GeneralistConfig(count=3, alpha0=[0.5, 1.0, 2.0]),
        ...     regulator=RegulatorConfig(theta=0.5, penalty=0.05),
        ... )
        >>> model = MarketModel(config, rng=1).run(20)
        >>> series = model.timeseries()  # one row per period (and row 0), every observable
        >>> len(series), "mean_openness" in series, "share_comply" in series
        (21, True, True)
        >>> model.agent_frame()["type"].value_counts().to_dict()  # the final state
        {'generalist': 3, 'specialist': 1}
        >>> model.network.number_of_nodes()  # base models and derivatives
        4
    """

    def __init__(self, config: MarketConfig | None = None, *, rng: int | None = None) -> None:
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int | np.integer)):
            raise ParameterError(f"rng must be an integer seed, got {rng!r}")
        if rng is not None and rng < 0:
            raise ParameterError(f"rng must be a non-negative integer seed, got {rng}")
        super().__init__(rng=None if rng is None else int(rng))
        self.seed = rng
        self._build(config, [self.rng])
        self._create_agents()
        self._start_collecting()

    def _create_agents(self) -> None:
        """The Mesa agents (views of the population arrays) and the regulator."""
        Generalist.create_agents(
            self,
            self.generalists.count,
            population=self.generalists,
            index=np.arange(self.generalists.count),
        )
        if self.specialists.count:
            Specialist.create_agents(
                self,
                self.specialists.count,
                population=self.specialists,
                index=np.arange(self.specialists.count),
            )
        if self.closed_firms.count:
            ClosedFirm.create_agents(
                self,
                self.closed_firms.count,
                population=self.closed_firms,
                index=np.arange(self.closed_firms.count),
            )
        self.regulator = Regulator(self, self.policy, 0)
        g, s, c = self.generalists, self.specialists, self.closed_firms
        learners = (g.learner, s.base_learner, s.effort_learner, c.learner, c.price_learner)
        for learner in learners:
            if learner is not None:
                learner.bind_state(self._state_value)

    def _start_collecting(self) -> None:
        """Period 0's observables, recorded by the DataCollector."""
        self._snapshots: list[pd.DataFrame] = []
        self._network: nx.DiGraph | None = None
        self._network_step = -1
        self.observables = compute_observables(self)
        self.datacollector = _Collector(
            model_reporters={"step": "steps", **{name: reporter(name) for name in OBSERVABLES}}
        )
        self.datacollector.collect(self)

    def _record(self) -> None:
        """Collect this period's observables (and, every ``agent_every`` periods, the agents)."""
        self.observables = compute_observables(self)
        self.datacollector.collect(self)
        every = self.config.agent_every
        if every and self.steps % every == 0:
            self._snapshots.append(self._agent_snapshot())

    def timeseries(self) -> pd.DataFrame:
        """Tidy model-level series: one row per period (step 0 = before the first period)."""
        frame = self.datacollector.get_model_vars_dataframe()
        return frame.reset_index(drop=True)

    def agent_frame(self) -> pd.DataFrame:
        """Agent-level records: the snapshots taken every ``agent_every`` periods, plus now.

        One row per agent and snapshot (columns ``step``, ``type``, ``index`` and the type's
        state); the current state is always included.
        """
        frames = list(self._snapshots)
        if not frames or int(frames[-1]["step"].iloc[0]) != self.steps:
            frames.append(self._agent_snapshot())
        return pd.concat(frames, ignore_index=True)

    @property
    def network(self) -> nx.DiGraph:
        """The supply-chain DiGraph (base → derivative) of the current period."""
        if self._network is None or self._network_step != self.steps:
            self._network = build_network(self)
            self._network_step = self.steps
        return self._network

    def export_graphml(self, path: str | Path) -> Path:
        """Write the current supply-chain network as GraphML."""
        return write_graphml(self.network, path)

    def close(self) -> None:
        """Let this model be garbage-collected once the caller drops it.

        Mesa 3.3.1 keeps every model alive as a key of the class-level counter ``Agent._ids``,
        so a study that builds thousands of markets would hold them all; call this when done.
        """
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
