"""Canonical checks of the learning rules on textbook games, independent of the market."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from abm.errors import ParameterError
from abm.learning import make_rule
from abm.learning.canonical_games import (
    NormalFormGame,
    asymmetric_matching_pennies,
    hawk_dove,
    matching_pennies,
    shapley_game,
)
from abm.learning.harness import (
    detect_convergence,
    empirical_frequencies,
    logit_qre,
    play_population,
    play_repeated,
)
from abm.learning.replicator import replicator_step, replicator_trajectory

# Goeree–Holt asymmetric matching pennies at λ = 5 (brief's anchors)
QRE_TOP, QRE_LEFT = 0.7020, 0.1171


def fictitious_play_run(game: NormalFormGame, periods: int, tie_break: str = "lowest"):
    rows, cols = game.shape
    row = make_rule("fictitious_play", 1, rows, np.random.default_rng(0), tie_break=tie_break)
    col = make_rule("fictitious_play", 1, cols, np.random.default_rng(1), tie_break=tie_break)
    return play_repeated(game, row, col, periods)


def log_times(periods: int, count: int = 3000) -> np.ndarray:
    return np.unique(np.geomspace(1, periods, count).astype(np.intp))


@pytest.fixture(scope="module")
def matching_pennies_fp():
    return fictitious_play_run(matching_pennies(), 100_000)


@pytest.fixture(scope="module")
def shapley_fp():
    return fictitious_play_run(shapley_game(), 100_000)


# --- fictitious play --------------------------------------------------------------------------


def test_fictitious_play_on_matching_pennies_reaches_one_half(matching_pennies_fp):
    play = matching_pennies_fp
    row = play.row_frequencies([100_000])[0, 0]
    col = play.column_frequencies([100_000])[0, 0]
    np.testing.assert_allclose(row, [0.5, 0.5], atol=0.01)
    np.testing.assert_allclose(col, [0.5, 0.5], atol=0.01)
    # play itself keeps alternating (fictitious play never settles on a pure action here)
    assert len(np.unique(play.row_actions[-20_000:])) == 2


def test_fictitious_play_with_random_ties_also_reaches_one_half():
    play = fictitious_play_run(matching_pennies(), 30_000, tie_break="random")
    np.testing.assert_allclose(play.row_frequencies([30_000])[0, 0], [0.5, 0.5], atol=0.01)
    np.testing.assert_allclose(play.column_frequencies([30_000])[0, 0], [0.5, 0.5], atol=0.01)


def frequency_path(play) -> np.ndarray:
    times = log_times(play.row_actions.shape[0])
    path = np.concatenate(
        (play.row_frequencies(times)[:, 0], play.column_frequencies(times)[:, 0]), axis=1
    )
    return times, path


def test_detector_says_matching_pennies_converged(matching_pennies_fp):
    times, path = frequency_path(matching_pennies_fp)
    report = detect_convergence(path, times=times)
    assert report.status == "converged"
    assert report.converged
    np.testing.assert_allclose(report.final_point, 0.5, atol=0.01)


def test_fictitious_play_cycles_on_shapleys_game(shapley_fp):
    times, path = frequency_path(shapley_fp)
    report = detect_convergence(path, times=times)
    assert report.status == "cycling"
    assert not report.converged
    # the empirical frequencies keep circling far from the unique equilibrium (1/3, 1/3, 1/3):
    # in every decade of the tail some frequency strays by more than 0.1
    for start in (1_000, 10_000):
        window = path[(times >= start) & (times <= 10 * start)]
        assert np.abs(window - 1 / 3).max() > 0.1
    assert np.all(report.window_spreads > 0.3)
    # and the cycle of best replies (Shapley's triangle) lengthens geometrically
    switches = np.flatnonzero(np.diff(shapley_fp.row_actions[:, 0]))
    gaps = np.diff(switches)[-5:]
    assert np.all(gaps[1:] > 1.5 * gaps[:-1])


def test_detector_on_synthetic_trajectories():
    times = np.arange(1.0, 100_001)
    settled = 0.3 + 0.2 / np.sqrt(times)
    assert detect_convergence(settled).status == "converged"
    cycle = 0.5 + 0.2 * np.sin(2 * np.pi * np.log(times) / np.log(10))  # one cycle per decade
    assert detect_convergence(cycle).status == "cycling"
    slow_drift = 0.2 + 0.5 * np.log(times) / np.log(100_000)  # monotone, never settles
    report = detect_convergence(slow_drift)
    assert report.status == "drifting" and report.reversals == 0
    dying = 0.5 + 0.3 * np.sin(2 * np.pi * np.log(times) / np.log(3)) * (100 / times) ** 0.5
    assert detect_convergence(dying[:, None], tail_start=0.0001).status != "cycling"
    with pytest.raises(ParameterError, match="tolerance"):
        detect_convergence(settled, tolerance=0.0)


# --- smooth fictitious play and the logit QRE --------------------------------------------------


def independent_qre(precision: float) -> tuple[float, float]:
    """2×2 logit QRE by bracketing: p = σ(λ(9q − (1 − q))), q = σ(λ((1 − p) − p))."""

    def sigmoid(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    def left(p: float) -> float:
        return sigmoid(precision * (1 - 2 * p))

    def gap(p: float) -> float:
        q = left(p)
        return p - sigmoid(precision * (9 * q - (1 - q)))

    top = brentq(gap, 0.0, 1.0, xtol=1e-15)
    return top, left(top)


def test_qre_solver_hits_the_anchor_numbers():
    row, col = logit_qre(asymmetric_matching_pennies(), 5.0)
    assert abs(row[0] - QRE_TOP) < 1e-4
    assert abs(col[0] - QRE_LEFT) < 1e-4
    top, left = independent_qre(5.0)
    assert row[0] == pytest.approx(top, abs=1e-10)
    assert col[0] == pytest.approx(left, abs=1e-10)


@pytest.mark.parametrize("precision", [0.0, 0.3, 2.0, 20.0, 200.0])
def test_qre_solver_matches_the_bracketing_solution_at_other_precisions(precision):
    row, col = logit_qre(asymmetric_matching_pennies(), precision)
    top, left = independent_qre(precision)
    assert row[0] == pytest.approx(top, abs=1e-9)
    assert col[0] == pytest.approx(left, abs=1e-9)
    np.testing.assert_allclose([row.sum(), col.sum()], 1.0)


def test_qre_approaches_nash_and_is_a_fixed_point_in_shapleys_game():
    # as λ grows the QRE of asymmetric matching pennies approaches the Nash equilibrium
    # (row mixes 1/2, column plays Left with 1/10)
    row, col = logit_qre(asymmetric_matching_pennies(), 2000.0)
    assert abs(row[0] - 0.5) < 0.01 and abs(col[0] - 0.1) < 0.001
    game = shapley_game()
    row, col = logit_qre(game, 7.0)
    np.testing.assert_allclose(row, 1 / 3, atol=1e-12)  # uniform play is the symmetric QRE
    biased = NormalFormGame(game.row_payoffs + np.array([[0.5], [0.0], [0.0]]), game.column_payoffs)
    row, col = logit_qre(biased, 7.0)
    best_row = np.exp(7.0 * biased.row_payoffs @ col)
    best_col = np.exp(7.0 * biased.column_payoffs.T @ row)
    np.testing.assert_allclose(row, best_row / best_row.sum(), atol=1e-10)
    np.testing.assert_allclose(col, best_col / best_col.sum(), atol=1e-10)


def test_qre_solver_returns_fixed_points_of_random_games_through_turning_points():
    # random 4×3 games; the 13th one's principal branch turns back in λ near 34.7, where a
    # plain continuation in λ stalls
    rng = np.random.default_rng(0)
    games = [NormalFormGame(rng.normal(size=(4, 3)), rng.normal(size=(4, 3))) for _ in range(13)]
    for game in games[::4] + games[12:]:
        for precision in (0.01, 10.0, 100.0, 1000.0):
            row, col = logit_qre(game, precision)
            row_logit = np.exp(
                precision * (game.row_payoffs @ col - (game.row_payoffs @ col).max())
            )
            col_logit = np.exp(
                precision * (game.column_payoffs.T @ row - (game.column_payoffs.T @ row).max())
            )
            np.testing.assert_allclose(row, row_logit / row_logit.sum(), atol=1e-10)
            np.testing.assert_allclose(col, col_logit / col_logit.sum(), atol=1e-10)
        near_uniform = logit_qre(game, 1e-6)
        np.testing.assert_allclose(near_uniform[0], 0.25, atol=1e-5)


def test_smooth_fictitious_play_matches_the_logit_qre():
    # 50 independent pairs of logit learners (plain running averages), 10⁴ periods each
    rng = np.random.default_rng(2025)
    game = asymmetric_matching_pennies()
    row = make_rule("logit", 50, 2, rng, precision=5.0)
    col = make_rule("logit", 50, 2, rng, precision=5.0)
    play = play_repeated(game, row, col, 10_000)
    second_half = slice(5_000, None)
    assert abs(np.mean(play.row_actions[second_half] == 0) - QRE_TOP) < 0.01
    assert abs(np.mean(play.column_actions[second_half] == 0) - QRE_LEFT) < 0.01
    # the learners' mixed strategies themselves are at the QRE, not just their averages
    assert abs(row.probabilities()[:, 0].mean() - QRE_TOP) < 0.01
    assert abs(col.probabilities()[:, 0].mean() - QRE_LEFT) < 0.01
    # far from Nash's 0.5 for Top: the learners track the QRE, not the Nash equilibrium
    assert np.mean(play.row_actions[second_half] == 0) > 0.65


# --- replicator dynamics on Hawk–Dove ---------------------------------------------------------


@pytest.mark.parametrize(("value", "cost"), [(2.0, 4.0), (1.0, 4.0), (3.0, 4.0)])
def test_replicator_dynamics_settle_at_hawk_share_v_over_c(value, cost):
    game = hawk_dove(value, cost)
    starts = np.array([[0.01, 0.99], [0.3, 0.7], [0.9, 0.1], [0.999, 0.001]])
    path = replicator_trajectory(game.row_payoffs, starts, 3_000, step_size=0.1)
    np.testing.assert_allclose(path[-1, :, 0], value / cost, atol=1e-6)
    # V/C is a rest point and pure populations stay pure (replicators cannot invent actions)
    rest = replicator_step([value / cost, 1 - value / cost], game.row_payoffs, 0.1)
    np.testing.assert_allclose(rest, [value / cost, 1 - value / cost], atol=1e-15)
    np.testing.assert_array_equal(replicator_step([1.0, 0.0], game.row_payoffs), [1.0, 0.0])


def test_replicator_learners_in_a_matched_population_reach_v_over_c():
    game = hawk_dove(2.0, 4.0)
    rng = np.random.default_rng(3)
    rule = make_rule("replicator", 1_000, 2, rng, step_size=0.05)
    rule.strategy[:] = [0.1, 0.9]  # start far from the equilibrium: mostly doves
    play = play_population(game.row_payoffs, rule, 1_500, rng, record_probabilities=True)
    assert play.shares[:10, 0].mean() < 0.2
    assert abs(play.shares[750:, 0].mean() - 0.5) < 0.01
    assert abs(play.mean_probabilities[-1, 0] - 0.5) < 0.02


def test_proportional_imitation_follows_the_replicator_to_v_over_c():
    # Schlag (1998): proportional imitation in a large population is the replicator dynamics
    game = hawk_dove(1.0, 4.0)  # hawk share V/C = 0.25
    rng = np.random.default_rng(4)
    rule = make_rule("imitation", 2_000, 2, rng, protocol="proportional", revision_rate=0.5)
    rule.current[:] = (rng.random(2_000) < 0.8).astype(np.intp)  # 20% hawks (action 0)
    play = play_population(game.row_payoffs, rule, 1_500, rng)
    assert abs(play.shares[:5, 0].mean() - 0.2) < 0.05
    assert abs(play.shares[750:, 0].mean() - 0.25) < 0.02


# --- harness ----------------------------------------------------------------------------------


def test_play_repeated_records_payoffs_from_the_matrices():
    game = asymmetric_matching_pennies()
    rng = np.random.default_rng(0)
    play = play_repeated(
        game, make_rule("logit", 3, 2, rng, precision=0.0), make_rule("logit", 3, 2, rng), 200
    )
    np.testing.assert_array_equal(
        play.row_payoffs, game.row_payoffs[play.row_actions, play.column_actions]
    )
    np.testing.assert_array_equal(
        play.column_payoffs, game.column_payoffs[play.row_actions, play.column_actions]
    )
    with pytest.raises(ParameterError, match="same n_agents"):
        play_repeated(game, make_rule("logit", 3, 2, rng), make_rule("logit", 2, 2, rng), 5)
    with pytest.raises(ParameterError, match="actions"):
        play_repeated(game, make_rule("logit", 3, 3, rng), make_rule("logit", 3, 2, rng), 5)


def test_empirical_frequencies_count_actions():
    actions = np.array([[0, 1], [1, 1], [0, 2], [2, 1]])
    frequencies = empirical_frequencies(actions, 3, times=[1, 4])
    np.testing.assert_allclose(frequencies[0], [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_allclose(frequencies[1], [[0.5, 0.25, 0.25], [0, 0.75, 0.25]])
    np.testing.assert_allclose(empirical_frequencies(actions[:, 0], 3)[-1], [0.5, 0.25, 0.25])
