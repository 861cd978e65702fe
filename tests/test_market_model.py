from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from abm.market import (
    OBSERVABLES,
    ClosedFirm,
    ClosedFirmConfig,
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
from abm.market.network import application_shares, herfindahl, network_hhi
from abm.theory.openness_game import OpennessGame, generalist_utility, specialist_utility
from abm.validation import ParameterError


def busy_config() -> MarketConfig:
    """A heterogeneous market with every stochastic part switched on."""
    return MarketConfig(
        generalists=GeneralistConfig(
            count=12,
            alpha0=Distribution("uniform", low=0.05, high=3.0),
            compliance=Distribution("normal", mean=0.2, sd=0.05, low=0.05, high=0.5),
            production=Distribution("lognormal", mean=math.log(0.2), sd=0.3),
            growth_closed=0.001,
            growth_open=0.01,
            learning=LearningConfig("logit", {"precision": 50.0}),
        ),
        specialists=SpecialistConfig(
            count=40,
            specialist_cost=Distribution("uniform", low=0.5, high=2.0),
            matching="sampled",
        ),
        closed_firms=ClosedFirmConfig(
            count=3, initial_compute=[8.0, 16.0, 30.0], learning=LearningConfig("logit")
        ),
        regulator=RegulatorConfig(mode="adaptive", theta=0.3, penalty=0.02),
        agent_every=5,
    )


def test_default_market_builds_and_steps():
    model = MarketModel(rng=1)
    model.run(5)
    assert model.steps == 5
    assert len(model.agents_by_type[Generalist]) == 1
    assert len(model.agents_by_type[Specialist]) == 1
    frame = model.timeseries()
    assert len(frame) == 6  # the step-0 row plus one per period
    assert list(frame["step"]) == [0, 1, 2, 3, 4, 5]


def test_datacollector_has_every_observable():
    model = MarketModel(busy_config(), rng=3).run(3)
    columns = set(model.datacollector.get_model_vars_dataframe().columns)
    assert set(OBSERVABLES) <= columns
    assert "step" in columns


def test_pair_payoffs_are_model_one():
    # α0 = 0.5, fixed δ = 0.5: ω⁰ = 0.1875, so the best grid point is 0.18.
    config = MarketConfig(
        generalists=GeneralistConfig(alpha0=0.5, learning=LearningConfig("fictitious_play"))
    )
    model = MarketModel(config, rng=0).run(10)
    game = OpennessGame(alpha0=0.5)
    assert model.generalists.openness[0] == pytest.approx(0.18)
    assert model.generalists.utility[0] == pytest.approx(
        float(generalist_utility(game, 0.18, 0.5)), abs=1e-12
    )
    assert model.specialists.utility[0] == pytest.approx(
        float(specialist_utility(game, 0.18, 0.5)), abs=1e-12
    )


def test_generalist_with_two_specialists_sums_their_revenue():
    # Two specialists on one generalist: U_G = Σ δ·α1_j + βα0(1−ω) + εω − o(1−ω) − kω² − c0α0².
    config = MarketConfig(
        generalists=GeneralistConfig(alpha0=0.8, learning=LearningConfig("fictitious_play")),
        specialists=SpecialistConfig(
            count=2, specialist_cost=[1.0, 2.0], openness_leverage=[1.0, 3.0]
        ),
    )
    model = MarketModel(config, rng=0).run(5)
    omega = model.generalists.openness[0]
    delta, alpha0 = 0.5, 0.8
    alpha1 = [
        alpha0 + (1 - delta) * (1 + lev * omega) / (2 * cost)
        for cost, lev in ((1.0, 1.0), (2.0, 3.0))
    ]
    expected = (
        delta * sum(alpha1)
        + 0.3 * alpha0 * (1 - omega)
        + 0.05 * omega
        - 0.05 * (1 - omega)
        - 0.2 * omega**2
        - 0.2 * alpha0**2
    )
    assert model.generalists.utility[0] == pytest.approx(expected, abs=1e-12)
    np.testing.assert_allclose(model.specialists.alpha1, alpha1, atol=1e-12)
    # and the chosen ω is the best grid point of that payoff (brute force)
    grid = np.linspace(0, 1, 51)
    values = (
        delta * (2 * alpha0 + (1 - delta) * ((1 + grid) / 2 + (1 + 3 * grid) / 4))
        + 0.3 * alpha0 * (1 - grid)
        + 0.05 * grid
        - 0.05 * (1 - grid)
        - 0.2 * grid**2
        - 0.2 * alpha0**2
    )
    assert omega == pytest.approx(grid[np.argmax(values)])


def test_same_seed_same_result_bit_for_bit():
    first = MarketModel(busy_config(), rng=42).run(30)
    second = MarketModel(busy_config(), rng=42).run(30)
    pd.testing.assert_frame_equal(first.timeseries(), second.timeseries(), check_exact=True)
    pd.testing.assert_frame_equal(first.agent_frame(), second.agent_frame(), check_exact=True)
    assert np.array_equal(first.generalists.alpha0, second.generalists.alpha0)
    assert np.array_equal(first.specialists.base, second.specialists.base)


def test_different_seeds_differ():
    first = MarketModel(busy_config(), rng=1).run(10)
    second = MarketModel(busy_config(), rng=2).run(10)
    assert not np.array_equal(first.generalists.alpha0, second.generalists.alpha0)
    assert not first.timeseries().equals(second.timeseries())


def test_network_shares_and_hhi_by_hand():
    # pairs matching: specialist j fine-tunes generalist j mod 3 → derivatives (2, 2, 1)
    config = MarketConfig(
        generalists=GeneralistConfig(count=3, allow_abstain=False),
        specialists=SpecialistConfig(count=5, matching="pairs"),
    )
    model = MarketModel(config, rng=0).run(2)
    np.testing.assert_array_equal(model.generalists.derivatives, [2, 2, 1])
    np.testing.assert_allclose(model.generalists.share, [0.4, 0.4, 0.2])
    assert model.timeseries()["hhi"].iloc[-1] == pytest.approx(0.16 + 0.16 + 0.04)
    graph = model.network
    assert isinstance(graph, nx.DiGraph)
    assert set(graph.edges) == {
        ("G0", "S0"),
        ("G0", "S3"),
        ("G1", "S1"),
        ("G1", "S4"),
        ("G2", "S2"),
    }
    assert network_hhi(graph) == pytest.approx(0.36)
    assert graph.nodes["G2"]["share"] == pytest.approx(0.2)


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


def test_endogenous_frontier_is_best_open_model():
    # reputation 1 makes ω⁰ = 1 (open), so the frontier is exp(α0) under f = ln.
    config = MarketConfig(
        generalists=GeneralistConfig(
            count=2,
            alpha0=[1.2, 2.0],
            reputation=[1.0, 0.0],
            learning=LearningConfig("fictitious_play"),
        ),
        specialists=SpecialistConfig(count=2),
        closed_firms=ClosedFirmConfig(count=1, initial_compute=20.0, levels=1),
    )
    model = MarketModel(config, rng=0).run(3)
    assert model.generalists.openness[0] == 1.0 and model.generalists.openness[1] < 0.5
    assert model.open_compute == pytest.approx(math.exp(1.2))
    assert model.closed_firms.price[0] == pytest.approx(math.log(20.0) - 1.2)


def test_regulator_schedule_and_adaptive():
    schedule = MarketConfig(
        regulator=RegulatorConfig(mode="schedule", schedule=[[3, 0.5, 0.1], [5, 0.7, 0.2]])
    )
    frame = MarketModel(schedule, rng=0).run(6).timeseries()
    assert list(frame["theta"]) == [0.0, 0.0, 0.0, 0.5, 0.5, 0.7, 0.7]
    assert list(frame["penalty"]) == [0.0, 0.0, 0.0, 0.1, 0.1, 0.2, 0.2]
    adaptive = MarketConfig(
        generalists=GeneralistConfig(alpha0=2.0, learning=LearningConfig("fictitious_play")),
        regulator=RegulatorConfig(
            mode="adaptive",
            theta=0.6,
            penalty=0.0,
            gain=0.1,
            target_open_share=1.0,
            lever_max=0.25,
        ),
    )
    penalties = MarketModel(adaptive, rng=0).run(5).timeseries()["penalty"].tolist()
    # closed strong model: open share 0 → p rises by 0.1 per period until clipped at 0.25
    assert penalties[:4] == pytest.approx([0.0, 0.0, 0.1, 0.2])
    assert max(penalties) == pytest.approx(0.25)


def test_growth_is_faster_when_open():
    config = MarketConfig(
        generalists=GeneralistConfig(
            count=2,
            alpha0=1.0,
            reputation=[1.0, 0.0],
            growth_closed=0.01,
            growth_open=0.05,
            learning=LearningConfig("fictitious_play"),
        ),
        specialists=SpecialistConfig(count=0),
    )
    model = MarketModel(config, rng=0).run(10)
    open_alpha, closed_alpha = model.generalists.alpha0
    assert closed_alpha == pytest.approx(1.01**10)
    # fictitious play opens at ω = 0 before its first observation, then releases ω = 1 with no
    # derivatives (s = 0): one period of closed growth, nine of open growth
    assert open_alpha == pytest.approx(1.01 * 1.05**9)


def test_non_fixed_bargaining_runs():
    config = MarketConfig(generalists=GeneralistConfig(alpha0=0.4), bargaining="egalitarian")
    model = MarketModel(config, rng=0).run(3)
    assert 0.0 < model.specialists.delta[0] < 1.0


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (MarketConfig(generalists=GeneralistConfig(count=-1)), "generalists.count"),
        (MarketConfig(specialists=SpecialistConfig(count=-3)), "specialists.count"),
        (MarketConfig(closed_firms=ClosedFirmConfig(count=2.5)), "closed_firms.count"),
        (
            MarketConfig(generalists=GeneralistConfig(learning=LearningConfig("telepathy"))),
            "generalists.learning.rule",
        ),
        (
            MarketConfig(
                generalists=GeneralistConfig(alpha0=Distribution("uniform", low=2.0, high=1.0))
            ),
            "generalists.alpha0",
        ),
        (
            MarketConfig(
                generalists=GeneralistConfig(alpha0=Distribution("uniform", low=-1.0, high=1.0))
            ),
            "generalists.alpha0",
        ),
        (
            MarketConfig(
                specialists=SpecialistConfig(
                    specialist_cost=Distribution("normal", mean=0.0, sd=0.01, low=5.0, high=6.0)
                )
            ),
            "specialists.specialist_cost",
        ),
        (
            MarketConfig(generalists=GeneralistConfig(count=2, alpha0=[1.0, 2.0, 3.0])),
            "generalists.alpha0",
        ),
        (MarketConfig(regulator=RegulatorConfig(theta=1.5)), "regulator.theta"),
        (MarketConfig(regulator=RegulatorConfig(mode="whim")), "regulator.mode"),
        (
            MarketConfig(
                generalists=GeneralistConfig(
                    learning=LearningConfig("best_response", {"inertia": 2.0})
                )
            ),
            "inertia",
        ),
    ],
)
def test_bad_parameters_raise_one_clear_error(config, name):
    with pytest.raises(ParameterError) as error:
        MarketModel(config, rng=0)
    message = str(error.value)
    assert name in message
    assert "\n" not in message


def test_bad_seed_and_steps():
    with pytest.raises(ParameterError, match="rng"):
        MarketModel(rng=-1)
    with pytest.raises(ParameterError, match="steps"):
        MarketModel(rng=1).run(-2)


def test_config_from_dict_roundtrip_and_unknown_keys():
    config = busy_config()
    rebuilt = MarketConfig.from_dict(config.to_dict())
    first = MarketModel(config, rng=9).run(5).timeseries()
    second = MarketModel(rebuilt, rng=9).run(5).timeseries()
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    with pytest.raises(ParameterError, match=r"generalists\.colour"):
        MarketConfig.from_dict({"generalists": {"colour": 1}})


def test_closed_firms_price_against_exogenous_frontier():
    config = MarketConfig(
        closed_firms=ClosedFirmConfig(count=2, initial_compute=[4.0, 0.5], levels=1),
        frontier=FrontierConfig(mode="exogenous", compute=1.0),
    )
    model = MarketModel(config, rng=0).run(2)
    np.testing.assert_allclose(model.closed_firms.price, [math.log(4.0), 0.0])


def test_learned_matching_prefers_stronger_models():
    # λ = 0: U_D = (1−δ)α0 + (1−δ)²/(4c_D), so logit specialists favour the larger α0.
    config = MarketConfig(
        generalists=GeneralistConfig(count=2, alpha0=[0.5, 1.5], allow_abstain=False),
        specialists=SpecialistConfig(
            count=200,
            openness_leverage=0.0,
            matching="learned",
            learning=LearningConfig("logit", {"precision": 4.0}),
        ),
    )
    model = MarketModel(config, rng=3).run(40)
    # logit share of the stronger model: 1 / (1 + exp(−4·0.5·1.0)) ≈ 0.881
    assert model.generalists.share[1] == pytest.approx(1 / (1 + math.exp(-2.0)), abs=0.07)


def test_sampled_matching_leaves_abstainers():
    config = MarketConfig(
        generalists=GeneralistConfig(
            count=4, alpha0=[0.5, 0.6, 0.7, 0.8], learning=LearningConfig("fictitious_play")
        ),
        specialists=SpecialistConfig(count=50, matching="sampled", revision_rate=0.5),
    )
    model = MarketModel(config, rng=4).run(30)
    s = model.specialists
    assert s.matched.all()
    assert model.generalists.participates[s.base].all()
    assert model.generalists.derivatives.sum() == 50


def test_roth_erev_runs_with_shifted_payoffs():
    config = MarketConfig(
        generalists=GeneralistConfig(alpha0=2.5, learning=LearningConfig("roth_erev"))
    )
    model = MarketModel(config, rng=0).run(20)
    assert np.isfinite(model.timeseries()["utility_generalists"]).all()


def test_learned_effort_finds_the_best_response():
    # α0 = 1: ω⁰ = 0, so α1* − α0 = (1−δ)/(2c_D) = 0.25, a point of the 0.05-step effort grid.
    config = MarketConfig(
        generalists=GeneralistConfig(alpha0=1.0, learning=LearningConfig("fictitious_play")),
        specialists=SpecialistConfig(effort="learned", effort_levels=41, effort_max=2.0),
    )
    model = MarketModel(config, rng=0).run(20)
    assert model.generalists.openness[0] == 0.0
    assert model.specialists.alpha1[0] == pytest.approx(1.25)
    game = OpennessGame(alpha0=1.0)
    assert model.specialists.utility[0] == pytest.approx(float(specialist_utility(game, 0.0, 0.5)))
    assert model.generalists.utility[0] == pytest.approx(
        float(generalist_utility(game, 0.0, 0.5)), abs=1e-12
    )
