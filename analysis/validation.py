"""Run the market's validation suite (``abm validate``'s checks) and draw its figures.

    python analysis/validation.py OUTPUT_DIR [--quick] [--svg]

Writes ``validation.csv``/``.parquet`` and ``validation.json`` (the table of
:func:`abm.market.checks.run_suite`), a manifest, and three figures (PNG; SVG too with --svg)
made with :mod:`abm.figures.style` from the checks' ``data``:

- ``validation_openness``: learned ω against its benchmark for V1 (counterfactual information,
  myopic ω^N), V2 (experienced leader, SPE ω⁰) and V3 (heterogeneous pairs, both);
- ``validation_regimes``: learned regime over the (θ, p) grid next to the benchmark's (V4);
- ``validation_race``: the learned upgrade decision per period against the sign of Model II's
  net gain (V5).

The convergence curves are study 6 (``abm study learning``); V6 (firm size in the market) is
not implemented yet, so there is no propensity figure.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from abm.allocator import hold_freed_memory
from abm.figures.style import OKABE_ITO, PNG_ONLY, apply_style, figure_formats, save_figure
from abm.io import write_json, write_table
from abm.manifest import Manifest
from abm.market.checks import OPENNESS_TOLERANCE, format_results, run_suite

REGIME_NAMES = ("meets θ or free", "pays", "abstains")


def _by_prefix(results, prefix):
    return [r for r in results if r.check.startswith(prefix)]


def figure_openness(results, folder, formats=PNG_ONLY):
    """Learned ω against its benchmark, one panel per V1–V3 check."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(results), figsize=(5.5 * len(results), 5.5), squeeze=False, sharey=True
    )
    for ax, result in zip(axes[0], results, strict=True):
        learned = np.asarray(result.data["learned"], float)
        target = np.asarray(result.data["target"], float)
        shown = ~np.isnan(learned) & ~np.isnan(target)
        close = np.abs(learned - target) <= OPENNESS_TOLERANCE + 1e-9
        ax.plot([0, 1], [0, 1], color=OKABE_ITO["grey"], ls="--", label="equality")
        ax.scatter(
            target[shown & close],
            learned[shown & close],
            s=14,
            color=OKABE_ITO["blue"],
            label=f"within {OPENNESS_TOLERANCE}",
        )
        ax.scatter(
            target[shown & ~close],
            learned[shown & ~close],
            s=18,
            color=OKABE_ITO["vermillion"],
            label="farther",
        )
        ax.set_xlabel("benchmark ω")
        ax.set_title(
            f"{result.check}\n(figure {result.figure:.3g}; {result.threshold})", fontsize=11
        )
        ax.legend(fontsize=10, loc="upper left")
    axes[0][0].set_ylabel("learned ω (modal release)")
    fig.tight_layout()
    return save_figure(fig, folder, "validation_openness", formats)


def figure_regimes(result, folder, formats=PNG_ONLY):
    """Learned regimes over (θ, p) next to the benchmark's (V4)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    observed, expected = result.data["observed"], result.data["expected"]
    cells = observed.shape[0]
    alpha0 = float(re.search(r"α0 = ([0-9.]+)", result.check).group(1))
    top = 0.5 if alpha0 < 1 else 1.0  # the grid of checks.check_regime_map
    half_theta, half_penalty = 0.5 / (cells - 1), 0.5 * top / (cells - 1)
    extent = [-half_theta, 1 + half_theta, -half_penalty, top + half_penalty]
    colours = ListedColormap(
        [OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"], OKABE_ITO["reddish_purple"]]
    )
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    for ax, grid, title in ((axes[0], observed, "learned"), (axes[1], expected, "benchmark")):
        ax.imshow(
            grid.T,
            origin="lower",
            aspect="auto",
            extent=extent,
            cmap=colours,
            vmin=-0.5,
            vmax=2.5,
            interpolation="nearest",
        )
        ax.set_xlabel("threshold θ")
        ax.set_title(title)
    axes[0].set_ylabel("penalty p")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours(i)) for i in range(3)]
    fig.legend(handles, REGIME_NAMES, loc="lower center", ncol=3, frameon=False)
    fig.suptitle(f"{result.check}: {result.figure:.0%} agreement off the boundaries")
    fig.subplots_adjust(bottom=0.22)
    return save_figure(fig, folder, "validation_regimes", formats)


def figure_race(result, folder, formats=PNG_ONLY):
    """Learned upgrade per period against the sign of Model II's net gain (V5)."""
    import matplotlib.pyplot as plt

    upgraded, should = result.data["upgraded"], result.data["should"]
    days = np.arange(upgraded.size)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.step(
        days,
        should.astype(float),
        where="post",
        color=OKABE_ITO["grey"],
        lw=3,
        label="Model II: upgrade pays",
    )
    ax.step(
        days,
        upgraded.astype(float),
        where="post",
        color=OKABE_ITO["vermillion"],
        lw=1.2,
        label="learned decision",
    )
    ax.set(xlabel="period (day)", ylabel="upgrade (1) or not (0)", ylim=(-0.1, 1.1))
    ax.set_title(f"{result.check}: {result.figure:.0%} of judged periods agree")
    ax.legend(loc="center right")
    fig.tight_layout()
    return save_figure(fig, folder, "validation_race", formats)


def main() -> None:
    """Run the suite, write the table, the figures and the manifest."""
    parser = argparse.ArgumentParser(description="Run the validation suite and draw figures.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--svg", action="store_true", help="also write each figure as SVG")
    args = parser.parse_args()
    hold_freed_memory()  # as the abm command does (abm.allocator)
    args.output.mkdir(parents=True, exist_ok=True)
    manifest = Manifest("analysis/validation", {"quick": args.quick})
    results = run_suite(quick=args.quick)
    rows = pd.DataFrame([r.row() for r in results])
    manifest.outputs += [str(p) for p in write_table(rows, args.output, "validation", csv=True)]
    manifest.outputs.append(
        str(write_json(args.output / "validation.json", rows.to_dict("records")))
    )
    apply_style()
    written = []
    openness = [
        r for r in results if r.check.startswith(("V1", "V2", "V3")) and "learned" in r.data
    ]
    formats = figure_formats(args.svg)
    written += figure_openness(openness, args.output, formats)
    written += figure_regimes(_by_prefix(results, "V4")[0], args.output, formats)
    written += figure_race(_by_prefix(results, "V5")[0], args.output, formats)
    manifest.outputs += [str(p) for p in written]
    manifest.write(args.output)
    print(format_results([r.row() for r in results]))
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
