"""Numerical backward induction of the openness game for user-supplied utilities.

The closed forms of :mod:`abm.theory.openness_game` hold only for the default functional
forms. This solver takes any utilities ``u(openness, alpha1, delta)`` for G (before the
penalty) and D and solves the same three stages numerically (:mod:`abm.theory.optimise`):
D's fine-tuning over α1 ≥ α0, G's release over ω ∈ [0, 1] (separately below and above the
threshold, since the penalty is a jump), and δ by the shared bargaining search.

Conventions (the same as the closed-form game): ties favour compliance, then participation;
a player whose best option is negative abstains; if D abstains there is no fine-tuned product,
so G's payoff is its utility at α1 = α0 with no revenue share (δ = 0).

Utilities should accept numpy arrays and broadcast; plain scalar functions are wrapped with
``numpy.vectorize`` (correct, but much slower).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_choice, check_range
from abm.theory.bargaining import BARGAINING_RULES, bargain_share
from abm.theory.openness_game import ABSTAIN, COMPLY, FREE, PAY
from abm.theory.optimise import maximise

FloatArray = NDArray[np.float64]
Utility = Callable[[FloatArray, FloatArray, FloatArray], FloatArray]

_TIE_TOLERANCE = 1e-9
# Fewer golden steps than the default: Newton polishing finishes smooth inner problems.
_INNER_GOLDEN = 15


def _vectorised(utility: Utility) -> Utility:
    """Return ``utility`` if it broadcasts over arrays, else a ``numpy.vectorize`` wrapper."""
    probe = np.array([0.25, 0.75])
    try:
        value = np.asarray(utility(probe, probe + 1.0, probe), float)
        if value.shape == probe.shape:
            return utility
    except (TypeError, ValueError):
        pass
    return np.vectorize(utility, otypes=[float])  # type: ignore[return-value]


@dataclass(frozen=True)
class GenericGame:
    """An openness game with arbitrary utilities, solved numerically.

    Attributes:
        utility_generalist: G's payoff ``u(openness, alpha1, delta)`` before any penalty.
        utility_specialist: D's payoff ``u(openness, alpha1, delta)``.
        alpha0: Base-model performance (D's α1 is searched on α1 ≥ alpha0).
        theta: Threshold in [0, 1].
        penalty: Penalty ≥ 0 for a release below theta.
        alpha1_span: Initial width of D's search above alpha0; widened while the best α1
            sits at the top of the range.
        openness_grid: Grid points for ω before refinement.
        alpha1_grid: Grid points for α1 before refinement.

    Examples:
        Model I's own utilities, solved numerically, give its closed-form ω⁰ = 0.1875:

        >>> from abm.theory.openness_game import OpennessGame, utilities_at
        >>> closed = OpennessGame(alpha0=0.5)
        >>> game = GenericGame(
        ...     lambda w, a1, d: utilities_at(closed, w, a1, d)[0],
        ...     lambda w, a1, d: utilities_at(closed, w, a1, d)[1],
        ...     alpha0=0.5,
        ... )
        >>> round(float(solve(game, "fixed", 0.5).openness), 4)
        0.1875
    """

    utility_generalist: Utility
    utility_specialist: Utility
    alpha0: float
    theta: float = 0.0
    penalty: float = 0.0
    alpha1_span: float = 4.0
    openness_grid: int = 101
    alpha1_grid: int = 101

    def __post_init__(self) -> None:
        check_range("alpha0", self.alpha0, 0.0, low_open=True)
        check_range("theta", self.theta, 0.0, 1.0)
        check_range("penalty", self.penalty, 0.0)
        check_range("alpha1_span", self.alpha1_span, 0.0, low_open=True)
        object.__setattr__(self, "utility_generalist", _vectorised(self.utility_generalist))
        object.__setattr__(self, "utility_specialist", _vectorised(self.utility_specialist))


def specialist_response(
    game: GenericGame, openness: ArrayLike, delta: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """D's best α1 and its utility at each (ω, δ); the utility is negative where D abstains."""
    openness, delta = np.broadcast_arrays(np.asarray(openness, float), np.asarray(delta, float))

    def objective(alpha1: FloatArray) -> FloatArray:
        return game.utility_specialist(openness[..., None], alpha1, delta[..., None])

    low = np.full(openness.shape, float(game.alpha0))
    span = game.alpha1_span
    for _ in range(30):
        best, value = maximise(objective, low, low + span, game.alpha1_grid, _INNER_GOLDEN)
        if not np.any(best >= low + span * (1.0 - 1e-9)):
            break
        span *= 4.0
    else:
        raise ParameterError("utility_specialist has no maximum in alpha1 (it grows without bound)")
    return best, value


def generalist_value(game: GenericGame, openness: ArrayLike, delta: ArrayLike) -> FloatArray:
    """G's payoff before the penalty at ω, anticipating D (no revenue share if D abstains)."""
    openness, delta = np.broadcast_arrays(np.asarray(openness, float), np.asarray(delta, float))
    alpha1, value_d = specialist_response(game, openness, delta)
    with_product = game.utility_generalist(openness, alpha1, delta)
    alone = game.utility_generalist(openness, np.full_like(openness, game.alpha0), 0.0 * delta)
    return np.where(value_d >= 0.0, with_product, alone)


@dataclass(frozen=True)
class GenericOutcome:
    """Stages 2–3 (and the share) found numerically; fields mirror the closed-form results."""

    delta: FloatArray
    regime: NDArray[np.int8]
    openness: FloatArray
    alpha1: FloatArray
    utility_generalist: FloatArray
    utility_specialist: FloatArray
    free_openness: FloatArray


def stage_two(game: GenericGame, delta: ArrayLike) -> GenericOutcome:
    """Solve G's release and D's fine-tuning numerically at share(s) ``delta``."""
    delta = np.asarray(delta, float)
    check_range("delta", delta, 0.0, 1.0)

    def value(openness: FloatArray) -> FloatArray:
        return generalist_value(game, openness, delta[..., None])

    zeros, ones = np.zeros(delta.shape), np.ones(delta.shape)
    free, value_free = maximise(value, zeros, ones, game.openness_grid, _INNER_GOLDEN)
    theta = np.full(delta.shape, float(game.theta))
    binds = (free < theta - 1e-9) & (game.penalty > 0.0)
    regime = np.full(delta.shape, FREE, dtype=np.int8)
    openness, payoff = free.copy(), value_free.copy()
    if np.any(binds):
        above, value_above = maximise(value, theta, ones, game.openness_grid, _INNER_GOLDEN)
        # Best release below θ: the sup over [0, θ) equals the max over [0, θ] for continuous u.
        below, value_below = maximise(value, zeros, theta, game.openness_grid, _INNER_GOLDEN)
        value_pay = value_below - game.penalty
        complies = binds & (value_above >= value_pay - _TIE_TOLERANCE)
        pays = binds & ~complies
        regime[complies], regime[pays] = COMPLY, PAY
        openness = np.where(complies, above, np.where(pays, below, openness))
        payoff = np.where(complies, value_above, np.where(pays, value_pay, payoff))
    abstains = payoff < 0.0
    regime[abstains] = ABSTAIN
    alpha1, value_d = specialist_response(game, openness, delta)
    specialist_in = ~abstains & (value_d >= 0.0)
    return GenericOutcome(
        delta=delta,
        regime=regime,
        openness=np.where(abstains, np.nan, openness),
        alpha1=np.where(specialist_in, alpha1, np.nan),
        utility_generalist=np.where(abstains, 0.0, payoff),
        utility_specialist=np.where(specialist_in, value_d, 0.0),
        free_openness=free,
    )


def solve(
    game: GenericGame, rule: str = "fixed", delta: float | None = None, grid: int = 201
) -> GenericOutcome:
    """Subgame-perfect equilibrium of ``game`` with δ fixed or bargained by ``rule``.

    Args:
        game: The game with user utilities.
        rule: One of :data:`abm.theory.bargaining.BARGAINING_RULES`.
        delta: The share for ``fixed`` (default 0.5).
        grid: δ grid before refinement (the refinement makes the result exact to ~1e-9 on a
            locally unimodal objective, whatever the grid).
    """
    check_choice("bargaining", rule, BARGAINING_RULES)
    if rule == "fixed":
        return stage_two(game, 0.5 if delta is None else delta)
    if delta is not None:
        raise ParameterError(f"delta is only accepted with bargaining 'fixed', not {rule!r}")

    def continuation(share: FloatArray) -> tuple[FloatArray, FloatArray]:
        outcome = stage_two(game, share)
        return outcome.utility_generalist, outcome.utility_specialist

    return stage_two(game, bargain_share(continuation, rule, (), grid))
