"""Per-type agent state in numpy arrays, and the vectorised arithmetic of each stage.

Each population owns the arrays of one agent type (one entry per agent) and its learning rule;
the Mesa agents in :mod:`abm.market.agents` only read these arrays. Payoffs come from the
closed forms of Models I–III (:mod:`abm.theory`), evaluated on every action at once, so that
the learning rules get realised and forgone payoffs from one broadcast call.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from abm.learning import LearningRule, make_rule
from abm.market.config import (
    ClosedFirmConfig,
    GeneralistConfig,
    LearningConfig,
    SpecialistConfig,
)
from abm.market.distributions import draw
from abm.theory.open_sourcing import opening_gain
from abm.theory.openness_game import (
    ABSTAIN,
    COMPLY,
    FREE,
    PAY,
    OpennessGame,
    generalist_utility,
    specialist_performance,
    specialist_utility,
)
from abm.theory.race import premium
from abm.theory.value_functions import resolve_value
from abm.validation import ParameterError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

# An openness on the grid counts as meeting a threshold within this tolerance (grid rounding).
_GRID_TOLERANCE = 1e-9


class PairView(NamedTuple):
    """The fields of :class:`OpennessGame` that D's closed forms read, without re-validation.

    ``specialist_performance`` and ``specialist_utility`` read only these three fields; the
    values were validated when they were drawn, so the period loop skips OpennessGame's checks
    (about 10 range checks per construction, which dominated small markets' step time).
    """

    alpha0: FloatArray
    specialist_cost: FloatArray
    openness_leverage: FloatArray


class Learner:
    """A learning rule from the registry plus the payoff shift some rules need.

    Roth–Erev (and EWA with linear choice) need payoffs ≥ 0: each agent's payoffs are shifted by
    the negative of the lowest forgone payoff it saw in its first period, then clipped at 0
    (Erev and Roth 1998 shift by the lowest possible payoff).
    """

    def __init__(
        self,
        config: LearningConfig,
        n_agents: int,
        n_actions: int,
        rng: np.random.Generator,
        path: str,
    ) -> None:
        try:
            self.rule: LearningRule = make_rule(
                config.rule, n_agents, n_actions, rng, **dict(config.params)
            )
        except ParameterError as error:
            raise ParameterError(f"{path}: {error}") from None
        except TypeError as error:  # e.g. params that are not keywords
            raise ParameterError(f"{path}: {error}") from None
        self.nonnegative = config.rule == "roth_erev" or config.params.get("choice_rule") == (
            "linear"
        )
        self.shift: FloatArray | None = None

    def act(self) -> IntArray:
        """One action per agent."""
        return self.rule.act()

    def learn(self, actions: IntArray, payoffs: FloatArray, forgone: FloatArray) -> None:
        """Observe the period and update the rule."""
        if self.nonnegative:
            if self.shift is None:
                self.shift = np.maximum(0.0, -forgone.min(axis=1))
            payoffs = np.maximum(payoffs + self.shift, 0.0)
            forgone = np.maximum(forgone + self.shift[:, None], 0.0)
        self.rule.observe(actions, payoffs, forgone=forgone if self.rule.requires_forgone else None)
        self.rule.update()


class Generalists:
    """Base-model owners: α0 and costs per agent, the ω grid, and the learned release choice.

    Actions are the indices of ``grid`` (openness levels) plus, if abstention is allowed, one
    last action ``abstain_action`` that leaves the market for the period (payoff 0).
    """

    def __init__(
        self, config: GeneralistConfig, rng: np.random.Generator, open_bar: float = 0.5
    ) -> None:
        self.config = config
        self.open_bar = open_bar
        n = int(config.count)
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
        self.penalty_paid = np.zeros(n)
        self.derivatives = np.zeros(n, dtype=np.intp)
        self.share = np.zeros(n)
        self.forgone = np.zeros((n, self.n_actions))
        self._refresh_game()

    def _refresh_game(self) -> None:
        # Column-shaped fields broadcast against the ω grid: (n, 1) × (1, K) → (n, K).
        self.game = OpennessGame(
            alpha0=self.alpha0[:, None],
            licensing=self.licensing[:, None],
            reputation=self.reputation[:, None],
            operation=self.operation[:, None],
            compliance=self.compliance[:, None],
            production=self.production[:, None],
        )
        # G's payoff without any fine-tuning revenue: Model I's Ū_G at δ = 0.
        self.standalone = generalist_utility(self.game, self.grid[None, :], 0.0)

    def release(self) -> None:
        """Stage 2: every generalist picks an openness level or abstains (its learning rule)."""
        self.action = self.learner.act()
        self.participates = self.action != self.abstain_action
        chosen = np.minimum(self.action, len(self.grid) - 1)
        self.openness = np.where(self.participates, self.grid[chosen], np.nan)
        # ω with 0 for abstainers (what specialists and the frontier read; no NaN handling)
        self.released = np.where(self.participates, self.grid[chosen], 0.0)
        self.is_open = self.participates & (self.released >= self.open_bar - _GRID_TOLERANCE)

    def payoffs(
        self,
        intercept: FloatArray,
        slope: FloatArray,
        theta: float,
        penalty: float,
        effort_gap: FloatArray | None = None,
    ) -> None:
        """Payoff of every action given the matched specialists and the policy; sets utility.

        Fine-tuning revenue Σⱼ δⱼ·α1ⱼ(ω) is linear in ω (``intercept + slope·ω``, summed over
        the specialists matched to each generalist), so the whole (n, K) payoff matrix is one
        broadcast: Ū_G(ω) = standalone(ω) + intercept + slope·ω [+ w·Δ(s)·1{ω ≥ bar}], minus
        p where ω < θ. With one specialist this is exactly Model I's U_G. ``effort_gap``
        (learned effort only) shifts the realised payoff by what the specialists' actual α1
        adds to or takes from their best response; forgone payoffs keep the best response.
        """
        config = self.config
        grid = self.grid[None, :]
        before_penalty = self.standalone + intercept[:, None] + slope[:, None] * grid
        if config.ecosystem_weight > 0.0:
            gain = opening_gain(
                self.share, config.growth_value, config.ecosystem_licensing, config.edge
            )
            opens = grid >= self.open_bar - _GRID_TOLERANCE
            before_penalty = before_penalty + config.ecosystem_weight * gain[:, None] * opens
        below = grid < theta - _GRID_TOLERANCE
        values = before_penalty - penalty * below
        forgone = np.zeros((self.count, self.n_actions))
        forgone[:, : len(self.grid)] = values
        self.forgone = forgone
        rows = np.arange(self.count)
        self.utility = forgone[rows, self.action]
        if effort_gap is not None:
            self.utility = np.where(self.participates, self.utility + effort_gap, 0.0)
        chosen = np.minimum(self.action, len(self.grid) - 1)
        pays = self.participates & below[0, chosen] & (penalty > 0.0)
        self.penalty_paid = np.where(pays, penalty, 0.0)
        # Learned regime: the rule binds for an agent whose best unregulated level is below θ.
        unregulated_best = self.grid[np.argmax(before_penalty, axis=1)]
        binds = (penalty > 0.0) & (unregulated_best < theta - _GRID_TOLERANCE)
        regime = np.full(self.count, FREE, dtype=np.int8)
        regime[binds & ~pays] = COMPLY
        regime[pays] = PAY
        regime[~self.participates] = ABSTAIN
        self.regime = regime

    def learn(self) -> None:
        """Learning update with this period's realised and forgone payoffs."""
        self.learner.learn(self.action, self.utility, self.forgone)

    def grow(self) -> None:
        """Model III growth: α0 ← α0·(1 + g_c + (g_o − g_c)·ω·(1 − s)); off when both are 0.

        Outsiders (share 1 − s of the applications) improve an open model, so growth is faster
        the more open the model and the larger the ecosystem outside the owner.
        """
        config = self.config
        if config.growth_closed == 0.0 and config.growth_open == 0.0:
            return
        openness = self.released
        rate = config.growth_closed + (config.growth_open - config.growth_closed) * openness * (
            1.0 - self.share
        )
        self.alpha0 = self.alpha0 * (1.0 + rate)
        self._refresh_game()


class Specialists:
    """Fine-tuners: cost and leverage per agent, the base each fine-tunes, α1 and U_D."""

    def __init__(
        self, config: SpecialistConfig, n_generalists: int, rng: np.random.Generator
    ) -> None:
        self.config = config
        n = int(config.count)
        self.count = n
        self.n_generalists = n_generalists
        self.rng = rng
        self.cost = draw(
            config.specialist_cost, rng, n, "specialists.specialist_cost", 0.0, low_open=True
        )
        self.leverage = draw(config.openness_leverage, rng, n, "specialists.openness_leverage", 0.0)
        if config.matching == "pairs":
            self.base = np.arange(n, dtype=np.intp) % n_generalists
        else:
            self.base = rng.integers(n_generalists, size=n).astype(np.intp)
        self.matched = np.zeros(n, dtype=bool)
        self.delta = np.zeros(n)
        self.alpha1 = np.zeros(n)
        self.utility = np.zeros(n)
        self.learner: Learner | None = None
        self.forgone: FloatArray | None = None
        if config.matching == "learned" and n > 0:
            self.learner = Learner(config.learning, n, n_generalists, rng, "specialists.learning")
        self.effort_grid = np.linspace(0.0, config.effort_max, int(config.effort_levels))
        self.effort_learner: Learner | None = None
        self.effort_action = np.zeros(n, dtype=np.intp)
        self.effort_forgone = np.zeros((n, 0))  # filled only when effort is learned
        if config.effort == "learned" and n > 0:
            self.effort_learner = Learner(
                config.effort_learning,
                n,
                self.effort_grid.size,
                rng,
                "specialists.effort_learning",
            )

    def expected_utility(
        self, generalist: IntArray, generalists: Generalists, delta: FloatArray | float
    ) -> FloatArray:
        """U_D* = (1−δ)α0 + (1−δ)²(1+λω)/(4c_D) of fine-tuning the given generalists."""
        column = np.ndim(generalist) != 1
        game = PairView(
            alpha0=generalists.alpha0[generalist],
            specialist_cost=self.cost[:, None] if column else self.cost,
            openness_leverage=self.leverage[:, None] if column else self.leverage,
        )
        openness = generalists.released[generalist]
        return specialist_utility(game, openness, delta)  # type: ignore[arg-type]

    def match(self, generalists: Generalists, delta: float) -> None:
        """Stage 3a: choose a participating base model (``pairs``, ``sampled`` or ``learned``)."""
        if self.count == 0:
            return
        participating = generalists.participates
        mode = self.config.matching
        if mode == "sampled":
            open_ids = np.flatnonzero(participating)
            if open_ids.size:
                candidate = open_ids[self.rng.integers(open_ids.size, size=self.count)]
                stranded = ~participating[self.base]
                revise = stranded | (self.rng.random(self.count) < self.config.revision_rate)
                better = self.expected_utility(candidate, generalists, delta) > (
                    self.expected_utility(self.base, generalists, delta)
                )
                self.base = np.where(revise & (better | stranded), candidate, self.base)
        elif mode == "learned":
            assert self.learner is not None
            self.base = self.learner.act()
            everyone = np.broadcast_to(
                np.arange(self.n_generalists), (self.count, self.n_generalists)
            )
            values = self.expected_utility(everyone, generalists, delta)
            self.forgone = np.where(participating[None, :], values, 0.0)
        self.matched = participating[self.base]

    def fine_tune(
        self, generalists: Generalists, delta: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Stage 3b: α1 at D's best response and U_D; returns G's revenue (intercept, slope).

        G's revenue from specialist j is δⱼ·α1ⱼ(ω) = δⱼ·[α1ⱼ(0) + (α1ⱼ(1) − α1ⱼ(0))·ω]; the
        two coefficients are summed per base model with ``bincount`` over the specialists
        that chose it. G anticipates D's best response (complete information, as in Model I);
        with learned effort the third array is, per generalist, Σⱼ δⱼ·(α1ⱼ − α1ⱼ*(ω)), the
        difference the specialists' learned effort makes to G's realised revenue.
        """
        n_g = generalists.count
        if self.count == 0:
            return np.zeros(n_g), np.zeros(n_g), np.zeros(n_g)
        self.delta = np.broadcast_to(np.asarray(delta, float), (self.count,)).copy()
        game = PairView(generalists.alpha0[self.base], self.cost, self.leverage)
        openness = generalists.released[self.base]
        best_alpha1 = specialist_performance(game, openness, self.delta)  # type: ignore[arg-type]
        if self.effort_learner is None:
            alpha1 = best_alpha1
            utility = specialist_utility(game, openness, self.delta)  # type: ignore[arg-type]
        else:
            # U_D(x) = (1−δ)(α0 + x) − c_D·x²/(1 + λω) on the effort grid x = α1 − α0
            scale = (self.cost / (1.0 + self.leverage * openness))[:, None]
            share = (1.0 - self.delta)[:, None]
            grid = self.effort_grid[None, :]
            values = share * (game.alpha0[:, None] + grid) - scale * grid**2
            self.effort_forgone = np.where(self.matched[:, None], values, 0.0)
            self.effort_action = self.effort_learner.act()
            alpha1 = game.alpha0 + self.effort_grid[self.effort_action]
            utility = values[np.arange(self.count), self.effort_action]
        self.alpha1 = np.where(self.matched, alpha1, np.nan)
        self.utility = np.where(self.matched, utility, 0.0)
        at_zero = specialist_performance(game, 0.0, self.delta)  # type: ignore[arg-type]
        at_one = specialist_performance(game, 1.0, self.delta)  # type: ignore[arg-type]
        # Counterfactual for G: the specialists that chose its model this period fine-tune it
        # whenever it participates (U_D ≥ 0), so an abstaining G's forgone payoffs of releasing
        # include them too; otherwise one abstention would look self-confirming.
        weight = self.delta
        intercept = np.bincount(self.base, weights=weight * at_zero, minlength=n_g)
        slope = np.bincount(self.base, weights=weight * (at_one - at_zero), minlength=n_g)
        generalists.derivatives = np.bincount(self.base[self.matched], minlength=n_g)
        total = generalists.derivatives.sum()
        generalists.share = generalists.derivatives / total if total else np.zeros(n_g)
        if self.effort_learner is None:
            return intercept, slope, np.zeros(n_g)
        gap = np.where(self.matched, self.delta * (alpha1 - best_alpha1), 0.0)
        return intercept, slope, np.bincount(self.base, weights=gap, minlength=n_g)

    def learn(self) -> None:
        """Learning updates of the base choice and of the effort (where they are learned)."""
        if self.learner is not None and self.forgone is not None:
            self.learner.learn(self.base, self.utility, self.forgone)
        if self.effort_learner is not None:
            self.effort_learner.learn(self.effort_action, self.utility, self.effort_forgone)


class ClosedFirms:
    """Closed-model firms (Model II): a compute level per firm chosen by a learning rule.

    Firm f chooses among compute levels y·rˡ (l = 0, …, L−1). A level's per-period payoff is its
    revenue against this period's open frontier x_t, n·d·max(0, f(y) − f(x_t)) (Model II's
    ``closed_revenue`` over d days), minus the compute's amortised cost c·y·d/m. Summed over a
    horizon of m days this is Model II's revenue minus the spend, so a belief learner that
    averages forgone payoffs over the horizon ranks levels by Model II's net upgrade gain.
    """

    def __init__(self, config: ClosedFirmConfig, rng: np.random.Generator) -> None:
        self.config = config
        n = int(config.count)
        self.count = n
        self.value = resolve_value(config.value)
        self.customers = draw(config.customers, rng, n, "closed_firms.customers", 0.0)
        initial = draw(
            config.initial_compute, rng, n, "closed_firms.initial_compute", 0.0, low_open=True
        )
        self.compute_cost = draw(config.compute_cost, rng, n, "closed_firms.compute_cost", 0.0)
        powers = config.upgrade_factor ** np.arange(int(config.levels))
        self.levels = initial[:, None] * powers[None, :]
        self.learner = (
            Learner(config.learning, n, int(config.levels), rng, "closed_firms.learning")
            if n
            else None
        )
        self.action = np.zeros(n, dtype=np.intp)
        self.compute = initial.copy()
        self.price = np.zeros(n)
        self.revenue = np.zeros(n)
        self.profit = np.zeros(n)
        self.upgrade_incentive = np.zeros(n)
        self.cumulative_revenue = np.zeros(n)
        self.forgone = np.zeros((n, int(config.levels)))

    def choose(self) -> None:
        """Pick this period's compute level."""
        if self.learner is not None:
            self.action = self.learner.act()
            self.compute = self.levels[np.arange(self.count), self.action]

    def clear(self, open_compute: float) -> None:
        """Market clearing against the open frontier: price, revenue, profit of every level."""
        if self.count == 0:
            return
        config = self.config
        days = config.days_per_period
        # Model II's base case over d days, n·d·max(0, f(y) − f(x)), for every level at once
        # (``premium`` is the formula inside ``closed_revenue``, without its input checks).
        buyers = self.customers * days
        revenue = buyers[:, None] * premium(self.levels, open_compute, self.value)
        cost = self.compute_cost[:, None] * self.levels * days / config.horizon_days
        self.forgone = revenue - cost
        rows = np.arange(self.count)
        self.revenue = revenue[rows, self.action]
        self.profit = self.forgone[rows, self.action]
        self.cumulative_revenue = self.cumulative_revenue + self.revenue
        self.price = premium(self.compute, open_compute, self.value)
        # Net gain, per period, of one more level (Model II's P1 gain per d days minus its cost).
        upgraded = self.compute * config.upgrade_factor
        gain = buyers * (premium(upgraded, open_compute, self.value) - self.price)
        self.upgrade_incentive = gain - self.compute_cost * (upgraded - self.compute) * (
            days / config.horizon_days
        )

    def learn(self) -> None:
        """Learning update of the compute choice."""
        if self.learner is not None:
            self.learner.learn(self.action, self.profit, self.forgone)


def describe(population: Any) -> str:
    """One line naming a population and its size (for reprs)."""
    return f"{type(population).__name__}(count={population.count})"
