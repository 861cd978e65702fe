"""Stacked replications: R runs of one market configuration as one set of population arrays.

A small market spends most of a period on the fixed cost of a few hundred numpy calls on short
arrays; a Monte Carlo study pays it once per replication and period. :class:`BatchMarket` stacks
R replications of one configuration (different seeds; the regulator's numbers may differ too,
:func:`stack_key`) replication by replication into the populations of one market
(:class:`~abm.market.core.MarketCore`, the period :class:`~abm.market.model.MarketModel` runs,
without Mesa) and runs them in lockstep: one clearing of R × N niches, one learning update per
rule for R × n agents, one observable table of R rows.

A replication in a batch is bit for bit the replication run alone (``tests/test_batch.py``),
because nothing one replication computes depends on another:

* every random draw comes from the replication's own generators
  (:class:`~abm.learning.streams.ReplicaStreams`), in the order it draws them alone;
* bases and niches are indexed within their replication (``base_index``, ``niche_index``);
* every niche clears on its own (each logit markup and each niche's aggregate stop at their own
  convergence), and the free open model is each replication's best open release;
* every observable reduces each replication's agents alone, the single run being a batch of one.

What a batch cannot hold yet (:func:`batch_obstacle` names it, and the experiment runner then
runs those replications one by one): firm size, substitution across niches, heterogeneous
valuations, an uncertain catch-up, learned closed-firm prices, learning with a market state,
imitation and the replicator (they read other agents), and rule parameters given per agent or
per action. A batch keeps no Mesa agents: run a replication alone
(``MarketModel(config, rng=seed)``) to inspect them. A batch of one is a single run without Mesa
(what ``abm run`` does): :func:`abm.market.network.build_network` draws its supply chain.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from abm.errors import ParameterError
from abm.market.config import LearningConfig, MarketConfig
from abm.market.core import MarketCore
from abm.market.observables import OBSERVABLES, observable_table
from abm.market.regulator import PER_REPLICATION, Policy

#: Rules whose state and draws are per agent (row), so that stacking replications changes
#: nothing; the others (imitation copies other agents, the replicator follows its population's
#: shares) run replication by replication.
STACKABLE_RULES = frozenset(
    {
        "best_response",
        "ewa",
        "fictitious_play",
        "hedge",
        "logit",
        "q_learning",
        "regret_matching",
        "roth_erev",
        "weighted_fictitious_play",
    }
)


def _learning_obstacle(path: str, learning: LearningConfig) -> str | None:
    if learning.rule not in STACKABLE_RULES:
        return f"{path}.rule = {learning.rule!r}: it reads other agents"
    if learning.state is not None:
        return f"{path}.state: a market state"
    for name, value in learning.params.items():
        if np.ndim(value) > 0:
            return f"{path}.params.{name}: one value per agent or action"
    return None


def stack_key(config: MarketConfig) -> str:
    """What replications must share to be stacked: everything but the regulator's numbers.

    Runs whose configurations have the same key (a sweep's or a sensitivity analysis's points
    over θ, p, the adaptive target, gain or lever bound) stack into one batch, each with its own
    policy (:data:`abm.market.regulator.PER_REPLICATION`).
    """
    data = config.model_dump(mode="json")
    for name in PER_REPLICATION:
        data["regulator"].pop(name, None)
    return json.dumps(data, sort_keys=True)


def batch_obstacle(config: MarketConfig) -> str | None:
    """Why replications of ``config`` cannot be stacked (None: they can).

    Returns:
        The first field that keeps them apart, with the reason, or None.
    """
    in_house = config.firm_size.in_house
    if in_house.kind not in ("constant", "list") or (
        in_house.value if in_house.kind == "constant" else max(in_house.values, default=0.0)
    ):
        return "firm_size.in_house: firm size"
    demand, frontier, closed = config.demand, config.frontier, config.closed_firms
    if demand.substitution > 0.0:
        return "demand.substitution: substitution across niches"
    if demand.varied_valuations:
        return "demand.valuations: heterogeneous valuations"
    if frontier.catchup_hazard < 1.0:
        return "frontier.catchup_hazard: an uncertain catch-up"
    if closed.count and closed.pricing == "learned":
        return "closed_firms.pricing: learned prices"
    learnings = [("generalists.learning", config.generalists.learning)]
    if config.specialists.count:
        if config.specialists.matching == "learned":
            learnings.append(("specialists.learning", config.specialists.learning))
        learnings.append(("specialists.effort_learning", config.specialists.effort_learning))
    if closed.count:
        learnings.append(("closed_firms.learning", closed.learning))
    for path, learning in learnings:
        reason = _learning_obstacle(path, learning)
        if reason is not None:
            return reason
    return None


class BatchMarket(MarketCore):
    """R replications of one market, stacked; each follows its own seed bit for bit.

    The populations (``generalists``, ``specialists``, ``closed_firms``) hold every
    replication's agents in turn, replication r's n agents at rows r·n … (r+1)·n − 1; the
    outside option, the open frontier and the open share are one value per replication. There
    are no Mesa agents (a replication's are those of ``MarketModel(config, rng=seeds[r])``),
    and Mesa is not imported.

    Args:
        config: The market's configuration: one for every replication, or one per replication,
            differing only in the regulator's numbers (:func:`stack_key`).
        seeds: One integer seed per replication (the seed ``MarketModel`` would be given).

    Raises:
        ParameterError: A seed is not a non-negative integer, the configurations differ in more
            than the regulator's numbers, or they hold what a batch cannot
            (:func:`batch_obstacle`).

    Examples:
        >>> from abm.market import MarketConfig, MarketModel
        >>> batch = BatchMarket(MarketConfig(), seeds=[1, 2, 3]).run(20)
        >>> alone = MarketModel(MarketConfig(), rng=2).run(20).timeseries()
        >>> batch.timeseries(1).equals(alone)
        True
        >>> batch.timeseries().groupby("replication").size().tolist()  # tidy, every one
        [21, 21, 21]
    """

    def __init__(self, config: MarketConfig | Sequence[MarketConfig], seeds: Sequence[int]) -> None:
        seeds = list(seeds)
        if not seeds:
            raise ParameterError("seeds must hold at least one seed")
        for seed in seeds:
            if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
                raise ParameterError(f"seeds must be non-negative integers, got {seed!r}")
        configs = [config] * len(seeds) if isinstance(config, MarketConfig) else list(config)
        if len(configs) != len(seeds):
            raise ParameterError(
                f"give one configuration or one per seed ({len(seeds)}), got {len(configs)}"
            )
        for each in {id(each): each for each in configs}.values():  # (each object once)
            each.validate()
            reason = batch_obstacle(each)
            if reason is not None:
                raise ParameterError(f"replications cannot be stacked: {reason}")
        key = stack_key(configs[0])
        if any(stack_key(each) != key for each in configs[1:]):
            raise ParameterError(
                "replications cannot be stacked: their configurations differ in more than "
                f"the regulator's {', '.join(PER_REPLICATION)}"
            )
        self.steps = 0
        self.seeds = [int(seed) for seed in seeds]
        self._build(configs[0], [np.random.default_rng(seed) for seed in self.seeds])
        reps = self.replications
        self.outside = np.full(reps, self.outside)
        self.open_compute = np.full(reps, self.open_compute)
        self.open_share = np.zeros(reps)
        # each replication's regulator: its own numbers, its own adaptive lever
        self.policy = Policy.stacked([each.regulator for each in configs])
        self.theta, self.penalty = self.policy.theta, self.policy.penalty
        self._snapshots_by_replication: list[list[pd.DataFrame]] = [[] for _ in range(reps)]
        self._tables = [observable_table(self)]
        self._stacked: np.ndarray | None = None  # the tables stacked, until the next period

    def step(self) -> None:
        """One period of every replication."""
        self.steps += 1
        super().step()

    # --- what differs per replication ----------------------------------------------------------

    def _policy_by_generalist(self) -> tuple[Any, Any]:
        per = self.generalists.per_replication
        return tuple(  # type: ignore[return-value]
            np.repeat(value, per) if np.ndim(value) else value
            for value in (self.theta, self.penalty)
        )

    def _open_share_now(self) -> Any:
        g = self.generalists
        per = g.per_replication
        return np.count_nonzero(g.is_open.reshape(self.replications, per), axis=1) / per

    def _outside_now(self) -> Any:
        frontier = self.config.frontier
        reps = self.replications
        if frontier.mode == "exogenous":  # the same in every replication (no hazard here)
            self.open_compute, self.outside = self.open_compute[0], self.outside[0]
            value = super()._outside_now()
            self.open_compute = np.full(reps, self.open_compute)
            return np.full(reps, value)
        g = self.generalists
        best = np.where(g.is_open, g.alpha0, -np.inf).reshape(reps, -1).max(axis=1)
        value = self._outside_value(best)
        self.open_compute = np.asarray(self.value_function.compute_for_value(value), dtype=float)
        return value

    def _outside_value(self, best_alpha0: np.ndarray) -> np.ndarray:
        if self.config.frontier.mode == "exogenous":  # per generalist: its replication's
            return np.repeat(self.outside, self.generalists.per_replication)
        return super()._outside_value(best_alpha0)

    def _outside_by_niche(self) -> np.ndarray:
        return np.repeat(self.outside, self.config.demand.niches)

    def _record(self) -> None:
        self._tables.append(observable_table(self))
        every = self.config.agent_every
        if every and self.steps % every == 0:
            for replication, frames in enumerate(self._snapshots_by_replication):
                frames.append(self._agent_snapshot(replication))

    # --- outputs -----------------------------------------------------------------------------

    def _check_replication(self, replication: int) -> int:
        if not 0 <= int(replication) < self.replications:
            raise ParameterError(
                f"replication must be in [0, {self.replications - 1}], got {replication}"
            )
        return int(replication)

    def _stacked_tables(self) -> np.ndarray:
        """Every period's observables, shape (replications, periods + 1, observables)."""
        if self._stacked is None or self._stacked.shape[1] != len(self._tables):
            self._stacked = np.stack(self._tables, axis=1)
        return self._stacked

    def timeseries(self, replication: int | None = None) -> pd.DataFrame:
        """One replication's series, exactly as ``MarketModel.timeseries`` has it.

        Args:
            replication: Its position in ``seeds``; None: every replication, one after the
                other, with a first column ``replication``.
        """
        tables = self._stacked_tables()
        chosen = (
            range(self.replications)
            if replication is None
            else [self._check_replication(replication)]
        )
        step = np.arange(tables.shape[1], dtype=np.int64)
        frames = []
        for index in chosen:
            columns = {name: tables[index, :, column] for column, name in enumerate(OBSERVABLES)}
            lead = {} if replication is not None else {"replication": np.full(step.size, index)}
            # (one frame from all its columns: inserting them one by one costs 30× more)
            frames.append(pd.DataFrame({**lead, "step": step, **columns}))
        return frames[0] if replication is not None else pd.concat(frames, ignore_index=True)

    def agent_frame(self, replication: int = 0) -> pd.DataFrame:
        """One replication's agent records, exactly as ``MarketModel.agent_frame`` has them."""
        frames = list(self._snapshots_by_replication[self._check_replication(replication)])
        if not frames or int(frames[-1]["step"].iloc[0]) != self.steps:
            frames.append(self._agent_snapshot(replication))
        return pd.concat(frames, ignore_index=True)
