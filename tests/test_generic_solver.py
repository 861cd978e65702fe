"""The numerical solver for user utilities agrees with the closed forms on the default model."""

import math

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.theory.bargaining import equilibrium
from abm.theory.generic_solver import GenericGame, solve
from abm.theory.openness_game import OpennessGame


def default_model(alpha0, theta=0.0, penalty=0.0, **p):
    """The spec's utilities as plain vectorised callables, written out independently."""
    c, lam = p.get("specialist_cost", 1.0), p.get("openness_leverage", 1.0)
    beta, eps, o = p.get("licensing", 0.3), p.get("reputation", 0.05), p.get("operation", 0.05)
    k, c0 = p.get("compliance", 0.2), p.get("production", 0.2)

    def specialist(openness, alpha1, delta):
        return (1 - delta) * alpha1 - c * (alpha1 - alpha0) ** 2 / (1 + lam * openness)

    def generalist(openness, alpha1, delta):
        return (
            delta * alpha1
            + beta * alpha0 * (1 - openness)
            + eps * openness
            - o * (1 - openness)
            - k * openness**2
            - c0 * alpha0**2
        )

    return (
        GenericGame(generalist, specialist, alpha0, theta, penalty),
        OpennessGame(alpha0=alpha0, theta=theta, penalty=penalty, **p),
    )


def assert_agree(numeric, exact, tolerance):
    assert int(numeric.regime) == int(exact.stage.regime)
    assert float(numeric.delta) == pytest.approx(float(exact.delta), abs=tolerance)
    assert float(numeric.openness) == pytest.approx(
        float(exact.stage.openness), abs=tolerance, nan_ok=True
    )
    assert float(numeric.alpha1) == pytest.approx(
        float(exact.stage.alpha1), abs=tolerance, nan_ok=True
    )
    assert float(numeric.utility_generalist) == pytest.approx(
        float(exact.stage.utility_generalist), abs=1e-7
    )
    assert float(numeric.utility_specialist) == pytest.approx(
        float(exact.stage.utility_specialist), abs=1e-7
    )


def test_random_points_at_fixed_delta():
    rng = np.random.default_rng(20251122)
    for _ in range(25):
        params = dict(
            specialist_cost=rng.uniform(0.5, 2),
            openness_leverage=rng.uniform(0, 3),
            licensing=rng.uniform(0, 0.5),
            reputation=rng.uniform(0, 0.3),
            compliance=rng.uniform(0.1, 0.5),
        )
        alpha0, theta, penalty = rng.uniform(0.05, 3), rng.uniform(0, 1), rng.uniform(0, 0.5)
        delta = rng.uniform(0.05, 0.95)
        numeric_game, exact_game = default_model(alpha0, theta, penalty, **params)
        assert_agree(
            solve(numeric_game, "fixed", delta), equilibrium(exact_game, "fixed", delta), 1e-6
        )


@pytest.mark.parametrize(
    "rule",
    # (the numeric solver takes 6–16 s a rule: one in the fast subset, all in the full run)
    [
        "nash",
        *(
            pytest.param(rule, marks=pytest.mark.slow)
            for rule in ("egalitarian", "generalist", "kalai_smorodinsky")
        ),
    ],
)
def test_bargaining_rules_agree(rule):
    numeric_game, exact_game = default_model(0.1, theta=0.6, penalty=0.5)
    assert_agree(solve(numeric_game, rule, grid=101), equilibrium(exact_game, rule), 1e-5)


def test_scalar_only_callables_are_accepted():
    def specialist(openness, alpha1, delta):
        return (1 - delta) * alpha1 - (alpha1 - 0.5) ** 2 / (1 + openness)

    def generalist(openness, alpha1, delta):  # math.* rejects arrays: forces the slow path
        return (
            delta * alpha1
            + 0.15 * (1 - openness)
            + 0.05 * openness
            - 0.05 * (1 - openness)
            - 0.2 * math.pow(openness, 2)
            - 0.05
        )

    numeric = solve(GenericGame(generalist, specialist, 0.5), "fixed", 0.5)
    assert float(numeric.openness) == pytest.approx(0.1875, abs=1e-6)


def test_a_non_default_model_solves_sensibly():
    # Log fine-tuning value: D's best α1 solves (1−δ)/α1 = 2(α1−α0)/(1+ω), checked by its FOC.
    alpha0 = 1.0

    def specialist(openness, alpha1, delta):
        return (1 - delta) * np.log(alpha1) - (alpha1 - alpha0) ** 2 / (1 + openness)

    def generalist(openness, alpha1, delta):
        return delta * np.log(alpha1) + 0.1 * (1 - openness) - 0.1 * openness**2

    numeric = solve(GenericGame(generalist, specialist, alpha0), "fixed", 0.4)
    a1, w = float(numeric.alpha1), float(numeric.openness)
    # Central differences (step 1e-3 of the range) leave an O(step²) bias on non-quadratics.
    assert 0.6 / a1 == pytest.approx(2 * (a1 - alpha0) / (1 + w), abs=1e-5)


def test_unbounded_specialist_is_reported():
    with pytest.raises(ParameterError, match="utility_specialist"):
        solve(GenericGame(lambda w, a, d: a, lambda w, a, d: a, 1.0), "fixed", 0.5)
