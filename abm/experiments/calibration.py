"""Calibration of a scenario's market against the Notable AI Models data (``abm calibrate``).

Three steps, each with its uncertainty (docs/evidence.md, "Calibration"):

1. **α0 distribution** (:func:`fit_alpha0`): a model's gap to the compute frontier (orders of
   magnitude, OOM) becomes a generalist's distance below the best α0, linearly:
   ``α0 = α_top − s·gap`` with ``s = α_top / (gap_cap + 1)``, where ``α_top`` is the top of
   the scenario's α0 distribution and ``gap_cap`` the largest gap in the data rounded up to a
   whole OOM (so every α0 stays positive and the scenario keeps its scale). The gaps of the
   release sample get a normal distribution truncated to [0, gap_cap] by maximum likelihood;
   mapped, it is the scenario's ``generalists.alpha0 = {kind = "normal", ...}``. Intervals:
   bootstrap over the models.
2. **Open frontier growth** (:func:`fit_open_growth`): OLS of the year's best open-weights
   log-compute on the year (years with at least :data:`MIN_OPEN_MODELS` open models), with
   its t interval over the years. The market's frontier does not grow by itself; the
   calibrated scenario uses the rate only where it has an exogenous frontier with a catch-up
   (:func:`calibrated_market`).
3. **Simulated method of moments** (:func:`calibrate`) over the free parameters
   :data:`FREE_PARAMETERS` (generalists' reputation ε and compliance cost k, specialists'
   openness leverage λ): the moments are the open-weights share in the bins of the gap
   (:data:`abm.evidence.findings.GAP_EDGES`) and the share of derivatives built on open bases.
   In the market a generalist's gap is its distance below the run's best α0 divided by ``s``,
   and its openness the share of the last ``window`` periods it released open. The objective
   is the sum of squared differences weighted by the inverse bootstrap variance of each
   observed moment; a third of the budget goes to scrambled Sobol' points over log10 of the
   parameters within :data:`BOUNDS`, the rest to Nelder–Mead (scipy) from the best of them,
   with common random numbers (the same run seeds at every evaluation).
   Standard errors come from the curvature of the objective: the SMM sandwich
   ``(GᵀWG)⁻¹ GᵀW(Ω_data + Ω_sim)WG (GᵀWG)⁻¹`` with the Jacobian G by central differences
   (same seeds), Ω_data the bootstrap covariance of the observed moments and Ω_sim the
   replications' spread of the simulated ones. The search's best objective is the best of
   many noisy draws on the same seeds, so the fit (moments, χ², objective) is reported on
   fresh seeds, at the calibrated point and at the start.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from abm.errors import ParameterError
from abm.evidence.findings import GAP_EDGES, release_sample

#: The market parameters a calibration may free: name → market path.
FREE_PARAMETERS: dict[str, str] = {
    "reputation": "generalists.reputation",
    "openness_leverage": "specialists.openness_leverage",
    "compliance": "generalists.compliance",
    "licensing": "generalists.licensing",
}
#: The ones freed by default (the issue's: what openness earns and costs). Licensing β, the
#: one payoff term that grows with α0 (β·α0·(1−ω)), may be added (``--free``).
DEFAULT_FREE: tuple[str, ...] = ("reputation", "openness_leverage", "compliance")
#: Search bounds of each free parameter (the search runs on log10 of the value).
BOUNDS: dict[str, tuple[float, float]] = {
    "reputation": (1e-3, 10.0),
    "openness_leverage": (1e-2, 10.0),
    "compliance": (1e-2, 10.0),
    "licensing": (1e-3, 10.0),
}
#: A year enters the open frontier's growth when it has at least this many open models.
MIN_OPEN_MODELS = 3
#: Confidence of every interval.
CONFIDENCE = 0.95
#: Step of the central differences for the Jacobian, in log10 of a parameter: large enough to
#: see through the simulated moments' discreteness (agents open or not), small against the
#: bounds' width.
JACOBIAN_STEP = 0.2


@dataclass(frozen=True)
class Settings:
    """The size of a calibration.

    Attributes:
        replications: Runs per evaluation of the objective (the same seeds every time).
        steps: Periods per run.
        window: Last periods each run's moments average over.
        max_evaluations: Nelder–Mead's budget of objective evaluations.
        bootstrap: Bootstrap resamples of the data.
        seed: Master seed of the runs and of the bootstrap.
        free: The parameters searched (names of :data:`FREE_PARAMETERS`).
    """

    replications: int = 8
    steps: int = 400
    window: int = 100
    max_evaluations: int = 40
    bootstrap: int = 500
    seed: int = 0
    free: tuple[str, ...] = DEFAULT_FREE

    def check(self) -> None:
        """Raise ParameterError naming the first setting out of its range."""
        for name, low in (
            ("replications", 2),
            ("steps", 1),
            ("window", 1),
            ("max_evaluations", 1),
            ("bootstrap", 10),
        ):
            value = getattr(self, name)
            if value < low:
                raise ParameterError(f"{name} must be an integer in [{low}, inf), got {value}")
        unknown = [name for name in self.free if name not in FREE_PARAMETERS]
        if unknown or not self.free or len(set(self.free)) != len(self.free):
            raise ParameterError(
                "free must name distinct parameters among "
                f"{', '.join(FREE_PARAMETERS)}, got {', '.join(self.free) or 'none'}"
            )
        if self.window > self.steps:
            raise ParameterError(f"window must be in [1, {self.steps}] (steps), got {self.window}")


#: The sizes of ``--quick`` (seconds; the tests' size).
QUICK = Settings(replications=2, steps=30, window=10, max_evaluations=4, bootstrap=40)


# --- the data ---------------------------------------------------------------------------------


def _z(confidence: float = CONFIDENCE) -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + confidence / 2.0))


def _bin_index(gaps: np.ndarray) -> np.ndarray:
    """The gap bin of each gap (:data:`GAP_EDGES`, left-closed), −1 outside."""
    edges = np.asarray(GAP_EDGES, dtype=float)
    index = np.searchsorted(edges, gaps, side="right") - 1
    return np.where((gaps >= edges[0]) & np.isfinite(gaps), index, -1)


def moment_names() -> list[str]:
    """The moments' names: one per gap bin, then the derivatives on open bases."""
    edges = GAP_EDGES
    names = []
    for low, high in itertools.pairwise(edges):
        label = f"≥ {low:g}" if math.isinf(high) else f"{low:g}–{high:g}"
        names.append(f"open share, gap {label} OOM")
    return [*names, "derivatives on open bases"]


def _binned_rates(gaps: np.ndarray, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``opened`` and the count in each gap bin (NaN for an empty bin)."""
    bins = len(GAP_EDGES) - 1
    index = _bin_index(gaps)
    keep = index >= 0
    counts = np.bincount(index[keep], minlength=bins).astype(float)
    sums = np.bincount(index[keep], weights=opened[keep], minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan), counts


def derivative_links(models: pd.DataFrame) -> np.ndarray:
    """Whether each base → derivative link builds on open weights (links with a known base)."""
    from abm.evidence import finetune_graph

    graph = finetune_graph(models)
    flags = [graph.nodes[base].get("open_weights") for base, _ in graph.edges]
    return np.array([flag for flag in flags if flag is not None], dtype=float)


@dataclass
class Observed:
    """The observed moments, their bootstrap covariance and what they were made from."""

    moments: pd.DataFrame
    covariance: np.ndarray
    gaps: np.ndarray
    opened: np.ndarray
    links: np.ndarray


def observed_moments(models: pd.DataFrame, bootstrap: int, seed: int) -> Observed:
    """Open share per gap bin and derivatives on open bases, with bootstrap covariance.

    The bins resample the release sample's models, the derivative share the links; the two
    are independent resamples, so their covariance is block-diagonal.
    """
    from abm.evidence.findings import wilson

    sample = release_sample(models)
    gaps = sample["frontier_gap"].to_numpy(dtype=float)
    opened = sample["opened"].to_numpy(dtype=float)
    links = derivative_links(models)
    rates, counts = _binned_rates(gaps, opened)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    draws = np.empty((bootstrap, rates.size + 1))
    for b in range(bootstrap):
        pick = rng.integers(gaps.size, size=gaps.size)
        draws[b, :-1] = _binned_rates(gaps[pick], opened[pick])[0]
        draws[b, -1] = links[rng.integers(links.size, size=links.size)].mean()
    covariance = np.ma.cov(np.ma.masked_invalid(draws), rowvar=False).filled(0.0)
    values = np.append(rates, links.mean())
    trials = np.append(counts, links.size)
    lower, upper = wilson(values * trials, trials)
    edges = np.asarray(GAP_EDGES, dtype=float)
    frame = pd.DataFrame(
        {
            "moment": moment_names(),
            "gap_lower": np.append(edges[:-1], np.nan),
            "gap_upper": np.append(edges[1:], np.nan),
            "observed": values,
            "observed_se": np.sqrt(np.diag(covariance)),
            "observed_lower": lower,
            "observed_upper": upper,
            "n_observed": trials.astype(int),
        }
    )
    return Observed(frame, covariance, gaps, opened, links)


@dataclass(frozen=True)
class AlphaFit:
    """The fitted α0 distribution: the gap's truncated normal and its map to α0."""

    mean_gap: float
    sd_gap: float
    gap_cap: float
    alpha_top: float
    alpha_per_oom: float
    ks_statistic: float
    ks_p_value: float
    n: int

    def distribution(self) -> dict[str, Any]:
        """The scenario's ``generalists.alpha0`` table."""
        s = self.alpha_per_oom
        return {
            "kind": "normal",
            "mean": round(self.alpha_top - s * self.mean_gap, 6),
            "sd": round(s * self.sd_gap, 6),
            "low": round(self.alpha_top - s * self.gap_cap, 6),
            "high": round(self.alpha_top, 6),
        }

    def gap_of(self, alpha0: np.ndarray, best: float) -> np.ndarray:
        """Gaps (OOM) of α0 values below ``best``."""
        return (best - np.asarray(alpha0, dtype=float)) / self.alpha_per_oom


def _truncnorm_fit(gaps: np.ndarray, cap: float) -> tuple[float, float]:
    """Maximum-likelihood mean and sd of a normal truncated to [0, cap]."""
    from scipy.optimize import minimize
    from scipy.stats import truncnorm

    def negative_log_likelihood(x: np.ndarray) -> float:
        mean, sd = x[0], math.exp(x[1])
        return -float(np.sum(truncnorm.logpdf(gaps, -mean / sd, (cap - mean) / sd, mean, sd)))

    start = np.array([gaps.mean(), math.log(max(gaps.std(), 1e-3))])
    result = minimize(negative_log_likelihood, start, method="Nelder-Mead")
    return float(result.x[0]), float(math.exp(result.x[1]))


def fit_alpha0(models: pd.DataFrame, alpha_top: float) -> tuple[AlphaFit, np.ndarray]:
    """The α0 distribution from the release sample's gaps (module docstring, step 1).

    Returns:
        The fit, and the gaps it was fitted to.
    """
    from scipy.stats import kstest, truncnorm

    if not (math.isfinite(alpha_top) and alpha_top > 0):
        raise ParameterError(f"alpha_top must be in (0, inf), got {alpha_top}")
    gaps = release_sample(models)["frontier_gap"].to_numpy(dtype=float)
    cap = float(math.ceil(gaps.max()))
    mean, sd = _truncnorm_fit(gaps, cap)
    test = kstest(gaps, truncnorm(-mean / sd, (cap - mean) / sd, mean, sd).cdf)
    fit = AlphaFit(
        mean_gap=mean,
        sd_gap=sd,
        gap_cap=cap,
        alpha_top=float(alpha_top),
        alpha_per_oom=float(alpha_top) / (cap + 1.0),
        ks_statistic=float(test.statistic),
        ks_p_value=float(test.pvalue),
        n=int(gaps.size),
    )
    return fit, gaps


def alpha_top_of(market: dict[str, Any]) -> float:
    """The top of the scenario's α0 distribution (its support's high end, or a high quantile)."""
    from abm.market.distributions import as_distribution

    spec = market.get("generalists", {}).get("alpha0", 1.0)
    distribution = as_distribution(spec, "generalists.alpha0")
    high = distribution.support()[1]
    if math.isfinite(high):
        return float(high)
    draws = distribution.sample(np.random.default_rng(0), 10_000, "generalists.alpha0")
    return float(np.quantile(draws, 0.999))


@dataclass(frozen=True)
class Growth:
    """The open frontier's growth: OLS slope of the year's best open log-compute."""

    slope: float
    lower: float
    upper: float
    years: int
    first_year: int
    last_year: int


def fit_open_growth(models: pd.DataFrame, min_models: int = MIN_OPEN_MODELS) -> Growth:
    """OLS of the year's best open-weights log-compute on the year, with its t interval.

    Years with at least ``min_models`` open models enter. The interval is OLS's over the years
    (a bootstrap over models was tried and rejected: resampling drops the year's best model
    more often in thin early years, which biases their maxima down and the slope up).
    """
    from statsmodels.regression.linear_model import OLS

    years = open_frontier_years(models, min_models)
    rows = years[years["included"]]
    design = np.column_stack([np.ones(len(rows)), rows["year"].to_numpy(dtype=float)])
    fit = OLS(rows["best_open"].to_numpy(dtype=float), design).fit()
    lower, upper = fit.conf_int(alpha=1.0 - CONFIDENCE)[1]
    return Growth(
        float(fit.params[1]),
        float(lower),
        float(upper),
        len(rows),
        int(rows["year"].min()),
        int(rows["year"].max()),
    )


def open_frontier_years(models: pd.DataFrame, min_models: int = MIN_OPEN_MODELS) -> pd.DataFrame:
    """Per year: the best open-weights log-compute, the open models, whether the growth uses it."""
    known = models.dropna(subset=["log_compute", "open_weights"])
    open_models = known[known["open_weights"].astype(bool)]
    best = open_models.groupby("year")["log_compute"].agg(["max", "size"])
    return pd.DataFrame(
        {
            "year": best.index.to_numpy(),
            "best_open": best["max"].to_numpy(),
            "open_models": best["size"].to_numpy(),
            "included": (best["size"] >= min_models).to_numpy(),
        }
    )


# --- the market -------------------------------------------------------------------------------


def with_parameters(market: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of the market block with the free parameters set (constants, every agent)."""
    from abm.scenarios import set_path

    data = copy.deepcopy(market)
    for name, value in values.items():
        set_path(data, FREE_PARAMETERS[name], float(value))
    return data


@dataclass
class Simulated:
    """The simulated moments at one parameter point."""

    moments: np.ndarray
    per_replication: np.ndarray
    counts: np.ndarray
    panel: pd.DataFrame


def simulate_moments(
    market: dict[str, Any], seeds: list[int], settings: Settings, alpha: AlphaFit
) -> Simulated:
    """The moments of the market over the runs ``seeds`` (module docstring, step 3).

    Bins pool the generalists of every run; a run's gaps are measured from its own best α0.
    """
    from abm.experiments.simulate import release_panel

    frames, per_replication = [], []
    for replication, seed in enumerate(seeds):
        frame, run = release_panel(market, seed, settings.steps, settings.window)
        frame["replication"] = replication
        frame["gap"] = alpha.gap_of(frame["alpha0"].to_numpy(), float(frame["alpha0"].max()))
        frames.append(frame)
        rates, _ = _binned_rates(frame["gap"].to_numpy(), frame["open_rate"].to_numpy())
        per_replication.append(np.append(rates, run["on_open"]))
    panel = pd.concat(frames, ignore_index=True)
    rates, counts = _binned_rates(panel["gap"].to_numpy(), panel["open_rate"].to_numpy())
    by_run = np.array(per_replication)
    on_open = float(np.nanmean(by_run[:, -1])) if np.isfinite(by_run[:, -1]).any() else np.nan
    return Simulated(
        np.append(rates, on_open),
        by_run,
        np.append(counts, np.isfinite(by_run[:, -1]).sum()),
        panel,
    )


def _simulation_covariance(simulated: Simulated) -> np.ndarray:
    """Covariance of the simulated moments' means from the replications' spread (diagonal)."""
    import warnings

    values = simulated.per_replication
    present = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a moment seen in one run: no spread
        variance = np.nanvar(values, axis=0, ddof=1) / np.maximum(present, 1)
    return np.diag(np.nan_to_num(variance, nan=0.0))


# --- the fit ----------------------------------------------------------------------------------


@dataclass
class Result:
    """What :func:`calibrate` found (tables for the report, the calibrated market)."""

    parameters: pd.DataFrame
    moments: pd.DataFrame
    trace: pd.DataFrame
    summary: dict[str, Any]
    market: dict[str, Any]
    alpha: AlphaFit
    growth: Growth
    gaps: np.ndarray
    observed: Observed
    panel: pd.DataFrame
    start_panel: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)


def check_market(market: dict[str, Any]) -> None:
    """Raise ParameterError if the market cannot be calibrated (checked before any work)."""
    from abm.market import MarketConfig

    config = MarketConfig.from_dict(market)
    if config.generalists.count < 2:
        raise ParameterError(
            "market.generalists.count must be an integer in [2, inf) to calibrate (gaps are "
            f"measured from the best α0), got {config.generalists.count}"
        )


def start_values(market: dict[str, Any]) -> dict[str, float]:
    """The scenario's free parameters (a distribution's mean), clipped into :data:`BOUNDS`."""
    from abm.market import MarketConfig

    config = MarketConfig.from_dict(market)
    values = {}
    for name, path in FREE_PARAMETERS.items():  # every candidate (the caller picks)
        block, key = path.split(".")
        distribution = getattr(getattr(config, block), key)
        draws = distribution.sample(np.random.default_rng(0), 1000, path)
        low, high = BOUNDS[name]
        values[name] = float(np.clip(np.mean(draws), low, high))
    return values


def _objective(difference: np.ndarray, weights: np.ndarray) -> float:
    """Weighted squared distance; a moment the market leaves empty costs as if it were 1 away."""
    filled = np.where(np.isfinite(difference), difference, 1.0)
    return float(np.sum(weights * filled**2))


def calibrate(
    market: dict[str, Any],
    settings: Settings,
    *,
    models: pd.DataFrame | None = None,
    progress: bool = False,
) -> Result:
    """Fit the α0 distribution, the open frontier's growth and the free parameters.

    Args:
        market: The scenario's market block (plain data); it is not changed.
        settings: Sizes and the master seed.
        models: The tidy models table (default: the shipped snapshot).
        progress: Show a tqdm bar of the objective's evaluations on stderr.

    Returns:
        The :class:`Result`.
    """
    import sys
    import warnings

    from scipy.optimize import minimize
    from scipy.stats import chi2
    from tqdm.auto import tqdm

    from abm.evidence import load_models
    from abm.experiments.seeds import run_seeds

    settings.check()
    check_market(market)
    table = load_models() if models is None else models
    alpha, gaps = fit_alpha0(table, alpha_top_of(market))
    observed = observed_moments(table, settings.bootstrap, settings.seed)
    growth = fit_open_growth(table)
    alpha_lower, alpha_upper = _bootstrap_alpha(gaps, alpha, settings)

    base = copy.deepcopy(market)
    base.setdefault("generalists", {})["alpha0"] = alpha.distribution()
    seeds = run_seeds(settings.seed, settings.replications)
    names = list(settings.free)
    target = observed.moments["observed"].to_numpy()
    variance = np.diag(observed.covariance).copy()
    # an empty or degenerate observed moment gets the variance of a share of 1/2 in its sample
    floor = 0.25 / np.maximum(observed.moments["n_observed"].to_numpy(), 1)
    variance = np.where(variance > 0, variance, floor)
    weights = 1.0 / variance
    low = np.log10([BOUNDS[name][0] for name in names])
    high = np.log10([BOUNDS[name][1] for name in names])
    start = start_values(market)
    x0 = np.log10([start[name] for name in names])
    jacobian_evaluations = 2 * len(names)
    bar = tqdm(
        total=settings.max_evaluations + jacobian_evaluations + 3,
        unit="eval",
        desc="calibrate",
        # drawn on a terminal only: a log or a pipe would fill with redrawn bars
        disable=not (progress and getattr(sys.stderr, "isatty", lambda: False)()),
        file=sys.stderr,
        dynamic_ncols=True,
    )
    trace: list[dict[str, Any]] = []
    cache: dict[tuple[float, ...], tuple[float, Simulated]] = {}
    points: list[tuple[float, str, np.ndarray]] = []

    def evaluate(x: np.ndarray, stage: str) -> tuple[float, Simulated]:
        x = np.clip(np.asarray(x, dtype=float), low, high)
        key = tuple(np.round(x, 12))
        if key not in cache:
            values = dict(zip(names, 10.0**x, strict=True))
            simulated = simulate_moments(with_parameters(base, values), seeds, settings, alpha)
            value = _objective(simulated.moments - target, weights)
            cache[key] = (value, simulated)
            trace.append({"evaluation": len(trace), "stage": stage, **values, "objective": value})
            points.append((value, stage, x))
            bar.update(1)
            bar.set_postfix(objective=f"{min(row['objective'] for row in trace):.3g}")
        return cache[key]

    try:
        start_value, _ = evaluate(x0, "search")
        # A global look first: where the free parameters leave every generalist's choice
        # unchanged the objective is flat, and a simplex started there cannot leave. Scrambled
        # Sobol' points (seeded) over the log box, then Nelder–Mead from the best point seen.
        from scipy.stats import qmc

        spread = max(1, settings.max_evaluations // 3)
        sobol = qmc.Sobol(len(names), scramble=True, seed=np.random.default_rng(settings.seed))
        with warnings.catch_warnings():
            # Sobol' points balance best in powers of two; any count still fills the box, and
            # the budget, not the balance, sets it
            warnings.filterwarnings("ignore", "The balance properties", UserWarning)
            design = sobol.random(spread)
        for u in design:
            evaluate(low + u * (high - low), "global")
        x_start = min(points, key=lambda p: p[0])[2]
        search = minimize(
            lambda x: evaluate(x, "search")[0],
            x_start,
            method="Nelder-Mead",
            bounds=list(zip(low, high, strict=True)),
            options={
                "maxfev": max(1, settings.max_evaluations - spread - 1),
                # The objective is noisy (learning agents; its spread between seed sets is
                # measured in docs/evidence.md): a simplex finer than a quarter of a decade
                # only chases noise, and no tolerance on the objective would be met, so the
                # search stops on the parameters alone (or on its budget).
                "xatol": 0.1,
                "fatol": math.inf,
                "initial_simplex": _simplex(x_start, low, high),
            },
        )
        # the best point seen (Nelder–Mead stopped by its budget may report another vertex)
        best_x = min((p for p in points if p[1] in ("search", "global")), key=lambda p: p[0])[2]
        best_value, best = evaluate(best_x, "search")
        jacobian = np.empty((target.size, len(names)))
        for j in range(len(names)):
            step = np.zeros(len(names))
            step[j] = JACOBIAN_STEP
            plus = evaluate(np.clip(best_x + step, low, high), "jacobian")[1].moments
            minus = evaluate(np.clip(best_x - step, low, high), "jacobian")[1].moments
            span = np.clip(best_x + step, low, high)[j] - np.clip(best_x - step, low, high)[j]
            jacobian[:, j] = np.nan_to_num((plus - minus) / span)
        # The search picked the best of many noisy evaluations on the same seeds, so its
        # objective flatters the fit (the winner's curse): the fit is reported on fresh seeds,
        # at the calibrated point and at the start.
        fresh_seeds = run_seeds(settings.seed, 2 * settings.replications)[settings.replications :]
        fresh = {}
        for label, x in (("calibrated", best_x), ("start", x0)):
            values = dict(zip(names, 10.0**x, strict=True))
            fresh[label] = simulate_moments(
                with_parameters(base, values), fresh_seeds, settings, alpha
            )
            value = _objective(fresh[label].moments - target, weights)
            trace.append({"evaluation": len(trace), "stage": f"fresh seeds, {label}", **values,
                          "objective": value})  # fmt: skip
            bar.update(1)
    finally:
        bar.total = bar.n  # the cache spares repeated points: the bar ends full
        bar.refresh()
        bar.close()

    omega = observed.covariance + _simulation_covariance(fresh["calibrated"])
    log_se, identified = _sandwich(jacobian, np.diag(weights), omega)
    z = _z()
    estimates = 10.0**best_x
    rows = []
    for j, name in enumerate(names):
        se = log_se[j]
        rows.append(
            {
                "parameter": name,
                "path": FREE_PARAMETERS[name],
                "estimate": float(estimates[j]),
                "std_error": float(estimates[j] * math.log(10) * se),
                "lower": float(10 ** (best_x[j] - z * se)),
                "upper": float(10 ** (best_x[j] + z * se)),
                "start": float(start[name]),
                "bound_low": BOUNDS[name][0],
                "bound_high": BOUNDS[name][1],
                "at_bound": bool(np.isclose(best_x[j], low[j]) or np.isclose(best_x[j], high[j])),
                "method": "SMM, Nelder–Mead; SE from the objective's curvature (sandwich, "
                "central differences, common random numbers)",
                "identified": bool(identified[j]),
            }
        )
    distribution = alpha.distribution()
    for key, estimate in (("mean", alpha.mean_gap), ("sd", alpha.sd_gap)):
        rows.append(
            {
                "parameter": f"gap {key} (OOM)",
                "path": f"generalists.alpha0.{key}",
                "estimate": estimate,
                "std_error": float(
                    (alpha_upper[key] - alpha_lower[key]) / (2 * z)
                ),  # from the percentile interval
                "lower": alpha_lower[key],
                "upper": alpha_upper[key],
                "start": math.nan,
                "bound_low": math.nan,
                "bound_high": math.nan,
                "at_bound": False,
                "method": f"truncated-normal MLE on [0, {alpha.gap_cap:g}] OOM; bootstrap over "
                f"models; α0 = {alpha.alpha_top:g} − {alpha.alpha_per_oom:.4g}·gap → "
                f"α0 {key} {distribution[key]:.4g}",
                "identified": True,
            }
        )
    rows.append(
        {
            "parameter": "open frontier growth (OOM/year)",
            "path": "frontier",
            "estimate": growth.slope,
            "std_error": (growth.upper - growth.lower) / (2 * z),
            "lower": growth.lower,
            "upper": growth.upper,
            "start": math.nan,
            "bound_low": math.nan,
            "bound_high": math.nan,
            "at_bound": False,
            "method": f"OLS of the year's best open log-compute on the year ({growth.years} years "
            f"{growth.first_year}–{growth.last_year} with ≥ {MIN_OPEN_MODELS} open models); "
            "OLS t interval over the years",
            "identified": True,
        }
    )
    parameters = pd.DataFrame(rows)

    moments = observed.moments.copy()
    calibrated_fresh, start_fresh = fresh["calibrated"], fresh["start"]
    sim_se = np.sqrt(np.diag(_simulation_covariance(calibrated_fresh)))
    moments["simulated"] = calibrated_fresh.moments
    moments["simulated_se"] = sim_se
    moments["n_simulated"] = calibrated_fresh.counts.astype(int)
    moments["start_simulated"] = start_fresh.moments
    moments["search_simulated"] = best.moments
    moments["difference"] = moments["simulated"] - moments["observed"]
    moments["z"] = moments["difference"] / np.sqrt(moments["observed_se"] ** 2 + sim_se**2)
    moments["weight"] = weights

    statistic = float(np.nansum(moments["z"] ** 2))
    dof = int(np.isfinite(moments["z"]).sum()) - len(names)
    summary = {
        "free_parameters": names,
        "n_models": alpha.n,
        "objective": _objective(calibrated_fresh.moments - target, weights),
        "start_objective": _objective(start_fresh.moments - target, weights),
        "search_objective": best_value,
        "search_start_objective": start_value,
        "evaluations": len(trace),
        "search_evaluations": int(search.nfev),
        "converged": bool(search.success),
        "message": str(search.message),
        "fit_statistic": statistic,
        "degrees_of_freedom": dof,
        "fit_p_value": float(chi2.sf(statistic, dof)) if dof > 0 else math.nan,
        "rmse_open_share": float(np.sqrt(np.nanmean(moments["difference"].iloc[:-1] ** 2))),
        "alpha0": distribution,
        "alpha_top": alpha.alpha_top,
        "alpha_per_oom": alpha.alpha_per_oom,
        "gap_cap": alpha.gap_cap,
        "alpha_ks_statistic": alpha.ks_statistic,
        "alpha_ks_p_value": alpha.ks_p_value,
        "open_growth": growth.__dict__,
        "seeds": seeds,
        "fresh_seeds": fresh_seeds,
        "settings": {**settings.__dict__, "free": list(settings.free)},
    }
    calibrated = calibrated_market(base, dict(zip(names, estimates, strict=True)), growth)
    return Result(
        parameters=parameters,
        moments=moments,
        trace=pd.DataFrame(trace),
        summary=summary,
        market=calibrated,
        alpha=alpha,
        growth=growth,
        gaps=gaps,
        observed=observed,
        panel=calibrated_fresh.panel,
        start_panel=start_fresh.panel,
    )


def _simplex(x0: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The first simplex: half a decade along each axis, turned back inside the bounds."""
    points = [x0]
    for j in range(x0.size):
        point = x0.copy()
        point[j] = point[j] + 0.5 if point[j] + 0.5 <= high[j] else point[j] - 0.5
        points.append(np.clip(point, low, high))
    return np.array(points)


def _sandwich(
    jacobian: np.ndarray, weights: np.ndarray, omega: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors of log10 parameters; a parameter the moments do not move gets inf.

    Returns:
        ``(standard errors, identified flags)``.
    """
    bread = jacobian.T @ weights @ jacobian
    moved = np.abs(jacobian).sum(axis=0) > 0
    se = np.full(jacobian.shape[1], np.inf)
    if moved.any():
        sub = np.ix_(moved, moved)
        inverse = np.linalg.pinv(bread[sub])
        meat = jacobian[:, moved].T @ weights @ omega @ weights @ jacobian[:, moved]
        covariance = inverse @ meat @ inverse
        se[moved] = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
        # a near-singular bread (collinear parameters) leaves huge errors: not identified
        condition = np.linalg.cond(bread[sub]) if bread[sub].size else np.inf
        if not np.isfinite(condition) or condition > 1e8:
            se[moved] = np.inf
    identified = np.isfinite(se)
    return se, identified


def _bootstrap_alpha(
    gaps: np.ndarray, alpha: AlphaFit, settings: Settings
) -> tuple[dict[str, float], dict[str, float]]:
    """Percentile intervals of the gap's mean and sd (refitted on resampled models)."""
    rng = np.random.default_rng(np.random.SeedSequence(settings.seed, spawn_key=(3,)))
    # each refit is an optimisation: a tenth of the resamples (at least 20) is plenty for a
    # percentile interval of two well-determined numbers
    count = max(20, settings.bootstrap // 10)
    draws = np.array(
        [_truncnorm_fit(gaps[rng.integers(gaps.size, size=gaps.size)], alpha.gap_cap)
         for _ in range(count)]
    )  # fmt: skip
    tails = [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2]
    lower = {"mean": float(np.quantile(draws[:, 0], tails[0])),
             "sd": float(np.quantile(draws[:, 1], tails[0]))}  # fmt: skip
    upper = {"mean": float(np.quantile(draws[:, 0], tails[1])),
             "sd": float(np.quantile(draws[:, 1], tails[1]))}  # fmt: skip
    return lower, upper


def calibrated_market(
    market: dict[str, Any], values: dict[str, float], growth: Growth
) -> dict[str, Any]:
    """The calibrated market block: fitted α0 and free parameters; the growth where it applies.

    An exogenous frontier with a catch-up (``frontier.catchup_compute`` > 0) gets the catch-up
    the fitted growth gives over the days until ``catchup_period``
    (``compute · 10^(slope · days / 365)``, days = period × ``demand.days_per_period``); the
    market's own (endogenous) frontier has no growth to set.
    """
    data = with_parameters(market, {name: float(f"{v:.6g}") for name, v in values.items()})
    frontier = data.get("frontier", {})
    if frontier.get("mode") == "exogenous" and frontier.get("catchup_compute", 0.0) > 0:
        days = frontier.get("catchup_period", 0) * data.get("demand", {}).get(
            "days_per_period", 1.0
        )
        frontier["catchup_compute"] = float(
            f"{frontier.get('compute', 1.0) * 10 ** (growth.slope * days / 365.0):.6g}"
        )
    return data


# --- the stylised facts, data next to market ------------------------------------------------


def evidence_comparison(
    result: Result, models: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The evidence study's measures on the data and on the calibrated market, side by side.

    Each table has a ``source`` column (``data`` or ``market``):

    - ``bins``: open share per gap bin (the market: share of generalists open in the last
      period, every run pooled), Wilson intervals, with the market's share over the window;
    - ``logits``: logits of open weights on the gap (linear and quadratic), coefficient tables;
    - ``derivatives``: how many bases have k derivatives (bases with at least one), and the
      Herfindahl index of derivatives over bases (data: each reported year; market: each run).

    The data's closed–open compute race (finding 3) has no counterpart: the market's frontier
    does not move on its own.
    """
    import warnings

    from abm.evidence import finetune_graph, load_models
    from abm.evidence.findings import (
        coefficient_table,
        concentration_by_year,
        derivative_edges,
        wilson,
    )

    table = load_models() if models is None else models
    panel = result.panel
    data = pd.DataFrame({"gap": result.observed.gaps, "opened": result.observed.opened})
    market = pd.DataFrame(
        {"gap": panel["gap"].to_numpy(), "opened": panel["open_final"].astype(float).to_numpy()}
    )
    edges = np.asarray(GAP_EDGES, dtype=float)
    rows = []
    for source, frame in (("data", data), ("market", market)):
        rates, counts = _binned_rates(frame["gap"].to_numpy(), frame["opened"].to_numpy())
        lower, upper = wilson(np.nan_to_num(rates) * counts, counts)
        index = _bin_index(frame["gap"].to_numpy())
        mean_gap = [
            float(frame["gap"].to_numpy()[index == k].mean()) if counts[k] else math.nan
            for k in range(counts.size)
        ]
        rows.append(
            pd.DataFrame(
                {
                    "source": source,
                    "gap_lower": edges[:-1],
                    "gap_upper": edges[1:],
                    "mean_gap": mean_gap,
                    "models": counts.astype(int),
                    "rate": rates,
                    "rate_lower": lower,
                    "rate_upper": upper,
                }
            )
        )
    bins = pd.concat(rows, ignore_index=True)

    import statsmodels.formula.api as smf

    logits = []
    for source, frame in (("data", data), ("market", market)):
        for name, formula in (
            ("linear", "opened ~ gap"),
            ("quadratic", "opened ~ gap + I(gap ** 2)"),
        ):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # separation in a small market sample
                    fit = smf.logit(formula, frame).fit(disp=0)
            except Exception:  # perfect separation or a singular matrix: no fit to show
                continue
            coefficients = coefficient_table(fit, f"gap {name}")
            coefficients.insert(0, "source", source)
            logits.append(coefficients)
    logit_table = pd.concat(logits, ignore_index=True) if logits else pd.DataFrame()

    links = derivative_edges(finetune_graph(table))
    per_base = links.groupby("base").size().value_counts().sort_index()
    final = panel[panel["derivatives_final"] > 0]
    per_market = final["derivatives_final"].astype(int).value_counts().sort_index()
    concentration = concentration_by_year(links)
    reported = concentration[concentration["reported"]]
    market_hhi = []
    for _, run in panel.groupby("replication"):
        counts = run["derivatives_final"].to_numpy(dtype=float)
        if counts.sum() > 0:
            market_hhi.append(float(np.sum((counts / counts.sum()) ** 2)))
    derivatives = pd.concat(
        [
            pd.DataFrame(
                {"source": "data", "derivatives": per_base.index, "bases": per_base.to_numpy()}
            ),
            pd.DataFrame(
                {
                    "source": "market",
                    "derivatives": per_market.index,
                    "bases": per_market.to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    hhi = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": "data",
                    "unit": reported["year"].astype(str),
                    "hhi": reported["hhi_base"],
                }
            ),
            pd.DataFrame(
                {
                    "source": "market",
                    "unit": [f"run {k}" for k in range(len(market_hhi))],
                    "hhi": market_hhi,
                }
            ),
        ],
        ignore_index=True,
    )
    return {"bins": bins, "logits": logit_table, "derivatives": derivatives, "hhi": hhi}


# --- the scenario file ------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """One value in TOML (tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {value!r} in TOML")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def to_toml(data: dict[str, Any], header: str = "", *, sections: int = 2) -> str:
    """Nested data as a TOML document: tables down to depth ``sections``, inline below.

    A scenario reads best with ``[market.generalists]`` as a table and its distributions and
    learning rules as inline tables, as the shipped scenarios are written.
    """
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]

    def emit(node: dict[str, Any], path: list[str]) -> None:
        plain = {
            k: v for k, v in node.items() if not (isinstance(v, dict) and len(path) < sections)
        }
        tables = {k: v for k, v in node.items() if k not in plain}
        if path and (plain or not tables):
            lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
        for key, value in plain.items():
            lines.append(f"{_toml_key(key)} = {toml_value(value)}")
        for key, value in tables.items():
            emit(value, [*path, key])

    emit(data, [])
    return "\n".join(lines).lstrip("\n") + "\n"


def scenario_data(scenario: Any, market: dict[str, Any], name: str, description: str) -> dict:
    """A scenario file's data: the scenario's blocks with ``market`` replaced."""
    experiment = scenario.experiment.model_dump()
    return {
        "name": name,
        "description": description,
        "seed": scenario.seed,
        "horizon": scenario.horizon.model_dump(),
        "market": market,
        "output": scenario.output.model_dump(),
        "experiment": _plain(experiment),
    }


def _plain(value: Any) -> Any:
    """Dumped pydantic data as TOML-ready lists and dicts (no None: TOML has no null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


__all__ = [
    "BOUNDS",
    "FREE_PARAMETERS",
    "QUICK",
    "AlphaFit",
    "Growth",
    "Result",
    "Settings",
    "calibrate",
    "calibrated_market",
    "check_market",
    "evidence_comparison",
    "fit_alpha0",
    "fit_open_growth",
    "moment_names",
    "observed_moments",
    "open_frontier_years",
    "scenario_data",
    "simulate_moments",
    "to_toml",
    "toml_value",
]
