"""The propensity estimator: binned rates, Wilson intervals, quadratic logit, peak tests."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import binomtest

from abm.errors import ParameterError
from abm.stats.propensity import (
    STATUSES,
    binned_rates,
    estimate_propensity,
    fit_quadratic_logit,
    wilson_interval,
)
from abm.theory.open_sourcing import (
    OpenSourcingGame,
    gain_peak,
    open_probability,
    propensity_as_quadratic_logit,
)


def simulate(rng, firms, **parameters):
    """Firms with uniform shares deciding by Model III's logit propensity."""
    shares = rng.uniform(0.0, 1.0, firms)
    opened = rng.uniform(size=firms) < open_probability(OpenSourcingGame(**parameters), shares)
    return shares, opened


def negative_log_likelihood(coefficients, shares, opened):
    index = coefficients[0] + coefficients[1] * shares + coefficients[2] * shares**2
    return float(np.sum(np.logaddexp(0.0, index) - opened * index))


# --- Wilson intervals and binned rates --------------------------------------------------------


@pytest.mark.parametrize(("successes", "trials"), [(0, 10), (5, 10), (10, 10), (3, 97), (81, 263)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(successes, trials, confidence):
    expected = binomtest(successes, trials).proportion_ci(confidence, method="wilson")
    lower, upper = wilson_interval(successes, trials, confidence)
    assert lower == pytest.approx(expected.low, abs=1e-12)
    assert upper == pytest.approx(expected.high, abs=1e-12)


def test_wilson_by_hand_and_empty():
    # 0 of n: the upper bound is z²/(n + z²), z = 1.95996...
    z2 = 1.959963984540054**2
    assert wilson_interval(0, 10)[1] == pytest.approx(z2 / (10 + z2))
    lower, upper = wilson_interval([0, 3], [0, 5])
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert 0 < lower[1] < 0.6 < upper[1] < 1


def test_binned_rates_against_a_loop():
    rng = np.random.default_rng(11)
    shares, opened = simulate(rng, 3000)
    shares[:3] = [0.0, 1.0, 0.5]  # both ends and an interior edge
    table = binned_rates(shares, opened, bins=4)
    edges = [0.0, 0.25, 0.5, 0.75, 1.0]
    for row, (low, high) in enumerate(itertools.pairwise(edges)):
        inside = (shares >= low) & ((shares < high) | ((high == 1.0) & (shares <= 1.0)))
        assert table.loc[row, "firms"] == inside.sum()
        assert table.loc[row, "openers"] == opened[inside].sum()
        assert table.loc[row, "rate"] == pytest.approx(opened[inside].mean())
        assert table.loc[row, "mean_share"] == pytest.approx(shares[inside].mean())
    assert table["firms"].sum() == shares.size
    assert list(table.columns) == [
        "bin",
        "share_lower",
        "share_upper",
        "share_mid",
        "mean_share",
        "firms",
        "openers",
        "rate",
        "rate_lower",
        "rate_upper",
    ]
    assert (table["rate_lower"] <= table["rate"]).all()
    assert (table["rate"] <= table["rate_upper"]).all()


def test_binned_rates_track_the_analytic_curve():
    rng = np.random.default_rng(12)
    shares, opened = simulate(rng, 40_000)
    table = binned_rates(shares, opened, bins=20)
    truth = open_probability(OpenSourcingGame(), table["mean_share"].to_numpy())
    inside = (table["rate_lower"] <= truth) & (truth <= table["rate_upper"])
    # 95% intervals: with 20 bins, expect about one miss; more than 4 would be a red flag.
    assert inside.sum() >= 16
    assert np.abs(table["rate"] - truth).max() < 0.05


def test_binned_rates_edges_and_empty_bins():
    shares = np.array([0.1, 0.15, 0.8, 0.9])
    opened = np.array([True, False, True, True])
    table = binned_rates(shares, opened, bins=[0.0, 0.2, 0.5, 1.0])
    assert table["firms"].tolist() == [2, 0, 2]
    assert np.isnan(table.loc[1, "rate"]) and np.isnan(table.loc[1, "rate_upper"])
    assert table.loc[0, "rate"] == 0.5 and table.loc[2, "rate"] == 1.0
    with pytest.raises(ParameterError, match="cover"):
        binned_rates(shares, opened, bins=[0.2, 0.5, 1.0])
    with pytest.raises(ParameterError, match="increasing"):
        binned_rates(shares, opened, bins=[0.0, 0.5, 0.5, 1.0])
    with pytest.raises(ParameterError, match="bins"):
        binned_rates(shares, opened, bins=0)


# --- the quadratic logit ------------------------------------------------------------------------


def test_fit_matches_an_independent_optimiser():
    rng = np.random.default_rng(21)
    shares, opened = simulate(rng, 1500, precision=8.0)
    fit = fit_quadratic_logit(shares, opened)
    assert fit.status == "ok" and fit.converged
    reference = minimize(
        negative_log_likelihood,
        x0=np.zeros(3),
        args=(shares, opened),
        method="BFGS",
        options={"gtol": 1e-9},
    )
    estimate = np.array([fit.intercept, fit.slope, fit.curvature])
    np.testing.assert_allclose(estimate, reference.x, rtol=1e-4, atol=1e-4)
    assert fit.log_likelihood == pytest.approx(-reference.fun, abs=1e-6)
    # Newton lands where the likelihood is flat: no coordinate step improves it.
    for axis in range(3):
        for step in (-1e-4, 1e-4):
            moved = estimate.copy()
            moved[axis] += step
            assert negative_log_likelihood(moved, shares, opened) > -fit.log_likelihood


def test_standard_errors_are_the_inverse_hessian():
    rng = np.random.default_rng(22)
    shares, opened = simulate(rng, 2000)
    fit = fit_quadratic_logit(shares, opened)
    estimate = np.array([fit.intercept, fit.slope, fit.curvature])
    step = 1e-4
    hessian = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            shift_i, shift_j = np.eye(3)[i] * step, np.eye(3)[j] * step
            hessian[i, j] = (
                negative_log_likelihood(estimate + shift_i + shift_j, shares, opened)
                - negative_log_likelihood(estimate + shift_i - shift_j, shares, opened)
                - negative_log_likelihood(estimate - shift_i + shift_j, shares, opened)
                + negative_log_likelihood(estimate - shift_i - shift_j, shares, opened)
            ) / (4 * step**2)
    covariance = np.linalg.inv(hessian)
    np.testing.assert_allclose(np.array(fit.covariance), covariance, rtol=1e-3)
    np.testing.assert_allclose(
        [fit.intercept_se, fit.slope_se, fit.curvature_se], np.sqrt(np.diag(covariance)), rtol=1e-3
    )


def test_recovers_the_analytic_peak():
    rng = np.random.default_rng(2025)
    shares, opened = simulate(rng, 20_000)
    fit, table = estimate_propensity(shares, opened)
    # Model III's propensity is a quadratic logit: (b0, b1, b2) = (−5, 24, −20).
    truth = np.array(propensity_as_quadratic_logit(OpenSourcingGame()))
    estimate = np.array([fit.intercept, fit.slope, fit.curvature])
    errors = np.array([fit.intercept_se, fit.slope_se, fit.curvature_se])
    assert np.all(np.abs(estimate - truth) < 4 * errors)
    assert fit.peak == pytest.approx(gain_peak(OpenSourcingGame(1.0, 0.2)), abs=0.01)
    assert fit.peak_lower < 0.6 < fit.peak_upper
    assert fit.peak_fieller_lower < 0.6 < fit.peak_fieller_upper
    assert fit.peak_upper - fit.peak_lower < 0.03
    assert fit.interior_peak
    assert fit.curvature_p_value < 1e-10 and fit.u_test_p_value < 1e-10
    assert fit.slope_at_lower > 0 > fit.slope_at_upper
    assert table["fitted_rate"].to_numpy() == pytest.approx(table["rate"].to_numpy(), abs=0.03)


def test_peak_interval_coverage_and_standard_error():
    # Over many seeded markets the 95% peak interval covers s* about 95% of the time and the
    # reported standard error matches the spread of the estimates.
    rng = np.random.default_rng(3)
    peaks, errors, delta_hits, fieller_hits, interior = [], [], 0, 0, 0
    replications = 400
    for _ in range(replications):
        fit = fit_quadratic_logit(*simulate(rng, 800))
        peaks.append(fit.peak)
        errors.append(fit.peak_se)
        delta_hits += fit.peak_lower <= 0.6 <= fit.peak_upper
        fieller_hits += fit.peak_fieller_lower <= 0.6 <= fit.peak_fieller_upper
        interior += fit.interior_peak
    assert 0.92 <= delta_hits / replications <= 0.98
    assert 0.92 <= fieller_hits / replications <= 0.98
    assert np.mean(errors) == pytest.approx(np.std(peaks), rel=0.15)
    assert interior / replications > 0.95


def test_fieller_bounds_solve_their_equation():
    rng = np.random.default_rng(23)
    fit = fit_quadratic_logit(*simulate(rng, 600))
    covariance = np.array(fit.covariance)
    z = 1.959963984540054
    for bound in (fit.peak_fieller_lower, fit.peak_fieller_upper):
        slope = fit.slope + 2 * fit.curvature * bound
        variance = covariance[1, 1] + 4 * bound * covariance[1, 2] + 4 * bound**2 * covariance[2, 2]
        assert slope**2 == pytest.approx(z**2 * variance, rel=1e-8)


def test_monotone_propensity_has_no_interior_peak():
    rng = np.random.default_rng(31)
    shares = rng.uniform(size=5000)
    opened = rng.uniform(size=5000) < 1 / (1 + np.exp(-(6 * shares - 3)))
    fit = fit_quadratic_logit(shares, opened)
    assert fit.status == "ok"
    assert not fit.interior_peak
    assert fit.u_test_p_value > 0.05


def test_u_shaped_propensity_has_no_interior_peak():
    rng = np.random.default_rng(32)
    shares = rng.uniform(size=5000)
    opened = rng.uniform(size=5000) < 1 / (1 + np.exp(-(2 - 12 * shares + 12 * shares**2)))
    fit = fit_quadratic_logit(shares, opened)
    assert fit.curvature > 0 and fit.curvature_p_value > 0.99
    assert not fit.interior_peak


def test_peak_beyond_the_data_fails_the_u_test():
    # ℓ = 0.9, γ = 1: s* = 0.95, but shares only reach 0.7 — the curve still rises there.
    rng = np.random.default_rng(33)
    shares = rng.uniform(0.0, 0.7, 4000)
    opened = rng.uniform(size=4000) < open_probability(
        OpenSourcingGame(1.0, 0.9, 0.0, 20.0), shares
    )
    fit = fit_quadratic_logit(shares, opened)
    assert fit.range_upper == pytest.approx(shares.max())
    assert fit.slope_at_upper > 0
    assert fit.u_test_p_value > 0.5
    assert not fit.interior_peak
    # Over an explicit range the U-test uses the given ends.
    wider = fit_quadratic_logit(shares, opened, test_range=(0.0, 1.0))
    assert (wider.range_lower, wider.range_upper) == (0.0, 1.0)
    assert wider.slope_at_upper == pytest.approx(wider.slope + 2 * wider.curvature)


# --- degenerate and invalid data -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("decide", "status"),
    [
        (lambda s: s > 0.5, "separated"),
        (lambda s: (s > 0.3) & (s < 0.7), "separated"),  # a quadratic splits the classes
        (lambda s: s >= 0.0, "no_variation"),
        (lambda s: s < 0.0, "no_variation"),
    ],
)
def test_degenerate_data_are_flagged(decide, status):
    shares = np.random.default_rng(41).uniform(size=300)
    fit, table = estimate_propensity(shares, decide(shares))
    assert fit.status == status and status in STATUSES
    assert not fit.converged and not fit.interior_peak
    assert np.isnan(fit.peak) and np.isnan(fit.curvature)
    assert table["firms"].sum() == 300
    assert table["fitted_rate"].isna().all()


def test_quasi_separation_is_flagged():
    # Openers and non-openers overlap only at the single share 0.5.
    shares = np.array([0.1, 0.2, 0.3, 0.5, 0.5, 0.7, 0.8, 0.9])
    opened = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert fit_quadratic_logit(shares, opened).status == "separated"


def test_overlapping_small_sample_is_not_flagged():
    shares = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    opened = np.array([0, 1, 0, 1, 1, 0, 1, 0, 0])
    fit = fit_quadratic_logit(shares, opened)
    assert fit.status == "ok"
    assert np.isfinite(fit.curvature_se)


def test_too_few_distinct_shares():
    fit = fit_quadratic_logit([0.2, 0.2, 0.7, 0.7], [0, 1, 1, 0])
    assert fit.status == "too_few_shares"


@pytest.mark.parametrize(
    ("share", "opened", "match"),
    [
        ([0.1, 1.2], [0, 1], "share must be in"),
        ([0.1, np.nan], [0, 1], "share must be in"),
        ([0.1, 0.2], [0, 2], "opened must be boolean"),
        ([0.1, 0.2], ["yes", "no"], "opened must be boolean"),
        ([0.1, 0.2, 0.3], [0, 1], "same length"),
        ([], [], "at least one"),
    ],
)
def test_invalid_inputs_raise_one_line(share, opened, match):
    with pytest.raises(ParameterError, match=match) as error:
        estimate_propensity(share, opened)
    assert "\n" not in str(error.value)


def test_invalid_options_raise():
    shares, opened = simulate(np.random.default_rng(42), 100)
    with pytest.raises(ParameterError, match="confidence"):
        fit_quadratic_logit(shares, opened, confidence=1.0)
    with pytest.raises(ParameterError, match="test_range"):
        fit_quadratic_logit(shares, opened, test_range=(0.6, 0.4))
