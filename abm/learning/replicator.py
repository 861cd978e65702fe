"""Replicator dynamics: the deterministic population dynamics and a per-agent learning rule.

Discrete-time (Euler) replicator dynamics of a symmetric game with payoff matrix ``A``
(``A[i, j]`` is the payoff of action ``i`` against ``j``) on population shares ``x``::

    f = A·x,    x ← x + h·x ⊙ (f − x·f)

The step keeps ``Σx = 1``; it keeps ``x ≥ 0`` when ``h·(max f − min f) < 1``. Rest points are
the states where every action in use earns the mean payoff; an interior evolutionarily stable
state (Hawk–Dove: hawk share V/C) attracts every interior start.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_range
from abm.learning.choice import column, sample_categorical
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule


def _check_matrix(payoff_matrix: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(payoff_matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ParameterError(f"payoff_matrix must be square, got shape {matrix.shape}")
    check_range("payoff_matrix", matrix)
    return matrix


def _check_shares(shares: ArrayLike, n_actions: int, name: str) -> NDArray[np.float64]:
    array = np.asarray(shares, dtype=float)
    if array.shape[-1:] != (n_actions,):
        raise ParameterError(f"{name} must have {n_actions} entries per row, got {array.shape}")
    check_range(name, array, 0.0, 1.0)
    if not np.allclose(array.sum(axis=-1), 1.0, atol=1e-9):
        raise ParameterError(f"{name} must sum to 1")
    return array


def replicator_step(
    shares: ArrayLike, payoff_matrix: ArrayLike, step_size: float = 0.1
) -> NDArray[np.float64]:
    """One Euler step of the replicator dynamics.

    Args:
        shares: Population shares of each action, shape ``(..., K)`` (rows sum to 1).
        payoff_matrix: ``(K, K)`` payoff of the row action against the column action.
        step_size: Euler step ``h`` > 0.

    Returns:
        The new shares, same shape; negative values from an oversized step are clipped to 0
        and the rows renormalised.
    """
    matrix = _check_matrix(payoff_matrix)
    check_range("step_size", step_size, 0.0, low_open=True)
    current = _check_shares(shares, matrix.shape[0], "shares")
    return _step(current, matrix, step_size)


def _step(
    shares: NDArray[np.float64], matrix: NDArray[np.float64], step_size: Any
) -> NDArray[np.float64]:
    fitness = shares @ matrix.T
    return _replicate(shares, fitness, step_size)


def _replicate(
    shares: NDArray[np.float64], fitness: NDArray[np.float64], step_size: Any
) -> NDArray[np.float64]:
    mean = (shares * fitness).sum(axis=-1, keepdims=True)
    moved = np.maximum(shares + step_size * shares * (fitness - mean), 0.0)
    return moved / moved.sum(axis=-1, keepdims=True)


def replicator_trajectory(
    payoff_matrix: ArrayLike,
    initial_shares: ArrayLike,
    periods: int,
    step_size: float = 0.1,
) -> NDArray[np.float64]:
    """Iterate :func:`replicator_step`; returns shares at periods 0..periods, ``(T+1, ..., K)``.

    ``initial_shares`` may hold several starting points (shape ``(..., K)``), iterated together.
    """
    matrix = _check_matrix(payoff_matrix)
    check_range("step_size", step_size, 0.0, low_open=True)
    check_range("periods", periods, 0.0)
    shares = _check_shares(initial_shares, matrix.shape[0], "initial_shares")
    path = np.empty((int(periods) + 1, *shares.shape))
    path[0] = shares
    for period in range(int(periods)):
        path[period + 1] = _step(path[period], matrix, step_size)
    return path


@register_rule
class ReplicatorLearner(LearningRule):
    """Each agent's mixed strategy follows a replicator step on its forgone payoffs.

    ``p ← p + η·p ⊙ (f − p·f)`` where ``f`` are the payoffs each action would have earned this
    period; with randomly matched opponents the expected motion is the replicator dynamics
    against the population's mixed strategy (a stochastic approximation with constant step,
    so agents hover within O(√η) of a rest point).
    """

    name = "replicator"
    family = "evolutionary"
    stochastic = True
    uses = "forgone_payoffs"
    # not one of the spec's converging rules: a decision problem's best action is approached
    # only geometrically, at a rate proportional to its payoff gap
    converges = False
    nonnegative_payoffs = False
    reference = "Taylor & Jonker (1978), Mathematical Biosciences 40(1-2)"
    summary = "mixed strategy moves by a replicator step on forgone payoffs"
    parameters = (
        ParameterSpec(
            "step_size",
            0.1,
            "η, replicator step; keep η·(payoff range) < 1",
            0.0,
            low_open=True,
            per_agent=True,
        ),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.strategy = np.full((n_agents, n_actions), 1.0 / n_actions)

    def probabilities(self) -> NDArray[np.float64]:
        """The agents' current mixed strategies."""
        return self.strategy.copy()

    def act(self) -> NDArray[np.intp]:
        """Sample each agent's action from its mixed strategy."""
        return sample_categorical(self.strategy, self.rng)

    def _learn(self, observation: Observation) -> None:
        assert observation.forgone is not None
        self.strategy = _replicate(
            self.strategy, observation.forgone, column(self.params["step_size"])
        )
