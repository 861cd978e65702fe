"""What a regulation does: outcome classes against the unregulated baseline (Model I).

Both the regulated and the baseline game are solved with the same bargaining rule, so δ is
re-bargained under regulation (that is what makes ``both_lose`` possible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.theory.bargaining import DEFAULT_GRID, Equilibrium, equilibrium
from abm.theory.openness_game import ABSTAIN, PAY, OpennessGame

#: Outcome codes, in the order of :data:`OUTCOMES`. ``reverse_transfer`` (G gains, D loses) is
#: not in the source's list; it can only arise once δ is re-bargained and is reported honestly.
NONBINDING, DEADWEIGHT_LOSS, WITHDRAWAL, UTILITY_TRANSFER, PARETO_IMPROVEMENT, BOTH_LOSE = range(6)
REVERSE_TRANSFER = 6
OUTCOMES: tuple[str, ...] = (
    "nonbinding",
    "deadweight_loss",
    "withdrawal",
    "utility_transfer",
    "pareto_improvement",
    "both_lose",
    "reverse_transfer",
)

# Utility changes smaller than this count as no change (the bargaining search is ~1e-11 exact).
UTILITY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RegulationOutcome:
    """A regulated equilibrium, its unregulated baseline and the outcome class."""

    regulated: Equilibrium
    baseline: Equilibrium
    outcome: NDArray[np.int8]


def classify(
    regulated: Equilibrium, baseline: Equilibrium, tolerance: float = UTILITY_TOLERANCE
) -> NDArray[np.int8]:
    """Outcome codes (into :data:`OUTCOMES`) of ``regulated`` against ``baseline``.

    - withdrawal: G abstains under regulation but participates without it.
    - deadweight_loss: G pays the penalty (openness not raised).
    - nonbinding: openness is not raised and nobody pays (including a baseline abstention).
    - otherwise openness rose and the utility changes decide: pareto_improvement (both weakly
      gain), utility_transfer (D gains, G loses), reverse_transfer (G gains, D loses),
      both_lose.
    """
    new, old = regulated.stage, baseline.stage
    gain_g = new.utility_generalist - old.utility_generalist
    gain_d = new.utility_specialist - old.utility_specialist
    openness_rose = (
        np.nan_to_num(new.openness, nan=-1.0) > np.nan_to_num(old.openness, nan=-1.0) + tolerance
    )

    outcome = np.full(np.broadcast_shapes(gain_g.shape, gain_d.shape), BOTH_LOSE, dtype=np.int8)
    outcome[(gain_g >= -tolerance) & (gain_d >= -tolerance)] = PARETO_IMPROVEMENT
    outcome[(gain_g < -tolerance) & (gain_d > tolerance)] = UTILITY_TRANSFER
    outcome[(gain_g > tolerance) & (gain_d < -tolerance)] = REVERSE_TRANSFER
    outcome[~openness_rose] = NONBINDING
    outcome[new.regime == PAY] = DEADWEIGHT_LOSS
    outcome[(new.regime == ABSTAIN) & (old.regime != ABSTAIN)] = WITHDRAWAL
    return outcome


def regulation_outcome(
    game: OpennessGame,
    rule: str = "fixed",
    delta: ArrayLike | None = None,
    grid: int = DEFAULT_GRID,
) -> RegulationOutcome:
    """Solve ``game`` with and without its regulation and classify the difference.

    Examples:
        >>> import numpy as np
        >>> from abm.theory.openness_game import OpennessGame
        >>> game = OpennessGame(alpha0=0.5, theta=0.6, penalty=np.array([0.01, 0.5]))
        >>> result = regulation_outcome(game, rule="egalitarian")
        >>> [OUTCOMES[code] for code in result.outcome]
        ['deadweight_loss', 'both_lose']
    """
    regulated = equilibrium(game, rule, delta, grid)
    baseline = equilibrium(game.unregulated(), rule, delta, grid)
    return RegulationOutcome(regulated, baseline, classify(regulated, baseline))
