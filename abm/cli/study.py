"""``abm study NAME``: run one of the studies in ``analysis/`` (figures and tables)."""

from __future__ import annotations

import argparse

from analysis._common import SUMMARIES as _STUDIES  # stdlib-only module: --help stays light

HELP = "run a study from analysis/ (figures and tables reproducing the seed documents' findings)"

DESCRIPTION = (
    "Runs a study of analysis/ (the same as python -m analysis.<module>), writing figures "
    "(PNG, SVG), tables (parquet, CSV), findings.json and manifest.json into --out (default "
    "results/study-NAME). Study options follow the name: --out DIR, --seed N, --quick (small "
    "size), --quiet, --workers W; `abm study NAME --help` lists a study's own options. "
    "Studies: " + "; ".join(f"{name} ({text})" for name, text in _STUDIES.items())
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``NAME`` and pass everything after it to the study."""
    parser.add_argument("name", metavar="NAME", help="study: " + ", ".join(_STUDIES) + " (or 1–7)")
    parser.add_argument(
        "options", nargs=argparse.REMAINDER, metavar="...", help="the study's own options"
    )


def run(args: argparse.Namespace) -> int:
    """Import the study's module and call its ``main`` with the remaining options."""
    import importlib

    from analysis._common import STUDIES, resolve

    module = importlib.import_module(STUDIES[resolve(args.name)])
    return int(module.main(list(args.options)))
