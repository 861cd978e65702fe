"""Start the app's Solara server on loopback and print its address."""

from __future__ import annotations

import os
import sys

HOST = "127.0.0.1"


def command(port: int, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command serving :mod:`abm.app.page` on ``HOST:port``."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "abm.app.page",
        "--host",
        HOST,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def serve(port: int, open_browser: bool = True) -> int:
    """Print the address, then become the Solara server (runs until Ctrl+C or SIGTERM).

    The process is replaced (``exec``) rather than given a child, so stopping ``abm app`` with
    any signal stops the server too and leaves no orphan behind.
    """
    print(f"Openness market app: http://{HOST}:{port}/  (press Ctrl+C to stop)", flush=True)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    arguments = command(port, open_browser)
    os.execv(arguments[0], arguments)
    return 0  # not reached
