"""No-regret learning: regret matching and Hedge (multiplicative weights).

Regret matching is Hart and Mas-Colell's (2000), Hedge Freund and Schapire's (1997). Both learn
from forgone payoffs ``f_j(t)`` (what each action would have earned this period).

* Regret matching keeps the cumulative regret of not having played each action,
  ``R_j(t) = Σ_{s ≤ t} (f_j(s) − π(s))`` with ``π`` the realised payoff, and plays
  ``P_j ∝ max(R_j, 0)`` (uniformly when no regret is positive). Its average regret
  ``max_j R_j(T)/T`` falls like ``Δ·√(K/T)`` (Δ the payoff range; Blackwell
  approachability), so the empirical distribution of joint play approaches the set of coarse
  correlated equilibria, and in two-player zero-sum games the players' empirical frequencies
  approach Nash.
* Hedge (multiplicative weights) plays ``P_j ∝ exp(η·Σ_{s ≤ t} f_j(s))``. With payoffs in
  ``[0, 1]`` its expected regret after ``T`` periods is at most ``ln K/η + η·T/8``, i.e.
  ``√(T·ln K/2)`` with ``η = √(8·ln K/T)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.learning.choice import column, sample_categorical, softmax
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule


@register_rule
class RegretMatching(LearningRule):
    """Regret matching: play in proportion to the positive cumulative regrets."""

    name = "regret_matching"
    family = "no_regret"
    stochastic = True
    uses = "forgone_payoffs"
    # in a decision problem the best action's regret grows linearly and every other action's
    # becomes negative, so play settles on the best action
    converges = True
    nonnegative_payoffs = False
    reference = "Hart & Mas-Colell (2000), Econometrica 68(5)"
    summary = "play ∝ positive cumulative regret of not having played each action"
    parameters = ()

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.regrets = np.zeros((n_agents, n_actions))

    def probabilities(self) -> NDArray[np.float64]:
        """``max(R, 0)/Σ max(R, 0)``, uniform for agents with no positive regret."""
        positive = np.maximum(self.regrets, 0.0)
        totals = positive.sum(axis=1, keepdims=True)
        uniform = np.full_like(positive, 1.0 / self.n_actions)
        return np.where(totals > 0, positive / np.where(totals > 0, totals, 1.0), uniform)

    def act(self) -> NDArray[np.intp]:
        """Sample each agent's action from its regret-matching distribution."""
        return sample_categorical(self.probabilities(), self.rng)

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None  # observe() enforces it for this rule
        self.regrets += observation.forgone - observation.payoffs[:, None]


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
