"""``abm equilibrium``: the subgame-perfect equilibrium of the openness game (Model I)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from abm.cli._game_options import add_game_arguments, check_delta, game_fields
from abm.cli._output import format_table, json_number

HELP = "equilibrium of the openness-regulation game at one parameter point (Model I)"
DESCRIPTION = (
    "Openness game after Qiu et al. (2025); default functional forms are ours. Solves the "
    "three stages by backward induction (bargained share δ, the generalist's openness or "
    "abstention, the specialist's fine-tuning) and classifies the regulation's effect against "
    "the same game without it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm equilibrium``."""
    add_game_arguments(parser, policy=True)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def solve(args: argparse.Namespace) -> dict[str, Any]:
    """The equilibrium as a JSON-ready dictionary."""
    from abm.theory.openness_game import REGIMES, OpennessGame
    from abm.theory.outcomes import OUTCOMES, regulation_outcome

    check_delta(args)
    game = OpennessGame(**game_fields(args, policy=True))
    result = regulation_outcome(game, args.bargaining, args.delta)
    stage = result.regulated.stage
    return {
        "regime": REGIMES[int(stage.regime)],
        "openness": json_number(stage.openness),
        "alpha1": json_number(stage.alpha1),
        "delta": float(result.regulated.delta),
        "utility_generalist": float(stage.utility_generalist),
        "utility_specialist": float(stage.utility_specialist),
        "indifference_penalty": float(stage.indifference_penalty),
        "outcome": OUTCOMES[int(result.outcome)],
        "free_openness": float(stage.free_openness),
        "penalty_paid": float(stage.penalty_paid),
    }


def run(args: argparse.Namespace) -> int:
    """Print the equilibrium as a table or JSON."""
    result = solve(args)
    if args.json:
        print(json.dumps(result))
        return 0
    inputs = game_fields(args, policy=True)
    inputs["bargaining"] = args.bargaining
    print(
        format_table(
            [
                ("Parameters", inputs.items()),
                (
                    "Equilibrium",
                    [
                        ("regime", result["regime"]),
                        ("outcome vs no regulation", result["outcome"].replace("_", " ")),
                        ("revenue share δ", result["delta"]),
                        ("openness ω", result["openness"]),
                        ("openness ω⁰ without regulation at this δ", result["free_openness"]),
                        ("fine-tuned performance α1", result["alpha1"]),
                        ("utility of the generalist", result["utility_generalist"]),
                        ("utility of the specialist", result["utility_specialist"]),
                        ("penalty needed to bind θ", result["indifference_penalty"]),
                        ("penalty paid", result["penalty_paid"]),
                    ],
                ),
            ]
        )
    )
    return 0
