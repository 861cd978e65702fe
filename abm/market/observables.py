"""Model-level observables of one period, computed from the population arrays.

:data:`OBSERVABLES` lists every series the DataCollector records, with its meaning; each is a
plain float, which the market's DataCollector records without a copy.
"""

from __future__ import annotations

import math
from functools import lru_cache, partial
from typing import Any

import numpy as np

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


def _quartiles(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """The 25th, 50th and 75th percentiles of each group's values, shape ``(n_groups, 3)``.

    Bit for bit as ``np.quantile`` (linear) has them for each group alone: one sort by group
    and value, then numpy's interpolation a + (b − a)·t (b − (b − a)(1 − t) from t ≥ ½). NaN
    for an empty group. (``np.quantile`` per group would cost a small market a tenth of its
    period.)
    """
    result = np.full((n_groups, 3), np.nan)
    if not values.size:
        return result
    if n_groups == 1:  # one group: the same arithmetic on Python floats is cheaper
        result[0] = _quartiles_of(np.sort(values).tolist())
        return result
    ordered = values[np.lexsort((values, group))]
    counts = np.bincount(group, minlength=n_groups)
    present = np.flatnonzero(counts)
    first = (np.cumsum(counts) - counts)[present]
    last = counts[present] - 1
    for column, level in enumerate((0.25, 0.5, 0.75)):
        index = last * level
        below = np.floor(index)
        weight = index - below
        low = ordered[first + below.astype(np.intp)]
        high = ordered[first + np.minimum(below.astype(np.intp) + 1, last)]
        step = high - low
        result[present, column] = np.where(
            weight >= 0.5, high - step * (1 - weight), low + step * weight
        )
    return result


def _quartiles_of(ordered: list[float]) -> list[float]:
    """:func:`_quartiles` of one group's values, sorted, as Python floats."""
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


@lru_cache(maxsize=256)
def _groups(count: int, replications: int) -> _Groups:
    """The :class:`_Groups` of a population of ``count`` agents (built once per size)."""
    return _Groups(count, replications)


class _Groups:
    """Sums and means of a population's values within each replication (R rows).

    Whole-population sums reduce each replication's contiguous row as numpy reduces a
    one-dimensional array; sums over some agents (a mask) add them in agent order. Either way a
    replication's figure is the same whether it runs alone or stacked with others.
    """

    def __init__(self, count: int, replications: int) -> None:
        self.replications = replications
        self.per = count // replications
        self.replica = np.repeat(np.arange(replications, dtype=np.intp), self.per)
        self.replica.flags.writeable = False  # shared by every model of this size

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float).reshape(self.replications, self.per).sum(axis=1)

    def mean(self, values: np.ndarray) -> np.ndarray:
        if not self.per:
            return np.full(self.replications, np.nan)
        return self.total(values) / self.per

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.replica[mask], minlength=self.replications).astype(float)

    def masked_mean(self, values: np.ndarray, mask: np.ndarray, count: np.ndarray) -> np.ndarray:
        """NaN where no agent is counted (under :func:`observable_table`'s error state)."""
        total = np.bincount(self.replica[mask], weights=values[mask], minlength=self.replications)
        return np.where(count > 0, total / count, np.nan)  # (numpy's NaN, not 0/0's)


def _niche_hhi(clearing: Any, replications: int) -> np.ndarray:
    """Per replication, the mean over niches with revenue of Σ (revenue share)²."""
    if clearing is None or clearing.revenue.size == 0:
        return np.full(replications, np.nan)
    n = clearing.n_niches
    total = np.bincount(clearing.niche, weights=clearing.revenue, minlength=n)
    selling = total > 0
    shares = clearing.revenue / np.where(selling, total, 1.0)[clearing.niche]
    hhi = np.bincount(clearing.niche, weights=shares**2, minlength=n)
    niches = _groups(n, replications)
    count = niches.count(selling)
    return niches.masked_mean(hhi, selling, count)


def _in_force(value: Any, replications: int) -> Any:
    """θ or p as reported: one per replication in a batch, else the run's number.

    A single run may hold one per generalist (the checks give each pair its own regulator):
    then their mean.
    """
    return value if replications > 1 or np.ndim(value) == 0 else np.mean(value)


def compute_observables(model: Any) -> dict[str, float]:
    """Every entry of :data:`OBSERVABLES` for the current period of a single-run ``model``."""
    return dict(zip(OBSERVABLES, observable_table(model)[0].tolist(), strict=True))


def observable_table(model: Any) -> np.ndarray:
    """Every entry of :data:`OBSERVABLES` for the current period, one row per replication.

    A sum or mean beyond the largest float is reported as inf without numpy's warning (the
    market refuses such values where they matter, in one line naming the field).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # (empty means: NaN)
        return _observables(model)


def _observables(model: Any) -> np.ndarray:
    g = model.generalists
    s = model.specialists
    c = model.closed_firms
    reps = int(getattr(model, "replications", 1))
    gens, specs, firms = (_groups(pop.count, reps) for pop in (g, s, c))
    releasing = gens.count(g.participates)
    quartiles = _quartiles(g.openness[g.participates], gens.replica[g.participates], reps)
    regimes = np.bincount(g.regime + 4 * gens.replica, minlength=4 * reps).reshape(reps, 4)
    regimes = regimes / gens.per
    utility_g = gens.total(g.utility)
    utility_s = specs.total(s.utility)
    profit_c = firms.total(c.profit)
    clearing = model.clearing
    surplus = (
        _groups(clearing.n_niches, reps).total(clearing.consumer_surplus)
        if clearing is not None
        else np.zeros(reps)
    )
    matched = s.matched
    n_matched = specs.count(matched)
    outside = np.zeros(reps) + model.outside
    open_compute = np.zeros(reps) + model.open_compute
    if c.count:
        best = c.compute.reshape(reps, -1).max(axis=1)
        gap = np.log10(best / open_compute)
        margin = firms.mean(c.value - np.repeat(outside, firms.per))
    else:
        gap = margin = np.full(reps, np.nan)
    columns = {
        "theta": _in_force(model.theta, reps),
        "penalty": _in_force(model.penalty, reps),
        "participation": releasing / gens.per,
        "mean_openness": gens.masked_mean(g.openness, g.participates, releasing),
        "openness_q25": quartiles[:, 0],
        "openness_median": quartiles[:, 1],
        "openness_q75": quartiles[:, 2],
        "open_share": model.open_share,
        "share_free": regimes[:, FREE],
        "share_comply": regimes[:, COMPLY],
        "share_pay": regimes[:, PAY],
        "share_abstain": regimes[:, ABSTAIN],
        "penalties_paid": gens.total(g.penalty_paid),
        "utility_generalists": utility_g,
        "utility_specialists": utility_s,
        "closed_profit": profit_c,
        "consumer_surplus": surplus,
        "welfare": utility_g + utility_s + profit_c + surplus,
        "mean_alpha0": gens.mean(g.alpha0),
        "mean_alpha1": specs.masked_mean(s.alpha1, matched, n_matched),
        "mean_effort": specs.masked_mean(s.effort, matched, n_matched),
        "mean_price": specs.masked_mean(s.price, matched, n_matched),
        "matched_specialists": n_matched,
        "hhi": (g.share.reshape(reps, -1) ** 2).sum(axis=1),  # shares of derivatives per base
        "niche_hhi": _niche_hhi(clearing, reps),
        "open_frontier": open_compute,
        "open_value": outside,
        "closed_mean_compute": firms.mean(c.compute),
        "closed_mean_price": firms.mean(c.price),
        "closed_revenue": firms.total(c.revenue),
        "upgrade_incentive": firms.mean(c.upgrade_incentive),
        "closed_margin": margin,
        "open_closed_gap": gap,
    }
    table = np.empty((reps, len(OBSERVABLES)))
    for column, name in enumerate(OBSERVABLES):
        table[:, column] = columns[name]
    return table


def reporter(name: str) -> partial[float]:
    """A picklable DataCollector reporter returning observable ``name`` of the period.

    Mesa 3.3.1 calls lambdas and ``functools.partial`` objects with the model, so a partial of
    a module-level function is both accepted and picklable.
    """
    return partial(observable, name=name)


def observable(model: Any, name: str) -> float:
    """The value of observable ``name`` in the model's current period."""
    return model.observables[name]
