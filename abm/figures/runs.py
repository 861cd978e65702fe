"""Figures of runs and studies: time paths, fan charts, sweeps and sensitivity indices.

Every series has its colour from :data:`abm.figures.style.COLOURS`, the same in every figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from abm.figures.style import OKABE_ITO, apply_style, colour_of, save_figure

if TYPE_CHECKING:
    import pandas as pd

_PATHS = {
    "participation": "releasing a model",
    "open_share": "releasing openly (ω ≥ open bar)",
    "mean_openness": "mean openness ω",
}
_WELFARE = {
    "utility_generalists": "generalists",
    "utility_specialists": "specialists",
    "closed_profit": "closed firms",
    "consumer_surplus": "customers (consumer surplus)",
    "penalties_paid": "penalties (deadweight loss)",
}
_COLOURS = list(OKABE_ITO.values())


def run_figures(timeseries: pd.DataFrame, folder: str | Path, title: str) -> list[Path]:
    """Two figures of one run: openness over time, and payoffs over time."""
    import matplotlib.pyplot as plt

    apply_style()
    written: list[Path] = []
    figure, axes = plt.subplots(figsize=(9, 5))
    for name, label in _PATHS.items():
        axes.plot(timeseries["step"], timeseries[name], label=label, color=colour_of(name))
    final = timeseries.iloc[-1]
    axes.set(
        xlabel="period",
        ylabel="share of generalists / openness",
        ylim=(-0.02, 1.02),
        title=f"{title}: {final['open_share']:.0%} release openly after "
        f"{int(final['step'])} periods",
    )
    axes.legend(loc="best", fontsize="small")
    written += save_figure(figure, folder, "openness")
    figure, axes = plt.subplots(figsize=(9, 5))
    for name, label in _WELFARE.items():
        if name in timeseries:
            axes.plot(timeseries["step"], timeseries[name], label=label, color=colour_of(name))
    axes.set(
        xlabel="period",
        ylabel="payoff per period",
        title=f"{title}: welfare {final['welfare']:.3g} in the last period",
    )
    axes.legend(loc="best", fontsize="small")
    written += save_figure(figure, folder, "payoffs")
    return written


def fan_chart(
    timeseries_file: str | Path,
    folder: str | Path,
    title: str,
    *,
    observables: tuple[str, ...] = ("open_share", "mean_openness", "participation"),
    max_runs: int = 500,
) -> list[Path]:
    """Median and 5–95 % band across replications of a few observables (first ``max_runs``)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    apply_style()
    frame = pd.read_parquet(
        timeseries_file,
        columns=["run_id", "step", *observables],
        filters=[("run_id", "<", max_runs)],
    )
    runs = frame["run_id"].nunique()
    grouped = frame.groupby("step")[list(observables)]
    low, median, high = grouped.quantile(0.05), grouped.median(), grouped.quantile(0.95)
    figure, axes = plt.subplots(figsize=(9, 5))
    for name in observables:
        colour, label = colour_of(name), _PATHS.get(name, name)
        axes.plot(median.index, median[name], color=colour, label=f"{label} (median)")
        axes.fill_between(median.index, low[name], high[name], color=colour, alpha=0.2)
    axes.set(
        xlabel="period",
        ylabel="share / openness",
        title=f"{title}: median and 5–95 % band over {runs} runs",
    )
    axes.legend(loc="best", fontsize="small")
    return save_figure(figure, folder, "fan_chart")


def sweep_figure(
    runs: pd.DataFrame,
    parameters: list[str],
    outcome: str,
    folder: str | Path,
    title: str,
    *,
    sampled: bool = False,
) -> list[Path]:
    """The outcome against each parameter: grid: mean and 90 % interval; sample: every run."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    apply_style()
    ok = runs[runs["status"] == "ok"]
    figure, axes_list = plt.subplots(
        1, len(parameters), figsize=(6 * len(parameters), 5), squeeze=False
    )
    for axes, parameter in zip(axes_list[0], parameters, strict=True):
        if sampled:
            sns.scatterplot(
                data=ok,
                x=parameter,
                y=outcome,
                ax=axes,
                color=OKABE_ITO["blue"],
                s=20,
                label=f"{outcome}, one dot per run",
            )
            axes.set(xlabel=parameter, ylabel=outcome)
            continue
        sns.lineplot(
            data=ok,
            x=parameter,
            y=outcome,
            errorbar=("pi", 90),
            marker="o",
            ax=axes,
            color=OKABE_ITO["blue"],
            label=f"mean {outcome}, 90 % interval",
        )
        axes.set(xlabel=parameter, ylabel=outcome)
    if sampled:
        figure.suptitle(f"{title}: {outcome} across {len(ok)} sampled runs", fontsize=14)
    else:
        means = ok.groupby(parameters)[outcome].mean()
        best = means.idxmax() if len(means) else ()
        values = best if isinstance(best, tuple) else (best,)
        where = ", ".join(
            f"{name} = {value:g}" for name, value in zip(parameters, values, strict=False)
        )
        figure.suptitle(f"{title}: mean {outcome} is highest at {where}", fontsize=14)
    return save_figure(figure, folder, "sweep")


def sensitivity_figure(
    table: pd.DataFrame, method: str, outcome: str, folder: str | Path, title: str
) -> list[Path]:
    """Bar chart of the sensitivity indices with their confidence intervals."""
    import matplotlib.pyplot as plt
    import numpy as np

    apply_style()
    figure, axes = plt.subplots(figsize=(9, 5))
    names = list(table["parameter"])
    positions = np.arange(len(names))
    if method == "sobol":
        pairs = (("S1", "first order S1"), ("ST", "total order ST"))
    else:
        pairs = (("mu_star", "μ* (mean |elementary effect|)"),)
    width = 0.8 / len(pairs)
    for number, (column, label) in enumerate(pairs):
        axes.bar(
            positions + (number - (len(pairs) - 1) / 2) * width,
            table[column],
            width,
            yerr=table[f"{column}_conf"],
            capsize=4,
            color=_COLOURS[number],
            label=f"{label}, 95 % CI",
        )
    axes.set_xticks(positions, names)
    axes.set(xlabel="parameter", ylabel=f"sensitivity of {outcome}")
    key = "ST" if method == "sobol" else "mu_star"
    top = table.loc[table[key].idxmax(), "parameter"] if len(table) else "—"
    axes.set_title(f"{title}: {outcome} is most sensitive to {top}")
    axes.legend(loc="best", fontsize="small")
    return save_figure(figure, folder, f"sensitivity_{method}")
