"""The app's sessions (abm.app.session) and page (abm.app.page), in process: no browser."""

from __future__ import annotations

import dataclasses
import time

import pytest

pytest.importorskip("solara")

from abm.app import session as sessions
from abm.app.session import APP_DEFAULT, Controls, Session, build_model, load_choice


def test_two_sessions_have_their_own_models() -> None:
    first, second = Session(), Session()
    assert first.model is not second.model
    first.step(3)
    assert (first.steps, second.steps) == (3, 0)


def test_reset_while_playing_stops_and_rebuilds() -> None:
    session = Session()
    frames: list[int] = []

    def frame() -> None:
        frames.append(session.steps)
        session.drawn(session.version)

    session.play(frame, interval=0.01, periods=2)
    deadline = time.monotonic() + 30
    while session.steps < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert session.playing and session.steps >= 4
    session.reset(dataclasses.replace(session.shown, penalty=0.3))
    assert not session.playing
    assert session.join()
    assert session.steps == 0 and session.model.policy.penalty == pytest.approx(0.3)
    time.sleep(0.1)
    assert session.steps == 0, "the old play loop stepped the new model"
    assert frames and all(step % 2 == 0 for step in frames)


def test_a_closed_session_stops_its_loop() -> None:
    session = Session()
    session.play(lambda: session.drawn(session.version), interval=0.01)
    session.close()
    assert session.join() and not session.playing
    steps = session.steps
    session.step(1)
    assert session.steps == steps


def test_play_stops_at_the_horizon() -> None:
    choice = dataclasses.replace(load_choice(APP_DEFAULT), horizon=3)
    session = Session(choice)
    session.play(lambda: session.drawn(session.version), interval=0.0, periods=2)
    assert session.join(30) and session.steps == 3


def test_each_shipped_scenario_loads_and_reset_rebuilds_it_exactly() -> None:
    for name in sessions.choices():
        session = Session()
        shown = session.load(load_choice(name))
        assert session.choice.name == name
        before = session.model.config.to_dict()
        session.reset(shown)
        assert session.model.config.to_dict() == before, name
        session.step(2)


def test_only_changed_controls_override_the_scenario() -> None:
    choice = load_choice("fragmented_market")
    shown = Session(choice).shown
    model = build_model(choice.market, dataclasses.replace(shown, theta=0.7), shown)
    config = model.config
    assert config.regulator.theta == pytest.approx(0.7)
    assert config.generalists.alpha0.kind == "lognormal"  # the file's, untouched
    model = build_model(choice.market, dataclasses.replace(shown, alpha0_low=1.0), shown)
    assert model.config.generalists.alpha0.kind == "uniform"


def test_controls_and_seed() -> None:
    model = build_model(controls=Controls(penalty=0.3, information="counterfactual", seed="7"))
    assert model.benchmark == "myopic Nash"
    assert model.controls["seed"] == 7 and model.controls["penalty p"] == "0.30"
    assert sessions.parse_seed(" 12 ") == 12 and sessions.parse_seed("-1") is None


def test_agent_inspector_reads_mesa_agents_by_type() -> None:
    session = Session()
    session.step(2)
    table = session.agents("generalists")
    assert len(table) == session.model.generalists.count
    assert {"unique_id", "alpha0", "openness", "regime"} <= set(table.columns)
    assert list(session.agents("regulator")[["theta", "penalty"]].iloc[0]) == [0.5, 0.05]
    assert sessions.field_meanings("specialists")["alpha1"]


def test_series_csv_has_one_row_per_period() -> None:
    session = Session()
    session.step(4)
    lines = session.series_csv().decode().splitlines()
    assert lines[0].startswith("step,") and len(lines) == 1 + 5


def _button(rc, label: str):
    """The button labelled ``label`` once the page shows it (a play frame may be drawing)."""
    import ipyvuetify as v

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [b for b in rc.find(v.Btn).widgets if b.children == [label]]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {label} button")


def test_page_per_session_reset_while_playing_and_close() -> None:
    """Render the page as Solara serves it; its session stops when the page is closed."""
    import ipyvuetify as v
    import solara

    from abm.app import page as app

    made: list[Session] = []

    class Recording(Session):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    app_session = app.Session
    app.Session = Recording
    try:
        _, one = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
        _, two = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    finally:
        app.Session = app_session
    assert len(made) == 2 and made[0] is not made[1]
    labels = [button.children for button in one.find(v.Btn).widgets]
    assert labels[:3] == [["Reset"], ["Step"], ["Play"]]
    tabs = [tab.children[0] for tab in one.find(v.Tab).widgets]
    assert tabs == ["Market", "Theory", "Agents", "Data"]

    _button(one, "Step").click()
    assert (made[0].steps, made[1].steps) == (1, 0)
    _button(one, "Play").click()
    deadline = time.monotonic() + 60
    while made[0].steps < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert made[0].playing and made[0].steps >= 3
    _button(one, "Pause")
    _button(one, "Reset").click()
    assert not made[0].playing and made[0].steps == 0
    _button(one, "Play").click()
    one.close()
    assert made[0].closed and made[0].join(10) and not made[0].playing
    assert not made[1].closed and made[1].steps == 0
    two.close()


def test_reset_with_a_bad_seed_is_refused_and_keeps_the_model() -> None:
    from abm.errors import ParameterError

    session = Session()
    session.step(2)
    model = session.model
    with pytest.raises(ParameterError, match="seed must be a non-negative integer"):
        session.reset(Controls(seed="x"))
    assert session.model is model and session.steps == 2
