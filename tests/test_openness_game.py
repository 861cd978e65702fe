"""Model I closed forms against brute force, the spec's sanity values and the paper's claims."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.errors import ParameterError
from abm.theory.openness_game import (
    ABSTAIN,
    COMPLY,
    FREE,
    PAY,
    OpennessGame,
    free_openness,
    generalist_utility,
    indifference_penalty,
    interior_openness,
    specialist_performance,
    specialist_utility,
    stage_two,
)

DEFAULTS = dict(
    specialist_cost=1.0,
    openness_leverage=1.0,
    licensing=0.3,
    reputation=0.05,
    operation=0.05,
    compliance=0.2,
    production=0.2,
)


def utility_specialist_raw(alpha1, alpha0, openness, delta, cost=1.0, leverage=1.0):
    """The spec's U_D, typed in independently of the package."""
    return (1 - delta) * alpha1 - cost * (alpha1 - alpha0) ** 2 / (1 + leverage * openness)


def utility_generalist_raw(openness, alpha1, alpha0, delta, theta=0.0, penalty=0.0, **p):
    q = {**DEFAULTS, **p}
    return (
        delta * alpha1
        + q["licensing"] * alpha0 * (1 - openness)
        + q["reputation"] * openness
        - q["operation"] * (1 - openness)
        - q["compliance"] * openness**2
        - q["production"] * alpha0**2
        - penalty * (openness < theta)
    )


def brute_force(alpha0, delta, theta=0.0, penalty=0.0, **p):
    """Backward induction by exhaustive grids over ω and α1 (no closed form used)."""
    q = {**DEFAULTS, **p}
    openness = np.linspace(0, 1, 1001)[:, None]
    alpha1 = alpha0 + np.linspace(0, 1.25, 5001)[None, :]  # covers α1 − α0 ≤ (1+λ)/(2c_D)
    u_d = utility_specialist_raw(
        alpha1, alpha0, openness, delta, q["specialist_cost"], q["openness_leverage"]
    )
    best_alpha1 = alpha1[0, np.argmax(u_d, axis=1)]
    u_g = utility_generalist_raw(openness[:, 0], best_alpha1, alpha0, delta, theta, penalty, **p)
    i = np.argmax(u_g)
    if u_g[i] < 0:  # abstaining (0) beats every release
        return np.nan, np.nan, 0.0, 0.0
    return openness[i, 0], best_alpha1[i], u_g[i], u_d[i].max()


def test_spec_sanity_values():
    weak = stage_two(OpennessGame(alpha0=0.5), 0.5)
    assert float(weak.openness) == pytest.approx(0.1875, abs=1e-12)
    assert float(weak.utility_specialist) == pytest.approx(0.32422, abs=5e-6)
    strong = stage_two(OpennessGame(alpha0=3.0), 0.5)
    assert float(strong.openness) == 0.0
    assert float(strong.utility_generalist) == pytest.approx(0.675, abs=1e-12)


@pytest.mark.parametrize("alpha0", [0.05, 0.3, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("delta", [0.2, 0.5, 0.8])
def test_closed_forms_match_brute_force(alpha0, delta):
    omega, alpha1, u_g, u_d = brute_force(alpha0, delta)
    result = stage_two(OpennessGame(alpha0=alpha0), delta)
    assert float(result.openness) == pytest.approx(omega, abs=2e-3, nan_ok=True)
    assert float(result.alpha1) == pytest.approx(alpha1, abs=2e-3, nan_ok=True)
    # D's grid argmax can sit half a step (1.25e-4) above α1*, which G values at δ per unit.
    assert float(result.utility_generalist) == pytest.approx(u_g, abs=1.25e-4 * delta + 1e-6)
    # U_D rises with ω at rate ≤ (1−δ)²λ/(4c_D), so the grid's ω error carries over.
    assert float(result.utility_specialist) == pytest.approx(u_d, abs=5e-4)


@pytest.mark.parametrize(("theta", "penalty"), [(0.6, 0.01), (0.6, 0.3), (0.9, 0.05), (0.3, 0.2)])
def test_regulated_choice_matches_brute_force(theta, penalty):
    omega, _, u_g, _ = brute_force(0.5, 0.5, theta, penalty)
    result = stage_two(OpennessGame(alpha0=0.5, theta=theta, penalty=penalty), 0.5)
    assert float(result.openness) == pytest.approx(omega, abs=1e-3)
    assert float(result.utility_generalist) == pytest.approx(u_g, abs=1e-5)


def test_specialist_best_response_is_the_argmax():
    alpha0, openness, delta = 0.7, np.array([0.0, 0.4, 1.0]), 0.3
    alpha1 = specialist_performance(OpennessGame(alpha0=alpha0), openness, delta)
    for shift in (-1e-3, 1e-3):
        assert np.all(
            utility_specialist_raw(alpha1, alpha0, openness, delta)
            > utility_specialist_raw(alpha1 + shift, alpha0, openness, delta)
        )
    assert np.allclose(
        specialist_utility(OpennessGame(alpha0=alpha0), openness, delta),
        utility_specialist_raw(alpha1, alpha0, openness, delta),
    )


def test_interior_openness_formula():
    game = OpennessGame(alpha0=0.8, reputation=0.3)
    delta = 0.4
    expected = (delta * (1 - delta) * 1.0 / 2 + 0.3 + 0.05 - 0.3 * 0.8) / (2 * 0.2)
    assert float(interior_openness(game, delta)) == pytest.approx(expected, abs=1e-15)


def test_free_openness_falls_in_alpha0_and_rises_in_reputation():
    alpha0 = np.linspace(0.05, 3, 400)
    omega = free_openness(OpennessGame(alpha0=alpha0), 0.5)
    assert np.all(np.diff(omega) <= 0) and omega[0] > 0 and omega[-1] == 0
    reputation = np.linspace(0, 0.5, 200)
    omega = free_openness(OpennessGame(alpha0=0.5, reputation=reputation), 0.5)
    assert np.all(np.diff(omega) >= 0) and omega[-1] > omega[0]


def test_indifference_curve_property():
    thetas = np.linspace(0.25, 1.0, 16)
    game = OpennessGame(alpha0=0.5, theta=thetas)
    curve = indifference_penalty(game, 0.5)
    interior = float(interior_openness(game, 0.5))
    assert np.allclose(curve, 0.2 * (thetas - interior) ** 2, atol=1e-14)  # k(θ − ω_int)²
    on = stage_two(game.replace(penalty=curve), 0.5)
    assert np.all(on.regime == COMPLY)  # ties favour compliance
    comply_value = generalist_utility(game, thetas, 0.5)
    pay_value = generalist_utility(game, 0.1875, 0.5) - curve
    assert np.allclose(comply_value, pay_value, atol=1e-14)  # indifferent on the curve
    assert np.all(stage_two(game.replace(penalty=curve * 1.001 + 1e-9), 0.5).regime == COMPLY)
    assert np.all(stage_two(game.replace(penalty=curve * 0.999), 0.5).regime == PAY)


def test_nonbinding_threshold_and_zero_penalty():
    game = OpennessGame(alpha0=0.5, theta=[0.0, 0.1875, 0.5], penalty=[1.0, 1.0, 0.0])
    result = stage_two(game, 0.5)
    assert np.all(result.regime == FREE)
    assert np.allclose(result.openness, 0.1875)
    assert np.all(indifference_penalty(game.replace(theta=[0.0, 0.1, 0.18]), 0.5) == 0)


def test_withdrawal_when_neither_compliance_nor_the_penalty_pays():
    result = stage_two(OpennessGame(alpha0=3.0, theta=1.0, penalty=1.0), 0.5)
    assert result.regime == ABSTAIN
    assert (
        np.isnan(result.openness)
        and result.utility_generalist == 0
        and result.utility_specialist == 0
    )


def test_vectorised_grid_broadcasts_and_matches_pointwise():
    thetas = np.linspace(0, 1, 7)[:, None]
    penalties = np.linspace(0, 1, 5)[None, :]
    grid = stage_two(OpennessGame(alpha0=2.0, theta=thetas, penalty=penalties), 0.5)
    assert grid.regime.shape == (7, 5)
    for i in range(7):
        for j in range(5):
            point = stage_two(
                OpennessGame(alpha0=2.0, theta=thetas[i, 0], penalty=penalties[0, j]), 0.5
            )
            assert point.regime == grid.regime[i, j]
            assert float(point.utility_generalist) == grid.utility_generalist[i, j]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("alpha0", 0.0),
        ("specialist_cost", -1.0),
        ("theta", 1.5),
        ("penalty", -0.1),
        ("compliance", 0.0),
    ],
)
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(ParameterError, match=field):
        OpennessGame(**{field: value})


def test_bad_delta_is_rejected():
    with pytest.raises(ParameterError, match="delta"):
        stage_two(OpennessGame(), 1.2)


positive = st.floats(0.01, 5.0)
non_negative = st.floats(0.0, 2.0)


@settings(max_examples=200, deadline=None)
@given(
    alpha0=positive,
    specialist_cost=positive,
    openness_leverage=non_negative,
    licensing=non_negative,
    reputation=non_negative,
    operation=non_negative,
    compliance=positive,
    production=non_negative,
    theta=st.floats(0.0, 1.0),
    penalty=non_negative,
    delta=st.floats(0.0, 1.0),
)
def test_property_finite_and_participants_not_negative(delta, **fields):
    result = stage_two(OpennessGame(**fields), delta)
    for value in (
        result.utility_generalist,
        result.utility_specialist,
        result.indifference_penalty,
    ):
        assert np.all(np.isfinite(value))
    assert result.utility_generalist >= 0 and result.utility_specialist >= 0
    if result.regime != ABSTAIN:
        assert 0 <= result.openness <= 1 and result.alpha1 >= fields["alpha0"]
        if result.regime == COMPLY:
            assert result.openness == fields["theta"]
