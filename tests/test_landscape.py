"""Region map and lever map against pointwise solutions and the closed-form curve."""

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.theory.landscape import indifference_curve, lever_map, region_map
from abm.theory.openness_game import OpennessGame, stage_two
from abm.theory.outcomes import OUTCOMES


def test_region_map_cells_match_pointwise_solutions():
    thetas, penalties = np.linspace(0, 1, 9), np.linspace(0, 1, 7)
    region = region_map(OpennessGame(alpha0=3.0), thetas, penalties)
    for i, theta in enumerate(thetas):
        for j, penalty in enumerate(penalties):
            point = stage_two(OpennessGame(alpha0=3.0, theta=theta, penalty=penalty), 0.5)
            assert region.regime[i, j] == point.regime
    columns = region.columns()
    assert len(columns["theta"]) == 63 and set(columns["outcome"]) <= set(OUTCOMES)


def test_region_boundary_follows_the_indifference_curve():
    thetas, penalties = np.linspace(0, 1, 51), np.linspace(0, 0.4, 401)
    region = region_map(OpennessGame(alpha0=0.5), thetas, penalties)
    curve = indifference_curve(OpennessGame(alpha0=0.5), thetas, 0.5)
    for i in np.flatnonzero(thetas > 0.1875):
        pays = region.outcome[i] == OUTCOMES.index("deadweight_loss")
        assert np.all(penalties[pays] < curve[i]) and np.all(
            penalties[~pays & (penalties > 0)] >= curve[i]
        )


def test_lever_map_required_penalty_is_the_curve_and_exit_is_g_payoff():
    alpha0, thetas = np.array([0.2, 1.0, 3.0]), np.linspace(0, 1, 11)
    levers = lever_map(OpennessGame(), alpha0, thetas)
    for row, a in enumerate(alpha0):
        assert np.allclose(
            levers.required_penalty[row], indifference_curve(OpennessGame(alpha0=a), thetas, 0.5)
        )
    assert levers.exit_penalty[2] == pytest.approx(0.675)
    # At α0 = 3 complying with θ = 1 is worse than leaving: Ū_G(1) = 0.675 − 0.675 − 0.2 < 0.
    assert not levers.compliance_feasible[2, -1] and levers.compliance_feasible[0].all()
    # The slope column is the derivative of the required penalty where θ binds.
    binding = thetas > levers.free_openness[1]
    numeric = np.gradient(levers.required_penalty[1], thetas)
    assert np.allclose(levers.penalty_slope[1, binding][1:-1], numeric[binding][1:-1], atol=1e-9)


def test_grids_are_checked():
    with pytest.raises(ParameterError, match="theta"):
        region_map(OpennessGame(), [0.0, 1.5], [0.0, 1.0])
    with pytest.raises(ParameterError, match="scalar"):
        region_map(OpennessGame(alpha0=[0.5, 1.0]), [0.0, 1.0], [0.0, 1.0])
