"""``abm validate``: the market's validation suite against Models I–III, as a table."""

from __future__ import annotations

import argparse
import json

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
        help="run only the checks whose names start with one of these (e.g. V1 V5)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the suite, print the table (or JSON); exit 1 if a judged check failed."""
    from abm.errors import ParameterError
    from abm.experiments.executors import pool_map
    from abm.market.checks import format_results, run_check, selected

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
        print(format_results(rows))
        print(f"\n{'all judged checks passed' if not failed else 'SOME CHECKS FAILED'}")
    return 1 if failed else 0
