"""Study 5, firm size and openness: Model III's inverted U from the market's mechanism.

Model III (:mod:`abm.theory.open_sourcing`): an owner with share s of the applications built on
its model gains Δ(s) = γ·s·(1−s) − ℓ·(1−s) − κ by opening it and opens with probability
1/(1 + exp(−λ·Δ(s))). The market builds the same trade-off as flows (``docs/model.md``, "Firm
size inside the market"): in-house applications, growth from outsiders' effort on an open base,
a licence from outsiders on a closed one, an edge lost by opening. This study runs the markets of
check V6 (:func:`abm.market.checks.check_firm_size`) for several edges κ and draws the share of
owners that open against their measured s (binned, Wilson intervals) next to Model III's curve:
the inverted U emerges with its peak near s* = (γ+ℓ)/(2γ), and a larger edge lowers the
propensity to open (the abstract's second claim), both from what the market pays.

``python -m analysis.firm_size [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis._common import run_main, start

NAME = "firm-size"
DESCRIPTION = (
    "Share of owners that open against their measured share of applications, from the market's "
    "firm-size mechanism, next to Model III's inverted U; and the effect of a larger edge."
)

#: Edges κ compared (the default 0.05 first).
EDGES = (0.05, 0.1, 0.15, 0.2)
#: Edges κ simulated in the market (the default first); --quick runs the first two.
MARKET_EDGES = (0.05, 0.1, 0.15)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the curves and intervals tables, findings, manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.figures import OKABE_ITO
    from abm.theory.open_sourcing import (
        OpenSourcingGame,
        open_interval,
        open_probability,
        opening_gain,
        propensity_peak,
    )

    context = start(NAME, DESCRIPTION, argv)
    points = 201 if context.args.quick else 1001
    defaults = OpenSourcingGame()
    growth, licensing, precision = (
        float(defaults.growth_value),
        float(defaults.licensing),
        float(defaults.precision),
    )
    context.parameters = {
        "growth_value": growth,
        "licensing": licensing,
        "precision": precision,
        "edges": list(EDGES),
        "share_points": points,
        "market": "check V6's markets (abm.market.checks.check_firm_size), per edge",
    }
    share = np.linspace(0.0, 1.0, points)
    target = float(propensity_peak(defaults))
    frames, intervals = [], []
    for edge in EDGES:
        game = defaults.replace(edge=edge)
        probability = open_probability(game, share)
        frames.append(
            pd.DataFrame(
                {
                    "edge": edge,
                    "share": share,
                    "gain": opening_gain(game, share),
                    "probability": probability,
                }
            )
        )
        lower, upper = open_interval(game)
        intervals.append(
            {
                "edge": edge,
                "open_lower": float(lower),
                "open_upper": float(upper),
                "open_width": float(np.nan_to_num(upper - lower)),
                "peak_share": float(share[np.argmax(probability)]),
                "peak_probability": float(probability.max()),
            }
        )
    curves = pd.concat(frames, ignore_index=True)
    table = pd.DataFrame(intervals)

    from abm.market.checks import check_firm_size

    edges = MARKET_EDGES[:2] if context.args.quick else MARKET_EDGES
    owners, periods = (30, 100) if context.args.quick else (60, 150)
    market_rows, market_fits = [], {}
    for edge in edges:
        result = check_firm_size(owners=owners, periods=periods, edge=edge)
        fit = result.data["fit"]
        binned = result.data["table"].copy()
        binned["edge"] = edge
        binned["model_three"] = np.nan
        filled = binned["firms"] > 0
        binned.loc[filled, "model_three"] = result.data["theory"]
        market_rows.append(binned)
        market_fits[f"{edge:g}"] = {
            "peak": fit.peak,
            "peak_lower": fit.peak_lower,
            "peak_upper": fit.peak_upper,
            "interior_peak": bool(fit.interior_peak),
            "correlation": result.data["correlation"],
            "open_rate": float(np.mean(result.data["opened"])),
            "decisions": fit.firms,
            "passed": bool(result.passed),
        }
    market = pd.concat(market_rows, ignore_index=True)
    rates = [market_fits[f"{edge:g}"]["open_rate"] for edge in edges]

    colours = [OKABE_ITO[k] for k in ("bluish_green", "blue", "orange", "vermillion")]
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6.2), constrained_layout=True)
    for colour, edge in zip(colours, EDGES, strict=True):
        curve = curves[curves["edge"] == edge]
        label = f"κ = {edge:g}, Model III"
        left.plot(curve["share"], curve["probability"], color=colour, lw=2.2, label=label)
        right.plot(curve["share"], curve["gain"], color=colour, lw=2.2, label=f"κ = {edge:g}")
        if edge in edges:
            sim = market[(market["edge"] == edge) & (market["firms"] > 0)]
            left.errorbar(
                sim["mean_share"],
                sim["rate"],
                yerr=[sim["rate"] - sim["rate_lower"], sim["rate_upper"] - sim["rate"]],
                fmt="o",
                color=colour,
                ms=6,
                capsize=3,
                label=f"κ = {edge:g}, market (share that opens)",
            )
    for axis in (left, right):
        axis.axvline(target, color="black", ls=":", lw=1.5, label=f"s* = {target:g}")
        axis.set(xlabel="owner's share of applications s", xlim=(0, 1))
    right.axhline(0.0, color="grey", lw=1.2)
    left.set(ylabel="probability of releasing openly", ylim=(0, 1))
    right.set(ylabel="gain from opening Δ(s)")
    left.set_title(
        f"Share that opens: market (points, 95% Wilson) and Model III (lines), γ = {growth:g}, "
        f"ℓ = {licensing:g}, λ = {precision:g}",
        fontsize=11,
    )
    right.set_title("Gain from opening: positive on (s₋, s₊)")
    left.legend(fontsize=11, loc="upper left")
    right.legend(fontsize=11, loc="lower right")
    widths = table.set_index("edge")["open_width"]
    closed = [edge for edge in EDGES if widths[edge] == 0.0]
    figure.suptitle(
        f"Model III: mid-sized owners open most (peak s* = {target:g} for every edge); a larger "
        f"edge narrows the shares at which opening pays ({widths.iloc[0]:.2f} wide at κ = "
        f"{EDGES[0]:g}{', none at κ = ' + format(closed[0], 'g') if closed else ''}).\n"
        f"In the market (in-house applications, growth, licence, edge): peak "
        f"{market_fits[f'{edges[0]:g}']['peak']:.2f} at κ = {edges[0]:g}; the share that opens "
        f"falls with the edge ({', '.join(f'{rate:.2f}' for rate in rates)} at κ = "
        f"{', '.join(f'{edge:g}' for edge in edges)}).",
        fontsize=14,
    )
    context.figure(figure, "propensity_inverted_u")
    context.table(curves, "propensity_curves")
    context.table(table, "open_intervals")
    context.table(market, "market_propensity")
    findings = {
        "theory_peak": target,
        "edges": {
            f"{row['edge']:g}": {key: value for key, value in row.items() if key != "edge"}
            for row in intervals
        },
        "width_falls_with_edge": bool(np.all(np.diff(table["open_width"]) <= 0.0)),
        "market": market_fits,
        "market_open_rate_falls_with_edge": bool(np.all(np.diff(rates) < 0.0)),
    }
    context.say(
        f"peak s* = {target:g}; width of the opening interval by κ: "
        + ", ".join(f"{edge:g}: {widths[edge]:.3f}" for edge in EDGES)
        + "; market peak by κ: "
        + ", ".join(f"{key}: {value['peak']:.3f}" for key, value in market_fits.items())
        + "; market open rate by κ: "
        + ", ".join(f"{edge:g}: {rate:.3f}" for edge, rate in zip(edges, rates, strict=True))
    )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
