"""The app's page (Solara): one market model per browser session.

Run with ``abm app`` (or ``solara run abm.app.page``). Every browser session renders its own
:func:`Page`, which keeps its own :class:`~abm.app.session.Session` in component state (nothing
about a model lives at module level), so two tabs never share a model, and a session that ends
stops its model. Moving a control changes the parameters of the next model; **Reset** builds it
(also while playing), **Step** and **Play** run it, and the scenario picker loads a shipped
scenario with its own seed and horizon. Four named tabs: the market, the theory, an agent
inspector (Mesa agents by type) and the data (with a CSV download of the series).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import solara
import solara.lab

from abm.app.session import (
    AGENT_TYPES,
    APP_DEFAULT,
    AS_IN_SCENARIO,
    INFORMATION,
    RANGES,
    Controls,
    Session,
    choices,
    field_meanings,
    load_choice,
    parse_seed,
)
from abm.app.views import (
    analysis_view,
    network_view,
    openness_view,
    performance_view,
    regime_view,
    settings_view,
)
from abm.errors import ParameterError

#: The tabs, in order: name → views drawn on it (the agents and data tabs have their own).
TABS: dict[str, tuple[Callable[[Any], Any], ...]] = {
    "Market": (openness_view, regime_view, performance_view, network_view),
    "Theory": (analysis_view,),
    "Agents": (),
    "Data": (settings_view,),
}
#: Periods run per frame while playing (more periods per frame: fewer redraws).
SPEEDS = ("1", "5", "20", "100")
#: Seconds between frames while playing.
PLAY_INTERVAL = 0.15

#: Each slider: control → label.
SLIDERS = {
    "generalists": "Generalists (base models)",
    "specialists": "Specialists (fine-tuners)",
    "closed_firms": "Closed firms",
    "alpha0_low": "α0 lowest",
    "alpha0_high": "α0 highest",
    "reputation": "Reputation ε",
    "theta": "Threshold θ",
    "penalty": "Penalty p",
}


def watched() -> bool:
    """Whether a browser still shows this session (True outside a Solara server).

    A tab that closes ends its session at once (Solara closes the kernel, and the page's
    cleanup stops the model); one that only disconnects keeps its kernel until the cull
    timeout, so the play loop asks this before every frame and pauses when no page is
    connected.
    """
    try:
        from solara.server import kernel_context

        if not kernel_context.has_current_context():
            return True
        pages = kernel_context.get_current_context().page_status
    except Exception:  # not served by solara (a test renders the page in process)
        return True
    return not pages or kernel_context.PageStatus.CONNECTED in pages.values()


def _slider(controls: solara.Reactive[Controls], name: str) -> Any:
    """A slider whose label shows its value, bound to one field of ``controls``."""
    value = getattr(controls.value, name)
    low, high, step = RANGES[name]

    def update(new: float) -> None:
        controls.set(dataclasses.replace(controls.value, **{name: new}))

    if isinstance(value, int):
        return solara.SliderInt(
            f"{SLIDERS[name]}: {value}",
            value=value,
            min=int(low),
            max=int(high),
            step=int(step),
            on_value=update,
            thumb_label=True,
        )
    return solara.SliderFloat(
        f"{SLIDERS[name]}: {value:.2f}",
        value=value,
        min=low,
        max=high,
        step=step,
        on_value=update,
        thumb_label=True,
    )


@solara.component
def AgentInspector(session: Session, version: int) -> None:  # noqa: N802 (a component)
    """The Mesa agents of one type (``model.agents_by_type``) at ``version``: one, then all."""
    kind = solara.use_reactive("generalists")
    chosen = solara.use_reactive("")
    table = session.agents(kind.value)
    ids = [str(uid) for uid in table["unique_id"]]
    current = chosen.value if chosen.value in ids else (ids[0] if ids else "")
    with solara.Row():
        solara.Select("Agent type", values=list(AGENT_TYPES), value=kind)
        if ids:
            solara.Select("Agent (unique_id)", values=ids, value=current, on_value=chosen.set)
    if not ids:
        solara.Info(f"This market has no {kind.value}.")
        return
    row = table[table["unique_id"].astype(str) == current].iloc[0]
    meanings = field_meanings(kind.value)
    lines = "\n".join(
        f"| {name} | **{_plain(row[name])}** | {meanings.get(name, '')} |"
        for name in table.columns
        if name != "unique_id"
    )
    solara.Markdown(
        f"#### Agent {current} ({kind.value[:-1] if kind.value.endswith('s') else kind.value})\n\n"
        f"| field | value | meaning |\n|---|---|---|\n{lines}"
    )
    solara.Markdown(f"All {len(table)} {kind.value} at period {session.steps}:")
    solara.DataFrame(table, items_per_page=10)


def _plain(value: Any) -> str:
    """A field value as the inspector shows it: floats to 3 decimals, integers plain."""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


@solara.component
def ControlPanel(  # noqa: N802 (a component)
    session: Session,
    controls: solara.Reactive[Controls],
    scenario: solara.Reactive[str],
    speed: solara.Reactive[str],
    redraw: Callable[[], None],
    version: int,
) -> None:
    """The sidebar: scenario picker, buttons, sliders and the seed (redrawn at each ``version``)."""
    message = solara.use_reactive("")

    def load(name: str) -> None:
        try:
            shown = session.load(load_choice(name))
        except ParameterError as error:
            message.set(str(error))
            return
        scenario.set(name)
        controls.set(shown)
        message.set("")
        redraw()

    def reset() -> None:
        try:
            session.reset(controls.value)
        except ParameterError as error:
            message.set(str(error))
            return
        message.set("")
        redraw()

    def step() -> None:
        session.step(1)
        redraw()

    def play_or_pause() -> None:
        if session.playing:
            session.pause()
        else:
            session.play(redraw, interval=PLAY_INTERVAL, periods=int(speed.value))
        redraw()

    solara.Select("Load scenario", values=list(choices()), value=scenario.value, on_value=load)
    with solara.Row():
        solara.Button("Reset", on_click=reset, color="primary")
        solara.Button("Step", on_click=step, disabled=session.playing)
        solara.Button("Pause" if session.playing else "Play", on_click=play_or_pause)
    solara.Select("Periods per frame", values=list(SPEEDS), value=speed)
    if message.value:
        solara.Error(message.value)
    for name in SLIDERS:
        _slider(controls, name)
    information = list(INFORMATION)
    if scenario.value != APP_DEFAULT:
        information = [AS_IN_SCENARIO, *information]
    solara.Select(
        "Model makers learn from",
        values=information,
        value=controls.value.information,
        on_value=lambda value: controls.set(dataclasses.replace(controls.value, information=value)),
    )
    seed = controls.value.seed
    solara.InputText(
        "Seed",
        value=seed,
        on_value=lambda value: controls.set(dataclasses.replace(controls.value, seed=value)),
        continuous_update=True,
        error=False if parse_seed(seed) is not None else "a non-negative integer",
    )
    solara.Markdown("Controls apply when you press **Reset**.")


@solara.component
def Page() -> None:  # noqa: N802 (Solara serves the component named Page)
    """The whole app for one browser session."""
    session = solara.use_memo(Session, [])
    solara.use_effect(lambda: session.close, [])  # the session ends: stop its model
    version = solara.use_reactive(0)
    controls = solara.use_reactive(session.shown)
    scenario = solara.use_reactive(APP_DEFAULT)
    speed = solara.use_reactive(SPEEDS[0])
    tab = solara.use_reactive(0)

    def redraw() -> None:
        if session.playing and not watched():
            session.pause()  # nobody is looking: stop stepping
            return
        version.set(session.version)

    # Runs once the frame is drawn (children included): the play loop may step again.
    solara.use_effect(lambda: session.drawn(version.value), [version.value])

    solara.Title("Openness market")
    with solara.Sidebar():
        ControlPanel(session, controls, scenario, speed, redraw, version.value)
    choice = session.choice
    with session.lock:  # draw a whole period: the play loop waits
        state = "playing" if session.playing else "paused"
        solara.Markdown(
            f"### {choice.name}\n\n{choice.description}\n\n"
            f"**Period: {session.steps}** of {choice.horizon} ({state})"
        )
        with solara.lab.Tabs(value=tab.value, on_value=tab.set):
            for index, (name, views) in enumerate(TABS.items()):
                with solara.lab.Tab(name):
                    if index != tab.value:
                        continue
                    if name == "Agents":
                        AgentInspector(session, version.value)
                    with solara.ColumnsResponsive(12, large=6):
                        for view in views:
                            view(session.model)
                    if name == "Data":
                        label = f"Download the series (CSV, {session.steps + 1} rows)"
                        seed = session.model.controls["seed"]
                        solara.FileDownload(
                            session.series_csv,
                            filename=f"{choice.name.replace(' ', '_')}-seed{seed}-series.csv",
                            label=label,
                            mime_type="text/csv",
                        )
                        solara.DataFrame(session.model.timeseries().tail(20), items_per_page=20)
