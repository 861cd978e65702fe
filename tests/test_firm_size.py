"""Firm size inside the market (Model III as a mechanism): switch, flows, forgone payoffs, V6."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.market import (
    DemandConfig,
    GeneralistConfig,
    LearningConfig,
    MarketConfig,
    MarketModel,
    SpecialistConfig,
)
from abm.market.checks import check_firm_size
from abm.theory.open_sourcing import OpenSourcingGame, opening_gain
from tests.test_market_model import busy_config

COUNTERFACTUAL = LearningConfig("best_response", {"inertia": 0.0}, "counterfactual")
#: sha256 of the model-level time series of ``busy_config(rule)`` (seed 7, 40 periods),
#: computed with the market before the firm-size mechanism existed (main at 81a8da8); logit's
#: recomputed when its prices became one root per niche (the series moved by at most 5e-10);
#: all three when the observables became per-replication sums and each logit markup stopped on
#: its own convergence (batched replications; the series moved by at most 6e-16, relative);
#: logit's when W(e^z) became a table's interpolation and one Halley step (at most 1.2e-15),
#: and when the markup given the aggregate did too (at most 8e-15).
BEFORE = {
    "captive": "e59699a51a7066546928336507645db9aec1e6f499676636716c2371e25f7f67",
    "limit_pricing": "490b8574fc1f06d6c86e54ceb5edcf1cbb7bfc6ee12848192d5c0954a0868e56",
    "logit": "5c96c44d6130296839d2592eb1ce35a99b1a4b14aaf73dca9724093186315ef3",
}


#: The observables the digests cover (those the market had when they were taken).
DIGEST_COLUMNS = [
    "step", "theta", "penalty", "participation", "mean_openness", "openness_q25",
    "openness_median", "openness_q75", "open_share", "share_free", "share_comply", "share_pay",
    "share_abstain", "penalties_paid", "utility_generalists", "utility_specialists",
    "closed_profit", "consumer_surplus", "welfare", "mean_alpha0", "mean_alpha1", "mean_effort",
    "mean_price", "matched_specialists", "hhi", "niche_hhi", "open_frontier", "open_value",
    "closed_mean_compute", "closed_mean_price", "closed_revenue", "upgrade_incentive",
]  # fmt: skip


def _digest(model: MarketModel) -> str:
    values = model.timeseries()[DIGEST_COLUMNS].to_numpy(dtype=float)
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


@pytest.mark.parametrize("rule", ["captive", "limit_pricing", "logit"])
def test_switch_off_is_todays_market_bit_for_bit(rule):
    default = MarketModel(busy_config(rule), rng=7).run(40)
    assert _digest(default) == BEFORE[rule]
    # no in-house applications: the flows' parameters change nothing
    config = busy_config(rule)
    config.firm_size.growth_rate, config.firm_size.licence_margin = 3.0, 0.7
    config.firm_size.edge = 0.4
    off = MarketModel(config, rng=7).run(40)
    assert not off.in_house.on
    frame, expected = off.timeseries(), default.timeseries()
    assert frame.equals(expected)
    assert off.agent_frame().equals(default.agent_frame())


def small_market(**firm_size) -> MarketConfig:
    """Two owners (2 and 6 in-house applications), two outsiders each, one customer-day each."""
    return MarketConfig(
        generalists=GeneralistConfig(
            count=2,
            licensing=0.0,
            reputation=0.0,
            operation=0.0,
            production=0.0,
            compliance=1e-9,
            openness_levels=2,
            allow_abstain=False,
            learning=LearningConfig("logit", {"precision": 20.0}, "counterfactual"),
        ),
        specialists=SpecialistConfig(
            count=4,
            specialist_cost=0.01,
            effort_levels=2,
            effort_learning=COUNTERFACTUAL,
        ),
        demand=DemandConfig(rule="captive"),
        firm_size={"in_house": [2, 6], **firm_size},
        delta=0.0,
    )


def _force(learner, actions) -> None:
    """Make a population's learner play ``actions`` (its proposal is ignored)."""

    def act():
        learner.action = np.asarray(actions, dtype=np.intp)
        return learner.action

    learner.act = act


def forced(owners, config=None) -> MarketModel:
    """One period of ``small_market`` with the owners' actions and full effort forced."""
    model = MarketModel(config or small_market(), rng=3)
    _force(model.generalists.learner, owners)
    _force(model.specialists.effort_learner, [1, 1, 1, 1])
    model.step()
    return model


def test_three_flows_by_hand():
    # owner 0 open (ω = 1), owner 1 closed; outsiders 0, 2 on owner 0 and 1, 3 on owner 1,
    # all at effort 1; γ = 1, ℓ = 0.2, κ = 0.05; α0 = 1, one customer-day per application.
    model = forced([1, 0])
    g, s, ih = model.generalists, model.specialists, model.in_house
    assert ih.share == pytest.approx([0.5, 0.75])  # s = in-house / all on the base
    # growth: open base 0 gains γ × outsiders' effort / all = 2/4 for its in-house apps
    assert ih.boost == pytest.approx([0.5, 0.0])
    assert ih.in_house_revenue == pytest.approx([2 * (1 + 0.5), 6 * 1.0])
    # licence: each outsider on closed base 1 pays ℓ per customer-day it serves
    assert ih.licence_income == pytest.approx([0.0, 2 * 0.2])
    assert s.licence_fee == pytest.approx([0.0, 0.2, 0.0, 0.2])
    # edge: open base 0 loses κ per customer-day served by its 4 applications
    assert ih.edge_loss == pytest.approx([0.05 * 4, 0.0])
    assert g.utility == pytest.approx([3.0 - 0.2 - 1e-9, 6.0 + 0.4], abs=1e-12)
    # outsiders: revenue α0 + e, cost 0.01·e²/(1 + ω), the licence on the closed base
    assert s.utility == pytest.approx([2 - 0.005, 2 - 0.01 - 0.2, 2 - 0.005, 2 - 0.01 - 0.2])


@pytest.mark.parametrize("owner", [0, 1])
def test_forgone_opening_minus_closing_is_the_realised_difference(owner):
    opened = forced([1, 1])
    closed = forced([0 if i == owner else 1 for i in range(2)])  # only ``owner`` closes
    realised = opened.generalists.utility[owner] - closed.generalists.utility[owner]
    for model in (opened, closed):
        forgone = model.generalists.forgone[owner]
        assert forgone[1] - forgone[0] == pytest.approx(realised, abs=1e-12)
    # and the realised difference is Model III's Δ(s) per unit of market size (N = 4 and 8)
    s = opened.in_house.share[owner]
    size = opened.in_house.applications[owner]
    assert realised / size == pytest.approx(
        float(opening_gain(OpenSourcingGame(1.0, 0.2, 0.05), s)) - 1e-9 / size
    )


@pytest.mark.parametrize("rule", ["captive", "limit_pricing", "logit"])
def test_forgone_payoffs_reproduce_realised_ones_with_firm_size(rule):
    config = busy_config(rule)
    config.specialists.learning = LearningConfig("logit", {"precision": 5.0}, "counterfactual")
    config.specialists.effort_learning = COUNTERFACTUAL
    config.firm_size.in_house = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]
    model = MarketModel(config, rng=2)
    assert model.in_house.on
    for _ in range(6):
        model.step()
        g, s = model.generalists, model.specialists
        rows = np.arange(g.count)
        assert np.allclose(g.forgone[rows, g.action], g.utility, atol=1e-9)
        assert np.allclose(s.base_forgone[np.arange(s.count), s.base], s.utility, atol=1e-9)
        own = s.effort_forgone[np.arange(s.count), s.effort_action]
        assert np.allclose(own, s.utility, atol=1e-9)


def test_in_house_counts_are_whole_and_one_per_generalist():
    with pytest.raises(ParameterError, match=r"firm_size\.in_house"):
        MarketConfig(firm_size={"in_house": 1.5})
    with pytest.raises(ParameterError, match=r"firm_size\.in_house"):
        MarketConfig(generalists={"count": 3}, firm_size={"in_house": [1, 2]})
    with pytest.raises(ParameterError, match=r"firm_size\.edge"):
        MarketConfig(firm_size={"edge": -0.1})


def test_v6_the_inverted_u_emerges_from_the_mechanism():
    result = check_firm_size()
    assert result.passed is True
    assert abs(result.figure - 0.6) <= 0.1
    assert result.data["fit"].interior_peak
    assert result.data["correlation"] > 0.9


def test_v6_fails_with_the_mechanism_off():
    assert check_firm_size(mechanism=False).passed is False
    # in-house applications but no flows: no inverted U either
    assert check_firm_size(growth_rate=0.0, licence_margin=0.0, edge=0.0).passed is False
