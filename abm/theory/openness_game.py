"""The openness-regulation game (Model I): closed forms of stages 2 and 3.

Openness game after Qiu, Laufer, Kleinberg and Heidari (2025); the default functional forms
are this project's own (see ``docs/model.md``). A generalist G releases a base model of
performance ``alpha0`` with openness ω ∈ [0, 1] (or abstains); a specialist D fine-tunes it to
``alpha1``; a regulator fines releases below the threshold θ with the penalty p. The revenue
share δ (G's share) is fixed here; :mod:`abm.theory.bargaining` chooses it.

Every function is vectorised: any field of :class:`OpennessGame` and ``delta`` may be an array,
and results broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import check_range
from abm.theory.defaults import MODEL_ONE_DEFAULTS

FloatArray = NDArray[np.float64]

#: Regime codes, in the order of :data:`REGIMES`.
FREE, COMPLY, PAY, ABSTAIN = 0, 1, 2, 3
REGIMES: tuple[str, ...] = ("free", "comply", "pay", "abstain")

# Relative tolerance under which "comply" and "pay" count as a tie (ties favour compliance),
# so that a penalty computed as exactly p̄(θ) is not decided by rounding.
_TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class OpennessGame:
    """Parameters of the openness-regulation game; every field may be a scalar or an array.

    Attributes:
        alpha0: Performance of the base model, > 0.
        specialist_cost: D's fine-tuning cost scale c_D, > 0.
        openness_leverage: λ, how much openness cuts D's cost, ≥ 0.
        licensing: β, closed-access revenue per unit of alpha0, ≥ 0.
        reputation: ε, reputational value per unit of openness, ≥ 0.
        operation: o, cost of serving a closed model per unit of closedness, ≥ 0.
        compliance: k, quadratic cost of preparing an open release, > 0.
        production: c0, cost of building the base model (c0·alpha0²), ≥ 0.
        theta: The regulator's open-source threshold θ ∈ [0, 1].
        penalty: The penalty p ≥ 0 for a release below θ.

    Examples:
        >>> import numpy as np
        >>> game = OpennessGame(alpha0=np.array([0.5, 2.0]), theta=0.5, penalty=0.05)
        >>> game.shape
        (2,)
        >>> float(game.unregulated().penalty)
        0.0
    """

    alpha0: ArrayLike = MODEL_ONE_DEFAULTS["alpha0"]
    specialist_cost: ArrayLike = MODEL_ONE_DEFAULTS["specialist_cost"]
    openness_leverage: ArrayLike = MODEL_ONE_DEFAULTS["openness_leverage"]
    licensing: ArrayLike = MODEL_ONE_DEFAULTS["licensing"]
    reputation: ArrayLike = MODEL_ONE_DEFAULTS["reputation"]
    operation: ArrayLike = MODEL_ONE_DEFAULTS["operation"]
    compliance: ArrayLike = MODEL_ONE_DEFAULTS["compliance"]
    production: ArrayLike = MODEL_ONE_DEFAULTS["production"]
    theta: ArrayLike = 0.0
    penalty: ArrayLike = 0.0

    def __post_init__(self) -> None:
        for field in fields(self):
            object.__setattr__(self, field.name, np.asarray(getattr(self, field.name), float))
        check_range("alpha0", self.alpha0, 0.0, low_open=True)
        check_range("specialist_cost", self.specialist_cost, 0.0, low_open=True)
        check_range("compliance", self.compliance, 0.0, low_open=True)
        for name in ("openness_leverage", "licensing", "reputation", "operation", "production"):
            check_range(name, getattr(self, name), 0.0)
        check_range("theta", self.theta, 0.0, 1.0)
        check_range("penalty", self.penalty, 0.0)

    def replace(self, **changes: Any) -> OpennessGame:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def unregulated(self) -> OpennessGame:
        """The same game without regulation (θ = 0, p = 0): the baseline outcomes compare to."""
        return replace(self, theta=0.0, penalty=0.0)

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of all fields."""
        return np.broadcast_shapes(*(np.shape(getattr(self, f.name)) for f in fields(self)))


def _delta(delta: ArrayLike) -> FloatArray:
    array = np.asarray(delta, float)
    check_range("delta", array, 0.0, 1.0)
    return array


# --- Stage 3: the specialist ------------------------------------------------------------------


def specialist_performance(game: OpennessGame, openness: ArrayLike, delta: ArrayLike) -> FloatArray:
    """D's best response α1*(ω) = α0 + (1−δ)(1+λω)/(2c_D)."""
    openness = np.asarray(openness, float)
    return game.alpha0 + (1.0 - delta) * (1.0 + game.openness_leverage * openness) / (
        2.0 * game.specialist_cost
    )


def specialist_utility(game: OpennessGame, openness: ArrayLike, delta: ArrayLike) -> FloatArray:
    """D's utility at its best response: (1−δ)α0 + (1−δ)²(1+λω)/(4c_D), never negative."""
    openness = np.asarray(openness, float)
    share = 1.0 - np.asarray(delta, float)
    return share * game.alpha0 + share**2 * (1.0 + game.openness_leverage * openness) / (
        4.0 * game.specialist_cost
    )


# --- Stage 2: the generalist ------------------------------------------------------------------


def generalist_coefficients(
    game: OpennessGame, delta: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Coefficients of G's pre-penalty payoff Ū_G(ω) = constant + slope·ω − curvature·ω².

    Returns:
        ``(constant, slope, curvature)`` with curvature = k > 0, so Ū_G is concave in ω.
    """
    delta = np.asarray(delta, float)
    fine_tuning_value = delta * (1.0 - delta) / (2.0 * game.specialist_cost)
    constant = (
        delta * game.alpha0
        + fine_tuning_value
        + game.licensing * game.alpha0
        - game.operation
        - game.production * game.alpha0**2
    )
    slope = (
        fine_tuning_value * game.openness_leverage
        - game.licensing * game.alpha0
        + game.reputation
        + game.operation
    )
    return constant, slope, np.broadcast_to(game.compliance, np.shape(slope)).astype(float)


def generalist_utility(game: OpennessGame, openness: ArrayLike, delta: ArrayLike) -> FloatArray:
    """G's payoff Ū_G(ω) before any penalty, with D at its best response."""
    constant, slope, curvature = generalist_coefficients(game, delta)
    openness = np.asarray(openness, float)
    return constant + slope * openness - curvature * openness**2


def utilities_at(
    game: OpennessGame, openness: ArrayLike, alpha1: ArrayLike, delta: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Model I's (U_G, U_D) at any actions (ω, α1), penalty included, both players in.

    U_D = (1−δ)·α1 − c_D·(α1 − α0)²/(1 + λω);
    U_G = δ·α1 + β·α0·(1−ω) + ε·ω − o·(1−ω) − k·ω² − c0·α0² − p·[ω < θ].
    """
    openness = np.asarray(openness, float)
    alpha1 = np.asarray(alpha1, float)
    delta = _delta(delta)
    u_d = (1.0 - delta) * alpha1 - game.specialist_cost * (alpha1 - game.alpha0) ** 2 / (
        1.0 + game.openness_leverage * openness
    )
    u_g = (
        delta * alpha1
        + game.licensing * game.alpha0 * (1.0 - openness)
        + game.reputation * openness
        - game.operation * (1.0 - openness)
        - game.compliance * openness**2
        - game.production * game.alpha0**2
        - game.penalty * (openness < game.theta)
    )
    return u_g, u_d


def interior_openness(game: OpennessGame, delta: ArrayLike) -> FloatArray:
    """Unconstrained peak ω_int = [δ(1−δ)λ/(2c_D) + ε + o − βα0] / (2k)."""
    _, slope, curvature = generalist_coefficients(game, delta)
    return slope / (2.0 * curvature)


def free_openness(game: OpennessGame, delta: ArrayLike) -> FloatArray:
    """G's unregulated choice ω⁰ = clip(ω_int, 0, 1)."""
    return np.clip(interior_openness(game, delta), 0.0, 1.0)


def indifference_penalty(game: OpennessGame, delta: ArrayLike) -> FloatArray:
    """p̄(θ) = Ū_G(ω⁰) − Ū_G(θ): the penalty at which G is indifferent between comply and pay.

    Zero where the threshold does not bind (θ ≤ ω⁰). Above p̄ G complies, below it G pays.

    Examples:
        >>> import numpy as np
        >>> game = OpennessGame(alpha0=np.array([0.5, 2.0]), theta=0.5)
        >>> indifference_penalty(game, 0.5).round(4)  # the stronger model needs a larger fine
        array([0.0195, 0.2375])
    """
    omega0 = free_openness(game, delta)
    gap = generalist_utility(game, omega0, delta) - generalist_utility(game, game.theta, delta)
    return np.where(game.theta > omega0, np.maximum(gap, 0.0), 0.0)


@dataclass(frozen=True)
class StageTwo:
    """Outcome of stages 2–3 at a given revenue share δ (all fields broadcast together).

    Attributes:
        regime: Codes into :data:`REGIMES` (free, comply, pay, abstain).
        openness: Released openness ω; NaN where G abstains.
        alpha1: D's fine-tuned performance; NaN where G abstains.
        utility_generalist: G's payoff, penalty included; 0 on abstention.
        utility_specialist: D's payoff; 0 on abstention.
        free_openness: ω⁰, G's unregulated choice at this δ.
        indifference_penalty: p̄(θ) at this δ.
        penalty_paid: p where G pays, else 0.
    """

    regime: NDArray[np.int8]
    openness: FloatArray
    alpha1: FloatArray
    utility_generalist: FloatArray
    utility_specialist: FloatArray
    free_openness: FloatArray
    indifference_penalty: FloatArray
    penalty_paid: FloatArray

    @property
    def participates(self) -> NDArray[np.bool_]:
        """Whether G is in the market."""
        return self.regime != ABSTAIN


def stage_two(game: OpennessGame, delta: ArrayLike) -> StageTwo:
    """Solve stages 2–3 by backward induction at revenue share ``delta``.

    G compares the free choice ω⁰ (when the rule does not bind), complying at θ, paying the
    penalty at ω⁰, and abstaining (0). Ties favour compliance, then participation. A rule with
    a zero penalty does not bind.

    Examples:
        >>> import numpy as np
        >>> round(float(stage_two(OpennessGame(alpha0=0.5), 0.5).openness), 4)  # ω⁰
        0.1875
        >>> game = OpennessGame(alpha0=np.array([0.5, 2.0]), theta=0.5, penalty=0.05)
        >>> result = stage_two(game, 0.5)
        >>> [REGIMES[code] for code in result.regime], result.penalty_paid.tolist()
        (['comply', 'pay'], [0.0, 0.05])
    """
    delta = _delta(delta)
    shape = np.broadcast_shapes(game.shape, delta.shape)
    omega0 = np.broadcast_to(free_openness(game, delta), shape)
    theta = np.broadcast_to(game.theta, shape)
    penalty = np.broadcast_to(game.penalty, shape)

    value_free = generalist_utility(game, omega0, delta)
    value_comply = np.broadcast_to(generalist_utility(game, theta, delta), shape)
    value_pay = value_free - penalty
    binds = (theta > omega0) & (penalty > 0.0)
    complies = binds & (value_comply >= value_pay - _TIE_TOLERANCE * (1.0 + np.abs(value_pay)))

    regime = np.full(shape, FREE, dtype=np.int8)
    regime[binds] = PAY
    regime[complies] = COMPLY
    value = np.where(complies, value_comply, np.where(binds, value_pay, value_free))
    openness = np.where(complies, theta, omega0)
    abstains = value < 0.0
    regime[abstains] = ABSTAIN
    openness = np.where(abstains, np.nan, openness)

    return StageTwo(
        regime=regime,
        openness=openness,
        alpha1=np.broadcast_to(specialist_performance(game, openness, delta), shape),
        utility_generalist=np.where(abstains, 0.0, value),
        utility_specialist=np.where(
            abstains, 0.0, np.broadcast_to(specialist_utility(game, openness, delta), shape)
        ),
        free_openness=omega0,
        indifference_penalty=np.broadcast_to(indifference_penalty(game, delta), shape),
        penalty_paid=np.where(regime == PAY, penalty, 0.0),
    )


class Benchmark(NamedTuple):
    """A leader's choice in a benchmark equilibrium: regime code and openness (NaN: abstain)."""

    regime: NDArray[np.int8]
    openness: FloatArray


def spe_benchmark(game: OpennessGame, delta: ArrayLike, followers: ArrayLike = 1) -> Benchmark:
    """Subgame-perfect choice of a leader with ``followers`` specialists on its base.

    The leader anticipates each follower's best response, so its pre-penalty payoff is
    Ū_G(ω) with the fine-tuning terms counted ``followers`` times: the peak moves to
    ω_int(n) = [n·δ(1−δ)λ/(2c_D) + ε + o − βα0]/(2k). With one follower this is
    :func:`stage_two`.

    Examples:
        >>> spe_benchmark(OpennessGame(alpha0=2.0), 0.5, followers=[1, 10]).openness
        array([0., 1.])
    """
    n = np.asarray(followers, float)
    delta = _delta(delta)
    constant, slope, curvature = generalist_coefficients(game, delta)
    fine_tuning = delta * (1.0 - delta) / (2.0 * game.specialist_cost)
    constant = constant + (n - 1.0) * (delta * game.alpha0 + fine_tuning)
    slope = slope + (n - 1.0) * fine_tuning * game.openness_leverage
    return _leader_choice(game, constant, slope, curvature, np.zeros_like(constant))


def myopic_benchmark(game: OpennessGame, delta: ArrayLike) -> Benchmark:
    """Myopic-Nash choice: the leader takes the follower's α1 as given.

    Holding α1 fixed, the fine-tuning revenue δ·α1 does not depend on ω, so the leader's
    choice maximises its own terms: ω^N = clip((ε + o − βα0)/(2k), 0, 1); with regulation it
    compares complying at θ with paying at ω^N on those terms, and participates if its payoff
    with the follower at its best response to the chosen ω is ≥ 0.
    """
    delta = _delta(delta)
    constant, _, curvature = generalist_coefficients(game, delta)
    own_constant = game.licensing * game.alpha0 - game.operation - game.production * game.alpha0**2
    own_slope = game.reputation + game.operation - game.licensing * game.alpha0
    fine_tuning = constant - own_constant  # δ·α0 + δ(1−δ)/(2c_D): δ·α1 at ω = 0
    slope_gain = (
        delta * (1.0 - delta) / (2.0 * game.specialist_cost) * game.openness_leverage
    )  # δ·α1 grows by this per unit of ω (the follower's response)
    return _leader_choice(
        game, own_constant, own_slope, curvature, fine_tuning, follower_slope=slope_gain
    )


def _leader_choice(
    game: OpennessGame,
    constant: FloatArray,
    slope: FloatArray,
    curvature: FloatArray,
    fixed_revenue: FloatArray,
    follower_slope: ArrayLike = 0.0,
) -> Benchmark:
    """Free, comply, pay or abstain for a concave payoff constant + slope·ω − curvature·ω².

    ``fixed_revenue + follower_slope·ω`` is added only to the participation test (it is the
    revenue the leader holds fixed when it compares release levels).
    """

    def value(openness: ArrayLike) -> FloatArray:
        return constant + slope * openness - curvature * np.asarray(openness) ** 2

    shape = np.broadcast_shapes(np.shape(constant), np.shape(slope), game.shape)
    free = np.broadcast_to(np.clip(slope / (2.0 * curvature), 0.0, 1.0), shape)
    theta = np.broadcast_to(game.theta, shape)
    penalty = np.broadcast_to(game.penalty, shape)
    binds = (theta > free) & (penalty > 0.0)
    pay_value = value(free) - penalty
    complies = binds & (value(theta) >= pay_value - _TIE_TOLERANCE * (1.0 + np.abs(pay_value)))
    openness = np.where(complies, theta, free)
    total = (
        np.where(complies, value(theta), np.where(binds, pay_value, value(free)))
        + fixed_revenue
        + np.asarray(follower_slope) * openness
    )
    regime = np.full(shape, FREE, dtype=np.int8)
    regime[binds] = PAY
    regime[complies] = COMPLY
    abstains = total < 0.0
    regime[abstains] = ABSTAIN
    return Benchmark(regime, np.where(abstains, np.nan, openness))
