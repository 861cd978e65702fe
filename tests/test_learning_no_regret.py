"""Regret matching and Hedge against hand-coded updates and their regret guarantees."""

from __future__ import annotations

import math

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning import make_rule, rule_info
from abm.learning.canonical_games import NormalFormGame, rock_paper_scissors
from abm.learning.harness import play_repeated


def test_registry_metadata():
    for name, reference in (("regret_matching", "Hart & Mas-Colell"), ("hedge", "Freund")):
        info = rule_info(name)
        assert info.family == "no_regret" and info.uses == "forgone_payoffs"
        assert info.reference.startswith(reference)


def test_regret_matching_plays_in_proportion_to_positive_cumulative_regret():
    rng = np.random.default_rng(0)
    rule = make_rule("regret_matching", 1, 3, np.random.default_rng(1))
    regrets = [0.0, 0.0, 0.0]
    for _ in range(100):
        positive = [max(r, 0.0) for r in regrets]
        total = sum(positive)
        expected = [p / total for p in positive] if total > 0 else [1 / 3] * 3
        np.testing.assert_allclose(rule.probabilities()[0], expected, rtol=1e-12)
        forgone = rng.normal(size=3)
        action = int(rule.act()[0])
        rule.observe(np.array([action]), np.array([forgone[action]]), forgone[None, :])
        rule.update()
        regrets = [r + f - forgone[action] for r, f in zip(regrets, forgone, strict=True)]


def test_regret_matching_average_regret_is_within_blackwells_bound():
    # E[max_j R_j(T)] ≤ Δ·√(K·T) (Blackwell): averaged over 200 independent agents
    agents, actions, periods = 200, 4, 2000
    rng = np.random.default_rng(3)
    matrix = rng.random((actions, 3))  # payoffs in [0, 1): Δ ≤ 1
    rule = make_rule("regret_matching", agents, actions, np.random.default_rng(4))
    realised = np.zeros(agents)
    totals = np.zeros((agents, actions))
    for _ in range(periods):
        chosen = rule.act()
        forgone = matrix[:, rng.integers(3, size=agents)].T
        earned = forgone[np.arange(agents), chosen]
        rule.observe(chosen, earned, forgone)
        rule.update()
        realised += earned
        totals += forgone
    regret = (totals.max(axis=1) - realised) / periods
    np.testing.assert_allclose(rule.regrets.max(axis=1) / periods, regret, atol=1e-12)
    assert regret.mean() <= math.sqrt(actions / periods)


def test_regret_matching_frequencies_approach_nash_in_rock_paper_scissors():
    game = rock_paper_scissors()
    row = make_rule("regret_matching", 20, 3, np.random.default_rng(5))
    column = make_rule("regret_matching", 20, 3, np.random.default_rng(6))
    record = play_repeated(game, row, column, 5000)
    frequencies = record.row_frequencies([5000])[0].mean(axis=0)
    np.testing.assert_allclose(frequencies, 1 / 3, atol=0.02)


def test_hedge_is_softmax_of_cumulative_payoffs_per_agent():
    rates = np.array([0.05, 0.5])
    rule = make_rule("hedge", 2, 3, np.random.default_rng(0), learning_rate=rates)
    rng = np.random.default_rng(1)
    cumulative = np.zeros((2, 3))
    for _ in range(50):
        weights = np.exp(rates[:, None] * cumulative)
        np.testing.assert_allclose(
            rule.probabilities(), weights / weights.sum(axis=1, keepdims=True), rtol=1e-10
        )
        forgone = rng.random((2, 3))
        chosen = rule.act()
        rule.observe(chosen, forgone[np.arange(2), chosen], forgone)
        rule.update()
        cumulative += forgone


def test_hedge_expected_regret_is_within_freund_and_schapires_bound():
    # payoffs in [0, 1]: regret ≤ ln K/η + η·T/8 for every sequence (here an adversary that
    # pays the action Hedge currently favours least)
    actions, periods = 5, 3000
    rate = math.sqrt(8 * math.log(actions) / periods)
    rule = make_rule("hedge", 1, actions, np.random.default_rng(0), learning_rate=rate)
    noise = np.random.default_rng(2).random((periods, actions)) * 0.3
    expected_payoff, totals = 0.0, np.zeros(actions)
    for period in range(periods):
        probabilities = rule.probabilities()[0]
        forgone = noise[period].copy()
        forgone[np.argmin(probabilities)] = 1.0
        expected_payoff += probabilities @ forgone
        totals += forgone
        chosen = rule.act()
        rule.observe(chosen, forgone[chosen], forgone[None, :])
        rule.update()
    regret = totals.max() - expected_payoff
    bound = math.log(actions) / rate + rate * periods / 8
    assert 0 < regret <= bound
    assert math.isclose(bound, math.sqrt(periods * math.log(actions) / 2))


# --- Hart and Mas-Colell's conditional procedure ------------------------------------------------

# Aumann's chicken (action 0 yield, 1 dare): a game whose correlated equilibria are not Nash
CHICKEN = NormalFormGame.symmetric([[6.0, 2.0], [7.0, 0.0]], "chicken")
MU = 30.0  # > 2·M·(K − 1) = 14


def conditional_rule(n: int, seed: int):
    return make_rule(
        "regret_matching",
        n,
        2,
        np.random.default_rng(seed),
        protocol="conditional",
        switching_scale=MU,
    )


def test_conditional_regret_matching_switches_by_average_conditional_regret():
    rule = conditional_rule(1, 0)
    opponent = np.random.default_rng(1).integers(2, size=200)
    history = []  # (action, forgone, earned)
    np.testing.assert_allclose(rule.probabilities()[0], [0.5, 0.5])
    for period, other in enumerate(opponent):
        if history:
            last = history[-1][0]
            gain = sum(f[1 - last] - e for a, f, e in history if a == last) / period
            switch = max(gain, 0.0) / MU
            expected = [switch, 1 - switch] if last == 1 else [1 - switch, switch]
            np.testing.assert_allclose(rule.probabilities()[0], expected, rtol=1e-12)
        action = int(rule.act()[0])
        forgone = CHICKEN.row_payoffs[:, other]
        rule.observe(np.array([action]), forgone[[action]], forgone[None, :])
        rule.update()
        history.append((action, forgone, forgone[action]))


def test_conditional_regret_matching_approaches_the_correlated_equilibria_of_chicken():
    pairs, periods = 30, 4000
    row, column = conditional_rule(pairs, 2), conditional_rule(pairs, 3)
    record = play_repeated(CHICKEN, row, column, periods)
    for agent in range(pairs):
        joint = np.zeros((2, 2))
        np.add.at(joint, (record.row_actions[:, agent], record.column_actions[:, agent]), 1.0)
        joint /= periods
        # the correlated-equilibrium constraint for the row player's action k against j:
        # Σ_b z(k, b)·(u(j, b) − u(k, b)), which is the rule's D(k, j)
        gains = np.array(
            [
                [joint[k] @ (CHICKEN.row_payoffs[j] - CHICKEN.row_payoffs[k]) for j in range(2)]
                for k in range(2)
            ]
        )
        np.testing.assert_allclose(row.average_conditional_regrets()[agent], gains, atol=1e-12)
    worst = np.maximum(row.average_conditional_regrets(), 0.0).max(axis=(1, 2))
    assert worst.mean() < 0.01  # of a payoff range of 7


def test_conditional_protocol_needs_its_scale():
    with pytest.raises(ParameterError, match="switching_scale must be given"):
        make_rule("regret_matching", 1, 2, np.random.default_rng(0), protocol="conditional")
    with pytest.raises(ParameterError, match="switching_scale must be None"):
        make_rule("regret_matching", 1, 2, np.random.default_rng(0), switching_scale=5.0)
