"""The app in a real browser: serve ``abm app`` on loopback and drive it with headless Chromium.

Chromium comes from Debian's packages (``chromium``, installed by ``.ci/run``); Playwright only
drives it through ``executable_path`` and never downloads a browser. If the browser, Playwright
or the app cannot start, the test fails with the reason: it is never skipped.
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
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _images(page) -> list[str]:
    return page.locator("img").evaluate_all("els => els.map(e => e.src)")


@pytest.mark.slow
def test_app_in_chromium(app_url: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as error:
        pytest.fail(f"playwright (Python package) is not installed: {error}")

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh, empty --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1366, "height": 900},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT)
            page.goto(app_url)
            marker = page.locator("p", has_text="Marker").first
            marker.wait_for()
            page.get_by_text("Step: 0").wait_for()
            expect(marker).to_contain_text("θ = 0.50, p = 0.05", timeout=UI_TIMEOUT)
            analysis = page.locator(".vue-grid-item", has_text="Marker").locator("img").first
            map_before = analysis.get_attribute("src")
            assert len(_images(page)) >= 5, "the five plots did not render"

            # Move the penalty slider with the keyboard (step 0.01) and apply it with Reset.
            slider = page.locator(".v-input", has_text="Penalty p").locator("[role=slider]")
            slider.focus()
            for _ in range(25):
                slider.press("ArrowRight", delay=20)
            page.wait_for_function(
                "el => el.getAttribute('aria-valuenow') === '0.3'", arg=slider.element_handle()
            )
            # The slider syncs its value to the server after the key events; give it a moment
            # (a Reset sent first would rebuild the model with an intermediate penalty).
            page.wait_for_timeout(1500)
            page.get_by_role("button", name="Reset").click()
            expect(marker).to_contain_text("θ = 0.50, p = 0.30", timeout=UI_TIMEOUT)
            page.wait_for_function(
                "([el, old]) => el.src !== old", arg=[analysis.element_handle(), map_before]
            )
            assert "benchmark comply" in marker.inner_text()  # p = 0.3 is above p̄(0.5)

            plots_before = _images(page)
            for clicks in range(1, 4):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Step: {clicks}").wait_for()
            expect(marker).to_contain_text("(period 3)", timeout=UI_TIMEOUT)
            page.wait_for_timeout(500)
            plots_after = _images(page)
            assert len(plots_after) == len(plots_before)
            changed = sum(a != b for a, b in zip(plots_before, plots_after, strict=True))
            assert changed >= 3, f"only {changed} plots changed after three steps"
            assert re.search(r"simulated mean ω = \d", marker.inner_text())

            shot = tmp_path / "app.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("ABM_APP_SCREENSHOT"):
                shutil.copyfile(shot, os.environ["ABM_APP_SCREENSHOT"])
        finally:
            context.close()


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

    from abm.app import page as app
    from abm.theory.openness_game import OpennessGame, myopic_benchmark, stage_two

    strict = app.AppMarket(theta=0.5, penalty=0.3)
    lenient = app.AppMarket(theta=0.5, penalty=0.05)
    for model, penalty in ((strict, 0.3), (lenient, 0.05)):
        theory = stage_two(
            OpennessGame(alpha0=model.generalists.alpha0.mean(), theta=0.5, penalty=penalty), 0.5
        )
        assert app.predicted(model)["openness"] == pytest.approx(float(theory.openness))
    assert app.predicted(strict)["regime"] == "comply"
    assert app.predicted(strict)["openness"] == pytest.approx(0.5)
    assert app.predicted(lenient)["regime"] == "pay"

    myopic = app.AppMarket(generalists=5, specialists=5, information="counterfactual")
    myopic.run(3)
    nash = myopic_benchmark(
        OpennessGame(alpha0=myopic.generalists.alpha0.mean(), theta=0.5, penalty=0.05), 0.5
    )
    assert app.predicted(myopic)["openness"] == pytest.approx(float(nash.openness))
    for view, _ in app.COMPONENTS:
        element = view(myopic)
        if view is app.settings_view:
            continue
        figure = element.args[0] if element.args else element.kwargs["children"][0].args[0]
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        assert buffer.tell() > 5_000
    assert np.isfinite(app.predicted(myopic)["mean_openness"])
