"""Study 5, firm size and openness: Model III's inverted U and the effect of a larger edge.

Model III (:mod:`abm.theory.open_sourcing`): an owner with share s of the applications built on
its model gains Δ(s) = γ·s·(1−s) − ℓ·(1−s) − κ by opening it and opens with probability
1/(1 + exp(−λ·Δ(s))). The figure shows the propensity (left) and the gain (right) against s for
several edges κ (the performance lead handed to rivals): the propensity is an inverted U peaking
at s* = (γ+ℓ)/(2γ) whatever κ, and a larger edge lowers it everywhere and narrows the interval
(s₋, s₊) of shares at which opening pays, until it closes.

The market overlay of the earlier version (owners' measured shares and openings in simulated
markets) relied on Δ(s) being added to the owners' payoffs, which the rewritten market no
longer does: the market pays only what clearing pays. The in-market mechanism is pending
(issue "Firm size and the race inside the market"); the figure and findings say so.

``python -m analysis.firm_size [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis._common import run_main, start

NAME = "firm-size"
DESCRIPTION = (
    "Model III's propensity to open against the share of applications (inverted U) and the "
    "effect of a larger edge; the in-market mechanism is pending."
)

#: Edges κ compared (the default 0.05 first).
EDGES = (0.05, 0.1, 0.15, 0.2)
#: The issue that will bring the mechanism into the market.
PENDING = "Firm size and the race inside the market"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the curves and intervals tables, findings, manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from abm.figures import OKABE_ITO
    from abm.theory.open_sourcing import (
        DEFAULT_GROWTH_VALUE,
        DEFAULT_LICENSING,
        DEFAULT_PRECISION,
        open_interval,
        open_probability,
        opening_gain,
        propensity_peak,
    )

    context = start(NAME, DESCRIPTION, argv)
    points = 201 if context.args.quick else 1001
    growth, licensing, precision = DEFAULT_GROWTH_VALUE, DEFAULT_LICENSING, DEFAULT_PRECISION
    context.parameters = {
        "growth_value": growth,
        "licensing": licensing,
        "precision": precision,
        "edges": list(EDGES),
        "share_points": points,
        "market_overlay": f"pending (issue {PENDING!r})",
    }
    share = np.linspace(0.0, 1.0, points)
    target = float(propensity_peak(growth, licensing))
    frames, intervals = [], []
    for edge in EDGES:
        probability = open_probability(share, growth, licensing, edge, precision)
        frames.append(
            pd.DataFrame(
                {
                    "edge": edge,
                    "share": share,
                    "gain": opening_gain(share, growth, licensing, edge),
                    "probability": probability,
                }
            )
        )
        lower, upper = open_interval(growth, licensing, edge)
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

    colours = [OKABE_ITO[k] for k in ("bluish_green", "blue", "orange", "vermillion")]
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 6.2), constrained_layout=True)
    for colour, edge in zip(colours, EDGES, strict=True):
        curve = curves[curves["edge"] == edge]
        left.plot(curve["share"], curve["probability"], color=colour, lw=2.2, label=f"κ = {edge:g}")
        right.plot(curve["share"], curve["gain"], color=colour, lw=2.2, label=f"κ = {edge:g}")
    for axis in (left, right):
        axis.axvline(target, color="black", ls=":", lw=1.5, label=f"s* = {target:g}")
        axis.set(xlabel="owner's share of applications s", xlim=(0, 1))
    right.axhline(0.0, color="grey", lw=1.2)
    left.set(ylabel="probability of releasing openly", ylim=(0, 1))
    right.set(ylabel="gain from opening Δ(s)")
    left.set_title(f"Model III propensity (γ = {growth:g}, ℓ = {licensing:g}, λ = {precision:g})")
    right.set_title("Gain from opening: positive on (s₋, s₊)")
    left.legend(fontsize=11, loc="upper left")
    right.legend(fontsize=11, loc="lower right")
    widths = table.set_index("edge")["open_width"]
    closed = [edge for edge in EDGES if widths[edge] == 0.0]
    figure.suptitle(
        f"Model III: mid-sized owners open most (peak s* = {target:g} for every edge); a larger "
        f"edge narrows the shares at which opening pays ({widths.iloc[0]:.2f} wide at κ = "
        f"{EDGES[0]:g}{', none at κ = ' + format(closed[0], 'g') if closed else ''}).\n"
        f"Closed form only: the in-market mechanism is pending (issue “{PENDING}”).",
        fontsize=14,
    )
    context.figure(figure, "propensity_inverted_u")
    context.table(curves, "propensity_curves")
    context.table(table, "open_intervals")
    findings = {
        "theory_peak": target,
        "edges": {
            f"{row['edge']:g}": {key: value for key, value in row.items() if key != "edge"}
            for row in intervals
        },
        "width_falls_with_edge": bool(np.all(np.diff(table["open_width"]) <= 0.0)),
        "market_overlay": f"pending: issue {PENDING!r}",
    }
    context.say(
        f"peak s* = {target:g}; width of the opening interval by κ: "
        + ", ".join(f"{edge:g}: {widths[edge]:.3f}" for edge in EDGES)
        + f"; market overlay pending ({PENDING})"
    )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
