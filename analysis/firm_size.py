"""Study 5, firm size and openness: the inverted U of the propensity to open.

Many small markets (:func:`abm.market.validation.check_open_sourcing`: 2–5 model owners, only
Model III's gain separates opening from not) pool each owner's measured share of applications
and whether it released openly. The figure shows the binned opening rates with Wilson 95 %
intervals, the fitted quadratic logit (:func:`abm.theory.propensity.estimate_propensity`) with
its peak, and Model III's analytical propensity at its defaults with the peak s*.

``python -m analysis.firm_size [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis._common import run_main, start

NAME = "firm-size"
DESCRIPTION = (
    "Propensity to open against the measured share of applications across many simulated "
    "markets, with the analytical curve and the fitted inverted U."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study; write the figure, the pooled and binned tables, findings and manifest."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from abm.market.validation import check_open_sourcing

    from abm.figures import OKABE_ITO
    from abm.theory.open_sourcing import (
        DEFAULT_EDGE,
        DEFAULT_GROWTH_VALUE,
        DEFAULT_LICENSING,
        DEFAULT_PRECISION,
        open_probability,
        propensity_peak,
    )

    context = start(NAME, DESCRIPTION, argv)
    markets, periods = (60, 40) if context.args.quick else (400, 150)
    context.parameters = {
        "markets": markets,
        "periods": periods,
        "market_config": "abm.market.validation.open_sourcing_config (2–5 owners per market)",
        "note": "market seeds are fixed by check_open_sourcing (1000 + market index)",
    }
    context.say(f"{markets} markets × {periods} periods …")
    check = check_open_sourcing(markets, periods)
    fit, table = check.data["fit"], check.data["table"]
    share, opened = check.data["share"], check.data["opened"]
    target = float(propensity_peak(DEFAULT_GROWTH_VALUE, DEFAULT_LICENSING))

    grid = np.linspace(0.0, 1.0, 301)
    analytic = open_probability(
        grid, DEFAULT_GROWTH_VALUE, DEFAULT_LICENSING, DEFAULT_EDGE, DEFAULT_PRECISION
    )
    figure, axis = plt.subplots(figsize=(10, 6.5), constrained_layout=True)
    rng = np.random.default_rng(context.args.seed)
    axis.scatter(
        share,
        opened.astype(float) + rng.uniform(-0.025, 0.025, share.size),
        s=8,
        color=OKABE_ITO["grey"],
        alpha=0.35,
        label="owners (opened = 1, jittered)",
    )
    shown = table.dropna(subset=["rate"])
    axis.errorbar(
        shown["mean_share"],
        shown["rate"],
        yerr=np.maximum(  # Wilson bounds can sit a rounding error inside the rate
            0.0, [shown["rate"] - shown["rate_lower"], shown["rate_upper"] - shown["rate"]]
        ),
        fmt="o",
        color=OKABE_ITO["blue"],
        ms=8,
        capsize=3,
        markeredgecolor="black",
        label="share that opened, per bin (Wilson 95 %)",
    )
    axis.plot(
        grid,
        analytic,
        color=OKABE_ITO["bluish_green"],
        lw=2.2,
        label=f"Model III propensity (γ = {DEFAULT_GROWTH_VALUE:g}, ℓ = {DEFAULT_LICENSING:g})",
    )
    axis.axvline(target, color=OKABE_ITO["bluish_green"], ls=":", lw=1.5, label=f"s* = {target:g}")
    if fit.converged:
        axis.plot(
            grid,
            fit.probability(grid),
            color=OKABE_ITO["vermillion"],
            lw=2.2,
            ls="--",
            label="fitted quadratic logit",
        )
        axis.axvline(
            fit.peak,
            color=OKABE_ITO["vermillion"],
            ls=":",
            lw=1.5,
            label=f"fitted peak {fit.peak:.2f}",
        )
    axis.set(
        xlabel="owner's share of applications s (mean over the run)",
        ylabel="probability of releasing openly",
        xlim=(0, 1),
        ylim=(-0.06, 1.06),
    )
    shape = "an inverted U" if fit.interior_peak else "no significant inverted U"
    axis.set_title(
        f"Mid-sized owners open most: {shape} peaking at s = {fit.peak:.2f} "
        f"(theory {target:g}),\n{share.size} owners in {markets} markets; U-test p = "
        f"{fit.u_test_p_value:.2g}",
        fontsize=13,
    )
    axis.legend(fontsize=10, loc="upper right")
    context.figure(figure, "propensity_inverted_u")
    context.table(pd.DataFrame({"share": share, "opened": opened}), "owners")
    context.table(table, "propensity_binned")
    findings = {
        "owners": int(share.size),
        "fit_status": fit.status,
        "fitted_peak": float(fit.peak),
        "theory_peak": target,
        "interior_peak": bool(fit.interior_peak),
        "curvature": float(fit.curvature),
        "curvature_p_value": float(fit.curvature_p_value),
        "u_test_p_value": float(fit.u_test_p_value),
        "check_passed": check.passed,
    }
    context.say(f"fitted peak {fit.peak:.3f} (theory {target:g}); {check.detail}")
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
