"""The figure of a scenario discovery: the runs, the boxes found, and what the tree used.

Left: every run on the two parameters the tree leans on most (a little jitter so replications
at one grid point stay visible), cases of interest in vermillion, the others in grey, and the
boxes where most runs are cases drawn as numbered rectangles. Right: each parameter's
importance in the tree. The legend sits outside the axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.figures.style import OKABE_ITO, apply_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from abm.experiments.discovery import Discovery


def discovery_figure(found: Discovery, title: str, min_density: float = 0.5) -> Figure:
    """Runs, boxes and importances of ``found`` (see the module docstring)."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    apply_style()
    ranked = sorted(found.parameters, key=lambda name: -found.importance.get(name, 0.0))
    x_name = ranked[0]
    y_name = ranked[1] if len(ranked) > 1 else None
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": (2.2, 1)}
    )
    rng = np.random.default_rng(0)
    x = found.runs[x_name].to_numpy(float)
    y = found.runs[y_name].to_numpy(float) if y_name else np.zeros(len(x))

    def jitter(values: np.ndarray) -> np.ndarray:
        span = float(np.ptp(values)) or 1.0
        return values + rng.uniform(-0.015, 0.015, len(values)) * span

    cases = found.cases
    left.scatter(
        jitter(x)[~cases],
        jitter(y)[~cases],
        s=14,
        color=OKABE_ITO["grey"],
        alpha=0.6,
        label="other runs",
    )
    left.scatter(
        jitter(x)[cases],
        jitter(y)[cases],
        s=36,
        color=OKABE_ITO["vermillion"],
        edgecolor="black",
        linewidth=0.5,
        zorder=3,
        label=f"{found.target}",
    )

    def widen(low: float, high: float, values: np.ndarray) -> tuple[float, float]:
        """A bound at the sweep's edge is drawn past it, so the edge runs sit inside."""
        margin = 0.04 * (float(np.ptp(values)) or 1.0)
        low = low - margin if low <= values.min() else low
        high = high + margin if high >= values.max() else high
        return low, high

    for _, box in found.found(min_density).iterrows():
        x0, x1 = widen(box[f"{x_name} low"], box[f"{x_name} high"], x)
        y0, y1 = widen(box[f"{y_name} low"], box[f"{y_name} high"], y) if y_name else (-0.5, 0.5)
        left.add_patch(
            Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, linewidth=2, edgecolor=OKABE_ITO["blue"]
            )
        )
        left.annotate(
            f"{int(box['box'])}: {box['density']:.0%} of {int(box['runs'])}",
            (x0, y0),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize="x-small",
            color=OKABE_ITO["blue"],
        )
    left.set(xlabel=x_name, ylabel=y_name or "")
    if not y_name:
        left.set_yticks([])
    left.scatter(
        [],
        [],
        marker="s",
        facecolor="none",
        edgecolor=OKABE_ITO["blue"],
        label=f"box: ≥ {min_density:.0%} of its runs",
    )
    left.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small")
    names = list(reversed(ranked))
    right.barh(names, [found.importance.get(name, 0.0) for name in names], color=OKABE_ITO["blue"])
    right.set(xlabel="importance in the tree", xlim=(0, 1))
    right.tick_params(axis="y", labelsize="x-small")
    share = float(cases.mean()) if len(cases) else 0.0
    figure.suptitle(
        f"{title}: {int(cases.sum())} of {len(cases)} runs ({share:.0%}) are {found.target}",
        fontsize="medium",
    )
    figure.tight_layout()
    return figure
