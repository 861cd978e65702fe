"""Tabular Q-learning with ε-greedy exploration and a decaying ε."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError
from abm.learning.best_response import TIE_BREAK
from abm.learning.choice import argmax_distribution, argmax_ties
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule


@register_rule
class QLearning(LearningRule):
    """Tabular Q-learning on the agent's own payoff.

    ``Q(s, a) ← Q(s, a) + α·(π + γ·max_b Q(s', b) − Q(s, a))`` for the action ``a`` played in
    state ``s``; action choice is ε-greedy with ``ε_t = max(ε_min, ε0·decay^t)`` after ``t``
    updates. Stateless by default (one state, γ = 0: a multi-armed bandit learner); with
    ``n_states > 1`` the model sets each agent's state with :meth:`set_states` before
    :meth:`act` and may pass ``next_states`` to :meth:`observe` (default: unchanged).
    """

    name = "q_learning"
    family = "reinforcement"
    stochastic = True
    uses = "own_payoff"
    converges = False  # constant α and residual ε keep it noisy; it may settle off-equilibrium
    nonnegative_payoffs = False
    reference = "Watkins & Dayan (1992), Machine Learning 8(3-4)"
    summary = "tabular Q-learning, ε-greedy with ε_t = max(ε_min, ε0·decay^t)"
    parameters = (
        ParameterSpec(
            "learning_rate",
            0.1,
            "α, step towards the new estimate",
            0.0,
            1.0,
            low_open=True,
            per_agent=True,
        ),
        ParameterSpec("epsilon", 0.2, "ε0, initial exploration probability", 0.0, 1.0),
        ParameterSpec("epsilon_decay", 0.999, "per-period factor on ε", 0.0, 1.0, low_open=True),
        ParameterSpec("epsilon_min", 0.01, "floor of ε", 0.0, 1.0),
        ParameterSpec(
            "discount", 0.0, "γ, weight of the next state's value", 0.0, 1.0, high_open=True
        ),
        ParameterSpec("n_states", 1, "number of discrete states per agent", 1.0, integer=True),
        ParameterSpec("initial_q", 0.0, "Q(s, a) before any update", per_agent=True),
        replace(TIE_BREAK, default="random"),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        n_states = self.params["n_states"]
        initial = self.params["initial_q"]
        initial = initial[:, None, None] if isinstance(initial, np.ndarray) else initial
        self.q_values = np.zeros((n_agents, n_states, n_actions)) + initial
        self.states = np.zeros(n_agents, dtype=np.intp)
        self._next_states: NDArray[np.intp] | None = None

    @property
    def epsilon(self) -> float:
        """Current exploration probability ``max(ε_min, ε0·decay^t)``."""
        scheduled = self.params["epsilon"] * self.params["epsilon_decay"] ** self.periods
        return max(self.params["epsilon_min"], scheduled)

    def _check_states(self, states: ArrayLike, label: str) -> NDArray[np.intp]:
        array = np.asarray(states)
        if array.shape != (self.n_agents,) or array.dtype.kind not in "iu":
            raise ParameterError(f"{label} must be {self.n_agents} integer state indices")
        if array.min() < 0 or array.max() >= self.params["n_states"]:
            raise ParameterError(f"{label} must be in [0, {self.params['n_states'] - 1}]")
        return array.astype(np.intp)

    def set_states(self, states: ArrayLike) -> None:
        """Set the state each agent is in before it acts, shape ``(n_agents,)``."""
        self.states = self._check_states(states, "states")

    def current_q(self) -> NDArray[np.float64]:
        """Q-values of every action in each agent's current state, ``(n_agents, n_actions)``."""
        if self.params["n_states"] == 1:  # a view: no copy of the table every period
            return self.q_values[:, 0, :]
        return self.q_values[self._agent_index, self.states]

    def act(self) -> NDArray[np.intp]:
        """ε-greedy: a uniform action with probability ε, else the greedy one."""
        greedy = argmax_ties(self.current_q(), self.params["tie_break"], self.rng)
        explore = self.rng.random(self.n_agents) < self.epsilon
        uniform = self.rng.integers(self.n_actions, size=self.n_agents)
        return np.where(explore, uniform, greedy)

    def probabilities(self) -> NDArray[np.float64]:
        """``ε/K`` on every action plus ``1 − ε`` on the greedy action(s)."""
        epsilon = self.epsilon
        greedy = argmax_distribution(self.current_q(), self.params["tie_break"])
        return epsilon / self.n_actions + (1.0 - epsilon) * greedy

    def observe(
        self,
        actions: ArrayLike,
        payoffs: ArrayLike,
        forgone: ArrayLike | None = None,
        neighbours: Any = None,
        next_states: ArrayLike | None = None,
    ) -> None:
        """Record actions and own payoffs; ``next_states`` (default: unchanged) for γ > 0."""
        super().observe(actions, payoffs, forgone, neighbours)
        self._next_states = (
            None if next_states is None else self._check_states(next_states, "next_states")
        )

    def _learn(self, observation: Observation) -> None:
        index, states, actions = self._agent_index, self.states, observation.actions
        target = observation.payoffs
        discount = self.params["discount"]
        next_states = states if self._next_states is None else self._next_states
        if discount > 0:
            target = target + discount * self.q_values[index, next_states].max(axis=1)
        old = self.q_values[index, states, actions]
        rate = self.params["learning_rate"]
        self.q_values[index, states, actions] = old + rate * (target - old)
        self.states = next_states
        self._next_states = None
