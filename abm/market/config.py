"""The market's configuration: a tree of plain dataclasses with the spec's defaults.

Every leaf is a number, a string, a list or a :class:`~abm.market.distributions.Distribution`
(per-agent parameters), so a scenario file (TOML) maps onto it one to one
(:meth:`MarketConfig.from_dict`). :meth:`MarketConfig.validate` checks everything that does not
need random draws and raises one :class:`ParameterError` naming the parameter by its dotted
path (``generalists.count``, ``regulator.mode``, ...).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from abm.errors import ParameterError, check_choice, check_range
from abm.market.clearing import DEMAND_RULES
from abm.market.distributions import Distribution, as_distribution

BARGAINING = ("fixed", "nash", "egalitarian", "kalai_smorodinsky", "generalist")
MATCHING = ("pairs", "learned")
INFORMATION = ("experienced", "counterfactual")
REGULATOR_MODES = ("static", "schedule", "adaptive")
ADAPTIVE_LEVERS = ("theta", "penalty")
FRONTIERS = ("endogenous", "exogenous")


def _constant(value: float) -> Distribution:
    return Distribution("constant", value=value)


@dataclass
class LearningConfig:
    """A learning rule from :mod:`abm.learning` and its parameters.

    Attributes:
        rule: Registry name (see ``abm.learning.rule_names()``).
        params: Keyword parameters of the rule (validated by the rule).
        information: ``"experienced"`` (the rule sees only its own realised payoff) or
            ``"counterfactual"`` (it also sees what every other action would have earned this
            period, from re-clearing the market with that one deviation). A rule that needs
            forgone payoffs cannot learn from experience alone.
        revision_rate: Share of the agents that may change their action each period, in
            (0, 1]; the others repeat theirs (all of them still learn from the period).
    """

    rule: str = "q_learning"
    params: dict[str, Any] = field(default_factory=dict)
    information: str = "experienced"
    revision_rate: float = 1.0


@dataclass
class GeneralistConfig:
    """Base-model owners (Model I's G). Distributions give one value per agent.

    Attributes:
        count: Number of generalists, ≥ 1.
        alpha0: Base-model performance α0 > 0.
        licensing: β ≥ 0.
        reputation: ε ≥ 0.
        operation: o ≥ 0.
        compliance: k > 0.
        production: c0 ≥ 0.
        openness_levels: Resolution of the ω grid (points on [0, 1], ≥ 2).
        allow_abstain: Whether leaving the market is an action.
        learning: The rule that chooses ω (or abstention).
    """

    count: int = 1
    alpha0: Any = field(default_factory=lambda: _constant(1.0))
    licensing: Any = field(default_factory=lambda: _constant(0.3))
    reputation: Any = field(default_factory=lambda: _constant(0.05))
    operation: Any = field(default_factory=lambda: _constant(0.05))
    compliance: Any = field(default_factory=lambda: _constant(0.2))
    production: Any = field(default_factory=lambda: _constant(0.2))
    openness_levels: int = 51
    allow_abstain: bool = True
    learning: LearningConfig = field(default_factory=LearningConfig)


@dataclass
class SpecialistConfig:
    """Fine-tuners (Model I's D). Each serves one niche, drawn uniformly at creation.

    Attributes:
        count: Number of specialists, ≥ 0.
        specialist_cost: c_D > 0.
        openness_leverage: λ ≥ 0.
        matching: ``"pairs"`` (specialist j fine-tunes generalist j mod G, fixed) or
            ``"learned"`` (``learning`` chooses a base among all generalists, or none).
        learning: The rule choosing the base under ``learned`` matching.
        effort_levels: Points of the effort grid on [0, effort_max], ≥ 2.
        effort_max: Largest improvement α1 − α0 on the grid, > 0.
        effort_learning: The rule choosing the effort e = α1 − α0.
    """

    count: int = 1
    specialist_cost: Any = field(default_factory=lambda: _constant(1.0))
    openness_leverage: Any = field(default_factory=lambda: _constant(1.0))
    matching: str = "pairs"
    learning: LearningConfig = field(default_factory=LearningConfig)
    effort_levels: int = 41
    effort_max: float = 1.0
    effort_learning: LearningConfig = field(default_factory=LearningConfig)


@dataclass
class ClosedFirmConfig:
    """Closed-model firms (Model II); firm f sells in niche f mod ``demand.niches``.

    Attributes:
        count: Number of closed firms, ≥ 0.
        initial_compute: Compute of the first level, > 0.
        upgrade_factor: Ratio between consecutive compute levels, > 1.
        levels: Number of compute levels the firm chooses among, ≥ 1.
        compute_cost: Cost per unit of compute over the horizon (amortised per period), ≥ 0.
        horizon_days: m, the days over which compute is amortised, > 0.
        value: Value function f: ``"log"`` or ``"power"``.
        learning: The rule choosing the compute level.
    """

    count: int = 0
    initial_compute: Any = field(default_factory=lambda: _constant(4.0))
    upgrade_factor: float = 4.0
    levels: int = 2
    compute_cost: Any = field(default_factory=lambda: _constant(0.0))
    horizon_days: float = 365.0
    value: str = "log"
    learning: LearningConfig = field(default_factory=LearningConfig)


@dataclass
class DemandConfig:
    """Customers and how each niche clears (see :mod:`abm.market.clearing`).

    Attributes:
        rule: ``"captive"`` (Model I: each derivative has its own customers), ``"limit_pricing"``
            (Model II: identical customers buy the best product at its value minus the best
            alternative) or ``"logit"`` (heterogeneous customers, Bertrand–Nash prices).
        niches: Number of niches (applications), ≥ 1.
        customers: Customers n per niche (drawn once per niche), ≥ 0.
        precision: Logit precision 1/σ of customers' valuations, > 0 (``logit`` only).
        days_per_period: Days one period stands for, > 0 (revenue is per customer-day).
    """

    rule: str = "captive"
    niches: int = 1
    customers: Any = field(default_factory=lambda: _constant(1.0))
    precision: float = 10.0
    days_per_period: float = 1.0


@dataclass
class FrontierConfig:
    """The open frontier closed firms price against.

    Attributes:
        mode: ``"endogenous"`` (the best open generalist: ω ≥ ``open_bar``, compute
            f⁻¹(α0·``value_per_alpha``)) or ``"exogenous"`` (given below).
        open_bar: Openness from which a released model counts as open, in [0, 1].
        value_per_alpha: Value per customer-day of one unit of α0, > 0.
        floor_compute: Open compute when no open model qualifies, > 0.
        compute: Exogenous open compute x > 0.
        catchup_compute: Exogenous catch-up x′ (≤ 0: none).
        catchup_period: Period from which x′ applies.
    """

    mode: str = "endogenous"
    open_bar: float = 0.5
    value_per_alpha: float = 1.0
    floor_compute: float = 1.0
    compute: float = 1.0
    catchup_compute: float = 0.0
    catchup_period: int = 0


@dataclass
class RegulatorConfig:
    """The regulator's policy (θ, p).

    Attributes:
        mode: ``"static"``, ``"schedule"`` or ``"adaptive"``.
        theta: Threshold θ ∈ [0, 1] (static, and the start of the others).
        penalty: Penalty p ≥ 0.
        schedule: ``[[step, theta, penalty], ...]``: from ``step`` on the policy is (θ, p).
        lever: Adaptive: which of ``"theta"`` or ``"penalty"`` moves.
        target_open_share: Adaptive: the share of open releases (ω ≥ open bar) aimed at.
        gain: Adaptive: change of the lever per unit of shortfall per period, ≥ 0.
        lever_max: Adaptive: upper clip of the lever (θ is also clipped to [0, 1]).
    """

    mode: str = "static"
    theta: float = 0.0
    penalty: float = 0.0
    schedule: list[list[float]] = field(default_factory=list)
    lever: str = "penalty"
    target_open_share: float = 0.5
    gain: float = 0.05
    lever_max: float = 1.0


@dataclass
class MarketConfig:
    """Everything a :class:`~abm.market.model.MarketModel` needs.

    Attributes:
        generalists: Base-model owners.
        specialists: Fine-tuners.
        closed_firms: Closed-model firms.
        demand: Niches, customers and the demand rule.
        frontier: The open frontier.
        regulator: The policy.
        bargaining: The institution setting δ: ``"fixed"`` (``delta``), or a bargaining
            solution applied each period to the pair's realised surplus (revenue minus the
            specialist's effort cost, disagreement (0, 0)); see ``docs/model.md``.
        delta: δ when ``bargaining == "fixed"``.
        agent_every: Take an agent-level snapshot every k periods (0 = never).
    """

    generalists: GeneralistConfig = field(default_factory=GeneralistConfig)
    specialists: SpecialistConfig = field(default_factory=SpecialistConfig)
    closed_firms: ClosedFirmConfig = field(default_factory=ClosedFirmConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    frontier: FrontierConfig = field(default_factory=FrontierConfig)
    regulator: RegulatorConfig = field(default_factory=RegulatorConfig)
    bargaining: str = "fixed"
    delta: float = 0.5
    agent_every: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (for manifests and scenario files)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketConfig:
        """Build from nested dicts; unknown keys raise ParameterError naming them."""
        return _build(cls, data, "")

    def check(self) -> None:
        """Everything :meth:`validate` checks, plus what a model would find when built.

        Distribution supports and list lengths, and every learning rule's parameters against
        its declared ranges, without drawing or allocating anything: a scenario is checked
        without building a market.
        """
        self.validate()
        g, s, c = self.generalists, self.specialists, self.closed_firms
        positive = {"alpha0", "compliance"}
        for name in ("alpha0", "licensing", "reputation", "operation", "compliance", "production"):
            _check_distribution(
                f"generalists.{name}", getattr(g, name), g.count, 0.0, name in positive
            )
        _check_distribution("specialists.specialist_cost", s.specialist_cost, s.count, 0.0, True)
        _check_distribution(
            "specialists.openness_leverage", s.openness_leverage, s.count, 0.0, False
        )
        _check_distribution("closed_firms.initial_compute", c.initial_compute, c.count, 0.0, True)
        _check_distribution("closed_firms.compute_cost", c.compute_cost, c.count, 0.0, False)
        _check_distribution(
            "demand.customers", self.demand.customers, self.demand.niches, 0.0, False
        )
        for path, learning, count in (
            ("generalists.learning", g.learning, g.count),
            ("specialists.learning", s.learning, s.count),
            ("specialists.effort_learning", s.effort_learning, s.count),
            ("closed_firms.learning", c.learning, c.count),
        ):
            _check_rule_params(path, learning, count)

    def validate(self) -> None:
        """Check every field that needs no random draw; raise ParameterError naming it."""
        _check_count("generalists.count", self.generalists.count, 1)
        _check_count("specialists.count", self.specialists.count, 0)
        _check_count("closed_firms.count", self.closed_firms.count, 0)
        _check_count("generalists.openness_levels", self.generalists.openness_levels, 2)
        _check_count("closed_firms.levels", self.closed_firms.levels, 1)
        _check_count("agent_every", self.agent_every, 0)
        g = self.generalists
        for name in ("alpha0", "licensing", "reputation", "operation", "compliance", "production"):
            as_distribution(getattr(g, name), f"generalists.{name}").check(f"generalists.{name}")
        s = self.specialists
        check_choice("specialists.matching", s.matching, MATCHING)
        _check_count("specialists.effort_levels", s.effort_levels, 2)
        check_range("specialists.effort_max", s.effort_max, 0.0, low_open=True)
        c = self.closed_firms
        check_range("closed_firms.upgrade_factor", c.upgrade_factor, 1.0, low_open=True)
        check_range("closed_firms.horizon_days", c.horizon_days, 0.0, low_open=True)
        check_choice("closed_firms.value", c.value, ("log", "power"))
        d = self.demand
        check_choice("demand.rule", d.rule, DEMAND_RULES)
        _check_count("demand.niches", d.niches, 1)
        as_distribution(d.customers, "demand.customers").check("demand.customers")
        check_range("demand.precision", d.precision, 0.0, low_open=True)
        check_range("demand.days_per_period", d.days_per_period, 0.0, low_open=True)
        f = self.frontier
        check_choice("frontier.mode", f.mode, FRONTIERS)
        check_range("frontier.open_bar", f.open_bar, 0.0, 1.0)
        check_range("frontier.value_per_alpha", f.value_per_alpha, 0.0, low_open=True)
        check_range("frontier.floor_compute", f.floor_compute, 0.0, low_open=True)
        check_range("frontier.compute", f.compute, 0.0, low_open=True)
        check_range("frontier.catchup_compute", f.catchup_compute, 0.0)
        _check_count("frontier.catchup_period", f.catchup_period, 0)
        r = self.regulator
        check_choice("regulator.mode", r.mode, REGULATOR_MODES)
        check_range("regulator.theta", r.theta, 0.0, 1.0)
        check_range("regulator.penalty", r.penalty, 0.0)
        check_choice("regulator.lever", r.lever, ADAPTIVE_LEVERS)
        check_range("regulator.target_open_share", r.target_open_share, 0.0, 1.0)
        check_range("regulator.gain", r.gain, 0.0)
        check_range("regulator.lever_max", r.lever_max, 0.0)
        for row in r.schedule:
            if len(row) != 3:
                raise ParameterError(
                    f"regulator.schedule rows must be [step, theta, penalty], got {row!r}"
                )
            _check_count("regulator.schedule step", row[0], 0)
            check_range("regulator.schedule theta", row[1], 0.0, 1.0)
            check_range("regulator.schedule penalty", row[2], 0.0)
        check_choice("bargaining", self.bargaining, BARGAINING)
        check_range("delta", self.delta, 0.0, 1.0)
        for path, learning in (
            ("generalists.learning", g.learning),
            ("specialists.learning", s.learning),
            ("specialists.effort_learning", s.effort_learning),
            ("closed_firms.learning", c.learning),
        ):
            _check_learning(path, learning)


def _check_distribution(path: str, spec: Any, count: int, low: float, low_open: bool) -> None:
    """A per-agent distribution: its kind, its support against the range, a list's length."""
    distribution = as_distribution(spec, path)
    distribution.check(path)
    support_low, _ = distribution.support()
    if support_low < low or (low_open and support_low <= low):
        bracket = "(" if low_open else "["
        raise ParameterError(
            f"{path} must be in {bracket}{low:g}, inf), but its {distribution.kind} distribution "
            f"reaches {support_low:g}"
        )
    if distribution.kind == "list" and len(distribution.values) != count:
        raise ParameterError(
            f"{path}: a list gives one value per agent, so it needs {count} values, "
            f"got {len(distribution.values)}"
        )


def _check_rule_params(path: str, learning: LearningConfig, count: int) -> None:
    """A rule's parameters, checked against its declared ranges (nothing is allocated)."""
    from abm.learning import rule_info
    from abm.learning.registry import resolve_parameters

    if not isinstance(learning.params, dict):
        raise ParameterError(f"{path}.params must be a table, got {learning.params!r}")
    try:
        resolve_parameters(rule_info(learning.rule).rule_class, learning.params, max(count, 1))
    except ParameterError as error:
        raise ParameterError(f"{path}.params: {error}") from None


def _check_learning(path: str, learning: LearningConfig) -> None:
    from abm.learning import rule_info, rule_names

    check_choice(f"{path}.rule", learning.rule, rule_names())
    check_choice(f"{path}.information", learning.information, INFORMATION)
    check_range(f"{path}.revision_rate", learning.revision_rate, 0.0, 1.0, low_open=True)
    if learning.information == "experienced" and rule_info(learning.rule).uses == (
        "forgone_payoffs"
    ):
        raise ParameterError(
            f"{path}.information: the {learning.rule} rule needs forgone payoffs, so it must "
            f"be 'counterfactual' (rules that learn from experience: "
            f"{', '.join(n for n in rule_names() if rule_info(n).uses != 'forgone_payoffs')})"
        )


def _check_count(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    if math.isinf(value):
        raise ParameterError(f"{name} must be finite, got {value!r}")


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ParameterError(f"{prefix.rstrip('.') or 'config'} must be a table, got {data!r}")
    known = {item.name: item for item in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter {prefix}{unknown[0]}")
    values = {}
    for name, value in data.items():
        default = known[name].default_factory() if callable(known[name].default_factory) else None
        if is_dataclass(default) and not isinstance(default, Distribution):
            values[name] = _build(type(default), value, f"{prefix}{name}.")
        elif isinstance(default, Distribution):
            values[name] = as_distribution(value, f"{prefix}{name}")
        else:
            values[name] = value
    return cls(**values)
