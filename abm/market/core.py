"""The market's state and period over population arrays: :class:`MarketCore`.

One period (``step``), in this order:

1. policy: the regulator puts (θ, p) in force (static, schedule or last period's adaptation);
2. actions: each generalist releases at an openness ω on the grid or abstains; each specialist
   picks a base (or none) and an effort; each closed firm picks a compute level. Each choice
   comes from the agent's learning rule (a share ``revision_rate`` of each population revises);
3. the free open model: the best open release (ω ≥ the open bar), or an exogenous frontier,
   is every customer's outside option;
4. market clearing (:mod:`abm.market.clearing`): every niche clears its derivatives and closed
   models under the scenario's demand rule (captive, limit pricing or logit);
5. the revenue share δ of each derivative (fixed, or a bargaining institution applied to the
   pair's realised surplus), and every agent's payoff;
6. forgone payoffs, for populations with ``counterfactual`` information: the market re-cleared
   with one agent's action changed (vectorised over agents and actions);
7. learning updates; the adaptive regulator observes the open share (its change applies next
   period); observables are collected, agent snapshots every ``agent_every`` periods.

No payoff and no action comes from an analytical equilibrium of Models I–III: those are the
yardstick (:mod:`abm.market.checks`). All randomness comes from one root generator per run
(``numpy.random.default_rng(seed)``), split into one child generator per population with
``Generator.spawn``: same seed, same run, bit for bit.

The core imports no Mesa. :class:`~abm.market.model.MarketModel` is the core as a Mesa model (the
agents a user can list and inspect, the DataCollector, the supply-chain network);
:class:`~abm.market.batch.BatchMarket` is the core over stacked replications, which a study's
runs use without Mesa (about 0.7 s less start-up in every worker).
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
import pandas as pd

from abm.errors import ParameterError
from abm.learning.streams import ReplicaStreams
from abm.market.clearing import (
    Clearing,
    SubstitutingClearing,
    Valuations,
    combine_in_place,
    niche_valuations,
)
from abm.market.config import MarketConfig
from abm.market.distributions import draw
from abm.market.network import same_group
from abm.market.populations import (
    ClosedFirms,
    Generalists,
    InHouse,
    Specialists,
    bargained_share,
)
from abm.market.regulator import Policy

#: Cells per block of the specialists' forgone table: the block's temporaries (256 KiB each)
#: then stay in the processor's cache, as :func:`abm.market.clearing.lambert_of_exp`'s slices do.
_BLOCK_CELLS = 1 << 15
#: Largest |value| × precision logit demand accepts (e^u must stay finite in its sums).
_LOGIT_SCALE = 1e300


class MarketCore:
    """The market of Models I–III: populations, customers, regulator and the period.

    A subclass builds it with :meth:`_build`, advances ``steps`` before each :meth:`step` (Mesa
    does for :class:`~abm.market.model.MarketModel`) and records each period in
    :meth:`_record`.

    Attributes:
        generalists, specialists, closed_firms: The populations (numpy state).
        policy: The regulator's (θ, p).
        clearing: This period's :class:`~abm.market.clearing.Clearing`.
        replications: Replications stacked in the populations (1: a single run).
    """

    steps: int

    def _build(self, config: MarketConfig | None, roots: list[np.random.Generator]) -> None:
        """The populations, customers and policy of ``len(roots)`` stacked replications.

        Replication r draws everything from ``roots[r]``, split into one child generator per
        population with ``Generator.spawn``; stacked replications (``len(roots) > 1``, see
        :class:`abm.market.batch.BatchMarket`) draw through :class:`ReplicaStreams`.
        """
        self.config = config if config is not None else MarketConfig()
        self.config.validate()
        cfg = self.config
        self.replications = len(roots)
        children = [root.spawn(4) for root in roots]  # one child generator per population
        if self.replications == 1:
            g_rng, s_rng, c_rng, d_rng = children[0]
        else:
            g_rng, s_rng, c_rng, d_rng = (
                ReplicaStreams([child[k] for child in children]) for k in range(4)
            )
        replications = self.replications
        niches = int(cfg.demand.niches)
        self.generalists = Generalists(cfg.generalists, g_rng, cfg.frontier.open_bar, replications)
        self.specialists = Specialists(
            cfg.specialists, cfg.generalists.count, niches, s_rng, replications
        )
        self.closed_firms = ClosedFirms(
            cfg.closed_firms, niches, c_rng, cfg.demand.precision, replications
        )
        # firm size: a fifth child generator only when the in-house counts are random draws
        # (spawning does not move the others, so the four populations draw as without it)
        in_house = cfg.firm_size.in_house
        root = roots[0]  # (firm size, catch-up hazard and valuations: single runs only)
        f_rng = (
            root.spawn(1)[0]
            if in_house.kind not in ("constant", "list")
            else np.random.default_rng(0)
        )
        self.in_house = InHouse(cfg.firm_size, self.generalists.count, niches, f_rng)
        # an uncertain catch-up draws its arrival from its own generator, spawned after the
        # others (so they draw as without it)
        self._arrival_rng = root.spawn(1)[0] if cfg.frontier.catchup_hazard < 1.0 else None
        self.catchup_arrived = False
        customers = draw(
            cfg.demand.customers, d_rng, niches * replications, "demand.customers", 0.0
        )
        self.customers = customers
        self.niche_size = customers * cfg.demand.days_per_period
        # customers' valuation scales: their own generator too, spawned only when they vary
        self.valuations = self._draw_valuations(root)
        self.policy = Policy(cfg.regulator)
        self.value_function = self.closed_firms.value_function
        self.floor_value = float(self.value_function(cfg.frontier.floor_compute))
        self.open_compute = float(
            cfg.frontier.compute if cfg.frontier.mode == "exogenous" else cfg.frontier.floor_compute
        )
        self.outside = float(self.value_function(self.open_compute))
        self.open_share = 0.0
        self.theta, self.penalty = self.policy.theta, self.policy.penalty
        self.clearing: Clearing | None = None
        # who imitates whom: agents in the same niche (fixed at creation)
        self._specialist_peers = (
            same_group(self.specialists.niche, niches)
            if self._uses_neighbours(cfg.specialists)
            else None
        )
        self._closed_peers = (
            same_group(self.closed_firms.niche, niches)
            if self.closed_firms.learner is not None and self.closed_firms.learner.neighbours
            else None
        )

    def _state_value(self, observable: str) -> float:
        """A learner's market state: a quantity known in a period before anyone learns."""
        return {
            "open_share": self.open_share,
            "penalty": self.penalty,
            "theta": self.theta,
            "open_frontier": self.open_compute,
        }[observable]

    @staticmethod
    def _uses_neighbours(config: object) -> bool:
        from abm.learning import rule_info

        rules = (config.learning.rule, config.effort_learning.rule)  # type: ignore[attr-defined]
        return any(rule_info(rule).uses == "neighbours" for rule in rules)

    # --- the period -------------------------------------------------------------------------

    def step(self) -> None:
        """Run one period in the documented order (see the module docstring)."""
        g, s, c = self.generalists, self.specialists, self.closed_firms
        self.policy.set_policy(self.steps)  # 1. policy
        self.theta, self.penalty = self.policy.theta, self.policy.penalty  # in force (reported)
        theta, penalty = self._policy_by_generalist()
        g.act()  # 2. actions
        s.act(g)
        c.act()
        self.open_share = self._open_share_now()
        self.outside = self._outside_now()  # 3. the free open model
        clearing = self._clear()  # 4. clearing
        self.clearing = clearing
        self._settle(clearing, theta, penalty)  # 5. δ and payoffs
        self._learn(clearing, theta, penalty)  # 6.-7. forgone payoffs and learning
        self.policy.adapt(self.open_share)
        self._record()

    def _record(self) -> None:
        """Record this period's observables (the Mesa model's DataCollector, a batch's table)."""
        raise NotImplementedError

    def run(self, steps: int) -> Self:
        """Run ``steps`` periods; returns the model."""
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
            raise ParameterError(f"steps must be a non-negative integer, got {steps!r}")
        for _ in range(int(steps)):
            self.step()
        return self

    def _policy_by_generalist(self) -> tuple[Any, Any]:
        """(θ, p) in force for the generalists: one number each (or one per generalist)."""
        return self.theta, self.penalty

    def _open_share_now(self) -> float:
        """Share of generalists releasing with ω ≥ the open bar."""
        g = self.generalists
        return float(np.count_nonzero(g.is_open)) / g.count

    def _outside_by_niche(self) -> np.ndarray:
        """The free open model's value per customer-day in each niche."""
        return np.full(self.niche_size.shape, self.outside)

    def _outside_value(self, best_alpha0: np.ndarray) -> np.ndarray:
        """Value per customer-day of the free open model given the best open α0 (−inf: none)."""
        frontier = self.config.frontier
        if frontier.mode == "exogenous":
            return np.full(np.shape(best_alpha0), self.outside)
        return np.maximum(self.floor_value, frontier.value_per_alpha * best_alpha0)

    def _outside_now(self) -> float:
        """The outside option this period (exogenous: x, then x′ from ``catchup_period`` on)."""
        frontier = self.config.frontier
        if frontier.mode == "exogenous":
            self.catchup_arrived = self.catchup_arrived or self._catchup_arrives()
            late = frontier.catchup_compute > 0 and self.catchup_arrived
            self.open_compute = float(frontier.catchup_compute if late else frontier.compute)
            return float(self.value_function(self.open_compute))
        g = self.generalists
        best = float(g.alpha0[g.is_open].max()) if g.is_open.any() else -np.inf
        value = float(self._outside_value(np.asarray(best)))
        self.open_compute = float(self.value_function.compute_for_value(value))
        return value

    def _draw_valuations(self, root: np.random.Generator) -> Valuations | None:
        """Each customer's valuation scale (its own generator, spawned last), or None (all 1)."""
        demand = self.config.demand
        if not demand.varied_valuations:
            return None
        rng = root.spawn(1)[0]
        scales = [
            draw(demand.valuations, rng, int(count), "demand.valuations", 0.0)
            for count in self.customers
        ]
        return niche_valuations(scales, demand.pricing, demand.days_per_period)

    def _check_logit_scale(self, value: np.ndarray) -> None:
        """Refuse values whose logit utilities v·precision overflow (they cannot be cleared)."""
        precision = self.config.demand.precision
        largest = float(np.max(np.abs(value), initial=0.0)) * precision
        if not math.isfinite(largest) or largest > _LOGIT_SCALE:
            raise ParameterError(
                f"market: a product's value per customer-day times demand.precision reached "
                f"{largest:g}, beyond {_LOGIT_SCALE:g} where logit demand overflows; lower "
                f"generalists.alpha0, frontier.value_per_alpha, specialists.effort_max or "
                f"demand.precision"
            )

    def _catchup_arrives(self) -> bool:
        """Whether the exogenous catch-up arrives this period.

        Surely at ``catchup_period``; with a hazard h < 1, with probability h each period from
        then on.
        """
        frontier = self.config.frontier
        if self.steps - 1 < frontier.catchup_period:
            return False
        if self._arrival_rng is None:
            return True
        return bool(self._arrival_rng.random() < frontier.catchup_hazard)

    def _derivative_value(self, alpha0: np.ndarray, effort: np.ndarray) -> np.ndarray:
        # (α0 + e)·v: the sum's array reused (the same arithmetic as v·(α0 + e))
        return combine_in_place(np.multiply, alpha0 + effort, self.config.frontier.value_per_alpha)

    def _in_house_value(self, boost: np.ndarray) -> np.ndarray:
        """Value per customer-day of each in-house application at its base's growth boost."""
        ih = self.in_house
        return self._derivative_value(self.generalists.alpha0[ih.owner] + boost[ih.owner], 0.0)

    def _clear(self) -> Clearing | SubstitutingClearing:
        """Clear every niche: the matched derivatives, the in-house ones, the closed models."""
        g, s, c = self.generalists, self.specialists, self.closed_firms
        ih = self.in_house
        derivatives = np.flatnonzero(s.matched)
        s.product = np.full(s.count, -1, dtype=np.intp)
        s.product[derivatives] = np.arange(derivatives.size)
        own = np.zeros(0, dtype=np.intp)
        if ih.on:  # firm size: the in-house applications of every releasing owner
            ih.measure(g, s)
            ih.value = self._in_house_value(ih.boost)
            own = np.flatnonzero(ih.active)
            ih.product = np.full(ih.count, -1, dtype=np.intp)
            ih.product[own] = derivatives.size + np.arange(own.size)
        c.product = derivatives.size + own.size + np.arange(c.count, dtype=np.intp)
        base = s.base_index[derivatives]
        value = np.concatenate(
            (
                self._derivative_value(g.alpha0[base], s.effort[derivatives]),
                ih.value[own],
                c.value,
            )
        )
        niche = np.concatenate((s.niche_index[derivatives], ih.niche[own], c.niche_index))
        captive_outside = np.concatenate(
            (
                np.zeros(derivatives.size + own.size, dtype=bool),
                np.ones(c.count, dtype=bool),
            )
        )
        demand = self.config.demand
        if demand.rule == "logit":
            self._check_logit_scale(value)
        args = (
            demand.rule,
            niche,
            value,
            captive_outside,
            self.niche_size,
            self._outside_by_niche(),
            demand.precision,
            np.concatenate((s.price[derivatives], ih.price[own], c.price)),  # last period's
            self.valuations,
        )
        if c.fixed_price is not None:  # learned prices: the closed firms' are held fixed
            fixed = np.full(derivatives.size + own.size, np.nan)
            return Clearing(*args, np.concatenate((fixed, c.fixed_price)))
        if demand.substitution > 0.0:
            return SubstitutingClearing(
                *args, substitution=demand.substitution, discount=demand.substitution_discount
            )
        return Clearing(*args)

    def _settle(self, clearing: Clearing, theta: float, penalty: float) -> None:
        """δ per derivative and every agent's realised payoff."""
        cfg = self.config
        g, s, c = self.generalists, self.specialists, self.closed_firms
        matched = s.matched
        safe_base = s.base_index
        # product −1 (no derivative) reads the appended sentinel
        s.revenue = np.append(clearing.revenue, 0.0)[s.product]
        s.price = np.append(clearing.price, np.nan)[s.product]
        s.effort_cost = np.where(matched, s.effort_cost_at(s.effort, g.released[safe_base]), 0.0)
        delta = bargained_share(cfg.bargaining, s.revenue, s.effort_cost, cfg.delta)
        s.delta = np.full(s.count, delta) if np.ndim(delta) == 0 else delta
        s.alpha1 = np.where(matched, g.alpha0[safe_base] + s.effort, np.nan)
        s.utility = np.where(matched, (1.0 - s.delta) * s.revenue - s.effort_cost, 0.0)
        base = safe_base[matched]
        revenue = np.bincount(base, weights=(s.delta * s.revenue)[matched], minlength=g.count)
        if self.in_house.on:
            revenue = revenue + self._settle_firm_size(clearing)
        g.settle(revenue, theta, penalty)
        g.derivatives = np.bincount(base, minlength=g.count)
        by_replication = g.derivatives.reshape(self.replications, -1)
        total = by_replication.sum(axis=1, keepdims=True)  # derivatives per replication
        g.share = (by_replication / np.maximum(total, 1)).ravel()
        c.settle(clearing, cfg.demand.days_per_period)

    def _settle_firm_size(self, clearing: Clearing) -> np.ndarray:
        """Firm size's flows this period; returns each owner's net income from them.

        In-house revenue (with the growth boost on open bases, priced by the clearing), plus
        the licence ℓ per customer-day each outside application on a closed base serves (the
        outsider pays it: its payoff falls by as much), minus the edge κ per customer-day
        served by all applications on an open base.
        """
        g, s, ih = self.generalists, self.specialists, self.in_house
        matched = s.matched
        served = np.append(clearing.share * self.niche_size[clearing.niche], 0.0)
        revenue = np.append(clearing.revenue, 0.0)
        price = np.append(clearing.price, np.nan)
        ih.revenue, ih.served, ih.price = revenue[ih.product], served[ih.product], price[ih.product]
        s.served = served[s.product]
        safe_base = np.where(s.base < g.count, s.base, 0)
        on_closed = matched & ~g.is_open[safe_base]
        s.licence_fee = np.where(on_closed, ih.licence_margin * s.served, 0.0)
        s.utility = s.utility - s.licence_fee
        n = g.count
        ih.in_house_revenue = np.bincount(ih.owner, weights=ih.revenue, minlength=n)
        ih.licence_income = np.bincount(
            s.base[matched], weights=s.licence_fee[matched], minlength=n
        )
        on_base = np.bincount(s.base[matched], weights=s.served[matched], minlength=n)
        on_base = on_base + np.bincount(ih.owner, weights=ih.served, minlength=n)
        ih.edge_loss = np.where(g.is_open, ih.edge * on_base, 0.0)
        return ih.in_house_revenue + ih.licence_income - ih.edge_loss

    # --- forgone payoffs and learning ----------------------------------------------------------

    def _learn(self, clearing: Clearing, theta: float, penalty: float) -> None:
        g, s, c = self.generalists, self.specialists, self.closed_firms
        days = self.config.demand.days_per_period
        g.forgone = (
            self._generalist_forgone(clearing, theta, penalty)
            if (g.learner.counterfactual)
            else None
        )
        g.learner.learn(g.utility, g.forgone, self._generalist_peers())
        if s.count:
            assert s.effort_learner is not None
            if s.base_learner is not None:
                s.base_forgone = (
                    self._base_forgone(clearing) if s.base_learner.counterfactual else None
                )
                s.base_learner.learn(s.utility, s.base_forgone, self._specialist_peers)
            s.effort_forgone = (
                self._effort_forgone(clearing) if s.effort_learner.counterfactual else None
            )
            s.effort_learner.learn(s.utility, s.effort_forgone, self._specialist_peers)
        if c.learner is not None:
            c.forgone = c.counterfactual(clearing, days) if c.learner.counterfactual else None
            c.learner.learn(c.profit, c.forgone, self._closed_peers)
        c.learn_price(clearing, days)

    def _generalist_peers(self) -> object:
        """Generalists whose derivatives share a niche this period (imitation only)."""
        g, s = self.generalists, self.specialists
        if not g.learner.neighbours:
            return None
        matched = s.matched
        return same_group(s.niche[matched], self.config.demand.niches, s.base[matched], g.count)

    def _generalist_forgone(self, clearing: Clearing, theta: float, penalty: float) -> np.ndarray:
        """Payoff of every release level (and abstention) with everyone else's actions fixed.

        Fine-tuning revenue: every specialist that chose this base this period builds on it
        whenever it is released (so an abstainer sees what returning would pay); a release's
        open status can change the free open model and with it the derivatives' revenue.
        """
        g, s = self.generalists, self.specialists
        grid = g.grid
        forgone = np.zeros((g.count, g.n_actions))
        forgone[:, : grid.size] = g.own_terms(
            np.broadcast_to(grid, (g.count, grid.size)), theta, penalty
        )
        chose = np.flatnonzero(s.base < s.none_action)
        if chose.size:
            base = s.base_index[chose]
            if_open, if_closed = g.outside_if(self._outside_value)
            niche = s.niche_index[chose]
            value = self._derivative_value(g.alpha0[base], s.effort[chose])
            product = s.product[chose]
            revenue_open = clearing.deviation_revenue(niche, value, product, if_open[base])
            revenue_closed = clearing.deviation_revenue(niche, value, product, if_closed[base])
            revenue = np.where(
                g.grid_opens[None, :], revenue_open[:, None], revenue_closed[:, None]
            )
            cost = s.effort_cost_at(s.effort[chose, None], grid[None, :], rows=chose)
            delta = bargained_share(self.config.bargaining, revenue, cost, self.config.delta)
            # Σ over each base's specialists of δ·R, per release level: one bincount over the
            # cells, adding in specialist order as np.add.at does (bit for bit), 4× faster
            cell = base[:, None] * grid.size + np.arange(grid.size)
            forgone[:, : grid.size] += np.bincount(
                cell.ravel(), weights=(delta * revenue).ravel(), minlength=g.count * grid.size
            ).reshape(g.count, grid.size)
        if self.in_house.on:
            forgone[:, : grid.size] += self._firm_size_forgone(clearing, chose)
        return forgone

    def _firm_size_forgone(self, clearing: Clearing, chose: np.ndarray) -> np.ndarray:
        """Firm size's flows to each owner at every release level, everyone else fixed.

        Every in-house application is on its owner's base when it releases, and every
        specialist that chose the base this period builds on it (as for the δ-share). Open
        levels: in-house revenue at value α0 + γ × outsiders' effort / all applications, minus
        κ per customer-day served on the base; closed levels: in-house revenue at α0 plus ℓ per
        customer-day each outsider serves. Sales and revenues are re-cleared against the
        outside option the release's open status implies (as the δ-share's are).
        """
        g, s, ih = self.generalists, self.specialists, self.in_house
        n = g.count
        _, _, _, growth = ih.base_counts(n, ih.owner, s.base[chose], s.effort[chose])
        if_open, if_closed = g.outside_if(self._outside_value)
        owner = ih.owner
        opened = self._in_house_value(growth)
        shut = self._in_house_value(np.zeros(n))
        own_open = clearing.deviation_revenue(ih.niche, opened, ih.product, if_open[owner])
        own_closed = clearing.deviation_revenue(ih.niche, shut, ih.product, if_closed[owner])
        own_sold = clearing.deviation_sales(ih.niche, opened, ih.product, if_open[owner])
        base = s.base[chose]
        value = self._derivative_value(g.alpha0[base], s.effort[chose])
        niche, product = s.niche[chose], s.product[chose]
        out_open = clearing.deviation_sales(niche, value, product, if_open[base])
        out_closed = clearing.deviation_sales(niche, value, product, if_closed[base])
        when_open = (
            np.bincount(owner, weights=own_open, minlength=n)
            - ih.edge * np.bincount(owner, weights=own_sold, minlength=n)
            - ih.edge * np.bincount(base, weights=out_open, minlength=n)
        )
        when_closed = np.bincount(owner, weights=own_closed, minlength=n) + (
            ih.licence_margin * np.bincount(base, weights=out_closed, minlength=n)
        )
        return np.where(g.grid_opens[None, :], when_open[:, None], when_closed[:, None])

    def _licence_fees(
        self,
        clearing: Clearing,
        value: np.ndarray,
        base_closed: np.ndarray,
        rows: np.ndarray | slice = slice(None),
    ) -> np.ndarray:
        """The licence ℓ per customer-day derivatives at ``value`` serve on a closed base.

        Of the specialists ``rows`` (default all), one row of ``value`` each.
        """
        s = self.specialists
        shape = np.broadcast_shapes(np.shape(value), np.shape(base_closed))
        niche = np.broadcast_to(s.niche[rows, None], shape)
        product = np.broadcast_to(s.product[rows, None], shape)
        sold = clearing.deviation_sales(niche, value, product)
        return np.where(base_closed, self.in_house.licence_margin * sold, 0.0)

    def _by_specialist(self, values: np.ndarray, pad: Any) -> np.ndarray:
        """Per specialist (rows), its replication's generalists' ``values`` (columns), stacked.

        One more column of ``pad`` (the "no base" action's) ends each row.
        """
        table = values.reshape(self.replications, -1)
        table = np.concatenate((table, np.full((self.replications, 1), pad, table.dtype)), 1)
        return table[self.specialists.replica]

    def _base_forgone(self, clearing: Clearing) -> np.ndarray:
        """U_D of building on each generalist (or none), own effort and everyone else fixed.

        The table is the period's largest array, so it is computed in blocks of rows that stay
        in the processor's cache, each pass contiguous and in place, with one more column for
        "no base" computed as a base of α0 = 0 released at ω = 0 and then zeroed. A run alone
        computes the bases that take part only (the others pay 0); stacked replications compute
        every base and zero, per replication, those that do not take part.
        """
        g, s = self.generalists, self.specialists
        columns = None  # where the computed columns go (None: every column, in order)
        if self.replications > 1:
            alpha0 = self._by_specialist(g.alpha0, 0.0)
            released = self._by_specialist(g.released, 0.0)
            closed = None  # (firm size runs alone, never stacked)
        else:
            bases = np.flatnonzero(g.participates)
            if bases.size < g.count:
                columns = np.append(bases, g.count)
            alpha0 = np.append(g.alpha0[bases], 0.0)[None, :]
            released = np.append(g.released[bases], 0.0)[None, :]
            closed = np.append(~g.is_open[bases], False)[None, :]
        shape = (s.count, s.none_action + 1)
        forgone = np.empty(shape) if columns is None else np.zeros(shape)  # (every cell written)
        block = max(1, _BLOCK_CELLS // alpha0.shape[1])
        for begin in range(0, s.count, block):
            rows = slice(begin, begin + block)
            # (stacked replications: each row its own replication's generalists)
            base_alpha0, base_released = (
                (alpha0, released) if self.replications == 1 else (alpha0[rows], released[rows])
            )
            value = self._derivative_value(base_alpha0, s.effort[rows, None])
            revenue = clearing.deviation_revenue(
                s.niche_index[rows, None], value, s.product[rows, None]
            )
            cost = s.effort_cost_at(s.effort[rows, None], base_released, rows=rows)
            delta = bargained_share(self.config.bargaining, revenue, cost, self.config.delta)
            # (1 − δ)·R − C, written over R (a new array of the clearing's), then into the table
            payoff = combine_in_place(np.multiply, 1.0 - delta, revenue, into=revenue)
            if self.in_house.on:  # the licence on closed bases
                payoff = combine_in_place(np.subtract, payoff, cost)
                cost = self._licence_fees(clearing, value, closed, rows)
            if columns is None:
                np.subtract(payoff, cost, out=forgone[rows])
            else:
                forgone[rows, columns] = combine_in_place(np.subtract, payoff, cost)
        if self.replications > 1:  # 0 on the bases that do not take part, and for no base
            np.copyto(forgone, 0.0, where=~self._by_specialist(g.participates, False))
        else:
            forgone[:, -1] = 0.0
        return forgone

    def _effort_forgone(self, clearing: Clearing) -> np.ndarray:
        """U_D of each effort level on the chosen base (0 everywhere when unmatched)."""
        g, s = self.generalists, self.specialists
        forgone = np.zeros((s.count, s.effort_grid.size))
        rows = np.flatnonzero(s.matched)  # (only these rows are computed)
        safe = s.base_index[rows]
        grid = s.effort_grid[None, :]
        value = self._derivative_value(g.alpha0[safe, None], grid)
        revenue = clearing.deviation_revenue(
            s.niche_index[rows, None], value, s.product[rows, None]
        )
        cost = s.effort_cost_at(grid, g.released[safe, None], rows=rows)
        delta = bargained_share(self.config.bargaining, revenue, cost, self.config.delta)
        payoff = (1.0 - delta) * revenue - cost
        if self.in_house.on:  # the licence on a closed base
            closed = (g.participates & ~g.is_open)[safe]
            payoff = payoff - self._licence_fees(clearing, value, closed[:, None], rows)
        forgone[rows] = payoff
        return forgone

    # --- outputs ------------------------------------------------------------------------------

    def _agent_snapshot(self, replication: int = 0) -> pd.DataFrame:
        """Every agent's state now (of one replication, when replications are stacked)."""
        g, s, c = self.generalists, self.specialists, self.closed_firms
        parts = []
        for kind, pop in (("generalist", g), ("specialist", s), ("closed_firm", c)):
            per = pop.count // self.replications
            rows = slice(replication * per, (replication + 1) * per)
            state = {name: values[rows] for name, values in pop.state().items()}
            parts.append(
                pd.DataFrame({"step": self.steps, "type": kind, "index": np.arange(per), **state})
            )
        if self.in_house.on:
            parts[0]["in_house"] = self.in_house.counts
            parts[0]["in_house_share"] = self.in_house.share
        return pd.concat([part for part in parts if len(part)], ignore_index=True)
