"""``abm study NAME``: run one of the studies in ``analysis/`` (figures and tables).

The studies sit above the library and beside the command line, so this module does not import
them: it reads their registry (``analysis/__init__.py``) and imports the chosen study by module
name through :func:`importlib.import_module`. That is the one runtime link from ``abm.cli`` to
``analysis``; ``docs/architecture.md`` records it.
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType

#: The package that holds the studies and their registry (STUDIES, SUMMARIES, resolve).
STUDY_PACKAGE = "analysis"


def _registry() -> ModuleType:
    """The studies' registry: a stdlib-only module, so ``--help`` stays light."""
    return importlib.import_module(STUDY_PACKAGE)


_STUDIES: dict[str, str] = _registry().SUMMARIES

HELP = "run a study from analysis/ (figures and tables reproducing the seed documents' findings)"

DESCRIPTION = (
    "Runs a study of analysis/ (the same as python -m analysis.<module>), writing figures "
    "(PNG; SVG too with --svg), tables (parquet, CSV), findings.json and manifest.json into "
    "--out (default results/study-NAME). Study options follow the name: --out DIR, --seed N, "
    "--quick (small size), --quiet, --workers W, --svg (each figure as SVG too); `abm study "
    "NAME --help` lists a study's own options. "
    "Studies: " + "; ".join(f"{name} ({text})" for name, text in _STUDIES.items())
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``NAME`` and pass everything after it to the study."""
    parser.add_argument(
        "name", metavar="NAME", help="study: " + ", ".join(_STUDIES) + f" (or 1–{len(_STUDIES)})"
    )
    parser.add_argument(
        "options", nargs=argparse.REMAINDER, metavar="...", help="the study's own options"
    )


def run(args: argparse.Namespace) -> int:
    """Import the study's module by name and call its ``main`` with the remaining options."""
    registry = _registry()
    module = importlib.import_module(registry.STUDIES[registry.resolve(args.name)])
    return int(module.main(list(args.options)))
