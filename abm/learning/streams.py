"""Random streams of stacked replications: one generator per replication behind every draw.

A batch stacks R replications of a market into one set of population arrays, replication by
replication (rows ``r·n … (r+1)·n − 1`` are replication r's n agents). :class:`ReplicaStreams`
stands where a rule or a population expects a ``numpy.random.Generator``: a draw for the whole
population (size R·n) is R draws of n, one from each replication's own generator, and a draw for
some rows (:func:`uniform_rows`, a tie-break) takes each row's uniform from its replication's
generator in row order. Each replication therefore draws exactly what it draws run alone, in the
same order, whatever the other replications do: a replication in a batch is bit for bit the
replication alone (``tests/test_batch.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray


class ReplicaStreams:
    """R generators, one per stacked replication, behind the Generator methods the market uses.

    Args:
        generators: Replication r's generator at position r.
    """

    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        self.generators = list(generators)
        self.replications = len(self.generators)

    def __repr__(self) -> str:
        return f"ReplicaStreams(replications={self.replications})"

    def _per_replication(self, size: Any) -> int:
        """Each replication's share of a draw of ``size`` (a whole population's)."""
        total = int(size if np.ndim(size) == 0 else np.prod(size))
        if np.ndim(size) > 0 and len(size) != 1:
            raise ValueError("stacked replications draw one-dimensional arrays only")
        if total % self.replications:
            raise ValueError(
                f"a draw of {total} values does not split over {self.replications} replications"
            )
        return total // self.replications

    def _stack(self, draws: list[NDArray[Any]]) -> NDArray[Any]:
        return np.concatenate(draws) if draws else np.zeros(0)

    def random(self, size: Any) -> NDArray[np.float64]:
        """Uniforms on [0, 1): each replication's share from its own generator."""
        n = self._per_replication(size)
        # (fresh arrays joined: cheaper than each generator filling a view with out=)
        return self._stack([rng.random(n) for rng in self.generators])

    def integers(self, high: int, size: Any) -> NDArray[np.int64]:
        """Integers in [0, high): each replication's share from its own generator."""
        n = self._per_replication(size)
        return self._stack([rng.integers(high, size=n) for rng in self.generators])

    def uniform(self, low: Any, high: Any, size: Any) -> NDArray[np.float64]:
        """Uniforms on [low, high): each replication's share from its own generator."""
        n = self._per_replication(size)
        return self._stack([rng.uniform(low, high, n) for rng in self.generators])

    def random_rows(self, rows: NDArray[np.intp], n_rows: int) -> NDArray[np.float64]:
        """One uniform per row in ``rows`` (increasing), from its replication's generator.

        Args:
            rows: Row indices into the stacked population, increasing.
            n_rows: Rows in the stacked population (R·n).
        """
        per = n_rows // self.replications
        counts = np.bincount(rows // per, minlength=self.replications)
        return self._stack(
            [  # (a replication without a tied row draws nothing: no call)
                self.generators[replication].random(int(counts[replication]))
                for replication in np.flatnonzero(counts).tolist()
            ]
        )


def uniform_pair(rng: Any, size: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two draws of ``size`` uniforms, as ``rng.random(size)`` twice gives them, in one call.

    A generator's doubles do not depend on how a run of them is split into calls, so one call
    of twice the size is the two calls; stacked replications take each replication's two
    shares from its own generator, in the same order.
    """
    if isinstance(rng, ReplicaStreams):
        per = rng._per_replication(size)
        both = rng.random(2 * size).reshape(rng.replications, 2, per)
        return both[:, 0].ravel(), both[:, 1].ravel()
    both = rng.random(2 * size)
    return both[:size], both[size:]


def uniform_rows(rng: Any, rows: NDArray[np.intp], n_rows: int) -> NDArray[np.float64]:
    """One uniform on [0, 1) per row in ``rows`` (increasing), from ``rng`` in row order.

    A ``numpy.random.Generator`` draws them in one call; :class:`ReplicaStreams` draws each
    row's from its replication's generator.
    """
    if isinstance(rng, ReplicaStreams):
        return rng.random_rows(rows, n_rows)
    return rng.random(rows.size)
