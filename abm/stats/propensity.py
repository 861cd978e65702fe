"""Estimating the propensity to open-source against firm size, from many firms' decisions.

The market model measures each owner's share s (of the specialists built on its models) and
whether it opened; Model III predicts an inverted U, P(open) = logistic(λΔ(s)) with Δ a
concave quadratic in s. This module estimates that curve from (share, opened) pairs in two
ways:

- binned rates: the share of openers in share bins, with Wilson score intervals;
- a quadratic logit, P(open) = logistic(b0 + b1·s + b2·s²), fitted by maximum likelihood
  (Newton–Raphson), with Wald standard errors from the observed Fisher information, the fitted
  peak −b1/(2b2) with a delta-method and a Fieller interval, and tests for an interior peak:
  the curvature b2 < 0 (one-sided Wald test) and the Lind–Mehlum (2010) U-test (the slope of
  the logit index is positive at the low end of the share range and negative at the high end).

Model III's propensity is itself a quadratic logit (b0 = −λ(ℓ+κ), b1 = λ(γ+ℓ), b2 = −λγ), so
on data simulated from it the fit is correctly specified and recovers s* = (γ+ℓ)/(2γ).

Degenerate data are flagged, not raised: a :class:`QuadraticLogitFit` carries a ``status``
(``"ok"``, ``"no_variation"``, ``"too_few_shares"``, ``"separated"``, ``"not_converged"``);
when it is not ``"ok"`` the estimates are NaN and ``interior_peak`` is False. Invalid inputs
(shares outside [0, 1], non-binary decisions, mismatched lengths) raise ``ParameterError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linprog
from scipy.special import expit, ndtr, ndtri

from abm.errors import ParameterError, check_range

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]

#: Values of :attr:`QuadraticLogitFit.status`.
STATUSES: tuple[str, ...] = ("ok", "no_variation", "too_few_shares", "separated", "not_converged")

_MAX_ITERATIONS = 100
_STEP_TOLERANCE = 1e-10


def _observations(share: ArrayLike, opened: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Flatten and check the inputs; return shares and decisions as floats (0/1)."""
    shares = np.asarray(share, dtype=float).ravel()
    raw = np.asarray(opened)
    if raw.size != shares.size:
        raise ParameterError(
            f"share and opened must have the same length, got {shares.size} and {raw.size}"
        )
    if shares.size == 0:
        raise ParameterError("share and opened must hold at least one firm, got none")
    check_range("share", shares, 0.0, 1.0)
    try:
        decisions = raw.ravel().astype(float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"opened must be boolean (True/False or 1/0), got dtype {raw.dtype}"
        ) from None
    bad = ~np.isin(decisions, (0.0, 1.0))
    if np.any(bad):
        raise ParameterError(
            f"opened must be boolean (True/False or 1/0), got {raw.ravel()[bad][0]!r}"
        )
    return shares, decisions


def _check_confidence(confidence: float) -> float:
    check_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    return float(confidence)


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    The interval is the set of p with |k/n − p| ≤ z·√(p(1−p)/n), z the two-sided normal
    quantile: centre (k/n + z²/(2n)) / (1 + z²/n), half-width
    z/(1 + z²/n)·√(k/n·(1−k/n)/n + z²/(4n²)). Unlike the Wald interval it stays inside [0, 1]
    and is not degenerate at 0 or n successes.

    Args:
        successes: Counts k ≥ 0.
        trials: Counts n ≥ k; NaN bounds where n = 0.
        confidence: Coverage in (0, 1).

    Returns:
        ``(lower, upper)`` arrays broadcast over the arguments.
    """
    level = _check_confidence(confidence)
    hits = np.asarray(successes, dtype=float)
    total = np.asarray(trials, dtype=float)
    check_range("successes", hits, 0.0)
    check_range("trials", total, 0.0)
    if np.any(hits > total):
        raise ParameterError("successes must not exceed trials")
    z = ndtri(0.5 + level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = hits / total
        shrink = 1.0 + z**2 / total
        centre = (rate + z**2 / (2.0 * total)) / shrink
        half = z / shrink * np.sqrt(rate * (1.0 - rate) / total + z**2 / (4.0 * total**2))
    lower = np.where(total > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    upper = np.where(total > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lower, upper


def _bin_edges(shares: FloatArray, bins: int | Sequence[float]) -> FloatArray:
    if isinstance(bins, (int, np.integer)):
        if bins < 1:
            raise ParameterError(f"bins must be a positive integer or a list of edges, got {bins}")
        return np.linspace(0.0, 1.0, int(bins) + 1)
    edges = np.asarray(bins, dtype=float).ravel()
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ParameterError("bins must be at least two strictly increasing edges")
    check_range("bins", edges, 0.0, 1.0)
    if shares.min() < edges[0] or shares.max() > edges[-1]:
        raise ParameterError(
            f"bins must cover every share: edges span [{edges[0]:g}, {edges[-1]:g}], "
            f"shares span [{shares.min():g}, {shares.max():g}]"
        )
    return edges


def binned_rates(
    share: ArrayLike,
    opened: ArrayLike,
    bins: int | Sequence[float] = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The share of firms that opened, per bin of firm share, with Wilson intervals.

    Bins are right-open, [a, b), except the last, which also holds its right edge.

    Args:
        share: Each firm's share s ∈ [0, 1].
        opened: Whether each firm opened (bool or 0/1).
        bins: The number of equal-width bins on [0, 1], or the bin edges (strictly increasing,
            within [0, 1], covering every share).
        confidence: Coverage of the intervals.

    Returns:
        A tidy DataFrame, one row per bin (empty bins kept, with NaN rates): ``bin``,
        ``share_lower``, ``share_upper``, ``share_mid``, ``mean_share``, ``firms``,
        ``openers``, ``rate``, ``rate_lower``, ``rate_upper``.
    """
    import pandas as pd

    shares, decisions = _observations(share, opened)
    level = _check_confidence(confidence)
    edges = _bin_edges(shares, bins)
    count = edges.size - 1
    index = np.clip(np.searchsorted(edges, shares, side="right") - 1, 0, count - 1)
    firms = np.bincount(index, minlength=count).astype(float)
    openers = np.bincount(index, weights=decisions, minlength=count)
    share_sums = np.bincount(index, weights=shares, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(firms > 0, openers / firms, np.nan)
        mean_share = np.where(firms > 0, share_sums / firms, np.nan)
    lower, upper = wilson_interval(openers, firms, level)
    return pd.DataFrame(
        {
            "bin": np.arange(count),
            "share_lower": edges[:-1],
            "share_upper": edges[1:],
            "share_mid": (edges[:-1] + edges[1:]) / 2.0,
            "mean_share": mean_share,
            "firms": firms.astype(int),
            "openers": openers.astype(int),
            "rate": rate,
            "rate_lower": lower,
            "rate_upper": upper,
        }
    )


@dataclass(frozen=True)
class QuadraticLogitFit:
    """A quadratic logit P(open) = logistic(b0 + b1·s + b2·s²) and its interior-peak tests.

    Estimates are NaN (and ``interior_peak`` False) unless ``status`` is ``"ok"``.

    Attributes:
        status: ``"ok"``; ``"no_variation"`` (all firms decided alike); ``"too_few_shares"``
            (fewer than three distinct shares: the quadratic is not identified);
            ``"separated"`` (a quadratic in s splits openers from the rest, (quasi-)completely,
            so the maximum-likelihood estimate does not exist); ``"not_converged"``.
        firms: Number of observations.
        openers: Number of firms that opened.
        confidence: Coverage of the intervals; the tests use the level 1 − confidence.
        intercept: b0.
        slope: b1.
        curvature: b2; negative for an inverted U.
        intercept_se: Standard error of b0.
        slope_se: Standard error of b1.
        curvature_se: Standard error of b2.
        covariance: The 3×3 covariance of (b0, b1, b2), inverse Fisher information.
        log_likelihood: The maximised log-likelihood.
        iterations: Newton iterations used.
        peak: The fitted turning point −b1/(2b2) (a peak when b2 < 0).
        peak_se: Its delta-method standard error.
        peak_lower: Lower delta-method bound of the peak, peak − z·peak_se.
        peak_upper: Upper delta-method bound.
        peak_fieller_lower: Lower Fieller bound: the shares where the slope b1 + 2b2·s is not
            significantly non-zero; −inf when that set is unbounded.
        peak_fieller_upper: Upper Fieller bound, +inf when unbounded.
        curvature_p_value: One-sided p-value of b2 < 0 (Wald).
        range_lower: Low end of the share range the U-test uses.
        range_upper: High end of the share range the U-test uses.
        slope_at_lower: Slope of the logit index at the low end, b1 + 2b2·range_lower.
        slope_at_upper: Slope at the high end.
        slope_at_lower_p_value: One-sided p-value of a positive slope at the low end.
        slope_at_upper_p_value: One-sided p-value of a negative slope at the high end.
        u_test_p_value: Lind–Mehlum p-value, the larger of the two slope p-values.
        interior_peak: True when b2 < 0 significantly, the peak's delta-method interval lies
            inside (0, 1) and the U-test rejects, each at the level 1 − confidence.
    """

    status: str
    firms: int
    openers: int
    confidence: float
    intercept: float
    slope: float
    curvature: float
    intercept_se: float
    slope_se: float
    curvature_se: float
    covariance: tuple[tuple[float, float, float], ...]
    log_likelihood: float
    iterations: int
    peak: float
    peak_se: float
    peak_lower: float
    peak_upper: float
    peak_fieller_lower: float
    peak_fieller_upper: float
    curvature_p_value: float
    range_lower: float
    range_upper: float
    slope_at_lower: float
    slope_at_upper: float
    slope_at_lower_p_value: float
    slope_at_upper_p_value: float
    u_test_p_value: float
    interior_peak: bool

    @property
    def converged(self) -> bool:
        """Whether the fit produced estimates (status ``"ok"``)."""
        return self.status == "ok"

    def probability(self, share: ArrayLike) -> FloatArray:
        """The fitted P(open) at the given shares (NaN unless the fit is ``"ok"``)."""
        shares = np.asarray(share, dtype=float)
        return expit(self.intercept + self.slope * shares + self.curvature * shares**2)


def _failed(
    status: str, firms: int, openers: int, level: float, lower: float, upper: float
) -> QuadraticLogitFit:
    nan = float("nan")
    return QuadraticLogitFit(
        status=status,
        firms=firms,
        openers=openers,
        confidence=level,
        intercept=nan,
        slope=nan,
        curvature=nan,
        intercept_se=nan,
        slope_se=nan,
        curvature_se=nan,
        covariance=((nan, nan, nan),) * 3,
        log_likelihood=nan,
        iterations=0,
        peak=nan,
        peak_se=nan,
        peak_lower=nan,
        peak_upper=nan,
        peak_fieller_lower=nan,
        peak_fieller_upper=nan,
        curvature_p_value=nan,
        range_lower=lower,
        range_upper=upper,
        slope_at_lower=nan,
        slope_at_upper=nan,
        slope_at_lower_p_value=nan,
        slope_at_upper_p_value=nan,
        u_test_p_value=nan,
        interior_peak=False,
    )


def _separated(design: FloatArray, decisions: FloatArray) -> bool:
    """Whether some β ≠ 0 has (2y−1)·xᵢ'β ≥ 0 for every firm (quasi-)complete separation.

    Then the likelihood keeps rising along β and no maximum exists (Albert and Anderson 1984).
    The linear programme max Σ(2y−1)·xᵢ'β over |β| ≤ 1 subject to those constraints has the
    optimum 0 exactly when no such β exists (given a full-rank design).
    """
    signed = design * (2.0 * decisions - 1.0)[:, None]
    result = linprog(
        c=-signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(len(signed)),
        bounds=[(-1.0, 1.0)] * design.shape[1],
        method="highs",
    )
    if result.status != 0:  # pragma: no cover - a bounded, feasible LP; HiGHS should solve it
        return False
    return -result.fun > 1e-9 * len(signed)


def _newton(design: FloatArray, decisions: FloatArray) -> tuple[FloatArray, FloatArray, int, bool]:
    """Maximise the logit log-likelihood by Newton–Raphson with step halving."""

    def log_likelihood(coefficients: FloatArray) -> float:
        index = design @ coefficients
        return float(np.sum(decisions * index - np.logaddexp(0.0, index)))

    coefficients = np.zeros(design.shape[1])
    mean = decisions.mean()
    coefficients[0] = np.log(mean / (1.0 - mean))  # start at the constant-only fit
    current = log_likelihood(coefficients)
    information = np.eye(design.shape[1])
    for iteration in range(1, _MAX_ITERATIONS + 1):
        probability = expit(design @ coefficients)
        gradient = design.T @ (decisions - probability)
        information = (design * (probability * (1.0 - probability))[:, None]).T @ design
        try:
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            return coefficients, information, iteration, False
        # Halve the step until the likelihood does not fall (Newton can overshoot far from
        # the optimum; the logit likelihood is concave, so this always terminates).
        for _ in range(50):
            trial = log_likelihood(coefficients + step)
            if trial >= current - 1e-12 * abs(current):
                break
            step = step / 2.0
        coefficients = coefficients + step
        current = log_likelihood(coefficients)
        if np.max(np.abs(step)) < _STEP_TOLERANCE:
            probability = expit(design @ coefficients)
            information = (design * (probability * (1.0 - probability))[:, None]).T @ design
            return coefficients, information, iteration, True
    return coefficients, information, _MAX_ITERATIONS, False


def fit_quadratic_logit(
    share: ArrayLike,
    opened: ArrayLike,
    confidence: float = 0.95,
    test_range: tuple[float, float] | None = None,
) -> QuadraticLogitFit:
    """Fit P(open) = logistic(b0 + b1·s + b2·s²) by maximum likelihood and test for a peak.

    The fit runs on the standardised share u = (s − mean)/sd, for a well-conditioned design,
    and maps the coefficients and their covariance back to s (a linear map, exactly). Standard
    errors come from the inverse Fisher information XᵀWX at the optimum, W = diag(P(1−P)).

    Args:
        share: Each firm's share s ∈ [0, 1].
        opened: Whether each firm opened (bool or 0/1).
        confidence: Coverage of the intervals; the tests use the level 1 − confidence.
        test_range: The share range (low, high) of the Lind–Mehlum U-test; by default the
            observed range of shares (min, max), as in Lind and Mehlum (2010).

    Returns:
        A :class:`QuadraticLogitFit`; check its ``status`` before using the estimates.
    """
    shares, decisions = _observations(share, opened)
    level = _check_confidence(confidence)
    if test_range is None:
        low, high = float(shares.min()), float(shares.max())
    else:
        low, high = (float(bound) for bound in test_range)
        check_range("test_range", [low, high], 0.0, 1.0)
        if not low < high:
            raise ParameterError(
                f"test_range must be (low, high) with low < high, got {test_range}"
            )
    firms, openers = int(shares.size), int(decisions.sum())
    if openers in (0, firms):
        return _failed("no_variation", firms, openers, level, low, high)
    if np.unique(shares).size < 3:
        return _failed("too_few_shares", firms, openers, level, low, high)

    centre, scale = float(shares.mean()), float(shares.std())
    standard = (shares - centre) / scale
    design = np.column_stack([np.ones_like(standard), standard, standard**2])
    if _separated(design, decisions):
        return _failed("separated", firms, openers, level, low, high)
    coefficients, information, iterations, converged = _newton(design, decisions)
    if not converged:
        return _failed("not_converged", firms, openers, level, low, high)

    # η = a0 + a1·u + a2·u², u = (s − c)/h  ⇒  b = T·a with the T below.
    transform = np.array(
        [
            [1.0, -centre / scale, centre**2 / scale**2],
            [0.0, 1.0 / scale, -2.0 * centre / scale**2],
            [0.0, 0.0, 1.0 / scale**2],
        ]
    )
    intercept, slope, curvature = transform @ coefficients
    covariance = transform @ np.linalg.inv(information) @ transform.T
    errors = np.sqrt(np.diag(covariance))
    index = design @ coefficients
    log_likelihood = float(np.sum(decisions * index - np.logaddexp(0.0, index)))

    z = float(ndtri(0.5 + level / 2.0))
    alpha = 1.0 - level
    var_slope, cov_slope_curv, var_curv = covariance[1, 1], covariance[1, 2], covariance[2, 2]
    # Turning point −b1/(2b2); gradient (∂/∂b1, ∂/∂b2) = (−1/(2b2), b1/(2b2²)).
    peak = -slope / (2.0 * curvature)
    gradient = np.array([-1.0 / (2.0 * curvature), slope / (2.0 * curvature**2)])
    peak_se = float(np.sqrt(gradient @ covariance[1:, 1:] @ gradient))
    fieller_lower, fieller_upper = _fieller(
        slope, curvature, var_slope, cov_slope_curv, var_curv, z
    )

    def slope_test(at: float, sign: float) -> tuple[float, float]:
        # One-sided Wald test of sign·(b1 + 2b2·at) > 0.
        value = slope + 2.0 * curvature * at
        spread = np.sqrt(var_slope + 4.0 * at * cov_slope_curv + 4.0 * at**2 * var_curv)
        return float(value), float(ndtr(-sign * value / spread))

    slope_low, p_low = slope_test(low, +1.0)
    slope_high, p_high = slope_test(high, -1.0)
    curvature_p = float(ndtr(curvature / errors[2]))
    u_test_p = max(p_low, p_high)
    peak_lower, peak_upper = peak - z * peak_se, peak + z * peak_se
    interior = bool(
        curvature_p < alpha and peak_lower > 0.0 and peak_upper < 1.0 and u_test_p < alpha
    )
    return QuadraticLogitFit(
        status="ok",
        firms=firms,
        openers=openers,
        confidence=level,
        intercept=float(intercept),
        slope=float(slope),
        curvature=float(curvature),
        intercept_se=float(errors[0]),
        slope_se=float(errors[1]),
        curvature_se=float(errors[2]),
        covariance=tuple(tuple(float(v) for v in row) for row in covariance),
        log_likelihood=log_likelihood,
        iterations=iterations,
        peak=float(peak),
        peak_se=peak_se,
        peak_lower=float(peak_lower),
        peak_upper=float(peak_upper),
        peak_fieller_lower=fieller_lower,
        peak_fieller_upper=fieller_upper,
        curvature_p_value=curvature_p,
        range_lower=low,
        range_upper=high,
        slope_at_lower=slope_low,
        slope_at_upper=slope_high,
        slope_at_lower_p_value=p_low,
        slope_at_upper_p_value=p_high,
        u_test_p_value=u_test_p,
        interior_peak=interior,
    )


def _fieller(
    slope: float,
    curvature: float,
    var_slope: float,
    cov_slope_curv: float,
    var_curv: float,
    z: float,
) -> tuple[float, float]:
    """Fieller interval of the turning point: {s : (b1 + 2b2·s)² ≤ z²·Var(b1 + 2b2·s)}.

    Expanding gives A·s² + B·s + C ≤ 0 with A = 4(b2² − z²V22), B = 4(b1b2 − z²V12),
    C = b1² − z²V11. When A > 0 (b2 significantly non-zero) the set is the bounded interval
    between the roots; otherwise it is unbounded and reported as (−inf, inf).
    """
    a = 4.0 * (curvature**2 - z**2 * var_curv)
    b = 4.0 * (slope * curvature - z**2 * cov_slope_curv)
    c = slope**2 - z**2 * var_slope
    discriminant = b**2 - 4.0 * a * c
    if a <= 0.0 or discriminant < 0.0:
        return -np.inf, np.inf
    root = np.sqrt(discriminant)
    return float((-b - root) / (2.0 * a)), float((-b + root) / (2.0 * a))


def estimate_propensity(
    share: ArrayLike,
    opened: ArrayLike,
    bins: int | Sequence[float] = 10,
    confidence: float = 0.95,
    test_range: tuple[float, float] | None = None,
) -> tuple[QuadraticLogitFit, pd.DataFrame]:
    """Estimate the propensity-to-open curve: a quadratic-logit fit and binned rates.

    Args:
        share: Each firm's share s ∈ [0, 1] (e.g. of specialists built on its models).
        opened: Whether each firm opened (bool or 0/1).
        bins: The number of equal-width share bins on [0, 1], or their edges.
        confidence: Coverage of the intervals; the tests use the level 1 − confidence.
        test_range: Share range of the U-test; by default the observed range.

    Returns:
        ``(fit, table)``: the :class:`QuadraticLogitFit`, and the :func:`binned_rates` table
        with one more column, ``fitted_rate``, the mean fitted probability of the firms in
        each bin (NaN for empty bins or when the fit failed) — to compare with ``rate``.
    """
    shares, decisions = _observations(share, opened)
    table = binned_rates(shares, decisions, bins, confidence)
    fit = fit_quadratic_logit(shares, decisions, confidence, test_range)
    edges = np.append(table["share_lower"].to_numpy(), table["share_upper"].to_numpy()[-1])
    index = np.clip(np.searchsorted(edges, shares, side="right") - 1, 0, len(table) - 1)
    fitted_sums = np.bincount(index, weights=fit.probability(shares), minlength=len(table))
    firms = table["firms"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["fitted_rate"] = np.where(firms > 0, fitted_sums / firms, np.nan)
    return fit, table
