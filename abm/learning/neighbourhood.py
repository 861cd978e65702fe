"""Whom each agent observes: the :class:`Neighbourhood` adapter used by imitation rules.

A neighbourhood is a compressed-sparse-row list of the agents each agent can see;
:func:`as_neighbourhood` accepts every form a model may hold one in (lists, ``(indptr, indices)``,
a scipy sparse matrix, a networkx graph) and checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError


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
