"""State encoders for rules with states (Q-learning): recent joint actions, binned observables.

A rule with ``n_states > 1`` acts on the state the model gives it (``set_states``) and learns
which state it moved to (``observe(..., next_states=...)``). The encoders here turn what the
agents saw into state indices:

* :class:`JointActionHistory`: the last ``k`` joint action profiles of an ``n``-player game
  (Calvano et al. 2020 use k = 1: the state is the previous period's prices);
* :func:`binned_states`: a market observable (a price, a share) cut into bins;
* :func:`product_states`: several encoded states combined into one index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_range


class JointActionHistory:
    """The last ``memory`` joint action profiles, encoded as one state index.

    A profile ``(a_1, …, a_n)`` is the mixed-radix number ``Σ_i a_i·Π_{j>i} K_j`` in
    ``[0, P)`` with ``P = Π K_i``, and the state is the last ``memory`` profiles read as a
    base-``P`` number, the most recent one last: ``s' = (s·P + profile) mod P^memory``. There
    are ``P^memory`` states. Before ``memory`` periods have passed the missing profiles count
    as every player having played action 0 (state 0).

    Args:
        action_counts: Number of actions ``K_i`` of each player.
        memory: How many past periods the state remembers, k ≥ 1.
    """

    def __init__(self, action_counts: Sequence[int], memory: int = 1):
        counts = [int(count) for count in action_counts]
        if not counts or min(counts) < 1:
            raise ParameterError("action_counts must list at least one player's action count")
        check_range("memory", memory, 1.0)
        self.action_counts = tuple(counts)
        self.memory = int(memory)
        self.profiles = math.prod(counts)
        self.n_states = self.profiles**self.memory
        # place value of each player's action in a profile's code
        self._radix = np.array([math.prod(counts[i + 1 :]) for i in range(len(counts))])

    def initial_states(self, n_agents: int) -> NDArray[np.intp]:
        """State 0 (an all-zero history) for ``n_agents`` independent games."""
        return np.zeros(int(n_agents), dtype=np.intp)

    def profile_code(self, profiles: ArrayLike) -> NDArray[np.intp]:
        """The code in ``[0, P)`` of each joint profile, ``profiles`` of shape ``(m, n)``."""
        array = np.asarray(profiles, dtype=np.intp)
        if array.ndim != 2 or array.shape[1] != len(self.action_counts):
            raise ParameterError(
                f"profiles must have shape (m, {len(self.action_counts)}), got {array.shape}"
            )
        if np.any(array < 0) or np.any(array >= np.array(self.action_counts)):
            raise ParameterError(f"profiles must hold actions below {self.action_counts}")
        return array @ self._radix

    def next_states(self, states: ArrayLike, profiles: ArrayLike) -> NDArray[np.intp]:
        """The states after this period's joint ``profiles`` (shape ``(m, n)``) were played."""
        current = np.asarray(states, dtype=np.intp)
        return (current * self.profiles + self.profile_code(profiles)) % self.n_states

    def decode(self, state: int) -> NDArray[np.intp]:
        """The remembered profiles of ``state``, shape ``(memory, n)``, oldest first."""
        if not 0 <= int(state) < self.n_states:
            raise ParameterError(f"state must be in [0, {self.n_states - 1}]")
        codes = []
        rest = int(state)
        for _ in range(self.memory):
            rest, code = divmod(rest, self.profiles)
            codes.append(code)
        places = list(zip(self._radix.tolist(), self.action_counts, strict=True))
        profiles = [[(code // place) % count for place, count in places] for code in codes[::-1]]
        return np.array(profiles, dtype=np.intp)


def binned_states(values: ArrayLike, edges: ArrayLike) -> NDArray[np.intp]:
    """The bin of each value among increasing ``edges``: ``len(edges) + 1`` states.

    State ``i`` holds the values in ``[edges[i−1], edges[i])`` (state 0 everything below the
    first edge, the last state everything from the last edge up).
    """
    cuts = np.asarray(edges, dtype=float)
    if cuts.ndim != 1 or cuts.size == 0 or np.any(np.diff(cuts) <= 0):
        raise ParameterError("edges must be a non-empty increasing sequence")
    return np.digitize(np.asarray(values, dtype=float), cuts).astype(np.intp)


def product_states(states: Sequence[ArrayLike], sizes: Sequence[int]) -> NDArray[np.intp]:
    """Combine several state arrays (state ``j`` of ``sizes[j]`` values) into one index.

    The result is the mixed-radix number with the first array most significant; it has
    ``Π sizes`` states.
    """
    if len(states) != len(sizes) or not states:
        raise ParameterError("states and sizes must be non-empty and of equal length")
    combined = np.zeros(np.shape(states[0]), dtype=np.intp)
    for part, size in zip(states, sizes, strict=True):
        array = np.asarray(part, dtype=np.intp)
        if np.any(array < 0) or np.any(array >= size):
            raise ParameterError(f"each state must be in [0, {size - 1}]")
        combined = combined * int(size) + array
    return combined
