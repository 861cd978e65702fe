"""Learned prices for closed firms (``closed_firms.pricing = "learned"``): the clearing with fixed
prices, the price learner's state, and the switch off (today's market)."""

from __future__ import annotations

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.market.clearing import Clearing
from abm.market.config import MarketConfig
from abm.market.model import MarketModel

SIGMA = 0.25


def _products(seed: int = 0):
    rng = np.random.default_rng(seed)
    niche = np.array([0, 0, 1, 1, 1, 2, 2])
    value = rng.uniform(1.0, 3.0, niche.size)
    size = np.array([10.0, 20.0, 30.0])
    outside = np.array([0.5, 1.0, 0.2])
    return niche, value, np.ones(niche.size, dtype=bool), size, outside


def _clear(fixed=None, seed=0):
    return Clearing("logit", *_products(seed), 1.0 / SIGMA, fixed_price=fixed)


FIELDS = ("price", "share", "revenue", "consumer_surplus")


def test_no_fixed_price_is_the_clearing_bit_for_bit():
    base = _clear()
    for fixed in (None, np.full(7, np.nan)):
        other = _clear(fixed)
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(other, name), getattr(base, name))


def test_fixed_prices_at_the_bertrand_nash_prices_clear_as_before():
    base = _clear()
    fixed = np.full(7, np.nan)
    fixed[[1, 3, 5]] = base.price[[1, 3, 5]]
    held = _clear(fixed)
    for name in FIELDS:
        np.testing.assert_allclose(getattr(held, name), getattr(base, name), rtol=1e-12)


def test_the_others_best_respond_to_fixed_prices():
    niche, value, _, size, outside = _products()
    fixed = np.full(7, np.nan)
    fixed[[1, 3, 5, 6]] = [1.5, 2.0, 0.9, 1.1]  # niche 2 has only fixed prices
    held = _clear(fixed)
    free = np.isnan(fixed)
    np.testing.assert_array_equal(held.price[~free], fixed[~free])
    # the best responders' first-order condition p = σ/(1 − s)
    np.testing.assert_allclose(held.price[free], SIGMA / (1.0 - held.share[free]), rtol=1e-12)
    utility = (value - held.price) / SIGMA
    for m in range(3):
        inside = niche == m
        total = np.exp(outside[m] / SIGMA) + np.exp(utility[inside]).sum()
        np.testing.assert_allclose(held.share[inside], np.exp(utility[inside]) / total, rtol=1e-12)
        np.testing.assert_allclose(
            held.consumer_surplus[m], size[m] * SIGMA * np.log(total), rtol=1e-12
        )
    np.testing.assert_allclose(held.revenue, size[niche] * held.price * held.share, rtol=1e-12)
    # deviations: at the action played, the realised revenue; a fixed price stays fixed
    own = held.deviation_revenue(niche, value, np.arange(7))
    np.testing.assert_allclose(own, held.revenue, rtol=1e-12)
    at_grid = held.price_deviation_revenue(np.array([1, 3]), np.array([1.5, 2.0, 2.5]))
    np.testing.assert_allclose(at_grid[[0, 1], [0, 1]], held.revenue[[1, 3]], rtol=1e-12)
    better = held.deviation_revenue(niche[1], value[1] + 0.3, 1)
    share = 1.0 / (1.0 + np.exp(np.logaddexp(held.rival_log[1], outside[0] / SIGMA)
                                - (value[1] + 0.3 - 1.5) / SIGMA))  # fmt: skip
    np.testing.assert_allclose(better, size[0] * 1.5 * share, rtol=1e-12)


def _learned(**closed) -> MarketConfig:
    return MarketConfig.parse(
        {
            "closed_firms": {"count": 4, "levels": 2, "pricing": "learned", **closed},
            "demand": {"rule": "logit", "niches": 2, "precision": 1.0 / SIGMA},
            "specialists": {"count": 4},
        }
    )


def test_learned_prices_sit_on_the_grid_and_the_state_is_the_niches_last_prices():
    model = MarketModel(_learned(), rng=2)
    firms = model.closed_firms
    grid = SIGMA * np.linspace(1.0, 4.0, 15)
    np.testing.assert_allclose(firms.price_grid, grid)
    assert firms.price_learner.rule.n_states == 15**2  # two closed firms per niche
    for _ in range(30):
        model.step()
        index = firms.price_index
        np.testing.assert_array_equal(firms.price, grid[index])
        # firm f sells in niche f mod 2: firms (0, 2) share niche 0, (1, 3) niche 1
        expected = np.array([15 * index[0] + index[2], 15 * index[1] + index[3]])[firms.niche]
        np.testing.assert_array_equal(firms.price_state, expected)
        np.testing.assert_array_equal(firms.price_learner.rule.states, expected)
        clearing = model.clearing
        free = np.isnan(np.append(np.full(clearing.price.size - 4, np.nan), firms.price))
        np.testing.assert_allclose(
            clearing.price[free], SIGMA / (1.0 - clearing.share[free]), rtol=1e-10
        )
    assert firms.price_learner.rule.periods == 30


def test_learned_prices_with_counterfactual_information_see_every_grid_price():
    model = MarketModel(
        _learned(price_learning={"rule": "hedge", "information": "counterfactual"}), rng=0
    )
    model.run(5)
    firms = model.closed_firms
    assert firms.price_learner.rule.n_states == 1
    realised = firms.price_forgone[np.arange(4), firms.price_index]
    np.testing.assert_allclose(realised, firms.profit, rtol=1e-12)


def test_learned_pricing_is_refused_where_it_cannot_clear():
    with pytest.raises(ParameterError, match=r"learned prices need demand\.rule = 'logit'"):
        MarketConfig.parse({"closed_firms": {"count": 2, "pricing": "learned"}})
    with pytest.raises(ParameterError, match="n_states is set by the market"):
        _learned(price_learning={"params": {"n_states": 4}})
    with pytest.raises(ParameterError, match="price_high must exceed"):
        _learned(price_low=2.0, price_high=1.0)


def test_switch_off_is_todays_market():
    config = _learned().to_dict()
    config["closed_firms"]["pricing"] = "best_response"
    off = MarketModel(MarketConfig.parse(config), rng=5).run(20)
    del config["closed_firms"]["pricing"]
    default = MarketModel(MarketConfig.parse(config), rng=5).run(20)
    assert off.closed_firms.price_learner is None and off.closed_firms.fixed_price is None
    assert off.timeseries().equals(default.timeseries())
