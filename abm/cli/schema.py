"""``abm schema``: the JSON Schema of a scenario file, for editors and external checks."""

from __future__ import annotations

import argparse

from abm.options import output_file

HELP = "print the JSON Schema of scenario files (--out FILE writes it)"
DESCRIPTION = (
    "Prints the JSON Schema (draft 2020-12) of a scenario file, generated from the same "
    "declaration that validates scenarios: every key with its type, default, accepted range and "
    "meaning. An editor given the schema completes and checks scenario files (e.g. Taplo or "
    "Even Better TOML: a `#:schema ./scenario.schema.json` first line). The schema checks types, "
    "ranges and key names; rules across keys (a learning rule's parameters, list lengths, sweep "
    "points) are checked by `abm run` and the other commands."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm schema``."""
    parser.add_argument(
        "--out",
        type=output_file,
        default=None,
        metavar="FILE",
        help="write the schema here (a file, not a folder); none: print it",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``abm schema``."""
    import json
    from pathlib import Path

    from abm.errors import ParameterError
    from abm.io import write_text
    from abm.scenarios import scenario_schema

    text = json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        print(text, end="")
        return 0
    try:
        write_text(Path(args.out), text)
    except OSError as error:  # e.g. a folder made read-only since the option was checked
        raise ParameterError(f"--out: cannot write {args.out}: {error.strerror}") from None
    return 0
