"""The app in a real browser: serve ``abm app`` on loopback and drive it with headless Chromium.

Chromium comes from Debian's packages (``chromium``, installed by ``.ci/run``); Playwright only
drives it through ``executable_path`` and never downloads a browser. If the browser, Playwright
or the app cannot start, the test fails with the reason: it is never skipped. Two browser
contexts are two browser sessions of the app, driven at once.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ABM_CHROMIUM", "/usr/bin/chromium")
# As root, Chromium needs --no-sandbox; the others keep it off this machine's closed network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 90.0
UI_TIMEOUT = 60_000  # ms


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"abm app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"abm app gave no HTTP 200 within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def app_url(tmp_path: Path):
    """Start ``abm app --port <free>`` in its own process group; stop it afterwards."""
    port = _free_port()
    log = tmp_path / "app.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "abm", "app", "--port", str(port), "--no-browser"],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_http(url, process, log)
        assert f"127.0.0.1:{port}" in log.read_text(), "the address was not printed"
        _SERVERS[url] = process.pid  # the server itself (abm app execs solara)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


#: The server's process id, by address (for the CPU check).
_SERVERS: dict[str, int] = {}


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _period(page, n: int) -> None:
    page.get_by_text(re.compile(rf"Period: {n} of")).wait_for()


def _open(context, url: str):
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT)
    page.goto(url)
    _period(page, 0)
    return page


def _select(page, label: str, option: str) -> None:
    """Choose ``option`` in the Vuetify select labelled ``label``."""
    page.locator(".v-select", has_text=label).locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()


def _browser(playwright, tmp_path: Path):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)


@pytest.mark.slow
def test_app_in_chromium(app_url: str, tmp_path: Path) -> None:
    """Two sessions at once are independent; Reset works while playing; tabs, picker, data."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install --no-install-recommends chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as error:
        pytest.fail(f"playwright (Python package) is not installed: {error}")

    with sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path)
        viewport = {"width": 1366, "height": 900}
        try:
            # Two browser sessions (separate contexts: separate cookies, separate kernels).
            one = _open(browser.new_context(viewport=viewport, accept_downloads=True), app_url)
            two = _open(browser.new_context(viewport=viewport), app_url)
            tabs = one.get_by_role("tab").all_inner_texts()
            assert [tab.lower() for tab in tabs] == ["market", "theory", "agents", "data"]
            assert "page 0" not in one.content().lower()
            assert len(one.locator("img").all()) >= 4, "the market plots did not render"

            for clicks in range(1, 4):
                one.get_by_role("button", name="Step").click()
                _period(one, clicks)
            two.get_by_role("button", name="Step").click()
            _period(two, 1)
            _period(one, 3)  # one's model did not move when two stepped, nor two's with one
            two.reload()  # a new session starts on a new model, not on the old one
            _period(two, 0)

            # Slider values are visible; move the penalty with the keyboard (step 0.01).
            slider = one.locator(".v-input", has_text="Penalty p").locator("[role=slider]")
            slider.focus()
            for _ in range(25):
                slider.press("ArrowRight", delay=20)
            one.get_by_text("Penalty p: 0.30").wait_for()
            one.wait_for_timeout(1000)  # the last key's value reaches the server

            # Reset while playing: the loop stops and the new model starts at period 0.
            one.get_by_role("button", name="Play").click()
            one.get_by_text(re.compile(r"Period: [1-9]\d* of 1000 \(playing\)")).wait_for()
            one.get_by_role("button", name="Reset").click()
            one.get_by_text("Period: 0 of 1000 (paused)").wait_for()
            one.wait_for_timeout(1500)
            _period(one, 0)  # still 0: no stale loop steps the new model
            one.get_by_role("tab", name="Theory").click()
            marker = one.locator("p", has_text="Marker").first
            expect(marker).to_contain_text("θ = 0.50, p = 0.30", timeout=UI_TIMEOUT)
            assert "benchmark comply" in marker.inner_text()  # p = 0.3 is above p̄(0.5)
            _period(two, 0)  # the other session saw none of it

            # The scenario picker loads a shipped scenario with its controls.
            _select(one, "Load scenario", "penalty_too_high")
            one.get_by_text("Period: 0 of 3000").wait_for()
            one.get_by_text("Penalty p: 1.00").wait_for()
            one.get_by_role("button", name="Step").click()
            _period(one, 1)

            # The agent inspector lists the Mesa agents by type.
            one.get_by_role("tab", name="Agents").click()
            one.get_by_text("All 10 generalists at period 1").wait_for()
            one.get_by_text("base-model performance").first.wait_for()

            # The series downloads as CSV.
            one.get_by_role("tab", name="Data").click()
            with one.expect_download() as download:
                one.get_by_text("Download the series").click()
            csv = Path(download.value.path()).read_text().splitlines()
            assert csv[0].startswith("step,") and len(csv) == 3

            # A session that ends stops its model: the server goes idle once the tab is gone.
            pid = _SERVERS[app_url]
            two.get_by_role("button", name="Play").click()
            two.get_by_text(re.compile(r"Period: [2-9]\d* of 1000 \(playing\)")).wait_for()
            two.close()  # the tab goes (no beforeunload: its connection just drops)
            one.wait_for_timeout(2000)
            before = _cpu_seconds(pid)
            one.wait_for_timeout(4000)
            idle = _cpu_seconds(pid) - before
            assert idle < 0.5, f"the server used {idle:.2f} s of CPU in 4 s after the tab closed"

            shot = tmp_path / "app.png"
            one.get_by_role("tab", name="Market").click()
            one.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("ABM_APP_SCREENSHOT"):
                shutil.copyfile(shot, os.environ["ABM_APP_SCREENSHOT"])
        finally:
            browser.close()


def test_missing_extra_is_one_line_and_exit_2(monkeypatch, capsys) -> None:
    import importlib.util

    from abm.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a)
    )
    assert main(["app", "--no-browser"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert 'pip install -e ".[app]"' in error and "solara" in error


def test_views_and_marker_in_process() -> None:
    """Every view builds for a non-default rule, and the marker's equilibrium is Model I's."""
    pytest.importorskip("solara")
    import io

    import numpy as np

    from abm.app import views
    from abm.app.session import Controls, build_model
    from abm.theory.openness_game import OpennessGame, myopic_benchmark, stage_two

    strict = build_model(controls=Controls(theta=0.5, penalty=0.3))
    lenient = build_model(controls=Controls(theta=0.5, penalty=0.05))
    for model, penalty in ((strict, 0.3), (lenient, 0.05)):
        theory = stage_two(
            OpennessGame(alpha0=model.generalists.alpha0.mean(), theta=0.5, penalty=penalty), 0.5
        )
        assert views.predicted(model)["openness"] == pytest.approx(float(theory.openness))
    assert views.predicted(strict)["regime"] == "comply"
    assert views.predicted(strict)["openness"] == pytest.approx(0.5)
    assert views.predicted(lenient)["regime"] == "pay"

    myopic = build_model(
        controls=Controls(generalists=5, specialists=5, information="counterfactual")
    )
    myopic.run(3)
    nash = myopic_benchmark(
        OpennessGame(alpha0=myopic.generalists.alpha0.mean(), theta=0.5, penalty=0.05), 0.5
    )
    assert views.predicted(myopic)["openness"] == pytest.approx(float(nash.openness))
    for view in (
        views.openness_view,
        views.regime_view,
        views.performance_view,
        views.network_view,
        views.analysis_view,
    ):
        element = view(myopic)
        figure = element.args[0] if element.args else element.kwargs["children"][0].args[0]
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        assert buffer.tell() > 5_000
    assert np.isfinite(views.predicted(myopic)["mean_openness"])
