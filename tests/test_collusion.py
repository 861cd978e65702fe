"""Calvano et al.'s (2020) experiment: the fast session loop equals the generic harness bit for
bit, the stopping rule behaves as published, and a small fast-decaying version learns to price
well above Nash (the full check is ``abm study collusion``)."""

from __future__ import annotations

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning import make_rule
from abm.learning.calvano import (
    CalvanoSetup,
    greedy_cycle,
    impulse_response,
    run_q_session,
    run_session,
)
from abm.learning.canonical_games import bertrand_logit
from abm.learning.harness import play_game
from abm.learning.states import JointActionHistory

#: A fast-decaying reduced version: 5 prices, ε_t = e^{−2·10⁻⁴·t}, 5,000 stable periods.
SMALL = CalvanoSetup(n_prices=5, beta=2e-4, stability_window=5_000, max_periods=400_000)


def _same_rules(first, second):
    for one, other in zip(first, second, strict=True):
        np.testing.assert_array_equal(one.q_values, other.q_values)
        np.testing.assert_array_equal(one.greedy_policy, other.greedy_policy)
        np.testing.assert_array_equal(one.policy_stable_periods, other.policy_stable_periods)
        np.testing.assert_array_equal(one.states, other.states)
        assert one.periods == other.periods
        assert one.rng.random() == other.rng.random()  # the generators are in step too


@pytest.mark.parametrize(
    "setup", [CalvanoSetup(), CalvanoSetup(n_prices=4, memory=2, beta=1e-3)], ids=["baseline", "k2"]
)
def test_fast_session_equals_the_generic_harness_bit_for_bit(setup):
    game, periods = setup.game(), 3_000
    generic = setup.rules(11)
    record = play_game(game, generic, periods, memory=setup.memory)
    fast = setup.rules(11)
    session = run_q_session(game, fast, periods, setup.memory, record=True)
    assert session.periods == periods and not session.converged
    np.testing.assert_array_equal(session.actions, record.actions[:, :, 0])
    _same_rules(generic, fast)
    # the first exploratory periods and the later greedy ones both occur
    assert len(np.unique(session.actions[:, 0])) == setup.n_prices


def test_a_session_resumes_where_it_stopped():
    game = SMALL.game()
    once, twice = SMALL.rules(3), SMALL.rules(3)
    whole = run_q_session(game, once, 5_000, record=True)
    first = run_q_session(game, twice, 2_000, record=True)
    second = run_q_session(game, twice, 3_000, record=True)
    np.testing.assert_array_equal(whole.actions, np.vstack((first.actions, second.actions)))
    _same_rules(once, twice)


def test_the_session_stops_when_every_policy_has_been_stable_for_the_window():
    game = SMALL.game()
    rules = SMALL.rules(5)
    session = run_q_session(game, rules, SMALL.max_periods)
    assert session.converged
    stable = np.concatenate([rule.policy_stable_periods for rule in rules])
    assert stable.min() == SMALL.stability_window  # stopped the period the last one got there
    assert all(rule.policy_converged().all() for rule in rules)
    assert all(rule.periods == session.periods for rule in rules)
    # a cap below that: not converged, stopped at the cap
    capped = run_q_session(game, SMALL.rules(5), session.periods - 1)
    assert not capped.converged and capped.periods == session.periods - 1


def test_the_fast_loop_refuses_rules_it_does_not_play():
    game = SMALL.game()
    rng = np.random.default_rng(0)
    harmonic = make_rule("q_learning", 1, 5, rng, n_states=25, epsilon_schedule="harmonic")
    with pytest.raises(ParameterError, match="geometric"):
        run_q_session(game, [harmonic, SMALL.rules(0)[1]], 10)
    with pytest.raises(ParameterError, match="n_states = 625"):
        run_q_session(game, SMALL.rules(0), 10, memory=2)


def test_greedy_cycle_and_impulse_response_follow_the_policies():
    game = bertrand_logit(n_prices=3)
    encoder = JointActionHistory(game.shape, 1)
    # firm 0 copies firm 1's last price, firm 1 plays the top price: the cycle is (2, 2)
    last = np.array([encoder.decode(s)[0] for s in range(9)])
    policies = [last[:, 1].copy(), np.full(9, 2)]
    np.testing.assert_array_equal(greedy_cycle(policies, encoder, 0), [[2, 2]])
    path = impulse_response(game, policies, encoder, 8, deviator=0, periods=3)
    deviation = int(np.argmax(game.payoffs[0][:, 2]))
    np.testing.assert_array_equal(path, [[2, 2], [deviation, 2], [2, 2], [2, 2], [2, 2]])


def test_small_calvano_sessions_learn_supra_competitive_prices():
    results = [run_session(SMALL, seed) for seed in range(3)]
    assert all(result.converged for result in results)
    deltas = np.array([result.delta for result in results])
    # Nash pricing is Δ = 0: these learners keep well above it (Calvano et al.: ≈ 0.85)
    assert deltas.min() > 0.5 and deltas.mean() > 0.6
    for result in results:
        assert result.impulse.shape == (17, 2)
        np.testing.assert_array_equal(result.impulse[0], result.cycle[0])
