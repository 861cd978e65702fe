"""Imitation of better-paid peers: imitate-if-better and Schlag's proportional imitation."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.learning.choice import column, one_hot
from abm.learning.interface import LearningRule, Observation, ParameterSpec
from abm.learning.neighbourhood import Neighbourhood
from abm.learning.registry import register_rule

PROTOCOLS = ("imitate_if_better", "proportional")


@register_rule
class Imitation(LearningRule):
    """Each agent, with probability ``revision_rate``, samples one neighbour and may copy it.

    The sampled neighbour ``j`` of agent ``i`` is uniform over ``i``'s neighbours (over all
    other agents when no neighbourhood is given: a well-mixed population). Protocols:

    * ``imitate_if_better``: copy ``j``'s last action if ``π_j > π_i``;
    * ``proportional`` (Schlag 1998): copy with probability ``min(1, (π_j − π_i)⁺ / scale)``,
      where ``scale`` is ``payoff_scale`` or, if that is None, the range of last period's
      payoffs over all agents. In a large well-mixed population this gives the replicator
      dynamics in expectation.

    With probability ``exploration`` an agent instead plays a uniformly drawn action (so lost
    actions can come back). Before the first observation agents play a uniformly drawn
    initial action.
    """

    name = "imitation"
    family = "imitation"
    stochastic = True
    uses = "neighbours"
    converges = False  # needs peers; copies what is better among actions present, not the optimum
    nonnegative_payoffs = False
    reference = "Schlag (1998), JET 78(1)"
    summary = "copy a sampled neighbour who earned more (imitate-if-better or proportional)"
    parameters = (
        ParameterSpec(
            "revision_rate",
            0.5,
            "probability that an agent samples a neighbour this period",
            0.0,
            1.0,
            per_agent=True,
        ),
        ParameterSpec(
            "protocol",
            "imitate_if_better",
            "imitate_if_better or proportional (Schlag)",
            choices=PROTOCOLS,
        ),
        ParameterSpec(
            "payoff_scale",
            None,
            "payoff difference that makes proportional imitation certain "
            "(None: last period's payoff range)",
            0.0,
            low_open=True,
            optional=True,
        ),
        ParameterSpec(
            "exploration",
            0.0,
            "probability of a uniformly random action",
            0.0,
            1.0,
            per_agent=True,
        ),
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        self.current: NDArray[np.intp] = rng.integers(n_actions, size=n_agents).astype(np.intp)
        self.last_payoffs: NDArray[np.float64] | None = None
        self.neighbours: Neighbourhood | None = None

    def _scale(self) -> float:
        if self.params["payoff_scale"] is not None:
            return float(self.params["payoff_scale"])
        assert self.last_payoffs is not None
        return float(np.ptp(self.last_payoffs))

    def _switch_probability(self, gain: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probability of copying a peer who earned ``gain`` more than oneself."""
        if self.params["protocol"] == "imitate_if_better":
            return (gain > 0).astype(float)
        scale = self._scale()
        if scale <= 0:
            return np.zeros_like(gain)
        return np.clip(gain / scale, 0.0, 1.0)

    def _sample_peers(self, draws: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray]:
        """One peer per agent from uniform ``draws``; also whether the agent has any peer."""
        n = self.n_agents
        if self.neighbours is None:
            if n == 1:
                return self._agent_index.copy(), np.zeros(n, dtype=bool)
            peers = (draws * (n - 1)).astype(np.intp)
            peers += peers >= self._agent_index  # skip oneself
            return peers, np.ones(n, dtype=bool)
        degrees = self.neighbours.degrees
        has_peer = degrees > 0
        peers = self._agent_index.copy()
        rows = np.flatnonzero(has_peer)
        # floor(u·degree), guarded against rounding up to the degree itself
        offsets = np.minimum((draws[rows] * degrees[rows]).astype(np.intp), degrees[rows] - 1)
        peers[rows] = self.neighbours.indices[self.neighbours.indptr[rows] + offsets]
        return peers, has_peer

    def act(self) -> NDArray[np.intp]:
        """Revise by imitation (and explore) given last period's actions and payoffs."""
        if self.last_payoffs is None:
            return self.current.copy()
        n = self.n_agents
        revise = self.rng.random(n) < self.params["revision_rate"]
        peers, has_peer = self._sample_peers(self.rng.random(n))
        gain = self.last_payoffs[peers] - self.last_payoffs
        switch = self.rng.random(n) < self._switch_probability(gain)
        chosen = np.where(revise & has_peer & switch, self.current[peers], self.current)
        exploration = self.params["exploration"]
        if np.any(np.asarray(exploration) > 0):
            explore = self.rng.random(n) < exploration
            chosen = np.where(explore, self.rng.integers(self.n_actions, size=n), chosen)
        return chosen

    def probabilities(self) -> NDArray[np.float64]:
        """Exact distribution of next period's action given the last observation."""
        stay = one_hot(self.current, self.n_actions)
        if self.last_payoffs is None:
            return stay
        moves = self._moves_well_mixed() if self.neighbours is None else self._moves_network()
        rate = column(self.params["revision_rate"])
        result = stay + rate * (moves - moves.sum(axis=1, keepdims=True) * stay)
        exploration = column(self.params["exploration"])
        return (1.0 - exploration) * result + exploration / self.n_actions

    def _moves_network(self) -> NDArray[np.float64]:
        """Per agent and action: probability (given revision) of copying a peer playing it."""
        assert self.last_payoffs is not None and self.neighbours is not None
        degrees = self.neighbours.degrees
        owners = np.repeat(self._agent_index, degrees)
        peers = self.neighbours.indices
        weight = self._switch_probability(self.last_payoffs[peers] - self.last_payoffs[owners])
        weight = weight / degrees[owners]
        weight[self.current[peers] == self.current[owners]] = 0.0  # copying one's own action
        flat = np.bincount(
            owners * self.n_actions + self.current[peers],
            weights=weight,
            minlength=self.n_agents * self.n_actions,
        )
        return flat.reshape(self.n_agents, self.n_actions)

    def _moves_well_mixed(self) -> NDArray[np.float64]:
        """Same as :meth:`_moves_network` for a uniform peer among all others, O(K·n·log n)."""
        assert self.last_payoffs is not None
        n, payoffs = self.n_agents, self.last_payoffs
        moves = np.zeros((n, self.n_actions))
        if n == 1:
            return moves
        proportional = self.params["protocol"] == "proportional"
        scale = self._scale() if proportional else 1.0
        if proportional and scale <= 0:
            return moves
        for action in range(self.n_actions):  # loop over actions, not agents
            playing = np.sort(payoffs[self.current == action])
            if playing.size == 0:
                continue
            above = playing.size - np.searchsorted(playing, payoffs, side="right")
            if not proportional:
                total = above.astype(float)
            else:
                # Σ min(1, (π_j − π_i)/scale) over j playing this action with π_j > π_i
                suffix = np.concatenate((np.cumsum(playing[::-1])[::-1], [0.0]))
                capped = playing.size - np.searchsorted(playing, payoffs + scale, side="left")
                middle = above - capped
                start = playing.size - above
                stop = playing.size - capped
                middle_sum = suffix[start] - suffix[stop]
                total = capped + (middle_sum - middle * payoffs) / scale
            moves[:, action] = total / (n - 1)
        moves[self._agent_index, self.current] = 0.0  # copying one's own action changes nothing
        return moves

    def _learn(self, observation: Observation) -> None:
        self.current = observation.actions.copy()
        self.last_payoffs = observation.payoffs.copy()  # the caller may reuse its buffer
        self.neighbours = observation.neighbours
