"""``abm app``: the interactive teaching app (Solara, one model per browser session)."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from abm.options import integer

HELP = "start the interactive app (Solara) on 127.0.0.1 and print its address"
DESCRIPTION = (
    "Serves the openness-market app on 127.0.0.1:PORT and prints the address. Every browser "
    "session has its own model. Load a shipped scenario or set the populations, α0 range, "
    "reputation, threshold θ, penalty p, learning and seed; press Reset to apply them, Step or "
    "Play to run. Tabs: market, theory, agents (inspector), data (CSV download). Needs the extra "
    '`pip install -e ".[app]"`. Stop with Ctrl+C.'
)

#: Modules the app needs beyond the core install.
REQUIRED = ("solara", "matplotlib", "ipyvuetify")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm app``."""
    parser.add_argument(
        "--port", type=integer(1, 65535), default=8765, metavar="N", help="port on 127.0.0.1"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open a web browser on the page"
    )


def run(args: argparse.Namespace) -> int:
    """Start the server (blocks until Ctrl+C)."""
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"{args._prog}: error: the app needs {', '.join(missing)}; "
            'install the extra with `pip install -e ".[app]"`',
            file=sys.stderr,
        )
        return 2
    from abm.app.launch import serve

    return serve(args.port, open_browser=not args.no_browser)
