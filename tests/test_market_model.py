from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from abm.cli import main
from abm.errors import ParameterError
from abm.market import (
    OBSERVABLES,
    ClosedFirm,
    ClosedFirmConfig,
    DemandConfig,
    Distribution,
    FrontierConfig,
    Generalist,
    GeneralistConfig,
    LearningConfig,
    MarketConfig,
    MarketModel,
    RegulatorConfig,
    Specialist,
    SpecialistConfig,
)
from abm.market.clearing import Clearing
from abm.market.network import application_shares, herfindahl, network_hhi
from abm.theory.openness_game import OpennessGame, spe_benchmark, utilities_at

COUNTERFACTUAL = LearningConfig("best_response", {"inertia": 0.0}, "counterfactual")


def busy_config(rule: str = "logit") -> MarketConfig:
    """A heterogeneous market with every stochastic part switched on."""
    return MarketConfig(
        generalists=GeneralistConfig(
            count=12,
            alpha0=Distribution("uniform", low=0.05, high=3.0),
            compliance=Distribution("normal", mean=0.2, sd=0.05, low=0.05, high=0.5),
            production=Distribution("lognormal", mean=math.log(0.2), sd=0.3),
            learning=LearningConfig("logit", {"precision": 50.0}, "counterfactual", 0.3),
        ),
        specialists=SpecialistConfig(
            count=40,
            specialist_cost=Distribution("uniform", low=0.5, high=2.0),
            matching="learned",
            learning=LearningConfig("q_learning", {"epsilon": 0.1}, "experienced", 0.5),
        ),
        closed_firms=ClosedFirmConfig(
            count=3,
            initial_compute=[8.0, 16.0, 30.0],
            learning=LearningConfig("logit", {}, "counterfactual"),
        ),
        demand=DemandConfig(rule=rule, niches=4, customers=[1.0, 2.0, 1.0, 3.0], precision=5.0),
        regulator=RegulatorConfig(mode="adaptive", theta=0.3, penalty=0.02),
        agent_every=5,
    )


def test_default_market_builds_and_steps():
    model = MarketModel(rng=0).run(3)
    frame = model.timeseries()
    assert len(frame) == 4 and list(frame["step"]) == [0, 1, 2, 3]
    assert set(OBSERVABLES) <= set(frame.columns)
    assert model.generalists.count == 1 and model.specialists.count == 1


@pytest.mark.parametrize("rule", ["captive", "limit_pricing", "logit"])
def test_busy_market_runs_under_every_demand_rule(rule):
    model = MarketModel(busy_config(rule), rng=3).run(15)
    frame = model.timeseries()
    assert np.isfinite(frame["welfare"].iloc[1:]).all()
    assert (frame["consumer_surplus"].iloc[1:] >= 0).all()
    # every realised payoff equals the forgone payoff of the action played
    g = model.generalists
    np.testing.assert_allclose(g.forgone[np.arange(g.count), g.action], g.utility, atol=1e-12)
    c = model.closed_firms
    np.testing.assert_allclose(c.forgone[np.arange(c.count), c.action], c.profit, atol=1e-12)


def test_same_seed_same_result_bit_for_bit():
    first = MarketModel(busy_config(), rng=9).run(10).timeseries()
    second = MarketModel(busy_config(), rng=9).run(10).timeseries()
    assert first.equals(second)
    third = MarketModel(busy_config(), rng=10).run(10).timeseries()
    assert not first.equals(third)


def test_pair_payoffs_are_model_one_for_any_actions():
    explorer = LearningConfig("q_learning", {"epsilon": 1.0, "epsilon_min": 1.0})
    config = MarketConfig(
        generalists=GeneralistConfig(alpha0=0.8, learning=explorer),
        specialists=SpecialistConfig(effort_learning=explorer, effort_levels=11),
        regulator=RegulatorConfig(theta=0.5, penalty=0.07),
        delta=0.3,
    )
    model = MarketModel(config, rng=4)
    game = OpennessGame(alpha0=0.8, theta=0.5, penalty=0.07)
    for _ in range(40):
        model.step()
        g, s = model.generalists, model.specialists
        if g.participates[0]:
            u_g, u_d = utilities_at(game, g.released[0], s.alpha1[0], 0.3)
            assert g.utility[0] == pytest.approx(u_g, abs=1e-12)
            assert s.utility[0] == pytest.approx(u_d, abs=1e-12)
        else:
            assert g.utility[0] == 0.0 and s.utility[0] == 0.0


def test_many_followers_change_the_owner_forgone_payoffs():
    """The old pass-by-construction path is gone: forgone payoffs are the market's."""
    n = 8
    config = MarketConfig(
        generalists=GeneralistConfig(count=1, alpha0=0.5, learning=COUNTERFACTUAL),
        specialists=SpecialistConfig(count=n, effort_learning=COUNTERFACTUAL),
        delta=0.5,
    )
    model = MarketModel(config, rng=0).run(5)
    g, s = model.generalists, model.specialists
    grid = g.grid
    lone = utilities_at(OpennessGame(alpha0=0.5), grid, 0.5 + 0.25 * (1 + grid), 0.5)[0]
    assert np.max(np.abs(g.forgone[0, : grid.size] - lone)) > 0.1
    # and they are what the market pays: own terms + δ·Σ revenue of the n derivatives
    own = g.own_terms(grid[None, :], 0.0, 0.0)[0]
    expected = own + 0.5 * np.sum(0.5 + s.effort)
    np.testing.assert_allclose(g.forgone[0, : grid.size], expected, atol=1e-12)


def test_experienced_leader_over_many_followers_moves_toward_omega_int_n():
    leader = LearningConfig(
        "q_learning",
        {
            "learning_rate": 1.0,
            "epsilon": 0.05,
            "epsilon_decay": 1.0,
            "epsilon_min": 0.05,
            "initial_q": 20.0,
            "tie_break": "random",
        },
        "experienced",
        0.05,
    )
    config = MarketConfig(
        generalists=GeneralistConfig(count=1, alpha0=0.6, learning=leader, openness_levels=26),
        specialists=SpecialistConfig(
            count=3, effort_learning=COUNTERFACTUAL, effort_levels=601, effort_max=0.6
        ),
    )
    model = MarketModel(config, rng=1)
    actions = []
    for _ in range(1500):
        model.step()
        actions.append(model.generalists.action[0])
    learned = model.generalists.grid[np.bincount(actions[-300:]).argmax()]
    one, three = (float(spe_benchmark(OpennessGame(alpha0=0.6), 0.5, n).openness) for n in (1, 3))
    assert three > one + 0.2
    assert abs(learned - three) <= 0.04 + 1e-9


def test_limit_pricing_by_hand():
    clearing = Clearing(
        "limit_pricing",
        np.array([0, 0, 1, 1]),
        np.array([3.0, 2.0, 1.0, 1.0]),
        np.zeros(4, bool),
        np.array([10.0, 4.0]),
        np.array([0.5, 0.5]),
    )
    np.testing.assert_allclose(clearing.revenue, [10.0, 0.0, 0.0, 0.0])  # tie in niche 1
    np.testing.assert_allclose(clearing.consumer_surplus, [20.0, 4.0])
    revenue = clearing.deviation_revenue(np.array([0, 1]), np.array([2.5, 1.5]), np.array([1, -1]))
    np.testing.assert_allclose(revenue, [0.0, 2.0])


def test_logit_prices_are_a_bertrand_nash_equilibrium():
    value, outside, scale = np.array([1.0, 1.6, 0.4]), 0.3, 0.25
    clearing = Clearing(
        "logit",
        np.zeros(3, np.intp),
        value,
        np.zeros(3, bool),
        np.array([7.0]),
        np.array([outside]),
        precision=1 / scale,
    )

    def profit(price, i):
        prices = clearing.price.copy()
        prices[i] = price
        weights = np.exp((value - prices) / scale)
        return price * weights[i] / (np.exp(outside / scale) + weights.sum())

    for i in range(3):
        best = minimize_scalar(
            lambda p, i=i: -profit(p, i), bounds=(0, 5), method="bounded", options={"xatol": 1e-10}
        )
        assert clearing.price[i] == pytest.approx(best.x, abs=1e-6)
        assert clearing.revenue[i] == pytest.approx(7.0 * profit(clearing.price[i], i), rel=1e-9)
    # deviation at the realised value reproduces the realised revenue
    again = clearing.deviation_revenue(np.zeros(3, np.intp), value, np.arange(3))
    np.testing.assert_allclose(again, clearing.revenue, rtol=1e-12)


def test_logit_approaches_limit_pricing():
    args = (
        np.array([0, 0]),
        np.array([2.0, 1.2]),
        np.zeros(2, bool),
        np.array([1.0]),
        np.array([0.5]),
    )
    sharp = Clearing("logit", *args, precision=2000.0)
    limit = Clearing("limit_pricing", *args)
    np.testing.assert_allclose(sharp.revenue, limit.revenue, atol=5e-3)


def test_counterfactual_base_payoffs_are_a_re_clearing():
    config = busy_config("limit_pricing")
    config.specialists.learning = LearningConfig("best_response", {}, "counterfactual")
    model = MarketModel(config, rng=2).run(4)
    g, s, c = model.generalists, model.specialists, model.closed_firms
    j = int(np.flatnonzero(s.matched)[0])
    for b in np.flatnonzero(g.participates)[:4]:
        value = s.effort.copy() + g.alpha0[np.minimum(s.base, g.count - 1)]
        value[j] = g.alpha0[b] + s.effort[j]
        keep = s.matched.copy()
        products = np.concatenate((value[keep], c.value))
        niches = np.concatenate((s.niche[keep], c.niche))
        again = Clearing(
            "limit_pricing",
            niches,
            products,
            np.r_[np.zeros(keep.sum(), bool), np.ones(c.count, bool)],
            model.niche_size,
            np.full(model.niche_size.shape, model.outside),
        )
        revenue = again.revenue[int(np.flatnonzero(np.flatnonzero(keep) == j)[0])]
        cost = s.cost[j] * s.effort[j] ** 2 / (1 + s.leverage[j] * g.released[b])
        assert s.base_forgone[j, b] == pytest.approx(0.5 * revenue - cost, abs=1e-12)


def test_counterfactual_base_table_is_each_cells_deviation_over_blocks_and_absent_bases():
    # the table is assembled in cache-sized row blocks over the bases that take part
    # (abm.market.core): every cell must be what a one-cell deviation pays, 0 on an absent base
    # and for no base, in every block
    learning = LearningConfig("logit", {"precision": 20.0}, "counterfactual", 0.3)
    config = MarketConfig(
        generalists=GeneralistConfig(
            count=40, alpha0=Distribution("uniform", low=0.05, high=3.0), learning=learning
        ),
        specialists=SpecialistConfig(
            count=2000, matching="learned", learning=learning, effort_learning=learning
        ),
        demand=DemandConfig(rule="logit", niches=20),
    )
    model = MarketModel(config, rng=1)
    g, s = model.generalists, model.specialists
    for _ in range(40):
        model.step()
        if 0 < g.participates.sum() < g.count:
            break
    assert 0 < g.participates.sum() < g.count
    table = model._base_forgone(model.clearing)
    assert table.shape == (s.count, g.count + 1)
    rows = [0, 1, 799, 800, 801, 1599, 1600, s.count - 1]  # either side of the blocks' edges
    for j in rows:
        for b in range(g.count):
            if not g.participates[b]:
                assert table[j, b] == 0.0
                continue
            value = np.array([g.alpha0[b] + s.effort[j]])
            revenue = model.clearing.deviation_revenue(
                s.niche[j : j + 1], value, s.product[j : j + 1]
            )[0]
            cost = s.cost[j] * s.effort[j] ** 2 / (1.0 + s.leverage[j] * g.released[b])
            assert table[j, b] == pytest.approx((1 - config.delta) * revenue - cost, rel=1e-13)
    assert not table[:, -1].any()


def test_abstention_is_not_absorbing():
    # a strong model with high costs abstains early on, then the exploring rule brings it back
    leader = LearningConfig("q_learning", {"epsilon": 0.2, "epsilon_min": 0.2}, "experienced")
    config = MarketConfig(
        generalists=GeneralistConfig(count=4, alpha0=1.0, learning=leader),
        specialists=SpecialistConfig(
            count=8,
            matching="learned",
            learning=LearningConfig(
                "q_learning", {"epsilon": 0.2, "epsilon_min": 0.2}, "experienced"
            ),
        ),
    )
    model = MarketModel(config, rng=0)
    was_out = np.zeros(4, bool)
    returned = np.zeros(4, bool)
    for _ in range(300):
        model.step()
        returned |= was_out & model.generalists.participates
        was_out |= ~model.generalists.participates
    assert was_out.any() and (returned[was_out]).all()


def test_imitation_over_niche_neighbours_runs():
    config = busy_config()
    config.specialists.effort_learning = LearningConfig("imitation", {"exploration": 0.05})
    config.generalists.learning = LearningConfig("imitation", {"exploration": 0.05})
    model = MarketModel(config, rng=1).run(10)
    assert model._specialist_peers is not None
    assert np.isfinite(model.timeseries()["welfare"].iloc[-1])


def test_hhi_helpers():
    assert herfindahl([1, 1, 1, 1]) == pytest.approx(0.25)
    assert herfindahl([5, 0, 0]) == pytest.approx(1.0)
    assert herfindahl([0, 0]) == 0.0
    np.testing.assert_allclose(application_shares([3, 1]), [0.75, 0.25])


def test_graphml_export_roundtrip(tmp_path):
    model = MarketModel(busy_config(), rng=5).run(3)
    path = model.export_graphml(tmp_path / "net.graphml")
    loaded = nx.read_graphml(path)
    assert loaded.number_of_edges() == model.network.number_of_edges()
    assert loaded.number_of_nodes() == 12 + 40 + 3


def test_agent_frame_is_sparse_and_tidy():
    model = MarketModel(busy_config(), rng=5).run(12)
    frame = model.agent_frame()
    assert sorted(frame["step"].unique()) == [5, 10, 12]
    assert set(frame["type"]) == {"generalist", "specialist", "closed_firm"}
    assert (frame["step"] == 5).sum() == 12 + 40 + 3


def test_agents_read_population_arrays():
    model = MarketModel(busy_config(), rng=5).run(2)
    agent = list(model.agents_by_type[Generalist])[3]
    assert agent.alpha0 == model.generalists.alpha0[3]
    firm = list(model.agents_by_type[ClosedFirm])[1]
    assert firm.compute == model.closed_firms.compute[1]


def test_regulator_schedule_and_adaptive():
    schedule = MarketConfig(
        regulator=RegulatorConfig(mode="schedule", schedule=[[3, 0.5, 0.1], [5, 0.7, 0.2]])
    )
    frame = MarketModel(schedule, rng=0).run(6).timeseries()
    assert list(frame["theta"]) == [0.0, 0.0, 0.0, 0.5, 0.5, 0.7, 0.7]
    assert list(frame["penalty"]) == [0.0, 0.0, 0.0, 0.1, 0.1, 0.2, 0.2]
    adaptive = MarketConfig(
        generalists=GeneralistConfig(alpha0=2.0, learning=COUNTERFACTUAL),
        regulator=RegulatorConfig(
            mode="adaptive",
            theta=0.6,
            penalty=0.0,
            gain=0.1,
            target_open_share=1.0,
            lever_max=0.25,
        ),
    )
    penalties = MarketModel(adaptive, rng=0).run(6).timeseries()["penalty"].to_numpy()
    # closed strong model: open share 0 → p rises by 0.1 per period until clipped at 0.25
    steps = np.round(np.diff(penalties), 12)
    assert (set(steps) <= {0.0, 0.1, 0.05} and steps[-2] == 0.1) or penalties[-1] == 0.25
    assert penalties.max() == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"demand": {"rule": "auction"}}, "demand.rule"),
        ({"demand": {"niches": 0}}, "demand.niches"),
        (
            {"generalists": {"learning": {"rule": "best_response"}}},
            "generalists.learning.information",
        ),
        (
            {"specialists": {"effort_learning": {"revision_rate": 0.0}}},
            "specialists.effort_learning.revision_rate",
        ),
        (
            {"closed_firms": {"learning": {"information": "psychic"}}},
            "closed_firms.learning.information",
        ),
    ],
)
def test_bad_market_input_names_the_field(changes, field):
    with pytest.raises(ParameterError, match=field.replace(".", r"\.")):
        MarketConfig.from_dict(changes).validate()


def test_bad_seed_and_steps():
    with pytest.raises(ParameterError):
        MarketModel(rng=-1)
    with pytest.raises(ParameterError):
        MarketModel(rng=0).run(-2)


def test_exogenous_frontier_prices_closed_firm_against_it():
    config = MarketConfig(
        specialists=SpecialistConfig(count=0),
        closed_firms=ClosedFirmConfig(count=1, initial_compute=20.0, levels=1),
        demand=DemandConfig(rule="limit_pricing"),
        frontier=FrontierConfig(mode="exogenous", compute=2.0),
    )
    model = MarketModel(config, rng=0).run(2)
    assert model.closed_firms.price[0] == pytest.approx(math.log(20.0) - math.log(2.0))


def test_agents_are_mesa_agents_reading_the_arrays():
    model = MarketModel(busy_config(), rng=5).run(2)
    agent = list(model.agents_by_type[Generalist])[3]
    assert agent.alpha0 == model.generalists.alpha0[3]
    specialist = list(model.agents_by_type[Specialist])[7]
    assert specialist.niche == model.specialists.niche[7]
    assert specialist.effort == model.specialists.effort[7]
    firm = list(model.agents_by_type[ClosedFirm])[1]
    assert firm.compute == model.closed_firms.compute[1]


def test_graphml_export_and_agent_frame(tmp_path):
    model = MarketModel(busy_config(), rng=5).run(12)
    path = model.export_graphml(tmp_path / "net.graphml")
    loaded = nx.read_graphml(path)
    assert loaded.number_of_nodes() == 12 + 40 + 3
    assert loaded.number_of_edges() == int(model.specialists.matched.sum())
    frame = model.agent_frame()
    assert sorted(frame["step"].unique()) == [5, 10, 12]


def test_network_shares_and_hhi_by_hand():
    config = MarketConfig(
        generalists=GeneralistConfig(count=3, allow_abstain=False),
        specialists=SpecialistConfig(count=5, matching="pairs"),
    )
    model = MarketModel(config, rng=0).run(2)
    np.testing.assert_array_equal(model.generalists.derivatives, [2, 2, 1])
    assert model.timeseries()["hhi"].iloc[-1] == pytest.approx(0.16 + 0.16 + 0.04)
    assert network_hhi(model.network) == pytest.approx(0.36)


def test_cli_refuses_forgone_rule_under_experience(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(
        '[market.generalists]\nlearning = { rule = "fictitious_play" }\n', encoding="utf-8"
    )
    code = main(["run", str(scenario), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "generalists.learning.information" in err
    assert not (tmp_path / "out").exists()


def test_lambert_of_exp_matches_scipy_wrightomega():
    from scipy.special import wrightomega

    from abm.market.clearing import lambert_of_exp

    z = np.concatenate(
        (np.linspace(-60.0, 60.0, 20001), np.geomspace(60.0, 1e12, 500), -np.geomspace(60, 700, 50))
    )
    np.testing.assert_allclose(lambert_of_exp(z), wrightomega(z).real, rtol=1e-14, atol=0)
    assert lambert_of_exp(np.array([np.inf, -np.inf])).tolist() == [np.inf, 0.0]


def test_lambert_table_start_is_within_its_bound_and_one_halley_step_reaches_rounding():
    # docs/model/market.md: linear interpolation of W on steps of h = 1/128 errs by at most
    # h²/8·e^h (relative; W'' = W/(1 + W)³ ≤ W, and W grows by at most e^h within a step), and
    # one Halley step cubes that error
    from scipy.special import wrightomega

    from abm.market import clearing

    low, high, steps = clearing._TABLE_LOW, clearing._TABLE_HIGH, clearing._TABLE_STEPS
    z = np.concatenate((np.linspace(low, high, 200_001), [low, high, np.nextafter(high, 0)]))
    exact = wrightomega(z).real
    position = (z - low) * steps
    index = position.astype(np.intp)
    start = clearing._TABLE[index] + (position - index) * clearing._TABLE_SLOPE[index]
    assert np.max(np.abs(start / exact - 1.0)) <= np.exp(1.0 / steps) / (8 * steps**2)
    np.testing.assert_allclose(clearing._lambert_table(z), exact, rtol=1e-14, atol=0)
    # either side of the table's ends: the series below, Halley's steps above
    edges = np.array([np.nextafter(low, -np.inf), low - 1e-9, high + 1e-9, 41.0, -51.0])
    np.testing.assert_allclose(
        clearing.lambert_of_exp(edges), wrightomega(edges).real, rtol=1e-14, atol=0
    )
    assert np.isnan(clearing.lambert_of_exp(np.array([np.nan, 0.0])))[0]


def test_lambert_of_exp_written_over_its_input_gives_the_same_values():
    # the forgone tables write W over their own exponents: values outside the table (read
    # after the table's pass) and slices of every size must come out as from a fresh array
    from abm.market.clearing import _SLICE, lambert_of_exp

    z = np.random.default_rng(5).normal(-5.0, 30.0, 2 * _SLICE + 7)
    z[[3, _SLICE + 1, -1]] = [np.nan, np.inf, -np.inf]
    expected = lambert_of_exp(z)
    alias = z.copy()
    assert lambert_of_exp(alias, out=alias) is not None
    np.testing.assert_array_equal(alias, expected)
    with pytest.raises(ValueError, match="C-contiguous"):
        lambert_of_exp(z[::2], out=np.empty(z.size)[::2])


def test_logit_markup_solves_its_equation_to_rounding_inside_and_outside_its_table():
    # y = ln x with x + ln x − ln(1 + x) = t. h(y) = e^y + y − ln(1 + e^y) − t has slope ≥ 1,
    # so |y − y*| ≤ |h(y)|: a residual at rounding bounds the error independently of the solver
    from abm.market import clearing

    low, high, steps = clearing._TABLE_LOW, clearing._TABLE_HIGH, clearing._TABLE_STEPS
    edges = [low, high, np.nextafter(high, 0), np.nextafter(low, -np.inf), high + 1e-9]
    target = np.concatenate(
        (np.linspace(-60, 60, 200_001), np.geomspace(60, 1e8, 200), -np.geomspace(60, 700, 50))
    )
    target = np.concatenate((target, edges))
    y = clearing.log_markup_at(target)
    x = np.exp(y)
    residual = x + y - np.log1p(x) - target
    assert np.all(np.abs(residual) <= 8 * np.finfo(float).eps * (1.0 + np.abs(target) + x))
    # the table's interpolation errs by at most h²/8 (|y''| ≤ 1), before its Halley step
    inside = target[(target >= low) & (target <= high)]
    position = (inside - low) * steps
    index = position.astype(np.intp)
    start = clearing._MARKUP_TABLE[index] + (position - index) * clearing._MARKUP_SLOPE[index]
    exact = clearing._markup_newton(inside)
    assert np.max(np.abs(start - exact)) <= 1.0 / (8 * steps**2)
    np.testing.assert_allclose(clearing.log_markup_at(inside), exact, rtol=0, atol=4e-15)
    assert np.isnan(clearing.log_markup_at(np.array([np.nan, 0.0])))[0]


def test_logit_prices_are_mutual_best_responses_in_a_dominated_niche():
    # one product near share 1 (the case a best-response iteration converges slowly on)
    niche = np.array([0, 0, 0, 1])
    value = np.array([9.0, 0.2, 0.1, 0.3])
    clearing = Clearing("logit", niche, value, np.zeros(4, bool), np.ones(2), np.zeros(2), 10.0)
    sigma = 0.1
    utility = (value - clearing.price) / sigma
    for j in range(4):
        rivals = [k for k in range(4) if niche[k] == niche[j] and k != j]
        others = 1.0 + np.exp(utility[rivals]).sum()  # the outside option at value 0
        share = np.exp(utility[j]) / (others + np.exp(utility[j]))
        assert clearing.price[j] == pytest.approx(sigma / (1.0 - share), rel=1e-12)
    assert clearing.share[0] > 0.98


def test_logit_prices_leave_a_newton_cycle():
    # Found by `abm sa` on the baseline (run 33,140): from last period's prices the Newton steps
    # in e^{-L} and in L overshot each other into a cycle between L ≈ 14.48 and 18.56 that
    # shrank its bracket by ~1e-4 an iteration, and 500 iterations raised "did not converge"
    from abm.market.clearing import _logit_equilibrium

    quality = np.array([13.669898158398645, 22.937458713910228])
    outside = np.array([12.754957208827928])
    start = np.array([1.1191410393950756, 5.386328391471647])
    price = _logit_equilibrium(np.zeros(2, np.intp), quality, outside, 1, start)
    utility = quality + 1.0 - price  # in units of σ
    share = np.exp(utility - np.logaddexp(outside[0], np.logaddexp.reduce(utility)))
    np.testing.assert_allclose(price, 1.0 / (1.0 - share), rtol=1e-12)  # p_j/σ = 1/(1 − s_j)


@pytest.mark.parametrize("seed", range(40))
def test_logit_prices_meet_every_first_order_condition(seed):
    # random niches from near-limit-pricing precision (one product with ~all of its niche) to
    # diffuse demand; p_j = σ/(1 − s_j) with s_j recomputed here from the prices alone
    rng = np.random.default_rng(seed)
    count, niches = int(rng.integers(1, 40)), int(rng.integers(1, 6))
    niche = rng.integers(0, niches, count)
    value = rng.exponential(2.0, count) * rng.choice([0.1, 1.0, 10.0], count)
    outside = rng.uniform(0.0, 2.0, niches)
    precision = float(rng.choice([0.5, 5.0, 50.0, 500.0]))
    clearing = Clearing(
        "logit", niche, value, np.zeros(count, bool), np.ones(niches), outside, precision
    )
    sigma = 1.0 / precision
    utility = (value - clearing.price) / sigma
    for j in range(count):
        rivals = (niche == niche[j]) & (np.arange(count) != j)
        others = np.logaddexp.reduce(np.append(utility[rivals], outside[niche[j]] / sigma))
        # 1 − s_j = D_j/(D_j + E_j), computed without subtracting from 1; at precision 500
        # utilities reach 1e4, whose rounding alone moves 1 − s_j by ~1e-12 (relative)
        not_j = np.exp(others - np.logaddexp(others, utility[j]))
        assert clearing.price[j] == pytest.approx(sigma / not_j, rel=1e-10)


@given(
    st.lists(
        st.one_of(
            st.sampled_from([0.0, 0.05, 0.5, 0.55, 1.0]),
            st.floats(-1e6, 1e6, allow_nan=False),
        ),
        min_size=0,
        max_size=70,
    )
)
@settings(max_examples=300, deadline=None)
def test_openness_quartiles_are_numpys_quantiles_bit_for_bit(values):
    from abm.market.observables import _quartiles

    # the values split into three groups (replications) in turn, one left empty when few
    array = np.asarray(values, dtype=float)
    group = np.arange(array.size) % 3 if array.size > 4 else np.zeros(array.size, dtype=np.intp)
    result = _quartiles(array, group, 3)
    for member in range(3):
        part = array[group == member]
        expected = np.quantile(part, [0.25, 0.5, 0.75]).tolist() if part.size else [np.nan] * 3
        np.testing.assert_array_equal(result[member], expected)


def test_a_revising_share_chooses_as_the_whole_population_would():
    """The logit learner lets only its revising agents choose (``choose``); every period's
    actions are those of the whole population acting, then the revision draw keeping some."""
    from abm.market import LearningConfig
    from abm.market.populations import Learner

    config = LearningConfig("logit", {"precision": 3.0}, "counterfactual", 0.3)
    learners = [Learner(config, 40, 5, np.random.default_rng(8), "learning") for _ in range(2)]
    learners[1].rule.chooses_rows = False  # the path without choose(): act(), then revise
    payoffs = np.random.default_rng(2).random((25, 40, 5))
    for forgone in payoffs:
        actions = [learner.act() for learner in learners]
        np.testing.assert_array_equal(actions[0], actions[1])
        for learner, action in zip(learners, actions, strict=True):
            learner.learn(forgone[np.arange(40), action], forgone)
    assert learners[0].rule.chooses_rows


@pytest.mark.parametrize(
    ("first_shape", "second_shape"),
    [((300, 40), (300, 1)), ((300, 1), (300, 40)), ((10, 4), (10, 4)), ((300, 40), ())],
)
def test_combining_in_place_is_the_plain_arithmetic(first_shape, second_shape):
    """The forgone tables' in-place arithmetic: the same bits as the plain expression, written
    into the first temporary only where it is large and of the result's shape."""
    from abm.market.clearing import combine_in_place

    rng = np.random.default_rng(1)
    first, second = rng.normal(size=first_shape), rng.normal(size=second_shape)
    for operation in (np.subtract, np.divide, np.multiply):
        expected = operation(first, second)
        temporary = first.copy()
        result = combine_in_place(operation, temporary, second)
        assert result.tobytes() == expected.tobytes()
        reused = temporary.size >= 4096 and temporary.shape == expected.shape
        assert (result is temporary) == reused
