"""One browser session of the app: its own market model, its play loop and its lock.

Nothing here imports Solara, so the session can be tested (and used from a notebook) without a
server. The page (:mod:`abm.app.page`) keeps one :class:`Session` per browser session in
component state; nothing about a model lives at module level.

A session's model is built from a *market* (the app's default market or a shipped scenario's
``[market]`` block) and the *controls* (sliders): a control overrides the market only if it
differs from the value the market itself gives, so loading a scenario and pressing **Reset**
rebuilds that scenario exactly. Every read or write of the model happens under the session's
lock, so the play loop can never step the model while a view is drawing it.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from abm.market import (
    ClosedFirm,
    ClosedFirmConfig,
    Distribution,
    Generalist,
    GeneralistConfig,
    MarketConfig,
    MarketModel,
    Regulator,
    RegulatorConfig,
    Specialist,
    SpecialistConfig,
)
from abm.market.checks import COUNTERFACTUAL, EXPERIENCED_LEADERS, FAST_FOLLOWER
from abm.scenarios import load_scenario, set_path, shipped_scenarios

#: What the model makers learn from, and the benchmark it should approach (docs/model.md).
INFORMATION = {
    "experienced": (EXPERIENCED_LEADERS["q_learning"], "subgame-perfect"),
    "counterfactual": (COUNTERFACTUAL, "myopic Nash"),
}
#: The information choice that keeps a scenario's own learning rule.
AS_IN_SCENARIO = "as in the scenario"
#: Name of the app's own market in the scenario picker.
APP_DEFAULT = "app default"
#: Largest penalty on the slider (the shipped scenarios go up to p = 1).
PENALTY_MAX = 1.0
#: Longest wait (seconds) of the play loop for the page to draw a frame.
FRAME_TIMEOUT = 5.0
#: Periods the app's own market runs before the play loop stops by itself.
DEFAULT_HORIZON = 1000

#: Slider ranges: control → (low, high, step).
RANGES: dict[str, tuple[float, float, float]] = {
    "generalists": (1, 100, 1),
    "specialists": (0, 300, 1),
    "closed_firms": (0, 20, 1),
    "alpha0_low": (0.05, 3.0, 0.05),
    "alpha0_high": (0.05, 3.0, 0.05),
    "reputation": (0.0, 0.5, 0.01),
    "theta": (0.0, 1.0, 0.01),
    "penalty": (0.0, PENALTY_MAX, 0.01),
}


@dataclasses.dataclass(frozen=True)
class Controls:
    """The app's controls: the market's main parameters and the seed.

    Attributes:
        generalists: Model makers (base models).
        specialists: Fine-tuners.
        closed_firms: Closed labs.
        alpha0_low: Lowest base-model performance α0 (uniform between the two bounds).
        alpha0_high: Highest α0.
        reputation: Reputation gain ε of openness.
        theta: Openness threshold θ.
        penalty: Penalty p below the threshold.
        information: What model makers learn from (a key of :data:`INFORMATION` or
            :data:`AS_IN_SCENARIO`).
        seed: The model's seed, as typed (digits only; see :func:`parse_seed`).
    """

    generalists: int = 30
    specialists: int = 30
    closed_firms: int = 3
    alpha0_low: float = 0.2
    alpha0_high: float = 2.0
    reputation: float = 0.05
    theta: float = 0.5
    penalty: float = 0.05
    information: str = "experienced"
    seed: str = "1"


def parse_seed(text: str) -> int | None:
    """The seed typed in the text box, or None if it is not a non-negative integer."""
    text = str(text).strip()
    return int(text) if text.isdigit() else None


def default_market() -> dict[str, Any]:
    """The app's own market as plain data (``MarketConfig.from_dict`` takes it back).

    Captive demand and fixed pairs (specialist j fine-tunes generalist j mod G), so with as many
    specialists as generalists every pair is Model I. Model makers learn their openness from
    experience (Q-learning, holding each release about 20 periods: they should approach the
    subgame-perfect release); fine-tuners best-respond every period. δ is fixed at 0.5.
    """
    defaults = Controls()
    config = MarketConfig(
        generalists=GeneralistConfig(
            count=defaults.generalists,
            alpha0=Distribution("uniform", low=defaults.alpha0_low, high=defaults.alpha0_high),
            reputation=Distribution("constant", value=defaults.reputation),
            learning=INFORMATION["experienced"][0],
        ),
        specialists=SpecialistConfig(
            count=defaults.specialists,
            matching="pairs",
            effort_levels=601,
            effort_max=0.6,
            effort_learning=FAST_FOLLOWER,
        ),
        closed_firms=ClosedFirmConfig(count=defaults.closed_firms, initial_compute=8.0, levels=3),
        regulator=RegulatorConfig(theta=defaults.theta, penalty=defaults.penalty),
    )
    return config.to_dict()


@dataclasses.dataclass(frozen=True)
class Choice:
    """A market to start from: the app's own or a shipped scenario.

    Attributes:
        name: The name in the picker.
        market: The market block (plain data).
        seed: The scenario's master seed.
        horizon: Periods the scenario runs.
        description: The question the scenario asks.
    """

    name: str
    market: dict[str, Any]
    seed: int
    horizon: int
    description: str


def choices() -> dict[str, Path | None]:
    """The picker's entries: the app's default market, then each shipped scenario file."""
    return {APP_DEFAULT: None, **{path.stem: path for path in shipped_scenarios()}}


def load_choice(name: str) -> Choice:
    """The market, seed and horizon of a picker entry (raises ParameterError if unknown)."""
    from abm.errors import ParameterError

    files = choices()
    if name not in files:
        raise ParameterError(f"scenario must be one of {', '.join(files)}, got {name!r}")
    path = files[name]
    if path is None:
        text = "The app's teaching market: Model I pairs, captive demand, θ = 0.5, p = 0.05."
        return Choice(APP_DEFAULT, default_market(), 1, DEFAULT_HORIZON, text)
    scenario = load_scenario(path)
    return Choice(
        name, scenario.market_data(), scenario.seed, scenario.horizon.steps, scenario.description
    )


def _clip(name: str, value: float) -> float:
    low, high, step = RANGES[name]
    clipped = min(max(float(value), low), high)
    return round(round(clipped / step) * step, 6)


def _distribution_range(spec: dict[str, Any]) -> tuple[float, float]:
    """The (low, high) a slider pair shows for a resolved distribution."""
    if spec["kind"] == "constant":
        return spec["value"], spec["value"]
    if spec["kind"] == "list":
        return min(spec["values"]), max(spec["values"])
    low, high = spec["low"], spec["high"]
    if not (math.isfinite(low) and math.isfinite(high)):
        centre = math.exp(spec["mean"]) if spec["kind"] == "lognormal" else spec["mean"]
        low = low if math.isfinite(low) else centre - spec.get("sd", 0.0)
        high = high if math.isfinite(high) else centre + spec.get("sd", 0.0)
    return low, high


def controls_of(market: dict[str, Any], seed: int) -> Controls:
    """The controls that show ``market`` (values clipped to the sliders' ranges)."""
    resolved = MarketConfig.from_dict(copy.deepcopy(market)).to_dict()
    g, regulator = resolved["generalists"], resolved["regulator"]
    low, high = _distribution_range(g["alpha0"])
    reputation = g["reputation"]
    epsilon = (
        reputation["value"]
        if reputation["kind"] == "constant"
        else sum(_distribution_range(reputation)) / 2
    )
    return Controls(
        generalists=int(_clip("generalists", g["count"])),
        specialists=int(_clip("specialists", resolved["specialists"]["count"])),
        closed_firms=int(_clip("closed_firms", resolved["closed_firms"]["count"])),
        alpha0_low=_clip("alpha0_low", low),
        alpha0_high=_clip("alpha0_high", high),
        reputation=_clip("reputation", epsilon),
        theta=_clip("theta", regulator["theta"]),
        penalty=_clip("penalty", regulator["penalty"]),
        information=AS_IN_SCENARIO,
        seed=str(seed),
    )


def market_with(market: dict[str, Any], controls: Controls, shown: Controls) -> dict[str, Any]:
    """``market`` with every control that differs from ``shown`` (the market's own) applied."""
    data = copy.deepcopy(market)
    changed = {
        field.name
        for field in dataclasses.fields(Controls)
        if getattr(controls, field.name) != getattr(shown, field.name)
    }
    for name, path in (
        ("generalists", "generalists.count"),
        ("specialists", "specialists.count"),
        ("closed_firms", "closed_firms.count"),
        ("theta", "regulator.theta"),
        ("penalty", "regulator.penalty"),
    ):
        if name in changed:
            set_path(data, path, getattr(controls, name))
    if changed & {"alpha0_low", "alpha0_high"}:
        low, high = sorted((controls.alpha0_low, controls.alpha0_high))
        alpha0 = (
            {"kind": "constant", "value": low}
            if high - low < 1e-9
            else {"kind": "uniform", "low": low, "high": high}
        )
        set_path(data, "generalists.alpha0", alpha0)
    if "reputation" in changed:
        set_path(data, "generalists.reputation", {"kind": "constant", "value": controls.reputation})
    if controls.information in INFORMATION and "information" in changed:
        set_path(data, "generalists.learning", INFORMATION[controls.information][0].model_dump())
    return data


def build_model(
    market: dict[str, Any] | None = None,
    controls: Controls | None = None,
    shown: Controls | None = None,
) -> MarketModel:
    """A model of ``market`` (default: the app's) with the changed controls applied.

    ``shown`` is what the controls showed when the market was loaded (default: the controls of
    ``market`` itself; for the app's own market, :class:`Controls`'s defaults). The model carries
    ``benchmark`` (the release learning should approach) and ``controls`` (what the page lists).
    """
    market = default_market() if market is None else market
    if shown is None:
        shown = Controls() if market == default_market() else controls_of(market, 0)
    controls = shown if controls is None else controls
    seed = parse_seed(controls.seed)
    if seed is None:
        from abm.errors import ParameterError

        raise ParameterError(f"seed must be a non-negative integer, got {controls.seed!r}")
    data = market_with(market, controls, dataclasses.replace(shown, seed=controls.seed))
    config = MarketConfig.from_dict(data)
    model = MarketModel(config, rng=seed)
    information = config.generalists.learning.information
    model.benchmark = "myopic Nash" if information == "counterfactual" else "subgame-perfect"
    g = config.generalists
    alpha0 = g.alpha0
    alpha0_text = (
        f"{alpha0.value:.2f}"
        if alpha0.kind == "constant"
        else f"[{alpha0.low:.2f}, {alpha0.high:.2f}]"
        if alpha0.kind == "uniform"
        else alpha0.kind
    )
    model.controls = {
        "generalists": g.count,
        "specialists": config.specialists.count,
        "closed firms": config.closed_firms.count,
        "α0": alpha0_text,
        "reputation ε": f"{float(model.generalists.reputation.mean()):.2f}",
        "threshold θ": f"{config.regulator.theta:.2f}",
        "penalty p": f"{config.regulator.penalty:.2f}",
        "learning": f"{g.learning.rule}, {information} ({model.benchmark})",
        "seed": seed,
    }
    return model


#: The Mesa agent types the inspector lists, by name.
AGENT_TYPES: dict[str, type] = {
    "generalists": Generalist,
    "specialists": Specialist,
    "closed firms": ClosedFirm,
    "regulator": Regulator,
}


def agent_table(model: MarketModel, kind: str) -> pd.DataFrame:
    """One row per Mesa agent of ``kind`` (a key of :data:`AGENT_TYPES`), one column per field.

    The agents come from ``model.agents_by_type``; their fields are the population's ``FIELDS``
    (the regulator: θ and p in force).
    """
    agent_type = AGENT_TYPES[kind]
    agents = list(model.agents_by_type.get(agent_type, []))
    if not agents:
        return pd.DataFrame({"unique_id": pd.Series(dtype=int)})
    population = agents[0].population
    fields = list(getattr(population, "FIELDS", {})) or ["theta", "penalty"]
    rows = [
        {"unique_id": agent.unique_id, **{name: getattr(agent, name) for name in fields}}
        for agent in agents
    ]
    return pd.DataFrame(rows)


def field_meanings(kind: str) -> dict[str, str]:
    """What each field of an agent of ``kind`` means (its property's docstring)."""
    agent_type = AGENT_TYPES[kind]
    return {
        name: (getattr(agent_type, name).__doc__ or "").strip()
        for name in dir(agent_type)
        if isinstance(getattr(agent_type, name, None), property)
    }


class Session:
    """One browser session's model, play loop and lock.

    Args:
        choice: The market to start from (default: the app's own).
        controls: The controls to apply (default: the market's own).

    Attributes:
        lock: Held for every step and every read of the model.
        choice: The market the controls apply to.
        shown: The controls of ``choice`` itself (a control differing from it overrides).
        model: The current model (replace it only through :meth:`reset`).
        version: Bumped after every change (a step, a reset, play or pause); the page redraws
            when it changes.
    """

    def __init__(self, choice: Choice | None = None, controls: Controls | None = None) -> None:
        self.lock = threading.RLock()
        self.choice = choice if choice is not None else load_choice(APP_DEFAULT)
        self.shown = self._shown(self.choice)
        self.model = build_model(self.choice.market, controls or self.shown, self.shown)
        self.version = 0
        self.closed = False
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._frame = threading.Event()

    @staticmethod
    def _shown(choice: Choice) -> Controls:
        if choice.name == APP_DEFAULT:
            return dataclasses.replace(Controls(), seed=str(choice.seed))
        return controls_of(choice.market, choice.seed)

    @property
    def playing(self) -> bool:
        """Whether the play loop is running."""
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    @property
    def steps(self) -> int:
        """The current period."""
        return int(self.model.steps)

    def _bump(self) -> int:
        self.version += 1
        return self.version

    def load(self, choice: Choice) -> Controls:
        """Pause, switch to ``choice`` and build its model; returns the controls that show it."""
        self.pause()
        with self.lock:
            self.choice = choice
            self.shown = self._shown(choice)
            self.model = build_model(choice.market, self.shown, self.shown)
            self._bump()
        return self.shown

    def reset(self, controls: Controls) -> None:
        """Pause, then build a new model of the current market with ``controls``."""
        self.pause()
        with self.lock:
            self.model = build_model(self.choice.market, controls, self.shown)
            self._bump()

    def step(self, periods: int = 1) -> int:
        """Run ``periods`` periods (under the lock); returns the new period."""
        with self.lock:
            if not self.closed:
                self.model.run(int(periods))
                self._bump()
            return self.steps

    def play(
        self,
        on_frame: Callable[[], None],
        interval: float = 0.15,
        periods: int = 1,
    ) -> None:
        """Run ``periods`` periods every ``interval`` seconds in a thread, calling ``on_frame``.

        ``on_frame`` is called after each batch with the lock released (it asks the page to
        redraw); the next batch waits until the page reports the frame drawn (:meth:`drawn`,
        at most :data:`FRAME_TIMEOUT` seconds), so a slow browser gets fewer frames rather than
        a backlog. The loop stops at the market's horizon, on :meth:`pause`, :meth:`reset`,
        :meth:`load` or :meth:`close`, or when ``on_frame`` raises (the page has gone).
        """
        self.pause()
        if self.closed:
            return
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                with self.lock:
                    if stop.is_set() or self.closed:
                        break
                    left = self.choice.horizon - self.steps
                    self.model.run(max(0, min(int(periods), left)))
                    if self.steps >= self.choice.horizon:
                        stop.set()
                    self._bump()
                self._frame.clear()
                try:
                    on_frame()
                except Exception:  # the page was closed under us: stop quietly
                    stop.set()
                self._frame.wait(FRAME_TIMEOUT)

        self._stop = stop
        self._thread = threading.Thread(target=loop, name="abm-app-play", daemon=True)
        self._thread.start()
        self._bump()

    def drawn(self, version: int) -> None:
        """The page has drawn ``version``: the play loop may run its next batch."""
        if version >= self.version:
            self._frame.set()

    def pause(self) -> None:
        """Stop the play loop (it finishes the batch it is running, then exits)."""
        if self._stop is not None and not self._stop.is_set():
            self._stop.set()
            self._bump()

    def close(self) -> None:
        """Stop for good: the browser session has ended."""
        self.closed = True
        self.pause()

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for the play loop's thread to end; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    def series_csv(self) -> bytes:
        """The model's series (one row per period, every observable) as CSV."""
        with self.lock:
            frame = self.model.timeseries()
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue().encode()

    def agents(self, kind: str) -> pd.DataFrame:
        """The inspector's table for agents of ``kind`` (see :func:`agent_table`)."""
        with self.lock:
            return agent_table(self.model, kind)
