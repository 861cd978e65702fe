"""The registry of learning rules: registration, look-up by name and metadata, construction.

Each rule class declares its metadata as class attributes (see
:class:`~abm.learning.interface.LearningRule`); :func:`register_rule` checks and records it,
:func:`rule_info` returns it as a :class:`RuleInfo`, :func:`make_rule` builds a rule by name, and
:func:`resolve_parameters` validates keyword parameters against the declared
:class:`~abm.learning.interface.ParameterSpec` list.

This module does not import the interface at run time (the interface uses
:func:`resolve_parameters`), so the dependency runs one way: interface → registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from abm.validation import ParameterError, check_choice

if TYPE_CHECKING:
    from abm.learning.interface import LearningRule, ParameterSpec

USES = ("own_payoff", "forgone_payoffs", "neighbours")
"""What a rule needs from ``LearningRule.observe`` besides the actions and payoffs."""

_REGISTRY: dict[str, type[LearningRule]] = {}


@dataclass(frozen=True)
class RuleInfo:
    """Registry metadata of one learning rule."""

    name: str
    rule_class: type[LearningRule]
    stochastic: bool
    uses: str
    converges: bool
    parameters: tuple[ParameterSpec, ...]
    summary: str

    def defaults(self) -> dict[str, Any]:
        """Return the default value of every parameter."""
        return {spec.name: spec.default for spec in self.parameters}


def register_rule(rule_class: type[LearningRule]) -> type[LearningRule]:
    """Class decorator: add a learning rule to the registry under ``rule_class.name``."""
    name = rule_class.name
    if name in _REGISTRY and _REGISTRY[name] is not rule_class:
        raise ValueError(f"a learning rule named {name!r} is already registered")
    if rule_class.uses not in USES:
        raise ValueError(f"{name}: uses must be one of {USES}, got {rule_class.uses!r}")
    _REGISTRY[name] = rule_class
    return rule_class


def _load_families() -> None:
    # registration happens on import of each family module; the package imports them all
    importlib.import_module("abm.learning")


def rule_names() -> tuple[str, ...]:
    """Return the names of all registered learning rules, sorted."""
    _load_families()
    return tuple(sorted(_REGISTRY))


def rule_info(name: str) -> RuleInfo:
    """Return the registry metadata of the rule called ``name``."""
    _load_families()
    check_choice("rule", name, sorted(_REGISTRY))
    rule_class = _REGISTRY[name]
    return RuleInfo(
        name=name,
        rule_class=rule_class,
        stochastic=rule_class.stochastic,
        uses=rule_class.uses,
        converges=rule_class.converges,
        parameters=rule_class.parameters,
        summary=rule_class.summary,
    )


def make_rule(
    name: str, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any
) -> LearningRule:
    """Build the registered rule ``name`` for ``n_agents`` agents over ``n_actions`` actions."""
    return rule_info(name).rule_class(n_agents, n_actions, rng, **params)


def resolve_parameters(
    rule_class: type[LearningRule], given: Mapping[str, Any], n_agents: int
) -> dict[str, Any]:
    """Validate ``given`` against the rule's declared parameters and fill in defaults."""
    declared = {spec.name: spec for spec in rule_class.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        accepted = ", ".join(declared) or "none"
        raise ParameterError(
            f"unknown parameter {unknown[0]!r} for the {rule_class.name} rule "
            f"(accepted: {accepted})"
        )
    return {
        name: spec.validate(given.get(name, spec.default), n_agents)
        for name, spec in declared.items()
    }
