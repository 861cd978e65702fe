"""``abm race``: the open-vs-closed race (Model II): revenue, upgrade gain, optimal spend."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from abm.cli._output import json_number
from abm.options import (
    NON_NEGATIVE,
    POSITIVE,
    UNIT,
    add_force_argument,
    add_format_argument,
    add_plot_alias,
    add_svg_argument,
    folder,
    integer,
    real,
)

if TYPE_CHECKING:
    from abm.theory.race_cases import RaceCase

HELP = "open-vs-closed race: closed revenue, upgrade gain, optimal spend (Model II)"
DESCRIPTION = (
    "Model II (seed 001): a closed model of compute y sells at f(y) − f(x) per customer-day "
    "against a free open model of compute x, to n customers for m days. Prints its revenue and "
    "the gain from upgrading y → z, with an optional open catch-up to x′ on day k (P1, P2). "
    "--optimal-spend instead prints the profit-maximising training spend with that catch-up "
    "and the catch-up level above which the firm retreats (P3). Extensions: rival closed "
    "firms, discounting, an uncertain catch-up day, heterogeneous valuations, substitution "
    "across niches; each off by default. --out DIR draws the gain and the optimal spend "
    "against the catch-up level."
)


class _Given(argparse.Action):
    """Store an option's value and note that it was given.

    Its default still applies when it is not; a given option that has no effect in the chosen
    setting is then refused (:func:`_check_effect`) rather than silently ignored.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = {*getattr(namespace, "given", ()), self.option_strings[0]}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``abm race``."""
    model = parser.add_argument_group("model")
    model.add_argument(
        "--value", choices=("log", "power"), default="log", help="value function f(compute)"
    )
    model.add_argument(
        "--scale",
        type=POSITIVE,
        default=1.0,
        action=_Given,
        metavar="A",
        help="power: f(x) = A·x^γ, A > 0",
    )
    model.add_argument(
        "--exponent",
        type=real(0.0, 1.0, low_open=True, high_open=True),
        default=0.5,
        action=_Given,
        metavar="GAMMA",
        help="power: the exponent γ in (0, 1)",
    )
    model.add_argument("--customers", type=NON_NEGATIVE, default=1.0, metavar="N", help="n ≥ 0")
    model.add_argument(
        "--days", type=integer(1), default=365, metavar="M", help="horizon m in days, ≥ 1"
    )
    model.add_argument(
        "--open", type=POSITIVE, default=1.0, metavar="X", help="open model's compute x > 0"
    )
    model.add_argument(
        "--closed", type=POSITIVE, default=4.0, metavar="Y", help="closed model's compute y > 0"
    )
    model.add_argument(
        "--upgrade", type=POSITIVE, default=16.0, metavar="Z", help="upgrade's compute z > 0"
    )
    model.add_argument(
        "--catchup",
        type=POSITIVE,
        default=None,
        metavar="X2",
        help="open model's compute x′ ≥ x after the catch-up (none: no catch-up)",
    )
    model.add_argument(
        "--catchup-day",
        type=integer(0),
        default=None,
        metavar="K",
        help="day k in [0, m] of the catch-up (with --hazard: the earliest day; default: 100, "
        "or m if the horizon is shorter)",
    )
    model.add_argument(
        "--optimal-spend",
        action="store_true",
        help="P3: optimise the training spend z (cost = compute); --closed/--upgrade unused",
    )
    extensions = parser.add_argument_group("extensions (each off by default)")
    extensions.add_argument(
        "--rivals",
        type=NON_NEGATIVE,
        nargs="+",
        default=None,
        metavar="R",
        help="computes of rival closed models; the firm prices against the best of them",
    )
    extensions.add_argument(
        "--discount",
        type=real(0.0, 1.0, low_open=True),
        default=1.0,
        metavar="D",
        help="daily discount factor d in (0, 1]",
    )
    extensions.add_argument(
        "--hazard",
        type=UNIT,
        default=None,
        metavar="H",
        help="daily probability h in [0, 1] that the catch-up arrives, from day k on",
    )
    extensions.add_argument(
        "--valuations",
        type=NON_NEGATIVE,
        nargs="+",
        default=None,
        metavar="V",
        help="customers' valuation scales (customer i values a model at v_i·f)",
    )
    extensions.add_argument(
        "--pricing",
        choices=("uniform", "discriminate"),
        default="uniform",
        action=_Given,
        help="with --valuations: one price for all, or perfect price discrimination",
    )
    extensions.add_argument(
        "--substitution",
        type=UNIT,
        default=0.0,
        metavar="SIGMA",
        help="share σ of another niche's customers who also buy this model",
    )
    extensions.add_argument(
        "--substitution-discount",
        type=UNIT,
        default=0.0,
        action=_Given,
        metavar="DELTA",
        help="share δ of the premium those customers do not value",
    )
    extensions.add_argument(
        "--undercut",
        type=real(0.0, 1.0, high_open=True),
        default=0.0,
        metavar="EPS",
        help="share ε of the premium left to buyers, in [0, 1)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the result as one JSON object")
    output.add_argument(
        "--out",
        type=folder,
        default=None,
        metavar="DIR",
        help=(
            "write the figure (upgrade gain and optimal spend against the catch-up level), its "
            "data as a table and manifest.json into DIR"
        ),
    )
    add_force_argument(output)
    add_plot_alias(output)
    add_format_argument(output)
    add_svg_argument(output)
    output.add_argument("--quiet", action="store_true", help="print nothing on success")


def _check(args: argparse.Namespace) -> None:
    """Cross-option checks argparse cannot make."""
    from abm.errors import ParameterError

    if args.catchup is not None and args.catchup < args.open:
        raise ParameterError(
            f"--catchup must be at least --open ({args.open:g}), got {args.catchup:g}"
        )
    # a day given is checked whatever else is asked (the race checks it even without a
    # catch-up, and its own message would name its fields, not these options); the default,
    # day 100, stops at a shorter horizon, so that `--days 30` runs
    if args.catchup_day is None:
        args.catchup_day = min(100, args.days)
    elif args.catchup_day > args.days:
        raise ParameterError(
            f"--catchup-day must be in [0, {args.days}] (the horizon --days), "
            f"got {args.catchup_day}"
        )


def _case(args: argparse.Namespace) -> RaceCase:
    """The race setting these options describe."""
    from abm.theory.race import RaceMarket
    from abm.theory.race_cases import RaceCase
    from abm.theory.value_functions import log_value, power_value

    return RaceCase(
        open_compute=args.open,
        closed_compute=args.closed,
        upgrade_compute=args.upgrade,
        setting=RaceMarket(
            customers=args.customers,
            days=args.days,
            value=log_value() if args.value == "log" else power_value(args.scale, args.exponent),
            catchup_compute=args.catchup,
            catchup_day=args.catchup_day,
            discount=args.discount,
            hazard=args.hazard,
            rival_compute=max(args.rivals) if args.rivals else None,
            valuations=tuple(args.valuations) if args.valuations else None,
            pricing=args.pricing,
            substitution=args.substitution,
            substitution_discount=args.substitution_discount,
            undercut=args.undercut,
        ),
    )


def _inputs(args: argparse.Namespace, case: RaceCase) -> dict[str, Any]:
    """The resolved inputs, as printed and stored in the manifest."""
    inputs: dict[str, Any] = {
        "value_function": case.setting.value.name,
        "customers": args.customers,
        "days": args.days,
        "open": args.open,
    }
    if not args.optimal_spend:
        inputs.update(closed=args.closed, upgrade=args.upgrade)
    inputs["catchup"] = args.catchup
    if args.catchup is not None or args.optimal_spend:
        inputs["catchup_day"] = args.catchup_day
    extensions = {
        "rivals": args.rivals,
        "discount": args.discount if args.discount != 1.0 else None,
        "hazard": args.hazard,
        "valuations": args.valuations,
        "pricing": args.pricing if args.valuations else None,
        "substitution": args.substitution or None,
        "substitution_discount": args.substitution_discount if args.substitution else None,
        "undercut": args.undercut or None,
    }
    inputs.update({name: value for name, value in extensions.items() if value is not None})
    return inputs


def _upgrade_result(case: RaceCase) -> dict[str, Any]:
    """P1/P2: revenue of y, the gain of y → z, and the pricing comparison if asked."""
    from abm.theory.race_cases import upgrade_outcome

    outcome = upgrade_outcome(case)
    result: dict[str, Any] = {
        "mode": "upgrade",
        "revenue": outcome.revenue,
        "upgrade_gain": outcome.upgrade_gain,
        "upgrade_gain_without_catchup": outcome.gain_without_catchup,
    }
    if outcome.pricing is not None:
        result.update(
            uniform_revenue=outcome.pricing.uniform,
            discriminating_revenue=outcome.pricing.discriminating,
            uniform_pricing_loss=outcome.pricing.loss,
        )
    return result


def _spend_result(case: RaceCase) -> dict[str, Any]:
    """P3: the optimal spend with the catch-up, its revenue and profit, and the threshold."""
    from abm.theory.race_cases import spend_outcome

    outcome = spend_outcome(case)
    return {
        "mode": "optimal-spend",
        "revenue": outcome.revenue,
        "upgrade_gain": outcome.profit,
        "optimal_spend": outcome.spend,
        "threshold_catchup": json_number(outcome.threshold),
        "full_horizon_spend": outcome.full_horizon_spend,
        "retreat_spend": outcome.retreat_spend,
    }


_LABELS: dict[str, str] = {
    "value_function": "value function f",
    "customers": "customers n",
    "days": "horizon m (days)",
    "open": "open model x",
    "closed": "closed model y",
    "upgrade": "upgrade z",
    "catchup": "open catch-up x′",
    "catchup_day": "catch-up day k",
    "rivals": "rival closed models",
    "discount": "daily discount d",
    "hazard": "catch-up hazard h (from day k)",
    "valuations": "valuation scales",
    "pricing": "pricing",
    "substitution": "cross-niche share σ",
    "substitution_discount": "cross-niche discount δ",
    "undercut": "undercut ε",
    "revenue": "revenue",
    "upgrade_gain": "upgrade gain y → z",
    "upgrade_gain_without_catchup": "upgrade gain without catch-up",
    "uniform_revenue": "revenue, uniform price",
    "discriminating_revenue": "revenue, perfect discrimination",
    "uniform_pricing_loss": "revenue lost to uniform pricing",
    "optimal_spend": "optimal spend z",
    "threshold_catchup": "retreats once x′ exceeds",
    "full_horizon_spend": "spend z* (no catch-up)",
    "retreat_spend": "spend z_a (sells k days)",
}

_SPEND_LABELS: dict[str, str] = {
    "revenue": "revenue at the optimal spend",
    "upgrade_gain": "profit (gain over not training)",
}


def _format(value: Any, *, result: bool = False) -> str:
    """Inputs as given (compact); results with four decimals, so decimal points align."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(f"{item:g}" for item in value)
    if isinstance(value, float):
        return f"{value:.4f}" if result else f"{value:g}"
    return str(value)


def _format_table(inputs: dict[str, Any], result: dict[str, Any]) -> str:
    """An aligned two-column table: the inputs, a rule, then the results."""
    labels = {**_LABELS, **(_SPEND_LABELS if result["mode"] == "optimal-spend" else {})}
    rows = [(labels[name], _format(value)) for name, value in inputs.items()]
    outputs = [
        (labels[name], _format(value, result=True))
        for name, value in result.items()
        if name != "mode"
    ]
    width = max(len(label) for label, _ in rows + outputs)
    value_width = max(len(text) for _, text in outputs)
    lines = [f"{label:<{width}}  {text}" for label, text in rows]
    lines.append("-" * (width + 2 + value_width))
    lines += [f"{label:<{width}}  {text:>{value_width}}" for label, text in outputs]
    return "\n".join(lines)


def _plot(args: argparse.Namespace, case: RaceCase) -> list[str]:
    """The figure: upgrade gain and optimal spend against the catch-up level; data; manifest."""
    from abm.figures import apply_style, figure_formats, save_figure
    from abm.figures.race import CATCHUP_STEM, catchup_figure, catchup_table
    from abm.io import write_table
    from abm.manifest import Manifest
    from abm.theory.race_cases import catchup_curve

    manifest = Manifest("race", {})  # (its timings run from here)
    curve = catchup_curve(case)
    apply_style()
    formats = figure_formats(args.svg)
    written = save_figure(catchup_figure(curve, case), args.out, CATCHUP_STEM, formats)
    written += write_table(catchup_table(curve), args.out, CATCHUP_STEM, csv=args.format == "csv")
    manifest.parameters = {
        **_inputs(args, case),
        "closed": args.closed,
        "upgrade": args.upgrade,
        "catchup_day": args.catchup_day,
        "full_horizon_spend": curve.full_horizon_spend,
        "retreat_spend": curve.retreat_spend,
        "threshold_catchup": json_number(curve.threshold),
        "grid_points": int(curve.levels.size),
    }
    manifest.outputs.extend(path.name for path in written)
    written.append(manifest.write(args.out))
    return [str(path) for path in written]


def _check_effect(args: argparse.Namespace) -> None:
    """Refuse an option that has no effect in the chosen setting (as equilibrium's --delta)."""
    from abm.errors import ParameterError

    given = getattr(args, "given", set())
    for option in ("--scale", "--exponent"):
        if option in given and args.value != "power":
            raise ParameterError(
                f"{option} is only accepted with --value power (got --value {args.value})"
            )
    if "--pricing" in given and not args.valuations:
        raise ParameterError("--pricing is only accepted with --valuations (none given)")
    if "--substitution-discount" in given and args.substitution == 0:
        raise ParameterError(
            "--substitution-discount is only accepted with --substitution above 0 (got 0)"
        )


def run(args: argparse.Namespace) -> int:
    """Print the race result (P1/P2, or P3 with --optimal-spend); with --out, the figure."""
    from abm.io import claim_output

    _check(args)
    _check_effect(args)
    case = _case(args)
    inputs = _inputs(args, case)
    result = _spend_result(case) if args.optimal_spend else _upgrade_result(case)
    if args.out is not None:  # claimed as abm run claims its folder, before anything is drawn
        claim_output(args.out, "race", force=args.force)
    written = _plot(args, case) if args.out is not None else []
    if args.json:
        payload = {**result}
        if written:
            payload["written"] = written
        print(json.dumps(payload, indent=2))
    else:
        print(_format_table(inputs, result))
        if written:  # as every command says it: how many files, and where
            print(f"wrote {len(written)} files to {args.out}")
    return 0
