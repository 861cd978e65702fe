"""Vectorised bounded maximisation: grid search, golden section, then Newton polishing.

Used where no closed form exists (the bargained share δ, the generic solver's stages). Each
call maximises many independent one-dimensional problems at once.

Why three steps: the grid finds the global maximum of a piecewise-smooth function, golden
section shrinks the winning cell robustly (kinks included), and a few Newton steps on central
differences take a smooth maximum from golden section's √ε accuracy to ~1e-10. The last step
matters when problems are nested: an inner optimum found only to √ε makes the outer objective
noisy, and the noise would be amplified again in the outer argmax. Newton steps are kept only
when they stay in the bracket and do not lower the objective, so kinks are safe.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], FloatArray]

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _at(objective: Objective, x: FloatArray) -> FloatArray:
    """Evaluate a trailing-axis objective at one point per problem."""
    return objective(x[..., None])[..., 0]


def maximise(
    objective: Objective,
    low: FloatArray,
    high: FloatArray,
    grid: int = 101,
    golden_steps: int = 25,
    newton_steps: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Maximise ``objective`` on [low, high] for every problem at once.

    Args:
        objective: Maps x of shape ``low.shape + (k,)`` to values of the same shape.
        low: Lower ends, one per problem (any shape).
        high: Upper ends, same shape.
        grid: Grid points per interval (ties on the grid go to the smallest x).
        golden_steps: Golden-section steps inside the best grid cell.
        newton_steps: Newton steps on central differences after golden section.

    Returns:
        ``(argmax, max)``, each of shape ``low.shape``.
    """
    low, high = np.broadcast_arrays(np.asarray(low, float), np.asarray(high, float))
    fractions = np.linspace(0.0, 1.0, grid)
    points = low[..., None] + (high - low)[..., None] * fractions
    values = objective(points)
    best = np.argmax(values, axis=-1)[..., None]
    best_x = np.take_along_axis(points, best, axis=-1)[..., 0]
    best_value = np.take_along_axis(values, best, axis=-1)[..., 0]

    cell = (high - low) / (grid - 1)
    lo, hi = np.maximum(best_x - cell, low), np.minimum(best_x + cell, high)
    for _ in range(golden_steps):
        left, right = hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo)
        go_left = _at(objective, left) >= _at(objective, right)
        hi, lo = np.where(go_left, right, hi), np.where(go_left, lo, left)
    # The bracket's ends as well as its middle: at a jump the maximum sits on one end.
    ends = np.stack([0.5 * (lo + hi), lo, hi], axis=-1)
    end_values = objective(ends)
    pick = np.argmax(end_values, axis=-1)[..., None]
    x = np.take_along_axis(ends, pick, axis=-1)[..., 0]
    value = np.take_along_axis(end_values, pick, axis=-1)[..., 0]

    span = np.maximum(high - low, 1e-300)
    for _ in range(newton_steps):
        # Central differences; near an end the stencil shrinks to fit (ends are exact already).
        step = np.minimum(1e-3 * span, 0.999 * np.minimum(x - low, high - x))
        inside = step > 1e-8 * span
        step = np.where(inside, step, 1e-3 * span)
        below = _at(objective, np.where(inside, x - step, x))
        above = _at(objective, np.where(inside, x + step, x))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            slope = (above - below) / (2.0 * step)
            curvature = (above - 2.0 * value + below) / step**2
            candidate = x - slope / curvature
        usable = inside & (curvature < 0.0) & (candidate >= lo - cell) & (candidate <= hi + cell)
        candidate = np.clip(np.where(usable, candidate, x), low, high)
        candidate_value = _at(objective, candidate)
        keep = usable & (candidate_value >= value)
        x, value = np.where(keep, candidate, x), np.where(keep, candidate_value, value)

    # Never return worse than the grid's best point (a kink can fool the local steps).
    better = value > best_value
    return np.where(better, x, best_x), np.where(better, value, best_value)
