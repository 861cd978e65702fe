"""Tabular Q-learning: ε-greedy with a choice of ε schedules, states, Calvano's stopping rule."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError
from abm.learning.best_response import TIE_BREAK
from abm.learning.choice import (
    argmax_distribution,
    argmax_ties,
    column,
    draw_among_ties,
    tie_threshold,
)
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.registry import register_rule

EPSILON_SCHEDULES = ("geometric", "harmonic")
"""How ε falls with the number of updates t: ``ε0·decay^t`` or ``ε0·τ/(τ + t)``."""


@register_rule
class QLearning(LearningRule):
    """Tabular Q-learning on the agent's own payoff.

    ``Q(s, a) ← Q(s, a) + α·(π + γ·max_b Q(s', b) − Q(s, a))`` for the action ``a`` played in
    state ``s``; action choice is ε-greedy with, after ``t`` updates,

    * ``geometric``: ``ε_t = max(ε_min, ε0·decay^t)`` (Calvano et al. 2020 use
      ``ε_t = e^{−βt}``, i.e. ε0 = 1 and decay = e^{−β});
    * ``harmonic``: ``ε_t = max(ε_min, ε0·τ/(τ + t))``, which decays like 1/t (greedy in the
      limit with infinite exploration, Singh et al. 2000).

    Every rate may differ per agent. Stateless by default (one state, γ = 0: a multi-armed
    bandit learner); with ``n_states > 1`` the model sets each agent's state with
    :meth:`set_states` before :meth:`act` and passes ``next_states`` to :meth:`observe`
    (:class:`~abm.learning.states.JointActionHistory` builds states from the last k joint
    actions). ``initial_q`` may be one value, one per agent, one per action or one per state
    and action (Calvano's Q₀). With ``stability_window`` > 0, :attr:`policy_stable_periods`
    counts, per agent, the updates since its greedy policy (the argmax action in every state,
    the lowest of equal values) last changed, and :meth:`policy_converged` says whether it has
    reached the window: Calvano et al. stop when it reaches 100,000 for every agent.
    """

    name = "q_learning"
    family = "reinforcement"
    stochastic = True
    uses = "own_payoff"
    converges = False  # constant α and residual ε keep it noisy; it may settle off-equilibrium
    nonnegative_payoffs = False
    reference = "Watkins & Dayan (1992), Machine Learning 8(3-4)"
    summary = "tabular Q-learning, ε-greedy with a geometric or harmonic ε schedule"
    parameters = (
        ParameterSpec(
            "learning_rate",
            0.1,
            "α, step towards the new estimate",
            0.0,
            1.0,
            low_open=True,
            per_agent=True,
        ),
        ParameterSpec(
            "epsilon", 0.2, "ε0, initial exploration probability", 0.0, 1.0, per_agent=True
        ),
        ParameterSpec(
            "epsilon_schedule",
            "geometric",
            "geometric ε0·decay^t or harmonic ε0·τ/(τ + t)",
            choices=EPSILON_SCHEDULES,
        ),
        ParameterSpec(
            "epsilon_decay",
            0.999,
            "per-period factor on ε (geometric schedule)",
            0.0,
            1.0,
            low_open=True,
            per_agent=True,
        ),
        ParameterSpec(
            "epsilon_timescale",
            1000.0,
            "τ, periods until ε halves (harmonic schedule)",
            0.0,
            low_open=True,
            per_agent=True,
        ),
        ParameterSpec("epsilon_min", 0.01, "floor of ε", 0.0, 1.0, per_agent=True),
        ParameterSpec(
            "discount", 0.0, "γ, weight of the next state's value", 0.0, 1.0, high_open=True
        ),
        ParameterSpec("n_states", 1, "number of discrete states per agent", 1.0, integer=True),
        ParameterSpec(
            "stability_window",
            0,
            "updates the greedy policy must stay unchanged for policy_converged (0: untracked)",
            0.0,
            integer=True,
        ),
        ParameterSpec(
            "initial_q",
            0.0,
            "Q(s, a) before any update: a scalar, one per agent, per action or per state",
            per_agent=True,
            per_action=True,
            per_state=True,
        ),
        replace(TIE_BREAK, default="random"),
    )

    #: Tables with at least this many entries (one state) keep each row's maximisers between
    #: updates; below it a full search each period costs less than keeping them.
    KEEP_MAXIMISERS_FROM = 1 << 15

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        n_states = self.params["n_states"]
        initial = self.params["initial_q"]
        if isinstance(initial, np.ndarray) and initial.ndim == 1:
            initial = initial[:, None, None]  # one value per agent
        elif isinstance(initial, np.ndarray) and initial.ndim == 2:
            initial = initial[:, None, :]  # one row of actions, the same in every state
        self._q = np.zeros((n_agents, n_states, n_actions)) + initial
        self.greedy_policy = np.argmax(self._q, axis=2)
        self.policy_stable_periods = np.zeros(n_agents, dtype=np.int64)
        # one state and a large table: each row's maximisers, kept as single entries change
        kept = n_states == 1 and n_agents * n_actions >= self.KEEP_MAXIMISERS_FROM
        self._rows = _RowMaximisers(self._q[:, 0, :]) if kept else None

    @property
    def q_values(self) -> NDArray[np.float64]:
        """Q(agent, state, action), read only: change it with :meth:`set_q_values`."""
        view = self._q.view()
        view.flags.writeable = False
        return view

    def set_q_values(self, values: ArrayLike) -> None:
        """Replace the Q-table (broadcast to ``(n_agents, n_states, n_actions)``)."""
        self._q[...] = values
        if self._rows is not None:
            self._rows = _RowMaximisers(self._q[:, 0, :])

    @classmethod
    def check_domain(cls, params: dict[str, Any]) -> None:
        """A per-state ``initial_q`` must have one row per state."""
        initial = params["initial_q"]
        per_state = isinstance(initial, np.ndarray) and initial.ndim == 3
        if per_state and initial.shape[1] != params["n_states"]:
            raise ParameterError(
                f"initial_q must have n_states = {params['n_states']} rows per agent, "
                f"got shape {initial.shape}"
            )

    @property
    def n_states(self) -> int:
        """Number of discrete states per agent (the ``n_states`` parameter)."""
        return self.params["n_states"]

    @property
    def epsilon(self) -> float | NDArray[np.float64]:
        """Current exploration probability, a scalar or one per agent."""
        params = self.params
        if params["epsilon_schedule"] == "geometric":
            scheduled = params["epsilon"] * params["epsilon_decay"] ** self.periods
        else:
            timescale = params["epsilon_timescale"]
            scheduled = params["epsilon"] * timescale / (timescale + self.periods)
        if isinstance(scheduled, float) and isinstance(params["epsilon_min"], float):
            return max(params["epsilon_min"], scheduled)  # scalars: no array round trip
        value = np.maximum(params["epsilon_min"], scheduled)
        return float(value) if np.ndim(value) == 0 else value

    def current_q(self) -> NDArray[np.float64]:
        """Q-values of every action in each agent's current state, ``(n_agents, n_actions)``."""
        if self.params["n_states"] == 1:  # a view: no copy of the table every period
            return self.q_values[:, 0, :]
        return self._q[self._agent_index, self.states]

    def act(self) -> NDArray[np.intp]:
        """ε-greedy: a uniform action with probability ε, else the greedy one."""
        rows = self._rows
        if rows is not None:
            # the same choice (and draws) as argmax_ties, from maximisers kept up to date
            greedy = rows.first.copy()
            if self.params["tie_break"] != "lowest":
                greedy = draw_among_ties(self._q[:, 0, :], greedy, rows.count, self.rng, rows.mask)
        else:
            greedy = argmax_ties(self.current_q(), self.params["tie_break"], self.rng)
        explore = self.rng.random(self.n_agents) < self.epsilon
        uniform = self.rng.integers(self.n_actions, size=self.n_agents)
        return np.where(explore, uniform, greedy)

    def probabilities(self) -> NDArray[np.float64]:
        """``ε/K`` on every action plus ``1 − ε`` on the greedy action(s)."""
        epsilon = column(self.epsilon)
        greedy = argmax_distribution(self.current_q(), self.params["tie_break"])
        return epsilon / self.n_actions + (1.0 - epsilon) * greedy

    def policy_converged(self) -> NDArray[np.bool_]:
        """Whether each agent's greedy policy has not changed for ``stability_window`` updates.

        Calvano et al. (2020) stop a session when, for every agent, the greedy action in every
        state has stayed the same for 100,000 consecutive periods (``stability_window``
        100000). Raises RuntimeError if the rule does not track its policy (window 0).
        """
        window = self.params["stability_window"]
        if window == 0:
            raise RuntimeError("q_learning: give stability_window > 0 to track policy stability")
        return self.policy_stable_periods >= window

    def _learn(self, observation: Observation) -> None:
        index, states, actions = self._agent_index, self.states, observation.actions
        target = observation.payoffs
        discount = self.params["discount"]
        next_states = states if observation.next_states is None else observation.next_states
        if discount > 0:
            target = target + discount * self._q[index, next_states].max(axis=1)
        old = self._q[index, states, actions]
        rate = self.params["learning_rate"]
        new = old + rate * (target - old)
        self._q[index, states, actions] = new
        if self._rows is not None:
            self._rows.update(self._q[:, 0, :], actions, old, new)
        if self.params["stability_window"]:
            self._track_policy(states, actions, old)

    def _track_policy(
        self, states: NDArray[np.intp], actions: NDArray[np.intp], previous: NDArray[np.float64]
    ) -> None:
        """Update the greedy policy (argmax, lowest index among equal values) and its count.

        One Q-value per agent changed, from ``previous``: if it now beats the greedy value it is
        the new greedy action; if it was the greedy action and fell, its row is searched again.
        Nothing else can change the policy, so the cost is O(n) plus the rows searched.
        """
        index = self._agent_index
        greedy = self.greedy_policy[index, states]
        updated = self._q[index, states, actions]
        top = self._q[index, states, greedy]
        overtakes = (actions != greedy) & (
            (updated > top) | ((updated == top) & (actions < greedy))
        )
        fell = np.flatnonzero((actions == greedy) & (updated < previous))
        fresh = np.where(overtakes, actions, greedy)
        if fell.size:
            fresh[fell] = np.argmax(self._q[fell, states[fell]], axis=1)
        changed = fresh != greedy
        self.greedy_policy[index, states] = fresh
        self.policy_stable_periods = np.where(changed, 0, self.policy_stable_periods + 1)


class _RowMaximisers:
    """Each row's maximisers (within :func:`tie_threshold`), kept as one entry per row changes.

    The ε-greedy choice needs, per row, the first maximiser and how many there are; a full
    argmax reads every entry of the table each period, but an update changes one entry per row,
    which leaves the maximisers as they were unless it reaches them or moves the row's maximum.
    So each row keeps its maximum ``top`` and how many entries equal it (``at_top``), the
    ``first`` and the ``count`` of its maximisers, which they are (``mask``, what a tie-break
    draws among), and an upper bound ``rest`` on the entries that are not maximisers; only rows
    where an update may have changed more than a count are searched again. The result is
    exactly the full search's (``tests/test_learning_q.py``): at 10⁴ agents the market's period
    is 10% cheaper early on (many untried actions tie) and 23% once the learners have explored.
    """

    FIELDS = ("top", "at_top", "first", "count", "rest", "mask")

    def __init__(self, table: NDArray[np.float64]) -> None:
        n = table.shape[0]
        self.top = np.empty(n)
        self.at_top = np.empty(n, dtype=np.intp)
        self.first = np.empty(n, dtype=np.intp)
        self.count = np.empty(n, dtype=np.intp)
        self.rest = np.empty(n)
        self.mask = np.empty(table.shape, dtype=bool)
        self._search(table, np.arange(n))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _RowMaximisers) and all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in self.FIELDS
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _search(self, table: NDArray[np.float64], rows: NDArray[np.intp]) -> None:
        values = table[rows]
        top = values.max(axis=1)
        best = values >= tie_threshold(top)[:, None]
        self.top[rows] = top
        self.at_top[rows] = np.count_nonzero(values == top[:, None], axis=1)
        self.first[rows] = np.argmax(best, axis=1)
        self.count[rows] = np.count_nonzero(best, axis=1)
        self.rest[rows] = np.where(best, -np.inf, values).max(axis=1)
        self.mask[rows] = best

    def update(
        self,
        table: NDArray[np.float64],
        actions: NDArray[np.intp],
        old: NDArray[np.float64],
        new: NDArray[np.float64],
    ) -> None:
        """Entry ``actions[i]`` of row i changed from ``old[i]`` to ``new[i]`` (in ``table``)."""
        top, threshold = self.top, tie_threshold(self.top)
        was_maximiser = old >= threshold
        # 1. below the maximisers and still below them: only the bound on the rest moves
        stays_below = ~was_maximiser & (new < threshold)
        # 2. the only maximiser stays alone on top if the rest stay below its new threshold
        stays_alone = was_maximiser & (self.count == 1) & (self.rest < tie_threshold(new))
        # 3. one of several maximisers changes, not above the top, and another entry keeps
        # the top: the threshold stays, and the entry stays a maximiser or leaves (counted),
        # unless it was the first and leaves (then the row is searched)
        top_stays = (new <= top) & ((old < top) | (self.at_top > 1) | (new == top))
        leaves = new < threshold
        stays_tied = (
            was_maximiser & (self.count > 1) & top_stays & ~(leaves & (actions == self.first))
        )
        self.rest = np.where(
            stays_below | (stays_tied & leaves), np.maximum(self.rest, new), self.rest
        )
        self.at_top = np.where(
            stays_tied,
            self.at_top - (old == top) + (new == top),
            np.where(stays_alone, 1, self.at_top),
        )
        dropped = np.flatnonzero(stays_tied & leaves)
        self.mask[dropped, actions[dropped]] = False
        self.count = np.where(stays_tied & leaves, self.count - 1, self.count)
        self.top = np.where(stays_alone, new, top)
        changed = np.flatnonzero(~(stays_below | stays_alone | stays_tied))
        if changed.size:
            self._search(table, changed)
