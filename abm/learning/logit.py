"""Logit response to discounted average payoffs (smooth fictitious play)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.learning.choice import (
    column,
    pick_categorical,
    sample_categorical,
    softmax,
    softmax_weights,
)
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule

PRECISION = ParameterSpec(
    "precision",
    10.0,
    "λ, logit precision: 0 is uniform play, large values approach best response",
    0.0,
    per_agent=True,
)
ATTRACTION_DECAY = ParameterSpec(
    "attraction_decay",
    1.0,
    "φ, weight of the past in the payoff average (1: plain average, 0: last period only)",
    0.0,
    1.0,
    per_agent=True,
)
INITIAL_ATTRACTION = ParameterSpec(
    "initial_attraction",
    0.0,
    "A(0), prior payoff of each action: a scalar, one per agent, or one per action",
    per_agent=True,
    per_action=True,
)


@register_rule
class LogitResponse(LearningRule):
    """Smooth fictitious play: logit choice over a discounted running average of payoffs.

    Attractions follow ``N(t) = φ·N(t−1) + 1`` and
    ``A(t) = (φ·N(t−1)·A(t−1) + forgone(t)) / N(t)``, a weighted average of past forgone
    payoffs with weight ``φ^age``; choice probabilities are ``softmax(λ·A)``.
    """

    name = "logit"
    family = "belief"
    stochastic = True
    uses = "forgone_payoffs"
    converges = True  # to the logit QRE, which is within O(1/λ) of the equilibrium
    nonnegative_payoffs = False
    reference = "Fudenberg & Kreps (1993), GEB 5(3)"
    summary = "choose ∝ exp(precision · discounted average forgone payoff) (smooth FP)"
    chooses_rows = True
    parameters = (
        PRECISION,
        ATTRACTION_DECAY,
        ParameterSpec(
            "prior_weight",
            0.0,
            "N(0), how many periods the initial attraction counts for",
            0.0,
            per_agent=True,
        ),
        INITIAL_ATTRACTION,
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.attractions = np.zeros((n_agents, n_actions)) + column(
            self.params["initial_attraction"]
        )  # column() passes a per-action (1, K) or (n, K) prior through as it is
        self.experience = np.zeros(n_agents) + self.params["prior_weight"]
        self._precision = column(self.params["precision"])
        self._decay = self.params["attraction_decay"]

    def probabilities(self) -> NDArray[np.float64]:
        """Logit choice probabilities ``softmax(precision · attractions)``."""
        return softmax(self._precision * self.attractions)

    def act(self) -> NDArray[np.intp]:
        """Sample each agent's action from its logit probabilities."""
        return sample_categorical(softmax_weights(self._precision * self.attractions), self.rng)

    def choose(self, rows: NDArray[np.intp], uniforms: NDArray[np.float64]) -> NDArray[np.intp]:
        """The actions of agents ``rows`` alone, given their uniforms (see the base class)."""
        precision = self._precision if np.ndim(self._precision) == 0 else self._precision[rows]
        return pick_categorical(softmax_weights(precision * self.attractions[rows]), uniforms)

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None  # observe() enforces it for this rule
        carried = self._decay * self.experience
        self.experience = carried + 1.0
        # A ← (φN·A + forgone)/N in place (the table can be the period's largest array)
        attractions = self.attractions
        attractions *= carried[:, None]
        attractions += observation.forgone
        attractions /= self.experience[:, None]
