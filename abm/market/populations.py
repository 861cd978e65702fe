"""Per-type agent state in numpy arrays: what each agent chose and what the market paid it.

Each population owns the arrays of one agent type (one entry per agent) and its learning rules;
the Mesa agents in :mod:`abm.market.agents` only read these arrays. Nothing here computes an
equilibrium: realised payoffs come from :class:`~abm.market.clearing.Clearing` of what the
agents did, and forgone payoffs (``counterfactual`` information) from the same clearing with one
agent's action changed (:meth:`Clearing.deviation_revenue`). The payoff terms that do not go
through the market (a generalist's licensing, reputation, operation, compliance, production
and penalty; a specialist's effort cost; a closed firm's compute cost) are accounting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from abm.errors import ParameterError
from abm.learning import LearningRule, make_rule, rule_info
from abm.learning.streams import ReplicaStreams, uniform_pair
from abm.market.clearing import Clearing, combine_in_place
from abm.market.config import (
    ClosedFirmConfig,
    FirmSizeConfig,
    GeneralistConfig,
    LearningConfig,
    SpecialistConfig,
)
from abm.market.distributions import draw
from abm.theory.value_functions import resolve_value

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: An openness on the grid counts as meeting a threshold within this tolerance (grid rounding).
GRID_TOLERANCE = 1e-9
#: Regimes of a generalist's choice (codes 0–3, as in Model I's ``REGIMES``).
REGIMES = ("free", "comply", "pay", "abstain")
FREE, COMPLY, PAY, ABSTAIN = range(4)


class Learner:
    """A learning rule from the registry, its information setting and its revision rate.

    Each period a share ``revision_rate`` of the agents (drawn at random) takes the action its
    rule proposes; the others repeat theirs. Every agent learns from every period. Rules that
    need payoffs ≥ 0 (Roth–Erev; EWA with the linear choice rule) get each agent's payoffs
    shifted by the lowest payoff it has seen so far (Erev and Roth 1998 shift by the lowest
    possible payoff, which an agent learning from experience does not know).
    """

    def __init__(
        self,
        config: LearningConfig,
        n_agents: int,
        n_actions: int,
        rng: np.random.Generator,
        path: str,
    ) -> None:
        params = dict(config.params)
        self.state = config.state
        if self.state is not None:
            params["n_states"] = len(self.state.edges) + 1
        try:
            self.rule: LearningRule = make_rule(config.rule, n_agents, n_actions, rng, **params)
        except (ParameterError, TypeError) as error:
            raise ParameterError(f"{path}.params: {error}") from None
        # with a market state: where its value comes from (bound by the model) and the state
        # the agents are in now (the bin of last period's value)
        self.state_source: Callable[[str], float] | None = None
        self.state_now = 0
        info = rule_info(config.rule)
        self.counterfactual = config.information == "counterfactual"
        self.neighbours = info.uses == "neighbours"
        self.nonnegative = self.rule.requires_nonnegative_payoffs
        self.revision_rate = float(config.revision_rate)
        self.rng = rng
        self.action: IntArray | None = None
        self.shift = np.zeros(n_agents)

    def bind_state(self, source: Callable[[str], float]) -> None:
        """Read the market state from ``source(observable)``; the agents start in its bin now."""
        self.state_source = source
        if self.state is not None:
            self.state_now = self._bin(source(self.state.observable))

    def _bin(self, value: float) -> int:
        assert self.state is not None
        return int(np.searchsorted(np.asarray(self.state.edges, dtype=float), value, "right"))

    def act(self) -> IntArray:
        """One action per agent: the rule's proposal for revising agents, else the last one."""
        if self.state is not None:
            self.rule.set_states(np.full(self.rule.n_agents, self.state_now, dtype=np.intp))
        rule = self.rule
        if self.action is None or self.revision_rate >= 1.0:
            self.action = rule.act()
        elif rule.chooses_rows:
            # the rule's uniforms and the revision draws in one call, in the order act() and
            # the revision take them (the same path), and only the revising agents choose
            uniforms, revision = uniform_pair(self.rng, rule.n_agents)
            revise = np.flatnonzero(revision < self.revision_rate)
            action = self.action.copy()
            action[revise] = rule.choose(revise, uniforms[revise])
            self.action = action
        else:
            proposed = rule.act()
            revise = self.rng.random(proposed.shape[0]) < self.revision_rate
            self.action = np.where(revise, proposed, self.action)
        return self.action

    def learn(
        self,
        payoffs: FloatArray,
        forgone: FloatArray | None,
        neighbours: Any = None,
        next_states: IntArray | None = None,
    ) -> None:
        """Observe this period's payoffs (forgone payoffs, neighbours, next states); update.

        With a market state the next states are the bin of the observable's value now.
        """
        assert self.action is not None
        if self.state is not None and self.state_source is not None:
            self.state_now = self._bin(self.state_source(self.state.observable))
            next_states = np.full(self.rule.n_agents, self.state_now, dtype=np.intp)
        if self.nonnegative:
            lowest = payoffs if forgone is None else np.minimum(payoffs, forgone.min(axis=1))
            self.shift = np.maximum(self.shift, -lowest)
            payoffs = payoffs + self.shift
            forgone = None if forgone is None else forgone + self.shift[:, None]
        self.rule.observe_trusted(
            self.action,
            payoffs,
            forgone=forgone,
            neighbours=neighbours if self.neighbours else None,
            next_states=next_states,
        )
        self.rule.update()


class PerAgentState:
    """The one list of a population's per-agent state: ``FIELDS`` (name → meaning).

    The agent snapshot (``MarketModel.agent_frame``), the supply-chain graph's node attributes
    and the Mesa agents' properties are all made from it, so a new per-agent quantity is one
    entry here (and, where the array is not an attribute of the same name, one ``column`` case).
    """

    FIELDS: ClassVar[dict[str, str]] = {}

    def column(self, name: str) -> np.ndarray:
        """The per-agent array of field ``name``."""
        return getattr(self, name)

    def state(self) -> dict[str, np.ndarray]:
        """Every field's per-agent array."""
        return {name: self.column(name) for name in self.FIELDS}


def bargained_share(
    rule: str, revenue: FloatArray, cost: FloatArray, fixed: float
) -> FloatArray | float:
    """G's revenue share δ set by the bargaining institution from what the pair earned.

    The pair's surplus is its revenue R minus the specialist's effort cost C, split with
    disagreement point (0, 0): Nash, egalitarian and Kalai–Smorodinsky all give each side
    (R − C)/2 on this transferable-utility frontier, so δ = (R − C)/(2R); ``generalist`` (G
    proposes, D accepts anything ≥ 0) gives δ = (R − C)/R. δ is clipped to [0, 1] (a pair with
    no surplus pays G nothing). ``fixed`` returns the number ``fixed`` (it broadcasts).
    """
    if rule == "fixed":
        return float(fixed)
    surplus = revenue - cost
    part = surplus if rule == "generalist" else 0.5 * surplus
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(revenue > 0.0, part / revenue, 0.0)
    return np.clip(share, 0.0, 1.0)


class Generalists(PerAgentState):
    """Base-model owners: α0 and costs per agent, the ω grid, and the learned release choice.

    Actions are the indices of ``grid`` (openness levels) plus, if abstention is allowed, one
    last action ``abstain_action`` that leaves the market for the period (payoff 0).
    """

    FIELDS: ClassVar[dict[str, str]] = {
        "alpha0": "base-model performance α0",
        "openness": "openness ω released this period (NaN when abstaining)",
        "regime": "free, comply, pay or abstain",
        "utility": "this period's payoff (penalty included)",
        "share": "share s of all derivatives built on this model",
        "derivatives": "number of specialists fine-tuning this model",
    }

    def column(self, name: str) -> np.ndarray:
        """Per-agent array of ``name`` (``regime`` as names)."""
        if name == "regime":
            return np.asarray(REGIMES, dtype=object)[self.regime]
        return getattr(self, name)

    def __init__(
        self,
        config: GeneralistConfig,
        rng: np.random.Generator | ReplicaStreams,
        open_bar: float,
        replications: int = 1,
    ) -> None:
        self.config = config
        self.open_bar = open_bar
        self.replications = replications
        self.per_replication = int(config.count)
        n = self.per_replication * replications
        self.count = n
        self.alpha0 = draw(config.alpha0, rng, n, "generalists.alpha0", 0.0, low_open=True)
        self.licensing = draw(config.licensing, rng, n, "generalists.licensing", 0.0)
        self.reputation = draw(config.reputation, rng, n, "generalists.reputation", 0.0)
        self.operation = draw(config.operation, rng, n, "generalists.operation", 0.0)
        self.compliance = draw(
            config.compliance, rng, n, "generalists.compliance", 0.0, low_open=True
        )
        self.production = draw(config.production, rng, n, "generalists.production", 0.0)
        self.grid = np.linspace(0.0, 1.0, int(config.openness_levels))
        self.grid_opens = self.grid >= open_bar - GRID_TOLERANCE
        self.abstain_action = len(self.grid) if config.allow_abstain else -1
        self.n_actions = len(self.grid) + int(config.allow_abstain)
        self.learner = Learner(config.learning, n, self.n_actions, rng, "generalists.learning")
        self.action = np.zeros(n, dtype=np.intp)
        self.participates = np.ones(n, dtype=bool)
        self.openness = np.zeros(n)
        self.released = np.zeros(n)
        self.is_open = np.zeros(n, dtype=bool)
        self.regime = np.zeros(n, dtype=np.int8)
        self.utility = np.zeros(n)
        self.revenue = np.zeros(n)
        self.penalty_paid = np.zeros(n)
        self.derivatives = np.zeros(n, dtype=np.intp)
        self.share = np.zeros(n)
        self.forgone: FloatArray | None = None

    def act(self) -> None:
        """Every generalist picks an openness level or abstains (its learning rule)."""
        self.action = self.learner.act()
        self.participates = self.action != self.abstain_action
        chosen = np.minimum(self.action, len(self.grid) - 1)
        self.openness = np.where(self.participates, self.grid[chosen], np.nan)
        # ω with 0 for abstainers (what specialists read; no NaN handling downstream)
        self.released = np.where(self.participates, self.grid[chosen], 0.0)
        self.is_open = self.participates & self.grid_opens[chosen]

    def own_terms(self, openness: FloatArray, theta: Any, penalty: Any) -> FloatArray:
        """Payoff terms outside the fine-tuning market, at ``openness`` (broadcast per agent).

        β·α0·(1−ω) + ε·ω − o·(1−ω) − k·ω² − c0·α0² − p·[ω < θ]: licence revenue from closed
        access, reputation, the cost of serving a closed model, the cost of preparing an open
        release, the cost of building the base model, and the penalty.
        """
        column = openness.ndim == 2
        # θ and p are one number, or one per generalist (a check's regulator per pair)
        theta, penalty = (
            np.asarray(x)[:, None] if column and np.ndim(x) == 1 else x for x in (theta, penalty)
        )
        alpha0, licensing, reputation, operation, compliance, production = (
            (x[:, None] if column else x)
            for x in (
                self.alpha0,
                self.licensing,
                self.reputation,
                self.operation,
                self.compliance,
                self.production,
            )
        )
        closedness = 1.0 - openness
        below = openness < theta - GRID_TOLERANCE
        return (
            licensing * alpha0 * closedness
            + reputation * openness
            - operation * closedness
            - compliance * openness**2
            - production * alpha0**2
            - penalty * below
        )

    def settle(self, revenue: FloatArray, theta: Any, penalty: Any) -> None:
        """This period's payoff (0 when abstaining), penalties paid and regime."""
        self.revenue = np.where(self.participates, revenue, 0.0)
        terms = self.own_terms(self.released, theta, penalty)
        self.utility = np.where(self.participates, terms + revenue, 0.0)
        below = self.released < theta - GRID_TOLERANCE
        binding = (np.asarray(penalty) > 0.0) & (np.asarray(theta) > 0.0)
        pays = self.participates & below & binding
        self.penalty_paid = np.where(pays, penalty, 0.0) * np.ones(self.count)
        # Complying is releasing at the lowest grid level that meets θ; above it the choice
        # is read as free (the rule would not bind there).
        step = self.grid[1] - self.grid[0]
        at_threshold = ~below & (self.released < theta + step - GRID_TOLERANCE)
        regime = np.full(self.count, FREE, dtype=np.int8)
        regime[self.participates & at_threshold & binding] = COMPLY
        regime[pays] = PAY
        regime[~self.participates] = ABSTAIN
        self.regime = regime

    def outside_if(self, outside_value: Any) -> tuple[FloatArray, FloatArray]:
        """The free open model's value if each generalist were open / not open (others as now).

        ``outside_value(best_alpha0)`` maps the best open α0 (−inf: none) to the outside
        option's value per customer-day.
        """
        if not self.count:
            return outside_value(np.zeros(0)), outside_value(np.zeros(0))
        # per replication: the best open α0, the runner-up, and who holds the best
        strength = np.where(self.is_open, self.alpha0, -np.inf).reshape(self.replications, -1)
        leader = np.argmax(strength, axis=1)
        rows = np.arange(self.replications)
        best = strength[rows, leader]
        if strength.shape[1] > 1:
            rest = strength.copy()
            rest[rows, leader] = -np.inf
            second = rest.max(axis=1)
        else:
            second = np.full(self.replications, -np.inf)
        without = np.repeat(best, self.per_replication)
        without[rows * self.per_replication + leader] = second
        with_self = np.maximum(without, self.alpha0)
        return outside_value(with_self), outside_value(without)


class Specialists(PerAgentState):
    """Fine-tuners: cost, leverage and niche per agent; the base and effort they learn."""

    FIELDS: ClassVar[dict[str, str]] = {
        "base": "index of the generalist it fine-tunes, -1 when it has no derivative",
        "niche": "the niche (application) it serves",
        "effort": "fine-tuning effort e = α1 − α0 chosen this period",
        "alpha1": "fine-tuned performance α1 (NaN without a derivative)",
        "delta": "G's revenue share δ of its derivative",
        "revenue": "revenue of its derivative this period (before the share δ)",
        "utility": "this period's payoff U_D",
    }

    def column(self, name: str) -> np.ndarray:
        """Per-agent array of ``name`` (``base`` is −1 without a derivative)."""
        return np.where(self.matched, self.base, -1) if name == "base" else getattr(self, name)

    def __init__(
        self,
        config: SpecialistConfig,
        n_generalists: int,
        n_niches: int,
        rng: np.random.Generator | ReplicaStreams,
        replications: int = 1,
    ) -> None:
        self.config = config
        per = int(config.count)
        n = per * replications
        self.count = n
        self.n_generalists = n_generalists  # per replication
        # the replication of each row; stacked populations index the generalists and niches
        # of their own replication (base_index, niche_index)
        self.replica = np.repeat(np.arange(replications, dtype=np.intp), per)
        self.base_offset = self.replica * n_generalists if replications > 1 else None
        self.cost = draw(
            config.specialist_cost, rng, n, "specialists.specialist_cost", 0.0, low_open=True
        )
        self.leverage = draw(config.openness_leverage, rng, n, "specialists.openness_leverage", 0.0)
        # one λ for all (the usual case): a table's 1 + λω is then one row, not one per agent
        self._one_leverage = n > 0 and bool((self.leverage == self.leverage[0]).all())
        self.niche = rng.integers(n_niches, size=n).astype(np.intp)
        self.niche_index = self.niche + self.replica * n_niches if replications > 1 else self.niche
        self.none_action = n_generalists
        self.fixed_base = np.tile(np.arange(per, dtype=np.intp) % n_generalists, replications)
        self.base_learner: Learner | None = None
        if config.matching == "learned" and n > 0:
            self.base_learner = Learner(
                config.learning, n, n_generalists + 1, rng, "specialists.learning"
            )
        self.effort_grid = np.linspace(0.0, config.effort_max, int(config.effort_levels))
        self.effort_learner = (
            Learner(
                config.effort_learning,
                n,
                self.effort_grid.size,
                rng,
                "specialists.effort_learning",
            )
            if n
            else None
        )
        self.base = self.fixed_base.copy()
        self.effort_action = np.zeros(n, dtype=np.intp)
        self.effort = np.zeros(n)
        self.matched = np.zeros(n, dtype=bool)
        self.base_index = np.zeros(n, dtype=np.intp)
        self.product = np.full(n, -1, dtype=np.intp)
        self.delta = np.zeros(n)
        self.alpha1 = np.full(n, np.nan)
        self.revenue = np.zeros(n)
        self.effort_cost = np.zeros(n)
        self.price = np.full(n, np.nan)
        self.utility = np.zeros(n)
        self.served = np.zeros(n)  # customer-days served (firm size only)
        self.licence_fee = np.zeros(n)  # paid to a closed base's owner (firm size only)
        self.base_forgone: FloatArray | None = None
        self.effort_forgone: FloatArray | None = None

    def act(self, generalists: Generalists) -> None:
        """Choose a base (or none) and an effort; a derivative exists if its base is released."""
        if self.count == 0:
            return
        if self.base_learner is not None:
            self.base = self.base_learner.act()
        assert self.effort_learner is not None
        self.effort_action = self.effort_learner.act()
        self.effort = self.effort_grid[self.effort_action]
        has_base = self.base < self.n_generalists
        safe = np.where(has_base, self.base, 0)
        if self.base_offset is not None:
            safe = safe + self.base_offset
        self.base_index = safe  # the chosen base's row among the generalists (0 when none)
        self.matched = has_base & generalists.participates[safe]

    def effort_cost_at(
        self, effort: FloatArray, openness: FloatArray, rows: IntArray | None = None
    ) -> FloatArray:
        """c_D·e²/(1 + λ·ω) of the specialists ``rows`` (default all): openness cuts the cost."""
        cost = self.cost if rows is None else self.cost[rows]
        leverage = self.leverage if rows is None else self.leverage[rows]
        if np.ndim(effort) == 2 or np.ndim(openness) == 2:
            cost = cost[:, None]
            # (the same λ·ω for every agent, computed once per column)
            leverage = self.leverage[0] if self._one_leverage else leverage[:, None]
        # cost·e²/(1 + λω), the same arithmetic written into whichever temporary has the
        # result's shape (these tables are the forgone payoffs' largest)
        numerator = cost * effort**2
        denominator = combine_in_place(np.add, leverage * openness, 1.0)
        larger = denominator if np.size(denominator) > np.size(numerator) else numerator
        return combine_in_place(np.divide, numerator, denominator, into=larger)


class ClosedFirms(PerAgentState):
    """Closed-model firms (Model II): a compute level per firm, chosen by a learning rule.

    Firm f sells in niche f mod N. Level l has compute y·rˡ and value f(y·rˡ) per customer-day;
    its amortised cost per period is c·y·d/m. Revenue comes from the niche's clearing.

    With ``pricing = "learned"`` (logit demand) each firm also learns its price on the grid
    σ·linspace(price_low, price_high, price_levels) with a second rule (``price_learning``,
    Q-learning by default) whose state is the last grid prices of the closed firms of its niche
    (Calvano et al. 2020: k = 1), state 0 before the first period; the clearing holds these
    prices fixed and the other products best-respond to them.
    """

    FIELDS: ClassVar[dict[str, str]] = {
        "niche": "the niche it sells in",
        "compute": "compute of the model it sells this period",
        "price": "price per customer-day set in its niche's clearing this period",
        "revenue": "revenue this period",
        "utility": "revenue minus the amortised compute cost (profit), this period",
    }

    def column(self, name: str) -> np.ndarray:
        """Per-agent array of ``name`` (``utility`` is the profit)."""
        return self.profit if name == "utility" else getattr(self, name)

    def __init__(
        self,
        config: ClosedFirmConfig,
        n_niches: int,
        rng: np.random.Generator | ReplicaStreams,
        precision: float = 1.0,
        replications: int = 1,
    ) -> None:
        self.config = config
        per = int(config.count)
        n = per * replications
        self.count = n
        self.value_function = resolve_value(config.value)
        self.niche = np.tile(np.arange(per, dtype=np.intp) % n_niches, replications)
        replica = np.repeat(np.arange(replications, dtype=np.intp), per)
        self.niche_index = self.niche + replica * n_niches if replications > 1 else self.niche
        initial = draw(
            config.initial_compute, rng, n, "closed_firms.initial_compute", 0.0, low_open=True
        )
        self.compute_cost = draw(config.compute_cost, rng, n, "closed_firms.compute_cost", 0.0)
        powers = config.upgrade_factor ** np.arange(int(config.levels))
        self.levels = initial[:, None] * powers[None, :]
        self.level_value = self.value_function(self.levels)
        self.learner = (
            Learner(config.learning, n, int(config.levels), rng, "closed_firms.learning")
            if n
            else None
        )
        self.action = np.zeros(n, dtype=np.intp)
        self.compute = initial.copy()
        self.value = self.level_value[:, 0].copy() if n else np.zeros(0)
        self.product = np.full(n, -1, dtype=np.intp)
        self.price = np.zeros(n)
        self.revenue = np.zeros(n)
        self.profit = np.zeros(n)
        self.upgrade_incentive = np.zeros(n)
        self.cumulative_revenue = np.zeros(n)
        self.forgone: FloatArray | None = None
        self.price_learner: Learner | None = None
        self.fixed_price: FloatArray | None = None
        if config.pricing == "learned" and n:
            self._learn_prices(config, n_niches, rng, precision)

    def _learn_prices(
        self, config: ClosedFirmConfig, n_niches: int, rng: np.random.Generator, precision: float
    ) -> None:
        """The price grid, the niches' closed firms (the state) and the price learner."""
        n, levels = self.count, int(config.price_levels)
        grid = np.linspace(config.price_low, config.price_high, levels)
        self.price_grid = grid / float(precision)
        per_niche = -(-n // n_niches)  # closed firms in the fullest niche
        # members[m, r]: the r-th closed firm of niche m (−1: none); a state reads their prices
        self.members = np.full((n_niches, per_niche), -1, dtype=np.intp)
        self.members[self.niche, np.arange(n) // n_niches] = np.arange(n)
        self.state_radix = levels ** np.arange(per_niche - 1, -1, -1)
        learning = config.price_learning
        if learning.state is not None:
            raise ParameterError(
                "closed_firms.price_learning.state: learned prices take the last prices in the "
                "niche as their state; leave state out"
            )
        params = dict(learning.params)
        if any(spec.name == "n_states" for spec in rule_info(learning.rule).parameters):
            params["n_states"] = levels**per_niche
        self.price_learner = Learner(
            learning.model_copy(update={"params": params}),
            n,
            levels,
            rng,
            "closed_firms.price_learning",
        )
        self.price_index = np.zeros(n, dtype=np.intp)
        self.price_state = np.zeros(n, dtype=np.intp)
        self.price_forgone: FloatArray | None = None

    def _price_states(self) -> IntArray:
        """Each firm's state: the grid prices of its niche's closed firms, read as one number."""
        held = np.where(self.members >= 0, self.price_index[np.maximum(self.members, 0)], 0)
        return (held @ self.state_radix)[self.niche]

    def act(self) -> None:
        """Pick this period's compute level (and, with learned pricing, price)."""
        if self.learner is not None:
            self.action = self.learner.act()
            rows = np.arange(self.count)
            self.compute = self.levels[rows, self.action]
            self.value = self.level_value[rows, self.action]
        if self.price_learner is not None:
            if self.price_learner.rule.n_states > 1:
                self.price_learner.rule.set_states(self.price_state)
            self.price_index = self.price_learner.act()
            self.fixed_price = self.price_grid[self.price_index]

    def learn_price(self, clearing: Clearing, days: float) -> None:
        """The price learner observes this period's profit and moves to the next state."""
        learner = self.price_learner
        if learner is None:
            return
        self.price_forgone = None
        if learner.counterfactual:  # profit at each grid price, every other price as set
            revenue = clearing.price_deviation_revenue(self.product, self.price_grid)
            self.price_forgone = revenue - self.amortised_cost(self.compute, days)[:, None]
        self.price_state = self._price_states()
        learner.learn(
            self.profit,
            self.price_forgone,
            next_states=self.price_state if learner.rule.n_states > 1 else None,
        )

    def amortised_cost(self, compute: FloatArray, days: float) -> FloatArray:
        """Compute cost of one period: the annuity c·y·days/A, A = Σ_{t<m} dᵗ (m without discount).

        Paying c·y/A a day over the horizon has present value c·y, so a firm that keeps one
        level the whole horizon earns Model II's discounted profit; d = 1 gives c·y·days/m.
        """
        cost = self.compute_cost[:, None] if np.ndim(compute) == 2 else self.compute_cost
        return cost * compute * days / self.annuity_days

    @property
    def annuity_days(self) -> float:
        """A = Σ_{t<m} dᵗ = (1 − dᵐ)/(1 − d), the horizon's discounted days (m when d = 1)."""
        discount, horizon = float(self.config.discount), float(self.config.horizon_days)
        if discount == 1.0:
            return horizon
        return float(-np.expm1(horizon * np.log(discount)) / -np.expm1(np.log(discount)))

    def settle(self, clearing: Clearing, days: float) -> None:
        """Revenue and profit from the clearing; the per-period gain of one more level."""
        if self.count == 0:
            return
        self.price = clearing.price[self.product]
        self.revenue = clearing.revenue[self.product]
        self.profit = self.revenue - self.amortised_cost(self.compute, days)
        self.cumulative_revenue = self.cumulative_revenue + self.revenue
        upgraded = self.compute * self.config.upgrade_factor
        gain = clearing.deviation_revenue(
            self.niche_index, self.value_function(upgraded), self.product, captive_outside=True
        )
        self.upgrade_incentive = (
            gain
            - self.revenue
            - (self.amortised_cost(upgraded, days) - self.amortised_cost(self.compute, days))
        )

    def counterfactual(self, clearing: Clearing, days: float) -> FloatArray:
        """Profit of every compute level, the other firms' and products' actions unchanged."""
        revenue = clearing.deviation_revenue(
            self.niche_index[:, None],
            self.level_value,
            self.product[:, None],
            captive_outside=True,
        )
        return revenue - self.amortised_cost(self.levels, days)


class InHouse:
    """Firm size (Model III as a mechanism): the generalists' own applications and the flows.

    Generalist i owns ``in_house[i]`` applications (drawn once, rounded to whole numbers). Each
    is a product in a captive niche of its own (niches assigned round-robin), built on its
    owner's base whenever the owner releases, at effort 0 and value ``value_per_alpha`` ×
    (α0 + growth boost); its whole revenue goes to the owner (δ = 1, no effort cost). Each
    period :meth:`measure` reads what the agents did: the applications on each base (in-house
    and outside), the outsiders' total effort on it, the owner's size s = in-house / all, and
    the growth boost γ × outsiders' effort / all applications, in force on open bases. The
    licence (closed base: ℓ per customer-day an outside application serves, paid by the
    outsider to the owner) and the edge (open base: the owner loses κ per customer-day served
    by the applications on its base) are settled by the model from the clearing's sales.
    ``on`` is False when no generalist has an in-house application: then nothing here runs.
    """

    def __init__(
        self,
        config: FirmSizeConfig,
        n_generalists: int,
        n_niches: int,
        rng: np.random.Generator,
    ) -> None:
        self.config = config
        drawn = draw(config.in_house, rng, n_generalists, "firm_size.in_house", 0.0)
        self.counts = np.rint(drawn).astype(np.intp)
        self.count = int(self.counts.sum())
        self.on = self.count > 0
        self.growth_rate = float(config.growth_rate)
        self.licence_margin = float(config.licence_margin)
        self.edge = float(config.edge)
        self.owner = np.repeat(np.arange(n_generalists, dtype=np.intp), self.counts)
        self.niche = np.arange(self.count, dtype=np.intp) % n_niches
        self.active = np.zeros(self.count, dtype=bool)
        self.product = np.full(self.count, -1, dtype=np.intp)
        self.value = np.zeros(self.count)
        self.price = np.full(self.count, np.nan)
        self.revenue = np.zeros(self.count)
        self.served = np.zeros(self.count)
        zeros = np.zeros(n_generalists)
        self.inside = np.zeros(n_generalists, dtype=np.intp)
        self.outsiders = np.zeros(n_generalists, dtype=np.intp)
        self.applications = np.zeros(n_generalists, dtype=np.intp)
        self.share = zeros.copy()
        self.growth_if_open = zeros.copy()
        self.boost = zeros.copy()
        self.in_house_revenue = zeros.copy()
        self.licence_income = zeros.copy()
        self.edge_loss = zeros.copy()

    def base_counts(
        self, n_generalists: int, inside: IntArray, base: IntArray, effort: FloatArray
    ) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """In-house and outside applications per base, s and γ × outsiders' effort / all.

        ``inside`` are the in-house applications counted (their owners), ``base`` and
        ``effort`` the outside applications' bases and efforts.
        """
        in_count = np.bincount(inside, minlength=n_generalists)
        out_count = np.bincount(base, minlength=n_generalists)
        out_effort = np.bincount(base, weights=effort, minlength=n_generalists)
        total = in_count + out_count
        has = total > 0
        share = np.divide(in_count, total, out=np.zeros(n_generalists), where=has)
        growth = self.growth_rate * np.divide(
            out_effort, total, out=np.zeros(n_generalists), where=has
        )
        return in_count, out_count, share, growth

    def measure(self, generalists: Generalists, specialists: Specialists) -> None:
        """This period's applications per base, sizes s and growth boosts (open bases only)."""
        g, s = generalists, specialists
        self.active = g.participates[self.owner]
        matched = s.matched
        self.inside, self.outsiders, self.share, self.growth_if_open = self.base_counts(
            g.count, self.owner[self.active], s.base[matched], s.effort[matched]
        )
        self.applications = self.inside + self.outsiders
        self.boost = np.where(g.is_open, self.growth_if_open, 0.0)
