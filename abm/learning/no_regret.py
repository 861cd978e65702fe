"""No-regret learning: regret matching and Hedge (multiplicative weights).

Regret matching is Hart and Mas-Colell's (2000), Hedge Freund and Schapire's (1997). Both learn
from forgone payoffs ``f_j(t)`` (what each action would have earned this period).

* Regret matching (unconditional) keeps the cumulative regret of not having played each action,
  ``R_j(t) = Σ_{s ≤ t} (f_j(s) − π(s))`` with ``π`` the realised payoff, and plays
  ``P_j ∝ max(R_j, 0)`` (uniformly when no regret is positive). Its average regret
  ``max_j R_j(T)/T`` falls like ``Δ·√(K/T)`` (Δ the payoff range; Blackwell
  approachability), so the empirical distribution of joint play approaches the set of coarse
  correlated equilibria, and in two-player zero-sum games the players' empirical frequencies
  approach Nash. Hart and Mas-Colell's conditional procedure (``protocol="conditional"``)
  switches away from the last action by its conditional regrets and approaches the correlated
  equilibria.
* Hedge (multiplicative weights) plays ``P_j ∝ exp(η·Σ_{s ≤ t} f_j(s))``. With payoffs in
  ``[0, 1]`` its expected regret after ``T`` periods is at most ``ln K/η + η·T/8``, i.e.
  ``√(T·ln K/2)`` with ``η = √(8·ln K/T)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.errors import ParameterError
from abm.learning.choice import column, sample_categorical, softmax
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule

REGRET_PROTOCOLS = ("unconditional", "conditional")
"""Regret matching on unconditional regrets, or Hart and Mas-Colell's conditional procedure."""


@register_rule
class RegretMatching(LearningRule):
    """Regret matching, unconditional or conditional (Hart and Mas-Colell 2000).

    ``unconditional``: play ``P_j ∝ max(R_j, 0)`` with ``R_j`` the cumulative regret of not
    having played ``j``; uniform when no regret is positive.

    ``conditional`` (Hart and Mas-Colell's procedure): with ``k`` the action played last period
    and ``D(k, j) = (1/t)·Σ_{s ≤ t: a(s) = k} (f_j(s) − π(s))`` the average gain from having
    played ``j`` whenever ``k`` was played, switch to ``j ≠ k`` with probability
    ``max(D(k, j), 0)/μ`` and repeat ``k`` otherwise. μ (``switching_scale``) must exceed
    ``2·M·(K − 1)`` for payoffs bounded by M in absolute value; a smaller μ whose switching
    probabilities would sum past 1 has them scaled to sum to 1. The first period is uniform.
    The empirical distribution of joint play then approaches the set of correlated equilibria:
    ``max_{k,j} D(k, j) → 0``.
    """

    name = "regret_matching"
    family = "no_regret"
    stochastic = True
    uses = "forgone_payoffs"
    # in a decision problem the best action's regret grows linearly and every other action's
    # becomes negative, so play settles on the best action
    converges = True
    nonnegative_payoffs = False
    reference = "Hart & Mas-Colell (2000), Econometrica 68(5)"
    summary = "play ∝ positive regret of not having played each action (or switch by it)"
    parameters = (
        ParameterSpec(
            "protocol",
            "unconditional",
            "unconditional P ∝ R⁺, or Hart and Mas-Colell's conditional switching",
            choices=REGRET_PROTOCOLS,
        ),
        ParameterSpec(
            "switching_scale",
            None,
            "μ > 2·M·(K − 1), divides the conditional regrets (conditional protocol only)",
            0.0,
            low_open=True,
            per_agent=True,
            optional=True,
        ),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.regrets = np.zeros((n_agents, n_actions))
        # [i, k, j]: Σ over periods agent i played k of (f_j − π)
        self.conditional_regrets = np.zeros((n_agents, n_actions, n_actions))
        self.last_actions: NDArray[np.intp] | None = None

    @classmethod
    def check_domain(cls, params: dict[str, Any]) -> None:
        """The conditional protocol needs its μ; the unconditional one takes none."""
        conditional = params["protocol"] == "conditional"
        if conditional and params["switching_scale"] is None:
            raise ParameterError(
                "switching_scale must be given for the conditional protocol "
                "(μ > 2·M·(K − 1) for payoffs bounded by M)"
            )
        if not conditional and params["switching_scale"] is not None:
            raise ParameterError("switching_scale must be None for the unconditional protocol")

    def average_conditional_regrets(self) -> NDArray[np.float64]:
        """``D(k, j)`` per agent, shape ``(n_agents, K, K)`` (zeros before any update)."""
        return self.conditional_regrets / max(self.periods, 1)

    def probabilities(self) -> NDArray[np.float64]:
        """The distribution each agent's next action is drawn from."""
        if self.params["protocol"] == "conditional":
            return self._switching_probabilities()
        positive = np.maximum(self.regrets, 0.0)
        totals = positive.sum(axis=1, keepdims=True)
        uniform = np.full_like(positive, 1.0 / self.n_actions)
        return np.where(totals > 0, positive / np.where(totals > 0, totals, 1.0), uniform)

    def _switching_probabilities(self) -> NDArray[np.float64]:
        if self.last_actions is None:
            return np.full((self.n_agents, self.n_actions), 1.0 / self.n_actions)
        last = self.last_actions
        gains = np.maximum(self.average_conditional_regrets()[self._agent_index, last], 0.0)
        gains[self._agent_index, last] = 0.0
        switching = gains / column(self.params["switching_scale"])
        total = switching.sum(axis=1, keepdims=True)
        switching = switching / np.maximum(total, 1.0)  # μ too small: scale to sum to 1
        switching[self._agent_index, last] = 1.0 - switching.sum(axis=1)
        return switching

    def act(self) -> NDArray[np.intp]:
        """Sample each agent's action."""
        return sample_categorical(self.probabilities(), self.rng)

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None  # observe() enforces it for this rule
        gains = observation.forgone - observation.payoffs[:, None]
        self.regrets += gains
        self.conditional_regrets[self._agent_index, observation.actions] += gains
        self.last_actions = observation.actions.copy()


@register_rule
class Hedge(LearningRule):
    """Hedge / multiplicative weights: ``P ∝ exp(η · cumulative forgone payoff)``."""

    name = "hedge"
    family = "no_regret"
    stochastic = True
    uses = "forgone_payoffs"
    converges = True  # in a decision problem the weights concentrate on the best action
    nonnegative_payoffs = False
    reference = "Freund & Schapire (1997), JCSS 55(1)"
    summary = "multiplicative weights: play ∝ exp(η · cumulative forgone payoff)"
    parameters = (
        ParameterSpec(
            "learning_rate",
            0.1,
            "η, weight of cumulative payoffs in the exponent (√(8·ln K/T) for horizon T)",
            0.0,
            low_open=True,
            per_agent=True,
        ),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.cumulative_payoffs = np.zeros((n_agents, n_actions))
        self._rate = column(self.params["learning_rate"])

    def probabilities(self) -> NDArray[np.float64]:
        """``softmax(η · cumulative forgone payoffs)``, stable for large sums."""
        return softmax(self._rate * self.cumulative_payoffs)

    def act(self) -> NDArray[np.intp]:
        """Sample each agent's action from its weights."""
        return sample_categorical(self.probabilities(), self.rng)

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None  # observe() enforces it for this rule
        self.cumulative_payoffs += observation.forgone
