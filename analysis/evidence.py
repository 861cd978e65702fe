"""Study 9, evidence: the seeds' stylised facts held against real model releases.

Epoch AI's Notable AI Models (the snapshot shipped in ``abm/data``, read by
:func:`abm.evidence.load_models`; Data: Epoch AI, Notable AI Models
(epoch.ai/data/notable-ai-models), CC BY 4.0). The numbers come from
:func:`abm.evidence.findings.summarise`; this module draws and writes them.

(1) Qiu et al., strong models close and weak ones open: the share with open weights against the
    gap to the compute frontier (bins with Wilson intervals; linear and quadratic logits).
(2) Habibi, the propensity to open falls with the edge over rivals and rises for big tech: a
    logit of open weights on the edge (log-compute minus the same year's median; robustness:
    minus the gap to the frontier), a big-tech indicator and the year, coefficients written out.
(3) The race post: the compute gap between the best closed and best open model of each year,
    with its OLS trend per year.
(4) The supply chain: derivatives per base model and their concentration (HHI over base
    models and families) by year.

A title states a finding only when its 95 % interval clears the null; otherwise it says what
was seen and that the interval does not settle it. Every figure carries the credit line.
What the data cannot show (a selection of "notable" models, missing compute, accessibility
recorded at one point in time) is in ``findings.json`` and ``docs/evidence.md``.

``python -m analysis.evidence [--quick] [--out DIR] [--svg]`` (the whole study runs in seconds;
--quick changes nothing but the manifest's flag).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis._common import run_main, start

NAME = "evidence"
DESCRIPTION = (
    "Real model releases (Epoch AI, Notable AI Models, CC BY 4.0): open share against the gap "
    "to the compute frontier, the propensity logit, the closed–open gap, derivatives' "
    "concentration."
)

#: What the data cannot show; written into findings.json and docs/evidence.md.
LIMITATIONS: tuple[str, ...] = (
    "Selection: the snapshot holds 'notable' models (state of the art, highly cited, "
    "historically significant or widely used), not all releases; small open fine-tunes are "
    "almost all missing, so shares and derivative counts describe notable models only.",
    "Missing compute: training compute is unknown for about half the models (more often for "
    "closed ones, whose developers publish less); the frontier and every gap use the models "
    "with a known compute, and the logits drop the rest.",
    "One point in time: accessibility is what the snapshot (2026-01-26) records, not what it "
    "was at release; models opened later (or withdrawn) count with their current status.",
    "Compute is not performance: the gap to the frontier and the edge over rivals are in "
    "orders of magnitude of training compute, across all domains, a proxy for capability.",
    "Association, not cause: the fits describe who opened, not why; the year trend and the "
    "mix of domains and organisations confound any single coefficient.",
)


def _credit(figure: Any) -> None:
    from abm.evidence import CREDIT

    figure.text(0.995, -0.01, CREDIT, ha="right", va="top", fontsize=10, color="#555555")


def _item(findings: Any, quantity: str) -> dict[str, Any]:
    return findings.set_index("quantity").loc[quantity].to_dict()


def _interval(item: dict[str, Any], percent: bool = False) -> str:
    if percent:
        return f"{item['estimate']:.0%} [{item['lower']:.0%}, {item['upper']:.0%}]"
    return f"{item['estimate']:.2f} [{item['lower']:.2f}, {item['upper']:.2f}]"


def _figure_gap(context: Any, findings: Any, tables: dict[str, Any], fits: dict[str, Any]) -> None:
    """(1) open share against the gap to the frontier."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.evidence.findings import BEHIND, NEAR
    from abm.figures import OKABE_ITO

    bins = tables["open_share_by_gap"]
    figure, axis = plt.subplots(figsize=(11, 6.5), constrained_layout=True)
    axis.errorbar(
        bins["mean_gap"],
        bins["rate"],
        yerr=[bins["rate"] - bins["rate_lower"], bins["rate_upper"] - bins["rate"]],
        fmt="o",
        ms=9,
        color=OKABE_ITO["blue"],
        capsize=5,
        lw=2,
        label="share open (bins, Wilson 95 %)",
    )
    for row in bins.itertuples(index=False):
        axis.annotate(
            f"n={row.models}", (row.mean_gap, row.rate_upper), ha="center", va="bottom", fontsize=10
        )
    grid = np.linspace(0.0, float(bins["mean_gap"].max()) + 1.0, 200)
    frame = pd.DataFrame({"frontier_gap": grid})
    for name, colour, style in (("linear", "grey", "--"), ("quadratic", "vermillion", "-")):
        axis.plot(
            grid,
            fits[name].predict(frame),
            color=OKABE_ITO[colour],
            ls=style,
            lw=2,
            label=f"logit, {name} in the gap",
        )
    for window, shade in ((NEAR, "orange"), (BEHIND, "bluish_green")):
        axis.axvspan(*window, color=OKABE_ITO[shade], alpha=0.08, lw=0)
    axis.set(
        xlabel="gap to the compute frontier (orders of magnitude of training compute)",
        ylabel="share released with open weights",
        ylim=(0, 1),
        xlim=(-0.1, grid[-1]),
    )
    axis.legend(fontsize=11, loc="upper right")
    near = _item(findings, f"open share, gap < {NEAR[1]:g} OOM")
    behind = _item(findings, f"open share, gap {BEHIND[0]:g}–{BEHIND[1]:g} OOM")
    difference = _item(findings, "difference behind − near")
    far = _item(findings, f"open share, gap ≥ {BEHIND[1]:g} OOM")
    if difference["clears"]:
        headline = (
            f"Models near the compute frontier open less: {near['estimate']:.0%} within "
            f"{NEAR[1]:g} OOM against {behind['estimate']:.0%} {BEHIND[0]:g}–{BEHIND[1]:g} OOM "
            f"behind (difference {_interval(difference, True)})"
        )
    else:
        headline = (
            f"Open share near the frontier {near['estimate']:.0%}, behind it "
            f"{behind['estimate']:.0%}: the interval of the difference includes 0"
        )
    axis.set_title(
        f"{headline}\nfurther behind (≥ {BEHIND[1]:g} OOM) it falls back to {far['estimate']:.0%}"
        f"; {int(bins['models'].sum())} models with known accessibility and compute",
        fontsize=13,
    )
    _credit(figure)
    context.figure(figure, "evidence_open_share_gap")


def _figure_propensity(context: Any, findings: Any, tables: dict[str, Any]) -> None:
    """(2) the propensity logit's coefficients, both specifications."""
    import matplotlib.pyplot as plt

    from abm.figures import OKABE_ITO

    table = tables["propensity_logit"]
    table = table[table["term"] != "Intercept"]
    labels = {
        "compute_edge": "edge over the year's median\n(log10 compute)",
        "edge_gap": "edge = −gap to frontier\n(log10 compute)",
        "big_tech": "big tech",
        "year_centred": "year",
    }
    colours = {
        "edge over year median": OKABE_ITO["blue"],
        "edge = -gap to frontier": OKABE_ITO["orange"],
    }
    figure, axis = plt.subplots(figsize=(11, 6.2), constrained_layout=True)
    order = ["compute_edge", "edge_gap", "big_tech", "year_centred"]
    for shift, (specification, group) in zip(
        (-0.12, 0.12), table.groupby("specification", sort=False), strict=True
    ):
        positions = [order.index(term) + shift for term in group["term"]]
        axis.errorbar(
            group["estimate"],
            positions,
            xerr=[group["estimate"] - group["lower"], group["upper"] - group["estimate"]],
            fmt="o",
            ms=9,
            capsize=5,
            lw=2,
            color=colours[specification],
            label=f"{specification} (n = {int(group['n'].iloc[0])})",
        )
    axis.axvline(0.0, color="black", lw=1.2)
    axis.set_yticks(range(len(order)), [labels[term] for term in order])
    axis.invert_yaxis()
    axis.set(xlabel="logit coefficient on open weights (95 % interval)")
    axis.legend(fontsize=11, loc="center left")
    edge = _item(findings, "logit: edge over year median")
    big = _item(findings, "logit: big tech")
    parts = []
    if edge["clears"]:
        direction = "falls" if edge["estimate"] < 0 else "rises"
        parts.append(f"the propensity to open {direction} with the edge ({_interval(edge)})")
    else:
        parts.append(f"edge coefficient {_interval(edge)}: its interval includes 0")
    if big["clears"]:
        direction = "more" if big["estimate"] > 0 else "less"
        parts.append(f"big tech opens {direction} ({_interval(big)})")
    else:
        parts.append(f"big tech {_interval(big)}: no difference shown")
    axis.set_title(
        "Propensity to open weights (logit with a linear year term):\n" + "; ".join(parts),
        fontsize=13,
    )
    _credit(figure)
    context.figure(figure, "evidence_propensity")


def _figure_race(context: Any, findings: Any, tables: dict[str, Any]) -> None:
    """(3) best closed and best open compute by year, and the gap's trend."""
    import matplotlib.pyplot as plt
    import numpy as np

    from abm.evidence.findings import CENTRE_YEAR
    from abm.figures import OKABE_ITO

    table = tables["closed_open_gap"]
    shown = table[table["year"] >= table.loc[table["included"], "year"].min() - 4]
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6.2), constrained_layout=True)
    for column, frontier, colour, label in (
        ("best_closed", "closed_frontier", OKABE_ITO["vermillion"], "closed"),
        ("best_open", "open_frontier", OKABE_ITO["blue"], "open weights"),
    ):
        left.plot(shown["year"], shown[column], "o", color=colour, ms=8, label=f"best {label}")
        left.step(
            shown["year"], shown[frontier], where="post", color=colour, lw=1.6, alpha=0.7,
            label=f"{label} frontier (running max)",
        )  # fmt: skip
    left.set(xlabel="year", ylabel="log10 training compute (FLOP)")
    left.xaxis.get_major_locator().set_params(integer=True)
    left.legend(fontsize=11, loc="upper left")
    left.set_title("Best closed and best open model per year")
    included = table[table["included"]]
    right.bar(included["year"], included["gap"], color=OKABE_ITO["grey"], label="yearly gap")
    trend = _item(findings, "trend of the gap")
    mean = next(q for q in findings["quantity"] if q.startswith("mean yearly gap"))
    mean_item = _item(findings, mean)
    years = np.array([included["year"].min(), included["year"].max()])
    slope = trend["estimate"]
    intercept = mean_item["estimate"] - slope * (included["year"].mean() - CENTRE_YEAR)
    right.plot(
        years,
        intercept + slope * (years - CENTRE_YEAR),
        color="black",
        lw=2.2,
        label=f"OLS trend {slope:+.2f} OOM/year",
    )
    right.axhline(0.0, color="black", lw=0.8)
    right.set(xlabel="year", ylabel="best closed − best open (OOM)")
    right.legend(fontsize=11, loc="upper right")
    right.set_title(f"Years with ≥ 3 models of each kind (n = {len(included)})")
    if trend["clears"]:
        word = "narrows" if slope < 0 else "widens"
        headline = f"The closed–open compute gap {word}: {_interval(trend)} OOM per year"
    else:
        headline = (
            f"No trend in the closed–open compute gap: {_interval(trend)} OOM per year "
            f"(mean gap {_interval(mean_item)} OOM)"
        )
    figure.suptitle(headline, fontsize=14)
    _credit(figure)
    context.figure(figure, "evidence_closed_open_gap")


def _figure_chain(context: Any, tables: dict[str, Any]) -> None:
    """(4) derivatives per base and their concentration by year."""
    import matplotlib.pyplot as plt
    import numpy as np

    from abm.figures import OKABE_ITO

    per_base = tables["derivatives_per_base"]
    concentration = tables["concentration_by_year"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6.2), constrained_layout=True)
    counts = per_base["derivatives"].value_counts().sort_index()
    left.bar(counts.index, counts.to_numpy(), color=OKABE_ITO["bluish_green"])
    left.set(xlabel="derivatives per base model", ylabel="base models", xticks=counts.index)
    top = per_base.head(4)
    left.set_title(
        "Derivatives per base (top: "
        + ", ".join(f"{b} {d}" for b, d in zip(top["base"], top["derivatives"], strict=True))
        + ")",
        fontsize=12,
    )
    shown = concentration[concentration["reported"]]
    for prefix, colour, label, shift in (
        ("hhi_base", OKABE_ITO["blue"], "over base models", -0.08),
        ("hhi_family", OKABE_ITO["orange"], "over base families", 0.08),
    ):
        right.errorbar(
            shown["year"] + shift,
            shown[prefix],
            yerr=[
                shown[prefix] - shown[f"{prefix}_lower"],
                shown[f"{prefix}_upper"] - shown[prefix],
            ],
            fmt="o-",
            ms=8,
            capsize=5,
            lw=2,
            color=colour,
            label=f"HHI {label} (jackknife 95 %)",
        )
    right.plot(shown["year"], shown["hhi_floor"], ls=":", color="grey", label="1/n floor")
    for row in shown.itertuples(index=False):
        right.annotate(
            f"n={row.derivatives}\n{row.top_family} {row.top_family_share:.0%}",
            (row.year, row.hhi_family_upper),
            ha="center",
            va="bottom",
            fontsize=10,
        )
    right.set(
        xlabel="year of the derivative",
        ylabel="HHI of derivatives",
        xticks=shown["year"],
        ylim=(0, max(0.6, float(np.nanmax(shown["hhi_family_upper"])) + 0.1)),
    )
    right.legend(fontsize=11, loc="upper left")
    right.set_title(f"Concentration by year (years with ≥ {int(shown['derivatives'].min())})")
    edges = tables["derivative_edges"]
    figure.suptitle(
        f"Supply chain of notable models: {len(edges)} base → derivative links, "
        f"{len(per_base)} bases, mean {per_base['derivatives'].mean():.2f} derivatives each",
        fontsize=14,
    )
    _credit(figure)
    context.figure(figure, "evidence_supply_chain")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write four figures, the tidy models table, findings and coefficients."""
    from abm.evidence import (
        ACCESS_OPENNESS,
        BIG_TECH,
        CODE_BONUS,
        CREDIT,
        finetune_graph,
        load_models,
    )
    from abm.evidence.findings import (
        BEHIND,
        CENTRE_YEAR,
        GAP_EDGES,
        MIN_DERIVATIVES,
        MIN_MODELS,
        NEAR,
        gap_logit,
        propensity_logit,
        summarise,
    )
    from abm.io import write_text

    context = start(NAME, DESCRIPTION, argv)
    models = load_models()
    graph = finetune_graph(models)
    context.parameters = {
        "data": "abm/data/epoch-notable-ai-models.csv (snapshot 2026-01-26)",
        "credit": CREDIT,
        "openness": ACCESS_OPENNESS,
        "training_code_bonus": CODE_BONUS,
        "big_tech": {firm: list(names) for firm, names in BIG_TECH.items()},
        "gap_bins": [float(edge) for edge in GAP_EDGES],
        "near": list(NEAR),
        "behind": list(BEHIND),
        "centre_year": CENTRE_YEAR,
        "race_min_models": MIN_MODELS,
        "hhi_min_derivatives": MIN_DERIVATIVES,
        "frontier": "running maximum of log10 training compute of all models published up to "
        "the date",
    }
    findings, tables = summarise(models, graph)
    _, gap_fits = gap_logit(models)
    _, propensity_fits = propensity_logit(models)

    _figure_gap(context, findings, tables, gap_fits)
    _figure_propensity(context, findings, tables)
    _figure_race(context, findings, tables)
    _figure_chain(context, tables)

    context.table(models, "evidence_models")
    context.table(findings, "evidence_findings")
    for name, stem in (
        ("open_share_by_gap", "evidence_open_share_by_gap"),
        ("gap_logit", "evidence_gap_logit"),
        ("propensity_logit", "evidence_propensity_logit"),
        ("closed_open_gap", "evidence_closed_open_gap"),
        ("derivatives_per_base", "evidence_derivatives_per_base"),
        ("derivative_edges", "evidence_derivative_edges"),
        ("concentration_by_year", "evidence_concentration"),
    ):
        context.table(tables[name], stem)
    summaries = "\n\n".join(
        f"{name}\n{fit.summary()}"
        for name, fit in {**propensity_fits, **{f"gap {k}": v for k, v in gap_fits.items()}}.items()
    )
    context.written.append(
        write_text(context.out / "evidence_logits.txt", f"{CREDIT}\n\n{summaries}\n")
    )

    result: dict[str, Any] = {"credit": CREDIT, "limitations": list(LIMITATIONS)}
    for row in findings.to_dict("records"):
        result.setdefault(row["finding"], {})[row["quantity"]] = {
            key: row[key] for key in ("estimate", "lower", "upper", "n", "clears", "unit")
        }
    sample = models.dropna(subset=["open_weights", "frontier_gap"])
    result["sample"] = {
        "models": len(models),
        "with_accessibility": int(models["open_weights"].notna().sum()),
        "with_compute": int(models["log_compute"].notna().sum()),
        "with_both": len(sample),
        "derivative_links": len(tables["derivative_edges"]),
    }
    context.say(
        f"  {'quantity':<58} {'estimate':>8} {'[95 % interval]':>18}  n      "
        "(clears: the interval excludes the null)"
    )
    for row in findings.to_dict("records"):
        context.say(
            f"  {row['quantity']:<58} {row['estimate']:8.3f} "
            f"[{row['lower']:7.3f}, {row['upper']:7.3f}]  n={row['n']:<4}"
            + ("  (clears)" if row["clears"] else "")
        )
    return context.finish(result)


if __name__ == "__main__":
    run_main(main)
