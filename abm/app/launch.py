"""Start the app's Solara server on loopback and print its address."""

from __future__ import annotations

import os
import sys

HOST = "127.0.0.1"
#: How long a disconnected browser session keeps its model before it is ended.
CULL_TIMEOUT = "2m"


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
    # A tab that closes ends its session at once; one that only loses its connection (a laptop
    # asleep) is ended after this long, so its model never runs on unattended.
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    # On 127.0.0.1 (not "localhost") Solara warns at every page load that it sets its session
    # cookie with SameSite=Lax: right for a page that is not embedded, so say nothing.
    quiet = "ignore:Cookies with samesite=none require https"
    os.environ["PYTHONWARNINGS"] = ",".join(
        part for part in (os.environ.get("PYTHONWARNINGS"), quiet) if part
    )
    arguments = command(port, open_browser)
    os.execv(arguments[0], arguments)
    return 0  # not reached
