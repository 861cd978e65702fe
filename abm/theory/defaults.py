"""Model I's default numbers and the names of the bargaining rules, stated once.

The spec's "Default numbers" (Qiu et al. 2025's structure; the numbers are this project's):
the game (:class:`abm.theory.openness_game.OpennessGame`), the market's generalists and
specialists (:mod:`abm.market.config`) and the command line's options all read them here.
They are parameters, not solutions, so the market may import this module.
"""

from __future__ import annotations

from typing import Final

#: Model I's parameters: α0, c_D, λ, β, ε, o, k, c0.
MODEL_ONE_DEFAULTS: Final[dict[str, float]] = {
    "alpha0": 1.0,
    "specialist_cost": 1.0,
    "openness_leverage": 1.0,
    "licensing": 0.3,
    "reputation": 0.05,
    "operation": 0.05,
    "compliance": 0.2,
    "production": 0.2,
}
#: G's revenue share δ when it is fixed.
FIXED_DELTA: Final = 0.5

#: The bargaining rules for δ and what each maximises (the market applies the same names as an
#: institution to a pair's realised surplus; see docs/model.md).
BARGAINING_RULES: Final[dict[str, str]] = {
    "fixed": "δ is given",
    "nash": "maximise U_G·U_D (Nash bargaining solution)",
    "egalitarian": "maximise min(U_G, U_D)",
    "kalai_smorodinsky": "maximise min(U_G/max U_G, U_D/max U_D)",
    "generalist": "G sets δ to maximise U_G",
}
