"""The race inside the market: each extension switch reduces to the base case when off, and when
on it moves revenue and the upgrade incentive as Model II's theory module computes."""

from __future__ import annotations

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.market import MarketConfig, MarketModel
from abm.market.checks import race_config
from abm.market.clearing import Clearing, SubstitutingClearing, niche_valuations
from abm.theory.race import (
    RaceMarket,
    closed_revenue,
    discrimination_capture,
    full_horizon_spend,
    uniform_price_capture,
    upgrade_gain,
)

DAYS = 365  # race_config: x = 1, y = 4, catch-up day 100, horizon 365 days, one day per period


def _series(model: MarketModel) -> np.ndarray:
    return model.timeseries().to_numpy(dtype=float)


# --- an uncertain catch-up (hazard) ---------------------------------------------------------


def test_hazard_one_is_the_sure_catchup_bit_for_bit():
    sure = MarketModel(race_config(catchup=8.0), rng=3).run(150)
    config = race_config(catchup=8.0)
    config.frontier.catchup_hazard = 1.0
    again = MarketModel(config, rng=3).run(150)
    np.testing.assert_array_equal(_series(sure), _series(again))


def _hazard_config(hazard: float, catchup_period: int = 10, levels: int = 1) -> MarketConfig:
    config = race_config(levels=levels, catchup=8.0)
    config.frontier.catchup_hazard = hazard
    config.frontier.catchup_period = catchup_period
    return config


def test_hazard_delays_the_catchup_as_a_geometric_arrival():
    # per period h = 0.1 from period 10 on: P(arrived by period t) = 1 − (1 − h)^(t − 9)
    hazard, runs, horizon = 0.1, 120, 40
    arrived = np.zeros(horizon)
    for seed in range(runs):
        model = MarketModel(_hazard_config(hazard), rng=seed).run(horizon)
        arrived += model.timeseries()["open_frontier"].to_numpy()[1:] == 8.0
    periods = np.arange(horizon)
    expected = np.where(periods >= 10, 1.0 - (1.0 - hazard) ** (periods - 9), 0.0)
    error = np.sqrt(expected * (1.0 - expected) / runs)
    assert np.all(np.abs(arrived / runs - expected) <= 4.0 * error + 1e-12)


def test_a_later_catchup_keeps_the_upgrade_incentive_higher_as_model_two_says():
    # P2 with x′ = 8 > y = 4: upgrading to z = 16 gains f(z) − f(y) a day before the catch-up
    # and f(z) − f(x′) after it, so every period the catch-up is late adds f(x′) − f(y) > 0
    before, after = np.log(16.0 / 4.0), np.log(16.0 / 8.0)
    horizon, sums = 120, []
    for seed in range(5):
        model = MarketModel(_hazard_config(0.05), rng=seed).run(horizon)
        frame = model.timeseries().iloc[1:]
        late = int(np.count_nonzero(frame["open_frontier"].to_numpy() < 8.0))
        total = float(frame["upgrade_incentive"].sum())
        assert total == pytest.approx(late * before + (horizon - late) * after, rel=1e-12)
        sums.append(total)
    sure = MarketModel(_hazard_config(1.0), rng=0).run(horizon).timeseries().iloc[1:]
    theory = upgrade_gain(
        4.0, 16.0, 1.0, RaceMarket(days=horizon, catchup_compute=8.0, catchup_day=10)
    )
    assert float(sure["upgrade_incentive"].sum()) == pytest.approx(float(theory), rel=1e-12)
    assert min(sums) >= float(theory)  # a hazard only delays: the gain never falls
    with_hazard = upgrade_gain(
        4.0, 16.0, 1.0, RaceMarket(days=horizon, catchup_compute=8.0, catchup_day=10, hazard=0.05)
    )
    assert float(with_hazard) > float(theory)  # and Model II agrees on the direction


# --- several closed firms per niche -----------------------------------------------------------


def test_two_closed_firms_in_one_niche_price_against_the_best_rival():
    config = race_config(catchup=0.0)
    config.closed_firms.count = 2  # firm f sells in niche f mod 1: both in the one niche
    config.closed_firms.initial_compute = [4.0, 2.0]
    model = MarketModel(config, rng=0).run(DAYS)
    c = model.closed_firms
    market = RaceMarket(rival_compute=2.0)
    assert c.cumulative_revenue[0] == pytest.approx(float(closed_revenue(4.0, 1.0, market)))
    assert c.cumulative_revenue[1] == 0.0  # the weaker closed model prices at zero
    assert np.log(4.0 / 2.0) * DAYS == pytest.approx(c.cumulative_revenue[0])
    # a rival closed model above the open one lowers the leader's revenue (its outside option)
    alone = MarketModel(race_config(catchup=0.0), rng=0).run(DAYS).closed_firms
    assert alone.cumulative_revenue[0] > c.cumulative_revenue[0]


def test_equal_closed_rivals_undercut_to_zero():
    config = race_config(catchup=0.0)
    config.closed_firms.count = 2
    model = MarketModel(config, rng=0).run(10)
    assert model.closed_firms.cumulative_revenue.tolist() == [0.0, 0.0]


# --- heterogeneous customers: uniform price or price discrimination ------------------------


SCALES = [np.array([2.0, 1.5, 1.0, 0.6, 0.3]), np.array([1.0, 1.0]), np.array([0.4, 3.0, 0.2])]


@pytest.mark.parametrize("pricing", ["uniform", "discriminate"])
def test_niche_valuations_match_model_two_captures(pricing):
    summary = niche_valuations(SCALES, pricing, days=2.0)
    capture = uniform_price_capture if pricing == "uniform" else discrimination_capture
    for k, scales in enumerate(SCALES):
        # the theory's capture is per customer; the market's counts customer-days
        assert summary.capture[k] == pytest.approx(2.0 * scales.size * float(capture(scales)))
        # brute force over every uniform price vᵢ·Δ: who buys, and what it earns
        if pricing == "uniform":
            revenues = [v * np.count_nonzero(scales >= v) for v in scales]
            best = scales[int(np.argmax(revenues))]
            assert summary.buyers[k] == pytest.approx(2.0 * np.count_nonzero(scales >= best))


def test_limit_pricing_with_valuations_charges_the_uniform_price_and_keeps_the_rest():
    scales = SCALES[0]
    valuations = niche_valuations([scales], "uniform", days=1.0)
    niche, value = np.array([0, 0]), np.array([3.0, 1.0])
    clearing = Clearing(
        "limit_pricing",
        niche,
        value,
        np.zeros(2, bool),
        np.array([5.0]),
        np.array([0.5]),
        valuations=valuations,
    )
    premium = 3.0 - 1.0  # the rival derivative (1.0) beats the open model (0.5)
    revenues = [v * premium * np.count_nonzero(scales >= v) for v in scales]
    assert clearing.revenue[0] == pytest.approx(max(revenues))
    assert clearing.revenue[1] == 0.0
    price = clearing.price[0]
    buyers = scales[scales * premium >= price - 1e-12]
    surplus = scales.sum() * 1.0 + np.sum(buyers * premium - price)
    assert clearing.consumer_surplus[0] == pytest.approx(surplus)


@pytest.mark.parametrize("pricing", ["uniform", "discriminate"])
def test_a_closed_firm_with_varied_customers_earns_model_two_revenue(pricing):
    scales = [2.0, 1.5, 1.0, 0.6, 0.3]
    config = race_config(catchup=8.0)
    config.demand.customers = 5.0
    config.demand.valuations = scales  # one value per customer
    config.demand.pricing = pricing
    model = MarketModel(config, rng=0).run(DAYS)
    market = RaceMarket(
        customers=5.0,
        catchup_compute=8.0,
        catchup_day=100,
        valuations=np.array(scales),
        pricing=pricing,
    )
    assert model.closed_firms.cumulative_revenue[0] == pytest.approx(
        float(closed_revenue(4.0, 1.0, market)), rel=1e-12
    )


def test_uniform_pricing_loses_revenue_against_discrimination():
    revenue = {}
    for pricing in ("uniform", "discriminate"):
        config = race_config(catchup=0.0)
        config.demand.customers = 5.0
        config.demand.valuations = [2.0, 1.5, 1.0, 0.6, 0.3]
        config.demand.pricing = pricing
        revenue[pricing] = MarketModel(config, rng=0).run(20).closed_firms.cumulative_revenue[0]
    assert revenue["uniform"] < revenue["discriminate"]


def test_valuations_of_one_are_identical_customers_bit_for_bit():
    base = MarketModel(race_config(catchup=8.0), rng=1).run(120)
    config = race_config(catchup=8.0)
    config.demand.valuations = 1.0
    config.demand.pricing = "discriminate"
    again = MarketModel(config, rng=1).run(120)
    np.testing.assert_array_equal(_series(base), _series(again))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rule": "logit", "valuations": [1.0, 2.0]}, "demand.valuations: varied valuations need"),
        ({"rule": "captive", "substitution": 0.5}, "demand.substitution: substitution across"),
        (
            {
                "rule": "limit_pricing",
                "customers": 2.5,
                "valuations": {"kind": "uniform", "low": 0.5, "high": 1.5},
            },
            "whole number",
        ),
    ],
)
def test_varied_valuations_are_refused_where_they_do_not_apply(changes, message):
    with pytest.raises(ParameterError, match=message):
        MarketConfig.from_dict({"demand": changes})


# --- substitution across niches -----------------------------------------------------------------


@pytest.mark.parametrize(("share", "discount"), [(0.5, 0.0), (0.3, 0.4), (1.0, 1.0)])
def test_substitution_adds_model_two_revenue_and_upgrade_gain(share, discount):
    config = race_config(catchup=8.0)
    config.demand.substitution = share
    config.demand.substitution_discount = discount
    model = MarketModel(config, rng=0).run(DAYS)
    market = RaceMarket(
        catchup_compute=8.0,
        catchup_day=100,
        substitution=share,
        substitution_discount=discount,
    )
    firms = model.closed_firms
    assert firms.cumulative_revenue[0] == pytest.approx(float(closed_revenue(4.0, 1.0, market)))
    incentive = float(model.timeseries()["upgrade_incentive"].iloc[1:].sum())
    assert incentive == pytest.approx(float(upgrade_gain(4.0, 16.0, 1.0, market)))


def test_substitution_off_is_the_base_case_bit_for_bit():
    base = MarketModel(race_config(catchup=8.0), rng=2).run(60)
    config = race_config(catchup=8.0)
    config.demand.substitution_discount = 0.7  # without σ nothing substitutes
    np.testing.assert_array_equal(_series(base), _series(MarketModel(config, rng=2).run(60)))


def test_substitutes_serve_the_next_niche_and_leave_its_own_products_alone():
    # two niches, one closed firm each (y = 4 and y = 16), logit demand: each firm also sells
    # to σ of the other niche's customers, in a segment of its own
    niche, value = np.array([0, 1]), np.log(np.array([4.0, 16.0]))
    size, outside = np.array([3.0, 5.0]), np.zeros(2)
    plain = Clearing("logit", niche, value, np.ones(2, bool), size, outside, 4.0)
    both = SubstitutingClearing(
        "logit", niche, value, np.ones(2, bool), size, outside, 4.0, substitution=0.5, discount=0.2
    )
    np.testing.assert_allclose(both.price, plain.price)  # the niches price as before
    segment = Clearing(
        "logit", niche, 0.8 * value, np.ones(2, bool), 0.5 * size[::-1], outside, 4.0
    )
    np.testing.assert_allclose(both.revenue, plain.revenue + segment.revenue)
    np.testing.assert_allclose(
        both.consumer_surplus, plain.consumer_surplus + segment.consumer_surplus[::-1]
    )
    # a deviation re-prices in both places
    again = both.deviation_revenue(niche, value, np.arange(2))
    np.testing.assert_allclose(again, both.revenue)


# --- discounting --------------------------------------------------------------------------------


def test_discount_one_is_the_base_case_bit_for_bit():
    base = MarketModel(race_config(levels=2, compute_cost=1.0, catchup=8.0), rng=5).run(120)
    config = race_config(levels=2, compute_cost=1.0, catchup=8.0)
    config.closed_firms.discount = 1.0
    np.testing.assert_array_equal(_series(base), _series(MarketModel(config, rng=5).run(120)))


def test_the_discounted_compute_annuity_has_the_present_value_of_the_compute():
    config = race_config(compute_cost=2.5)
    config.closed_firms.discount = 0.99
    firms = MarketModel(config, rng=0).closed_firms
    daily = firms.amortised_cost(np.array([16.0]), 1.0)[0]
    present_value = daily * np.sum(0.99 ** np.arange(DAYS))
    assert present_value == pytest.approx(2.5 * 16.0, rel=1e-12)


def test_discounting_lowers_the_compute_a_firm_keeps_as_model_two_says():
    from abm.market import LearningConfig

    chosen, optimum = {}, {}
    for discount in (1.0, 0.995, 0.98):
        config = race_config(
            levels=10,
            compute_cost=1.0,
            catchup=0.0,
            learning=LearningConfig("best_response", {"inertia": 0.0}, "counterfactual"),
        )
        config.closed_firms.upgrade_factor = 2.0  # levels 4, 8, …, 2048
        config.closed_firms.discount = discount
        model = MarketModel(config, rng=0).run(5)
        chosen[discount] = float(model.closed_firms.compute[0])
        # brute force over the ladder: per day ln(y) − y/A, A the discounted days
        ladder = 4.0 * 2.0 ** np.arange(10)
        annuity = model.closed_firms.annuity_days
        assert chosen[discount] == ladder[np.argmax(np.log(ladder) - ladder / annuity)]
        optimum[discount] = float(full_horizon_spend(RaceMarket(discount=discount)))
        assert optimum[discount] == pytest.approx(annuity)  # log value: z* = n·W
        assert optimum[discount] / 2.0 <= chosen[discount] <= 2.0 * optimum[discount]
    assert chosen[1.0] > chosen[0.995] > chosen[0.98]  # and z* falls with it
    assert optimum[1.0] > optimum[0.995] > optimum[0.98]
