"""The app's views: plain functions of a market model, drawn with matplotlib's object API.

No pyplot (the server is threaded) and no layout engine (it would cost a second draw on every
step); the analytical regime map is cached per parameter set, so one step redraws in well under
a second. The page calls every view with its session's lock held, so a view never sees a model
half-way through a period.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import matplotlib
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from abm.app.session import PENALTY_MAX
from abm.figures.style import OKABE_ITO, colour_of
from abm.market import MarketModel
from abm.theory.landscape import region_map
from abm.theory.openness_game import REGIMES, OpennessGame, myopic_benchmark, spe_benchmark

#: Colour of each regime (free, comply, pay, abstain), shared by the plots and the map.
REGIME_COLOURS = tuple(colour_of(regime) for regime in REGIMES)
FONT = {"font.size": 13, "axes.titlesize": 14, "axes.labelsize": 13, "legend.fontsize": 11}
FIGSIZE = (6.4, 3.9)


# --- analytical baseline -----------------------------------------------------------------------


def _game(model: MarketModel, alpha0: Any) -> OpennessGame:
    g = model.generalists
    return OpennessGame(
        alpha0=alpha0,
        reputation=float(g.reputation.mean()),
        theta=float(model.policy.theta),
        penalty=float(model.policy.penalty),
    )


def predicted(model: MarketModel) -> dict[str, Any]:
    """The benchmark release for every generalist's α0 at the policy in force.

    Subgame-perfect for model makers learning from experience, myopic Nash for those with
    counterfactual payoffs (δ = 0.5). Returns the mean released openness, the share of each
    regime and the regime and openness of a generalist with the population's mean α0.
    """
    g = model.generalists
    solve = spe_benchmark if getattr(model, "benchmark", "") != "myopic Nash" else myopic_benchmark
    solved = solve(_game(model, g.alpha0), model.config.delta)
    regime = np.asarray(solved.regime).ravel()
    openness = np.asarray(solved.openness, float).ravel()
    released = openness[np.isfinite(openness)]
    typical = solve(_game(model, float(g.alpha0.mean())), model.config.delta)
    return {
        "mean_openness": float(released.mean()) if released.size else float("nan"),
        "shares": np.bincount(regime, minlength=4) / regime.size,
        "regime": REGIMES[int(np.asarray(typical.regime))],
        "openness": float(np.asarray(typical.openness)),
    }


@lru_cache(maxsize=32)
def _cached_map(alpha0: float, reputation: float, delta: float) -> Any:
    game = OpennessGame(alpha0=alpha0, reputation=reputation)
    return region_map(
        game,
        np.linspace(0.0, 1.0, 51),
        np.linspace(0.0, PENALTY_MAX, 101),
        rule="fixed",
        delta=delta,
        grid=101,
    )


# --- views -------------------------------------------------------------------------------------


def _figure(right: float = 0.95, wspace: float = 0.45) -> Figure:
    """A figure with fixed margins: a layout engine would cost a second draw on every step."""
    figure = Figure(figsize=FIGSIZE)
    figure.subplots_adjust(left=0.12, right=right, bottom=0.15, top=0.78, wspace=wspace)
    return figure


def _periods(axes: Any, model: MarketModel) -> None:
    """Integer period axis from 0 to at least 1 (a fresh model has only period 0)."""
    axes.set_xlim(0, max(model.steps, 1))
    axes.xaxis.get_major_locator().set_params(integer=True)


def _legend_above(axes: Any, title: str, ncols: int = 3) -> None:
    """Title and legend above the axes, so the legend never covers data."""
    entries = len(axes.get_legend_handles_labels()[1])
    rows = -(-entries // ncols)
    axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=ncols, frameon=False, fontsize=9)
    axes.set_title(title, pad=6 + 15 * rows)


def _show(figure: Figure) -> Any:
    with matplotlib.rc_context(FONT):
        # No bbox_inches="tight": constrained layout already fits, and "tight" draws twice.
        return solara.FigureMatplotlib(figure, format="png", dpi=90)


def openness_view(model: MarketModel) -> Any:
    """Mean openness with its interquartile band, and today's distribution over generalists."""
    frame = model.timeseries()
    g = model.generalists
    with matplotlib.rc_context(FONT):
        figure = _figure()
        left, right = figure.subplots(1, 2, width_ratios=(2.2, 1))
        left.fill_between(
            frame["step"],
            frame["openness_q25"],
            frame["openness_q75"],
            color=colour_of("mean_openness"),
            alpha=0.25,
            label="IQR",
        )
        left.plot(
            frame["step"], frame["mean_openness"], color=colour_of("mean_openness"), label="mean"
        )
        left.axhline(
            predicted(model)["mean_openness"],
            color=OKABE_ITO["vermillion"],
            linestyle="--",
            label="eq.",
        )
        left.set(xlabel="period", ylabel="openness ω", ylim=(-0.02, 1.02))
        _periods(left, model)
        _legend_above(left, "Openness over time")
        released = g.openness[g.participates]
        right.hist(released, bins=np.linspace(0, 1, 11), color=colour_of("mean_openness"))
        right.set(xlabel="ω now", ylabel="generalists")
        right.set_title(f"{released.size} releases")
    return _show(figure)


def regime_view(model: MarketModel) -> Any:
    """Share of generalists in each regime over time, with the equilibrium shares."""
    frame = model.timeseries()
    shares = predicted(model)["shares"]
    with matplotlib.rc_context(FONT):
        figure = _figure(right=0.62)
        axes = figure.subplots()
        columns = [f"share_{name}" for name in REGIMES]
        axes.stackplot(
            frame["step"],
            *(frame[column] for column in columns),
            labels=[
                f"{name} (eq. {share:.0%})" for name, share in zip(REGIMES, shares, strict=True)
            ],
            colors=REGIME_COLOURS,
            alpha=0.9,
        )
        axes.set(xlabel="period", ylabel="share of generalists", ylim=(0, 1))
        _periods(axes, model)
        axes.set_title("Regimes: who complies, pays or abstains")
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _show(figure)


def performance_view(model: MarketModel) -> Any:
    """Specialists' fine-tuned performance α1 and both sides' total utilities."""
    frame = model.timeseries()
    with matplotlib.rc_context(FONT):
        figure = _figure()
        left, right = figure.subplots(1, 2)
        left.plot(frame["step"], frame["mean_alpha1"], color=colour_of("mean_alpha1"), label="α1")
        left.plot(frame["step"], frame["mean_alpha0"], color=colour_of("mean_alpha0"), label="α0")
        left.set(xlabel="period", ylabel="mean performance")
        _periods(left, model)
        _legend_above(left, "Specialists' models")
        right.plot(
            frame["step"],
            frame["utility_generalists"],
            color=colour_of("utility_generalists"),
            label="generalists",
        )
        right.plot(
            frame["step"],
            frame["utility_specialists"],
            color=colour_of("utility_specialists"),
            label="specialists",
        )
        right.set(xlabel="period", ylabel="total utility")
        _periods(right, model)
        _legend_above(right, "Utilities", ncols=1)
    return _show(figure)


def network_view(model: MarketModel) -> Any:
    """The supply chain: base models (colour = openness) above, their fine-tunes below."""
    graph = model.network
    g = model.generalists
    with matplotlib.rc_context(FONT):
        figure = _figure(right=1.0)
        figure.subplots_adjust(left=0.2)
        axes = figure.subplots()
        n_g = g.count
        base_x = (np.arange(n_g) + 0.5) / n_g
        specialists = [n for n, kind in graph.nodes(data="kind") if kind == "specialist"]
        order = sorted(specialists, key=lambda n: (graph.nodes[n]["base"], n))
        spec_x = {n: (k + 0.5) / max(len(order), 1) for k, n in enumerate(order)}
        edges = [
            ((base_x[int(source[1:])], 1.0), (spec_x[target], 0.0))
            for source, target in graph.edges()
        ]
        axes.add_collection(
            LineCollection(edges, colors=OKABE_ITO["grey"], linewidths=0.6, alpha=0.6)
        )
        openness = np.array([graph.nodes[f"G{i}"]["openness"] for i in range(n_g)])
        out = openness < 0
        points = axes.scatter(
            base_x[~out],
            np.ones((~out).sum()),
            c=openness[~out],
            cmap="viridis",
            vmin=0,
            vmax=1,
            s=80,
            edgecolors="black",
            zorder=3,
        )
        axes.scatter(
            base_x[out], np.ones(out.sum()), marker="x", color="black", s=60, label="abstains"
        )
        matched = [n for n in order if graph.nodes[n]["base"] >= 0]  # has a derivative
        axes.scatter(
            [spec_x[n] for n in matched],
            np.zeros(len(matched)),
            color=OKABE_ITO["orange"],
            s=25,
            zorder=3,
            label="fine-tune",
        )
        axes.set(ylim=(-0.3, 1.3), xlim=(0, 1), xticks=[], yticks=[0, 1])
        axes.set_yticklabels(["specialists", "base models"])
        axes.set_title("Supply chain (colour: openness)")
        figure.colorbar(points, ax=axes, label="openness ω", shrink=0.85)
        axes.legend(loc="lower right", ncols=2, fontsize=9)
    return _show(figure)


def analysis_view(model: MarketModel) -> Any:
    """Model I's regime map at the mean α0 with the current (θ, p) marked."""
    g = model.generalists
    alpha0 = float(g.alpha0.mean())
    reputation = float(g.reputation.mean())
    cfg = model.config
    regions = _cached_map(round(alpha0, 4), round(reputation, 4), cfg.delta)
    theta, penalty = float(model.policy.theta), float(model.policy.penalty)
    expected = predicted(model)
    with matplotlib.rc_context(FONT):
        figure = _figure(right=0.74)
        axes = figure.subplots()
        colours = ListedColormap(REGIME_COLOURS)
        axes.pcolormesh(
            regions.thetas,
            regions.penalties,
            regions.regime.T,
            cmap=colours,
            norm=BoundaryNorm(np.arange(-0.5, 4.5), 4),
            shading="nearest",
        )
        axes.plot(regions.thetas, np.minimum(regions.curve, PENALTY_MAX), color="black", lw=1)
        axes.plot(
            theta,
            penalty,
            marker="*",
            markersize=20,
            color=OKABE_ITO["vermillion"],
            markeredgecolor="black",
            linestyle="none",
        )
        for code, name in enumerate(REGIMES):
            axes.scatter([], [], marker="s", s=80, color=REGIME_COLOURS[code], label=name)
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), title="regime")
        top = min(PENALTY_MAX, max(0.5, 1.25 * penalty))
        axes.set(xlabel="threshold θ", ylabel="penalty p", xlim=(0, 1), ylim=(0, top))
        axes.set_title(f"Theory at α0 = {alpha0:.2f} (★ = policy)")
    released = g.openness[g.participates]
    simulated = float(released.mean()) if released.size else float("nan")
    text = (
        f"**Map**: Model I's subgame-perfect regimes. **Marker** θ = {theta:.2f}, "
        f"p = {penalty:.2f} → {getattr(model, 'benchmark', '')} benchmark "
        f"**{expected['regime']}**, "
        f"ω* = {expected['openness']:.2f} at α0 = {alpha0:.2f}. "
        f"Population: equilibrium mean ω = {expected['mean_openness']:.2f}, "
        f"simulated mean ω = {simulated:.2f} (period {model.steps})."
    )
    return solara.Column(children=[_show(figure), solara.Markdown(text)])


def settings_view(model: MarketModel) -> Any:
    """The parameters of the running model and a reading guide."""
    items = list(getattr(model, "controls", {}).items())
    half = (len(items) + 1) // 2
    pairs = zip(items[:half], items[half:] + [("", "")] * (2 * half - len(items)), strict=True)
    rows = "\n".join(f"| {a} | **{x}** | {b} | **{y}** |" for (a, x), (b, y) in pairs)
    text = (
        f"#### Market in use (period {model.steps})\n\n| | | | |\n|---|---|---|---|\n{rows}\n\n"
        "Controls apply when you press **Reset**; **Step** runs one period, **Play** keeps going. "
        "Dashed lines and *eq.* shares: the benchmark learning should approach (subgame-perfect "
        "when model makers learn from experience, myopic Nash with counterfactual payoffs)."
    )
    return solara.Markdown(text, style={"font-size": "15px"})
