"""Options shared by the Model I commands (``equilibrium``, ``landscape``)."""

from __future__ import annotations

import argparse
from typing import Any

from abm.options import NON_NEGATIVE, POSITIVE, UNIT
from abm.theory.defaults import BARGAINING_RULES, MODEL_ONE_DEFAULTS

# (option, field, default, type, help); defaults are the spec's (α0 = 0.5: its sanity example).
GAME_OPTIONS: tuple[tuple[str, str, float, Any, str], ...] = (
    ("--alpha0", "alpha0", 0.5, POSITIVE, "base-model performance α0 > 0"),
    (
        "--specialist-cost",
        "specialist_cost",
        MODEL_ONE_DEFAULTS["specialist_cost"],
        POSITIVE,
        "specialist's cost scale c_D > 0",
    ),
    (
        "--openness-leverage",
        "openness_leverage",
        MODEL_ONE_DEFAULTS["openness_leverage"],
        NON_NEGATIVE,
        "λ ≥ 0: how much openness cuts c_D",
    ),
    (
        "--licensing",
        "licensing",
        MODEL_ONE_DEFAULTS["licensing"],
        NON_NEGATIVE,
        "β ≥ 0: closed-access revenue per unit of α0",
    ),
    (
        "--reputation",
        "reputation",
        MODEL_ONE_DEFAULTS["reputation"],
        NON_NEGATIVE,
        "ε ≥ 0: reputational value per unit of openness",
    ),
    (
        "--operation",
        "operation",
        MODEL_ONE_DEFAULTS["operation"],
        NON_NEGATIVE,
        "o ≥ 0: cost of serving a closed model",
    ),
    (
        "--compliance",
        "compliance",
        MODEL_ONE_DEFAULTS["compliance"],
        POSITIVE,
        "k > 0: quadratic cost of an open release",
    ),
    (
        "--production",
        "production",
        MODEL_ONE_DEFAULTS["production"],
        NON_NEGATIVE,
        "c0 ≥ 0: cost of building the base model (c0·α0²)",
    ),
)
BARGAINING_CHOICES = tuple(BARGAINING_RULES)


def add_game_arguments(parser: argparse.ArgumentParser, *, policy: bool) -> None:
    """Add one option per game parameter (and θ, p when ``policy``) plus the bargaining rule."""
    group = parser.add_argument_group("game parameters")
    for option, field, default, kind, text in GAME_OPTIONS:
        group.add_argument(option, dest=field, type=kind, default=default, help=text)
    if policy:
        group.add_argument(
            "--theta", type=UNIT, default=0.0, help="open-source threshold θ in [0, 1]"
        )
        group.add_argument(
            "--penalty", type=NON_NEGATIVE, default=0.0, help="penalty p ≥ 0 below θ"
        )
    group.add_argument(
        "--bargaining",
        choices=BARGAINING_CHOICES,
        default="fixed",
        help="rule that sets G's revenue share δ",
    )
    group.add_argument(
        "--delta",
        type=UNIT,
        default=None,
        help="G's revenue share δ in [0, 1] (only with fixed; default 0.5)",
    )


def game_fields(args: argparse.Namespace, *, policy: bool) -> dict[str, float]:
    """The game parameters from parsed arguments."""
    fields = {field: getattr(args, field) for _, field, *_ in GAME_OPTIONS}
    if policy:
        fields.update(theta=args.theta, penalty=args.penalty)
    return fields


def check_delta(args: argparse.Namespace) -> None:
    """``--delta`` only makes sense with the fixed rule."""
    from abm.errors import ParameterError

    if args.delta is not None and args.bargaining != "fixed":
        raise ParameterError(
            f"--delta is only accepted with --bargaining fixed (got --bargaining {args.bargaining})"
        )
