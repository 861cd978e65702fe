"""Figures of runs and studies: time paths, fan charts, sweeps and sensitivity indices.

Every series has its colour from :data:`abm.figures.style.COLOURS`, the same in every figure;
legends sit outside the axes (right of them), never over data; a band or interval drawn from
fewer than :data:`~abm.figures.compare.FEW_RUNS` runs carries a caveat under the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from abm.figures.compare import FEW_RUNS
from abm.figures.style import OKABE_ITO, PNG_ONLY, apply_style, colour_of, save_figure

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
#: Where legends go: outside the axes, to their right.
_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": "small"}


def _few_runs_note(figure: object, runs: int, what: str) -> None:
    """A caveat under ``figure`` when ``what`` comes from fewer than FEW_RUNS runs."""
    if 1 < runs < FEW_RUNS:
        figure.text(  # type: ignore[attr-defined]
            0.01,
            -0.07,
            f"Caveat: {what} from only {runs} runs (fewer than {FEW_RUNS}); "
            "its edges will move with more replications.",
            ha="left",
            va="top",
            fontsize="small",
            color="#8a4b00",
        )


def run_figures(
    timeseries: pd.DataFrame,
    folder: str | Path,
    title: str,
    *,
    formats: Sequence[str] = PNG_ONLY,
) -> list[Path]:
    """Two figures of one run: openness over time, and payoffs over time (each in ``formats``)."""
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
    axes.legend(**_OUTSIDE)
    written += save_figure(figure, folder, "openness", formats=formats)
    figure, axes = plt.subplots(figsize=(9, 5))
    for name, label in _WELFARE.items():
        if name in timeseries:
            axes.plot(timeseries["step"], timeseries[name], label=label, color=colour_of(name))
    axes.set(
        xlabel="period",
        ylabel="payoff per period",
        title=f"{title}: welfare {final['welfare']:.3g} in the last period",
    )
    axes.legend(**_OUTSIDE)
    written += save_figure(figure, folder, "payoffs", formats=formats)
    return written


def fan_chart(
    timeseries_file: str | Path,
    folder: str | Path,
    title: str,
    *,
    observables: tuple[str, ...] = ("open_share", "mean_openness", "participation"),
    max_runs: int = 500,
    formats: Sequence[str] = PNG_ONLY,
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
    axes.legend(**_OUTSIDE)
    _few_runs_note(figure, runs, "the 5–95 % band")
    return save_figure(figure, folder, "fan_chart", formats=formats)


def sweep_figure(
    runs: pd.DataFrame,
    parameters: list[str],
    outcome: str,
    folder: str | Path,
    title: str,
    *,
    sampled: bool = False,
    formats: Sequence[str] = PNG_ONLY,
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
                color=colour_of(outcome),
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
            color=colour_of(outcome),
            label=f"mean {outcome}, 90 % interval",
        )
        axes.set(xlabel=parameter, ylabel=outcome)
    for axes in axes_list[0][:-1]:
        if axes.get_legend() is not None:
            axes.get_legend().remove()
    axes_list[0][-1].legend(**_OUTSIDE)
    figure.suptitle(f"{title}: {sweep_finding(ok, parameters, outcome, sampled)}", fontsize=14)
    if not sampled and len(ok):
        per_point = int(ok.groupby(parameters).size().min())
        _few_runs_note(figure, per_point, "each point's 90 % interval")
    return save_figure(figure, folder, "sweep", formats=formats)


def sweep_finding(
    runs: pd.DataFrame, parameters: list[str], outcome: str, sampled: bool = False
) -> str:
    """What a sweep shows, stated only as far as the runs' spread allows.

    A grid point is called best only when the 95 % confidence interval of its mean outcome
    (t interval over its replications) lies above every other point's; otherwise the title
    says that no point stands out. A sample makes no claim.
    """
    import numpy as np
    from scipy import stats

    if sampled or runs.empty:
        return f"{outcome} across {len(runs)} sampled runs"
    groups = runs.groupby(parameters)[outcome]
    means, counts, spread = groups.mean(), groups.count(), groups.std(ddof=1)
    if len(means) < 2 or (counts < 2).any():
        return f"mean {outcome} at {len(means)} points (too few runs per point to compare)"
    half = stats.t.ppf(0.975, counts - 1) * spread / np.sqrt(counts)
    best = means.idxmax()
    others = means.index != best
    if (means[best] - half[best] > (means + half)[others]).all():
        values = best if isinstance(best, tuple) else (best,)
        where = ", ".join(f"{n} = {v:g}" for n, v in zip(parameters, values, strict=False))
        return f"mean {outcome} is highest at {where} (95 % intervals apart)"
    return f"no point's mean {outcome} stands out from the others' 95 % intervals"


def sensitivity_finding(table: pd.DataFrame, method: str, outcome: str) -> str:
    """The most influential parameter, named only when its index clears the others'.

    With every index 0 (a degenerate study: the outcome does not vary) the title says so.
    """
    key = "ST" if method == "sobol" else "mu_star"
    if table.empty:
        return f"no parameters for {outcome}"
    values, half = table[key].to_numpy(), table[f"{key}_conf"].to_numpy()
    if not (abs(values) > 1e-12).any():
        return f"{outcome} does not vary over the sample (every index is 0)"
    top = int(values.argmax())
    rest = [i for i in range(len(values)) if i != top]
    if all(values[top] - half[top] > values[i] + half[i] for i in rest):
        return f"{outcome} is most sensitive to {table['parameter'].iloc[top]}"
    return f"no parameter's index for {outcome} clears the others' 95 % intervals"


def sensitivity_figure(
    table: pd.DataFrame,
    method: str,
    outcome: str,
    folder: str | Path,
    title: str,
    *,
    formats: Sequence[str] = PNG_ONLY,
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
    axes.set_title(f"{title}: {sensitivity_finding(table, method, outcome)}")
    axes.legend(**_OUTSIDE)
    return save_figure(figure, folder, f"sensitivity_{method}", formats=formats)
