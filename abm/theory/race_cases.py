"""Model II, one case at a time: the questions ``abm race`` and the race study ask.

A :class:`RaceCase` is one market (the seed's base case plus any extensions) with the three
computes of the story: the open model x, the closed model y and the upgrade z. From it,

* :func:`upgrade_outcome` answers P1/P2: the closed model's revenue and the gain of y → z,
  with and without the open catch-up (and, with heterogeneous valuations, what a uniform price
  loses against perfect discrimination);
* :func:`spend_outcome` answers P3: the profit-maximising training spend with the catch-up, and
  the catch-up level above which the firm retreats;
* :func:`catchup_curve` traces the upgrade gain and the optimal spend against the catch-up
  level x′ (the data of ``abm race --out`` and of study 4).

Scalars in, floats out; the formulas are those of :mod:`abm.theory.race`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from abm.theory.race import (
    PricingComparison,
    RaceMarket,
    closed_revenue,
    full_horizon_spend,
    optimal_spend,
    pricing_comparison,
    retreat_spend,
    switching_threshold,
    upgrade_gain,
)
from abm.theory.value_functions import FloatArray

#: Catch-up levels on the curve's geometric grid (the marked levels are added to it).
CURVE_POINTS = 400


#: The catch-up day of the seed's base case (``abm race --catchup-day``'s default).
BASE_CATCHUP_DAY = 100


@dataclass(frozen=True)
class RaceCase:
    """One race setting: the three computes of the story, in a market of :mod:`abm.theory.race`.

    Every default is the seed's base case (and ``abm race``'s default).

    Attributes:
        open_compute: x > 0, the open model's compute before any catch-up.
        closed_compute: y > 0, the closed model the firm already has.
        upgrade_compute: z > 0, the candidate upgrade.
        setting: The market (customers, horizon, value function, the catch-up x′ on day k and
            the extensions); its ``catchup_day`` is kept without a catch-up level too, for the
            P3 thresholds.
    """

    open_compute: float = 1.0
    closed_compute: float = 4.0
    upgrade_compute: float = 16.0
    setting: RaceMarket = field(default_factory=lambda: RaceMarket(catchup_day=BASE_CATCHUP_DAY))

    def market(self, *, catchup: bool = True) -> RaceMarket:
        """The market with the catch-up (x′ on day k), or, with ``catchup=False``, without any.

        Args:
            catchup: Include the catch-up when the case has one.

        Returns:
            The market settings; the day k is included only with the catch-up.
        """
        if catchup and self.setting.catchup_compute is not None:
            return self.setting
        return self.setting.replace(catchup_compute=None, catchup_day=None)

    def day_market(self) -> RaceMarket:
        """The market with the catch-up day k but no catch-up level (for the P3 thresholds)."""
        return self.setting.replace(catchup_compute=None)


class UpgradeOutcome(NamedTuple):
    """P1/P2 for one case.

    Attributes:
        revenue: Revenue of the closed model y over the horizon.
        upgrade_gain: Gain from upgrading y → z, with the catch-up if the case has one.
        gain_without_catchup: The same gain without the catch-up (P1).
        pricing: Uniform against discriminating revenue, when the case has valuations.
    """

    revenue: float
    upgrade_gain: float
    gain_without_catchup: float
    pricing: PricingComparison | None


class SpendOutcome(NamedTuple):
    """P3 for one case.

    Attributes:
        spend: The profit-maximising training spend z with the catch-up.
        revenue: Revenue at that spend.
        profit: Profit at that spend (the gain over not training).
        threshold: The catch-up level x̂ above which the firm retreats (+inf: the catch-up
            misses the horizon; NaN: z* is not worth training even without it).
        full_horizon_spend: z*, the optimal spend without a catch-up.
        retreat_spend: z_a, the optimal spend when the model sells only the first k days.
    """

    spend: float
    revenue: float
    profit: float
    threshold: float
    full_horizon_spend: float
    retreat_spend: float


@dataclass(frozen=True)
class CatchupCurve:
    """Upgrade gain and optimal spend against the open catch-up level x′.

    Attributes:
        levels: Catch-up levels x′, increasing, from x up (a geometric grid plus the marks y,
            z, z*, z_a and x̂ that fall inside it).
        gains: Upgrade gain y → z with a catch-up to each level on day k.
        spends: Optimal training spend with a catch-up to each level on day k.
        gain_without_catchup: The upgrade gain without a catch-up (P1).
        full_horizon_spend: z*.
        retreat_spend: z_a.
        threshold: x̂, the level above which the firm retreats (see :class:`SpendOutcome`).
    """

    levels: FloatArray
    gains: FloatArray
    spends: FloatArray
    gain_without_catchup: float
    full_horizon_spend: float
    retreat_spend: float
    threshold: float

    @property
    def gain_never_rises(self) -> bool:
        """Whether the upgrade gain never rises with the catch-up level (P2)."""
        tolerance = 1e-9 * max(1.0, abs(self.gain_without_catchup))
        return bool(np.all(np.diff(self.gains) <= tolerance))

    @property
    def spend_capped(self) -> bool:
        """Whether the optimal spend never exceeds z*, the spend without a catch-up (P3)."""
        return bool(np.all(self.spends <= self.full_horizon_spend * (1 + 1e-12)))


def upgrade_outcome(case: RaceCase) -> UpgradeOutcome:
    """P1/P2: the revenue of y, the gain of y → z, and the pricing comparison if asked.

    Args:
        case: The race setting.

    Returns:
        The outcome; ``pricing`` is None unless the case has valuations.
    """
    market = case.market()
    comparison = None
    if case.setting.valuations is not None:
        comparison = pricing_comparison(case.closed_compute, case.open_compute, market)
        comparison = PricingComparison(
            float(comparison.uniform), float(comparison.discriminating), float(comparison.loss)
        )
    return UpgradeOutcome(
        revenue=float(closed_revenue(case.closed_compute, case.open_compute, market)),
        upgrade_gain=float(
            upgrade_gain(case.closed_compute, case.upgrade_compute, case.open_compute, market)
        ),
        gain_without_catchup=float(
            upgrade_gain(
                case.closed_compute,
                case.upgrade_compute,
                case.open_compute,
                case.market(catchup=False),
            )
        ),
        pricing=comparison,
    )


def spend_outcome(case: RaceCase) -> SpendOutcome:
    """P3: the optimal spend with the catch-up, its revenue and profit, and the threshold.

    The closed and upgrade computes of the case are not used: the firm chooses z.

    Args:
        case: The race setting.

    Returns:
        The outcome.
    """
    optimum = optimal_spend(case.open_compute, case.market())
    day_market = case.day_market()
    return SpendOutcome(
        spend=float(optimum.spend),
        revenue=float(optimum.revenue),
        profit=float(optimum.profit),
        threshold=float(switching_threshold(case.open_compute, day_market)),
        full_horizon_spend=float(full_horizon_spend(case.market(catchup=False))),
        retreat_spend=float(retreat_spend(day_market)),
    )


def catchup_curve(case: RaceCase, points: int = CURVE_POINTS) -> CatchupCurve:
    """Upgrade gain and optimal spend against the catch-up level x′, on day k of the case.

    The levels run geometrically from x to twice the largest of z, z* and 10·x, with the
    marked levels (y, z, z*, z_a, and x̂ with a point just above it) added so that the kinks
    are drawn exactly. The case's own catch-up level is not used.

    Args:
        case: The race setting.
        points: Levels on the geometric grid.

    Returns:
        The curve.
    """
    base = case.market(catchup=False)
    day_market = case.day_market()
    full = float(full_horizon_spend(base))
    retreat = float(retreat_spend(day_market))
    threshold = float(switching_threshold(case.open_compute, day_market))
    no_catchup_gain = float(
        upgrade_gain(case.closed_compute, case.upgrade_compute, case.open_compute, base)
    )

    low = case.open_compute
    upper = 2.0 * max(case.upgrade_compute, full if math.isfinite(full) else 0.0, low * 10.0)
    marks = [case.closed_compute, case.upgrade_compute, full, retreat]
    if math.isfinite(threshold):
        marks += [threshold, threshold * (1.0 + 1e-9)]
    levels = np.geomspace(low, upper, points)
    levels = np.unique(np.concatenate([levels, [m for m in marks if low <= m <= upper]]))
    catchup = day_market.replace(catchup_compute=levels)
    gains = upgrade_gain(case.closed_compute, case.upgrade_compute, low, catchup)
    spends = optimal_spend(low, catchup).spend
    return CatchupCurve(
        levels=levels,
        gains=gains,
        spends=spends,
        gain_without_catchup=no_catchup_gain,
        full_horizon_spend=full,
        retreat_spend=retreat,
        threshold=threshold,
    )
