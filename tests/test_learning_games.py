"""The canonical games, the n-player interface and the replicator ODE, against independent
expectations: closed forms, published numbers and nashpy (a test-only dependency)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning import make_rule
from abm.learning.canonical_games import (
    LogitDemand,
    NormalFormGame,
    asymmetric_matching_pennies,
    bertrand_logit,
    bertrand_logit_prices,
    cournot,
    cournot_quantities,
    hawk_dove,
    matching_pennies,
    prisoners_dilemma,
    profit_gain,
    pure_nash_equilibria,
    rock_paper_scissors,
    stag_hunt,
)
from abm.learning.harness import logit_qre, play_repeated, prior_attractions
from abm.learning.replicator import (
    replicator_flow,
    replicator_trajectory,
    two_population_replicator_flow,
)

nash = pytest.importorskip("nashpy")


def nashpy_equilibria(game: NormalFormGame) -> list[tuple[np.ndarray, np.ndarray]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nashpy warns on degenerate games
        return list(nash.Game(game.row_payoffs, game.column_payoffs).support_enumeration())


def pure_profiles(equilibria) -> set[tuple[int, int]]:
    """The pure equilibria among nashpy's (each strategy a unit vector)."""
    pure = set()
    for row, column in equilibria:
        if np.isclose(row.max(), 1.0) and np.isclose(column.max(), 1.0):
            pure.add((int(np.argmax(row)), int(np.argmax(column))))
    return pure


# --- rock-paper-scissors and the replicator ODE -------------------------------------------------

RPS = rock_paper_scissors().row_payoffs
START = np.array([0.5, 0.3, 0.2])


def test_the_replicator_ode_conserves_x1x2x3_on_rock_paper_scissors_and_euler_does_not():
    ode = replicator_trajectory(RPS, START, 500, 0.1, method="ode")
    euler = replicator_trajectory(RPS, START, 500, 0.1)
    product = ode.prod(axis=1)
    np.testing.assert_allclose(product, product[0], rtol=1e-9)
    np.testing.assert_allclose(ode.sum(axis=1), 1.0, atol=1e-10)
    # the figure: with h = 0.1 the Euler map halves x1x2x3 by t = 50
    assert 0.45 < euler[-1].prod() / euler[0].prod() < 0.55


def test_the_euler_error_is_first_order_in_the_step():
    errors = []
    for step in (0.1, 0.05, 0.025):
        periods = round(10 / step)
        euler = replicator_trajectory(RPS, START, periods, step)[-1]
        exact = replicator_flow(RPS, START, [0.0, 10.0])[-1]
        errors.append(np.abs(euler - exact).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    np.testing.assert_allclose(ratios, 2.0, rtol=0.05)


def test_euler_spirals_out_of_the_centre_at_rate_h_over_3():
    # linearised at (1/3, 1/3, 1/3) the flow rotates with frequency ω = 1/√3; an Euler step
    # multiplies the squared distance by 1 + h²ω², so it grows like exp(h·t/3)
    start = np.array([1 / 3 + 0.01, 1 / 3 - 0.01, 1 / 3])
    for step in (0.1, 0.05):
        path = replicator_trajectory(RPS, start, round(50 / step), step)
        squared = ((path - 1 / 3) ** 2).sum(axis=1)
        rate = np.log(squared[-1] / squared[0]) / 50
        np.testing.assert_allclose(rate, step / 3, rtol=0.05)


def test_the_replicator_ode_agrees_with_nashpy():
    matrix = np.random.default_rng(11).normal(size=(4, 4))
    start = np.array([0.1, 0.2, 0.3, 0.4])
    times = np.linspace(0, 8, 81)
    ours = replicator_flow(matrix, start, times)
    theirs = nash.Game(matrix).replicator_dynamics(y0=start, timepoints=times)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_the_ode_reaches_the_hawk_share_v_over_c():
    game = hawk_dove(1.0, 4.0)
    path = replicator_flow(game.row_payoffs, [[0.05, 0.95], [0.9, 0.1]], [0.0, 200.0])
    np.testing.assert_allclose(path[-1, :, 0], 0.25, atol=1e-8)


def test_two_population_flow_agrees_with_nashpy_and_conserves_its_constant_of_motion():
    game = asymmetric_matching_pennies()
    times = np.linspace(0, 10, 101)
    x0, y0 = np.array([0.3, 0.7]), np.array([0.6, 0.4])
    rows, columns = two_population_replicator_flow(game, x0, y0, times)
    theirs = nash.Game(game.row_payoffs, game.column_payoffs).asymmetric_replicator_dynamics(
        x0=x0, y0=y0, timepoints=times
    )
    # nashpy integrates with odeint's default tolerances (about 1e-8 relative), hence 1e-5
    np.testing.assert_allclose(rows, theirs[0], atol=1e-5)
    np.testing.assert_allclose(columns, theirs[1], atol=1e-5)
    # with x = P(Top), y = P(Left): dx/dt = x(1−x)(10y − 1), dy/dt = y(1−y)(1 − 2x), so
    # H = log x + log(1−x) + log y + 9·log(1−y) is constant along every orbit
    x, y = rows[:, 0], columns[:, 0]
    constant = np.log(x) + np.log(1 - x) + np.log(y) + 9 * np.log(1 - y)
    np.testing.assert_allclose(constant, constant[0], rtol=1e-9)
    # matching pennies: H = Σ log xᵢ + Σ log yⱼ is conserved
    rows, columns = two_population_replicator_flow(matching_pennies(), x0, y0, times * 5)
    constant = np.log(rows).sum(axis=1) + np.log(columns).sum(axis=1)
    np.testing.assert_allclose(constant, constant[0], rtol=1e-9)


def test_replicator_inputs_are_checked():
    with pytest.raises(ParameterError, match="method must be one of euler, ode"):
        replicator_trajectory(RPS, START, 5, method="rk4")
    with pytest.raises(ParameterError, match="times must be a non-empty increasing"):
        replicator_flow(RPS, START, [1.0, 0.5])


# --- the two-player games: closed forms and nashpy -----------------------------------------------


@pytest.mark.parametrize(
    ("game", "expected"),
    [
        (prisoners_dilemma(), {(1, 1)}),
        (stag_hunt(), {(0, 0), (1, 1)}),
        (hawk_dove(2.0, 4.0), {(0, 1), (1, 0)}),
        (rock_paper_scissors(), set()),
        (matching_pennies(), set()),
    ],
)
def test_pure_equilibria_match_the_textbook_and_nashpy(game, expected):
    assert set(pure_nash_equilibria(game)) == expected
    assert pure_profiles(nashpy_equilibria(game)) == expected


def test_mixed_equilibria_from_nashpy_match_the_closed_forms():
    # stag hunt: stag with probability (hare − alone)/(stag − alone) = 3/4
    mixed = [row for row, _ in nashpy_equilibria(stag_hunt()) if 0 < row[0] < 1]
    np.testing.assert_allclose(mixed, [[0.75, 0.25]])
    # rock-paper-scissors: the unique equilibrium is uniform
    ((row, column),) = nashpy_equilibria(rock_paper_scissors(win=2.0, loss=1.0))
    np.testing.assert_allclose(row, 1 / 3)
    np.testing.assert_allclose(column, 1 / 3)


def test_pure_equilibria_of_random_games_match_nashpy():
    rng = np.random.default_rng(5)
    for _ in range(10):
        game = NormalFormGame(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))
        assert set(pure_nash_equilibria(game)) == pure_profiles(nashpy_equilibria(game))


def test_cournot_payoffs_and_equilibrium_quantity():
    game = cournot()
    quantities = cournot_quantities()
    for i, j in itertools.product(range(13), repeat=2):
        price = max(12.0 - quantities[i] - quantities[j], 0.0)
        assert game.row_payoffs[i, j] == quantities[i] * price
    # (a − c)/(3b) = 4 is a grid point and an equilibrium of the grid game
    assert (4, 4) in pure_nash_equilibria(game)
    small = cournot(n_levels=5, max_quantity=4.0, intercept=6.0)  # Nash q = 2
    assert set(pure_nash_equilibria(small)) == pure_profiles(nashpy_equilibria(small))
    assert (2, 2) in pure_nash_equilibria(small)


# --- Bertrand with logit demand: Calvano et al. (2020) -------------------------------------------


def test_bertrand_logit_reproduces_calvanos_benchmark_prices():
    game = bertrand_logit()
    # Calvano, Calzolari, Denicolò and Pastorello (2020), baseline: p^N ≈ 1.473, p^M ≈ 1.925
    assert game.notes["nash_price"] == pytest.approx(1.473, abs=5e-4)
    assert game.notes["monopoly_price"] == pytest.approx(1.925, abs=5e-4)
    assert game.notes["nash_profit"] == pytest.approx(0.223, abs=5e-4)
    assert game.notes["monopoly_profit"] == pytest.approx(0.337, abs=1e-3)
    prices = bertrand_logit_prices()
    gap = 0.1 * (game.notes["monopoly_price"] - game.notes["nash_price"])
    np.testing.assert_allclose(
        prices[[0, -1]],
        [game.notes["nash_price"] - gap, game.notes["monopoly_price"] + gap],
    )
    assert profit_gain(game.notes["monopoly_profit"], **_profits(game)) == 1.0


def _profits(game):
    return {
        "nash_profit": game.notes["nash_profit"],
        "monopoly_profit": game.notes["monopoly_profit"],
    }


def test_bertrand_logit_prices_satisfy_the_first_order_conditions():
    demand = LogitDemand()
    nash_price, monopoly_price, step = demand.nash_price(), demand.monopoly_price(), 1e-6

    def own_profit(own: float, other: float) -> float:
        return float(demand.profits(np.array([own, other]))[0])

    def joint_profit(price: float) -> float:
        return float(demand.profits(np.array([price, price])).sum())

    derivative = own_profit(nash_price + step, nash_price) - own_profit(
        nash_price - step, nash_price
    )
    assert abs(derivative / (2 * step)) < 1e-8
    derivative = joint_profit(monopoly_price + step) - joint_profit(monopoly_price - step)
    assert abs(derivative / (2 * step)) < 1e-8
    # the grid game's pure equilibria sit within one grid step of p^N
    prices = bertrand_logit_prices()
    for profile in pure_nash_equilibria(bertrand_logit()):
        assert np.all(np.abs(prices[list(profile)] - nash_price) < prices[1] - prices[0])


def test_the_n_player_interface_gives_each_players_payoffs_and_forgone_payoffs():
    demand = LogitDemand(n_firms=3)
    game = bertrand_logit(demand, n_prices=5)
    prices = bertrand_logit_prices(demand, n_prices=5)
    assert game.n_players == 3 and game.shape == (5, 5, 5)
    profiles = np.array([[0, 1, 4], [2, 2, 2], [4, 0, 3]])
    np.testing.assert_allclose(game.payoff(profiles), demand.profits(prices[profiles]), rtol=1e-14)
    for player in range(3):
        forgone = game.forgone(player, profiles)
        for row, profile in enumerate(profiles):
            for action in range(5):
                deviation = profile.copy()
                deviation[player] = action
                assert forgone[row, action] == game.payoffs[(player, *deviation)]
    # symmetric: swapping two firms' prices swaps their payoffs
    np.testing.assert_allclose(game.payoffs[0], np.swapaxes(game.payoffs[1], 0, 1), rtol=1e-14)
    assert bertrand_logit().to_normal_form().shape == (15, 15)
    with pytest.raises(ParameterError, match="only a two-player game"):
        game.to_normal_form()


# --- stochastic fictitious play: the first move answers the prior --------------------------------


def test_smooth_fictitious_play_is_nashpys_stochastic_fictitious_play_period_by_period():
    from nashpy.learning.stochastic_fictitious_play import (
        get_distribution_response_to_play_count,
    )

    game, precision = cournot(), 0.5
    row_prior, _ = prior_attractions(game)  # expected payoffs against uniform beliefs
    rule = make_rule(
        "logit",
        1,
        13,
        np.random.default_rng(0),
        precision=precision,
        attraction_decay=1.0,
        initial_attraction=row_prior,
    )
    opponent = np.random.default_rng(9).integers(3, 7, size=150)
    counts = np.zeros(13)
    for action in opponent:
        theirs = get_distribution_response_to_play_count(
            game.row_payoffs, counts, epsilon_bar=0.0, etha=1.0 / precision
        )
        np.testing.assert_allclose(rule.probabilities()[0], theirs, rtol=1e-9, atol=1e-15)
        mine = rule.act()
        rule.observe(mine, game.row_payoffs[mine, action], game.row_payoffs[:, action][None, :])
        rule.update()
        counts[action] += 1


def test_a_logit_first_move_keeps_off_equilibrium_play_out_of_the_running_average():
    game, precision, pairs, periods = cournot(), 1.0, 50, 200
    qre, _ = logit_qre(game, precision)
    row_prior, column_prior = prior_attractions(game)
    gaps = {}
    for label, priors in (("uniform", (0.0, 0.0)), ("prior", (row_prior, column_prior))):
        rules = [
            make_rule(
                "logit",
                pairs,
                13,
                np.random.default_rng(seed),
                precision=precision,
                initial_attraction=prior,
            )
            for seed, prior in zip((1, 2), priors, strict=True)
        ]
        if label == "prior":  # the first move is the logit response to uniform beliefs
            expected = np.exp(precision * row_prior[0])
            np.testing.assert_allclose(rules[0].probabilities()[0], expected / expected.sum())
        record = play_repeated(game, *rules, periods)
        pooled = np.bincount(record.row_actions.ravel(), minlength=13) / record.row_actions.size
        gaps[label] = np.abs(pooled - qre).sum()
    # uniform first moves put 1/13 on each far-off quantity; the prior's response does not
    assert gaps["prior"] < 0.6 * gaps["uniform"]
