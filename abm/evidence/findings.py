"""The seeds' stylised facts measured on the Notable AI Models table (:mod:`abm.evidence.models`).

Four findings, each a function returning tidy frames, and :func:`summarise`, which gathers
their headline numbers in one findings table (finding, quantity, estimate, 95 % interval, n,
whether the interval clears the null):

1. **Qiu et al.: strong models close, weak ones open** (:func:`open_share_by_gap`,
   :func:`share_contrast`, :func:`gap_logit`): the share of models with open weights in bins of
   the gap to the compute frontier (Wilson intervals), the difference between models within
   one order of magnitude of the frontier and those one to four behind (Newcombe interval), and
   logit fits of open weights on the gap (linear; quadratic, as the bins rise then fall).
2. **Habibi: the propensity to open falls with the edge and rises for big tech**
   (:func:`propensity_logit`): a logit of open weights on the edge over rivals, the big-tech
   indicator and the year; the edge is log-compute minus the same year's median (main
   specification) or minus the gap to the frontier (robustness).
3. **The race post: the compute gap between the best closed and the best open model**
   (:func:`closed_open_gap`, :func:`gap_trend`): per year, with its OLS trend per year.
4. **The supply chain: derivatives per base model and their concentration**
   (:func:`derivative_edges`, :func:`derivatives_per_base`, :func:`concentration_by_year`):
   the Herfindahl–Hirschman index (HHI) of derivatives over base models and families by year,
   with jackknife intervals.

The sample of findings 1 and 2 is every model with a known accessibility and training compute
(418 in the shipped snapshot). statsmodels does the fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abm.evidence.models import family

if TYPE_CHECKING:
    import networkx as nx

#: Bins of the gap to the frontier (orders of magnitude), left-closed.
GAP_EDGES: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, np.inf)
#: The headline contrast of finding 1: near the frontier against one to four orders behind.
NEAR: tuple[float, float] = (0.0, 1.0)
BEHIND: tuple[float, float] = (1.0, 4.0)
#: Year the propensity logit centres its year term on (the intercept is that year's).
CENTRE_YEAR = 2020
#: A year enters the closed–open gap when it has at least this many models of each kind.
MIN_MODELS = 3
#: A year's HHI is reported when it has at least this many derivatives.
MIN_DERIVATIVES = 10
#: Confidence of every interval.
CONFIDENCE = 0.95


def release_sample(models: pd.DataFrame) -> pd.DataFrame:
    """Models with a known accessibility and compute, with ``opened`` (0/1) and ``edge_gap``."""
    sample = models.dropna(subset=["open_weights", "frontier_gap", "compute_edge"]).copy()
    sample["opened"] = sample["open_weights"].astype(bool).astype(float)
    sample["big_tech"] = sample["big_tech"].astype(float)
    sample["edge_gap"] = -sample["frontier_gap"]
    sample["year_centred"] = sample["year"] - CENTRE_YEAR
    return sample.reset_index(drop=True)


def wilson(successes: Any, trials: Any, confidence: float = CONFIDENCE) -> tuple[Any, Any]:
    """Wilson score interval (statsmodels), NaN for zero trials."""
    from statsmodels.stats.proportion import proportion_confint

    hits = np.asarray(successes, dtype=float)
    total = np.asarray(trials, dtype=float)
    safe = np.where(total > 0, total, 1.0)
    lower, upper = proportion_confint(hits, safe, alpha=1.0 - confidence, method="wilson")
    return np.where(total > 0, lower, np.nan), np.where(total > 0, upper, np.nan)


def open_share_by_gap(
    models: pd.DataFrame, edges: Sequence[float] = GAP_EDGES, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Share with open weights per bin [low, high) of the gap to the frontier, Wilson intervals."""
    sample = release_sample(models)
    bins = pd.cut(sample["frontier_gap"], list(edges), right=False)
    grouped = sample.groupby(bins, observed=False)
    table = pd.DataFrame(
        {
            "gap_lower": [interval.left for interval in grouped.groups],
            "gap_upper": [interval.right for interval in grouped.groups],
            "models": grouped["opened"].size().to_numpy(),
            "open": grouped["opened"].sum().to_numpy().astype(int),
            "mean_gap": grouped["frontier_gap"].mean().to_numpy(),
            "median_year": grouped["year"].median().to_numpy(),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["rate"] = np.where(table["models"] > 0, table["open"] / table["models"], np.nan)
    table["rate_lower"], table["rate_upper"] = wilson(table["open"], table["models"], confidence)
    return table


def _share(sample: pd.DataFrame, window: tuple[float, float]) -> tuple[int, int]:
    inside = sample[(sample["frontier_gap"] >= window[0]) & (sample["frontier_gap"] < window[1])]
    return int(inside["opened"].sum()), len(inside)


def share_contrast(
    models: pd.DataFrame,
    near: tuple[float, float] = NEAR,
    behind: tuple[float, float] = BEHIND,
    confidence: float = CONFIDENCE,
) -> dict[str, float]:
    """Open shares near the frontier and behind it, and their difference (Newcombe interval)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    sample = release_sample(models)
    near_open, near_n = _share(sample, near)
    behind_open, behind_n = _share(sample, behind)
    near_lower, near_upper = wilson(near_open, near_n, confidence)
    behind_lower, behind_upper = wilson(behind_open, behind_n, confidence)
    lower, upper = confint_proportions_2indep(
        behind_open, behind_n, near_open, near_n, method="newcomb", alpha=1.0 - confidence
    )
    return {
        "near_open": near_open,
        "near_n": near_n,
        "near_rate": near_open / near_n,
        "near_lower": float(near_lower),
        "near_upper": float(near_upper),
        "behind_open": behind_open,
        "behind_n": behind_n,
        "behind_rate": behind_open / behind_n,
        "behind_lower": float(behind_lower),
        "behind_upper": float(behind_upper),
        "difference": behind_open / behind_n - near_open / near_n,
        "difference_lower": float(lower),
        "difference_upper": float(upper),
    }


def _logit(formula: str, data: pd.DataFrame) -> Any:
    import statsmodels.formula.api as smf

    return smf.logit(formula, data).fit(disp=0)


def coefficient_table(fit: Any, specification: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """A fitted statsmodels model's coefficients: estimate, SE, z, p, interval, odds ratio."""
    interval = fit.conf_int(alpha=1.0 - confidence)
    return pd.DataFrame(
        {
            "specification": specification,
            "term": fit.params.index,
            "estimate": fit.params.to_numpy(),
            "std_error": fit.bse.to_numpy(),
            "z": fit.tvalues.to_numpy(),
            "p_value": fit.pvalues.to_numpy(),
            "lower": interval[0].to_numpy(),
            "upper": interval[1].to_numpy(),
            "odds_ratio": np.exp(fit.params.to_numpy()),
            "n": int(fit.nobs),
            "pseudo_r2": float(getattr(fit, "prsquared", np.nan)),
        }
    )


def gap_logit(models: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Logits of open weights on the gap: linear, and quadratic (the bins rise then fall).

    Returns:
        ``(coefficients, fits)``: the coefficient tables of both, and the two fitted models
        (``"linear"``, ``"quadratic"``) for predictions.
    """
    sample = release_sample(models)
    fits = {
        "linear": _logit("opened ~ frontier_gap", sample),
        "quadratic": _logit("opened ~ frontier_gap + I(frontier_gap ** 2)", sample),
    }
    table = pd.concat(
        [coefficient_table(fit, f"gap {name}") for name, fit in fits.items()], ignore_index=True
    )
    return table, fits


def propensity_logit(models: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Habibi's propensity: logit of open weights on the edge, big tech and the year.

    Specifications: ``edge over year median`` (the edge is ``compute_edge``, log-compute minus
    the median log-compute of the same year's models) and ``edge = -gap to frontier`` (the edge
    is minus ``frontier_gap``, 0 at the frontier). The year enters linearly, centred on
    :data:`CENTRE_YEAR`.
    """
    sample = release_sample(models)
    fits = {
        "edge over year median": _logit("opened ~ compute_edge + big_tech + year_centred", sample),
        "edge = -gap to frontier": _logit("opened ~ edge_gap + big_tech + year_centred", sample),
    }
    table = pd.concat(
        [coefficient_table(fit, name) for name, fit in fits.items()], ignore_index=True
    )
    return table, fits


def closed_open_gap(models: pd.DataFrame, min_models: int = MIN_MODELS) -> pd.DataFrame:
    """Per year: the best closed and best open log-compute, their gap, and the running frontiers.

    Closed means a known accessibility without open weights. ``included`` marks the years with
    at least ``min_models`` models of each kind (the trend uses only those). The running
    frontiers (``closed_frontier``, ``open_frontier``) are the maxima up to the year's end.
    """
    known = models.dropna(subset=["log_compute", "open_weights"])
    kind = np.where(known["open_weights"].astype(bool), "open", "closed")
    best = known.groupby([known["year"], kind])["log_compute"].agg(["max", "size"]).unstack()
    years = np.arange(int(known["year"].min()), int(known["year"].max()) + 1)
    best = best.reindex(years)
    table = pd.DataFrame(
        {
            "year": years,
            "best_closed": best[("max", "closed")].to_numpy(),
            "best_open": best[("max", "open")].to_numpy(),
            "closed_models": best[("size", "closed")].fillna(0).astype(int).to_numpy(),
            "open_models": best[("size", "open")].fillna(0).astype(int).to_numpy(),
        }
    )
    table["gap"] = table["best_closed"] - table["best_open"]
    table["included"] = (table["closed_models"] >= min_models) & (
        table["open_models"] >= min_models
    )
    table["closed_frontier"] = table["best_closed"].cummax()
    table["open_frontier"] = table["best_open"].cummax()
    table["frontier_gap"] = table["closed_frontier"] - table["open_frontier"]
    return table


def gap_trend(table: pd.DataFrame, confidence: float = CONFIDENCE) -> dict[str, float]:
    """OLS of the yearly closed–open gap on the year (included years): slope and mean gap."""
    from statsmodels.regression.linear_model import OLS

    rows = table[table["included"]]
    design = np.column_stack([np.ones(len(rows)), rows["year"].to_numpy() - CENTRE_YEAR])
    fit = OLS(rows["gap"].to_numpy(), design).fit()
    lower, upper = fit.conf_int(alpha=1.0 - confidence)[1]
    constant = OLS(rows["gap"].to_numpy(), np.ones((len(rows), 1))).fit()
    mean_lower, mean_upper = constant.conf_int(alpha=1.0 - confidence)[0]
    return {
        "slope": float(fit.params[1]),
        "slope_lower": float(lower),
        "slope_upper": float(upper),
        "intercept": float(fit.params[0]),
        "mean_gap": float(constant.params[0]),
        "mean_lower": float(mean_lower),
        "mean_upper": float(mean_upper),
        "years": len(rows),
        "first_year": int(rows["year"].min()),
        "last_year": int(rows["year"].max()),
    }


def derivative_edges(graph: nx.DiGraph) -> pd.DataFrame:
    """The fine-tune graph's edges as a frame: base, derivative, year, base family and openness."""
    rows = [
        {
            "base": base,
            "derivative": derivative,
            "year": data["year"],
            "base_family": graph.nodes[base].get("family", family(base)),
            "base_in_snapshot": bool(graph.nodes[base].get("in_snapshot", False)),
            "base_open_weights": graph.nodes[base].get("open_weights"),
        }
        for base, derivative, data in graph.edges(data=True)
    ]
    columns = ["base", "derivative", "year", "base_family", "base_in_snapshot", "base_open_weights"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["year", "base", "derivative"]).reset_index(drop=True)


def derivatives_per_base(edges: pd.DataFrame) -> pd.DataFrame:
    """Derivatives per base model (bases with at least one), most first."""
    counts = edges.groupby("base").agg(
        derivatives=("derivative", "size"),
        family=("base_family", "first"),
        first_year=("year", "min"),
        open_weights=("base_open_weights", "first"),
    )
    return counts.sort_values(["derivatives", "first_year"], ascending=[False, True]).reset_index()


def hhi(labels: Any) -> float:
    """Herfindahl–Hirschman index Σ sᵢ² of the shares of each label (1/k for k equal groups)."""
    counts = pd.Series(np.asarray(labels, dtype=object)).value_counts().to_numpy(dtype=float)
    if counts.sum() == 0:
        return float("nan")
    shares = counts / counts.sum()
    return float(np.sum(shares**2))


def _jackknife_hhi(labels: np.ndarray, confidence: float) -> tuple[float, float]:
    """Normal interval of the HHI from its jackknife standard error, clipped to [0, 1].

    The jackknife suits the HHI (a smooth function of the shares); a percentile bootstrap
    does not: resampling with replacement duplicates derivatives and biases the HHI upwards,
    so its intervals can miss the estimate altogether.
    """
    from scipy.special import ndtri

    n = labels.size
    if n < 2:
        return float("nan"), float("nan")
    _, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes).astype(float)
    # Leaving out one derivative of group g: counts_g − 1 over n − 1 derivatives.
    total = np.sum(counts**2)
    leave_out = (total - 2.0 * counts + 1.0) / (n - 1) ** 2  # one value per group
    values = np.repeat(leave_out, counts.astype(int))
    error = np.sqrt((n - 1) / n * np.sum((values - values.mean()) ** 2))
    z = float(ndtri(0.5 + confidence / 2.0))
    estimate = total / n**2
    return float(max(0.0, estimate - z * error)), float(min(1.0, estimate + z * error))


def concentration_by_year(
    edges: pd.DataFrame,
    *,
    min_derivatives: int = MIN_DERIVATIVES,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """HHI of the year's derivatives over base models and over base families.

    Intervals from the jackknife over the year's derivative edges (:func:`_jackknife_hhi`);
    ``reported`` marks the years with at least ``min_derivatives``. ``hhi_floor`` is 1/n, the
    HHI if every derivative had its own base.
    """
    rows = []
    for year, group in edges.groupby("year"):
        bases = group["base"].to_numpy(dtype=object)
        families = group["base_family"].to_numpy(dtype=object)
        base_lower, base_upper = _jackknife_hhi(bases, confidence)
        family_lower, family_upper = _jackknife_hhi(families, confidence)
        rows.append(
            {
                "year": int(year),
                "derivatives": len(group),
                "bases": int(group["base"].nunique()),
                "families": int(group["base_family"].nunique()),
                "hhi_floor": 1.0 / len(group),
                "hhi_base": hhi(bases),
                "hhi_base_lower": base_lower,
                "hhi_base_upper": base_upper,
                "hhi_family": hhi(families),
                "hhi_family_lower": family_lower,
                "hhi_family_upper": family_upper,
                "top_family": pd.Series(families).value_counts().index[0],
                "top_family_share": float(pd.Series(families).value_counts().iloc[0]) / len(group),
                "reported": len(group) >= min_derivatives,
            }
        )
    return pd.DataFrame(rows)


def _row(
    finding: str,
    quantity: str,
    estimate: float,
    lower: float,
    upper: float,
    n: int,
    null: float,
    unit: str,
) -> dict[str, Any]:
    return {
        "finding": finding,
        "quantity": quantity,
        "estimate": float(estimate),
        "lower": float(lower),
        "upper": float(upper),
        "n": int(n),
        "null": float(null),
        "clears": bool(lower > null or upper < null),
        "unit": unit,
    }


def summarise(
    models: pd.DataFrame, graph: nx.DiGraph
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every finding's headline numbers in one table, and the tables behind them.

    Returns:
        ``(findings, tables)``: one row per quantity (``finding``, ``quantity``, ``estimate``,
        95 % ``lower``/``upper``, ``n``, ``null``, ``clears``: the interval excludes the null,
        ``unit``); ``tables`` holds ``open_share_by_gap``, ``gap_logit``, ``propensity_logit``,
        ``closed_open_gap``, ``derivative_edges``, ``derivatives_per_base``,
        ``concentration_by_year``.
    """
    rows = []
    bins = open_share_by_gap(models)
    contrast = share_contrast(models)
    qiu = "1 strong close, weak open (Qiu et al.)"
    rows.append(
        _row(qiu, f"open share, gap < {NEAR[1]:g} OOM", contrast["near_rate"],
             contrast["near_lower"], contrast["near_upper"], contrast["near_n"], np.nan, "share")
    )  # fmt: skip
    rows.append(
        _row(qiu, f"open share, gap {BEHIND[0]:g}–{BEHIND[1]:g} OOM", contrast["behind_rate"],
             contrast["behind_lower"], contrast["behind_upper"], contrast["behind_n"], np.nan,
             "share")
    )  # fmt: skip
    rows.append(
        _row(qiu, "difference behind − near", contrast["difference"],
             contrast["difference_lower"], contrast["difference_upper"],
             contrast["near_n"] + contrast["behind_n"], 0.0, "share")
    )  # fmt: skip
    far = bins[bins["gap_lower"] >= BEHIND[1]]
    far_open, far_n = int(far["open"].sum()), int(far["models"].sum())
    far_lower, far_upper = wilson(far_open, far_n)
    rows.append(
        _row(qiu, f"open share, gap ≥ {BEHIND[1]:g} OOM", far_open / far_n, far_lower, far_upper,
             far_n, np.nan, "share")
    )  # fmt: skip
    logits, _ = gap_logit(models)
    for specification, term, label in (
        ("gap linear", "frontier_gap", "logit slope on gap"),
        ("gap quadratic", "I(frontier_gap ** 2)", "logit curvature on gap²"),
    ):
        coefficient = logits[(logits["specification"] == specification) & (logits["term"] == term)]
        item = coefficient.iloc[0]
        rows.append(
            _row(qiu, label, item["estimate"], item["lower"], item["upper"], item["n"], 0.0,
                 "log-odds per OOM" if term == "frontier_gap" else "log-odds per OOM²")
        )  # fmt: skip

    habibi = "2 propensity: edge and big tech (Habibi)"
    propensity, _ = propensity_logit(models)
    for specification, term, label in (
        ("edge over year median", "compute_edge", "logit: edge over year median"),
        ("edge over year median", "big_tech", "logit: big tech"),
        ("edge over year median", "year_centred", "logit: year"),
        ("edge = -gap to frontier", "edge_gap", "logit (robustness): edge = −gap"),
        ("edge = -gap to frontier", "big_tech", "logit (robustness): big tech"),
    ):
        picked = propensity[
            (propensity["specification"] == specification) & (propensity["term"] == term)
        ].iloc[0]
        rows.append(
            _row(habibi, label, picked["estimate"], picked["lower"], picked["upper"], picked["n"],
                 0.0, "log-odds")
        )  # fmt: skip
    sample = release_sample(models)
    for flag, label in ((1.0, "big tech"), (0.0, "others")):
        part = sample[sample["big_tech"] == flag]
        opened, total = int(part["opened"].sum()), len(part)
        lower, upper = wilson(opened, total)
        rows.append(
            _row(habibi, f"open share, {label}", opened / total, lower, upper, total, np.nan,
                 "share")
        )  # fmt: skip

    race = "3 closed–open compute gap (race post)"
    gaps = closed_open_gap(models)
    trend = gap_trend(gaps)
    rows.append(
        _row(race, f"mean yearly gap {trend['first_year']}–{trend['last_year']}",
             trend["mean_gap"], trend["mean_lower"], trend["mean_upper"], trend["years"], 0.0,
             "OOM")
    )  # fmt: skip
    rows.append(
        _row(race, "trend of the gap", trend["slope"], trend["slope_lower"],
             trend["slope_upper"], trend["years"], 0.0, "OOM per year")
    )  # fmt: skip

    chain = "4 supply chain: derivatives and concentration"
    edges = derivative_edges(graph)
    per_base = derivatives_per_base(edges)
    concentration = concentration_by_year(edges)
    rows.append(
        _row(chain, "derivatives per base (mean, bases with ≥ 1)",
             per_base["derivatives"].mean(), *_mean_interval(per_base["derivatives"]),
             len(per_base), np.nan, "derivatives")
    )  # fmt: skip
    known = edges.dropna(subset=["base_open_weights"])
    on_open = int(known["base_open_weights"].astype(bool).sum())
    lower, upper = wilson(on_open, len(known))
    rows.append(
        _row(chain, "share of derivatives on open-weights bases (bases listed)",
             on_open / len(known), lower, upper, len(known), np.nan, "share")
    )  # fmt: skip
    for item in concentration[concentration["reported"]].itertuples(index=False):
        rows.append(
            _row(chain, f"HHI over base models, {item.year}", item.hhi_base,
                 item.hhi_base_lower, item.hhi_base_upper, item.derivatives, np.nan, "HHI")
        )  # fmt: skip
        rows.append(
            _row(chain, f"HHI over base families, {item.year}", item.hhi_family,
                 item.hhi_family_lower, item.hhi_family_upper, item.derivatives, np.nan, "HHI")
        )  # fmt: skip
    findings = pd.DataFrame(rows)
    tables = {
        "open_share_by_gap": bins,
        "gap_logit": logits,
        "propensity_logit": propensity,
        "closed_open_gap": gaps,
        "derivative_edges": edges,
        "derivatives_per_base": per_base,
        "concentration_by_year": concentration,
    }
    return findings, tables


def _mean_interval(values: pd.Series, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student-t interval of a mean."""
    from scipy.stats import t

    data = values.to_numpy(dtype=float)
    if data.size < 2:
        return float("nan"), float("nan")
    half = t.ppf(0.5 + confidence / 2.0, data.size - 1) * data.std(ddof=1) / np.sqrt(data.size)
    return float(data.mean() - half), float(data.mean() + half)
