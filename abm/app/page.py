"""The SolaraViz page: controls that build a :class:`MarketConfig`, and six views.

Run with ``abm app`` (or ``solara run abm.app.page``). Moving a control changes the parameters
of the next model; **Reset** builds it, **Step** and **▶** run it. Every view is a plain
function of the model drawn with matplotlib's object API (no pyplot: the server is threaded),
and the analytical regime map is cached per parameter set, so one step redraws in well under
a second even on a laptop.
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
from mesa.visualization import SolaraViz

from abm.figures.style import OKABE_ITO, colour_of
from abm.market import (
    ClosedFirmConfig,
    Distribution,
    GeneralistConfig,
    MarketConfig,
    MarketModel,
    RegulatorConfig,
    SpecialistConfig,
)
from abm.market.checks import COUNTERFACTUAL, EXPERIENCED_LEADERS, FAST_FOLLOWER
from abm.theory.landscape import region_map
from abm.theory.openness_game import REGIMES, OpennessGame, myopic_benchmark, spe_benchmark

#: What the model makers learn from, and the benchmark it should approach (docs/model.md).
INFORMATION = {
    "experienced": (EXPERIENCED_LEADERS["q_learning"], "subgame-perfect"),
    "counterfactual": (COUNTERFACTUAL, "myopic Nash"),
}

matplotlib.use("Agg")

#: Largest penalty on the slider and on the analytical map.
PENALTY_MAX = 0.5
#: Colour of each regime (free, comply, pay, abstain), shared by the plots and the map.
REGIME_COLOURS = tuple(colour_of(regime) for regime in REGIMES)
FONT = {"font.size": 13, "axes.titlesize": 14, "axes.labelsize": 13, "legend.fontsize": 11}
FIGSIZE = (6.4, 3.9)


class AppMarket(MarketModel):
    """A :class:`MarketModel` built from the app's flat keyword controls.

    Captive demand and fixed pairs (specialist j fine-tunes generalist j mod G), so with as many
    specialists as generalists every pair is Model I. Model makers learn their openness from
    experience (Q-learning, holding each release about 20 periods: they should approach the
    subgame-perfect release) or from counterfactual payoffs (best response: the myopic-Nash
    release); fine-tuners best-respond every period. δ is fixed at 0.5.
    """

    def __init__(
        self,
        generalists: int = 30,
        specialists: int = 30,
        closed_firms: int = 3,
        alpha0_low: float = 0.2,
        alpha0_high: float = 2.0,
        reputation: float = 0.05,
        theta: float = 0.5,
        penalty: float = 0.05,
        information: str = "experienced",
        seed: Any = 1,
    ) -> None:
        low, high = sorted((float(alpha0_low), float(alpha0_high)))
        alpha0 = (
            Distribution("constant", value=low)
            if high - low < 1e-9
            else Distribution("uniform", low=low, high=high)
        )
        leader, self.benchmark = INFORMATION.get(str(information), INFORMATION["experienced"])
        config = MarketConfig(
            generalists=GeneralistConfig(
                count=int(generalists),
                alpha0=alpha0,
                reputation=Distribution("constant", value=float(reputation)),
                learning=leader,
            ),
            specialists=SpecialistConfig(
                count=int(specialists),
                matching="pairs",
                effort_levels=601,
                effort_max=0.6,
                effort_learning=FAST_FOLLOWER,
            ),
            closed_firms=ClosedFirmConfig(count=int(closed_firms), initial_compute=8.0, levels=3),
            regulator=RegulatorConfig(theta=float(theta), penalty=float(penalty)),
        )
        super().__init__(config, rng=_seed(seed))
        self.controls = {
            "generalists": int(generalists),
            "specialists": int(specialists),
            "closed firms": int(closed_firms),
            "α0 range": f"[{low:.2f}, {high:.2f}]",
            "reputation ε": f"{float(reputation):.2f}",
            "threshold θ": f"{float(theta):.2f}",
            "penalty p": f"{float(penalty):.2f}",
            "information": f"{information} ({self.benchmark})",
            "seed": _seed(seed),
        }


def _seed(value: Any) -> int:
    """The seed typed in the text box as a non-negative integer (anything else: 0)."""
    try:
        return max(0, int(str(value).strip()))
    except ValueError:
        return 0


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
        np.linspace(0.0, PENALTY_MAX, 51),
        rule="fixed",
        delta=delta,
        grid=101,
    )


# --- views -------------------------------------------------------------------------------------


def _figure(right: float = 0.95, wspace: float = 0.45) -> Figure:
    """A figure with fixed margins: a layout engine would cost a second draw on every step."""
    figure = Figure(figsize=FIGSIZE)
    figure.subplots_adjust(left=0.12, right=right, bottom=0.15, top=0.9, wspace=wspace)
    return figure


def _periods(axes: Any, model: MarketModel) -> None:
    """Integer period axis from 0 to at least 1 (a fresh model has only period 0)."""
    axes.set_xlim(0, max(model.steps, 1))
    axes.xaxis.get_major_locator().set_params(integer=True)


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
            color=OKABE_ITO["sky_blue"],
            alpha=0.35,
            label="middle half",
        )
        left.plot(frame["step"], frame["mean_openness"], color=OKABE_ITO["blue"], label="mean ω")
        left.axhline(
            predicted(model)["mean_openness"],
            color=OKABE_ITO["vermillion"],
            linestyle="--",
            label="equilibrium",
        )
        left.set(xlabel="period", ylabel="openness ω", ylim=(-0.02, 1.02))
        _periods(left, model)
        left.set_title("Openness over time")
        left.legend(loc="best")
        released = g.openness[g.participates]
        right.hist(released, bins=np.linspace(0, 1, 11), color=OKABE_ITO["blue"])
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
        left.plot(frame["step"], frame["mean_alpha1"], color=OKABE_ITO["bluish_green"], label="α1")
        left.plot(frame["step"], frame["mean_alpha0"], color=OKABE_ITO["grey"], label="α0")
        left.set(xlabel="period", ylabel="mean performance")
        _periods(left, model)
        left.set_title("Specialists' models")
        left.legend(loc="best")
        right.plot(
            frame["step"],
            frame["utility_generalists"],
            color=OKABE_ITO["blue"],
            label="generalists",
        )
        right.plot(
            frame["step"],
            frame["utility_specialists"],
            color=OKABE_ITO["orange"],
            label="specialists",
        )
        right.set(xlabel="period", ylabel="total utility")
        _periods(right, model)
        right.set_title("Utilities")
        right.legend(loc="best")
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
        axes.set(xlabel="threshold θ", ylabel="penalty p", xlim=(0, 1), ylim=(0, PENALTY_MAX))
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
    """The parameters of the running model (the sliders show no numbers) and a reading guide."""
    items = list(getattr(model, "controls", {}).items())
    half = (len(items) + 1) // 2
    pairs = zip(items[:half], items[half:] + [("", "")] * (2 * half - len(items)), strict=True)
    rows = "\n".join(f"| {a} | **{x}** | {b} | **{y}** |" for (a, x), (b, y) in pairs)
    text = (
        f"#### Market in use (period {model.steps})\n\n| | | | |\n|---|---|---|---|\n{rows}\n\n"
        "Controls apply when you press **Reset**; **Step** runs one period, **▶** keeps going. "
        "Dashed lines and *eq.* shares: the benchmark learning should approach (subgame-perfect "
        "when model makers learn from experience, myopic Nash with counterfactual payoffs)."
    )
    return solara.Markdown(text, style={"font-size": "15px"})


# --- the page ----------------------------------------------------------------------------------


def _slider(label: str, value: float, low: float, high: float, step: float) -> dict[str, Any]:
    kind = "SliderInt" if isinstance(value, int) else "SliderFloat"
    return {"type": kind, "label": label, "value": value, "min": low, "max": high, "step": step}


MODEL_PARAMS: dict[str, Any] = {
    "seed": {"type": "InputText", "label": "Seed", "value": "1"},
    "generalists": _slider("Generalists (base models)", 30, 1, 100, 1),
    "specialists": _slider("Specialists (fine-tuners)", 30, 0, 300, 1),
    "closed_firms": _slider("Closed firms", 3, 0, 20, 1),
    "alpha0_low": _slider("α0 lowest", 0.2, 0.05, 3.0, 0.05),
    "alpha0_high": _slider("α0 highest", 2.0, 0.05, 3.0, 0.05),
    "reputation": _slider("Reputation ε", 0.05, 0.0, 0.5, 0.01),
    "theta": _slider("Threshold θ", 0.5, 0.0, 1.0, 0.02),
    "penalty": _slider("Penalty p", 0.05, 0.0, PENALTY_MAX, 0.01),
    "information": {
        "type": "Select",
        "label": "Model makers learn from",
        "value": "experienced",
        "values": list(INFORMATION),
    },
}

#: (view, tab): all on the first tab, in reading order (two per row).
COMPONENTS = [
    (openness_view, 0),
    (analysis_view, 0),
    (regime_view, 0),
    (performance_view, 0),
    (network_view, 0),
    (settings_view, 0),
]


def make_page(model: MarketModel | None = None) -> Any:
    """The SolaraViz element for ``model`` (default: the app's default market)."""
    return SolaraViz(
        model if model is not None else AppMarket(),
        components=COMPONENTS,
        model_params=MODEL_PARAMS,
        name="Openness market — press Reset to apply controls",
        play_interval=150,
    )


page = make_page()
