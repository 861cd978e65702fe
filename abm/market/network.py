"""The supply-chain network: base models → derivatives, its concentration and shares.

The matching lives in arrays (each specialist's base); the networkx graph is built from them on
demand, so the period loop never touches networkx.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError
from abm.learning import Neighbourhood

if TYPE_CHECKING:  # networkx is imported where a graph is built (the period never needs it)
    import networkx as nx


def application_shares(counts: ArrayLike) -> NDArray[np.float64]:
    """Each owner's share s of all derivatives (all zero when there are none)."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def herfindahl(counts: ArrayLike) -> float:
    """Herfindahl–Hirschman index Σ sᵢ² of derivatives per base model (0 with none)."""
    shares = application_shares(counts)
    return float(np.sum(shares**2))


def same_group(
    group: ArrayLike,
    n_groups: int,
    members: ArrayLike | None = None,
    n_members: int | None = None,
) -> Neighbourhood:
    """Who each agent observes: the other agents in any of its groups (niches).

    Without ``members`` agent i belongs to ``group[i]``; with it, each pair
    (``members[k]``, ``group[k]``) puts agent ``members[k]`` in that group (a generalist is in
    every niche one of its derivatives sells in).
    """
    from scipy import sparse  # here: only imitation's neighbourhoods need it

    group = np.asarray(group, dtype=np.intp)
    if members is None:
        members, n_members = np.arange(group.size), group.size
    members = np.asarray(members, dtype=np.intp)
    incidence = sparse.csr_matrix(
        (np.ones(group.size), (members, group)), shape=(int(n_members or 0), n_groups)
    )
    adjacency = (incidence @ incidence.T).tocsr()
    adjacency.setdiag(0)
    adjacency.eliminate_zeros()
    return Neighbourhood.from_sparse(adjacency)


def build_network(model: object) -> nx.DiGraph:
    """The supply chain of a :class:`~abm.market.model.MarketModel` (or batch of one): a DiGraph.

    Nodes ``G<i>`` (base models), ``S<j>`` (specialists) and ``C<f>`` (closed models), each
    with ``kind`` and its population's per-agent fields (``FIELDS``); edges ``G<i> → S<j>`` for
    every derivative, with its α1 and δ. GraphML has no NaN-safe floats, so a missing value
    (openness of an abstainer, α1 without a derivative) is stored as -1.
    """
    import networkx as nx

    if getattr(model, "replications", 1) != 1:
        raise ParameterError("a supply-chain network is drawn for one replication at a time")
    graph = nx.DiGraph(step=int(model.steps))  # type: ignore[attr-defined]
    populations = (
        ("G", "generalist", model.generalists),  # type: ignore[attr-defined]
        ("S", "specialist", model.specialists),  # type: ignore[attr-defined]
        ("C", "closed", model.closed_firms),  # type: ignore[attr-defined]
    )
    for prefix, kind, population in populations:
        columns = {name: _graphml_values(values) for name, values in population.state().items()}
        for index in range(population.count):
            attributes = {name: values[index] for name, values in columns.items()}
            graph.add_node(f"{prefix}{index}", kind=kind, **attributes)
    specialists = model.specialists  # type: ignore[attr-defined]
    for j in np.flatnonzero(specialists.matched):
        graph.add_edge(
            f"G{int(specialists.base[j])}",
            f"S{j}",
            alpha1=float(specialists.alpha1[j]),
            delta=float(specialists.delta[j]),
        )
    return graph


def _graphml_values(values: NDArray) -> list[Any]:
    """Plain Python values GraphML can hold (NaN → -1)."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return np.nan_to_num(array, nan=-1.0).tolist()
    return array.tolist()


def network_hhi(graph: nx.DiGraph) -> float:
    """HHI of out-degrees of the base-model nodes of a supply-chain graph (cross-check)."""
    counts = [d for node, d in graph.out_degree() if graph.nodes[node].get("kind") == "generalist"]
    return herfindahl(counts)


def write_graphml(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write the graph as GraphML; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import networkx as nx

    nx.write_graphml(graph, path)
    return path
