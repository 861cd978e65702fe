"""Choice helpers shared by the learning rules: softmax, sampling, argmax with ties, one-hot.

All functions work row-wise on ``(n_agents, n_actions)`` arrays; every random draw comes from
the generator passed in.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from abm.learning.streams import uniform_rows

TIE_BREAKS = ("lowest", "random")
"""How an argmax with several maximisers is resolved: lowest action index, or uniformly."""

_TIE_RELATIVE_TOLERANCE = 1e-12


def softmax_weights(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise e^(scores − row max): the softmax before normalising (enough for sampling)."""
    return np.exp(scores - scores.max(axis=-1, keepdims=True))


def softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the row-wise softmax of ``scores`` (shape ``(..., K)``), stable for large scores."""
    weights = softmax_weights(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample_categorical(
    probabilities: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.intp]:
    """Draw one action per row of ``probabilities`` (shape ``(n, K)``) by inverse CDF.

    Rows need not sum to one: the draw is scaled by each row's total.
    """
    return pick_categorical(probabilities, rng.random(probabilities.shape[0]))


def pick_categorical(
    probabilities: NDArray[np.float64], uniforms: NDArray[np.float64]
) -> NDArray[np.intp]:
    """:func:`sample_categorical` with the uniforms on [0, 1) given (row i: ``uniforms[i]``)."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = uniforms * cumulative[:, -1]
    # the first CDF step above each draw (argmax of a boolean row stops at its first True);
    # a row with none (a zero row) takes the last action
    above = cumulative > draws[:, None]
    chosen = np.argmax(above, axis=1)
    chosen[~above[:, -1]] = probabilities.shape[1] - 1
    return chosen.astype(np.intp, copy=False)


def tie_threshold(top: NDArray[np.float64]) -> NDArray[np.float64]:
    """The lowest value that counts as tied with a row maximum ``top`` (relative 1e-12)."""
    return top - _TIE_RELATIVE_TOLERANCE * (1.0 + np.abs(top))


def maximisers(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Mark the entries of each row within a relative 1e-12 of the row maximum."""
    return values >= tie_threshold(values.max(axis=1, keepdims=True))


def argmax_ties(
    values: NDArray[np.float64], tie_break: str, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Row-wise argmax of ``values`` with ties broken to the lowest index or uniformly.

    Values within a relative 1e-12 of the row maximum count as tied, so that rounding in
    running averages does not decide between actions that are equally good.
    """
    best = maximisers(values)
    chosen = np.argmax(best, axis=1)
    if tie_break == "lowest":
        return chosen
    return draw_among_ties(values, chosen, np.count_nonzero(best, axis=1), rng, best)


def draw_among_ties(
    values: NDArray[np.float64],
    chosen: NDArray[np.intp],
    counts: NDArray[np.intp],
    rng: np.random.Generator,
    best: NDArray[np.bool_] | None = None,
) -> NDArray[np.intp]:
    """Replace ``chosen`` in every row with several maximisers by one of them, uniformly.

    Args:
        values: The rows, shape ``(n, K)``.
        chosen: Each row's first maximiser (changed in place and returned).
        counts: Each row's number of maximisers.
        rng: Draws one uniform per tied row, in row order (stacked replications: each from its
            replication's generator).
        best: :func:`maximisers` of ``values`` if already computed (else only the tied rows'
            are).
    """
    # Rows with several maximisers draw one uniformly: the k-th maximiser, k uniform below
    # their count; rows with one need no draw, which keeps large populations cheap.
    tied = np.flatnonzero(counts > 1)
    if tied.size:
        pick = (uniform_rows(rng, tied, values.shape[0]) * counts[tied]).astype(np.intp)
        # the maximisers of the tied rows in row-major order: row r's k-th one sits at the
        # row's offset (the maximisers of the rows before it) plus k
        where = np.flatnonzero(best[tied] if best is not None else maximisers(values[tied]))
        offset = np.cumsum(counts[tied]) - counts[tied]
        chosen[tied] = where[offset + pick] % values.shape[1]
    return chosen


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
    """Make a scalar or per-agent parameter broadcast against ``(n_agents, n_actions)``.

    A two-dimensional (per-action) array is returned as it is.
    """
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value[:, None]
    return value


def agent_action_table(
    value: float | NDArray[np.float64], n_agents: int, n_actions: int
) -> NDArray[np.float64]:
    """A fresh ``(n_agents, n_actions)`` array from a scalar, per-agent or per-action value.

    Accepts what a ``ParameterSpec`` with ``per_agent`` and ``per_action`` validates: a
    scalar, shape ``(n_agents,)``, ``(1, n_actions)`` or ``(n_agents, n_actions)``.
    """
    return np.zeros((n_agents, n_actions)) + column(value)
