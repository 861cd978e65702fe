"""Myopic best response with inertia, and fictitious play (best response to average payoffs)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.learning.choice import (
    TIE_BREAKS,
    agent_action_table,
    argmax_distribution,
    argmax_ties,
    column,
    one_hot,
)
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule

TIE_BREAK = ParameterSpec(
    "tie_break",
    "lowest",
    "how several best actions are resolved: the lowest index, or uniformly at random",
    choices=TIE_BREAKS,
)


@register_rule
class BestResponse(LearningRule):
    """Myopic best response with inertia.

    Each period each agent independently keeps last period's action with probability
    ``inertia`` and otherwise switches to the action that would have paid most last period
    (the argmax of its forgone payoffs). Before the first observation agents play a uniformly
    drawn initial action.
    """

    name = "best_response"
    family = "belief"
    stochastic = True
    uses = "forgone_payoffs"
    converges = True
    nonnegative_payoffs = False
    reference = "Kandori, Mailath & Rob (1993), Econometrica 61(1)"
    summary = "revise with probability 1 - inertia to the best reply to last period's payoffs"
    parameters = (
        ParameterSpec(
            "inertia",
            0.5,
            "probability of keeping last period's action instead of revising",
            0.0,
            1.0,
            high_open=True,
            per_agent=True,
        ),
        TIE_BREAK,
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.current: NDArray[np.intp] = rng.integers(n_actions, size=n_agents).astype(np.intp)
        self.last_forgone: NDArray[np.float64] | None = None

    def act(self) -> NDArray[np.intp]:
        """Keep the current action with probability ``inertia``, else best-respond."""
        if self.last_forgone is None:
            return self.current.copy()
        revise = self.rng.random(self.n_agents) >= self.params["inertia"]
        best = argmax_ties(self.last_forgone, self.params["tie_break"], self.rng)
        return np.where(revise, best, self.current)

    def probabilities(self) -> NDArray[np.float64]:
        """Inertia on the current action plus ``1 - inertia`` on the best reply."""
        keep = one_hot(self.current, self.n_actions)
        if self.last_forgone is None:
            return keep
        inertia = column(self.params["inertia"])
        best = argmax_distribution(self.last_forgone, self.params["tie_break"])
        return inertia * keep + (1.0 - inertia) * best

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None  # observe() enforces it for this rule
        self.current = observation.actions.copy()
        self.last_forgone = observation.forgone.copy()  # the caller may reuse its buffer


@register_rule
class FictitiousPlay(LearningRule):
    """Fictitious play (belief learning): best response to the running average payoffs.

    Each agent keeps the average, over all past periods, of the payoff every action would have
    earned; in a two-player game this is the expected payoff against the opponent's empirical
    action frequencies, so the rule is Brown–Robinson fictitious play. ``prior_weight`` periods'
    worth of ``initial_attraction`` seed the average.
    """

    name = "fictitious_play"
    family = "belief"
    stochastic = False
    uses = "forgone_payoffs"
    converges = True
    nonnegative_payoffs = False
    reference = "Brown (1951), Activity Analysis of Production and Allocation, ch. 24"
    summary = "best reply to the average of all past forgone payoffs (Brown 1951)"
    parameters = (
        TIE_BREAK,
        ParameterSpec(
            "initial_attraction",
            0.0,
            "prior average payoff of each action: a scalar, one per agent, or one per action",
            per_agent=True,
            per_action=True,
        ),
        ParameterSpec(
            "prior_weight",
            0.0,
            "how many periods the prior counts for",
            0.0,
        ),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        weight = self.params["prior_weight"]
        prior = agent_action_table(self.params["initial_attraction"], n_agents, n_actions)
        self.prior = prior
        # sums of forgone payoffs: the argmax of the sum equals that of the average
        self.payoff_sums = weight * prior
        self.weight = weight

    @property
    def attractions(self) -> NDArray[np.float64]:
        """Average payoff of each action so far (the prior before any), ``(n_agents, K)``."""
        if self.weight == 0:
            return self.prior.copy()
        return self.payoff_sums / self.weight

    def _scores(self) -> NDArray[np.float64]:
        # before any observation with no prior weight, the first move answers the prior
        return self.payoff_sums if self.weight > 0 else self.prior

    def act(self) -> NDArray[np.intp]:
        """Play the action with the highest average payoff (the prior's best at first)."""
        return argmax_ties(self._scores(), self.params["tie_break"], self.rng)

    def probabilities(self) -> NDArray[np.float64]:
        """All mass on the best action (split evenly among ties if ``tie_break='random'``)."""
        return argmax_distribution(self._scores(), self.params["tie_break"])

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None  # observe() enforces it for this rule
        self.payoff_sums += observation.forgone
        self.weight += 1.0
