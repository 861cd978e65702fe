"""Stage 1 of the openness game: how G and D agree the revenue share δ.

Each rule maximises a function of the continuation values (U_G(δ), U_D(δ)) of stages 2–3, with
disagreement point (0, 0). The continuation is piecewise smooth in δ (it kinks where G's regime
changes), so :func:`abm.theory.optimise.maximise` searches a uniform grid and refines inside
the winning cell; the result is accurate to well below 1e-6 in δ.

The search is generic: it takes any vectorised continuation ``delta -> (u_g, u_d)``, so the
closed-form game and :mod:`abm.theory.generic_solver` share it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_choice, check_range
from abm.theory.defaults import BARGAINING_RULES
from abm.theory.openness_game import OpennessGame, StageTwo, stage_two
from abm.theory.optimise import maximise

FloatArray = NDArray[np.float64]
Continuation = Callable[[FloatArray], tuple[FloatArray, FloatArray]]


DEFAULT_GRID = 1001
_MAX_GRID_ELEMENTS = 4_000_000  # bound memory: elements × grid points evaluated at once


def _objective(
    rule: str, max_generalist: FloatArray | None, max_specialist: FloatArray | None
) -> Callable[[FloatArray, FloatArray], FloatArray]:
    if rule == "generalist":
        return lambda u_g, u_d: u_g
    if rule == "specialist_max":  # internal: D's best δ, for Kalai–Smorodinsky
        return lambda u_g, u_d: u_d
    if rule == "nash":
        return lambda u_g, u_d: u_g * u_d
    if rule == "egalitarian":
        return np.minimum
    if rule == "kalai_smorodinsky":
        assert max_generalist is not None and max_specialist is not None
        scale_g = np.where(max_generalist > 0, max_generalist, np.inf)[..., None]
        scale_d = np.where(max_specialist > 0, max_specialist, np.inf)[..., None]
        return lambda u_g, u_d: np.minimum(u_g / scale_g, u_d / scale_d)
    raise ParameterError(f"bargaining must be one of {', '.join(BARGAINING_RULES)}, got {rule!r}")


def maximise_share(
    continuation: Continuation,
    objective: Callable[[FloatArray, FloatArray], FloatArray],
    shape: tuple[int, ...],
    grid: int = DEFAULT_GRID,
) -> FloatArray:
    """Find δ ∈ [0, 1] maximising ``objective(*continuation(δ))`` for every element.

    Args:
        continuation: Maps δ of shape ``shape + (n,)`` to ``(u_g, u_d)`` of the same shape.
        objective: Combines the two utilities elementwise; must accept that trailing axis.
        shape: Shape of the parameter elements.
        grid: Number of grid points on [0, 1] before refinement.

    Returns:
        The maximising δ, of shape ``shape``; ties on the grid go to the smallest δ.
    """
    share, _ = maximise(
        lambda delta: objective(*continuation(delta)),
        np.zeros(shape),
        np.ones(shape),
        grid,
        golden_steps=30,  # egalitarian and Kalai–Smorodinsky optima sit on kinks
    )
    return share


def closed_form_continuation(game: OpennessGame) -> Continuation:
    """The continuation values (U_G(δ), U_D(δ)) of the closed-form game, vectorised in δ."""
    expanded = game.replace(
        **{f.name: np.asarray(getattr(game, f.name))[..., None] for f in fields(game)}
    )

    def continuation(delta: FloatArray) -> tuple[FloatArray, FloatArray]:
        outcome = stage_two(expanded, delta)
        return outcome.utility_generalist, outcome.utility_specialist

    return continuation


def bargain_share(
    continuation: Continuation,
    rule: str,
    shape: tuple[int, ...] = (),
    grid: int = DEFAULT_GRID,
) -> FloatArray:
    """δ chosen by ``rule`` for any continuation (see :func:`maximise_share`)."""
    check_choice("bargaining", rule, [r for r in BARGAINING_RULES if r != "fixed"])
    max_generalist = max_specialist = None
    if rule == "kalai_smorodinsky":
        for name in ("generalist", "specialist_max"):
            best = maximise_share(continuation, _objective(name, None, None), shape, grid)
            u_g, u_d = continuation(best[..., None])
            if name == "generalist":
                max_generalist = u_g[..., 0]
            else:
                max_specialist = u_d[..., 0]
    return maximise_share(
        continuation, _objective(rule, max_generalist, max_specialist), shape, grid
    )


def bargain(
    game: OpennessGame,
    rule: str = "fixed",
    delta: ArrayLike | None = None,
    grid: int = DEFAULT_GRID,
) -> FloatArray:
    """The revenue share δ of the closed-form game under ``rule``, for every element of ``game``.

    Args:
        game: Parameters (arrays broadcast).
        rule: One of :data:`BARGAINING_RULES`.
        delta: The share when ``rule == "fixed"`` (default 0.5); must be None otherwise.
        grid: Grid points on [0, 1] before refinement.
    """
    check_choice("bargaining", rule, BARGAINING_RULES)
    if rule == "fixed":
        share = np.asarray(0.5 if delta is None else delta, float)
        check_range("delta", share, 0.0, 1.0)
        return np.broadcast_to(share, np.broadcast_shapes(game.shape, share.shape)).copy()
    if delta is not None:
        raise ParameterError(f"delta is only accepted with bargaining 'fixed', not {rule!r}")
    shape = game.shape
    size = int(np.prod(shape, dtype=np.int64))
    chunk = max(1, _MAX_GRID_ELEMENTS // grid)
    if size <= chunk:
        return bargain_share(closed_form_continuation(game), rule, shape, grid)
    # Large arrays: solve in flat chunks so memory stays bounded.
    flat = {f.name: np.broadcast_to(getattr(game, f.name), shape).ravel() for f in fields(game)}
    result = np.empty(size)
    for start in range(0, size, chunk):
        part = game.replace(
            **{name: values[start : start + chunk] for name, values in flat.items()}
        )
        result[start : start + chunk] = bargain_share(
            closed_form_continuation(part), rule, part.shape, grid
        )
    return result.reshape(shape)


@dataclass(frozen=True)
class Equilibrium:
    """Subgame-perfect equilibrium of the openness game: the share δ and stages 2–3 at it."""

    delta: FloatArray
    stage: StageTwo


def equilibrium(
    game: OpennessGame,
    rule: str = "fixed",
    delta: ArrayLike | None = None,
    grid: int = DEFAULT_GRID,
) -> Equilibrium:
    """Solve all three stages: bargain δ by ``rule``, then G's release and D's fine-tuning."""
    share = bargain(game, rule, delta, grid)
    return Equilibrium(delta=share, stage=stage_two(game, share))
