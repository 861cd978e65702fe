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
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from abm.errors import ParameterError, check_choice

if TYPE_CHECKING:
    from abm.learning.interface import LearningRule, ParameterSpec

FAMILIES = ("belief", "reinforcement", "evolutionary", "imitation", "no_regret")
"""The learning-theory family of a rule (``LearningRule.family``)."""

USES = ("own_payoff", "forgone_payoffs", "neighbours")
"""What a rule needs from ``LearningRule.observe`` besides the actions and payoffs."""

_CHOICES = {"family": FAMILIES, "uses": USES}
_FLAGS = ("stochastic", "converges", "nonnegative_payoffs")
_TEXTS = ("reference", "summary")

_REGISTRY: dict[str, type[LearningRule]] = {}


@dataclass(frozen=True)
class RuleInfo:
    """Registry metadata of one learning rule (see ``LearningRule`` for each field's meaning).

    Attributes:
        name: Registry name.
        rule_class: The class :func:`make_rule` builds.
        family: One of :data:`FAMILIES`.
        stochastic: Whether ``act`` can draw at random beyond tie-breaking for some
            parameters (``LearningRule.is_stochastic`` answers for an instance).
        uses: One of :data:`USES`.
        converges: Whether the rule is expected to settle on the equilibrium.
        nonnegative_payoffs: Whether the rule with its default parameters needs payoffs ≥ 0
            (``LearningRule.requires_nonnegative_payoffs`` answers for an instance).
        reference: The paper the rule comes from.
        parameters: Declared parameters with defaults and accepted ranges.
        summary: One line describing the rule.
    """

    name: str
    rule_class: type[LearningRule]
    family: str
    stochastic: bool
    uses: str
    converges: bool
    nonnegative_payoffs: bool
    reference: str
    parameters: tuple[ParameterSpec, ...]
    summary: str

    def defaults(self) -> dict[str, Any]:
        """Return the default value of every parameter."""
        return {spec.name: spec.default for spec in self.parameters}


_CRITERIA = tuple(field.name for field in fields(RuleInfo) if field.name != "parameters")


def register_rule(rule_class: type[LearningRule]) -> type[LearningRule]:
    """Class decorator: add a learning rule to the registry under ``rule_class.name``.

    Raises ValueError if the name is taken by another class or the class metadata is missing
    or invalid: ``family`` and ``uses`` must be one of :data:`FAMILIES` and :data:`USES`,
    ``stochastic``, ``converges`` and ``nonnegative_payoffs`` booleans, ``reference`` and
    ``summary`` non-empty strings.
    """
    name = getattr(rule_class, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{rule_class.__name__}: a learning rule needs a non-empty name")
    if name in _REGISTRY and _REGISTRY[name] is not rule_class:
        raise ValueError(f"a learning rule named {name!r} is already registered")
    for field_name, accepted in _CHOICES.items():
        value = getattr(rule_class, field_name, None)
        if value not in accepted:
            raise ValueError(f"{name}: {field_name} must be one of {accepted}, got {value!r}")
    for field_name in _FLAGS:
        value = getattr(rule_class, field_name, None)
        if not isinstance(value, bool):
            raise ValueError(f"{name}: {field_name} must be True or False, got {value!r}")
    for field_name in _TEXTS:
        value = getattr(rule_class, field_name, None)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name}: {field_name} must be a non-empty string, got {value!r}")
    _REGISTRY[name] = rule_class
    return rule_class


def _load_rules() -> None:
    # registration happens on import of each rule module; the package imports them all
    importlib.import_module("abm.learning")


def rule_names() -> tuple[str, ...]:
    """Return the names of all registered learning rules, sorted."""
    _load_rules()
    return tuple(sorted(_REGISTRY))


def rule_info(name: str) -> RuleInfo:
    """Return the registry metadata of the rule called ``name``."""
    _load_rules()
    check_choice("rule", name, sorted(_REGISTRY))
    rule_class = _REGISTRY[name]
    return RuleInfo(
        name=name,
        rule_class=rule_class,
        family=rule_class.family,
        stochastic=rule_class.stochastic,
        uses=rule_class.uses,
        converges=rule_class.converges,
        nonnegative_payoffs=rule_class.nonnegative_payoffs,
        reference=rule_class.reference,
        parameters=rule_class.parameters,
        summary=rule_class.summary,
    )


def rules_where(**criteria: Any) -> tuple[str, ...]:
    """Return the sorted names of the rules whose metadata equal every criterion.

    Criteria are :class:`RuleInfo` fields other than ``parameters``, e.g.
    ``rules_where(uses="own_payoff")`` or ``rules_where(family="belief", stochastic=False)``
    (like Axelrod's ``filtered_strategies``). No criteria: every rule. An unknown field, or a
    ``family`` / ``uses`` value that no rule could have, raises ParameterError.
    """
    for key, value in criteria.items():
        check_choice("criterion", key, _CRITERIA)
        if key in _CHOICES:
            check_choice(key, value, _CHOICES[key])
        elif key in _FLAGS and not isinstance(value, bool):
            raise ParameterError(f"{key} must be True or False, got {value!r}")
    return tuple(
        name
        for name in rule_names()
        if all(getattr(rule_info(name), key) == value for key, value in criteria.items())
    )


def make_rule(
    name: str, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any
) -> LearningRule:
    """Build the registered rule ``name`` for ``n_agents`` agents over ``n_actions`` actions."""
    return rule_info(name).rule_class(n_agents, n_actions, rng, **params)


def resolve_parameters(
    rule_class: type[LearningRule],
    given: Mapping[str, Any],
    n_agents: int,
    n_actions: int | None = None,
) -> dict[str, Any]:
    """Validate ``given`` against the rule's declared parameters and fill in defaults.

    Each parameter is checked against its :class:`~abm.learning.interface.ParameterSpec`, then
    the whole set against the rule's joint domain (``rule_class.check_domain``, e.g. EWA's
    ρ ≤ φ). ``n_actions`` checks the length of per-action values; None (a configuration
    checked before the action grid is known) skips that check.
    """
    declared = {spec.name: spec for spec in rule_class.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        accepted = ", ".join(declared) or "none"
        raise ParameterError(
            f"unknown parameter {unknown[0]!r} for the {rule_class.name} rule "
            f"(accepted: {accepted})"
        )
    resolved = {
        name: spec.validate(given.get(name, spec.default), n_agents, n_actions)
        for name, spec in declared.items()
    }
    rule_class.check_domain(resolved)
    return resolved
