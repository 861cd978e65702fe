"""Figure of the open-sourcing decision (Model III): Δ(s) and P(open) for several edges κ.

Used by ``abm open-source --out``. The caller applies the style
(:func:`abm.figures.apply_style`) and saves the figure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from abm.figures.style import OKABE_ITO

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from abm.theory.open_sourcing import ShareCurves

#: Performance edges κ the figure compares (the highlighted edge is added when it is not among
#: them).
PLOT_EDGES: tuple[float, ...] = (0.0, 0.05, 0.10, 0.15, 0.20)
#: File stem of the figure and of its table.
SHARE_STEM = "open_sourcing_by_share"


def compared_edges(edge: float) -> list[float]:
    """The edges the figure draws: :data:`PLOT_EDGES` and ``edge``, in increasing order."""
    return sorted({*PLOT_EDGES, edge})


def share_table(curves: ShareCurves) -> pd.DataFrame:
    """The curves as a tidy table, one row per (edge, share).

    Columns: ``growth_value``, ``licensing``, ``precision``, ``edge``, ``share``, ``gain``,
    ``probability``.
    """
    import numpy as np
    import pandas as pd

    grid_share, grid_edge = np.meshgrid(curves.shares, curves.edges, indexing="xy")
    frame = pd.DataFrame(
        {
            "edge": grid_edge.ravel(),
            "share": grid_share.ravel(),
            "gain": curves.gain.ravel(),
            "probability": curves.probability.ravel(),
        }
    )
    frame.insert(0, "precision", curves.precision)
    frame.insert(0, "licensing", curves.licensing)
    frame.insert(0, "growth_value", curves.growth_value)
    return frame


def share_figure(curves: ShareCurves, highlight: float) -> Figure:
    """Two panels: the gain from opening (with the open interval) and the propensity to open.

    Args:
        curves: The curves, from :func:`abm.theory.open_sourcing.share_curves`.
        highlight: The edge κ drawn with a thick line.

    Returns:
        The figure, its legend below the panels.
    """
    import matplotlib.pyplot as plt

    lower, upper = curves.interval_lower, curves.interval_upper
    colours = [
        OKABE_ITO[name]
        for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue")
    ]
    figure, (gain_axis, probability_axis) = plt.subplots(1, 2, figsize=(14, 5.5), sharex=True)
    for index, edge in enumerate(curves.edges):
        colour = colours[index % len(colours)]
        has_interval = math.isfinite(lower[index])
        span = (
            f"opens on ({lower[index]:.2f}, {upper[index]:.2f})" if has_interval else "never opens"
        )
        label = f"κ = {edge:g}: {span}"
        width = 3.0 if edge == highlight else 1.8
        gain_axis.plot(
            curves.shares, curves.gain[index], color=colour, linewidth=width, label=label
        )
        probability_axis.plot(
            curves.shares, curves.probability[index], color=colour, linewidth=width
        )
        if has_interval:
            gain_axis.plot(
                [lower[index], upper[index]], [0.0, 0.0], "o", color=colour, markersize=6
            )
    gain_axis.axhline(0.0, color=OKABE_ITO["grey"], linewidth=1.0, linestyle="--")
    probability_axis.axhline(0.5, color=OKABE_ITO["grey"], linewidth=1.0, linestyle="--")
    gain_axis.set(
        xlabel="owner's share s of compatible applications",
        ylabel="gain from opening Δ(s)",
        title="Gain from opening (dots: the open interval)",
    )
    probability_axis.set(
        xlabel="owner's share s of compatible applications",
        ylabel=f"probability of opening (λ = {curves.precision:g})",
        ylim=(0.0, 1.0),
        title="Propensity to open",
    )
    figure.legend(
        title="performance edge κ (thick line: --edge)",
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=12,
        title_fontsize=13,
    )
    figure.suptitle(
        "Mid-sized owners open most; a larger performance edge shrinks the open interval "
        f"(γ = {curves.growth_value:g}, ℓ = {curves.licensing:g})",
        fontsize=15,
    )
    return figure
