"""The learning-rule interface, parameter metadata, the registry and shared choice helpers.

A :class:`LearningRule` holds the state of ``n_agents`` agents that each choose among the same
``n_actions`` discrete actions (for instance openness levels on a grid). A model drives it with
one cycle per period::

    actions = rule.act()                       # one action index per agent
    ...                                        # the model computes what everyone earned
    rule.observe(actions, payoffs, forgone=forgone, neighbours=neighbours)
    rule.update()                              # fold the observation into the state

``act`` and ``probabilities`` never change the learning state (``act`` only draws from the
rule's random generator), so a model may observe every agent first and update afterwards.
Every random draw comes from the ``numpy.random.Generator`` given at construction: the same seed
gives the same sequence, bit for bit.
"""

from __future__ import annotations

import importlib
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.validation import ParameterError, check_choice, check_range, describe_range

USES = ("own_payoff", "forgone_payoffs", "neighbours")
"""What a rule needs from :meth:`LearningRule.observe` besides the actions and payoffs."""

TIE_BREAKS = ("lowest", "random")
"""How an argmax with several maximisers is resolved: lowest action index, or uniformly."""

_TIE_RELATIVE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a learning rule: default, accepted values and meaning.

    Attributes:
        name: Keyword accepted by the rule's constructor.
        default: Value used when the keyword is not given (``None`` only if ``optional``).
        description: One line on what the parameter means (with its usual symbol).
        low: Lower bound of a numeric parameter.
        high: Upper bound of a numeric parameter.
        low_open: Exclude ``low``.
        high_open: Exclude ``high``.
        choices: The accepted strings of a categorical parameter (then bounds are ignored).
        integer: The parameter must be a whole number (a scalar).
        per_agent: A numeric parameter may be one value per agent (an array of shape
            ``(n_agents,)``) instead of a scalar.
        optional: ``None`` is accepted (its meaning is given in ``description``).
    """

    name: str
    default: Any
    description: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    integer: bool = False
    per_agent: bool = False
    optional: bool = False

    def accepted(self) -> str:
        """Return the accepted values in words, e.g. ``[0, 1)`` or ``one of lowest, random``."""
        if self.choices is not None:
            return "one of " + ", ".join(self.choices)
        interval = describe_range(
            self.low, self.high, low_open=self.low_open, high_open=self.high_open
        )
        kind = "an integer in " if self.integer else ""
        return kind + interval + (" or None" if self.optional else "")

    def validate(self, value: Any, n_agents: int) -> Any:
        """Return ``value`` checked and normalised, or raise ParameterError naming the parameter.

        Scalars come back as ``float``/``int``/``str``; per-agent arrays as float arrays of
        shape ``(n_agents,)``.
        """
        if value is None:
            if self.optional:
                return None
            raise ParameterError(f"{self.name} must be {self.accepted()}, got None")
        if self.choices is not None:
            check_choice(self.name, value, self.choices)
            return value
        if isinstance(value, str | bytes | bool):
            raise ParameterError(f"{self.name} must be {self.accepted()}, got {value!r}")
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name} must be {self.accepted()}, got {value!r}") from None
        check_range(
            self.name, array, self.low, self.high, low_open=self.low_open, high_open=self.high_open
        )
        if array.ndim == 0:
            if self.integer:
                if array != np.round(array):
                    raise ParameterError(
                        f"{self.name} must be {self.accepted()}, got {float(array):g}"
                    )
                return int(array)
            return float(array)
        if not self.per_agent or self.integer:
            raise ParameterError(
                f"{self.name} must be a scalar, got an array of shape {array.shape}"
            )
        if array.shape != (n_agents,):
            raise ParameterError(
                f"{self.name} must be a scalar or one value per agent (shape ({n_agents},)), "
                f"got shape {array.shape}"
            )
        return array.copy()


class Neighbourhood(NamedTuple):
    """Who each agent can see, in compressed-sparse-row form.

    The neighbours of agent ``i`` are ``indices[indptr[i]:indptr[i + 1]]``.
    """

    indptr: NDArray[np.intp]
    indices: NDArray[np.intp]

    @property
    def degrees(self) -> NDArray[np.intp]:
        """Number of neighbours of each agent."""
        return np.diff(self.indptr)

    @classmethod
    def from_lists(cls, lists: Sequence[ArrayLike]) -> Neighbourhood:
        """Build from one array of neighbour indices per agent."""
        arrays = [np.asarray(item, dtype=np.intp).ravel() for item in lists]
        lengths = np.fromiter((len(item) for item in arrays), dtype=np.intp, count=len(arrays))
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.intp)
        indices = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.intp)
        return cls(indptr, indices.astype(np.intp, copy=False))

    @classmethod
    def from_graph(cls, graph: Any, nodes: Sequence[Any] | None = None) -> Neighbourhood:
        """Build from a networkx graph; agent ``i`` is ``nodes[i]`` (default: ``graph.nodes``).

        For a directed graph an agent's neighbours are its successors (whom it observes).
        """
        import networkx as nx  # only needed here

        order = list(graph.nodes) if nodes is None else list(nodes)
        matrix = nx.to_scipy_sparse_array(graph, nodelist=order, weight=None, format="csr")
        return cls.from_sparse(matrix)

    @classmethod
    def from_sparse(cls, matrix: Any) -> Neighbourhood:
        """Build from a scipy sparse adjacency matrix (row ``i`` lists whom ``i`` observes)."""
        csr = matrix.tocsr()
        csr.sort_indices()
        return cls(csr.indptr.astype(np.intp), csr.indices.astype(np.intp))


class Observation(NamedTuple):
    """What one period showed the agents; built and checked by :meth:`LearningRule.observe`."""

    actions: NDArray[np.intp]
    payoffs: NDArray[np.float64]
    forgone: NDArray[np.float64] | None
    neighbours: Neighbourhood | None


def as_neighbourhood(neighbours: Any, n_agents: int) -> Neighbourhood:
    """Convert and check neighbours given in any of the accepted forms.

    Accepted: a :class:`Neighbourhood`, ``(indptr, indices)``, a list of index arrays, a scipy
    sparse matrix or a networkx graph (agents are its nodes in order).
    """
    if isinstance(neighbours, Neighbourhood):
        result = neighbours
    elif hasattr(neighbours, "tocsr"):
        result = Neighbourhood.from_sparse(neighbours)
    elif hasattr(neighbours, "adj"):
        result = Neighbourhood.from_graph(neighbours)
    elif (
        isinstance(neighbours, tuple)
        and len(neighbours) == 2
        and np.ndim(neighbours[0]) == 1
        and len(neighbours[0]) == n_agents + 1
    ):
        result = Neighbourhood(
            np.asarray(neighbours[0], dtype=np.intp), np.asarray(neighbours[1], dtype=np.intp)
        )
    else:
        result = Neighbourhood.from_lists(neighbours)
    if result.indptr.shape != (n_agents + 1,):
        raise ParameterError(
            f"neighbours must describe {n_agents} agents, got {len(result.indptr) - 1}"
        )
    if result.indices.size and (result.indices.min() < 0 or result.indices.max() >= n_agents):
        raise ParameterError(f"neighbours must be agent indices in [0, {n_agents - 1}]")
    return result


def softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the row-wise softmax of ``scores`` (shape ``(..., K)``), stable for large scores."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample_categorical(
    probabilities: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.intp]:
    """Draw one action per row of ``probabilities`` (shape ``(n, K)``) by inverse CDF."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(probabilities.shape[0]) * cumulative[:, -1]
    # count how many CDF steps lie below each draw; clip guards against rounding at the top
    chosen = (cumulative <= draws[:, None]).sum(axis=1)
    return np.minimum(chosen, probabilities.shape[1] - 1).astype(np.intp, copy=False)


def maximisers(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Mark the entries of each row within a relative 1e-12 of the row maximum."""
    top = values.max(axis=1, keepdims=True)
    return values >= top - _TIE_RELATIVE_TOLERANCE * (1.0 + np.abs(top))


def argmax_ties(
    values: NDArray[np.float64], tie_break: str, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Row-wise argmax of ``values`` with ties broken to the lowest index or uniformly.

    Values within a relative 1e-12 of the row maximum count as tied, so that rounding in
    running averages does not decide between actions that are equally good.
    """
    if tie_break == "lowest":
        return np.argmax(maximisers(values), axis=1)
    # a uniform random key on the maximisers and -1 elsewhere picks a maximiser uniformly
    keys = np.where(maximisers(values), rng.random(values.shape), -1.0)
    return np.argmax(keys, axis=1)


def argmax_distribution(values: NDArray[np.float64], tie_break: str) -> NDArray[np.float64]:
    """The mixed strategy that :func:`argmax_ties` samples from, shape like ``values``."""
    if tie_break == "lowest":
        result = np.zeros_like(values, dtype=float)
        result[np.arange(values.shape[0]), np.argmax(maximisers(values), axis=1)] = 1.0
        return result
    best = maximisers(values).astype(float)
    return best / best.sum(axis=1, keepdims=True)


def one_hot(actions: NDArray[np.intp], n_actions: int) -> NDArray[np.float64]:
    """Return an ``(n, n_actions)`` array with a 1 at each agent's action."""
    result = np.zeros((actions.shape[0], n_actions))
    result[np.arange(actions.shape[0]), actions] = 1.0
    return result


def column(value: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Make a scalar or per-agent parameter broadcast against ``(n_agents, n_actions)``."""
    return value[:, None] if isinstance(value, np.ndarray) else value


class LearningRule(ABC):
    """Population of ``n_agents`` agents learning over the same ``n_actions`` actions.

    Subclasses set the class metadata and implement :meth:`act`, :meth:`probabilities` and
    :meth:`_learn`. Parameters are keyword arguments declared in ``parameters``; each is
    validated (unknown names and out-of-range values raise ParameterError naming the
    parameter) and stored in ``self.params``.

    Attributes:
        name: Registry name.
        stochastic: Whether ``act`` draws at random beyond tie-breaking.
        uses: What ``observe`` must be given: ``"own_payoff"`` (actions and realised payoffs),
            ``"forgone_payoffs"`` (also each action's payoff given what others did) or
            ``"neighbours"`` (also who each agent observes).
        converges: Whether the rule is expected to settle on the equilibrium in the spec's
            validation (one generalist, one specialist).
        parameters: Declared parameters with defaults and accepted ranges.
        summary: One line describing the rule.
    """

    name: ClassVar[str]
    stochastic: ClassVar[bool]
    uses: ClassVar[str]
    converges: ClassVar[bool]
    parameters: ClassVar[tuple[ParameterSpec, ...]] = ()
    summary: ClassVar[str] = ""

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        check_range("n_agents", n_agents, 1)
        check_range("n_actions", n_actions, 1)
        if int(n_agents) != n_agents or int(n_actions) != n_actions:
            raise ParameterError("n_agents and n_actions must be whole numbers")
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
        self.n_agents = int(n_agents)
        self.n_actions = int(n_actions)
        self.rng = rng
        self.params: dict[str, Any] = resolve_parameters(type(self), params, self.n_agents)
        self.periods = 0  # number of completed updates
        self._pending: Observation | None = None
        self._agent_index = np.arange(self.n_agents)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_agents={self.n_agents}, n_actions={self.n_actions}, "
            f"params={self.params})"
        )

    @property
    def requires_forgone(self) -> bool:
        """Whether :meth:`observe` must be given ``forgone`` payoffs."""
        return self.uses == "forgone_payoffs"

    @abstractmethod
    def act(self) -> NDArray[np.intp]:
        """Return one action index per agent, shape ``(n_agents,)``."""

    @abstractmethod
    def probabilities(self) -> NDArray[np.float64]:
        """Return the current mixed strategy of every agent, shape ``(n_agents, n_actions)``."""

    def observe(
        self,
        actions: ArrayLike,
        payoffs: ArrayLike,
        forgone: ArrayLike | None = None,
        neighbours: Any = None,
    ) -> None:
        """Record one period: the actions played and what they earned.

        Args:
            actions: Action index each agent played, shape ``(n_agents,)``.
            payoffs: Realised payoff of each agent, shape ``(n_agents,)``.
            forgone: Payoff each action would have earned each agent this period given what
                the others did, shape ``(n_agents, n_actions)``; required by rules that use
                forgone payoffs, ignored by the others.
            neighbours: Whom each agent observes (see :func:`as_neighbourhood`); used by
                imitation, where ``None`` means a well-mixed population.
        """
        action_array = np.asarray(actions)
        if action_array.shape != (self.n_agents,) or action_array.dtype.kind not in "iu":
            raise ParameterError(
                f"actions must be {self.n_agents} integer action indices, "
                f"got shape {action_array.shape} of {action_array.dtype}"
            )
        action_array = action_array.astype(np.intp, copy=False)
        # one pass: negative indices wrap to huge unsigned values
        if (action_array.view(np.uintp) >= self.n_actions).any():
            raise ParameterError(f"actions must be in [0, {self.n_actions - 1}]")
        payoff_array = np.asarray(payoffs, dtype=float)
        if payoff_array.shape != (self.n_agents,):
            raise ParameterError(
                f"payoffs must have shape ({self.n_agents},), got {payoff_array.shape}"
            )
        if not math.isfinite(payoff_array.sum()):  # a NaN or infinity poisons the sum
            raise ParameterError("payoffs must be finite")
        forgone_array = None
        if self.requires_forgone:
            if forgone is None:
                raise ParameterError(f"forgone payoffs are required by the {self.name} rule")
            forgone_array = np.asarray(forgone, dtype=float)
            if forgone_array.shape != (self.n_agents, self.n_actions):
                raise ParameterError(
                    f"forgone must have shape ({self.n_agents}, {self.n_actions}), "
                    f"got {forgone_array.shape}"
                )
            if not math.isfinite(forgone_array.sum()):
                raise ParameterError("forgone payoffs must be finite")
        neighbourhood = None
        if self.uses == "neighbours" and neighbours is not None:
            neighbourhood = as_neighbourhood(neighbours, self.n_agents)
        self._pending = Observation(action_array, payoff_array, forgone_array, neighbourhood)

    def update(self) -> None:
        """Fold the last observation into the state; raises RuntimeError if none is pending."""
        if self._pending is None:
            raise RuntimeError(f"{self.name}: update() called without a pending observe()")
        self._learn(self._pending)
        self._pending = None
        self.periods += 1

    @abstractmethod
    def _learn(self, observation: Observation) -> None:
        """Change the state given one checked observation."""


# --- registry ---------------------------------------------------------------------------------

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
