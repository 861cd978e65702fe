"""Unit tests of the learning rules: interface, registry, reproducibility, special cases."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.errors import ParameterError
from abm.learning import make_rule, rule_info, rule_names
from abm.learning.canonical_games import matching_pennies
from abm.learning.choice import argmax_ties, sample_categorical, softmax
from abm.learning.harness import play_repeated
from abm.learning.interface import LearningRule
from abm.learning.neighbourhood import Neighbourhood, as_neighbourhood

ALL_RULES = (
    "best_response",
    "ewa",
    "fictitious_play",
    "hedge",
    "imitation",
    "logit",
    "q_learning",
    "regret_matching",
    "replicator",
    "roth_erev",
    "weighted_fictitious_play",
)

# a 4-action game with non-negative payoffs (Roth–Erev needs them)
PAYOFFS = np.array(
    [
        [3.0, 0.0, 1.0, 2.0],
        [1.0, 2.0, 0.5, 0.0],
        [0.0, 1.5, 2.5, 1.0],
        [2.0, 1.0, 0.0, 3.0],
    ]
)


def drive(rule: LearningRule, periods: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Play PAYOFFS against opponents drawn uniformly by an independent generator.

    Returns the actions ``(periods, n)`` and the probabilities ``(periods + 1, n, K)``.
    """
    opponents_rng = np.random.default_rng(seed)
    n, k = rule.n_agents, rule.n_actions
    actions = np.empty((periods, n), dtype=np.intp)
    probabilities = np.empty((periods + 1, n, k))
    probabilities[0] = rule.probabilities()
    for period in range(periods):
        chosen = rule.act()
        opponents = opponents_rng.integers(k, size=n)
        forgone = PAYOFFS[:, opponents].T
        rule.observe(chosen, PAYOFFS[chosen, opponents], forgone)
        rule.update()
        actions[period] = chosen
        probabilities[period + 1] = rule.probabilities()
    return actions, probabilities


# --- registry and metadata --------------------------------------------------------------------


def test_registry_lists_every_rule_with_metadata():
    assert rule_names() == ALL_RULES
    for name in ALL_RULES:
        info = rule_info(name)
        assert info.name == name == info.rule_class.name
        assert info.uses in ("own_payoff", "forgone_payoffs", "neighbours")
        assert isinstance(info.stochastic, bool) and isinstance(info.converges, bool)
        assert info.summary
        for spec in info.parameters:
            assert spec.description and spec.accepted()
        # defaults are accepted by the constructor
        make_rule(name, 2, 3, np.random.default_rng(0), **info.defaults())


def test_converges_flags_follow_the_spec():
    # the spec's validation expects best response, logit and belief-learning EWA to settle
    expected = {
        "best_response": True,
        "fictitious_play": True,
        "logit": True,
        "weighted_fictitious_play": True,
        "q_learning": False,
        "roth_erev": False,
        "ewa": False,
        "imitation": False,
    }
    for name, converges in expected.items():
        assert rule_info(name).converges is converges, name


def test_uses_metadata_matches_what_observe_requires():
    rng = np.random.default_rng(0)
    for name in ALL_RULES:
        rule = make_rule(name, 3, 4, rng)
        actions = rule.act()
        payoffs = np.ones(3)
        if rule_info(name).uses == "forgone_payoffs":
            with pytest.raises(ParameterError, match="forgone"):
                rule.observe(actions, payoffs)
        else:
            rule.observe(actions, payoffs)  # own payoff (and neighbours) suffice
            rule.update()


def test_unknown_rule_name_is_a_parameter_error():
    with pytest.raises(ParameterError, match="rule must be one of"):
        make_rule("gradient_ascent", 2, 2, np.random.default_rng(0))


# --- parameter validation ---------------------------------------------------------------------


def out_of_range_values(spec) -> list:
    values = []
    if spec.choices is not None:
        return ["not-a-choice"]
    if math.isfinite(spec.low):
        values.append(spec.low if spec.low_open else spec.low - 0.5)
    if math.isfinite(spec.high):
        values.append(spec.high if spec.high_open else spec.high + 0.5)
    values.append(float("nan"))
    if spec.integer:
        values.append(2.5)
    return values


@pytest.mark.parametrize("name", ALL_RULES)
def test_bad_parameters_raise_parameter_error_naming_them(name):
    info = rule_info(name)
    rng = np.random.default_rng(0)
    checked = 0
    for spec in info.parameters:
        for value in out_of_range_values(spec):
            with pytest.raises(ParameterError) as error:
                make_rule(name, 3, 4, rng, **{spec.name: value})
            message = str(error.value)
            assert spec.name in message and "\n" not in message
            checked += 1
    assert checked >= len(info.parameters)
    with pytest.raises(ParameterError, match="unknown parameter 'speed'"):
        make_rule(name, 3, 4, rng, speed=1.0)


def test_named_bad_parameters():
    rng = np.random.default_rng(0)
    cases = [
        ("best_response", {"inertia": 1.0}, r"inertia must be in \[0, 1\), got 1"),
        ("logit", {"precision": -1.0}, r"precision must be in \[0, inf\), got -1"),
        ("q_learning", {"epsilon": 1.5}, r"epsilon must be in \[0, 1\], got 1.5"),
        ("q_learning", {"learning_rate": 0.0}, r"learning_rate must be in \(0, 1\], got 0"),
        ("ewa", {"forgone_weight": 2.0}, r"forgone_weight must be in \[0, 1\], got 2"),
        ("imitation", {"protocol": "copy"}, r"protocol must be one of"),
        ("imitation", {"payoff_scale": 0.0}, r"payoff_scale must be in \(0, inf\)"),
        ("roth_erev", {"initial_attraction": 0.0}, r"initial_attraction must be in \(0, inf\)"),
        ("ewa", {"choice_rule": "linear", "initial_attraction": -1.0}, "initial_attraction"),
        ("logit", {"precision": np.ones(5)}, r"precision must be a scalar or one value per"),
        ("q_learning", {"n_states": 0}, r"n_states must be in \[1, inf\), got 0"),
    ]
    for name, params, message in cases:
        with pytest.raises(ParameterError, match=message):
            make_rule(name, 3, 4, rng, **params)
    with pytest.raises(ParameterError, match="n_agents"):
        make_rule("logit", 0, 4, rng)
    with pytest.raises(ParameterError, match="n_actions"):
        make_rule("logit", 3, 0, rng)
    with pytest.raises(TypeError, match="Generator"):
        make_rule("logit", 3, 4, np.random.RandomState(0))  # type: ignore[arg-type]


def test_observe_rejects_malformed_input_and_update_needs_an_observation():
    rule = make_rule("logit", 3, 4, np.random.default_rng(0))
    good_forgone = np.zeros((3, 4))
    with pytest.raises(RuntimeError, match="without a pending observe"):
        rule.update()
    with pytest.raises(ParameterError, match="actions must be 3 integer"):
        rule.observe([0, 1], np.zeros(3), good_forgone)
    with pytest.raises(ParameterError, match="actions must be 3 integer"):
        rule.observe(np.array([0.0, 1.0, 2.0]), np.zeros(3), good_forgone)
    with pytest.raises(ParameterError, match=r"actions must be in \[0, 3\]"):
        rule.observe(np.array([0, 1, 4]), np.zeros(3), good_forgone)
    with pytest.raises(ParameterError, match=r"actions must be in \[0, 3\]"):
        rule.observe(np.array([0, -1, 2]), np.zeros(3), good_forgone)
    with pytest.raises(ParameterError, match="payoffs must have shape"):
        rule.observe(np.array([0, 1, 2]), np.zeros(4), good_forgone)
    with pytest.raises(ParameterError, match="payoffs must be finite"):
        rule.observe(np.array([0, 1, 2]), np.array([0.0, np.nan, 1.0]), good_forgone)
    with pytest.raises(ParameterError, match="forgone must have shape"):
        rule.observe(np.array([0, 1, 2]), np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="forgone payoffs must be finite"):
        rule.observe(np.array([0, 1, 2]), np.zeros(3), np.full((3, 4), np.inf))
    roth_erev = make_rule("roth_erev", 2, 2, np.random.default_rng(0))
    roth_erev.observe(np.array([0, 1]), np.array([1.0, -1.0]))
    with pytest.raises(ParameterError, match="non-negative"):
        roth_erev.update()


# --- interface: shapes, probabilities, reproducibility -----------------------------------------


@pytest.mark.parametrize("name", ALL_RULES)
def test_shapes_and_probabilities_are_valid(name):
    rule = make_rule(name, 5, 4, np.random.default_rng(1))
    actions, probabilities = drive(rule, 30, seed=2)
    assert actions.shape == (30, 5) and actions.dtype == np.intp
    assert actions.min() >= 0 and actions.max() < 4
    assert probabilities.shape == (31, 5, 4)
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=2), 1.0, atol=1e-12)
    # actions are drawn from probabilities(): a zero-probability action is never played
    played = np.take_along_axis(probabilities[:-1], actions[..., None], axis=2)[..., 0]
    assert np.all(played > 0)
    assert rule.periods == 30


@pytest.mark.parametrize("name", ALL_RULES)
def test_same_seed_same_sequence_bit_for_bit(name):
    first = drive(make_rule(name, 6, 4, np.random.default_rng(7)), 60, seed=3)
    second = drive(make_rule(name, 6, 4, np.random.default_rng(7)), 60, seed=3)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1].tobytes() == second[1].tobytes()
    if make_rule(name, 6, 4, np.random.default_rng(7)).is_stochastic:
        other = drive(make_rule(name, 6, 4, np.random.default_rng(8)), 60, seed=3)
        assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("name", ALL_RULES)
def test_act_and_probabilities_leave_the_learning_state_alone(name):
    rule = make_rule(name, 4, 3, np.random.default_rng(0))
    payoffs3 = PAYOFFS[:3, :3]
    for _ in range(3):
        chosen = rule.act()
        rule.observe(chosen, payoffs3[chosen, 0], np.tile(payoffs3[:, 0], (4, 1)))
        rule.update()
    before = rule.probabilities()
    for _ in range(5):
        rule.act()
        rule.probabilities()
    np.testing.assert_array_equal(rule.probabilities(), before)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("best_response", {"inertia": 0.3}),
        ("best_response", {"inertia": 0.3, "tie_break": "random"}),
        ("logit", {"precision": 1.0}),
        ("q_learning", {"epsilon": 0.4, "epsilon_decay": 1.0}),
        ("ewa", {"precision": 0.5}),
        ("roth_erev", {}),
        ("imitation", {"revision_rate": 0.6, "exploration": 0.1}),
        ("imitation", {"protocol": "proportional", "payoff_scale": 2.0}),
        ("imitation", {"protocol": "proportional"}),
    ],
)
def test_act_samples_from_probabilities(name, params):
    """Monte Carlo: the frequency of each action over many act() calls matches probabilities()."""
    rule = make_rule(name, 6, 4, np.random.default_rng(11), **params)
    drive(rule, 5, seed=4)
    if name == "best_response" and params.get("tie_break") == "random":
        rule.last_forgone[:, :] = [[1.0, 1.0, 0.0, 1.0]]  # force three-way ties
    draws = 5_000
    counts = np.zeros((6, 4))
    for _ in range(draws):
        counts[np.arange(6), rule.act()] += 1
    expected = rule.probabilities()
    standard_error = np.sqrt(expected * (1 - expected) / draws)
    assert np.all(np.abs(counts / draws - expected) <= 5 * standard_error + 1e-12)


def test_per_agent_parameters_apply_to_each_agent():
    rule = make_rule("logit", 3, 2, np.random.default_rng(0), precision=np.array([0.0, 1.0, 50.0]))
    rule.observe(np.array([0, 0, 0]), np.zeros(3), np.tile([1.0, 0.0], (3, 1)))
    rule.update()
    probabilities = rule.probabilities()
    np.testing.assert_allclose(probabilities[0], [0.5, 0.5])
    np.testing.assert_allclose(probabilities[1, 0], 1 / (1 + math.exp(-1.0)))
    assert probabilities[2, 0] > 1 - 1e-12


# --- best response and fictitious play --------------------------------------------------------


def test_best_response_revises_with_probability_one_minus_inertia():
    n = 20_000
    rule = make_rule("best_response", n, 3, np.random.default_rng(5), inertia=0.7)
    rule.observe(np.zeros(n, dtype=np.intp), np.zeros(n), np.tile([0.0, 1.0, 3.0], (n, 1)))
    rule.update()
    share_revised = np.mean(rule.act() == 2)
    assert abs(share_revised - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)


def test_tie_breaking_lowest_is_deterministic_and_random_is_uniform():
    values = np.array([[1.0, 3.0, 3.0, 0.0, 3.0]] * 30_000)
    rng = np.random.default_rng(0)
    assert np.all(argmax_ties(values, "lowest", rng) == 1)
    picks = argmax_ties(values, "random", rng)
    assert set(np.unique(picks)) == {1, 2, 4}
    np.testing.assert_allclose(
        np.bincount(picks, minlength=5)[[1, 2, 4]] / 30_000, 1 / 3, atol=0.01
    )


def test_best_response_settles_on_the_best_action_of_a_decision_problem():
    payoff = np.array([0.1, 0.7, 0.4, 0.65])
    rule = make_rule("best_response", 50, 4, np.random.default_rng(2), inertia=0.8)
    for _ in range(60):
        chosen = rule.act()
        rule.observe(chosen, payoff[chosen], np.tile(payoff, (50, 1)))
        rule.update()
    assert np.all(rule.act() == 1)


def test_fictitious_play_beliefs_are_running_averages():
    rule = make_rule("fictitious_play", 1, 2, np.random.default_rng(0))
    history = [[1.0, 0.0], [0.0, 4.0], [2.0, 2.0]]
    for forgone in history:
        rule.observe(np.array([rule.act()[0]]), np.zeros(1), np.array([forgone]))
        rule.update()
    np.testing.assert_allclose(rule.attractions, [np.mean(history, axis=0)])
    assert rule.act()[0] == 1  # average (1, 2): action 1 is the best reply


# --- logit and EWA reductions -----------------------------------------------------------------


def test_logit_is_softmax_of_the_discounted_average():
    decay, precision = 0.8, 2.0
    rule = make_rule(
        "logit", 1, 3, np.random.default_rng(0), precision=precision, attraction_decay=decay
    )
    observations = np.random.default_rng(1).normal(size=(40, 3))
    for forgone in observations:
        rule.observe(np.array([0]), np.zeros(1), forgone[None, :])
        rule.update()
    weights = decay ** np.arange(39, -1, -1)
    average = weights @ observations / weights.sum()
    expected = np.exp(precision * average) / np.exp(precision * average).sum()
    np.testing.assert_allclose(rule.probabilities()[0], expected, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=6),
    st.floats(0.0, 1e4),
)
def test_softmax_is_stable_for_large_scores(scores, precision):
    probabilities = softmax(precision * np.array([scores]))
    assert np.all(np.isfinite(probabilities)) and np.all(probabilities >= 0)
    assert abs(probabilities.sum() - 1.0) < 1e-12
    assert probabilities[0, int(np.argmax(scores))] >= 1.0 / len(scores) - 1e-12


def test_sample_categorical_never_picks_a_zero_probability_action():
    probabilities = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]] * 1000)
    picks = sample_categorical(probabilities, np.random.default_rng(0)).reshape(1000, 3)
    assert np.all(picks[:, 0] == 1) and np.all(picks[:, 2] == 2)
    assert set(np.unique(picks[:, 1])) == {0, 2}


def hand_coded_roth_erev(actions, payoffs, forgetting, initial, n_actions):
    """Roth and Erev (1995) basic model with forgetting, written independently of EWA."""
    propensities = np.full(n_actions, initial, dtype=float)
    trajectory = []
    for action, payoff in zip(actions, payoffs, strict=True):
        propensities = (1 - forgetting) * propensities
        propensities[action] += payoff
        trajectory.append(propensities / propensities.sum())
    return np.array(trajectory)


def test_roth_erev_preset_is_cumulative_reinforcement():
    rng = np.random.default_rng(3)
    actions = rng.integers(4, size=80)
    payoffs = rng.uniform(0, 5, size=80)
    expected = hand_coded_roth_erev(actions, payoffs, forgetting=0.1, initial=2.0, n_actions=4)
    rule = make_rule(
        "roth_erev", 1, 4, np.random.default_rng(0), attraction_decay=0.9, initial_attraction=2.0
    )
    for period, (action, payoff) in enumerate(zip(actions, payoffs, strict=True)):
        rule.observe(np.array([action]), np.array([payoff]))  # own payoff only
        rule.update()
        np.testing.assert_allclose(rule.probabilities()[0], expected[period], rtol=1e-12)
    # and it is the general EWA with δ = 0, ρ = 0, N(0) = 1 and linear choice
    general = make_rule(
        "ewa",
        1,
        4,
        np.random.default_rng(0),
        attraction_decay=0.9,
        forgone_weight=0.0,
        experience_decay=0.0,
        initial_experience=1.0,
        initial_attraction=2.0,
        choice_rule="linear",
    )
    for action, payoff in zip(actions, payoffs, strict=True):
        general.observe(np.array([action]), np.array([payoff]))
        general.update()
    np.testing.assert_allclose(general.probabilities(), rule.probabilities(), rtol=1e-12)


def hand_coded_weighted_fp(row_payoffs, opponent_actions, decay):
    """Cheung–Friedman weighted fictitious play in belief form, written independently of EWA.

    Beliefs are decayed counts of the opponent's actions; the agent best-responds to them.
    """
    counts = np.zeros(row_payoffs.shape[1])
    choices, expected_payoffs = [], []
    for opponent in opponent_actions:
        counts = decay * counts
        counts[opponent] += 1.0
        expected = row_payoffs @ (counts / counts.sum())
        expected_payoffs.append(expected)
        choices.append(int(np.argmax(expected)))
    return np.array(choices), np.array(expected_payoffs)


def test_weighted_fictitious_play_preset_is_belief_learning():
    opponents = np.random.default_rng(4).integers(4, size=120)
    choices, expected = hand_coded_weighted_fp(PAYOFFS, opponents, decay=0.7)
    rule = make_rule(
        "weighted_fictitious_play", 1, 4, np.random.default_rng(0), attraction_decay=0.7
    )
    for period, opponent in enumerate(opponents):
        chosen = rule.act()
        rule.observe(chosen, PAYOFFS[chosen, opponent], PAYOFFS[:, opponent][None, :])
        rule.update()
        np.testing.assert_allclose(rule.attractions[0], expected[period], rtol=1e-12)
        assert rule.act()[0] == choices[period]


def test_ewa_with_full_memory_is_fictitious_play_and_with_logit_is_smooth_fp():
    game = matching_pennies()
    fictitious = play_repeated(
        game,
        make_rule("fictitious_play", 1, 2, np.random.default_rng(0)),
        make_rule("fictitious_play", 1, 2, np.random.default_rng(0)),
        400,
    )
    ewa_settings = {
        "attraction_decay": 1.0,
        "experience_decay": 1.0,
        "forgone_weight": 1.0,
        "initial_experience": 0.0,
        "choice_rule": "best_response",
    }
    ewa = play_repeated(
        game,
        make_rule("ewa", 1, 2, np.random.default_rng(0), **ewa_settings),
        make_rule("ewa", 1, 2, np.random.default_rng(0), **ewa_settings),
        400,
    )
    np.testing.assert_array_equal(fictitious.row_actions, ewa.row_actions)
    np.testing.assert_array_equal(fictitious.column_actions, ewa.column_actions)
    # logit with decay φ equals EWA with δ = 1, ρ = φ and logit choice, draw for draw
    smooth = {"precision": 3.0, "attraction_decay": 0.95}
    logit = play_repeated(
        game,
        make_rule("logit", 4, 2, np.random.default_rng(1), **smooth),
        make_rule("logit", 4, 2, np.random.default_rng(2), **smooth),
        300,
    )
    belief = {**smooth, "experience_decay": 0.95, "forgone_weight": 1.0, "initial_experience": 0}
    ewa_logit = play_repeated(
        game,
        make_rule("ewa", 4, 2, np.random.default_rng(1), **belief),
        make_rule("ewa", 4, 2, np.random.default_rng(2), **belief),
        300,
    )
    np.testing.assert_array_equal(logit.row_actions, ewa_logit.row_actions)


def test_ewa_reinforces_the_played_action_by_its_realised_payoff():
    rule = make_rule(
        "ewa",
        1,
        3,
        np.random.default_rng(0),
        attraction_decay=0.6,
        forgone_weight=0.25,
        experience_decay=0.5,
        initial_experience=2.0,
        initial_attraction=1.0,
    )
    rule.observe(np.array([1]), np.array([4.0]), np.array([[2.0, 3.0, 8.0]]))
    rule.update()
    experience = 0.5 * 2.0 + 1.0
    expected = (0.6 * 2.0 * 1.0 + np.array([0.25 * 2.0, 4.0, 0.25 * 8.0])) / experience
    np.testing.assert_allclose(rule.attractions[0], expected)
    np.testing.assert_allclose(rule.experience, [experience])


# --- Q-learning -------------------------------------------------------------------------------


def test_q_learning_finds_the_best_arm_of_a_bandit():
    means = np.array([0.2, 0.5, 0.8, 0.4])
    found = 0
    for seed in range(10):
        rule = make_rule(
            "q_learning", 1, 4, np.random.default_rng(seed), epsilon=0.5, epsilon_decay=0.995
        )
        arms_rng = np.random.default_rng(100 + seed)
        for _ in range(2000):
            arm = rule.act()
            rule.observe(arm, means[arm] + arms_rng.normal(0.0, 0.3, size=1))
            rule.update()
        found += int(np.argmax(rule.q_values[0, 0]) == 2)
        assert abs(rule.q_values[0, 0, 2] - 0.8) < 0.2
    assert found == 10


def test_q_learning_epsilon_schedule_and_update_rule():
    rule = make_rule(
        "q_learning",
        2,
        3,
        np.random.default_rng(0),
        epsilon=0.5,
        epsilon_decay=0.9,
        epsilon_min=0.2,
        learning_rate=0.25,
        discount=0.5,
        n_states=2,
        initial_q=1.0,
    )
    assert rule.epsilon == 0.5
    rule.set_states(np.array([0, 1]))
    rule.observe(np.array([2, 0]), np.array([3.0, -1.0]), next_states=np.array([1, 1]))
    rule.update()
    # Q ← Q + α(π + γ·max Q(s') − Q) with all Q = 1 before
    assert rule.q_values[0, 0, 2] == pytest.approx(1 + 0.25 * (3 + 0.5 - 1))
    assert rule.q_values[1, 1, 0] == pytest.approx(1 + 0.25 * (-1 + 0.5 - 1))
    assert np.count_nonzero(rule.q_values != 1.0) == 2
    np.testing.assert_array_equal(rule.states, [1, 1])
    assert rule.epsilon == pytest.approx(0.45)
    for _ in range(20):
        rule.observe(rule.act(), np.zeros(2))
        rule.update()
    assert rule.epsilon == 0.2  # floor reached: 0.5·0.9^21 < 0.2
    with pytest.raises(ParameterError, match=r"states must be in \[0, 1\]"):
        rule.set_states(np.array([0, 2]))


# --- imitation --------------------------------------------------------------------------------


def run_imitation(graph, better_seeds, periods, seed, better_action_pays=1.0):
    """Agents on ``graph`` choose 0 (pays 0) or 1 (pays ``better_action_pays``)."""
    n = graph.number_of_nodes()
    neighbours = Neighbourhood.from_graph(graph)
    rule = make_rule("imitation", n, 2, np.random.default_rng(seed), revision_rate=1.0)
    actions = np.zeros(n, dtype=np.intp)
    actions[better_seeds] = 1
    payoff_of = np.array([0.0, better_action_pays])
    for _ in range(periods):
        rule.observe(actions, payoff_of[actions], neighbours=neighbours)
        rule.update()
        actions = rule.act()
    return actions


def test_imitation_spreads_the_better_action_along_the_network_only():
    graph = nx.disjoint_union(nx.path_graph(8), nx.cycle_graph(6))  # nodes 0-7 and 8-13
    actions = run_imitation(graph, better_seeds=[0], periods=150, seed=1)
    assert np.all(actions[:8] == 1)  # the whole path adopted it
    assert np.all(actions[8:] == 0)  # never crossed to the other component
    worse = run_imitation(graph, better_seeds=[0], periods=150, seed=1, better_action_pays=-1.0)
    assert np.all(worse == 0)  # a worse action is abandoned, not spread


def test_imitation_probabilities_agree_between_network_and_well_mixed_forms():
    n = 9
    rng = np.random.default_rng(6)
    actions = rng.integers(3, size=n)
    payoffs = rng.normal(size=n)
    complete = Neighbourhood.from_graph(nx.complete_graph(n))
    for protocol, scale in (
        ("imitate_if_better", None),
        ("proportional", None),
        ("proportional", 0.7),
    ):
        params = {"protocol": protocol, "payoff_scale": scale, "revision_rate": 0.8}
        mixed = make_rule("imitation", n, 3, np.random.default_rng(0), **params)
        network = make_rule("imitation", n, 3, np.random.default_rng(0), **params)
        mixed.observe(actions, payoffs)
        network.observe(actions, payoffs, neighbours=complete)
        mixed.update()
        network.update()
        np.testing.assert_allclose(mixed.probabilities(), network.probabilities(), atol=1e-12)


def test_neighbourhood_conversions_agree():
    graph = nx.Graph([(0, 1), (1, 2), (2, 0), (3, 1)])
    graph.add_node(4)  # isolated agent: no one to imitate
    lists = [[1, 2], [0, 2, 3], [0, 1], [1], []]
    from_graph = as_neighbourhood(graph, 5)
    from_lists = as_neighbourhood(lists, 5)
    from_csr = as_neighbourhood((from_lists.indptr, from_lists.indices), 5)
    for other in (from_lists, from_csr):
        np.testing.assert_array_equal(from_graph.indptr, other.indptr)
        np.testing.assert_array_equal(from_graph.indices, other.indices)
    with pytest.raises(ParameterError, match="describe 5 agents"):
        as_neighbourhood(lists[:4], 5)
    rule = make_rule("imitation", 5, 2, np.random.default_rng(0), revision_rate=1.0)
    rule.observe(np.array([1, 1, 1, 1, 0]), np.array([1.0, 1, 1, 1, 0]), neighbours=graph)
    rule.update()
    assert rule.act()[4] == 0  # the isolated agent keeps its action


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(-3, 3)), min_size=2, max_size=12),
    st.sampled_from(["imitate_if_better", "proportional"]),
    st.sampled_from([None, 0.5, 2.0, 10.0]),
)
def test_well_mixed_imitation_probabilities_equal_the_complete_graph_with_ties(
    agents, protocol, scale
):
    n = len(agents)
    actions = np.array([action for action, _ in agents], dtype=np.intp)
    payoffs = np.array([payoff for _, payoff in agents], dtype=float)  # integer: many ties
    params = {"protocol": protocol, "payoff_scale": scale, "revision_rate": 0.7}
    mixed = make_rule("imitation", n, 3, np.random.default_rng(0), **params)
    network = make_rule("imitation", n, 3, np.random.default_rng(0), **params)
    mixed.observe(actions, payoffs)
    network.observe(actions, payoffs, neighbours=nx.complete_graph(n))
    mixed.update()
    network.update()
    np.testing.assert_allclose(mixed.probabilities(), network.probabilities(), atol=1e-12)
