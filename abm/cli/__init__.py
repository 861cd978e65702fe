"""The ``abm`` command line.

Each subcommand lives in its own module of this package and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Command modules import heavy libraries
(pandas, seaborn, Mesa) only inside ``run`` so that ``abm --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
from collections.abc import Sequence

from abm import __version__
from abm.allocator import hold_freed_memory
from abm.errors import ParameterError
from abm.options import MEMORY_VARIABLE, ArgumentParser, HelpFormatter, size

#: Subcommand name -> module that implements it, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "run": "abm.cli.run",
    "mc": "abm.cli.mc",
    "sweep": "abm.cli.sweep",
    "sa": "abm.cli.sa",
    "validate": "abm.cli.validate",
    "schema": "abm.cli.schema",
    "equilibrium": "abm.cli.equilibrium",
    "landscape": "abm.cli.landscape",
    "race": "abm.cli.race",
    "open-source": "abm.cli.open_source",
    "app": "abm.cli.app",
    "study": "abm.cli.study",
    "report": "abm.cli.report",
    "discover": "abm.cli.discover",
    "calibrate": "abm.cli.calibrate",
}

__all__ = ["COMMANDS", "ArgumentParser", "build_parser", "main"]


def build_parser() -> ArgumentParser:
    """Build the top-level parser with every subcommand registered."""
    parser = ArgumentParser(
        prog="abm",
        description="Simulator of the economics of AI-model openness.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"abm {__version__}")
    parser.add_argument(
        "--max-memory",
        type=size,
        default=None,
        metavar="SIZE",
        help="refuse a market whose estimated peak memory, with the agent tables it records, "
        "exceeds SIZE (8G, 500M; default: $ABM_MAX_MEMORY, else 3/4 of the machine's memory)",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=ArgumentParser
    )
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=HelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run, _prog=sub.prog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code.

    Examples:
        >>> code = main(["equilibrium", "--alpha0", "0.5", "--json"])  # doctest: +ELLIPSIS
        {"regime": "free", "openness": 0.1875..., "outcome": "nonbinding", ...}
        >>> code
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    hold_freed_memory()  # (the market's large per-period tables; changes no result)
    previous = os.environ.get(MEMORY_VARIABLE)
    if args.max_memory is not None:  # the one place the market reads its ceiling from
        os.environ[MEMORY_VARIABLE] = args.max_memory
    try:
        return _run(args)
    finally:  # a library caller's environment is left as it was
        if args.max_memory is not None:
            if previous is None:
                os.environ.pop(MEMORY_VARIABLE, None)
            else:
                os.environ[MEMORY_VARIABLE] = previous


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command: exit code 2 for bad input, 130 when interrupted."""
    try:
        if getattr(args, "quiet", False):
            # --quiet means the same everywhere: nothing on standard output (no progress bar,
            # no summary); errors and failed runs still go to standard error.
            with contextlib.redirect_stdout(io.StringIO()):
                return int(args._run(args) or 0)
        return int(args._run(args) or 0)
    except ParameterError as error:
        print(f"{args._prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{args._prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``abm ... | head``): what was written stays written; send
        # what is left for standard output to /dev/null so that Python's final flush does not
        # fail again, and exit as Python's documentation advises for EPIPE
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
