"""Q-learning at its edges: per-agent ε, ε schedules, per-state priors, states from the last k
joint actions, Calvano's policy-stability rule, and the harness that passes states."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning import make_rule
from abm.learning.canonical_games import (
    LogitDemand,
    bertrand_logit,
    prisoners_dilemma,
    rock_paper_scissors,
)
from abm.learning.harness import play_game, play_repeated, uniform_opponent_q
from abm.learning.states import JointActionHistory, binned_states, product_states

# --- exploration ------------------------------------------------------------------------------


def test_epsilon_may_differ_per_agent():
    rule = make_rule(
        "q_learning",
        3,
        4,
        np.random.default_rng(0),
        epsilon=np.array([0.0, 0.4, 1.0]),
        epsilon_decay=1.0,
        epsilon_min=0.0,
        initial_q=np.array([[1.0, 0.0, 0.0, 0.0]]),
    )
    expected = np.array([[1.0, 0, 0, 0], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])
    np.testing.assert_allclose(rule.probabilities(), expected, rtol=1e-15)
    draws = np.array([rule.act() for _ in range(4000)])
    frequencies = np.stack([np.bincount(draws[:, i], minlength=4) / 4000 for i in range(3)])
    np.testing.assert_allclose(frequencies, expected, atol=0.03)


@pytest.mark.parametrize(
    ("schedule", "closed_form"),
    [
        ("geometric", lambda t: np.maximum([0.05, 0.0], np.array([0.5, 1.0]) * 0.9**t)),
        ("harmonic", lambda t: np.maximum([0.05, 0.0], np.array([0.5, 1.0]) * 20 / (20 + t))),
    ],
)
def test_epsilon_schedules_follow_their_closed_forms(schedule, closed_form):
    rule = make_rule(
        "q_learning",
        2,
        3,
        np.random.default_rng(0),
        epsilon=np.array([0.5, 1.0]),
        epsilon_min=np.array([0.05, 0.0]),
        epsilon_schedule=schedule,
        epsilon_decay=0.9,
        epsilon_timescale=20.0,
    )
    for t in range(60):
        np.testing.assert_allclose(rule.epsilon, closed_form(t), rtol=1e-13)
        rule.observe(rule.act(), np.ones(2))
        rule.update()


# --- priors and the update --------------------------------------------------------------------


def test_initial_q_may_be_per_action_or_per_state():
    per_state = np.arange(6.0).reshape(1, 2, 3)
    rule = make_rule("q_learning", 2, 3, np.random.default_rng(0), n_states=2, initial_q=per_state)
    np.testing.assert_array_equal(rule.q_values, np.repeat(per_state, 2, axis=0))
    per_action = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    rule = make_rule("q_learning", 2, 3, np.random.default_rng(0), n_states=3, initial_q=per_action)
    np.testing.assert_array_equal(rule.q_values, np.repeat(per_action[:, None, :], 3, axis=1))
    with pytest.raises(ParameterError, match=r"initial_q must have n_states = 3 rows"):
        make_rule("q_learning", 2, 3, np.random.default_rng(0), n_states=3, initial_q=per_state)


def test_q_update_with_states_matches_a_dictionary_implementation():
    rng = np.random.default_rng(2)
    n, states, actions, rate, discount = 3, 4, 3, 0.3, 0.8
    rule = make_rule(
        "q_learning",
        n,
        actions,
        np.random.default_rng(0),
        n_states=states,
        learning_rate=rate,
        discount=discount,
        initial_q=0.5,
    )
    table = {(i, s, a): 0.5 for i in range(n) for s in range(states) for a in range(actions)}
    current = rng.integers(states, size=n)
    for _ in range(200):
        rule.set_states(current)
        chosen = rule.act()
        payoffs = rng.normal(size=n)
        following = rng.integers(states, size=n)
        rule.observe(chosen, payoffs, next_states=following)
        rule.update()
        for i in range(n):
            best_next = max(table[i, following[i], b] for b in range(actions))
            old = table[i, current[i], chosen[i]]
            table[i, current[i], chosen[i]] = old + rate * (payoffs[i] + discount * best_next - old)
        current = following
        np.testing.assert_array_equal(rule.states, current)
    expected = np.array(
        [[[table[i, s, a] for a in range(actions)] for s in range(states)] for i in range(n)]
    )
    np.testing.assert_allclose(rule.q_values, expected, rtol=1e-13)


def test_policy_stability_counts_updates_since_the_greedy_policy_last_changed():
    rng = np.random.default_rng(4)
    rule = make_rule(
        "q_learning",
        3,
        3,
        np.random.default_rng(1),
        n_states=2,
        learning_rate=0.5,
        epsilon=0.3,
        stability_window=40,
    )
    previous = np.argmax(rule.q_values, axis=2)  # ties: the lowest action, as the rule's
    stable = np.zeros(3, dtype=int)
    for _ in range(300):
        rule.set_states(rng.integers(2, size=3))
        chosen = rule.act()
        rule.observe(chosen, np.array([0.0, 0.5, 1.0])[chosen] + rng.normal(scale=0.3, size=3))
        rule.update()
        policy = np.argmax(rule.q_values, axis=2)
        changed = np.any(policy != previous, axis=1)
        stable = np.where(changed, 0, stable + 1)
        previous = policy
        np.testing.assert_array_equal(rule.policy_stable_periods, stable)
    np.testing.assert_array_equal(rule.policy_converged(), stable >= 40)
    assert rule.policy_converged().any()  # the best action (2) has settled for some
    untracked = make_rule("q_learning", 3, 3, np.random.default_rng(1))
    with pytest.raises(RuntimeError, match="give stability_window > 0"):
        untracked.policy_converged()


# --- state encoders ---------------------------------------------------------------------------


@pytest.mark.parametrize(("counts", "memory"), [((2, 3), 1), ((2, 2), 2), ((3, 2, 2), 1)])
def test_joint_action_history_numbers_every_history_once(counts, memory):
    encoder = JointActionHistory(counts, memory)
    profiles = list(itertools.product(*(range(k) for k in counts)))
    assert encoder.n_states == len(profiles) ** memory
    seen = set()
    for history in itertools.product(profiles, repeat=memory):  # oldest first
        state = encoder.initial_states(1)
        for profile in history:
            state = encoder.next_states(state, np.array([profile]))
        np.testing.assert_array_equal(encoder.decode(int(state[0])), np.array(history))
        seen.add(int(state[0]))
    assert seen == set(range(encoder.n_states))


def test_binned_and_product_states():
    edges = [0.2, 0.5, 0.9]
    values = np.array([-1.0, 0.2, 0.3, 0.5, 0.89, 0.9, 5.0])
    expected = np.array([sum(value >= edge for edge in edges) for value in values])
    np.testing.assert_array_equal(binned_states(values, edges), expected)
    combined = product_states([np.array([0, 1, 2]), np.array([3, 0, 1])], [3, 4])
    np.testing.assert_array_equal(combined, [3, 4, 9])
    with pytest.raises(ParameterError, match="edges must be a non-empty increasing"):
        binned_states(values, [0.5, 0.2])


# --- the harness passes states ----------------------------------------------------------------


def greedy_learner(seed: int, n_states: int):
    # α = 1: Q(s, a) is the payoff of the last time a was played in s (ε = 0.5 throughout)
    return make_rule(
        "q_learning",
        5,
        2,
        np.random.default_rng(seed),
        n_states=n_states,
        learning_rate=1.0,
        epsilon=0.5,
        epsilon_decay=1.0,
        epsilon_min=0.5,
        initial_q=-10.0,
    )


def test_play_repeated_gives_q_learners_their_last_joint_action_as_state():
    game = prisoners_dilemma()
    row, column = greedy_learner(0, 4), greedy_learner(1, 4)
    record = play_repeated(game, row, column, 300, memory=1)
    # rebuild each row player's table from the record: state = previous joint action
    states = np.zeros(5, dtype=int)
    table = np.full((5, 4, 2), -10.0)
    for period in range(300):
        a, b = record.row_actions[period], record.column_actions[period]
        table[np.arange(5), states, a] = record.row_payoffs[period]
        states = 2 * a + b
    np.testing.assert_array_equal(row.q_values, table)
    np.testing.assert_array_equal(row.states, states)


def test_play_game_agrees_with_play_repeated():
    game = rock_paper_scissors()
    first = play_repeated(game, greedy_learner3(0), greedy_learner3(1), 200, memory=1)
    second = play_game(game.as_n_player(), [greedy_learner3(0), greedy_learner3(1)], 200, 1)
    np.testing.assert_array_equal(second.actions[:, 0], first.row_actions)
    np.testing.assert_array_equal(second.actions[:, 1], first.column_actions)
    np.testing.assert_array_equal(second.payoffs[:, 0], first.row_payoffs)


def greedy_learner3(seed: int):
    return make_rule("q_learning", 4, 3, np.random.default_rng(seed), n_states=9)


def test_state_counts_must_fit_the_memory():
    game = prisoners_dilemma()
    with pytest.raises(ParameterError, match=r"needs n_states = 16 for memory 2"):
        play_repeated(game, greedy_learner(0, 4), greedy_learner(1, 4), 10, memory=2)
    with pytest.raises(ParameterError, match=r"has 4 states: give memory ≥ 1"):
        play_repeated(game, greedy_learner(0, 4), greedy_learner(1, 4), 10)


def test_calvanos_initial_q_is_the_discounted_payoff_against_random_opponents():
    demand = LogitDemand(n_firms=3)
    game = bertrand_logit(demand, n_prices=4)
    initial = uniform_opponent_q(game, player=1, discount=0.95, n_states=64)
    assert initial.shape == (1, 64, 4)
    for own in range(4):
        total = sum(
            game.payoffs[(1, first, own, third)] for first in range(4) for third in range(4)
        )
        np.testing.assert_allclose(initial[0, :, own], total / (16 * 0.05), rtol=1e-12)
    rule = make_rule(
        "q_learning", 2, 4, np.random.default_rng(0), n_states=64, discount=0.95, initial_q=initial
    )
    np.testing.assert_array_equal(rule.q_values[1], initial[0])


# --- the kept maximisers ----------------------------------------------------------------------


@pytest.mark.parametrize("payoffs", ["few values (many exact ties)", "continuous"])
@pytest.mark.parametrize("initial_q", [0.0, 3.0])
def test_kept_maximisers_choose_exactly_as_a_full_search(payoffs, initial_q, monkeypatch):
    """With one state the rule keeps each row's maximisers between updates; every period its
    choice, and the draws it makes, equal a full tie-breaking argmax of the table."""
    import copy

    from abm.learning.choice import argmax_ties, maximisers
    from abm.learning.q_learning import QLearning

    monkeypatch.setattr(QLearning, "KEEP_MAXIMISERS_FROM", 1)  # a small table keeps them too
    n, k = 60, 5
    rule = make_rule(
        "q_learning",
        n,
        k,
        np.random.default_rng(1),
        epsilon=0.2,
        epsilon_decay=1.0,
        epsilon_min=0.2,
        learning_rate=0.5,
        initial_q=initial_q,
    )
    world = np.random.default_rng(2)
    assert rule._rows is not None
    for _ in range(300):
        mirror = copy.deepcopy(rule.rng)
        greedy = argmax_ties(rule.q_values[:, 0, :], "random", mirror)
        explore = mirror.random(n) < 0.2
        expected = np.where(explore, mirror.integers(k, size=n), greedy)
        actions = rule.act()
        np.testing.assert_array_equal(actions, expected)
        assert rule.rng.random() == mirror.random()  # the same number of draws
        if payoffs == "continuous":
            earned = world.normal(actions / k, 1.0)
        else:
            earned = world.choice([0.0, 1.0, 2.0], size=n)
        rule.observe(actions, earned)
        rule.update()
        kept, table = rule._rows, rule.q_values[:, 0, :]
        best = maximisers(table)
        np.testing.assert_array_equal(kept.top, table.max(axis=1))
        np.testing.assert_array_equal(kept.first, np.argmax(best, axis=1))
        np.testing.assert_array_equal(kept.count, best.sum(axis=1))
        np.testing.assert_array_equal(kept.at_top, (table == kept.top[:, None]).sum(axis=1))
        np.testing.assert_array_equal(kept.mask, best)
        assert np.all(kept.rest >= np.where(best, -np.inf, table).max(axis=1))


def test_the_q_table_is_changed_only_through_set_q_values(monkeypatch):
    from abm.learning.q_learning import QLearning

    monkeypatch.setattr(QLearning, "KEEP_MAXIMISERS_FROM", 1)
    rule = make_rule("q_learning", 2, 3, np.random.default_rng(0), epsilon=0.0)
    rule.act()
    with pytest.raises(ValueError, match="read-only"):
        rule.q_values[0, 0, 1] = 5.0
    rule.set_q_values([[[0.0, 5.0, 1.0]], [[2.0, 0.0, 0.0]]])
    np.testing.assert_array_equal(rule.act(), [1, 0])  # the kept maximisers were rebuilt
