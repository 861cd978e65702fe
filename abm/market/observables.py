"""Model-level observables of one period, computed from the population arrays.

:data:`OBSERVABLES` lists every series the DataCollector records, with its meaning; each is a
plain float, which the market's DataCollector records without a copy.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from abm.market.network import herfindahl
from abm.market.populations import ABSTAIN, COMPLY, FREE, PAY

OBSERVABLES: dict[str, str] = {
    "theta": "regulator's threshold θ in force",
    "penalty": "regulator's penalty p in force",
    "participation": "share of generalists releasing a model",
    "mean_openness": "mean ω over releasing generalists",
    "openness_q25": "25th percentile of ω over releasing generalists",
    "openness_median": "median ω over releasing generalists",
    "openness_q75": "75th percentile of ω over releasing generalists",
    "open_share": "share of generalists releasing with ω ≥ the open bar",
    "share_free": "share of generalists in the free regime (rule does not bind)",
    "share_comply": "share of generalists complying (ω ≥ θ where the rule binds)",
    "share_pay": "share of generalists paying the penalty",
    "share_abstain": "share of generalists abstaining",
    "penalties_paid": "total penalties paid (deadweight loss)",
    "utility_generalists": "total generalist payoff",
    "utility_specialists": "total specialist payoff",
    "closed_profit": "total closed-firm profit (revenue − amortised compute)",
    "consumer_surplus": "customers' surplus summed over niches (logit: expected best value)",
    "welfare": "generalists + specialists + closed firms + customers (penalties are lost)",
    "mean_alpha0": "mean base-model performance α0",
    "mean_alpha1": "mean fine-tuned performance α1 over matched specialists",
    "mean_effort": "mean fine-tuning effort α1 − α0 over matched specialists",
    "mean_price": "mean price per customer-day of the derivatives sold",
    "matched_specialists": "number of specialists fine-tuning a model",
    "hhi": "Herfindahl index of derivatives per base model",
    "niche_hhi": "mean over niches of the Herfindahl index of revenue shares",
    "open_frontier": "compute x of the free open model (every customer's outside option)",
    "open_value": "value per customer-day of the free open model",
    "closed_mean_compute": "mean compute of closed models",
    "closed_mean_price": "mean price per customer-day of closed models",
    "closed_revenue": "total closed-firm revenue this period",
    "upgrade_incentive": "mean net per-period gain of one more compute level",
    "closed_margin": "mean value of closed models over the free open model, per customer-day",
    "open_closed_gap": "orders of magnitude between the best closed model's compute and the "
    "open frontier's",
}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _quartiles(values: np.ndarray) -> list[float]:
    """The 25th, 50th and 75th percentiles, bit for bit as ``np.quantile`` (linear) has them.

    One sort, then numpy's interpolation a + (b − a)·t (b − (b − a)(1 − t) from t ≥ ½) in
    Python floats: ``np.quantile`` costs a small market a tenth of its period.
    """
    if not values.size:
        return [math.nan] * 3
    ordered = np.sort(values).tolist()
    last = len(ordered) - 1
    quartiles = []
    for level in (0.25, 0.5, 0.75):
        index = last * level
        below = math.floor(index)
        weight = index - below
        low, high = ordered[below], ordered[min(below + 1, last)]
        step = high - low
        quartiles.append(high - step * (1 - weight) if weight >= 0.5 else low + step * weight)
    return quartiles


def _niche_hhi(clearing: Any) -> float:
    """Mean over niches with revenue of Σ (revenue share)²."""
    if clearing is None or clearing.revenue.size == 0:
        return float("nan")
    n = clearing.n_niches
    total = np.bincount(clearing.niche, weights=clearing.revenue, minlength=n)
    selling = total > 0
    if not selling.any():
        return float("nan")
    shares = clearing.revenue / np.where(total > 0, total, 1.0)[clearing.niche]
    hhi = np.bincount(clearing.niche, weights=shares**2, minlength=n)
    return float(hhi[selling].mean())


def compute_observables(model: Any) -> dict[str, float]:
    """Every entry of :data:`OBSERVABLES` for the current period of ``model``.

    A sum or mean beyond the largest float is reported as inf without numpy's warning (the
    market refuses such values where they matter, in one line naming the field).
    """
    with np.errstate(over="ignore"):
        return _observables(model)


def _observables(model: Any) -> dict[str, float]:
    g = model.generalists
    s = model.specialists
    c = model.closed_firms
    released = g.openness[g.participates]
    quartiles = _quartiles(released)
    regime_counts = np.bincount(g.regime, minlength=4) / g.count
    penalties = float(g.penalty_paid.sum())
    utility_g = float(g.utility.sum())
    utility_s = float(s.utility.sum())
    profit_c = float(c.profit.sum())
    clearing = model.clearing
    surplus = float(clearing.consumer_surplus.sum()) if clearing is not None else 0.0
    return {
        "theta": float(np.mean(model.theta)),
        "penalty": float(np.mean(model.penalty)),
        "participation": float(g.participates.mean()),
        "mean_openness": _mean(released),
        "openness_q25": float(quartiles[0]),
        "openness_median": float(quartiles[1]),
        "openness_q75": float(quartiles[2]),
        "open_share": float(model.open_share),
        "share_free": float(regime_counts[FREE]),
        "share_comply": float(regime_counts[COMPLY]),
        "share_pay": float(regime_counts[PAY]),
        "share_abstain": float(regime_counts[ABSTAIN]),
        "penalties_paid": penalties,
        "utility_generalists": utility_g,
        "utility_specialists": utility_s,
        "closed_profit": profit_c,
        "consumer_surplus": surplus,
        "welfare": utility_g + utility_s + profit_c + surplus,
        "mean_alpha0": float(g.alpha0.mean()),
        "mean_alpha1": _mean(s.alpha1[s.matched]),
        "mean_effort": _mean(s.effort[s.matched]),
        "mean_price": _mean(s.price[s.matched]),
        "matched_specialists": float(s.matched.sum()),
        "hhi": herfindahl(g.derivatives),
        "niche_hhi": _niche_hhi(clearing),
        "open_frontier": float(model.open_compute),
        "open_value": float(model.outside),
        "closed_mean_compute": _mean(c.compute),
        "closed_mean_price": _mean(c.price),
        "closed_revenue": float(c.revenue.sum()),
        "upgrade_incentive": _mean(c.upgrade_incentive),
        "closed_margin": _mean(c.value - model.outside),
        "open_closed_gap": (
            float(np.log10(c.compute.max() / model.open_compute)) if c.count else float("nan")
        ),
    }


def reporter(name: str) -> partial[float]:
    """A picklable DataCollector reporter returning observable ``name`` of the period.

    Mesa 3.3.1 calls lambdas and ``functools.partial`` objects with the model, so a partial of
    a module-level function is both accepted and picklable.
    """
    return partial(observable, name=name)


def observable(model: Any, name: str) -> float:
    """The value of observable ``name`` in the model's current period."""
    return model.observables[name]
