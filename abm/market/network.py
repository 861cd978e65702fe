"""The supply-chain network: base models → derivatives, its concentration and shares.

The matching lives in arrays (each specialist's base); the networkx graph is built from them on
demand, so the period loop never touches networkx.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from abm.learning import Neighbourhood
from abm.market.populations import REGIMES


def derivative_counts(base: ArrayLike, matched: ArrayLike, n_generalists: int) -> NDArray[np.intp]:
    """Number of derivatives (matched specialists) built on each generalist's model."""
    base = np.asarray(base, dtype=np.intp)
    matched = np.asarray(matched, dtype=bool)
    return np.bincount(base[matched], minlength=n_generalists)


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
    """The supply chain of a :class:`~abm.market.model.MarketModel` as a DiGraph.

    Nodes ``G<i>`` (base models; attributes kind, alpha0, openness, regime, share, derivatives),
    ``S<j>`` (derivatives; kind, base, alpha1, delta, matched) and ``C<f>`` (closed models;
    kind, compute, price). Edges ``G<i> → S<j>`` for every matched specialist, with its α1 and δ.
    Openness of an abstaining generalist is stored as -1 (GraphML has no NaN-safe floats).
    """
    generalists = model.generalists  # type: ignore[attr-defined]
    specialists = model.specialists  # type: ignore[attr-defined]
    closed = model.closed_firms  # type: ignore[attr-defined]
    graph = nx.DiGraph(step=int(model.steps))  # type: ignore[attr-defined]
    for i in range(generalists.count):
        graph.add_node(
            f"G{i}",
            kind="generalist",
            alpha0=float(generalists.alpha0[i]),
            openness=float(np.nan_to_num(generalists.openness[i], nan=-1.0)),
            regime=REGIMES[int(generalists.regime[i])],
            share=float(generalists.share[i]),
            derivatives=int(generalists.derivatives[i]),
        )
    for j in range(specialists.count):
        matched = bool(specialists.matched[j])
        graph.add_node(
            f"S{j}",
            kind="specialist",
            base=int(specialists.base[j]),
            alpha1=float(np.nan_to_num(specialists.alpha1[j], nan=-1.0)),
            delta=float(specialists.delta[j]),
            matched=matched,
        )
        if matched:
            graph.add_edge(
                f"G{int(specialists.base[j])}",
                f"S{j}",
                alpha1=float(specialists.alpha1[j]),
                delta=float(specialists.delta[j]),
            )
    for f in range(closed.count):
        graph.add_node(
            f"C{f}", kind="closed", compute=float(closed.compute[f]), price=float(closed.price[f])
        )
    return graph


def network_hhi(graph: nx.DiGraph) -> float:
    """HHI of out-degrees of the base-model nodes of a supply-chain graph (cross-check)."""
    counts = [d for node, d in graph.out_degree() if graph.nodes[node].get("kind") == "generalist"]
    return herfindahl(counts)


def write_graphml(graph: nx.DiGraph, path: str | Path) -> Path:
    """Write the graph as GraphML; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(graph, path)
    return path
