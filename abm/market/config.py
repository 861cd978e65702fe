"""The market's configuration: one declarative schema (pydantic v2) with the spec's defaults.

Every field is declared once, with its type, default, accepted range and meaning; a scenario
file's ``[market]`` table maps onto it key for key (:meth:`MarketConfig.from_dict`), the JSON
Schema (``abm schema``) and the documentation's parameter table (:func:`parameter_table`) are
generated from it. Every leaf is a number, a string, a list or a
:class:`~abm.market.distributions.Distribution` (per-agent parameters: a number, a list or a
table is accepted). Building, assigning and :meth:`MarketConfig.from_dict` check everything that
needs no random draw, cross-field rules included, and raise one :class:`ParameterError` naming
the parameter by its dotted path (``generalists.count``, ``regulator.mode``, ...).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from abm.errors import ParameterError, check_choice
from abm.learning.registry import resolve_parameters, rule_info, rule_names
from abm.market.clearing import DEMAND_RULES
from abm.market.distributions import Distribution
from abm.schema import (
    PATH,
    Flag,
    Int,
    Real,
    Schema,
    accepted,
    default_of,
    scalar_type,
)
from abm.theory.defaults import BARGAINING_RULES, FIXED_DELTA
from abm.theory.defaults import MODEL_ONE_DEFAULTS as _DEFAULTS

Bargaining = Literal[tuple(BARGAINING_RULES)]  # type: ignore[valid-type]
Matching = Literal["pairs", "learned"]
Information = Literal["experienced", "counterfactual"]
RegulatorMode = Literal["static", "schedule", "adaptive"]
AdaptiveLever = Literal["theta", "penalty"]
FrontierMode = Literal["endogenous", "exogenous"]
ValueFunction = Literal["log", "power"]
Pricing = Literal["uniform", "discriminate"]
ClosedPricing = Literal["best_response", "learned"]
#: Most customers per niche when each one has its own valuation (one array entry each).
_MAX_CUSTOMERS = 1_000_000
DemandRule = Literal[DEMAND_RULES]  # type: ignore[valid-type]

BARGAINING: tuple[str, ...] = typing.get_args(Bargaining)
MATCHING: tuple[str, ...] = typing.get_args(Matching)
INFORMATION: tuple[str, ...] = typing.get_args(Information)
REGULATOR_MODES: tuple[str, ...] = typing.get_args(RegulatorMode)
ADAPTIVE_LEVERS: tuple[str, ...] = typing.get_args(AdaptiveLever)
FRONTIERS: tuple[str, ...] = typing.get_args(FrontierMode)
VALUE_FUNCTIONS: tuple[str, ...] = typing.get_args(ValueFunction)
CLOSED_PRICING: tuple[str, ...] = typing.get_args(ClosedPricing)
#: The price learner's default: Calvano et al.'s (2020) α = 0.15 and δ = 0.95, with an ε that
#: falls within a market run (ε_t = 0.995^t, floor 0.01) rather than their e^{−4·10⁻⁶·t}.
PRICE_LEARNING_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.15,
    "discount": 0.95,
    "epsilon": 1.0,
    "epsilon_decay": 0.995,
    "epsilon_min": 0.01,
}


# --- per-agent distributions ------------------------------------------------------------------


@dataclass(frozen=True)
class Support:
    """The range a per-agent parameter's distribution must stay in (its support's low end)."""

    low: float = 0.0
    low_open: bool = False

    def describe(self) -> str:
        """``dist., > 0`` or ``dist., >= 0``."""
        return f"dist., {'>' if self.low_open else '>='} {self.low:g}"


def _to_distribution(spec: Any) -> Any:
    """A number, a list or a Distribution becomes a Distribution; a table goes on as it is."""
    if isinstance(spec, Distribution | dict):
        return spec
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Distribution("constant", value=float(spec))
    if isinstance(spec, list | tuple | np.ndarray):
        try:
            return Distribution("list", values=[float(value) for value in spec])
        except (TypeError, ValueError):
            pass
    raise ParameterError(f"{PATH} must be a number, a list or a distribution, got {spec!r}")


def _check_support(support: Support, distribution: Distribution) -> Distribution:
    distribution.check(PATH)
    support_low, _ = distribution.support()
    low = support.low
    if support_low < low or (support.low_open and support_low <= low):
        bracket = "(" if support.low_open else "["
        raise ParameterError(
            f"{PATH} must be in {bracket}{low:g}, inf), but its {distribution.kind} distribution "
            f"reaches {support_low:g}"
        )
    return distribution


def PerAgent(low: float = 0.0, *, low_open: bool = False) -> Any:  # noqa: N802 (a type)
    """A per-agent parameter: a Distribution whose support lies in [low, inf) or (low, inf)."""
    support = Support(low, low_open)
    return Annotated[
        Distribution,
        BeforeValidator(
            _to_distribution, json_schema_input_type=float | list[float] | Distribution
        ),
        AfterValidator(partial(_check_support, support)),
        support,
    ]


def _constant(value: float, description: str) -> Any:
    return Field(
        default_factory=lambda: Distribution("constant", value=value), description=description
    )


def _check_lengths(config: Any, names: tuple[str, ...], count: int) -> None:
    for name in names:
        distribution = getattr(config, name)
        if distribution.kind == "list" and len(distribution.values) != count:
            raise ParameterError(
                f"{PATH}.{name}: a list gives one value per agent, so it needs {count} values, "
                f"got {len(distribution.values)}"
            )


# --- learning -----------------------------------------------------------------------------------


def _known_rule(name: str) -> str:
    check_choice(PATH, name, rule_names())
    return name


def _rule_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(rule_names())


#: What a learner's state can be read from: known in a period before anyone learns.
StateObservable = Literal["open_share", "penalty", "theta", "open_frontier"]


class MarketState(Schema):
    """A market observable, cut into bins, as the state of a rule with states (Q-learning).

    An agent acts in the state of last period's value and learns that it moved to this
    period's, so the rule's ``n_states`` is ``len(edges) + 1`` (set by the market).
    """

    path = "learning.state"

    observable: StateObservable = Field(
        description="open_share (of this period's releases), penalty, theta or open_frontier "
        "(the free open model's compute)"
    )
    edges: list[Real] = Field(
        min_length=1,
        max_length=1000,
        description="increasing bin edges (bins: below the first, "
        "between each pair, from the last on)",
    )

    @model_validator(mode="after")
    def _increasing(self) -> MarketState:
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ParameterError(f"{PATH}.edges must be strictly increasing, got {self.edges}")
        return self


class LearningConfig(Schema):
    """A learning rule from :mod:`abm.learning` and its parameters.

    ``LearningConfig("q_learning", {"epsilon": 0.1}, "experienced", 0.5)`` fills the fields in
    order.

    Examples:
        >>> rule = LearningConfig("logit", {"precision": 20.0}, "counterfactual", 0.3)
        >>> rule.rule, rule.params, rule.information, rule.revision_rate
        ('logit', {'precision': 20.0}, 'counterfactual', 0.3)
        >>> LearningConfig("no_such_rule")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        abm.errors.ParameterError: learning.rule must be one of ..., got 'no_such_rule'
    """

    path = "learning"

    rule: Annotated[str, AfterValidator(_known_rule)] = Field(
        "q_learning",
        description="registry name of the rule (abm.learning.rule_names())",
        json_schema_extra=_rule_enum,
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="keyword parameters of the rule (checked by the rule)"
    )
    information: Information = Field(
        "experienced",
        description="experienced: the rule sees only its own realised payoff; counterfactual: "
        "also what every other action would have earned this period (the market re-cleared with "
        "that one deviation); a rule that needs forgone payoffs needs counterfactual",
    )
    revision_rate: Real = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="share of the agents that may change their action each period (the others "
        "repeat theirs; all learn)",
    )
    state: MarketState | None = Field(
        None,
        description="a binned market observable as the rule's state (rules with n_states, e.g. "
        "q_learning); none: one state",
    )

    @model_validator(mode="after")
    def _state_suits_the_rule(self) -> LearningConfig:
        if self.state is None:
            return self
        names = [spec.name for spec in rule_info(self.rule).parameters]
        if "n_states" not in names:
            with_states = [
                n
                for n in rule_names()
                if any(spec.name == "n_states" for spec in rule_info(n).parameters)
            ]
            raise ParameterError(
                f"{PATH}.state: the {self.rule} rule has no states; rules with states: "
                f"{', '.join(with_states)}"
            )
        if "n_states" in self.params:
            raise ParameterError(
                f"{PATH}.params.n_states: set by state (len(edges) + 1 = "
                f"{len(self.state.edges) + 1}); leave it out"
            )
        return self

    @model_validator(mode="after")
    def _information_suits_the_rule(self) -> LearningConfig:
        if self.information == "experienced" and rule_info(self.rule).uses == "forgone_payoffs":
            learners = (n for n in rule_names() if rule_info(n).uses != "forgone_payoffs")
            raise ParameterError(
                f"{PATH}.information: the {self.rule} rule needs forgone payoffs, so it must "
                f"be 'counterfactual' (rules that learn from experience: {', '.join(learners)})"
            )
        return self


def _check_rule_params(name: str, learning: LearningConfig, count: int) -> None:
    """A rule's parameters, checked against its declared ranges (nothing is allocated)."""
    try:
        resolve_parameters(rule_info(learning.rule).rule_class, learning.params, max(count, 1))
    except ParameterError as error:
        raise ParameterError(f"{PATH}.{name}.params: {error}") from None


def _learning(description: str) -> Any:
    return Field(default_factory=LearningConfig, description=description)


# --- the populations ----------------------------------------------------------------------------


class GeneralistConfig(Schema):
    """Base-model owners (Model I's G). Distributions give one value per agent.

    Examples:
        >>> from abm.market.distributions import Distribution
        >>> config = GeneralistConfig(count=3, alpha0=Distribution("uniform", low=0.5, high=2.0))
        >>> config.alpha0.kind, config.openness_levels
        ('uniform', 51)
        >>> GeneralistConfig(count=2, alpha0=[0.5, 2.0]).alpha0.values  # one value per agent
        [0.5, 2.0]
    """

    path = "generalists"

    count: Int = Field(1, ge=1, description="number of generalists")
    alpha0: PerAgent(0.0, low_open=True) = _constant(
        _DEFAULTS["alpha0"], "base-model performance α0"
    )  # type: ignore[valid-type]
    licensing: PerAgent(0.0) = _constant(_DEFAULTS["licensing"], "licensing revenue β")  # type: ignore[valid-type]
    reputation: PerAgent(0.0) = _constant(_DEFAULTS["reputation"], "reputation gain ε of openness")  # type: ignore[valid-type]
    operation: PerAgent(0.0) = _constant(_DEFAULTS["operation"], "operating cost o")  # type: ignore[valid-type]
    compliance: PerAgent(0.0, low_open=True) = _constant(
        _DEFAULTS["compliance"], "compliance cost k"
    )  # type: ignore[valid-type]
    production: PerAgent(0.0) = _constant(_DEFAULTS["production"], "production cost c0")  # type: ignore[valid-type]
    openness_levels: Int = Field(51, ge=2, description="points of the openness grid on [0, 1]")
    allow_abstain: Flag = Field(True, description="whether leaving the market is an action")
    learning: LearningConfig = _learning("the rule that chooses ω (or abstention)")

    @model_validator(mode="after")
    def _per_agent(self) -> GeneralistConfig:
        _check_lengths(self, _GENERALIST_DISTRIBUTIONS, self.count)
        _check_rule_params("learning", self.learning, self.count)
        return self


_GENERALIST_DISTRIBUTIONS = (
    "alpha0",
    "licensing",
    "reputation",
    "operation",
    "compliance",
    "production",
)


class SpecialistConfig(Schema):
    """Fine-tuners (Model I's D). Each serves one niche, drawn uniformly at creation.

    Examples:
        >>> config = SpecialistConfig(count=60, matching="learned", effort_levels=21)
        >>> config.matching, config.learning.rule
        ('learned', 'q_learning')
    """

    path = "specialists"

    count: Int = Field(1, ge=0, description="number of specialists")
    specialist_cost: PerAgent(0.0, low_open=True) = _constant(
        _DEFAULTS["specialist_cost"], "fine-tuning cost c_D"
    )  # type: ignore[valid-type]
    openness_leverage: PerAgent(0.0) = _constant(
        _DEFAULTS["openness_leverage"], "openness leverage λ (cost saved by an open base)"
    )  # type: ignore[valid-type]
    matching: Matching = Field(
        "pairs",
        description="pairs: specialist j fine-tunes generalist j mod G, fixed; learned: "
        "learning chooses a base among all generalists, or none",
    )
    learning: LearningConfig = _learning("the rule choosing the base under learned matching")
    effort_levels: Int = Field(41, ge=2, description="points of the effort grid")
    effort_max: Real = Field(
        1.0, gt=0.0, description="largest improvement α1 − α0 on the effort grid"
    )
    effort_learning: LearningConfig = _learning("the rule choosing the effort e = α1 − α0")

    @model_validator(mode="after")
    def _per_agent(self) -> SpecialistConfig:
        _check_lengths(self, ("specialist_cost", "openness_leverage"), self.count)
        _check_rule_params("learning", self.learning, self.count)
        _check_rule_params("effort_learning", self.effort_learning, self.count)
        return self


class ClosedFirmConfig(Schema):
    """Closed-model firms (Model II); firm f sells in niche f mod ``demand.niches``.

    Examples:
        >>> config = ClosedFirmConfig(count=3, initial_compute=30.0, levels=3)
        >>> config.initial_compute.value, config.upgrade_factor  # compute levels 30, 120, 480
        (30.0, 4.0)
    """

    path = "closed_firms"

    count: Int = Field(0, ge=0, description="number of closed firms")
    initial_compute: PerAgent(0.0, low_open=True) = _constant(4.0, "compute of the first level")  # type: ignore[valid-type]
    upgrade_factor: Real = Field(
        4.0, gt=1.0, description="ratio between consecutive compute levels"
    )
    levels: Int = Field(2, ge=1, description="number of compute levels a firm chooses among")
    compute_cost: PerAgent(0.0) = _constant(
        0.0, "cost per unit of compute over the horizon (amortised per period)"
    )  # type: ignore[valid-type]
    horizon_days: Real = Field(
        365.0, gt=0.0, description="m, the days over which compute is amortised"
    )
    discount: Real = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="daily discount factor d: compute is paid as the annuity c·y/Σ_{t<m} dᵗ per "
        "day, whose present value over the horizon is c·y (1: c·y/m)",
    )
    value: ValueFunction = Field("log", description="customers' value function f of compute")
    learning: LearningConfig = _learning("the rule choosing the compute level")
    pricing: ClosedPricing = Field(
        "best_response",
        description="best_response: every product charges its Bertrand–Nash price (the "
        "clearing's); learned: each closed firm learns its price on a grid by Q-learning with "
        "the last prices of its niche's closed firms as state, the other products best-respond "
        "(logit demand only)",
    )
    price_levels: Int = Field(15, ge=2, description="prices on the learned-price grid")
    price_low: Real = Field(
        1.0, gt=0.0, description="lowest learned price, in units of σ = 1/demand.precision"
    )
    price_high: Real = Field(
        4.0, gt=0.0, description="highest learned price, in units of σ = 1/demand.precision"
    )
    price_learning: LearningConfig = Field(
        default_factory=lambda: LearningConfig(rule="q_learning", params=PRICE_LEARNING_DEFAULTS),
        description="the rule learning the price (learned pricing; its n_states is set by the "
        "market: price_levels^(closed firms per niche)); default params learning_rate 0.15, "
        "discount 0.95, epsilon 1, epsilon_decay 0.995, epsilon_min 0.01",
    )

    @model_validator(mode="after")
    def _per_agent(self) -> ClosedFirmConfig:
        _check_lengths(self, ("initial_compute", "compute_cost"), self.count)
        _check_rule_params("learning", self.learning, self.count)
        if self.pricing == "learned":
            if self.price_high <= self.price_low:
                raise ParameterError(
                    f"{PATH}closed_firms.price_high must exceed price_low ({self.price_low:g})"
                )
            if "n_states" in self.price_learning.params:
                raise ParameterError(
                    f"{PATH}closed_firms.price_learning.params: n_states is set by the market"
                )
            _check_rule_params("price_learning", self.price_learning, self.count)
        return self


class DemandConfig(Schema):
    """Customers and how each niche clears (see :mod:`abm.market.clearing`).

    Examples:
        >>> DemandConfig(rule="logit", niches=20, customers=4.0, precision=5.0).rule
        'logit'
    """

    path = "demand"

    rule: DemandRule = Field(  # type: ignore[valid-type]
        "captive",
        description="captive (Model I: each derivative has its own customers), limit_pricing "
        "(Model II: identical customers buy the best product at its value minus the best "
        "alternative) or logit (heterogeneous customers, Bertrand–Nash prices)",
    )
    niches: Int = Field(1, ge=1, description="number of niches (applications)")
    customers: PerAgent(0.0) = _constant(1.0, "customers n per niche (drawn once per niche)")  # type: ignore[valid-type]
    precision: Real = Field(
        10.0, gt=0.0, description="logit precision 1/σ of customers' valuations (logit only)"
    )
    days_per_period: Real = Field(
        1.0, gt=0.0, description="days one period stands for (revenue is per customer-day)"
    )
    valuations: PerAgent(0.0) = _constant(  # type: ignore[valid-type]
        1.0,
        "valuation scale vᵢ of each customer, drawn per customer (limit_pricing; customer i "
        "values every product at vᵢ × its value)",
    )
    pricing: Pricing = Field(
        "uniform",
        description="with varied valuations: one price per product (uniform) or each customer "
        "pays its own valuation of the premium (discriminate)",
    )

    substitution: Real = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share σ of the next niche's customers who also buy from this niche's "
        "products (limit_pricing, logit)",
    )
    substitution_discount: Real = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share δ of a product's premium over the open model those customers do not "
        "value",
    )

    @property
    def varied_valuations(self) -> bool:
        """Whether customers' valuation scales differ (or differ from 1)."""
        return not (self.valuations.kind == "constant" and self.valuations.value == 1.0)

    @model_validator(mode="after")
    def _per_niche(self) -> DemandConfig:
        _check_lengths(self, ("customers",), self.niches)
        if self.substitution > 0.0 and self.rule == "captive":
            raise ParameterError(
                f"{PATH}.substitution: substitution across niches needs rule = 'limit_pricing' "
                f"or 'logit' (captive customers buy only their own derivative), got 'captive'"
            )
        if self.varied_valuations:
            if self.rule != "limit_pricing":
                raise ParameterError(
                    f"{PATH}.valuations: varied valuations need rule = 'limit_pricing' (logit "
                    f"customers differ already; captive customers have no choice), got "
                    f"{self.rule!r}"
                )
            customers = self.customers
            counts = (
                [customers.value]
                if customers.kind == "constant"
                else customers.values
                if customers.kind == "list"
                else None
            )
            if counts is None or any(float(c) != int(c) or c > _MAX_CUSTOMERS for c in counts):
                raise ParameterError(
                    f"{PATH}.customers: with varied valuations each niche's customers must be a "
                    f"whole number in [0, {_MAX_CUSTOMERS}] (a constant or a list), got "
                    f"{customers.kind}"
                )
        return self


class FrontierConfig(Schema):
    """The open frontier closed firms price against."""

    path = "frontier"

    mode: FrontierMode = Field(
        "endogenous",
        description="endogenous: the best open generalist (ω ≥ open_bar, compute "
        "f⁻¹(α0·value_per_alpha)); exogenous: compute and catch-up given here",
    )
    open_bar: Real = Field(
        0.5, ge=0.0, le=1.0, description="openness from which a released model counts as open"
    )
    value_per_alpha: Real = Field(
        1.0, gt=0.0, description="value per customer-day of one unit of α0"
    )
    floor_compute: Real = Field(
        1.0, gt=0.0, description="open compute when no open model qualifies"
    )
    compute: Real = Field(1.0, gt=0.0, description="exogenous open compute x")
    catchup_compute: Real = Field(
        0.0, ge=0.0, description="exogenous catch-up compute x′ (0: none)"
    )
    catchup_period: Int = Field(
        0,
        ge=0,
        description="period from which x′ applies (counted from 0: step k + 1 of the series)",
    )
    catchup_hazard: Real = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="probability per period that the catch-up arrives, from catchup_period on "
        "(1: it arrives then for sure)",
    )


class FirmSizeConfig(Schema):
    """Model III as a mechanism: in-house applications, ecosystem growth, licence and edge.

    Off by default (no in-house applications): the market is then exactly the market without
    this block. With at least one in-house application anywhere, each generalist's
    applications ``in_house`` (its own products, each in a captive niche of its own, built on
    its base whenever it is released) earn it their whole revenue, and three flows are settled
    each period from what the agents did (``docs/model.md``, "Firm size inside the market"):
    growth (open base: every in-house application's value rises by γ × outsiders' effort on
    the base / all applications on it), licence (closed base: each outside application pays
    the owner ℓ per customer-day it serves) and edge (open base: the owner loses κ per
    customer-day served by the applications on its base).
    """

    path = "firm_size"

    in_house: PerAgent(0.0) = _constant(  # type: ignore[valid-type]
        0.0,
        "in-house applications per generalist (integer counts; 0 everywhere: the mechanism is "
        "off and the market is exactly the market without it)",
    )
    growth_rate: Real = Field(
        1.0,
        ge=0.0,
        description="γ: value per customer-day an open base gains for its owner's in-house "
        "applications per unit of outsiders' effort on it, divided by all applications on it",
    )
    licence_margin: Real = Field(
        0.2,
        ge=0.0,
        description="ℓ: fee an outside application on a closed base pays its owner per "
        "customer-day it serves",
    )
    edge: Real = Field(
        0.05,
        ge=0.0,
        description="κ: what opening gives up, per customer-day served by the applications on "
        "the owner's base (the lead over rivals handed to them)",
    )

    @model_validator(mode="after")
    def _counts(self) -> FirmSizeConfig:
        spec = self.in_house
        values = (
            [spec.value]
            if spec.kind == "constant"
            else list(spec.values)
            if spec.kind == "list"
            else []
        )
        for value in values:
            if value != int(value):
                raise ParameterError(
                    f"{PATH}.in_house must be whole numbers of applications, got {value:g}"
                )
        return self


def _schedule_row(row: Any) -> Any:
    if not isinstance(row, list | tuple) or len(row) != 3:
        raise ParameterError(f"{PATH} must be a row [step, theta, penalty], got {row!r}")
    return list(row)


ScheduleRow = Annotated[
    tuple[
        Annotated[Int, Field(ge=0)],
        Annotated[Real, Field(ge=0.0, le=1.0)],
        Annotated[Real, Field(ge=0.0)],
    ],
    BeforeValidator(_schedule_row),
]


class RegulatorConfig(Schema):
    """The regulator's policy (θ, p).

    Examples:
        >>> RegulatorConfig(theta=0.5, penalty=0.05).mode
        'static'
        >>> RegulatorConfig(theta=2.0)
        Traceback (most recent call last):
        ...
        abm.errors.ParameterError: regulator.theta must be in [0, 1], got 2
    """

    path = "regulator"

    mode: RegulatorMode = Field("static", description="static, schedule or adaptive policy")
    theta: Real = Field(
        0.0, ge=0.0, le=1.0, description="threshold θ (static, and the start of the others)"
    )
    penalty: Real = Field(0.0, ge=0.0, description="penalty p")
    schedule: list[ScheduleRow] = Field(
        default_factory=list,
        description="rows [step, theta, penalty]: from step on the policy is (θ, p)",
    )
    lever: AdaptiveLever = Field("penalty", description="adaptive: which lever moves")
    target_open_share: Real = Field(
        0.5, ge=0.0, le=1.0, description="adaptive: the share of open releases aimed at"
    )
    gain: Real = Field(
        0.05, ge=0.0, description="adaptive: change of the lever per unit of shortfall per period"
    )
    lever_max: Real = Field(
        1.0, ge=0.0, description="adaptive: upper clip of the lever (θ is also clipped to 1)"
    )


class MarketConfig(Schema):
    """Everything a :class:`~abm.market.model.MarketModel` needs.

    Examples:
        >>> config = MarketConfig(
        ...     generalists=GeneralistConfig(count=20),
        ...     specialists=SpecialistConfig(count=60),
        ...     regulator=RegulatorConfig(theta=0.3, penalty=0.05),
        ... )
        >>> config.regulator.theta, config.demand.rule
        (0.3, 'captive')
    """

    path = ""

    generalists: GeneralistConfig = Field(
        default_factory=GeneralistConfig, description="base-model owners"
    )
    specialists: SpecialistConfig = Field(
        default_factory=SpecialistConfig, description="fine-tuners"
    )
    closed_firms: ClosedFirmConfig = Field(
        default_factory=ClosedFirmConfig, description="closed-model firms"
    )
    demand: DemandConfig = Field(
        default_factory=DemandConfig, description="niches, customers and the demand rule"
    )
    frontier: FrontierConfig = Field(
        default_factory=FrontierConfig, description="the open frontier"
    )
    regulator: RegulatorConfig = Field(default_factory=RegulatorConfig, description="the policy")
    firm_size: FirmSizeConfig = Field(
        default_factory=FirmSizeConfig,
        description="Model III as a mechanism: in-house applications, growth, licence, edge "
        "(off unless some generalist has in-house applications)",
    )
    bargaining: Bargaining = Field(
        "fixed",
        description="the institution setting δ: fixed (delta), or a bargaining solution applied "
        "each period to the pair's realised surplus (docs/model.md)",
    )
    delta: Real = Field(FIXED_DELTA, ge=0.0, le=1.0, description="δ under fixed bargaining")
    agent_every: Int = Field(
        0,
        ge=0,
        description="agent-level snapshot every k periods (0: never); a scenario file sets it "
        "from its output block",
    )

    @model_validator(mode="after")
    def _learned_prices_need_logit(self) -> MarketConfig:
        if self.closed_firms.pricing == "learned" and (
            self.demand.rule != "logit" or self.demand.substitution > 0.0
        ):
            raise ParameterError(
                f"{PATH}closed_firms.pricing: learned prices need demand.rule = 'logit' and no "
                "substitution across niches"
            )
        return self

    @model_validator(mode="after")
    def _in_house_per_generalist(self) -> MarketConfig:
        spec = self.firm_size.in_house
        if spec.kind == "list" and len(spec.values) != self.generalists.count:
            raise ParameterError(
                f"{PATH}firm_size.in_house: a list gives one value per generalist, so it needs "
                f"{self.generalists.count} values, got {len(spec.values)}"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (for manifests and scenario files)."""
        return _plain(self.model_dump(warnings=False))

    @classmethod
    def from_dict(cls, data: Any) -> MarketConfig:
        """Build from nested dicts; any problem raises one ParameterError naming its key path.

        Examples:
            >>> MarketConfig.from_dict({"generalists": {"count": 2}}).generalists.count
            2
            >>> MarketConfig.from_dict({"regulator": {"theta": 2}})
            Traceback (most recent call last):
            ...
            abm.errors.ParameterError: regulator.theta must be in [0, 1], got 2
        """
        return cls.parse(data)

    @model_validator(mode="after")
    def _fits_in_memory(self) -> MarketConfig:
        """Refuse, before anything is allocated, a market larger than the memory ceiling."""
        from abm.options import MEMORY_VARIABLE, format_size, memory_limit

        needed = self.memory_estimate()
        try:
            limit = memory_limit()
        except ValueError:
            raise ParameterError(f"${MEMORY_VARIABLE} must be a size such as 8G or 500M") from None
        if needed > limit:
            raise ParameterError(
                f"{PATH}: this market needs about {format_size(needed)} (generalists.count "
                f"{self.generalists.count}, specialists.count {self.specialists.count}, "
                f"closed_firms.count {self.closed_firms.count}), more than the limit "
                f"{format_size(limit)} (abm --max-memory or ${MEMORY_VARIABLE}; default 3/4 of the "
                f"machine's memory)"
            )
        return self

    def validate(self) -> None:  # type: ignore[override]
        """Check the whole tree again (after in-place changes of lists and tables)."""
        type(self).parse(self.to_dict())

    def memory_estimate(self) -> int:
        """Bytes a model of this configuration needs at its peak, estimated before building it.

        The learners' tables dominate: a row per agent and a column per action (generalists:
        openness levels + abstain; specialists: every base + none, and every effort level;
        closed firms: compute levels), each cell about 30 bytes at the peak of a period under
        experience and 60 under counterfactual information (the forgone-payoff arrays and their
        temporaries; measured at 10⁴ agents, ``benchmarks/bench_market.py``), doubled here for
        safety, plus about 1 KiB per agent.
        """
        g, s, c = self.generalists, self.specialists, self.closed_firms
        cells = (
            g.count * (g.openness_levels + 1)
            + s.count * (g.count + 1 + s.effort_levels)
            + c.count * c.levels
        )
        agents = g.count + s.count + c.count + self.demand.niches
        return int(128 * cells + 1024 * agents)

    def check(self) -> None:
        """Everything a model would find when built, without drawing or allocating anything.

        Construction already checks supports, list lengths and every learning rule's
        parameters; this re-checks the tree as it is now.
        """
        self.validate()


def _plain(value: Any) -> Any:
    """Tuples as lists (schedule rows), as ``dataclasses.asdict`` gave them."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- the documentation's table ------------------------------------------------------------------


def _default_text(value: Any) -> str:
    if isinstance(value, Distribution):
        return f"{value.value:g}" if value.kind == "constant" else value.kind
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | dict):
        return f"`{value!r}`"
    return str(value)


def _rows(model: type[Schema], prefix: str) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        base = scalar_type(info.annotation)
        if isinstance(base, type) and issubclass(base, Schema):
            if base is LearningConfig:
                rows.append((key, f"`{default_of(info).rule}`", "a learning rule", _doc(info)))
            rows.extend(_rows(base, f"{key}."))
            continue
        support = next((item for item in info.metadata if isinstance(item, Support)), None)
        if base is Distribution:
            support = support or next(
                item for item in typing.get_args(info.annotation) if isinstance(item, Support)
            )
            what = support.describe()
            meaning = _doc(info)
        elif name == "rule" and model is LearningConfig:
            what = "a registered rule name"
            meaning = _doc(info)
        elif name == "schedule":
            what = "rows `[step, theta, penalty]`: step integer >= 0, theta in [0, 1], penalty >= 0"
            meaning = _doc(info)
        elif name == "params":
            what = "a table"
            meaning = _doc(info)
        else:
            what = accepted(info.annotation, info)
            meaning = _doc(info)
        rows.append((key, _default_text(default_of(info)), what, meaning))
    return rows


def _doc(info: Any) -> str:
    return (info.description or "").replace("|", "\\|")


def parameter_table() -> str:
    """The ``[market]`` keys as a Markdown table (key, default, accepted, meaning)."""
    lines = ["| key | default | accepted | meaning |", "|---|---|---|---|"]
    for key, default, what, meaning in _rows(MarketConfig, ""):
        lines.append(f"| `{key}` | {default} | {what} | {meaning} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "ADAPTIVE_LEVERS",
    "BARGAINING",
    "CLOSED_PRICING",
    "FRONTIERS",
    "INFORMATION",
    "MATCHING",
    "REGULATOR_MODES",
    "VALUE_FUNCTIONS",
    "ClosedFirmConfig",
    "DemandConfig",
    "FirmSizeConfig",
    "FrontierConfig",
    "GeneralistConfig",
    "LearningConfig",
    "MarketConfig",
    "RegulatorConfig",
    "SpecialistConfig",
    "Support",
    "parameter_table",
]
