"""Figure of the race (Model II): upgrade gain and optimal spend against the open catch-up.

Shared by ``abm race --out`` and study 4 (``analysis/race.py``). The caller applies the style
(:func:`abm.figures.apply_style`) and saves the figure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from abm.figures.style import OKABE_ITO

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from abm.theory.race_cases import CatchupCurve, RaceCase

#: File stem of the figure and of its table.
CATCHUP_STEM = "race_catchup"


def catchup_table(curve: CatchupCurve) -> pd.DataFrame:
    """The curve as a tidy table: ``catchup_compute``, ``quantity``, ``value``.

    ``quantity`` is ``"upgrade_gain"`` for every level, then ``"optimal_spend"``.
    """
    import pandas as pd

    levels = curve.levels
    return pd.DataFrame(
        {
            "catchup_compute": np.concatenate([levels, levels]),
            "quantity": ["upgrade_gain"] * levels.size + ["optimal_spend"] * levels.size,
            "value": np.concatenate([curve.gains, curve.spends]),
        }
    )


def catchup_figure(curve: CatchupCurve, case: RaceCase) -> Figure:
    """Two panels: the upgrade gain (P2) and the optimal spend (P3) against the catch-up level.

    Args:
        curve: The curve, from :func:`abm.theory.race_cases.catchup_curve`.
        case: The case it was traced for (for the marks and the titles).

    Returns:
        The figure; its title states the finding when the gain never rises and the spend never
        exceeds z*.
    """
    import matplotlib.pyplot as plt

    levels, gains, spends = curve.levels, curve.gains, curve.spends
    full, retreat, threshold = curve.full_horizon_spend, curve.retreat_spend, curve.threshold
    figure, (gain_axis, spend_axis) = plt.subplots(
        1, 2, figsize=(14, 5.5), sharex=True, layout="constrained"
    )
    setting = case.setting
    day = int(setting.catchup_day) if setting.catchup_day is not None else 0
    when = (
        f"on day {day}" if setting.hazard is None else f"from day {day}, hazard {setting.hazard:g}"
    )
    gain_axis.plot(levels, gains, color=OKABE_ITO["blue"], linewidth=2.5, label="upgrade gain")
    gain_axis.axhline(
        curve.gain_without_catchup,
        color=OKABE_ITO["grey"],
        linestyle="--",
        linewidth=1.2,
        label="gain without catch-up (P1)",
    )
    for compute, name, colour in (
        (case.closed_compute, "y", "orange"),
        (case.upgrade_compute, "z", "vermillion"),
    ):
        gain_axis.axvline(
            compute,
            color=OKABE_ITO[colour],
            linestyle=":",
            linewidth=1.5,
            label=f"x′ = {name}",
        )
    gain_axis.set(
        xscale="log",
        xlabel="open catch-up compute x′ (log scale)",
        ylabel="gain from upgrading y → z",
        title=f"Upgrade gain, catch-up {when} (P2)",
    )
    spend_axis.plot(
        levels, spends, color=OKABE_ITO["bluish_green"], linewidth=2.5, label="optimal spend"
    )
    for level, name, style in (
        (full, "z* (no catch-up)", "--"),
        (retreat, "z_a (sells only before the catch-up)", "-."),
    ):
        spend_axis.axhline(
            level, color=OKABE_ITO["grey"], linestyle=style, linewidth=1.2, label=name
        )
    if math.isfinite(threshold):
        spend_axis.axvline(
            threshold,
            color=OKABE_ITO["reddish_purple"],
            linestyle=":",
            linewidth=1.5,
            label=f"switch at x′ = {threshold:.4g}",
        )
    spend_axis.set(
        xscale="log",
        xlabel="open catch-up compute x′ (log scale)",
        ylabel="optimal training spend z",
        title="Optimal training spend (P3)",
    )
    for axis in (gain_axis, spend_axis):  # below the axes, never over the curves
        axis.legend(fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.24), frameon=False)
    finding = (
        "A better open catch-up never raises the incentive to race"
        if curve.gain_never_rises and curve.spend_capped
        else "Upgrade gain and optimal spend against the open catch-up"
    )
    figure.suptitle(
        f"{finding} (f = {setting.value.name}, n = {setting.customers:g}, m = {setting.days:g})",
        fontsize=15,
    )
    return figure
