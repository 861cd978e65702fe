"""Argument parsing shared by the command line and the studies: checked types, one-line errors.

Both ``abm.cli`` and ``analysis`` parse options; this module sits below both (it imports only
:mod:`abm.errors`), so neither has to import the other.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

from abm.errors import describe_range

#: Limits shared by the scenario schema (``abm.scenarios``) and the command line's options, so
#: that a value a file may hold and a value an option may give are the same (and the options
#: need no schema import, which keeps ``abm --help`` fast). Seeds are stored as int64.
MAX_SEED = 2**63 - 1
MAX_STEPS = 10_000_000
MAX_REPLICATIONS = 10_000_000
#: Most parameter points one experiment may hold (a grid's combinations or a sampler's rows).
MAX_POINTS = 1_000_000
#: Most runs one experiment may hold (points × replications): what ``abm mc --replications``
#: allows, so that a sweep or a sensitivity analysis is no larger than a Monte Carlo study may be.
MAX_RUNS = MAX_REPLICATIONS

#: Environment variable holding the memory ceiling for one model ("8G", "500M" or bytes).
MEMORY_VARIABLE = "ABM_MAX_MEMORY"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """Bytes in ``text``: a number with an optional K, M, G or T (powers of 1024).

    Raises:
        ValueError: ``text`` is not such a size.
    """
    stripped = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = stripped[-1:] if stripped[-1:] in _UNITS and stripped[-1:] else ""
    number = float(stripped[: len(stripped) - len(unit)])
    if not math.isfinite(number) or number <= 0:
        raise ValueError(text)
    return int(number * _UNITS[unit])


def size(text: str) -> str:
    """An argparse ``type`` for a memory size ("8G", "500M", bytes); returns it as given."""
    try:
        parse_size(text)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            f"must be a size such as 8G, 500M or a number of bytes, got {text!r}"
        ) from None
    return text


def memory_limit() -> int:
    """The most memory one model may need.

    ``$ABM_MAX_MEMORY`` when set, else 3/4 of the machine's physical memory (or of the
    address-space limit, when one is set and lower).

    Raises:
        ValueError: ``$ABM_MAX_MEMORY`` is set but not a size.
    """
    text = os.environ.get(MEMORY_VARIABLE)
    if text:
        return parse_size(text)
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        physical = 8 * 2**30
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            physical = min(physical, soft)
    except (ImportError, ValueError, OSError):
        pass
    return int(0.75 * physical)


def format_size(count: float) -> str:
    """``count`` bytes in the largest unit that keeps a number ≥ 1 (e.g. ``7.5 GiB``)."""
    for unit in ("T", "G", "M", "K"):
        if count >= _UNITS[unit]:
            return f"{count / _UNITS[unit]:.3g} {unit}iB"
    return f"{count:.0f} B"


def real(
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[str], float]:
    """An argparse ``type`` accepting a finite number in the given interval."""
    interval = describe_range(low, high, low_open=low_open, high_open=high_open)

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a number in {interval}, got {text!r}"
            ) from None
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {text}")
        return value

    parse.__name__ = f"number in {interval}"
    return parse


def integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` accepting an integer in ``[low, high]``."""
    # integers are shown whole (a seed's bound is 9223372036854775807, not 9.22337e+18)
    interval = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer in {interval}, got {text!r}"
            ) from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be an integer in {interval}, got {text}")
        return value

    parse.__name__ = f"integer in {interval}"
    return parse


def folder(text: str) -> str:
    """An argparse ``type`` for an output folder that can be created and written.

    Checked before any work starts, so a bad folder costs no simulation and writes nothing:
    a name, a path whose parts fit the file system, no file where a folder must be, and a
    writable nearest existing folder.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got ''")
    path = Path(text).expanduser()
    limit = os.pathconf("/", "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    for part in path.parts:
        if len(os.fsencode(part)) > limit:
            raise argparse.ArgumentTypeError(f"has a name longer than {limit} bytes: {part[:40]}…")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        where = "is a file" if existing == path else f"lies under {existing}, a file"
        raise argparse.ArgumentTypeError(f"{text} {where}, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {existing}")
    return text


folder.__name__ = "output folder"


def output_file(text: str) -> str:
    """An argparse ``type`` for a file to write: not a folder, in a folder that can be written."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a file, got ''")
    path = Path(text).expanduser()
    # a trailing slash names a folder: Path drops it, and the file would take the folder's name
    if path.is_dir() or text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    folder(str(path.parent))
    return text


output_file.__name__ = "output file"


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``<prog>: error: <message>`` and exit 2, without the usage block."""
        self.exit(2, f"{self.prog}: error: {message}\n")


#: The largest number a model option takes. The models are normalised (α0 of order one); far
#: beyond 10¹² their powers and exponentials leave double precision (α0 = 1e200 gave NaN
#: penalties and infinite revenues), so larger values are refused rather than answered wrongly.
LARGEST = 1e12
NON_NEGATIVE = real(0.0, LARGEST)
POSITIVE = real(0.0, LARGEST, low_open=True)
UNIT = real(0.0, 1.0)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` that shows a default only where one exists.

    No "(default: None)" after an option that has none, no "(default: False)" after a switch,
    and nothing added to a help text that already says what happens without the option.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            default is None
            or default is False
            or default is argparse.SUPPRESS
            or default == []
            or "default" in text
            or "none:" in text
        ):
            return text
        return super()._get_help_string(action)


def add_plot_alias(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The old ``--plot DIR`` of ``abm race`` and ``abm open-source``: ``--out``, with a warning."""
    parser.add_argument(
        "--plot",
        dest="out",
        type=folder,
        metavar="DIR",
        action=deprecated_alias("--out DIR"),
        help=argparse.SUPPRESS,
    )


def deprecated_alias(replacement: str, value: object = None) -> type[argparse.Action]:
    """An argparse action for an old option name: it sets ``dest`` and warns once on stderr.

    Args:
        replacement: The option to use instead (named in the warning).
        value: For a switch (``nargs=0``), the value it stores; otherwise the option's argument.
    """

    class Alias(argparse.Action):
        def __call__(
            self,
            parser: argparse.ArgumentParser,
            namespace: argparse.Namespace,
            values: object,
            option_string: str | None = None,
        ) -> None:
            import sys

            print(
                f"{parser.prog}: warning: {option_string} is deprecated; use {replacement}",
                file=sys.stderr,
            )
            setattr(namespace, self.dest, value if self.nargs == 0 else values)

    return Alias


def add_svg_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Register ``--svg``: figures are PNG, and with it an SVG copy of each as well.

    One option, the same on every command that writes figure files (``args.svg``; the figures'
    formats are :func:`abm.figures.style.figure_formats` of it).
    """
    parser.add_argument("--svg", action="store_true", help="also write each figure as SVG")


def add_force_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Register ``--force``: replace the output folder whole (:func:`abm.io.replace_folder`).

    One meaning on every command that writes an output folder. Without it a command writes only
    into a new or empty folder, or into its own earlier outputs (:func:`abm.io.check_folder`).
    """
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace DIR whole if it holds other outputs or files abm did not write (never "
        "one being written)",
    )


#: The table formats ``--format`` accepts.
TABLE_FORMATS = ("parquet", "csv")


def add_format_argument(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, resumable: bool = False
) -> None:
    """Register ``--format parquet|csv`` (and the old ``--csv`` as its deprecated alias).

    Args:
        parser: The command's parser or option group.
        resumable: The command has ``--resume``, which reads the parquet tables too.
    """
    readers = "abm report and --resume read it" if resumable else "abm report reads it"
    parser.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        default="parquet",
        help=f"tables as parquet, or as CSV too (parquet is kept: {readers})",
    )
    parser.add_argument(
        "--csv",
        dest="format",
        nargs=0,
        action=deprecated_alias("--format csv", "csv"),
        help=argparse.SUPPRESS,
    )
