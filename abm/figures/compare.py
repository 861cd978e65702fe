"""Figures that set two or more output folders side by side (``abm report A B``).

One colour per observable (:func:`abm.figures.style.colour_of`), as in every other figure; the
folders differ by position (outcomes) or by line style (time paths). Legends sit outside the
axes, and a band drawn from fewer than :data:`FEW_RUNS` runs says so under the figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.figures.style import apply_style, colour_of

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Below this many runs a 5–95 % band is rough: figures and reports say so.
FEW_RUNS = 30
#: Line styles that tell the folders apart in the time paths (colour is the observable's).
LINESTYLES = ("-", "--", ":", "-.")


def few_runs_caveat(counts: dict[str, int]) -> str:
    """One line naming the folders whose band comes from fewer than :data:`FEW_RUNS` runs."""
    few = {name: n for name, n in counts.items() if 1 < n < FEW_RUNS}
    if not few:
        return ""
    listed = ", ".join(f"{name}: {n}" for name, n in few.items())
    return (
        f"Bands from fewer than {FEW_RUNS} runs ({listed}) are rough: their 5 % and 95 % "
        "edges rest on one or two runs."
    )


def outcomes_figure(
    outcomes: dict[str, pd.DataFrame], observables: list[str], title: str
) -> Figure:
    """One panel per observable: each folder's mean and 5–95 % range across its runs.

    Args:
        outcomes: Folder label → one row per run, one column per observable.
        observables: The observables to draw (one panel each).
        title: The figure's title.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    apply_style()
    labels = list(outcomes)
    columns = min(3, len(observables))
    rows = -(-len(observables) // columns)
    figure, axes_grid = plt.subplots(
        rows, columns, figsize=(4.6 * columns, 3.6 * rows), squeeze=False
    )
    positions = np.arange(len(labels))
    for axes, name in zip(axes_grid.flat, observables, strict=False):
        colour = colour_of(name)
        for position, label in zip(positions, labels, strict=True):
            values = (
                outcomes[label][name].dropna().to_numpy(float) if name in outcomes[label] else []
            )
            if len(values) == 0:
                continue
            mean = float(values.mean())
            if len(values) > 1:
                low, high = np.quantile(values, [0.05, 0.95])
                axes.errorbar(
                    position,
                    mean,
                    yerr=[[mean - low], [high - mean]],
                    fmt="o",
                    color=colour,
                    capsize=5,
                )
            else:
                axes.plot(position, mean, "o", color=colour)
        axes.set_xticks(positions, labels, rotation=20, ha="right", fontsize="x-small")
        axes.set_title(name, fontsize="small")
        axes.tick_params(axis="y", labelsize="x-small")
    for axes in list(axes_grid.flat)[len(observables) :]:
        axes.set_visible(False)
    counts = {label: len(frame) for label, frame in outcomes.items()}
    note = "dot: mean over runs; bar: 5–95 % of runs"
    caveat = few_runs_caveat(counts)
    figure.suptitle(title, fontsize="medium")
    figure.text(
        0.5,
        0.0,
        note + (f"\n{caveat}" if caveat else ""),
        ha="center",
        va="top",
        fontsize="x-small",
    )
    figure.tight_layout()
    return figure


def paths_figure(series: dict[str, pd.DataFrame], observables: list[str], title: str) -> Figure:
    """One panel per observable: each folder's median path across its runs (one line style each).

    Args:
        series: Folder label → the folder's time series (``step``, optional ``run_id``, the
            observables).
        observables: The observables to draw.
        title: The figure's title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    apply_style()
    columns = min(2, len(observables))
    rows = -(-len(observables) // columns)
    figure, axes_grid = plt.subplots(
        rows, columns, figsize=(5.2 * columns, 3.4 * rows), squeeze=False
    )
    labels = list(series)
    for axes, name in zip(axes_grid.flat, observables, strict=False):
        for number, label in enumerate(labels):
            frame = series[label]
            if name not in frame:
                continue
            median = frame.groupby("step")[name].median()
            axes.plot(
                median.index,
                median.to_numpy(),
                color=colour_of(name),
                linestyle=LINESTYLES[number % len(LINESTYLES)],
                linewidth=1.6,
            )
        axes.set_title(name, fontsize="small")
        axes.set_xlabel("period", fontsize="x-small")
        axes.tick_params(labelsize="x-small")
    for axes in list(axes_grid.flat)[len(observables) :]:
        axes.set_visible(False)
    handles = [
        Line2D([], [], color="black", linestyle=LINESTYLES[n % len(LINESTYLES)], label=label)
        for n, label in enumerate(labels)
    ]
    figure.suptitle(f"{title} (median over each folder's runs)", fontsize="medium")
    figure.tight_layout()
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 0.95),
        fontsize="x-small",
        title="folder",
        title_fontsize="x-small",
        frameon=False,
    )
    return figure
