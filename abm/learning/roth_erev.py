"""Roth–Erev reinforcement learning, up to Erev and Roth's (1998) three-parameter model.

Each agent keeps a propensity ``q_j`` per action and chooses in proportion to them,
``P_j = q_j / Σ_k q_k``. After playing ``a`` and earning ``x``, with reinforcement
``R = x − x_min`` (``x_min`` the lowest possible payoff, ``payoff_floor``)::

    q_j ← φ·q_j + (1 − ε)·R          for j = a
    q_j ← φ·q_j + ε·R / (M − 1)      for j ≠ a

with ``φ`` = ``attraction_decay`` (Erev and Roth's forgetting is 1 − φ), ``ε`` =
``experimentation`` and ``M`` actions. Initial propensities are ``s(1)·X/M`` with ``s(1)``
the ``initial_strength`` and ``X`` the ``payoff_scale`` (Erev and Roth: the average absolute
payoff), or given directly as ``initial_attraction``. With ε = 0 this is Roth and Erev's (1995)
basic model with forgetting, i.e. EWA with δ = 0, ρ = 0, N(0) = 1 and linear choice.

:func:`erev_roth_1998` returns the three parameters Erev and Roth report for their pooled fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.errors import ParameterError
from abm.learning.choice import agent_action_table, column, sample_categorical
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule

#: Erev and Roth's (1998) pooled estimates of the three-parameter model: initial strength
#: s(1), forgetting φ_ER (our attraction_decay is 1 − φ_ER) and experimentation ε.
ER1998_STRENGTH, ER1998_FORGETTING, ER1998_EXPERIMENTATION = 9.0, 0.1, 0.2

_DEFAULT_PROPENSITY = 1.0


def erev_roth_1998(payoff_floor: float, payoff_scale: float) -> dict[str, float]:
    """Parameters of Erev and Roth's (1998) three-parameter model for one game.

    Args:
        payoff_floor: ``x_min``, the game's lowest possible payoff (reinforcement is x − x_min).
        payoff_scale: ``X``, the average absolute payoff of the game, which scales s(1).

    Returns:
        Keyword parameters for the ``roth_erev`` rule: s(1) = 9, φ_ER = 0.1 (attraction_decay
        0.9), ε = 0.2, with the game's floor and scale.
    """
    return {
        "initial_strength": ER1998_STRENGTH,
        "payoff_scale": payoff_scale,
        "attraction_decay": 1.0 - ER1998_FORGETTING,
        "experimentation": ER1998_EXPERIMENTATION,
        "payoff_floor": payoff_floor,
    }


@register_rule
class RothErev(LearningRule):
    """Roth–Erev reinforcement with forgetting, experimentation and a built-in payoff shift."""

    name = "roth_erev"
    family = "reinforcement"
    stochastic = True
    uses = "own_payoff"
    converges = False  # reinforcement learning can lock in early and converges slowly
    # without a payoff_floor the payoffs must already be ≥ 0 (the caller shifts them)
    nonnegative_payoffs = True
    reference = "Erev & Roth (1998), AER 88(4)"
    summary = "reinforce the action played (ε spread to the others), choice ∝ propensity"
    parameters = (
        ParameterSpec(
            "attraction_decay",
            1.0,
            "φ = 1 − forgetting, decay of past propensities",
            0.0,
            1.0,
            per_agent=True,
        ),
        ParameterSpec(
            "experimentation",
            0.0,
            "ε, share of each reinforcement spread evenly over the actions not played",
            0.0,
            1.0,
            high_open=True,
            per_agent=True,
        ),
        ParameterSpec(
            "initial_attraction",
            None,
            "initial propensity of each action (None: 1, or s(1)·X/M with initial_strength)",
            0.0,
            low_open=True,
            per_agent=True,
            per_action=True,
            optional=True,
        ),
        ParameterSpec(
            "initial_strength",
            None,
            "s(1): initial propensities are s(1)·X/M (needs payoff_scale X)",
            0.0,
            low_open=True,
            per_agent=True,
            optional=True,
        ),
        ParameterSpec(
            "payoff_scale",
            None,
            "X, the average absolute payoff of the game, which scales s(1)",
            0.0,
            low_open=True,
            per_agent=True,
            optional=True,
        ),
        ParameterSpec(
            "payoff_floor",
            None,
            "x_min, the lowest possible payoff: reinforcement is x − x_min (None: payoffs ≥ 0)",
            per_agent=True,
            optional=True,
        ),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        strength = self.params["initial_strength"]
        if strength is not None:
            initial = np.asarray(strength * self.params["payoff_scale"] / n_actions)
        elif self.params["initial_attraction"] is not None:
            initial = self.params["initial_attraction"]
        else:
            initial = _DEFAULT_PROPENSITY
        self.attractions = agent_action_table(initial, n_agents, n_actions)
        self._decay = column(self.params["attraction_decay"])
        self._experimentation = column(self.params["experimentation"])
        floor = self.params["payoff_floor"]
        self._floor = 0.0 if floor is None else floor

    @classmethod
    def check_domain(cls, params: dict[str, Any]) -> None:
        """s(1) needs X; s(1) and an explicit initial propensity exclude each other."""
        strength = params["initial_strength"] is not None
        if strength and params["payoff_scale"] is None:
            raise ParameterError(
                "initial_strength needs payoff_scale (initial propensities are s(1)·X/M)"
            )
        if strength and params["initial_attraction"] is not None:
            raise ParameterError(
                "initial_attraction must be None when initial_strength is given "
                "(initial propensities are s(1)·X/M)"
            )

    @property
    def requires_nonnegative_payoffs(self) -> bool:
        """Payoffs must be ≥ 0 unless ``payoff_floor`` is given (then ≥ the floor)."""
        return self.params["payoff_floor"] is None

    def probabilities(self) -> NDArray[np.float64]:
        """Choice probabilities ``q_j / Σ_k q_k``."""
        totals = self.attractions.sum(axis=1, keepdims=True)
        uniform = np.full_like(self.attractions, 1.0 / self.n_actions)
        safe = np.where(totals > 0, totals, 1.0)
        return np.where(totals > 0, self.attractions / safe, uniform)

    def act(self) -> NDArray[np.intp]:
        """Sample each agent's action in proportion to its propensities."""
        return sample_categorical(self.probabilities(), self.rng)

    def _learn(self, observation: Observation) -> None:
        reinforcement = observation.payoffs - self._floor
        if reinforcement.min() < 0:
            agent = int(np.argmin(reinforcement))
            raise ParameterError(
                f"payoffs must be ≥ payoff_floor for the {self.name} rule, got "
                f"{observation.payoffs[agent]:g} for agent {agent}"
            )
        played = np.zeros((self.n_agents, self.n_actions), dtype=bool)
        played[self._agent_index, observation.actions] = True
        spread = self._experimentation / max(self.n_actions - 1, 1)
        share = np.where(played, 1.0 - self._experimentation, spread)
        if self.n_actions == 1:
            share = np.ones_like(share)
        self.attractions = self._decay * self.attractions + share * reinforcement[:, None]
