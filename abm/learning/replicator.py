"""Replicator dynamics: the deterministic population dynamics and a per-agent learning rule.

The replicator equation of a symmetric game with payoff matrix ``A`` (``A[i, j]`` is the payoff
of action ``i`` against ``j``) on population shares ``x``::

    dx/dt = x ⊙ (f − x·f),    f = A·x

is solved two ways: the Euler map ``x ← x + h·(x ⊙ (f − x·f))`` (:func:`replicator_step`,
:func:`replicator_trajectory`), which is also the per-agent learning rule's update, and an ODE
solver (:func:`replicator_flow`, or ``replicator_trajectory(..., method="ode")``: scipy's
``solve_ivp``, DOP853 with tight tolerances). The Euler map keeps ``Σx = 1``, and ``x ≥ 0``
when ``h·(max f − min f) < 1``; its error is first order in ``h``. Where the flow has a
conserved quantity the map does not keep it: on rock–paper–scissors (win 1, lose −1) the flow
conserves ``x₁x₂x₃`` and orbits the centre, while the map spirals outward, the product
shrinking by a factor of about ``exp(−h·t/6)`` near the centre (tested). Rest points are the
states where every action in use earns the mean payoff; an interior evolutionarily stable
state (Hawk–Dove: hawk share V/C) attracts every interior start.

:func:`two_population_replicator_flow` solves the two-population (bimatrix) replicator
equation of a :class:`~abm.learning.canonical_games.NormalFormGame`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_choice, check_range
from abm.learning.choice import column, sample_categorical
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule

if TYPE_CHECKING:
    from abm.learning.canonical_games import NormalFormGame

METHODS = ("euler", "ode")
"""How :func:`replicator_trajectory` solves the dynamics: the Euler map or the ODE solver."""

#: Relative and absolute tolerances of the ODE solver (DOP853).
ODE_RTOL, ODE_ATOL = 1e-11, 1e-13


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
    method: str = "euler",
) -> NDArray[np.float64]:
    """Shares at periods 0..periods (times ``h·t``), shape ``(T+1, ..., K)``.

    ``initial_shares`` may hold several starting points (shape ``(..., K)``), solved together.

    Args:
        payoff_matrix: ``(K, K)`` payoff of the row action against the column action.
        initial_shares: Starting shares, rows summing to 1.
        periods: Number of steps T.
        step_size: Time ``h`` per period.
        method: ``"euler"`` iterates :func:`replicator_step` (error O(h)); ``"ode"`` solves
            the replicator equation at the same times (:func:`replicator_flow`).
    """
    matrix = _check_matrix(payoff_matrix)
    check_range("step_size", step_size, 0.0, low_open=True)
    check_range("periods", periods, 0.0)
    check_choice("method", method, METHODS)
    shares = _check_shares(initial_shares, matrix.shape[0], "initial_shares")
    if method == "ode":
        return replicator_flow(matrix, shares, step_size * np.arange(int(periods) + 1))
    path = np.empty((int(periods) + 1, *shares.shape))
    path[0] = shares
    for period in range(int(periods)):
        path[period + 1] = _step(path[period], matrix, step_size)
    return path


def _solve(derivative: Any, start: NDArray[np.float64], times: NDArray[np.float64]) -> NDArray:
    """Solve ``dy/dt = derivative(y)`` from ``times[0]``; returns ``(len(times), y.size)``."""
    if times.size == 1:
        return start[None, :].copy()
    # Imported here: scipy.integrate (with scipy.optimize) costs ~0.1 s, and only the ODE
    # method needs it; the market's learning rules never do.
    from scipy.integrate import solve_ivp

    solution = solve_ivp(
        lambda _, y: derivative(y),
        (times[0], times[-1]),
        start,
        method="DOP853",
        t_eval=times,
        rtol=ODE_RTOL,
        atol=ODE_ATOL,
    )
    if not solution.success:  # pragma: no cover - DOP853 on a bounded smooth flow
        raise RuntimeError(f"replicator ODE solver failed: {solution.message}")
    return solution.y.T


def _check_times(times: ArrayLike) -> NDArray[np.float64]:
    clock = np.asarray(times, dtype=float)
    if clock.ndim != 1 or clock.size == 0 or np.any(np.diff(clock) <= 0):
        raise ParameterError("times must be a non-empty increasing one-dimensional sequence")
    check_range("times", clock)
    return clock


def replicator_flow(
    payoff_matrix: ArrayLike, initial_shares: ArrayLike, times: ArrayLike
) -> NDArray[np.float64]:
    """The replicator equation ``dx/dt = x ⊙ (A·x − x·A·x)`` solved by an ODE solver.

    Args:
        payoff_matrix: ``(K, K)`` payoff of the row action against the column action.
        initial_shares: Shares at ``times[0]``, shape ``(..., K)`` (several starts at once).
        times: Increasing times at which to report the shares.

    Returns:
        Shares at each time, shape ``(len(times), ..., K)``; scipy's DOP853 with relative
        tolerance 1e-11 (conserved quantities hold to about 1e-9 over t = 100).
    """
    matrix = _check_matrix(payoff_matrix)
    shares = _check_shares(initial_shares, matrix.shape[0], "initial_shares")
    clock = _check_times(times)
    shape = shares.shape

    def derivative(flat: NDArray[np.float64]) -> NDArray[np.float64]:
        x = flat.reshape(shape)
        fitness = x @ matrix.T
        mean = (x * fitness).sum(axis=-1, keepdims=True)
        return (x * (fitness - mean)).ravel()

    return _solve(derivative, shares.ravel(), clock).reshape(clock.size, *shape)


def two_population_replicator_flow(
    game: NormalFormGame,
    row_shares: ArrayLike,
    column_shares: ArrayLike,
    times: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The two-population replicator equation of a bimatrix game, by an ODE solver.

    ``dx/dt = x ⊙ (R·y − x·R·y)`` and ``dy/dt = y ⊙ (Cᵀ·x − y·Cᵀ·x)`` with ``R``, ``C`` the
    row and column players' payoffs (Hofbauer and Sigmund 1998, ch. 10).

    Args:
        game: The game.
        row_shares: Row population's shares at ``times[0]``, shape ``(K_row,)``.
        column_shares: Column population's shares, shape ``(K_column,)``.
        times: Increasing times at which to report the shares.

    Returns:
        The row and column shares at each time, ``(len(times), K_row)`` and
        ``(len(times), K_column)``.
    """
    rows, cols = game.shape
    x0 = _check_shares(row_shares, rows, "row_shares")
    y0 = _check_shares(column_shares, cols, "column_shares")
    if x0.ndim != 1 or y0.ndim != 1:
        raise ParameterError("row_shares and column_shares must be one starting point each")
    clock = _check_times(times)
    row_matrix, column_matrix_t = game.row_payoffs, game.column_payoffs.T

    def derivative(state: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = state[:rows], state[rows:]
        f, g = row_matrix @ y, column_matrix_t @ x
        return np.concatenate((x * (f - x @ f), y * (g - y @ g)))

    path = _solve(derivative, np.concatenate((x0, y0)), clock)
    return path[:, :rows], path[:, rows:]


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
