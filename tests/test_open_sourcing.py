"""Model III: the gain from opening, the open interval, the peak and the logit propensity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.errors import ParameterError
from abm.theory.open_sourcing import (
    OpenSourcingGame,
    gain_peak,
    interval_statics,
    open_interval,
    open_probability,
    open_sourcing_decision,
    opening_gain,
    opens,
    peak_gain,
    probability_statics,
    propensity_as_quadratic_logit,
    propensity_peak,
)

GRID = np.linspace(0.0, 1.0, 200_001)  # brute-force share grid, step 5e-6

growth_values = st.floats(0.05, 3.0)
licensing_values = st.floats(0.0, 1.0)
edges = st.floats(0.0, 0.5)


# --- the spec's anchors (γ = 1, ℓ = 0.2, κ = 0.05, λ = 20) --------------------------------


def test_anchor_interval():
    lower, upper = open_interval(OpenSourcingGame(1.0, 0.2, 0.05))
    assert lower == pytest.approx(0.268, abs=5e-4)
    assert upper == pytest.approx(0.932, abs=5e-4)


def test_anchor_peak_and_peak_gain():
    assert gain_peak(OpenSourcingGame(1.0, 0.2)) == pytest.approx(0.6)
    assert propensity_peak(OpenSourcingGame(1.0, 0.2)) == pytest.approx(0.6)
    assert opening_gain(OpenSourcingGame(1.0, 0.2, 0.05), 0.6) == pytest.approx(0.11)
    assert peak_gain(OpenSourcingGame(1.0, 0.2, 0.05)) == pytest.approx(0.11)


def test_anchor_probabilities():
    shares = [0.1, 0.3, 0.6, 0.9, 0.99]
    expected = [0.057, 0.599, 0.900, 0.599, 0.301]
    assert open_probability(OpenSourcingGame(1.0, 0.2, 0.05, 20.0), shares) == pytest.approx(
        expected, abs=5e-4
    )


def test_defaults_are_the_anchor():
    assert opening_gain(OpenSourcingGame(), 0.6) == pytest.approx(0.11)
    assert open_probability(OpenSourcingGame(), 0.1) == pytest.approx(0.057, abs=5e-4)
    assert open_interval(OpenSourcingGame())[0] == pytest.approx(0.268, abs=5e-4)


def test_gain_by_hand():
    # Δ(0.3) = 0.3·0.7 − 0.2·0.7 − 0.05 = 0.21 − 0.14 − 0.05 = 0.02.
    assert opening_gain(OpenSourcingGame(), 0.3) == pytest.approx(0.02)
    # Ends: Δ(0) = −(ℓ+κ), Δ(1) = −κ.
    assert opening_gain(OpenSourcingGame(2.0, 0.3, 0.1), 0.0) == pytest.approx(-0.4)
    assert opening_gain(OpenSourcingGame(2.0, 0.3, 0.1), 1.0) == pytest.approx(-0.1)


# --- the interval against brute force -------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(growth_values, licensing_values, edges)
def test_interval_matches_brute_force(growth, licensing, edge):
    lower, upper = open_interval(OpenSourcingGame(growth, licensing, edge))
    positive = GRID[opening_gain(OpenSourcingGame(growth, licensing, edge), GRID) > 0.0]
    if positive.size == 0:
        # Opening never pays on the grid: the interval is absent, or narrower than the grid step.
        assert np.isnan(lower) or upper - lower < 1e-5
        return
    assert np.isfinite(lower) and np.isfinite(upper)
    assert lower == pytest.approx(positive.min(), abs=1e-5)
    assert upper == pytest.approx(positive.max(), abs=1e-5)
    assert 0.0 <= lower < upper <= 1.0


@settings(max_examples=100, deadline=None)
@given(growth_values, licensing_values, edges)
def test_interval_bounds_are_roots(growth, licensing, edge):
    lower, upper = open_interval(OpenSourcingGame(growth, licensing, edge))
    if np.isnan(lower):
        assert np.all(opening_gain(OpenSourcingGame(growth, licensing, edge), GRID[::100]) <= 1e-12)
        return
    for root in (lower, upper):
        assert opening_gain(OpenSourcingGame(growth, licensing, edge), root) == pytest.approx(
            0.0, abs=1e-12
        )
    assert bool(opens(OpenSourcingGame(growth, licensing, edge), (lower + upper) / 2.0))


def test_interval_special_cases():
    # γ = 0: Δ = −ℓ(1−s) − κ ≤ 0, never opens.
    assert np.isnan(open_interval(OpenSourcingGame(0.0, 0.2, 0.05))).all()
    assert np.isnan(open_interval(OpenSourcingGame(0.0, 0.0, 0.0))).all()
    # Negative discriminant: (1.2)² − 4·0.5 < 0.
    assert np.isnan(open_interval(OpenSourcingGame(1.0, 0.2, 0.3))).all()
    # Zero discriminant: Δ touches 0 at s* = 0.6 but is never positive.
    assert np.isnan(open_interval(OpenSourcingGame(1.0, 0.2, 0.16))).all()
    # κ = 0: roots ℓ/γ and 1.
    assert open_interval(OpenSourcingGame(1.0, 0.2, 0.0)) == pytest.approx((0.2, 1.0))
    assert open_interval(OpenSourcingGame(1.0, 0.0, 0.0)) == pytest.approx((0.0, 1.0))
    # ℓ > γ, κ = 0: real roots 1 and ℓ/γ = 1.2, both at or above 1 — never opens in [0, 1].
    assert np.isnan(open_interval(OpenSourcingGame(1.0, 1.2, 0.0))).all()


def test_tiny_growth_value_no_cancellation():
    # For small γ the textbook lower root loses digits; the product of the roots is (ℓ+κ)/γ.
    growth, licensing, edge = 1e-6, 1e-9, 1e-8
    lower, upper = open_interval(OpenSourcingGame(growth, licensing, edge))
    assert lower * upper == pytest.approx((licensing + edge) / growth, rel=1e-9)
    assert lower + upper == pytest.approx((growth + licensing) / growth, rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    growth_values,
    licensing_values,
    edges,
    st.floats(0.0, 0.5),
    st.floats(0.0, 0.5),
)
def test_larger_edge_shrinks_the_interval(growth, licensing, edge, more_licensing, more_edge):
    lower, upper = open_interval(OpenSourcingGame(growth, licensing, edge))
    lower_2, upper_2 = open_interval(
        OpenSourcingGame(growth, licensing + more_licensing, edge + more_edge)
    )
    if np.isnan(lower):
        assert np.isnan(lower_2)
    elif not np.isnan(lower_2):
        assert lower_2 >= lower - 1e-12
        assert upper_2 <= upper + 1e-12


def test_larger_edge_shrinks_the_interval_example():
    base = np.subtract(*open_interval(OpenSourcingGame(1.0, 0.2, 0.05))[::-1])
    wider_edge = np.subtract(*open_interval(OpenSourcingGame(1.0, 0.2, 0.10))[::-1])
    more_licensing = np.subtract(*open_interval(OpenSourcingGame(1.0, 0.3, 0.05))[::-1])
    more_growth = np.subtract(*open_interval(OpenSourcingGame(1.5, 0.2, 0.05))[::-1])
    assert wider_edge < base
    assert more_licensing < base
    assert more_growth > base


# --- peak -----------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.floats(0.05, 3.0), st.floats(0.0, 3.0), edges, st.floats(1.0, 50.0))
def test_peak_is_the_argmax_of_the_propensity(growth, licensing, edge, precision):
    coarse = GRID[::20]
    gains = opening_gain(OpenSourcingGame(growth, licensing, edge), coarse)
    assert propensity_peak(OpenSourcingGame(growth, licensing)) == pytest.approx(
        coarse[np.argmax(gains)], abs=1e-4
    )
    assert peak_gain(OpenSourcingGame(growth, licensing, edge)) == pytest.approx(
        gains.max(), abs=1e-7
    )
    probabilities = open_probability(OpenSourcingGame(growth, licensing, edge, precision), coarse)
    assert probabilities.max() == pytest.approx(
        open_probability(
            OpenSourcingGame(growth, licensing, edge, precision),
            propensity_peak(OpenSourcingGame(growth, licensing)),
        ),
        rel=1e-6,
    )


def test_peak_outside_the_unit_interval_is_clipped():
    # ℓ > γ: Δ peaks at s* = (γ+ℓ)/(2γ) = 1.25 > 1 and rises across [0, 1].
    assert gain_peak(OpenSourcingGame(1.0, 1.5)) == pytest.approx(1.25)
    assert propensity_peak(OpenSourcingGame(1.0, 1.5)) == 1.0
    assert peak_gain(OpenSourcingGame(1.0, 1.5, 0.05)) == pytest.approx(-0.05)
    # γ = 0: Δ is linear; s* is +inf when ℓ > 0 and undefined when ℓ = 0.
    assert gain_peak(OpenSourcingGame(0.0, 0.2)) == np.inf
    assert propensity_peak(OpenSourcingGame(0.0, 0.2)) == 1.0
    assert np.isnan(gain_peak(OpenSourcingGame(0.0, 0.0)))
    assert np.isnan(propensity_peak(OpenSourcingGame(0.0, 0.0)))
    assert peak_gain(OpenSourcingGame(0.0, 0.0, 0.05)) == pytest.approx(-0.05)


def test_interval_exists_iff_peak_gain_positive():
    rng = np.random.default_rng(7)
    growth = rng.uniform(0.0, 2.0, 5000)
    licensing = rng.uniform(0.0, 1.0, 5000)
    edge = rng.uniform(0.0, 0.3, 5000)
    lower, _ = open_interval(OpenSourcingGame(growth, licensing, edge))
    assert np.array_equal(
        np.isfinite(lower), peak_gain(OpenSourcingGame(growth, licensing, edge)) > 0.0
    )


# --- propensity ---------------------------------------------------------------------------


def test_sharp_limit_of_the_propensity():
    shares = np.array([0.1, 0.25, 0.3, 0.6, 0.9, 0.95])
    sharp = open_probability(OpenSourcingGame(precision=1e6), shares)
    assert np.array_equal(sharp > 0.5, opens(OpenSourcingGame(), shares))
    assert np.all((sharp < 1e-9) | (sharp > 1 - 1e-9))


def test_propensity_is_one_half_at_the_interval_bounds():
    lower, upper = open_interval(OpenSourcingGame(1.0, 0.2, 0.05))
    assert open_probability(OpenSourcingGame(precision=37.0), [lower, upper]) == pytest.approx(
        [0.5, 0.5]
    )


def test_propensity_is_a_quadratic_logit():
    intercept, slope, curvature = propensity_as_quadratic_logit(
        OpenSourcingGame(1.0, 0.2, 0.05, 20.0)
    )
    assert (intercept, slope, curvature) == pytest.approx((-5.0, 24.0, -20.0))
    assert -slope / (2 * curvature) == pytest.approx(gain_peak(OpenSourcingGame(1.0, 0.2)))
    shares = np.linspace(0, 1, 11)
    index = intercept + slope * shares + curvature * shares**2
    assert 1 / (1 + np.exp(-index)) == pytest.approx(open_probability(OpenSourcingGame(), shares))


def test_extreme_gain_does_not_warn():
    with np.errstate(all="raise"):
        assert open_probability(OpenSourcingGame(1.0, 100.0, 100.0, 1e4), 0.0) == 0.0


# --- comparative statics --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("growth", "licensing", "edge"),
    [(1.0, 0.2, 0.05), (2.0, 0.5, 0.1), (0.7, 0.05, 0.02), (1.0, 0.0, 0.1)],
)
def test_interval_statics_match_finite_differences(growth, licensing, edge):
    statics = interval_statics(OpenSourcingGame(growth, licensing, edge))
    step = 1e-6

    def difference(function, name, **base):
        up = dict(base, **{name: base[name] + step})
        down = dict(base, **{name: base[name] - step})
        return (
            np.asarray(function(OpenSourcingGame(**up)))
            - np.asarray(function(OpenSourcingGame(**down)))
        ) / (2 * step)

    base = {"growth_value": growth, "licensing": licensing, "edge": edge}
    for name, label in (
        ("licensing", "licensing"),
        ("edge", "edge"),
        ("growth_value", "growth_value"),
    ):
        if base[name] < step:  # one-sided at the boundary ℓ = 0
            up = dict(base, **{name: base[name] + step})
            bounds = (
                np.array(open_interval(OpenSourcingGame(**up)))
                - np.array(open_interval(OpenSourcingGame(**base)))
            ) / step
            gain_change = (
                peak_gain(OpenSourcingGame(**up)) - peak_gain(OpenSourcingGame(**base))
            ) / step
            peak_change = (
                propensity_peak(OpenSourcingGame(up["growth_value"], up["licensing"]))
                - propensity_peak(OpenSourcingGame(growth, licensing))
            ) / step
        else:
            bounds = difference(lambda game: np.array(open_interval(game)), name, **base)
            gain_change = difference(peak_gain, name, **base)
            peak_change = difference(propensity_peak, name, **base)
        assert getattr(statics, f"lower_per_{label}") == pytest.approx(bounds[0], rel=1e-4)
        assert getattr(statics, f"upper_per_{label}") == pytest.approx(bounds[1], rel=1e-4)
        assert getattr(statics, f"width_per_{label}") == pytest.approx(
            bounds[1] - bounds[0], rel=1e-4
        )
        assert getattr(statics, f"peak_gain_per_{label}") == pytest.approx(
            gain_change, rel=1e-4, abs=1e-8
        )
        assert getattr(statics, f"peak_per_{label}") == pytest.approx(
            peak_change, rel=1e-4, abs=1e-8
        )


@settings(max_examples=100, deadline=None)
@given(growth_values, licensing_values, edges)
def test_interval_statics_signs(growth, licensing, edge):
    statics = interval_statics(OpenSourcingGame(growth, licensing, edge))
    if np.isnan(open_interval(OpenSourcingGame(growth, licensing, edge))[0]):
        assert np.isnan(statics.width_per_edge)
        return
    # A larger performance edge (ℓ or κ) shrinks the interval from both ends; γ widens it.
    assert statics.lower_per_licensing >= 0 and statics.upper_per_licensing <= 0
    assert statics.lower_per_edge > 0 and statics.upper_per_edge < 0
    assert statics.width_per_licensing < 0 and statics.width_per_edge < 0
    assert statics.width_per_growth_value >= 0
    if licensing + edge > 1e-9:  # with ℓ = κ = 0 the interval is (0, 1) whatever γ
        assert statics.width_per_growth_value > 0
    assert statics.peak_gain_per_edge == -1.0


def test_interval_statics_clipped_peak():
    statics = interval_statics(OpenSourcingGame(1.0, 1.5, 0.05))
    assert statics.peak_per_licensing == 0.0
    assert statics.peak_per_growth_value == 0.0
    assert statics.peak_gain_per_licensing == 0.0
    assert np.isnan(statics.lower_per_edge)


@pytest.mark.parametrize("share", [0.05, 0.3, 0.6, 0.9])
def test_probability_statics_match_finite_differences(share):
    base = {"share": share, "growth_value": 1.3, "licensing": 0.25, "edge": 0.07, "precision": 12}

    def game_of(parameters):
        return OpenSourcingGame(**{k: v for k, v in parameters.items() if k != "share"})

    statics = probability_statics(game_of(base), share)
    step = 1e-6
    for name, field in (
        ("share", "per_share"),
        ("licensing", "per_licensing"),
        ("edge", "per_edge"),
        ("growth_value", "per_growth_value"),
        ("precision", "per_precision"),
    ):
        up = dict(base, **{name: base[name] + step})
        down = dict(base, **{name: base[name] - step})
        numeric = (
            open_probability(game_of(up), up["share"])
            - open_probability(game_of(down), down["share"])
        ) / (2 * step)
        assert getattr(statics, field) == pytest.approx(numeric, rel=1e-5, abs=1e-10)


# --- vectorisation and validation -------------------------------------------------------------


def test_broadcasting_matches_a_loop():
    shares = np.array([0.1, 0.3, 0.6, 0.9])
    edge_values = np.array([[0.0], [0.05], [0.2]])
    decision = open_sourcing_decision(OpenSourcingGame(1.0, 0.2, edge_values, 20.0), shares)
    assert decision.gain.shape == (3, 4)
    for row, edge in enumerate(edge_values.ravel()):
        for column, share in enumerate(shares):
            single = open_sourcing_decision(OpenSourcingGame(1.0, 0.2, edge, 20.0), share)
            assert decision.gain[row, column] == pytest.approx(float(single.gain))
            assert decision.probability[row, column] == pytest.approx(float(single.probability))
            assert decision.opens[row, column] == bool(single.opens)
            np.testing.assert_allclose(
                [decision.interval_lower[row, column], decision.interval_upper[row, column]],
                [float(single.interval_lower), float(single.interval_upper)],
            )
    assert np.isnan(decision.interval_lower[2]).all()


def test_decision_at_the_anchor():
    decision = open_sourcing_decision(OpenSourcingGame(), 0.6)
    assert bool(decision.opens)
    assert float(decision.probability) == pytest.approx(0.900, abs=5e-4)
    assert float(decision.peak) == pytest.approx(0.6)
    assert float(decision.peak_gain) == pytest.approx(0.11)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: opening_gain(OpenSourcingGame(), 1.5), "share"),
        (lambda: opening_gain(OpenSourcingGame(), -0.1), "share"),
        (lambda: opening_gain(OpenSourcingGame(), np.nan), "share"),
        (lambda: opening_gain(OpenSourcingGame(growth_value=-1.0), 0.5), "growth_value"),
        (lambda: open_interval(OpenSourcingGame(1.0, licensing=-0.1)), "licensing"),
        (lambda: open_interval(OpenSourcingGame(1.0, 0.2, edge=[0.1, -0.1])), "edge"),
        (lambda: open_probability(OpenSourcingGame(precision=0.0), 0.5), "precision"),
        (lambda: open_probability(OpenSourcingGame(precision=-2.0), 0.5), "precision"),
    ],
)
def test_bad_input_raises_one_line(call, name):
    with pytest.raises(ParameterError) as error:
        call()
    message = str(error.value)
    assert message.startswith(name)
    assert "\n" not in message
