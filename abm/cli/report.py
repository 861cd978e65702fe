"""``abm report DIR``: one self-contained HTML file from an output folder."""

from __future__ import annotations

import argparse

HELP = "turn the output of abm run/mc/sweep/sa or a study into one self-contained HTML report"
DESCRIPTION = (
    "Reads DIR (the output of abm run, mc, sweep, sa or abm study) and writes one HTML file "
    "that opens in a browser with no server: every PNG figure embedded, the manifest and "
    "scenario summarised, key numbers in tables (last period of a run, quantiles across runs, "
    "means per sweep point, sensitivity indices, study findings)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm report``."""
    parser.add_argument("folder", metavar="DIR", help="output folder to report on")
    parser.add_argument(
        "--out", default=None, metavar="FILE", help="HTML file to write (default DIR/report.html)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    """Build and write the report."""
    from abm.report import write_report

    path = write_report(args.folder, args.out)
    if not args.quiet:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0
