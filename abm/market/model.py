"""The agent-based market: generalists, specialists, closed firms and a regulator.

One period (``MarketModel.step``), in this order:

1. policy: the regulator puts (θ, p) in force (static, schedule or last period's adaptation);
2. release: each generalist's learning rule picks an openness level ω on the grid, or abstains;
3. matching: specialists choose a participating base model (fixed pairs, sampled better
   response, or a learning rule);
4. bargaining: the revenue share δ of each pair (fixed, or a Model I bargaining rule);
5. fine-tuning: each matched specialist's α1 is its Model I best response; U_D follows;
6. closed firms choose their compute level (learning rule) and the open frontier is measured
   (the best open release, or exogenous);
7. market clearing: closed firms price at f(y) − f(x) per customer-day and sell to their niche;
8. payoffs: U_G (with penalties), U_D, closed-firm profits, and every action's forgone payoff;
9. learning updates of every population;
10. network update: derivatives per base, shares s, and Model III growth of α0;
11. the adaptive regulator observes the open share (its change applies next period);
12. data collection: every model-level observable; agent snapshots every ``agent_every``.

All randomness comes from ``model.rng`` (seeded by the integer ``rng``), split into one child
generator per population with ``Generator.spawn``: same seed, same run, bit for bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from abm.market.agents import ClosedFirm, Generalist, Regulator, Specialist
from abm.market.config import MarketConfig
from abm.market.network import build_network, write_graphml
from abm.market.observables import OBSERVABLES, compute_observables, reporter
from abm.market.populations import ClosedFirms, Generalists, Specialists
from abm.market.regulator import Policy
from abm.theory.bargaining import bargain
from abm.theory.openness_game import REGIMES, OpennessGame
from abm.validation import ParameterError


class MarketModel(mesa.Model):
    """The market of Models I–III with learning agents.

    Args:
        config: The market's configuration (defaults: one generalist, one specialist, Model I's
            default numbers, fixed δ = 0.5, no regulation, no closed firms).
        rng: Integer seed of every random draw.

    Attributes:
        generalists, specialists, closed_firms: The populations (numpy state).
        policy: The regulator's (θ, p).
        observables: This period's model-level observables.
        datacollector: Mesa DataCollector of every observable, one row per period (row 0 is the
            state before the first period).
    """

    def __init__(self, config: MarketConfig | None = None, *, rng: int | None = None) -> None:
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int | np.integer)):
            raise ParameterError(f"rng must be an integer seed, got {rng!r}")
        if rng is not None and rng < 0:
            raise ParameterError(f"rng must be a non-negative integer seed, got {rng}")
        super().__init__(rng=None if rng is None else int(rng))
        self.seed = rng
        self.config = config if config is not None else MarketConfig()
        self.config.validate()
        g_rng, s_rng, c_rng = self.rng.spawn(3)  # one child generator per population
        cfg = self.config
        self.generalists = Generalists(cfg.generalists, g_rng, cfg.frontier.open_bar)
        self.specialists = Specialists(cfg.specialists, cfg.generalists.count, s_rng)
        self.closed_firms = ClosedFirms(cfg.closed_firms, c_rng)
        self.policy = Policy(cfg.regulator)
        self.value = self.closed_firms.value
        self.open_compute = float(
            cfg.frontier.compute if cfg.frontier.mode == "exogenous" else cfg.frontier.floor_compute
        )
        self.open_share = 0.0
        self.theta, self.penalty = self.policy.theta, self.policy.penalty
        self._delta_key: tuple[Any, ...] | None = None
        self._delta = np.full(self.specialists.count, float(cfg.delta))

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

        self._snapshots: list[pd.DataFrame] = []
        self._network: nx.DiGraph | None = None
        self._network_step = -1
        self.observables = compute_observables(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={"step": "steps", **{name: reporter(name) for name in OBSERVABLES}}
        )
        self.datacollector.collect(self)

    # --- the period -------------------------------------------------------------------------

    def step(self) -> None:
        """Run one period in the documented order (see the module docstring)."""
        cfg = self.config
        g, s, c = self.generalists, self.specialists, self.closed_firms
        self.policy.set_policy(self.steps)  # 1. policy
        theta, penalty = self.policy.theta, self.policy.penalty
        self.theta, self.penalty = theta, penalty  # in force this period (reported)
        g.release()  # 2. release
        s.match(g, cfg.delta)  # 3. matching
        delta = self._bargain()  # 4. bargaining
        intercept, slope, effort_gap = s.fine_tune(g, delta)  # 5. fine-tuning (+ shares)
        c.choose()  # 6. closed firms' compute, the open frontier
        self.open_share = float(np.count_nonzero(g.is_open)) / g.count
        self.open_compute = self._frontier()
        c.clear(self.open_compute)  # 7. market clearing
        g.payoffs(intercept, slope, theta, penalty, effort_gap)  # 8. payoffs
        g.learn()  # 9. learning updates
        s.learn()
        c.learn()
        g.grow()  # 10. network update and growth
        self.policy.adapt(self.open_share)  # 11. adaptive regulator
        self.observables = compute_observables(self)  # 12. data collection
        self.datacollector.collect(self)
        if cfg.agent_every and self.steps % cfg.agent_every == 0:
            self._snapshots.append(self._agent_snapshot())

    def run(self, steps: int) -> MarketModel:
        """Run ``steps`` periods; returns the model."""
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
            raise ParameterError(f"steps must be a non-negative integer, got {steps!r}")
        for _ in range(int(steps)):
            self.step()
        return self

    def _bargain(self) -> np.ndarray:
        """δ per specialist: the fixed share, or Model I's bargaining rule for each pair."""
        cfg = self.config
        s, g = self.specialists, self.generalists
        if cfg.bargaining == "fixed" or s.count == 0:
            return self._delta
        key = (self.policy.theta, self.policy.penalty, s.base.tobytes(), g.alpha0.tobytes())
        if key != self._delta_key:
            base = s.base
            game = OpennessGame(
                alpha0=g.alpha0[base],
                specialist_cost=s.cost,
                openness_leverage=s.leverage,
                licensing=g.licensing[base],
                reputation=g.reputation[base],
                operation=g.operation[base],
                compliance=g.compliance[base],
                production=g.production[base],
                theta=self.policy.theta,
                penalty=self.policy.penalty,
            )
            self._delta = bargain(game, cfg.bargaining, grid=201)
            self._delta_key = key
        return self._delta

    def _frontier(self) -> float:
        """Compute of the open model closed firms price against this period.

        Endogenous: the best α0 among releases with ω ≥ open bar, mapped to compute by
        x = f⁻¹(α0·value_per_alpha) (for f = ln, x = exp(α0)), and never below the floor.
        Exogenous: x, then x′ from ``catchup_period`` (0-based) on.
        """
        frontier = self.config.frontier
        if frontier.mode == "exogenous":
            late = frontier.catchup_compute > 0 and self.steps - 1 >= frontier.catchup_period
            return float(frontier.catchup_compute if late else frontier.compute)
        g = self.generalists
        if not g.is_open.any():
            return float(frontier.floor_compute)
        best = float(g.alpha0[g.is_open].max())
        compute = float(self.value.compute_for_value(best * frontier.value_per_alpha))
        return max(float(frontier.floor_compute), compute)

    # --- outputs ------------------------------------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """Tidy model-level series: one row per period (step 0 = before the first period)."""
        frame = self.datacollector.get_model_vars_dataframe()
        return frame.reset_index(drop=True)

    def _agent_snapshot(self) -> pd.DataFrame:
        g, s, c = self.generalists, self.specialists, self.closed_firms
        parts = [
            pd.DataFrame(
                {
                    "step": self.steps,
                    "type": "generalist",
                    "index": np.arange(g.count),
                    "alpha0": g.alpha0,
                    "openness": g.openness,
                    "regime": np.asarray(REGIMES, dtype=object)[g.regime],
                    "utility": g.utility,
                    "share": g.share,
                    "derivatives": g.derivatives,
                }
            ),
            pd.DataFrame(
                {
                    "step": self.steps,
                    "type": "specialist",
                    "index": np.arange(s.count),
                    "base": np.where(s.matched, s.base, -1),
                    "alpha1": s.alpha1,
                    "delta": s.delta,
                    "utility": s.utility,
                }
            ),
            pd.DataFrame(
                {
                    "step": self.steps,
                    "type": "closed_firm",
                    "index": np.arange(c.count),
                    "compute": c.compute,
                    "price": c.price,
                    "utility": c.profit,
                    "revenue": c.revenue,
                }
            ),
        ]
        return pd.concat([part for part in parts if len(part)], ignore_index=True)

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

    def release(self) -> None:
        """Let this model be garbage-collected once the caller drops it.

        Mesa 3.3.1 keeps every model alive as a key of the class-level counter ``Agent._ids``,
        so a study that builds thousands of markets would hold them all; call this when done.
        """
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
