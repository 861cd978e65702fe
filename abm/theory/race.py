"""Model II — the open-vs-closed race (seed 001): closed forms, vectorised over firms.

One closed-model firm per niche sells to n identical customers for m days. A free open model of
compute x is everyone's outside option, so a closed model of compute y earns the premium
f(y) − f(x) per customer-day and n·m·(f(y) − f(x)) over the horizon. If the open model catches up
to x′ on day k, the horizon splits into k days against x and m − k days against x′.

Every formula below is linear in two day-weights, W₁ (days before the catch-up) and W₂ (days
after), and in one demand factor N (effective customers). The extensions change only these
(discounting and an uncertain catch-up day change W₁ and W₂; heterogeneous valuations,
substitution across niches and an undercut change N; rival closed firms raise the outside
option), so each one reduces exactly to the base case when switched off, and the optimal spend
keeps its closed form under all of them.

All functions broadcast over their array arguments (one element per firm, niche or scenario).
The market settings they share are one frozen, validated :class:`RaceMarket` (as Model I's
:class:`~abm.theory.openness_game.OpennessGame`), passed as one argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from abm.errors import ParameterError, check_choice, check_range
from abm.theory.value_functions import FloatArray, ValueFunction, resolve_value

#: Pricing rules accepted by ``pricing``.
PRICING_RULES: tuple[str, ...] = ("uniform", "discriminate")


@dataclass(frozen=True)
class RaceMarket:
    """The market settings shared by the race functions; every default is the seed's base case.

    Frozen and validated on construction, like Model I's
    :class:`~abm.theory.openness_game.OpennessGame`; numeric fields may be arrays (one element
    per firm, niche or scenario) and results broadcast. Change fields with :meth:`replace`.

    Attributes:
        customers: n ≥ 0, customers in the niche (default 1).
        days: m > 0, the horizon in days (default 365).
        value: The value function: ``"log"`` (default), ``"power"``, a
            :class:`~abm.theory.value_functions.ValueFunction`, a callable f or a pair (f, f′);
            stored resolved, as a :class:`~abm.theory.value_functions.ValueFunction`.
        catchup_compute: x′ ≥ x, the open model's compute after the catch-up (default: none).
        catchup_day: k ∈ [0, m], the day the open model reaches x′; with ``hazard`` the earliest
            day it can arrive. Required with ``catchup_compute``.
        discount: Daily discount factor d ∈ (0, 1]; day t is weighted dᵗ (default 1).
        hazard: h ∈ [0, 1], daily probability that the catch-up arrives from day k on
            (default None: it arrives on day k for sure; h = 1 is the same thing).
        rival_compute: Compute of the best rival closed model in the niche (vertical Bertrand;
            default None: no rival). See :func:`best_rival` for a group of firms.
        valuations: Per-customer valuation scales along the last axis (customer i values a
            model at vᵢ·f); default None, all equal to 1.
        pricing: ``"uniform"`` (one price for all, default) or ``"discriminate"`` (perfect
            price discrimination); matters only with ``valuations``.
        substitution: σ ∈ [0, 1], share of another, equally large niche's customers who also
            buy this model (default 0).
        substitution_discount: δ ∈ [0, 1], the share of the premium those customers do not
            value (default 0).
        undercut: ε ∈ [0, 1), share of the premium left to buyers (default 0).
    """

    customers: ArrayLike = 1.0
    days: ArrayLike = 365.0
    value: Any = "log"
    catchup_compute: ArrayLike | None = None
    catchup_day: ArrayLike | None = None
    discount: ArrayLike = 1.0
    hazard: ArrayLike | None = None
    rival_compute: ArrayLike | None = None
    valuations: ArrayLike | None = None
    pricing: str = "uniform"
    substitution: ArrayLike = 0.0
    substitution_discount: ArrayLike = 0.0
    undercut: ArrayLike = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", resolve_value(self.value))
        for field in fields(self):
            current = getattr(self, field.name)
            if field.name not in ("value", "pricing") and current is not None:
                object.__setattr__(self, field.name, np.asarray(current, float))
        check_range("customers", self.customers, 0.0)
        check_range("days", self.days, 0.0, math.inf, low_open=True)
        check_range("discount", self.discount, 0.0, 1.0, low_open=True)
        if self.catchup_day is None:
            if self.catchup_compute is not None:
                raise ParameterError("catchup_day is required when catchup_compute is given")
        else:
            _check_day("catchup_day", self.catchup_day, self.days)
        if self.hazard is not None:
            check_range("hazard", self.hazard, 0.0, 1.0)
        check_choice("pricing", self.pricing, PRICING_RULES)
        check_range("substitution", self.substitution, 0.0, 1.0)
        check_range("substitution_discount", self.substitution_discount, 0.0, 1.0)
        check_range("undercut", self.undercut, 0.0, 1.0, high_open=True)
        if self.valuations is not None:
            _valuation_array(self.valuations)
        if self.rival_compute is not None:
            check_range("rival_compute", self.rival_compute, 0.0)
        if self.catchup_compute is not None:
            _check_compute("catchup_compute", self.catchup_compute, self.value)

    def replace(self, **changes: Any) -> RaceMarket:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


class PricingComparison(NamedTuple):
    """Revenue under a uniform price and under perfect price discrimination."""

    uniform: FloatArray
    discriminating: FloatArray
    loss: FloatArray


class OptimalSpend(NamedTuple):
    """The profit-maximising training spend (P3) and what it earns."""

    spend: FloatArray
    revenue: FloatArray
    profit: FloatArray


class _Market(NamedTuple):
    """Everything the formulas need, after validation and the extensions are applied."""

    value: ValueFunction
    buyers: FloatArray  # N: effective customers
    before: FloatArray  # W₁: (expected, discounted) days against the first open model
    after: FloatArray  # W₂: (expected, discounted) days against the catch-up
    outside_before: FloatArray | None  # x₁: customers' best alternative before the catch-up
    outside_after: FloatArray | None  # x₂: customers' best alternative after it


# --- day weights: discounting and an uncertain catch-up day --------------------------------


def geometric_sum(ratio: ArrayLike, count: ArrayLike) -> FloatArray:
    """Σ_{j=0}^{count−1} ratioʲ = (1 − ratio^count)/(1 − ratio), and count when ratio = 1.

    Evaluated as −expm1(count·ln ratio)/(1 − ratio), accurate for ratios close to 1.

    Args:
        ratio: Common ratio in [0, 1].
        count: Number of terms, ≥ 0 (real counts extend the formula continuously).

    Returns:
        The sum, broadcast over the arguments.
    """
    ratio = np.asarray(ratio, dtype=float)
    count = np.asarray(count, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = -np.expm1(count * np.log(ratio)) / (1.0 - ratio)
    return np.where(count == 0, 0.0, np.where(ratio == 1.0, count, partial))


def discounted_days(start: ArrayLike, stop: ArrayLike, discount: ArrayLike = 1.0) -> FloatArray:
    """Discounted number of days in [start, stop): Σ_{t=start}^{stop−1} dᵗ.

    Equals d^start·(1 − d^(stop−start))/(1 − d), and exactly stop − start when d = 1.

    Args:
        start: First day (day 0 is undiscounted).
        stop: One past the last day, ≥ start.
        discount: Daily discount factor d ∈ (0, 1].

    Returns:
        The weight of those days.
    """
    discount = np.asarray(discount, dtype=float)
    start = np.asarray(start, dtype=float)
    return discount**start * geometric_sum(discount, np.asarray(stop, dtype=float) - start)


def catchup_weights(
    days: ArrayLike,
    catchup_day: ArrayLike,
    *,
    discount: ArrayLike = 1.0,
    hazard: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Expected discounted days before (W₁) and after (W₂) the open catch-up.

    A sure catch-up on day k gives W₁ = Σ_{t<k} dᵗ and W₂ = Σ_{k≤t<m} dᵗ. With a hazard h the
    catch-up day is K = k + G, G geometric on {0, 1, …} (P(G = g) = h(1 − h)ᵍ), and K ≥ m means
    it misses the horizon. Then P(K > t) = (1 − h)^(t−k+1) for t ≥ k, so
    W₁ = Σ_t dᵗ·P(K > t) = Σ_{t<k} dᵗ + dᵏ(1 − h)·Σ_{j<m−k} (d(1 − h))ʲ and W₂ = Σ_{t<m} dᵗ − W₁.

    Args:
        days: Horizon m > 0.
        catchup_day: k ∈ [0, m], the catch-up day (with a hazard, the earliest one).
        discount: Daily discount factor d ∈ (0, 1].
        hazard: Daily arrival probability h ∈ [0, 1] from day k on; None for a sure day k.

    Returns:
        (W₁, W₂).
    """
    check_range("days", days, 0.0, math.inf, low_open=True)
    check_range("discount", discount, 0.0, 1.0, low_open=True)
    _check_day("catchup_day", catchup_day, days)
    if hazard is None:
        return discounted_days(0.0, catchup_day, discount), discounted_days(
            catchup_day, days, discount
        )
    check_range("hazard", hazard, 0.0, 1.0)
    survive = 1.0 - np.asarray(hazard, dtype=float)
    discount = np.asarray(discount, dtype=float)
    remaining = np.asarray(days, dtype=float) - np.asarray(catchup_day, dtype=float)
    before = discounted_days(0.0, catchup_day, discount) + discount ** np.asarray(
        catchup_day, dtype=float
    ) * survive * geometric_sum(discount * survive, remaining)
    total = discounted_days(0.0, days, discount)
    before = np.where(survive == 1.0, total, before)  # h = 0: never arrives, exactly
    return before, total - before


# --- rivals, outside options and the price per customer-day --------------------------------


def best_rival(computes: ArrayLike, axis: int = -1) -> FloatArray:
    """For each firm in a group, the compute of the best other firm (0 if it is alone).

    Args:
        computes: Closed-model computes of the firms in one niche, along ``axis``.
        axis: The axis that lists the firms.

    Returns:
        Array of the same shape: element i is max_{j≠i} computes_j.
    """
    firms = np.moveaxis(np.asarray(computes, dtype=float), axis, -1)
    if firms.shape[-1] < 2:
        return np.moveaxis(np.zeros_like(firms), -1, axis)
    ordered = np.sort(firms, axis=-1)
    largest, second = ordered[..., -1:], ordered[..., -2:-1]
    # The top firm faces the runner-up; every other firm faces the top (ties: equal values).
    return np.moveaxis(np.where(firms == largest, second, largest), -1, axis)


def outside_option(open_compute: ArrayLike, rival_compute: ArrayLike | None = None) -> FloatArray:
    """Compute of the customers' best alternative: the open model or the best rival closed one.

    Under vertical Bertrand competition with zero marginal cost the weaker firm prices at 0, so
    the leader's customers compare it with max(open, rival) offered for free.

    Args:
        open_compute: x, the best open model.
        rival_compute: The best rival closed model, or None.

    Returns:
        max(x, rival).
    """
    open_compute = np.asarray(open_compute, dtype=float)
    if rival_compute is None:
        return open_compute
    return np.maximum(open_compute, np.asarray(rival_compute, dtype=float))


def premium(
    closed_compute: ArrayLike, outside_compute: ArrayLike, value: object = "log"
) -> FloatArray:
    """The price per customer-day: max(0, f(y) − f(outside)).

    A model no better than the alternative sells nothing (equal models undercut to zero).

    Args:
        closed_compute: y, the closed model's compute.
        outside_compute: Compute of the customers' best free alternative.
        value: The value function (see :class:`RaceMarket`).

    Returns:
        The premium, ≥ 0.
    """
    curve = resolve_value(value)
    # A closed model of compute 0 under log has f = −inf: it sells nothing.
    return np.maximum(0.0, curve(closed_compute) - curve(outside_compute))


# --- demand: heterogeneous valuations, substitution, undercut ------------------------------


def uniform_price_capture(valuations: ArrayLike) -> FloatArray:
    """Revenue share of the best single price when customer i is willing to pay vᵢ·Δ.

    With the scales sorted v₍₁₎ ≥ … ≥ v₍N₎, the price Δ·v₍ⱼ₎ sells to j of N customers, so
    revenue per customer is Δ·max_j (j/N)·v₍ⱼ₎. The premium Δ factors out, so the best uniform
    price is the same fraction of Δ in every phase and for every model.

    Args:
        valuations: Valuation scales ≥ 0 along the last axis.

    Returns:
        max_j (j/N)·v₍ⱼ₎ (equal to 1 when every scale is 1).
    """
    descending = -np.sort(-_valuation_array(valuations), axis=-1)
    count = descending.shape[-1]
    share_buying = np.arange(1, count + 1) / count
    return np.max(descending * share_buying, axis=-1)


def discrimination_capture(valuations: ArrayLike) -> FloatArray:
    """Revenue share under perfect price discrimination: the mean scale (each pays vᵢ·Δ).

    Args:
        valuations: Valuation scales ≥ 0 along the last axis.

    Returns:
        mean(v).
    """
    return np.mean(_valuation_array(valuations), axis=-1)


def demand_multiplier(
    *,
    valuations: ArrayLike | None = None,
    pricing: str = "uniform",
    substitution: ArrayLike = 0.0,
    substitution_discount: ArrayLike = 0.0,
    undercut: ArrayLike = 0.0,
) -> FloatArray:
    """Effective customers per customer: capture·(1 + σ(1 − δ))·(1 − ε).

    The firm prices its own niche and the other niche separately (niches are separate
    markets); the other niche's buyers value the premium at (1 − δ) times as much, with the same
    valuation spread, so they add σ(1 − δ) of the own niche's revenue. The undercut leaves a
    share ε of every price to the buyer.

    Args:
        valuations: Valuation scales along the last axis, or None (all 1).
        pricing: ``"uniform"`` or ``"discriminate"``.
        substitution: σ ∈ [0, 1].
        substitution_discount: δ ∈ [0, 1].
        undercut: ε ∈ [0, 1).

    Returns:
        The factor N/n, exactly 1 with every switch off.
    """
    check_choice("pricing", pricing, PRICING_RULES)
    check_range("substitution", substitution, 0.0, 1.0)
    check_range("substitution_discount", substitution_discount, 0.0, 1.0)
    check_range("undercut", undercut, 0.0, 1.0, high_open=True)
    if valuations is None:
        capture = np.asarray(1.0)
    elif pricing == "uniform":
        capture = uniform_price_capture(valuations)
    else:
        capture = discrimination_capture(valuations)
    cross_niche = np.asarray(substitution, dtype=float) * (1.0 - np.asarray(substitution_discount))
    return capture * (1.0 + cross_niche) * (1.0 - np.asarray(undercut, dtype=float))


# --- revenue and the upgrade gain (P1, P2) --------------------------------------------------


def closed_revenue(
    closed_compute: ArrayLike, open_compute: ArrayLike, market: RaceMarket
) -> FloatArray:
    """Revenue of a closed model over the horizon: N·[W₁·premium(y, x₁) + W₂·premium(y, x₂)].

    Base case: n·m·(f(y) − f(x)); with a catch-up to x′ on day k:
    n·[k·(f(y) − f(x)) + (m − k)·max(0, f(y) − f(x′))].

    Args:
        closed_compute: y, the closed model's compute.
        open_compute: x, the open model's compute (before any catch-up).
        market: Market settings and extension switches, see :class:`RaceMarket`.

    Returns:
        Revenue, broadcast over the arguments.
    """
    setting = _market(open_compute, market)
    _check_compute("closed_compute", closed_compute, setting.value)
    return _revenue(closed_compute, setting)


def upgrade_gain(
    closed_compute: ArrayLike,
    upgrade_compute: ArrayLike,
    open_compute: ArrayLike,
    market: RaceMarket,
) -> FloatArray:
    """Extra revenue from upgrading y → z now (P1, P2).

    P1, no catch-up: n·m·(f(z) − f(y)) for y, z ≥ x, whatever x is.
    P2, catch-up to x′ on day k: n·m·(f(z) − f(y)) when x′ ≤ y, and
    n·[k·(f(z) − f(y)) + (m − k)·max(0, f(z) − f(x′))] when x′ > y.

    Args:
        closed_compute: y, the model the firm already has.
        upgrade_compute: z, the candidate upgrade.
        open_compute: x.
        market: Market settings and extension switches, see :class:`RaceMarket`.

    Returns:
        Revenue(z) − revenue(y).
    """
    setting = _market(open_compute, market)
    _check_compute("closed_compute", closed_compute, setting.value)
    _check_compute("upgrade_compute", upgrade_compute, setting.value)
    return _revenue(upgrade_compute, setting) - _revenue(closed_compute, setting)


def pricing_comparison(
    closed_compute: ArrayLike, open_compute: ArrayLike, market: RaceMarket
) -> PricingComparison:
    """Revenue under the best uniform price and under perfect discrimination, and the loss.

    Args:
        closed_compute: y.
        open_compute: x.
        market: Market settings, see :class:`RaceMarket`; ``pricing`` is ignored.

    Returns:
        (uniform, discriminating, discriminating − uniform).
    """
    uniform = closed_revenue(closed_compute, open_compute, market.replace(pricing="uniform"))
    discriminating = closed_revenue(
        closed_compute, open_compute, market.replace(pricing="discriminate")
    )
    return PricingComparison(uniform, discriminating, discriminating - uniform)


def monte_carlo_upgrade_gain(
    closed_compute: ArrayLike,
    upgrade_compute: ArrayLike,
    open_compute: ArrayLike,
    market: RaceMarket,
    *,
    rng: np.random.Generator,
    draws: int = 100_000,
) -> tuple[FloatArray, FloatArray]:
    """Monte Carlo estimate of the expected upgrade gain under a catch-up hazard.

    Draws the catch-up day K = k + G (G geometric on {0, 1, …} with success probability h),
    caps it at the horizon, and averages the gain with a sure catch-up on day K.

    Args:
        closed_compute: y.
        upgrade_compute: z.
        open_compute: x.
        rng: The random generator (seed it for reproducible checks).
        draws: Number of simulated catch-up days per element.
        market: As :class:`RaceMarket`; ``catchup_day`` and ``hazard`` ∈ (0, 1] required.

    Returns:
        (mean gain, standard error of the mean).
    """
    hazard, catchup_day = market.hazard, market.catchup_day
    if hazard is None or catchup_day is None:
        raise ParameterError("monte_carlo_upgrade_gain needs hazard and catchup_day")
    check_range("hazard", hazard, 0.0, 1.0, low_open=True)
    check_range("draws", draws, 2, math.inf)
    expected = upgrade_gain(closed_compute, upgrade_compute, open_compute, market)
    shape = (int(draws), *np.shape(expected))
    waits = rng.geometric(np.broadcast_to(hazard, shape), size=shape) - 1
    realised = np.minimum(np.asarray(catchup_day, dtype=float) + waits, market.days)
    sure = market.replace(hazard=None, catchup_day=realised)
    gains = upgrade_gain(closed_compute, upgrade_compute, open_compute, sure)
    return gains.mean(axis=0), gains.std(axis=0, ddof=1) / math.sqrt(draws)


# --- optimal training spend (P3) -------------------------------------------------------------


def spend_profit(spend: ArrayLike, open_compute: ArrayLike, market: RaceMarket) -> FloatArray:
    """Profit of training a model with compute = spend from scratch: revenue(z) − z.

    Spend 0 means no model: no revenue, no cost.

    Args:
        spend: z ≥ 0 (cost = compute).
        open_compute: x.
        market: Market settings and extension switches, see :class:`RaceMarket`.

    Returns:
        N·[W₁·max(0, f(z) − f(x₁)) + W₂·max(0, f(z) − f(x₂))] − z.
    """
    setting = _market(open_compute, market)
    check_range("spend", spend, 0.0)
    return _profit(spend, setting)


def full_horizon_spend(market: RaceMarket) -> FloatArray:
    """z*: the spend that is optimal when the model sells all horizon, N·(W₁ + W₂)·f′(z*) = 1.

    Base case n·m·f′(z*) = 1 (log: z* = n·m). It is the optimum without a catch-up when it
    beats the open model and pays for itself, and it bounds the spend with any catch-up.

    Args:
        market: Market settings and extension switches, see :class:`RaceMarket`;
            ``catchup_compute`` and ``catchup_day`` are ignored.

    Returns:
        z*.
    """
    setting = _market(None, market.replace(catchup_compute=None))
    return _full_horizon_spend(setting)


def retreat_spend(market: RaceMarket) -> FloatArray:
    """z_a: the spend that is optimal when the model sells only before the catch-up.

    N·W₁·f′(z_a) = 1 (base case n·k·f′(z_a) = 1; log: z_a = n·k).

    Args:
        market: Market settings and extension switches, see :class:`RaceMarket`;
            ``catchup_compute`` is ignored.

    Returns:
        z_a.
    """
    setting = _market(None, market.replace(catchup_compute=None))
    return _retreat_spend(setting)


def optimal_spend(open_compute: ArrayLike, market: RaceMarket) -> OptimalSpend:
    """P3: the profit-maximising spend with an open catch-up to x′ on day k.

    Profit is concave on (x₁, x₂] (only the first W₁ days pay) and on (x₂, ∞) (all days
    pay), so the optimum is one of: z* if z* > x₂; z_a clipped to [x₁, x₂]; or 0 (no model).
    Ties go to the larger spend; the result never exceeds z*.

    Args:
        open_compute: x.
        market: Market settings and extension switches, see :class:`RaceMarket`.

    Returns:
        (spend, revenue, profit) at the optimum.
    """
    setting = _market(open_compute, market)
    full = _full_horizon_spend(setting)
    retreat = np.clip(_retreat_spend(setting), setting.outside_before, setting.outside_after)
    candidates = np.stack(np.broadcast_arrays(full, retreat, np.zeros_like(full)), axis=-1)
    profits = np.stack(
        np.broadcast_arrays(*(_profit(candidates[..., i], setting) for i in range(3))), axis=-1
    )
    best = np.argmax(profits, axis=-1)[..., None]
    spend = np.take_along_axis(np.broadcast_to(candidates, profits.shape), best, -1)[..., 0]
    profit = np.take_along_axis(profits, best, -1)[..., 0]
    return OptimalSpend(spend, profit + spend, profit)


def switching_threshold(open_compute: ArrayLike, market: RaceMarket) -> FloatArray:
    """The catch-up level x̂ above which the firm stops training z* (P3).

    Keeping z* earns π_A(x′) = N·[W₁(f(z*) − f(x₁)) + W₂(f(z*) − f(x′))] − z*, decreasing in x′;
    retreating earns π_B = max(0, N·W₁(f(z_a) − f(x₁)) − z_a) (0: train nothing). Solving
    π_A = π_B: f(x̂) = f(z*) + [N·W₁(f(z*) − f(x₁)) − z* − π_B]/(N·W₂), inverted in closed form
    for log and power and by a bracketed root for user callables. x̂ lies in (z_a, z*).

    Args:
        open_compute: x.
        market: Market settings, see :class:`RaceMarket`; ``catchup_compute`` is ignored
            (x̂ is the catch-up level that makes the firm switch).

    Returns:
        x̂; +inf when the catch-up misses the horizon (W₂ = 0), NaN when z* is not worth
        training even without a catch-up.
    """
    setting = _market(open_compute, market.replace(catchup_compute=None))
    curve, buyers = setting.value, setting.buyers
    full, retreat = _full_horizon_spend(setting), _retreat_spend(setting)
    outside = setting.outside_before
    with np.errstate(divide="ignore", invalid="ignore"):
        full_premium = curve(full) - curve(outside)
        retreat_profit = buyers * setting.before * (curve(retreat) - curve(outside)) - retreat
        retreat_profit = np.where(retreat > outside, np.maximum(retreat_profit, 0.0), 0.0)
        full_profit = buyers * (setting.before + setting.after) * full_premium - full
        level = curve(full) + (buyers * setting.before * full_premium - full - retreat_profit) / (
            buyers * setting.after
        )
        trains_full = (full > outside) & (full_profit >= retreat_profit)
        finite = trains_full & (setting.after > 0)
        threshold = curve.compute_for_value(np.where(finite, level, np.nan))
    return np.where(trains_full, np.where(setting.after > 0, threshold, np.inf), np.nan)


# --- private helpers -------------------------------------------------------------------------


def _market(open_compute: ArrayLike | None, market: RaceMarket) -> _Market:
    """Reduce the (validated) market settings to (f, N, W₁, W₂, x₁, x₂)."""
    curve = market.value
    if market.catchup_day is None:
        before = discounted_days(0.0, market.days, market.discount)
        after = np.zeros(np.shape(market.days))
    else:
        before, after = catchup_weights(
            market.days, market.catchup_day, discount=market.discount, hazard=market.hazard
        )
    buyers = np.asarray(market.customers, dtype=float) * demand_multiplier(
        valuations=market.valuations,
        pricing=market.pricing,
        substitution=market.substitution,
        substitution_discount=market.substitution_discount,
        undercut=market.undercut,
    )
    if open_compute is None:
        return _Market(curve, buyers, before, after, None, None)
    _check_compute("open_compute", open_compute, curve)
    catchup_compute = market.catchup_compute
    if catchup_compute is None:
        catchup_compute = open_compute
    else:
        regress = np.asarray(catchup_compute, dtype=float) < np.asarray(open_compute, dtype=float)
        if np.any(regress):
            raise ParameterError(
                "catchup_compute must be at least open_compute (the open model does not regress)"
            )
    return _Market(
        curve,
        buyers,
        before,
        after,
        outside_option(open_compute, market.rival_compute),
        outside_option(catchup_compute, market.rival_compute),
    )


def _revenue(compute: ArrayLike, setting: _Market) -> FloatArray:
    """N·[W₁·premium(compute, x₁) + W₂·premium(compute, x₂)]."""
    first = premium(compute, setting.outside_before, setting.value)
    second = premium(compute, setting.outside_after, setting.value)
    return setting.buyers * (setting.before * first + setting.after * second)


def _profit(spend: ArrayLike, setting: _Market) -> FloatArray:
    """Revenue of a model of compute ``spend`` minus the spend; 0 for no model."""
    spend = np.asarray(spend, dtype=float)
    trained = spend > 0
    revenue = _revenue(np.where(trained, spend, setting.outside_after), setting)
    return np.where(trained, revenue - spend, 0.0)


def _full_horizon_spend(setting: _Market) -> FloatArray:
    """Solve N·(W₁ + W₂)·f′(z) = 1."""
    with np.errstate(divide="ignore"):
        slope = 1.0 / (setting.buyers * (setting.before + setting.after))
    return setting.value.compute_for_slope(slope)


def _retreat_spend(setting: _Market) -> FloatArray:
    """Solve N·W₁·f′(z) = 1."""
    with np.errstate(divide="ignore"):
        slope = 1.0 / (setting.buyers * setting.before)
    return setting.value.compute_for_slope(slope)


def _check_compute(name: str, compute: ArrayLike, curve: ValueFunction) -> None:
    """Compute must be in f's domain: > 0 (log, user callables) or ≥ 0 (power)."""
    check_range(name, compute, 0.0, math.inf, low_open=not curve.zero_compute)


def _check_day(name: str, day: ArrayLike, days: ArrayLike) -> None:
    """A day must lie in [0, days]."""
    check_range(name, day, 0.0)
    day_array, horizon = np.broadcast_arrays(np.asarray(day, float), np.asarray(days, float))
    late = day_array > horizon
    if np.any(late):
        raise ParameterError(
            f"{name} must be in [0, days] (the horizon), got {day_array[late].flat[0]:g}"
        )


def _valuation_array(valuations: ArrayLike) -> FloatArray:
    """Valuation scales as a float array with at least one customer on the last axis."""
    array = np.atleast_1d(np.asarray(valuations, dtype=float))
    if array.shape[-1] == 0:
        raise ParameterError("valuations must list at least one customer")
    check_range("valuations", array, 0.0)
    return array
