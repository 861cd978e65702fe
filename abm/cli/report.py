"""``abm report DIR [DIR ...]``: one self-contained HTML file from one or more output folders."""

from __future__ import annotations

import argparse

from abm.options import output_file

HELP = "one self-contained HTML report of an output folder, or of several side by side"
DESCRIPTION = (
    "With one DIR (the output of abm run, mc, sweep, sa or abm study), writes one HTML file "
    "that opens in a browser with no server: every PNG figure embedded, the manifest and "
    "scenario summarised, key numbers in tables (last period of a run, quantiles across runs, "
    "means per sweep point, sensitivity indices, study findings). With two or more, compares "
    "them side by side: the settings that differ, each outcome per folder (mean and 5–95 % "
    "range across runs) and its difference from the first folder with a 95 % interval, and "
    "figures of the outcomes and time paths."
)
#: The comparison's file when --out is not given.
COMPARISON = "comparison.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm report``."""
    parser.add_argument(
        "folders",
        nargs="+",
        metavar="DIR",
        help="output folder to report on; two or more: compare them (the first is the reference)",
    )
    parser.add_argument(
        "--out",
        type=output_file,
        default=None,
        metavar="FILE",
        help=f"HTML file to write; none: DIR/report.html, or ./{COMPARISON} for several DIRs",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    """Build and write the report or the comparison."""
    from pathlib import Path

    from abm.errors import ParameterError
    from abm.io import write_text
    from abm.report import build_comparison, build_report

    # built, then written: a failure to read an input and one to write the report are told apart
    try:
        if len(args.folders) == 1:
            html = build_report(args.folders[0])
        else:
            html = build_comparison(args.folders)
    except (OSError, ValueError) as error:  # a corrupt or unreadable input (JSON, parquet)
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ParameterError(f"cannot read {' '.join(args.folders)}: {reason}") from None
    if args.out is not None:
        target = Path(args.out)
    elif len(args.folders) == 1:
        target = Path(args.folders[0]) / "report.html"
    else:
        target = Path(COMPARISON)
    try:
        path = write_text(target, html)
    except OSError as error:  # (strerror: the temporary file's name is no business of the user)
        raise ParameterError(f"cannot write {target}: {error.strerror or error}") from None
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0
