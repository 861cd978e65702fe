"""Stage-1 bargaining rules against dense brute-force grids, and the outcome classes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.errors import ParameterError
from abm.theory.bargaining import bargain, equilibrium
from abm.theory.openness_game import COMPLY, OpennessGame, stage_two
from abm.theory.outcomes import OUTCOMES, regulation_outcome


def dense_argmax(game, rule, points=2_000_001):
    """δ maximising the rule's objective on a dense grid (resolution 5e-7)."""
    delta = np.linspace(0, 1, points)
    stage = stage_two(game, delta)
    u_g, u_d = stage.utility_generalist, stage.utility_specialist
    objective = {
        "nash": u_g * u_d,
        "egalitarian": np.minimum(u_g, u_d),
        "generalist": u_g,
        "kalai_smorodinsky": np.minimum(u_g / u_g.max(), u_d / u_d.max()),
    }[rule]
    return delta[np.argmax(objective)]


CASES = [
    dict(alpha0=0.1),
    dict(alpha0=0.5),
    dict(alpha0=2.0),
    dict(alpha0=0.5, theta=0.5, penalty=0.2),
    dict(alpha0=0.1, theta=0.6, penalty=0.5),
    dict(alpha0=3.0, theta=1.0, penalty=1.0),
]


@pytest.mark.parametrize("rule", ["nash", "egalitarian", "generalist", "kalai_smorodinsky"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_rules_match_dense_grid_to_1e6(rule, case):
    game = OpennessGame(**case)
    assert float(bargain(game, rule)) == pytest.approx(dense_argmax(game, rule), abs=1e-6)


def test_egalitarian_equalises_utilities_when_interior():
    result = equilibrium(OpennessGame(alpha0=0.5), "egalitarian")
    assert float(result.stage.utility_generalist) == pytest.approx(
        float(result.stage.utility_specialist), abs=1e-9
    )


def test_vectorised_bargaining_matches_pointwise():
    alpha0 = np.array([0.1, 0.7, 1.5])
    together = bargain(OpennessGame(alpha0=alpha0), "nash")
    apart = [float(bargain(OpennessGame(alpha0=a), "nash")) for a in alpha0]
    assert np.allclose(together, apart, atol=1e-12)


def test_fixed_rule_and_delta_checks():
    assert float(bargain(OpennessGame(), "fixed")) == 0.5
    assert float(bargain(OpennessGame(), "fixed", 0.3)) == 0.3
    with pytest.raises(ParameterError, match="delta"):
        bargain(OpennessGame(), "nash", 0.3)
    with pytest.raises(ParameterError, match="bargaining"):
        bargain(OpennessGame(), "rubinstein")


THETAS, PENALTIES = np.linspace(0, 1, 41), np.linspace(0, 1.2, 41)


def _outcomes(alpha0, rule, thetas=THETAS, penalties=PENALTIES):
    game = OpennessGame(alpha0=alpha0, theta=thetas[:, None], penalty=penalties[None, :])
    return {OUTCOMES[code] for code in np.unique(regulation_outcome(game, rule).outcome)}


def test_fixed_delta_shows_the_four_spec_outcomes():
    seen = _outcomes(0.5, "fixed") | _outcomes(3.0, "fixed")
    assert {"nonbinding", "utility_transfer", "deadweight_loss", "withdrawal"} <= seen
    assert "pareto_improvement" not in seen  # with δ fixed, complying always costs G


def test_egalitarian_pareto_improvements_for_weak_models_only():
    assert "pareto_improvement" in _outcomes(0.1, "egalitarian")
    assert "pareto_improvement" not in _outcomes(2.0, "egalitarian")


def test_pareto_cells_are_just_above_free_openness():
    thetas = np.linspace(0, 1, 101)
    game = OpennessGame(alpha0=0.1, theta=thetas, penalty=1.0)
    result = regulation_outcome(game, "egalitarian")
    pareto = thetas[result.outcome == OUTCOMES.index("pareto_improvement")]
    omega0 = float(result.baseline.stage.openness)
    assert pareto.size > 0 and pareto.min() > omega0 and pareto.max() < omega0 + 0.25
    assert np.all(
        result.regulated.stage.regime[result.outcome == OUTCOMES.index("pareto_improvement")]
        == COMPLY
    )


def test_outcome_definitions_hold_cellwise():
    thetas, penalties = np.linspace(0, 1, 21), np.linspace(0, 1.2, 21)
    game = OpennessGame(alpha0=1.0, theta=thetas[:, None], penalty=penalties[None, :])
    result = regulation_outcome(game, "fixed")
    new, old = result.regulated.stage, result.baseline.stage
    name = np.asarray(OUTCOMES)[result.outcome]
    dwl = name == "deadweight_loss"
    assert np.allclose(new.openness[dwl], old.openness)
    assert np.allclose(
        new.utility_generalist[dwl], old.utility_generalist - game.penalty.repeat(21, 0)[dwl]
    )
    transfer = name == "utility_transfer"
    assert np.all(new.utility_specialist[transfer] > old.utility_specialist)
    assert np.all(new.utility_generalist[transfer] < old.utility_generalist)


@settings(max_examples=40, deadline=None)
@given(
    alpha0=st.floats(0.05, 3.0),
    reputation=st.floats(0.0, 0.5),
    theta=st.floats(0.0, 1.0),
    penalty=st.floats(0.0, 1.5),
    rule=st.sampled_from(["nash", "egalitarian", "kalai_smorodinsky", "generalist"]),
)
def test_property_bargained_equilibria_are_finite_and_individually_rational(
    alpha0, reputation, theta, penalty, rule
):
    game = OpennessGame(alpha0=alpha0, reputation=reputation, theta=theta, penalty=penalty)
    result = equilibrium(game, rule)
    assert 0.0 <= float(result.delta) <= 1.0
    for value in (result.stage.utility_generalist, result.stage.utility_specialist):
        assert np.isfinite(value) and value >= 0.0
