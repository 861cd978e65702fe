"""Model II (the open-vs-closed race): spec anchors, propositions, extensions, Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.errors import ParameterError
from abm.theory import race
from abm.theory.race import RaceMarket
from abm.theory.value_functions import (
    custom_value,
    log_value,
    power_value,
    resolve_value,
)

ANCHOR = {"customers": 1.0, "days": 365}
LN = math.log


# --- spec anchors (f = ln, n = 1, m = 365, x = 1) --------------------------------------------


def test_anchor_upgrade_gain_without_catchup_is_506():
    gain = race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(**ANCHOR))
    assert gain == pytest.approx(365 * LN(4), rel=1e-12)
    assert round(float(gain), 1) == 506.0


@pytest.mark.parametrize(
    ("catchup", "expected", "shown"),
    [
        (3.0, 365 * LN(4), 506.0),
        (4.0, 365 * LN(4), 506.0),
        (8.0, 100 * LN(4) + 265 * LN(2), 322.3),
        (16.0, 100 * LN(4), 138.6),
        (32.0, 100 * LN(4), 138.6),
    ],
)
def test_anchor_upgrade_gain_with_catchup(catchup, expected, shown):
    gain = race.upgrade_gain(
        4.0, 16.0, 1.0, RaceMarket(catchup_compute=catchup, catchup_day=100, **ANCHOR)
    )
    assert gain == pytest.approx(expected, rel=1e-12)
    assert round(float(gain), 1) == shown


def test_anchor_continuous_spends_are_365_and_100():
    assert race.full_horizon_spend(RaceMarket(**ANCHOR)) == pytest.approx(365.0, rel=1e-14)
    assert race.retreat_spend(RaceMarket(catchup_day=100, **ANCHOR)) == pytest.approx(
        100.0, rel=1e-14
    )


def test_anchor_switching_threshold_is_about_218_9():
    # π_A = π_B: 365·ln 365 − 100·ln 1 − 265·ln x̂ − 365 = 100·ln 100 − 100.
    exact = math.exp((365 * LN(365) - 100 * LN(100) - 265) / 265)
    threshold = race.switching_threshold(1.0, RaceMarket(catchup_day=100, **ANCHOR))
    assert threshold == pytest.approx(exact, rel=1e-13)
    assert round(float(threshold), 1) == 218.9


@pytest.mark.parametrize(("catchup", "spend"), [(1.0, 365.0), (218.8, 365.0), (219.0, 100.0)])
def test_anchor_optimal_spend_switches_from_365_to_100(catchup, spend):
    result = race.optimal_spend(1.0, RaceMarket(catchup_compute=catchup, catchup_day=100, **ANCHOR))
    assert result.spend == pytest.approx(spend, rel=1e-14)


def test_anchor_optimal_spend_flips_exactly_at_the_threshold():
    threshold = float(race.switching_threshold(1.0, RaceMarket(catchup_day=100, **ANCHOR)))
    below = race.optimal_spend(
        1.0, RaceMarket(catchup_compute=threshold * (1 - 1e-9), catchup_day=100, **ANCHOR)
    )
    above = race.optimal_spend(
        1.0, RaceMarket(catchup_compute=threshold * (1 + 1e-9), catchup_day=100, **ANCHOR)
    )
    assert (float(below.spend), float(above.spend)) == (365.0, 100.0)
    at = {"catchup_compute": threshold, "catchup_day": 100, **ANCHOR}
    assert race.spend_profit(365.0, 1.0, RaceMarket(**at)) == pytest.approx(
        race.spend_profit(100.0, 1.0, RaceMarket(**at)), rel=1e-12
    )


# --- value functions ---------------------------------------------------------------------------


@pytest.mark.parametrize("curve", [log_value(), power_value(2.0, 0.3)])
def test_value_function_inverses_round_trip(curve):
    compute = np.geomspace(0.01, 1e6, 50)
    np.testing.assert_allclose(curve.compute_for_value(curve(compute)), compute, rtol=1e-12)
    np.testing.assert_allclose(curve.compute_for_slope(curve.slope(compute)), compute, rtol=1e-12)
    step = 1e-6 * compute
    numeric = (curve(compute + step) - curve(compute - step)) / (2 * step)
    np.testing.assert_allclose(curve.slope(compute), numeric, rtol=1e-6)


def test_power_value_is_a_times_x_to_gamma():
    curve = power_value(3.0, 0.4)
    assert curve(32.0) == pytest.approx(3.0 * 32.0**0.4, rel=1e-15)
    assert curve(0.0) == 0.0


@pytest.mark.parametrize("exponent", [1.0, 1.5, 0.0, -0.5])
def test_power_value_rejects_exponent_outside_unit_interval(exponent):
    with pytest.raises(ParameterError, match="exponent"):
        power_value(1.0, exponent)


def test_custom_value_numeric_inverses_match_closed_forms():
    closed = power_value(1.5, 0.6)
    numeric = custom_value(lambda x: 1.5 * x**0.6, lambda x: 0.9 * x ** (-0.4))
    levels = np.array([0.1, 1.0, 7.3, 250.0])
    np.testing.assert_allclose(
        numeric.compute_for_value(levels), closed.compute_for_value(levels), rtol=1e-12
    )
    np.testing.assert_allclose(
        numeric.compute_for_slope(levels), closed.compute_for_slope(levels), rtol=1e-12
    )


def test_resolve_value_accepts_names_callables_and_pairs():
    assert resolve_value("log").name == "log"
    assert resolve_value("power").name.startswith("power")
    assert resolve_value(np.sqrt).marginal is None
    assert resolve_value((np.log, lambda x: 1 / x)).marginal is not None
    with pytest.raises(ParameterError, match="value must be one of"):
        resolve_value("cubic")


def test_optimising_spend_without_a_derivative_is_an_error():
    with pytest.raises(ParameterError, match="derivative"):
        race.optimal_spend(1.0, RaceMarket(value=np.log, **ANCHOR))


# --- P1 and P2 ---------------------------------------------------------------------------------

CURVES = [log_value(), power_value(1.0, 0.5), power_value(2.5, 0.2)]


@settings(max_examples=60, deadline=None)
@given(
    curve_index=st.integers(0, len(CURVES) - 1),
    open_low=st.floats(0.01, 10.0),
    open_high=st.floats(0.01, 10.0),
    closed_ratio=st.floats(1.0, 100.0),
    upgrade_ratio=st.floats(1.0, 100.0),
    customers=st.floats(0.0, 1e4),
    days=st.integers(1, 2000),
)
def test_p1_upgrade_gain_does_not_depend_on_the_open_model(
    curve_index, open_low, open_high, closed_ratio, upgrade_ratio, customers, days
):
    curve = CURVES[curve_index]
    closed = max(open_low, open_high) * closed_ratio
    upgrade = closed * upgrade_ratio
    market = {"customers": customers, "days": days, "value": curve}
    expected = customers * days * (curve(upgrade) - curve(closed))
    for open_compute in (open_low, open_high):
        gain = race.upgrade_gain(closed, upgrade, open_compute, RaceMarket(**market))
        # + 1e-300: customers may be subnormal (5e-324), where the scaled tolerance underflows.
        assert gain == pytest.approx(expected, rel=1e-9, abs=1e-9 * customers * days + 1e-300)


def _spec_p2(curve, customers, days, open_compute, closed, upgrade, catchup, day):
    """The spec's P2, written out piece by piece."""
    if catchup <= closed:
        return customers * days * (curve(upgrade) - curve(closed))
    late = max(0.0, float(curve(upgrade) - curve(catchup)))
    return customers * (day * (curve(upgrade) - curve(closed)) + (days - day) * late)


def test_p2_matches_the_spec_formula_and_is_monotone_in_the_catchup():
    rng = np.random.default_rng(20250101)
    for _ in range(40):
        curve = CURVES[rng.integers(len(CURVES))]
        open_compute = rng.uniform(0.1, 5.0)
        closed = open_compute * rng.uniform(1.0, 20.0)
        upgrade = closed * rng.uniform(1.0, 20.0)
        days = int(rng.integers(1, 1000))
        day = int(rng.integers(0, days + 1))
        customers = rng.uniform(0.0, 100.0)
        catchups = np.sort(open_compute * np.geomspace(1.0, 1e4, 300))
        market = {"customers": customers, "days": days, "value": curve, "catchup_day": day}
        gains = race.upgrade_gain(
            closed, upgrade, open_compute, RaceMarket(catchup_compute=catchups, **market)
        )
        expected = [
            _spec_p2(curve, customers, days, open_compute, closed, upgrade, c, day)
            for c in catchups
        ]
        np.testing.assert_allclose(gains, expected, rtol=1e-10, atol=1e-10 * customers * days)
        assert np.all(np.diff(gains) <= 1e-9 * max(1.0, float(np.max(np.abs(gains)))))


def test_revenue_is_n_m_times_premium_and_zero_for_a_model_no_better_than_open():
    assert race.closed_revenue(4.0, 1.0, RaceMarket(customers=3.0, days=10)) == pytest.approx(
        30 * LN(4)
    )
    assert race.closed_revenue(1.0, 1.0, RaceMarket(**ANCHOR)) == 0.0
    assert race.closed_revenue(0.5, 1.0, RaceMarket(**ANCHOR)) == 0.0


def test_functions_broadcast_over_firms():
    closed = np.array([2.0, 4.0, 8.0])
    catchups = np.array([[3.0], [9.0]])
    market = {"catchup_day": 100, **ANCHOR}
    gains = race.upgrade_gain(closed, 16.0, 1.0, RaceMarket(catchup_compute=catchups, **market))
    assert gains.shape == (2, 3)
    for i, catchup in enumerate(catchups[:, 0]):
        for j, compute in enumerate(closed):
            single = race.upgrade_gain(
                compute, 16.0, 1.0, RaceMarket(catchup_compute=catchup, **market)
            )
            assert gains[i, j] == pytest.approx(float(single), rel=1e-14)
    spends = race.optimal_spend(
        np.array([1.0, 2.0]), RaceMarket(catchup_compute=catchups, **market)
    ).spend
    assert spends.shape == (2, 2)


# --- P3 ----------------------------------------------------------------------------------------


def _brute_force_profit(spend, curve, customers, days, day, open_compute, catchup):
    first = np.maximum(0.0, curve(spend) - curve(open_compute))
    second = np.maximum(0.0, curve(spend) - curve(catchup))
    return customers * (day * first + (days - day) * second) - spend


def test_p3_optimal_spend_matches_brute_force_and_never_exceeds_z_star():
    rng = np.random.default_rng(7)
    for _ in range(60):
        curve = CURVES[rng.integers(len(CURVES))]
        customers = rng.uniform(0.05, 20.0)
        days = int(rng.integers(2, 800))
        day = int(rng.integers(0, days + 1))
        open_compute = rng.uniform(0.05, 3.0)
        catchup = open_compute * np.exp(rng.uniform(0.0, 9.0))
        market = {"customers": customers, "days": days, "value": curve}
        z_star = float(race.full_horizon_spend(RaceMarket(**market)))
        result = race.optimal_spend(
            open_compute, RaceMarket(catchup_compute=catchup, catchup_day=day, **market)
        )
        grid = np.concatenate([[0.0], np.geomspace(1e-4, 20 * max(z_star, catchup), 200_001)])
        profits = _brute_force_profit(grid, curve, customers, days, day, open_compute, catchup)
        profits[0] = 0.0
        best = float(np.max(profits))
        scale = max(1.0, abs(best))
        assert float(result.profit) >= best - 1e-9 * scale
        assert float(result.profit) <= best + 1e-4 * scale  # the grid is fine but finite
        assert float(result.spend) <= z_star * (1 + 1e-12)
        no_catchup = race.optimal_spend(open_compute, RaceMarket(**market))
        assert float(result.spend) <= float(no_catchup.spend) * (1 + 1e-12)


def test_p3_power_closed_forms():
    # n·m·Aγ·z^(γ−1) = 1  ⇒  z* = (n·m·A·γ)^(1/(1−γ)).
    curve = power_value(2.0, 0.25)
    market = {"customers": 3.0, "days": 200, "value": curve}
    assert race.full_horizon_spend(RaceMarket(**market)) == pytest.approx(
        (3 * 200 * 2 * 0.25) ** (1 / 0.75)
    )
    assert race.retreat_spend(RaceMarket(catchup_day=50, **market)) == pytest.approx(
        (3 * 50 * 2 * 0.25) ** (1 / 0.75)
    )


@pytest.mark.parametrize(
    ("closed_form", "numeric"),
    [
        (log_value(), custom_value(np.log, lambda x: 1.0 / x)),
        (power_value(1.0, 0.5), custom_value(np.sqrt, lambda x: 0.5 / np.sqrt(x))),
    ],
)
def test_p3_threshold_of_a_user_callable_matches_the_closed_form(closed_form, numeric):
    market = {"customers": 2.0, "days": 365, "catchup_day": 80}
    for open_compute in (0.5, 1.0, 3.0):
        exact = race.switching_threshold(open_compute, RaceMarket(value=closed_form, **market))
        found = race.switching_threshold(open_compute, RaceMarket(value=numeric, **market))
        assert math.isfinite(float(exact))
        assert found == pytest.approx(float(exact), rel=1e-11)
        spend = race.optimal_spend(
            open_compute, RaceMarket(value=numeric, catchup_compute=exact * 1.01, **market)
        )
        assert spend.spend == pytest.approx(
            float(race.retreat_spend(RaceMarket(value=closed_form, **market))), rel=1e-10
        )


def test_p3_threshold_lies_between_retreat_and_full_spend_and_makes_profits_equal():
    rng = np.random.default_rng(11)
    for _ in range(30):
        curve = CURVES[rng.integers(len(CURVES))]
        days = int(rng.integers(10, 800))
        market = {
            "customers": rng.uniform(0.5, 10.0),
            "days": days,
            "value": curve,
            "catchup_day": int(rng.integers(1, days)),
        }
        open_compute = rng.uniform(0.05, 1.0)
        threshold = float(race.switching_threshold(open_compute, RaceMarket(**market)))
        full = float(
            race.full_horizon_spend(
                RaceMarket(**{k: v for k, v in market.items() if k != "catchup_day"})
            )
        )
        retreat = float(race.retreat_spend(RaceMarket(**market)))
        if not math.isfinite(threshold):
            continue
        assert open_compute <= threshold < full
        at = {"catchup_compute": threshold, **market}
        keep = float(race.spend_profit(full, open_compute, RaceMarket(**at)))
        fallback = max(
            0.0,
            float(race.spend_profit(max(retreat, open_compute), open_compute, RaceMarket(**at))),
        )
        assert keep == pytest.approx(fallback, rel=1e-9, abs=1e-9 * full)


def test_p3_threshold_is_infinite_without_a_catchup_in_the_horizon_and_nan_when_unprofitable():
    assert race.switching_threshold(1.0, RaceMarket(catchup_day=365, **ANCHOR)) == math.inf
    # n·m = 1: z* = 1 = x, training never beats the open model.
    assert math.isnan(
        float(race.switching_threshold(1.0, RaceMarket(catchup_day=0, customers=1.0, days=1)))
    )


# --- extension: several closed firms (vertical Bertrand) ----------------------------------------


def test_rival_switched_off_equals_base():
    rng = np.random.default_rng(3)
    open_compute = rng.uniform(0.5, 2.0, 100)
    closed = open_compute * rng.uniform(1.0, 50.0, 100)
    catchup = open_compute * rng.uniform(1.0, 100.0, 100)
    market = {"customers": 5.0, "days": 300, "catchup_compute": catchup, "catchup_day": 120}
    base = race.closed_revenue(closed, open_compute, RaceMarket(**market))
    for rival in (None, 0.0, open_compute * rng.uniform(0.0, 1.0, 100)):
        np.testing.assert_allclose(
            race.closed_revenue(closed, open_compute, RaceMarket(rival_compute=rival, **market)),
            base,
            rtol=1e-12,
            atol=0,
        )


def test_rival_prices_the_leader_down_and_equal_rivals_undercut_to_zero():
    market = {**ANCHOR}
    assert race.closed_revenue(4.0, 1.0, RaceMarket(rival_compute=2.0, **market)) == pytest.approx(
        365 * LN(2)
    )
    assert race.closed_revenue(4.0, 1.0, RaceMarket(rival_compute=4.0, **market)) == 0.0
    assert race.closed_revenue(4.0, 1.0, RaceMarket(rival_compute=8.0, **market)) == 0.0


def test_best_rival_is_the_best_other_firm():
    computes = np.array([[3.0, 9.0, 5.0], [7.0, 7.0, 1.0]])
    np.testing.assert_array_equal(race.best_rival(computes), [[9.0, 5.0, 9.0], [7.0, 7.0, 7.0]])
    np.testing.assert_array_equal(
        race.best_rival(computes.T, axis=0), [[9.0, 7.0], [5.0, 7.0], [9.0, 7.0]]
    )
    np.testing.assert_array_equal(race.best_rival([4.0]), [0.0])


# --- extension: discounting ---------------------------------------------------------------------


def test_discount_switched_off_equals_base():
    rng = np.random.default_rng(5)
    closed = rng.uniform(2.0, 30.0, 50)
    market = {"customers": 2.0, "days": 365, "catchup_compute": 10.0, "catchup_day": 90}
    np.testing.assert_allclose(
        race.upgrade_gain(closed, 40.0, 1.0, RaceMarket(discount=1.0, **market)),
        race.upgrade_gain(closed, 40.0, 1.0, RaceMarket(**market)),
        rtol=1e-12,
    )
    assert race.discounted_days(0, 365, 1.0) == 365.0


@pytest.mark.parametrize("discount", [0.5, 0.99, 0.999, 1 - 1e-9])
def test_discounted_revenue_equals_a_day_by_day_sum(discount):
    days, day, customers = 200, 70, 3.0
    weights = discount ** np.arange(days)
    prices = np.where(np.arange(days) < day, LN(16 / 1), max(0.0, LN(16 / 9)))
    expected = customers * float(np.sum(weights * prices))
    revenue = race.closed_revenue(
        16.0,
        1.0,
        RaceMarket(
            customers=customers, days=days, catchup_compute=9.0, catchup_day=day, discount=discount
        ),
    )
    assert revenue == pytest.approx(expected, rel=1e-10)


def test_discounted_optimal_spend_uses_the_geometric_series():
    # log: z* = n·Σ_{t<m} dᵗ; z_a = n·Σ_{t<k} dᵗ.
    market = {"customers": 2.0, "days": 365, "discount": 0.995}
    assert race.full_horizon_spend(RaceMarket(**market)) == pytest.approx(
        2 * sum(0.995**t for t in range(365))
    )
    assert race.retreat_spend(RaceMarket(catchup_day=100, **market)) == pytest.approx(
        2 * sum(0.995**t for t in range(100))
    )


# --- extension: uncertain catch-up day (constant hazard) -----------------------------------------


def _enumerated_gain(hazard, day, discount, **market):
    """Σ_K P(K)·gain(K) over the whole distribution of K = k + G, capped at the horizon."""
    days = market["days"]
    total = 0.0
    for wait in range(days - day):
        probability = hazard * (1 - hazard) ** wait
        total += probability * float(
            race.upgrade_gain(
                4.0, 16.0, 1.0, RaceMarket(catchup_day=day + wait, discount=discount, **market)
            )
        )
    tail = (1 - hazard) ** (days - day)
    total += tail * float(
        race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(catchup_day=days, discount=discount, **market))
    )
    return total


@pytest.mark.parametrize(("hazard", "discount"), [(0.02, 1.0), (0.1, 0.99), (0.5, 0.999)])
def test_hazard_closed_form_equals_enumeration_over_catchup_days(hazard, discount):
    market = {"customers": 1.0, "days": 365, "catchup_compute": 8.0}
    closed_form = race.upgrade_gain(
        4.0, 16.0, 1.0, RaceMarket(catchup_day=100, hazard=hazard, discount=discount, **market)
    )
    assert closed_form == pytest.approx(
        _enumerated_gain(hazard, 100, discount, **market), rel=1e-10
    )


@pytest.mark.parametrize(("hazard", "discount"), [(0.01, 1.0), (0.05, 0.995)])
def test_hazard_closed_form_against_seeded_monte_carlo(hazard, discount):
    market = {
        "customers": 1.0,
        "days": 365,
        "catchup_compute": np.array([3.0, 8.0, 12.0]),
        "discount": discount,
    }
    closed_form = race.upgrade_gain(
        4.0, 16.0, 1.0, RaceMarket(catchup_day=100, hazard=hazard, **market)
    )
    mean, error = race.monte_carlo_upgrade_gain(
        4.0,
        16.0,
        1.0,
        RaceMarket(catchup_day=100, hazard=hazard, **market),
        rng=np.random.default_rng(12345),
        draws=100_000,
    )
    assert np.all(np.abs(mean - closed_form) <= 4 * error + 1e-9)
    assert np.all(error < 0.01 * closed_form)


def test_hazard_switched_off_equals_base():
    market = {"catchup_compute": np.geomspace(1, 100, 40), "catchup_day": 100, **ANCHOR}
    base = race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(**market))
    np.testing.assert_allclose(
        race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(hazard=None, **market)), base, rtol=1e-12
    )
    np.testing.assert_allclose(
        race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(hazard=1.0, **market)), base, rtol=1e-12
    )
    never = race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(hazard=0.0, **market))
    np.testing.assert_allclose(never, 365 * LN(4), rtol=1e-12)


def test_hazard_optimal_spend_uses_expected_days():
    # log: z_a = n·E[min(K, m)] = n·(k + (1 − h)(1 − (1 − h)^(m−k))/h).
    hazard = 0.04
    expected = 100 + (1 - hazard) * (1 - (1 - hazard) ** 265) / hazard
    assert race.retreat_spend(
        RaceMarket(catchup_day=100, hazard=hazard, **ANCHOR)
    ) == pytest.approx(expected)


# --- extension: heterogeneous valuations -------------------------------------------------------


def test_uniform_price_capture_is_the_best_single_price():
    rng = np.random.default_rng(17)
    for _ in range(50):
        valuations = rng.lognormal(0.0, 0.8, int(rng.integers(1, 40)))
        prices = np.unique(np.concatenate([valuations, rng.uniform(0, valuations.max(), 500)]))
        revenue = [price * np.mean(valuations >= price) for price in prices]
        assert race.uniform_price_capture(valuations) == pytest.approx(max(revenue), rel=1e-12)
        assert race.discrimination_capture(valuations) == pytest.approx(np.mean(valuations))


def test_pricing_comparison_reports_uniform_discriminating_and_loss():
    valuations = [0.5, 1.0, 1.5]  # uniform: price 1.0 to two of three (2/3) beats 0.5·3/3, 1.5/3
    market = {"valuations": valuations, **ANCHOR}
    result = race.pricing_comparison(4.0, 1.0, RaceMarket(**market))
    premium = 365 * LN(4)
    assert result.uniform == pytest.approx(premium * 2 / 3)
    assert result.discriminating == pytest.approx(premium * 1.0)
    assert result.loss == pytest.approx(premium / 3)
    assert race.closed_revenue(
        4.0, 1.0, RaceMarket(pricing="discriminate", **market)
    ) == pytest.approx(premium)


def test_valuations_switched_off_equal_base():
    rng = np.random.default_rng(19)
    closed = rng.uniform(2.0, 50.0, 30)
    market = {"catchup_compute": 20.0, "catchup_day": 100, **ANCHOR}
    base = race.upgrade_gain(closed, 64.0, 1.0, RaceMarket(**market))
    for pricing in ("uniform", "discriminate"):
        for count in (1, 7, 1000):
            np.testing.assert_allclose(
                race.upgrade_gain(
                    closed,
                    64.0,
                    1.0,
                    RaceMarket(valuations=np.ones(count), pricing=pricing, **market),
                ),
                base,
                rtol=1e-12,
            )


# --- extension: substitution across niches and the undercut -------------------------------------


def test_substitution_switched_off_equals_base():
    rng = np.random.default_rng(23)
    closed = rng.uniform(2.0, 50.0, 30)
    market = {"catchup_compute": 20.0, "catchup_day": 100, **ANCHOR}
    base = race.upgrade_gain(closed, 64.0, 1.0, RaceMarket(**market))
    for share, discount in ((0.0, rng.uniform()), (rng.uniform(), 1.0), (0.0, 0.0)):
        np.testing.assert_allclose(
            race.upgrade_gain(
                closed,
                64.0,
                1.0,
                RaceMarket(substitution=share, substitution_discount=discount, **market),
            ),
            base,
            rtol=1e-12,
        )
    np.testing.assert_allclose(
        race.upgrade_gain(closed, 64.0, 1.0, RaceMarket(undercut=0.0, **market)), base, rtol=1e-12
    )


def test_substitution_adds_discounted_cross_niche_buyers():
    base = race.closed_revenue(4.0, 1.0, RaceMarket(**ANCHOR))
    with_cross = race.closed_revenue(
        4.0, 1.0, RaceMarket(substitution=0.5, substitution_discount=0.2, **ANCHOR)
    )
    assert with_cross == pytest.approx(base * (1 + 0.5 * 0.8), rel=1e-14)
    undercut = race.closed_revenue(4.0, 1.0, RaceMarket(undercut=0.1, **ANCHOR))
    assert undercut == pytest.approx(base * 0.9, rel=1e-14)
    # log: more effective buyers N scale z* = N·m.
    assert race.full_horizon_spend(
        RaceMarket(substitution=0.5, substitution_discount=0.2, **ANCHOR)
    ) == (pytest.approx(365 * 1.4))


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "days must be in"),
        ({"days": -3}, "days must be in"),
        ({"customers": -1.0}, "customers must be in"),
        ({"catchup_compute": 8.0, "catchup_day": 400}, "catchup_day must be in"),
        ({"catchup_compute": 8.0}, "catchup_day is required"),
        ({"catchup_compute": 0.5, "catchup_day": 10}, "catchup_compute must be at least"),
        ({"discount": 0.0}, "discount must be in"),
        ({"catchup_compute": 8.0, "catchup_day": 10, "hazard": 1.5}, "hazard must be in"),
        ({"substitution": 2.0}, "substitution must be in"),
        ({"valuations": [1.0, -1.0]}, "valuations must be in"),
        ({"pricing": "auction"}, "pricing must be one of"),
        ({"undercut": 1.0}, "undercut must be in"),
        ({"value": "cubic"}, "value must be one of"),
    ],
)
def test_bad_input_raises_one_line_parameter_error(kwargs, message):
    with pytest.raises(ParameterError, match=message) as error:
        race.upgrade_gain(4.0, 16.0, 1.0, RaceMarket(**kwargs))
    assert "\n" not in str(error.value)


def test_bad_compute_is_rejected():
    with pytest.raises(ParameterError, match="open_compute"):
        race.closed_revenue(4.0, 0.0, RaceMarket(**ANCHOR))
    with pytest.raises(ParameterError, match="closed_compute"):
        race.closed_revenue(-4.0, 1.0, RaceMarket(**ANCHOR))


@pytest.mark.parametrize("catchup", [900.0, 15_000.0])  # below and above the threshold (≈ 9558)
def test_p3_with_every_extension_on_matches_brute_force_over_catchup_days(catchup):
    # Expected profit of spend z = Σ_K P(K)·profit(z | catch-up on day K): the closed form's
    # expected day-weights must give the same optimum as this enumeration.
    hazard, day, days = 0.03, 40, 200
    market = {
        "customers": 2.0,
        "days": days,
        "value": power_value(1.0, 0.5),
        "catchup_compute": catchup,
        "discount": 0.998,
        "rival_compute": 1.5,
        "valuations": [0.4, 1.0, 1.3, 2.0],
        "substitution": 0.3,
        "substitution_discount": 0.5,
        "undercut": 0.02,
    }
    grid = np.concatenate([[0.0], np.geomspace(1.0, 1e6, 40_001)])
    expected = np.zeros_like(grid)
    for wait in range(days - day + 1):
        probability = hazard * (1 - hazard) ** wait if day + wait < days else (1 - hazard) ** wait
        expected += probability * race.spend_profit(
            grid, 1.0, RaceMarket(catchup_day=day + wait, **market)
        )
    result = race.optimal_spend(1.0, RaceMarket(catchup_day=day, hazard=hazard, **market))
    best = float(np.max(expected))
    assert float(result.profit) >= best - 1e-9 * best
    assert float(result.profit) <= best + 1e-5 * best
    assert float(result.spend) == pytest.approx(float(grid[np.argmax(expected)]), rel=1e-3)
    assert float(
        race.spend_profit(result.spend, 1.0, RaceMarket(catchup_day=day, hazard=hazard, **market))
    ) == (pytest.approx(float(result.profit), rel=1e-12))
