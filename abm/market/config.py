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

from abm.market.distributions import Distribution, as_distribution
from abm.validation import ParameterError, check_choice, check_range

BARGAINING = ("fixed", "nash", "egalitarian", "kalai_smorodinsky", "generalist")
MATCHING = ("pairs", "sampled", "learned")
EFFORTS = ("best_response", "learned")
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
    """

    rule: str = "best_response"
    params: dict[str, Any] = field(default_factory=dict)


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
        growth_closed: Per-period growth of α0 when closed (Model III; 0 = off).
        growth_open: Per-period growth of α0 when fully open with the whole ecosystem outside.
        ecosystem_weight: Weight w of Model III's opening gain Δ(s) in G's payoff (0 = off).
        growth_value: γ of Model III.
        ecosystem_licensing: ℓ of Model III.
        edge: κ of Model III.
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
    growth_closed: float = 0.0
    growth_open: float = 0.0
    ecosystem_weight: float = 0.0
    growth_value: float = 1.0
    ecosystem_licensing: float = 0.2
    edge: float = 0.05
    learning: LearningConfig = field(default_factory=LearningConfig)


@dataclass
class SpecialistConfig:
    """Fine-tuners (Model I's D).

    Attributes:
        count: Number of specialists, ≥ 0.
        specialist_cost: c_D > 0.
        openness_leverage: λ ≥ 0.
        matching: ``"pairs"`` (specialist j fine-tunes generalist j mod G, fixed),
            ``"sampled"`` (each period, with probability ``revision_rate``, compare the current
            base with one participating generalist drawn uniformly and move if it pays more),
            or ``"learned"`` (the learning rule below chooses among all generalists).
        revision_rate: Probability of revising the base per period (``sampled``).
        learning: The rule choosing the base under ``learned`` matching.
        effort: ``"best_response"`` (α1 at Model I's closed form) or ``"learned"`` (the
            improvement α1 − α0 chosen on a grid by ``effort_learning``).
        effort_levels: Points of the effort grid on [0, effort_max], ≥ 2.
        effort_max: Largest improvement α1 − α0 on the grid, > 0.
        effort_learning: The rule choosing the effort under ``learned`` effort.
    """

    count: int = 1
    specialist_cost: Any = field(default_factory=lambda: _constant(1.0))
    openness_leverage: Any = field(default_factory=lambda: _constant(1.0))
    matching: str = "pairs"
    revision_rate: float = 0.2
    learning: LearningConfig = field(
        default_factory=lambda: LearningConfig("logit", {"precision": 20.0})
    )
    effort: str = "best_response"
    effort_levels: int = 41
    effort_max: float = 2.0
    effort_learning: LearningConfig = field(
        default_factory=lambda: LearningConfig("fictitious_play")
    )


@dataclass
class ClosedFirmConfig:
    """Closed-model firms (Model II), one per niche.

    Attributes:
        count: Number of closed firms, ≥ 0.
        customers: n ≥ 0 customers in the firm's niche.
        initial_compute: Compute of the first level, > 0.
        upgrade_factor: Ratio between consecutive compute levels, > 1.
        levels: Number of compute levels the firm chooses among, ≥ 1.
        compute_cost: Cost per unit of compute over the horizon (amortised per period), ≥ 0.
        horizon_days: m, the days over which compute is amortised, > 0.
        days_per_period: Days one period stands for, > 0.
        value: Value function f: ``"log"`` or ``"power"``.
        learning: The rule choosing the compute level.
    """

    count: int = 0
    customers: Any = field(default_factory=lambda: _constant(1.0))
    initial_compute: Any = field(default_factory=lambda: _constant(4.0))
    upgrade_factor: float = 4.0
    levels: int = 2
    compute_cost: Any = field(default_factory=lambda: _constant(0.0))
    horizon_days: float = 365.0
    days_per_period: float = 1.0
    value: str = "log"
    learning: LearningConfig = field(default_factory=lambda: LearningConfig("fictitious_play"))


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
        frontier: The open frontier.
        regulator: The policy.
        bargaining: Rule for δ: one of :data:`BARGAINING`.
        delta: δ when ``bargaining == "fixed"``.
        agent_every: Take an agent-level snapshot every k periods (0 = never).
    """

    generalists: GeneralistConfig = field(default_factory=GeneralistConfig)
    specialists: SpecialistConfig = field(default_factory=SpecialistConfig)
    closed_firms: ClosedFirmConfig = field(default_factory=ClosedFirmConfig)
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
        for name in ("growth_closed", "growth_open", "ecosystem_weight"):
            check_range(f"generalists.{name}", getattr(g, name), 0.0)
        for name in ("growth_value", "ecosystem_licensing", "edge"):
            check_range(f"generalists.{name}", getattr(g, name), 0.0)
        s = self.specialists
        check_choice("specialists.matching", s.matching, MATCHING)
        check_range("specialists.revision_rate", s.revision_rate, 0.0, 1.0)
        check_choice("specialists.effort", s.effort, EFFORTS)
        _check_count("specialists.effort_levels", s.effort_levels, 2)
        check_range("specialists.effort_max", s.effort_max, 0.0, low_open=True)
        c = self.closed_firms
        check_range("closed_firms.upgrade_factor", c.upgrade_factor, 1.0, low_open=True)
        check_range("closed_firms.horizon_days", c.horizon_days, 0.0, low_open=True)
        check_range("closed_firms.days_per_period", c.days_per_period, 0.0, low_open=True)
        check_choice("closed_firms.value", c.value, ("log", "power"))
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
        from abm.learning import rule_names

        for path, learning in (
            ("generalists.learning.rule", g.learning),
            ("specialists.learning.rule", s.learning),
            ("specialists.effort_learning.rule", s.effort_learning),
            ("closed_firms.learning.rule", c.learning),
        ):
            check_choice(path, learning.rule, rule_names())


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
