"""Learning rules at their edges: joint parameter domains, per-action priors, Roth–Erev 1998."""

from __future__ import annotations

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning import make_rule, rule_info
from abm.learning.choice import softmax
from abm.learning.roth_erev import erev_roth_1998
from abm.market.config import MarketConfig


def one_line_error(name: str, n_agents: int = 1, n_actions: int = 3, **params) -> str:
    with pytest.raises(ParameterError) as error:
        make_rule(name, n_agents, n_actions, np.random.default_rng(0), **params)
    message = str(error.value)
    assert "\n" not in message
    return message


# --- EWA: Camerer and Ho's domain ----------------------------------------------------------------


def test_ewa_refuses_experience_decay_above_attraction_decay():
    message = one_line_error("ewa", attraction_decay=0.8, experience_decay=0.9)
    assert message.startswith("experience_decay must be ≤ attraction_decay")
    assert "got 0.9 > 0.8" in message
    # per agent: the first agent outside the domain is named
    message = one_line_error(
        "ewa", n_agents=3, attraction_decay=0.8, experience_decay=np.array([0.5, 0.8, 0.85])
    )
    assert "got 0.85 > 0.8 (agent 2)" in message
    make_rule("ewa", 1, 3, np.random.default_rng(0), attraction_decay=0.8, experience_decay=0.8)


def test_ewa_refuses_an_initial_experience_that_would_fall():
    # N(t) = ρ^t·N(0) + (1 − ρ^t)/(1 − ρ) falls towards 1/(1 − ρ) when N(0) is above it
    message = one_line_error("ewa", experience_decay=0.5, initial_experience=2.5)
    assert message.startswith("initial_experience must be ≤ 1/(1 − experience_decay)")
    assert "got 2.5 > 2" in message
    # the bound itself is accepted although 1/(1 − 0.9) rounds to 9.999999999999998
    make_rule("ewa", 1, 3, np.random.default_rng(0), experience_decay=0.9, initial_experience=10)
    make_rule(
        "ewa",
        1,
        3,
        np.random.default_rng(0),
        attraction_decay=1.0,
        experience_decay=1.0,
        initial_experience=1e6,
    )  # ρ = 1: no bound
    # weighted fictitious play has ρ = φ, so its bound is 1/(1 − φ)
    message = one_line_error(
        "weighted_fictitious_play", attraction_decay=0.75, initial_experience=5
    )
    assert message.startswith("initial_experience must be ≤ 1/(1 − attraction_decay)")
    assert "got 5 > 4" in message


@pytest.mark.parametrize(("decay", "initial"), [(0.0, 1.0), (0.5, 0.0), (0.5, 2.0), (0.9, 7.0)])
def test_inside_the_domain_experience_never_falls(decay, initial):
    rule = make_rule(
        "ewa",
        1,
        2,
        np.random.default_rng(0),
        attraction_decay=0.95,
        experience_decay=decay,
        initial_experience=initial,
    )
    history = [rule.experience[0]]
    for _ in range(40):
        rule.observe(np.array([0]), np.array([1.0]), np.array([[1.0, 0.0]]))
        rule.update()
        history.append(rule.experience[0])
    assert np.all(np.diff(history) >= -1e-12)
    t = np.arange(41)
    closed_form = decay**t * initial + (1 - decay**t) / (1 - decay)
    np.testing.assert_allclose(history, closed_form, rtol=1e-12)


def test_a_market_configuration_outside_the_domain_is_refused_with_its_path():
    learning = {
        "rule": "ewa",
        "information": "counterfactual",
        "params": {"attraction_decay": 0.5, "experience_decay": 0.7},
    }
    with pytest.raises(ParameterError) as error:
        MarketConfig.from_dict({"generalists": {"learning": learning}})
    message = str(error.value)
    assert message.startswith("generalists.learning.params: experience_decay must be ≤")
    assert "\n" not in message


# --- per-action priors --------------------------------------------------------------------------


def test_logit_first_move_is_the_logit_response_to_a_per_action_prior():
    prior = np.array([[1.0, 0.0, -2.0]])
    rule = make_rule(
        "logit", 4, 3, np.random.default_rng(0), precision=2.0, initial_attraction=prior
    )
    expected = np.exp(2.0 * prior[0]) / np.exp(2.0 * prior[0]).sum()
    np.testing.assert_allclose(rule.probabilities(), np.tile(expected, (4, 1)), rtol=1e-14)
    # with prior_weight 0 the prior leaves the average after the first observation
    forgone = np.tile([0.0, 3.0, 1.0], (4, 1))
    rule.observe(rule.act(), forgone[:, 0], forgone)
    rule.update()
    np.testing.assert_allclose(rule.probabilities()[0], softmax(2.0 * forgone[0]), rtol=1e-14)


def test_priors_may_differ_per_agent_and_action():
    prior = np.array([[0.0, 1.0, 0.5], [2.0, 0.0, 0.0]])
    fictitious = make_rule(
        "fictitious_play", 2, 3, np.random.default_rng(0), initial_attraction=prior
    )
    np.testing.assert_array_equal(fictitious.act(), [1, 0])  # the prior's best reply at first
    ewa = make_rule("ewa", 2, 3, np.random.default_rng(0), initial_attraction=prior, precision=1.0)
    np.testing.assert_allclose(ewa.probabilities(), softmax(prior), rtol=1e-14)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.zeros(3), r"one value per agent \(shape \(2,\)\)"),  # 1-D always means per agent
        (np.zeros((3, 3)), r"got shape \(3, 3\)"),  # two rows for two agents, or one
        (np.zeros((1, 4)), r"\(K = 3\), got shape \(1, 4\)"),
        (np.zeros((1, 1, 3)), r"got an array of shape \(1, 1, 3\)"),  # no states in logit
    ],
)
def test_per_action_shapes_are_checked(value, message):
    with pytest.raises(ParameterError, match=message):
        make_rule("logit", 2, 3, np.random.default_rng(0), initial_attraction=value)


# --- Roth–Erev as Erev and Roth (1998) ----------------------------------------------------------


def hand_coded_erev_roth(actions, payoffs, *, keep, epsilon, initial, floor, n_actions):
    """Erev and Roth's (1998) update written out in plain Python, one agent."""
    propensities = list(initial)
    trajectory = []
    for action, payoff in zip(actions, payoffs, strict=True):
        reinforcement = payoff - floor
        for j in range(n_actions):
            share = 1 - epsilon if j == action else epsilon / (n_actions - 1)
            propensities[j] = keep * propensities[j] + share * reinforcement
        total = sum(propensities)
        trajectory.append([q / total for q in propensities])
    return np.array(trajectory)


def test_roth_erev_with_experimentation_and_a_payoff_floor_matches_the_hand_coded_model():
    rng = np.random.default_rng(3)
    actions = rng.integers(4, size=60)
    payoffs = rng.uniform(-3.0, 5.0, size=60)
    params = erev_roth_1998(payoff_floor=-3.0, payoff_scale=2.5)
    rule = make_rule("roth_erev", 1, 4, np.random.default_rng(0), **params)
    assert not rule.requires_nonnegative_payoffs  # it shifts by the floor itself
    initial = [9.0 * 2.5 / 4] * 4  # s(1)·X/M
    np.testing.assert_allclose(rule.attractions[0], initial, rtol=1e-15)
    expected = hand_coded_erev_roth(
        actions, payoffs, keep=0.9, epsilon=0.2, initial=initial, floor=-3.0, n_actions=4
    )
    for period, (action, payoff) in enumerate(zip(actions, payoffs, strict=True)):
        rule.observe(np.array([action]), np.array([payoff]))
        rule.update()
        np.testing.assert_allclose(rule.probabilities()[0], expected[period], rtol=1e-12)


def test_roth_erev_experimentation_sets_the_long_run_choice_of_a_repeated_action():
    # always playing action 0 for R: q_0 → (1 − ε)R/(1 − φ), q_j → ε/(M − 1)·R/(1 − φ),
    # so the choice probability of action 0 tends to 1 − ε
    rule = make_rule(
        "roth_erev", 1, 3, np.random.default_rng(0), attraction_decay=0.8, experimentation=0.3
    )
    for _ in range(400):
        rule.observe(np.array([0]), np.array([2.0]))
        rule.update()
    np.testing.assert_allclose(rule.probabilities()[0], [0.7, 0.15, 0.15], rtol=1e-12)


def test_roth_erev_refuses_payoffs_below_its_floor_and_leaves_its_state():
    rule = make_rule("roth_erev", 2, 2, np.random.default_rng(0), payoff_floor=-1.0)
    before = rule.attractions.copy()
    rule.observe(np.array([0, 1]), np.array([-0.5, -1.5]))
    with pytest.raises(ParameterError, match=r"payoffs must be ≥ payoff_floor.*agent 1"):
        rule.update()
    np.testing.assert_array_equal(rule.attractions, before)
    # without a floor it needs payoffs ≥ 0, as its registry flag says
    assert rule_info("roth_erev").nonnegative_payoffs
    assert make_rule("roth_erev", 1, 2, np.random.default_rng(0)).requires_nonnegative_payoffs


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"initial_strength": 9.0}, "initial_strength needs payoff_scale"),
        (
            {"initial_strength": 9.0, "payoff_scale": 1.0, "initial_attraction": 2.0},
            "initial_attraction must be None when initial_strength is given",
        ),
        ({"experimentation": 1.0}, r"experimentation must be in \[0, 1\), got 1"),
    ],
)
def test_roth_erev_refuses_inconsistent_initial_propensities(params, message):
    with pytest.raises(ParameterError, match=message):
        make_rule("roth_erev", 1, 3, np.random.default_rng(0), **params)
