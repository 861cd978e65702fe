"""Figures of ``abm calibrate evidence``: the fit, α0 and growth, the data beside the market.

The evidence study's stylised facts are drawn for the calibrated market next to the data.
Each function takes the tables :mod:`abm.experiments.calibration` computed and returns a
matplotlib figure (the caller saves it with :func:`abm.figures.save_figure`).
"""

from __future__ import annotations

import math
from typing import Any

from abm.figures.style import OKABE_ITO

#: One colour per source, the same in every calibration figure.
SOURCE_COLOURS: dict[str, str] = {
    "data": OKABE_ITO["blue"],
    "market": OKABE_ITO["vermillion"],
    "start": OKABE_ITO["grey"],
}


def _credit(figure: Any) -> None:
    from abm.evidence import CREDIT

    figure.text(0.995, -0.01, CREDIT, ha="right", va="top", fontsize=10, color="#555555")


def _errors(centre: Any, lower: Any, upper: Any) -> list[Any]:
    """Error-bar lengths below and above ``centre``, never negative.

    A Wilson interval of a share of 0 or 1 ends at the share itself, give or take rounding,
    which matplotlib refuses as a negative length.
    """
    import numpy as np

    centre, lower, upper = (np.asarray(x, dtype=float) for x in (centre, lower, upper))
    return [np.clip(centre - lower, 0.0, None), np.clip(upper - centre, 0.0, None)]


def _bin_labels(frame: Any) -> list[str]:
    return [
        f"≥ {low:g}" if math.isinf(high) else f"{low:g}–{high:g}"
        for low, high in zip(frame["gap_lower"], frame["gap_upper"], strict=True)
    ]


def fit_headline(moments: Any, summary: dict[str, Any]) -> str:
    """The fit figure's title: whether the simulated moments sit within the data's uncertainty."""
    statistic, dof, p = (
        summary["fit_statistic"],
        summary["degrees_of_freedom"],
        summary["fit_p_value"],
    )
    worst = moments.loc[moments["z"].abs().idxmax()]
    measure = f"χ² = {statistic:.1f} on {dof} d.f."
    if dof <= 0 or not math.isfinite(p):
        return f"Calibrated market against the data ({measure}: too few moments for a test)"
    if p >= 0.05:
        return (
            f"The calibrated market's moments lie within the data's uncertainty "
            f"({measure}, p = {p:.2f})"
        )
    return (
        f"The calibrated market misses the data ({measure}, p = {p:.2g}); "
        f"largest miss: {worst['moment']} (z = {worst['z']:+.1f})"
    )


def fit_figure(moments: Any, summary: dict[str, Any]) -> Any:
    """Observed against simulated moments: the open share by gap, and every moment as dots."""
    import matplotlib.pyplot as plt
    import numpy as np

    z = 1.959963984540054
    bins = moments.iloc[:-1]
    labels = _bin_labels(bins)
    x = np.arange(len(bins))
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(16, 6.4), constrained_layout=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    left.errorbar(
        x - 0.12,
        bins["observed"],
        yerr=_errors(bins["observed"], bins["observed_lower"], bins["observed_upper"]),
        fmt="o",
        ms=9,
        capsize=5,
        lw=2,
        color=SOURCE_COLOURS["data"],
        label="data (Wilson 95 %)",
    )
    left.errorbar(
        x + 0.12,
        bins["simulated"],
        yerr=[
            np.minimum(z * bins["simulated_se"], bins["simulated"]),
            np.minimum(z * bins["simulated_se"], 1.0 - bins["simulated"]),
        ],
        fmt="s",
        ms=9,
        capsize=5,
        lw=2,
        color=SOURCE_COLOURS["market"],
        label="calibrated market (± 1.96 s.e. over runs)",
    )
    left.plot(
        x + 0.12,
        bins["start_simulated"],
        "x",
        ms=10,
        mew=2,
        color=SOURCE_COLOURS["start"],
        label="market before calibration",
    )
    for position, row in zip(x, bins.itertuples(index=False), strict=True):
        left.annotate(
            f"n={row.n_observed}/{row.n_simulated}",
            (position, 1.0),
            ha="center",
            va="top",
            fontsize=10,
        )
    left.set_xticks(x, labels)
    left.set(
        xlabel="gap to the frontier (OOM; market: below the best α0, scaled)",
        ylabel="share released with open weights",
        ylim=(0, 1.05),
    )
    left.legend(fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    left.set_title("Open share against the gap (n = data/market models)")
    names = moments["moment"].str.replace("open share, ", "", regex=False)
    y = np.arange(len(moments))
    right.errorbar(
        moments["observed"],
        y - 0.12,
        xerr=z * moments["observed_se"],
        fmt="o",
        ms=8,
        capsize=4,
        color=SOURCE_COLOURS["data"],
        label="data (± 1.96 bootstrap s.e.)",
    )
    right.errorbar(
        moments["simulated"],
        y + 0.12,
        xerr=z * moments["simulated_se"],
        fmt="s",
        ms=8,
        capsize=4,
        color=SOURCE_COLOURS["market"],
        label="calibrated market",
    )
    right.set_yticks(y, names)
    right.invert_yaxis()
    right.set(xlabel="moment", xlim=(0, 1))
    right.legend(fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    right.set_title("Every moment, side by side")
    figure.suptitle(fit_headline(moments, summary), fontsize=14)
    _credit(figure)
    return figure


def alpha_figure(gaps: Any, market_gaps: Any, alpha: Any, growth_years: Any, growth: Any) -> Any:
    """The gap distribution (data, fitted truncated normal, market) and the open frontier."""
    import matplotlib.pyplot as plt
    import numpy as np
    from scipy.stats import truncnorm

    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 6.2), constrained_layout=True)
    edges = np.arange(0.0, alpha.gap_cap + 0.5, 0.5)
    left.hist(gaps, bins=edges, density=True, color=SOURCE_COLOURS["data"], alpha=0.45,
              label=f"data (n = {len(gaps)})")  # fmt: skip
    market_label = f"calibrated market (n = {len(market_gaps)})"
    left.hist(market_gaps, bins=edges, density=True, histtype="step", lw=2.2,
              color=SOURCE_COLOURS["market"], label=market_label)  # fmt: skip
    grid = np.linspace(0.0, alpha.gap_cap, 300)
    sd = alpha.sd_gap
    density = truncnorm(-alpha.mean_gap / sd, (alpha.gap_cap - alpha.mean_gap) / sd,
                        alpha.mean_gap, sd).pdf(grid)  # fmt: skip
    left.plot(grid, density, color="black", lw=2,
              label=f"truncated normal (KS p = {alpha.ks_p_value:.2f})")  # fmt: skip
    left.set(xlabel="gap to the compute frontier (OOM)", ylabel="density")
    secondary = left.secondary_xaxis(
        "top",
        functions=(
            lambda gap: alpha.alpha_top - alpha.alpha_per_oom * gap,
            lambda a0: (alpha.alpha_top - a0) / alpha.alpha_per_oom,
        ),
    )
    secondary.set_xlabel("market α0")
    left.legend(fontsize=11)
    left.set_title(
        f"α0 = {alpha.alpha_top:g} − {alpha.alpha_per_oom:.3g}·gap; gap ~ N({alpha.mean_gap:.2f}, "
        f"{alpha.sd_gap:.2f}²) on [0, {alpha.gap_cap:g}]",
        fontsize=13,
    )
    first = growth_years.loc[growth_years["included"], "year"].min()
    growth_years = growth_years[growth_years["year"] >= first - 3]
    right.plot(growth_years["year"], growth_years["best_open"], "o", ms=8,
               color=SOURCE_COLOURS["data"], label="best open model of the year")  # fmt: skip
    included = growth_years[growth_years["included"]]
    years = np.array([included["year"].min(), included["year"].max()], dtype=float)
    centre = included["year"].mean()
    level = included["best_open"].mean()
    label = f"OLS {growth.slope:.2f} OOM/year [{growth.lower:.2f}, {growth.upper:.2f}]"
    right.plot(years, level + growth.slope * (years - centre), color="black", lw=2.2,
               label=label)  # fmt: skip
    right.set(xlabel="year", ylabel="log10 training compute (FLOP)")
    right.xaxis.get_major_locator().set_params(integer=True)
    right.legend(fontsize=11, loc="upper left")
    right.set_title(
        f"Open frontier grows {growth.slope:.2f} OOM a year (OLS 95 %; "
        f"{growth.years} years with ≥ 3 open models)",
        fontsize=13,
    )
    figure.suptitle("What the calibration takes from the data directly", fontsize=14)
    _credit(figure)
    return figure


def evidence_figure(tables: dict[str, Any]) -> Any:
    """The evidence study's facts for the data and the calibrated market, side by side."""
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots(1, 3, figsize=(20, 6.4), constrained_layout=True)
    bins = tables["bins"]
    ax = axes[0]
    for shift, (source, group) in zip((-0.08, 0.08), bins.groupby("source"), strict=True):
        shown = group[group["models"] > 0]
        ax.errorbar(
            shown["mean_gap"] + shift,
            shown["rate"],
            yerr=_errors(shown["rate"], shown["rate_lower"], shown["rate_upper"]),
            fmt="o-" if source == "market" else "o",
            ms=8,
            capsize=4,
            lw=1.8,
            color=SOURCE_COLOURS[source],
            label=f"{source} (n = {int(group['models'].sum())}, Wilson 95 %)",
        )
    ax.set(xlabel="gap to the frontier (OOM)", ylabel="share open", ylim=(0, 1.12))
    ax.legend(fontsize=11, loc="upper right", ncols=2)
    ax.set_title("1. Strong close, weak open? (Qiu et al.)", fontsize=13)

    ax = axes[1]
    logits = tables["logits"]
    terms = [("gap linear", "gap", "slope on gap"), ("gap quadratic", "I(gap ** 2)", "curvature")]
    for k, (specification, term, _) in enumerate(terms):
        for shift, source in zip((-0.12, 0.12), ("data", "market"), strict=True):
            row = logits[
                (logits.get("source") == source)
                & (logits.get("specification") == specification)
                & (logits.get("term") == term)
            ] if len(logits) else logits  # fmt: skip
            if len(row) == 0:
                continue
            row = row.iloc[0]
            ax.errorbar(
                row["estimate"],
                k + shift,
                xerr=_errors([row["estimate"]], [row["lower"]], [row["upper"]]),
                fmt="o" if source == "data" else "s",
                ms=8,
                capsize=4,
                lw=2,
                color=SOURCE_COLOURS[source],
                label=source if k == 0 else None,
            )
    ax.axvline(0.0, color="black", lw=1.0)
    ax.set_yticks(range(len(terms)), [label for _, _, label in terms])
    ax.invert_yaxis()
    ax.set(xlabel="logit coefficient on open (95 %)")
    ax.legend(fontsize=11)
    ax.set_title("2. Propensity against the edge (logit in the gap)", fontsize=13)

    ax = axes[2]
    derivatives = tables["derivatives"]
    hhi = tables["hhi"]
    width = 0.38
    for shift, source in zip((-width / 2, width / 2), ("data", "market"), strict=True):
        group = derivatives[derivatives["source"] == source]
        share = group["bases"] / max(group["bases"].sum(), 1)
        values = hhi.loc[hhi["source"] == source, "hhi"]
        spread = f"HHI {values.min():.2f}–{values.max():.2f}" if len(values) else "no derivatives"
        ax.bar(group["derivatives"] + shift, share, width=width, color=SOURCE_COLOURS[source],
               label=f"{source} ({spread})")  # fmt: skip
    top = int(np.nanmax(derivatives["derivatives"])) if len(derivatives) else 1
    ax.set(xlabel="derivatives per base (bases with ≥ 1)", ylabel="share of bases")
    ax.set_xlim(0.4, top + 0.6)
    ax.legend(fontsize=11)
    ax.set_title("4. Supply chain: derivatives per base", fontsize=13)
    figure.suptitle(
        "The evidence study's stylised facts, data and calibrated market side by side "
        "(3, the closed–open race, has no counterpart: the market's frontier does not move)",
        fontsize=14,
    )
    _credit(figure)
    return figure


__all__ = ["SOURCE_COLOURS", "alpha_figure", "evidence_figure", "fit_figure", "fit_headline"]
