"""Policy landscapes of the openness game: region map, indifference curve and lever map.

All three are grids of closed-form equilibria; results are flat column dictionaries ready for
a tidy table (``pandas.DataFrame(result.columns())``) and 2-D arrays for figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_range
from abm.theory.bargaining import DEFAULT_GRID, bargain
from abm.theory.openness_game import (
    REGIMES,
    OpennessGame,
    free_openness,
    generalist_coefficients,
    generalist_utility,
    indifference_penalty,
)
from abm.theory.outcomes import OUTCOMES, regulation_outcome

FloatArray = NDArray[np.float64]


def _grid(name: str, values: ArrayLike, low: float, high: float) -> FloatArray:
    array = np.asarray(values, float)
    if array.ndim != 1 or array.size < 2:
        raise ParameterError(f"{name} must be a 1-D grid of at least 2 values")
    check_range(name, array, low, high)
    return array


def indifference_curve(game: OpennessGame, thetas: ArrayLike, delta: ArrayLike = 0.5) -> FloatArray:
    """p̄(θ) over ``thetas`` at share ``delta`` (zero where θ ≤ ω⁰, the rule cannot bind).

    Above the curve G complies, below it G pays (unless it prefers to abstain).
    """
    thetas = _grid("theta", thetas, 0.0, 1.0)
    return indifference_penalty(game.replace(theta=thetas), delta)


@dataclass(frozen=True)
class RegionMap:
    """Equilibria over a (θ, p) grid; 2-D arrays are indexed ``[theta, penalty]``."""

    thetas: FloatArray
    penalties: FloatArray
    regime: NDArray[np.int8]
    outcome: NDArray[np.int8]
    openness: FloatArray
    delta: FloatArray
    utility_generalist: FloatArray
    utility_specialist: FloatArray
    baseline_openness: float
    baseline_utility_generalist: float
    baseline_utility_specialist: float
    curve: FloatArray  # p̄(θ) at the baseline share (exact for the fixed rule)

    def columns(self) -> dict[str, NDArray]:
        """Tidy columns: one row per (θ, p) cell."""
        theta, penalty = np.meshgrid(self.thetas, self.penalties, indexing="ij")
        return {
            "theta": theta.ravel(),
            "penalty": penalty.ravel(),
            "regime": np.asarray(REGIMES, dtype=object)[self.regime.ravel()],
            "outcome": np.asarray(OUTCOMES, dtype=object)[self.outcome.ravel()],
            "openness": self.openness.ravel(),
            "delta": self.delta.ravel(),
            "utility_generalist": self.utility_generalist.ravel(),
            "utility_specialist": self.utility_specialist.ravel(),
            "indifference_penalty": np.repeat(self.curve, self.penalties.size),
        }


def region_map(
    game: OpennessGame,
    thetas: ArrayLike,
    penalties: ArrayLike,
    rule: str = "fixed",
    delta: ArrayLike | None = None,
    grid: int = DEFAULT_GRID,
) -> RegionMap:
    """Solve the game at every (θ, p) of the grid for a scalar parameter set ``game``.

    Args:
        game: Scalar parameters; its own ``theta`` and ``penalty`` are ignored.
        thetas: Thresholds, 1-D in [0, 1].
        penalties: Penalties, 1-D, ≥ 0.
        rule: Bargaining rule (see :data:`abm.theory.bargaining.BARGAINING_RULES`).
        delta: The share for the ``fixed`` rule.
        grid: δ grid for the other rules.
    """
    if game.shape != ():
        raise ParameterError("region_map needs scalar game parameters (one base model)")
    thetas = _grid("theta", thetas, 0.0, 1.0)
    penalties = _grid("penalty", penalties, 0.0, np.inf)
    regulated = game.replace(theta=thetas[:, None], penalty=penalties[None, :])
    result = regulation_outcome(regulated, rule, delta, grid)
    stage, base = result.regulated.stage, result.baseline.stage
    shape = (thetas.size, penalties.size)
    baseline_delta = float(np.asarray(result.baseline.delta).ravel()[0])
    return RegionMap(
        thetas=thetas,
        penalties=penalties,
        regime=np.broadcast_to(stage.regime, shape),
        outcome=np.broadcast_to(result.outcome, shape),
        openness=np.broadcast_to(stage.openness, shape),
        delta=np.broadcast_to(result.regulated.delta, shape),
        utility_generalist=np.broadcast_to(stage.utility_generalist, shape),
        utility_specialist=np.broadcast_to(stage.utility_specialist, shape),
        baseline_openness=float(np.asarray(base.openness).ravel()[0]),
        baseline_utility_generalist=float(np.asarray(base.utility_generalist).ravel()[0]),
        baseline_utility_specialist=float(np.asarray(base.utility_specialist).ravel()[0]),
        curve=indifference_curve(game, thetas, baseline_delta),
    )


@dataclass(frozen=True)
class LeverMap:
    """Penalty needed to make each threshold bind, over (α0, θ); 2-D arrays ``[alpha0, theta]``.

    Attributes:
        alpha0: Base-model performances.
        thetas: Thresholds.
        delta: Revenue share per α0 (bargained without regulation under the chosen rule).
        free_openness: ω⁰ per α0: thresholds at or below it never bind.
        required_penalty: p̄(θ): the least penalty at which G complies rather than pays.
        penalty_slope: ∂p̄/∂θ = 2kθ − slope of Ū_G: the extra penalty per unit of threshold.
        compliance_feasible: Ū_G(θ) ≥ 0: complying beats leaving the market.
        exit_penalty: Ū_G(ω⁰): penalties above it make a non-complying G withdraw.
    """

    alpha0: FloatArray
    thetas: FloatArray
    delta: FloatArray
    free_openness: FloatArray
    required_penalty: FloatArray
    penalty_slope: FloatArray
    compliance_feasible: NDArray[np.bool_]
    exit_penalty: FloatArray

    def columns(self) -> dict[str, NDArray]:
        """Tidy columns: one row per (α0, θ) cell."""
        alpha0, theta = np.meshgrid(self.alpha0, self.thetas, indexing="ij")
        shape = alpha0.shape
        binds = theta > self.free_openness[:, None]
        return {
            "alpha0": alpha0.ravel(),
            "theta": theta.ravel(),
            "delta": np.broadcast_to(self.delta[:, None], shape).ravel(),
            "free_openness": np.broadcast_to(self.free_openness[:, None], shape).ravel(),
            "binds": binds.ravel(),
            "required_penalty": self.required_penalty.ravel(),
            "penalty_slope": self.penalty_slope.ravel(),
            "compliance_feasible": self.compliance_feasible.ravel(),
            "exit_penalty": np.broadcast_to(self.exit_penalty[:, None], shape).ravel(),
        }


def lever_map(
    game: OpennessGame,
    alpha0: ArrayLike,
    thetas: ArrayLike,
    rule: str = "fixed",
    delta: ArrayLike | None = None,
    grid: int = DEFAULT_GRID,
) -> LeverMap:
    """For each α0 and θ, the penalty that makes θ bind, and whether compliance is viable.

    The share δ is held at its unregulated bargained value for each α0 (exact for ``fixed``).
    """
    alpha0 = _grid("alpha0", alpha0, 0.0, np.inf)
    thetas = _grid("theta", thetas, 0.0, 1.0)
    models = game.replace(alpha0=alpha0, theta=0.0, penalty=0.0)
    share = np.broadcast_to(bargain(models, rule, delta, grid), alpha0.shape)
    omega0 = free_openness(models, share)
    cells = models.replace(alpha0=alpha0[:, None], theta=thetas[None, :])
    share2d = share[:, None]
    _, slope, curvature = generalist_coefficients(cells, share2d)
    return LeverMap(
        alpha0=alpha0,
        thetas=thetas,
        delta=np.asarray(share, float),
        free_openness=omega0,
        required_penalty=indifference_penalty(cells, share2d),
        penalty_slope=2.0 * curvature * thetas[None, :] - slope,
        compliance_feasible=generalist_utility(cells, thetas[None, :], share2d) >= 0.0,
        exit_penalty=generalist_utility(models, omega0, share),
    )
