"""The learning-rule interface: :class:`LearningRule`, :class:`Observation`, :class:`ParameterSpec`.

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

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_choice, check_range, describe_range
from abm.learning.neighbourhood import Neighbourhood, as_neighbourhood
from abm.learning.registry import resolve_parameters
from abm.learning.streams import ReplicaStreams


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
        per_action: A numeric parameter may also be one value per action: a two-dimensional
            array of shape ``(1, n_actions)`` (the same row for every agent) or
            ``(n_agents, n_actions)``. A one-dimensional array always means one value per
            agent, so the two readings never depend on whether ``n_agents == n_actions``.
        per_state: A numeric parameter may also be one value per state and action: an array
            of shape ``(1, n_states, n_actions)`` or ``(n_agents, n_states, n_actions)``
            (the rule's :meth:`LearningRule.check_domain` checks ``n_states``).
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
    per_action: bool = False
    per_state: bool = False
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

    def _shapes(self, n_agents: int) -> str:
        """The array shapes accepted besides a scalar, in words."""
        shapes = [f"one value per agent (shape ({n_agents},))"] if self.per_agent else []
        if self.per_action:
            shapes.append(f"one per action (shape (1, K) or ({n_agents}, K))")
        if self.per_state:
            shapes.append(f"one per state and action (shape (1, S, K) or ({n_agents}, S, K))")
        return "a scalar" + "".join(f" or {shape}" for shape in shapes)

    def validate(self, value: Any, n_agents: int, n_actions: int | None = None) -> Any:
        """Return ``value`` checked and normalised, or raise ParameterError naming the parameter.

        Scalars come back as ``float``/``int``/``str``; arrays (per agent, per action, per
        state) as float copies of the shape given. ``n_actions`` (None: not yet known) is the
        length the last axis of a per-action or per-state array must have.
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
        allowed_ndim = {1: self.per_agent, 2: self.per_action, 3: self.per_state}
        if self.integer or not allowed_ndim.get(array.ndim, False):
            raise ParameterError(
                f"{self.name} must be {self._shapes(n_agents)}, got an array of shape {array.shape}"
            )
        leading_ok = array.shape[0] == n_agents or (array.ndim > 1 and array.shape[0] == 1)
        actions_ok = array.ndim == 1 or n_actions is None or array.shape[-1] == n_actions
        if not (leading_ok and actions_ok):
            actions = "" if n_actions is None or array.ndim == 1 else f" (K = {n_actions})"
            raise ParameterError(
                f"{self.name} must be {self._shapes(n_agents)}{actions}, got shape {array.shape}"
            )
        return array.copy()


class Observation(NamedTuple):
    """What one period showed the agents; built and checked by :meth:`LearningRule.observe`."""

    actions: NDArray[np.intp]
    payoffs: NDArray[np.float64]
    forgone: NDArray[np.float64] | None
    neighbours: Neighbourhood | None
    next_states: NDArray[np.intp] | None = None


class LearningRule(ABC):
    """Population of ``n_agents`` agents learning over the same ``n_actions`` actions.

    Subclasses set the class metadata and implement :meth:`act`, :meth:`probabilities` and
    :meth:`_learn`. Parameters are keyword arguments declared in ``parameters``; each is
    validated (unknown names and out-of-range values raise ParameterError naming the
    parameter) and stored in ``self.params``.

    The class metadata below is what the registry records (:class:`~abm.learning.registry.
    RuleInfo`) and what other packages consult instead of testing rule names; every
    registered rule must set all of it (:func:`~abm.learning.registry.register_rule` checks).

    Attributes:
        name: Registry name.
        family: ``"belief"`` (best-responds to payoffs inferred from others' play),
            ``"reinforcement"`` (reinforces actions by payoffs experienced),
            ``"evolutionary"`` (population dynamics such as the replicator),
            ``"imitation"`` (copies better-paid peers) or ``"no_regret"`` (plays by cumulative
            regrets or payoffs of every action, with a guarantee on average regret).
        stochastic: Whether ``act`` can draw at random beyond tie-breaking, for some values
            of the parameters (weighted fictitious play: with logit choice). The instance
            property :attr:`is_stochastic` answers for the parameters in use.
        uses: What ``observe`` must be given: ``"own_payoff"`` (actions and realised payoffs),
            ``"forgone_payoffs"`` (also each action's payoff given what others did) or
            ``"neighbours"`` (also who each agent observes).
        converges: Whether the rule is expected to settle on the equilibrium in the spec's
            validation (one generalist, one specialist).
        nonnegative_payoffs: Whether the rule with its default parameters needs payoffs ≥ 0
            (:meth:`update` then refuses negative ones; the caller shifts payoffs). A rule
            whose need depends on its parameters overrides :attr:`requires_nonnegative_payoffs`
            (EWA needs them only with linear choice; Roth–Erev not once given its
            ``payoff_floor``, which it subtracts itself).
        reference: The paper the rule comes from, e.g. ``"Erev & Roth (1998), AER 88(4)"``.
        parameters: Declared parameters with defaults and accepted ranges.
        summary: One line describing the rule.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    stochastic: ClassVar[bool]
    uses: ClassVar[str]
    converges: ClassVar[bool]
    nonnegative_payoffs: ClassVar[bool]
    reference: ClassVar[str]
    parameters: ClassVar[tuple[ParameterSpec, ...]] = ()
    summary: ClassVar[str] = ""
    #: Whether :meth:`choose` is implemented: :meth:`act` draws ``rng.random(n_agents)`` (agent
    #: i's uniform at position i) and nothing else, so that a caller who lets only some agents
    #: revise may draw those uniforms itself and spare the others' choice.
    chooses_rows: ClassVar[bool] = False

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        check_range("n_agents", n_agents, 1)
        check_range("n_actions", n_actions, 1)
        if int(n_agents) != n_agents or int(n_actions) != n_actions:
            raise ParameterError("n_agents and n_actions must be whole numbers")
        if not isinstance(rng, np.random.Generator | ReplicaStreams):
            raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
        self.n_agents = int(n_agents)
        self.n_actions = int(n_actions)
        self.rng = rng
        self.params: dict[str, Any] = resolve_parameters(
            type(self), params, self.n_agents, self.n_actions
        )
        self.periods = 0  # number of completed updates
        self._pending: Observation | None = None
        self._agent_index = np.arange(self.n_agents)
        self.states: NDArray[np.intp] = np.zeros(self.n_agents, dtype=np.intp)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_agents={self.n_agents}, n_actions={self.n_actions}, "
            f"params={self.params})"
        )

    @classmethod
    def check_domain(cls, params: dict[str, Any]) -> None:
        """Raise ParameterError if parameters each in range are jointly outside the domain.

        Called by :func:`~abm.learning.registry.resolve_parameters` with every parameter
        validated and defaults filled in, so a market configuration is refused before any
        agent exists. The default accepts everything; a rule with a published joint domain
        (EWA: ρ ≤ φ and N(0) ≤ 1/(1 − ρ)) overrides it. The message is one line naming the
        parameter and the bound (see :func:`check_at_most`).
        """
        return None  # every combination of in-range values is accepted

    @property
    def requires_forgone(self) -> bool:
        """Whether :meth:`observe` must be given ``forgone`` payoffs."""
        return self.uses == "forgone_payoffs"

    @property
    def n_states(self) -> int:
        """Number of discrete states an agent can be in (1: a stateless rule).

        A rule with states (Q-learning's ``n_states``) acts on the state set by
        :meth:`set_states` and moves to the ``next_states`` given to :meth:`observe`.
        """
        return 1

    def _check_states(self, states: ArrayLike, label: str) -> NDArray[np.intp]:
        array = np.asarray(states)
        if array.shape != (self.n_agents,) or array.dtype.kind not in "iu":
            raise ParameterError(f"{label} must be {self.n_agents} integer state indices")
        if array.min() < 0 or array.max() >= self.n_states:
            raise ParameterError(f"{label} must be in [0, {self.n_states - 1}]")
        return array.astype(np.intp)

    def set_states(self, states: ArrayLike) -> None:
        """Set the state each agent is in before it acts, shape ``(n_agents,)``."""
        self.states = self._check_states(states, "states")

    @property
    def is_stochastic(self) -> bool:
        """Whether this instance's ``act`` draws at random beyond tie-breaking.

        The class's ``stochastic`` by default; a rule whose randomness depends on its
        parameters overrides this (EWA and weighted fictitious play: not with best-response
        choice). A rule that is not stochastic gives the same actions whatever its generator.
        """
        return self.stochastic

    @property
    def requires_nonnegative_payoffs(self) -> bool:
        """Whether this instance needs payoffs (and forgone payoffs) ≥ 0.

        The class's ``nonnegative_payoffs`` by default; a rule whose need depends on its
        parameters overrides this (EWA: only with the linear choice rule). A model that sees
        True shifts payoffs by the lowest possible payoff before :meth:`observe`.
        """
        return self.nonnegative_payoffs

    @abstractmethod
    def act(self) -> NDArray[np.intp]:
        """Return one action index per agent, shape ``(n_agents,)``."""

    def choose(self, rows: NDArray[np.intp], uniforms: NDArray[np.float64]) -> NDArray[np.intp]:
        """The actions of agents ``rows`` alone, given the uniforms :meth:`act` would draw them.

        Only where :attr:`chooses_rows` is set: then ``act()`` equals choosing every row with
        ``rng.random(n_agents)``, and a subset of rows chooses as it would within ``act()``.
        """
        raise NotImplementedError(f"the {self.name} rule draws more than one uniform per agent")

    @abstractmethod
    def probabilities(self) -> NDArray[np.float64]:
        """Return the current mixed strategy of every agent, shape ``(n_agents, n_actions)``."""

    def observe(
        self,
        actions: ArrayLike,
        payoffs: ArrayLike,
        forgone: ArrayLike | None = None,
        neighbours: Any = None,
        next_states: ArrayLike | None = None,
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
            next_states: The state each agent moves to, shape ``(n_agents,)``, for a rule
                with states (:attr:`n_states` > 1); None: the states stay as they are.
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
        forgone_array = None
        if self.requires_forgone and forgone is not None:
            forgone_array = np.asarray(forgone, dtype=float)
            if forgone_array.shape != (self.n_agents, self.n_actions):
                raise ParameterError(
                    f"forgone must have shape ({self.n_agents}, {self.n_actions}), "
                    f"got {forgone_array.shape}"
                )
        moved = None if next_states is None else self._check_states(next_states, "next_states")
        # the rest (finiteness, a forgone payoff the rule requires) is checked there
        self.observe_trusted(action_array, payoff_array, forgone_array, neighbours, moved)

    def observe_trusted(
        self,
        actions: NDArray[np.intp],
        payoffs: NDArray[np.float64],
        forgone: NDArray[np.float64] | None = None,
        neighbours: Any = None,
        next_states: NDArray[np.intp] | None = None,
    ) -> None:
        """:meth:`observe` for a caller whose arrays are well formed by construction.

        The market hands every rule, every period, integer actions in range and payoffs,
        forgone payoffs and states of the right shapes, so :meth:`observe`'s checks of those
        are skipped (they cost a small market a tenth of its period). Finiteness, and a forgone
        payoff the rule requires, are still checked: a NaN would poison the rule's state.
        """
        if not math.isfinite(payoffs.sum()):
            raise ParameterError("payoffs must be finite")
        if self.requires_forgone:
            if forgone is None:
                raise ParameterError(f"forgone payoffs are required by the {self.name} rule")
            if not math.isfinite(forgone.sum()):
                raise ParameterError("forgone payoffs must be finite")
        else:
            forgone = None
        neighbourhood = None
        if self.uses == "neighbours" and neighbours is not None:
            neighbourhood = as_neighbourhood(neighbours, self.n_agents)
        self._pending = Observation(actions, payoffs, forgone, neighbourhood, next_states)

    def update(self) -> None:
        """Fold the last observation into the state.

        Raises RuntimeError if no observation is pending, and ParameterError (leaving the state
        and the pending observation as they were) if :attr:`requires_nonnegative_payoffs` and a
        payoff is negative.
        """
        if self._pending is None:
            raise RuntimeError(f"{self.name}: update() called without a pending observe()")
        if self.requires_nonnegative_payoffs:
            _check_nonnegative(self.name, self._pending)
        self._learn(self._pending)
        if self._pending.next_states is not None:
            self.states = self._pending.next_states
        self._pending = None
        self.periods += 1

    @abstractmethod
    def _learn(self, observation: Observation) -> None:
        """Change the state given one checked observation."""


def check_at_most(
    name: str, value: Any, bound: Any, bound_text: str, *, relative_tolerance: float = 1e-12
) -> None:
    """Raise ParameterError unless ``value ≤ bound`` for every agent (within rounding).

    Args:
        name: The parameter that is too large.
        value: Its value, a scalar or one per agent.
        bound: The largest value allowed, a scalar or one per agent (may be infinite).
        bound_text: The bound in words, e.g. ``"attraction_decay (ρ ≤ φ)"``.
        relative_tolerance: Slack for rounding in a computed bound such as 1/(1 − 0.9).

    The message names the parameter, the bound and, for per-agent values, the first agent
    outside it: ``experience_decay must be ≤ attraction_decay (ρ ≤ φ), got 0.95 > 0.9``.
    """
    values, bounds = np.broadcast_arrays(np.asarray(value, float), np.asarray(bound, float))
    slack = relative_tolerance * np.where(np.isfinite(bounds), np.abs(bounds), 0.0)
    outside = np.flatnonzero(values.ravel() > (bounds + slack).ravel())
    if outside.size:
        first = outside[0]
        agent = f" (agent {first})" if values.ndim else ""
        raise ParameterError(
            f"{name} must be ≤ {bound_text}, got {values.ravel()[first]:g} > "
            f"{bounds.ravel()[first]:g}{agent}"
        )


def _check_nonnegative(rule: str, observation: Observation) -> None:
    """Raise ParameterError if the observation holds a negative payoff or forgone payoff."""
    negative = observation.payoffs.min() < 0
    if observation.forgone is not None:
        negative = negative or observation.forgone.min() < 0
    if negative:
        raise ParameterError(
            f"payoffs must be non-negative for the {rule} rule; "
            "shift them by the lowest possible payoff"
        )
