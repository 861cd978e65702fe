"""``abm validate``: the market's validation suite against Models I–III, as a table."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from abm.options import integer

HELP = "validate the agent-based market against the analytical models (table, pass/fail)"
DESCRIPTION = (
    "Runs the spec's checks V0–V6 on the agent-based market: V0 payoffs and revenue reduce to "
    "Models I and II exactly; V1 leaders with counterfactual information reach the myopic-Nash "
    "release ω^N; V2 a leader learning from experience over a fast follower reaches the SPE "
    "release ω⁰ (other rules' gaps reported); V3 many heterogeneous pairs; V4 the learned regime "
    "over a (θ, p) grid against both benchmarks' region maps; V5 the closed firm's upgrade "
    "against the sign of Model II's gain before and after the open catch-up; V6 the inverted U "
    "of Model III from the firm-size mechanism. Exit code 0 when every "
    "judged check passes, 1 otherwise. --quick runs the fast subset the tests also run."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm validate``."""
    parser.add_argument(
        "--quick", action="store_true", help="fast subset (fewer seeds and cells, converging rules)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--workers",
        type=integer(1, 256),
        default=1,
        metavar="W",
        help="run the checks on W worker processes (the same results; default 1)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="NAME",
        help="run only the checks whose names start with one of these (e.g. pair race)",
    )


def _status(passed: bool | None) -> str:
    if passed is None:
        return "gap"
    return "pass" if passed else "FAIL"


def _figure(value: float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan"
    return f"{value:.4g}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """Render result rows as an aligned text table (check, figure, threshold, status, seconds)."""
    header = ("check", "figure", "threshold", "status", "seconds")
    lines = [
        (
            row["check"],
            _figure(row["figure"]),
            row["threshold"],
            _status(row["passed"]),
            f"{row['seconds']:.1f}",
        )
        for row in rows
    ]
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.append("")
    out += [f"{row['check']}: {row['detail']}" for row in rows]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    """Run the suite, print the table (or JSON); exit 1 if a judged check failed."""
    from abm.errors import ParameterError
    from abm.experiments.executors import pool_map
    from abm.market.checks import run_check, selected

    if args.only:
        names = selected(args.quick)
        unknown = [p for p in args.only if not any(n.startswith(p) for n in names)]
        if unknown:
            raise ParameterError(
                f"--only must name checks among {', '.join(names)}, got {unknown[0]!r}"
            )
    # each check seeds itself, so the results are the same whatever the workers
    calls = [(args.quick, name) for name in selected(args.quick, args.only)]
    rows = [result.row() for result in pool_map(run_check, calls, args.workers)]
    failed = any(row["passed"] is False for row in rows)
    if args.json:
        print(json.dumps({"quick": args.quick, "passed": not failed, "checks": rows}, indent=2))
    else:
        print(format_table(rows))
        print(f"\n{'all judged checks passed' if not failed else 'SOME CHECKS FAILED'}")
    return 1 if failed else 0
