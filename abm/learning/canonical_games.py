"""Canonical games for testing and teaching the learning rules.

Two-player games are a :class:`NormalFormGame` (matching pennies, Goeree–Holt asymmetric
matching pennies, Shapley's 3×3 game, Hawk–Dove, rock–paper–scissors, the prisoner's dilemma,
the stag hunt, a Cournot duopoly on a quantity grid); games with any number of players are an
:class:`NPlayerGame` (a payoff tensor; Calvano et al.'s Bertrand oligopoly with logit demand).
:func:`pure_nash_equilibria` lists the pure equilibria of either by brute force. The market
model does not use them; the repeated-play harness (:mod:`abm.learning.harness`) plays them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from abm.errors import ParameterError, check_range


@dataclass(frozen=True)
class NormalFormGame:
    """A two-player game in normal form.

    Attributes:
        row_payoffs: ``(K_row, K_column)`` payoff of the row player.
        column_payoffs: ``(K_row, K_column)`` payoff of the column player.
        name: Label for reports.
    """

    row_payoffs: NDArray[np.float64]
    column_payoffs: NDArray[np.float64]
    name: str = ""

    def __post_init__(self) -> None:
        row = np.array(self.row_payoffs, dtype=float)
        col = np.array(self.column_payoffs, dtype=float)
        if row.ndim != 2 or row.shape != col.shape:
            raise ParameterError(
                f"payoff matrices must be two-dimensional and of equal shape, got "
                f"{row.shape} and {col.shape}"
            )
        check_range("row_payoffs", row)
        check_range("column_payoffs", col)
        row.setflags(write=False)
        col.setflags(write=False)
        object.__setattr__(self, "row_payoffs", row)
        object.__setattr__(self, "column_payoffs", col)

    @classmethod
    def symmetric(cls, payoff_matrix: ArrayLike, name: str = "") -> NormalFormGame:
        """A symmetric game: the column player's payoffs are the transpose of the row's."""
        matrix = np.asarray(payoff_matrix, dtype=float)
        return cls(matrix, matrix.T, name)

    @property
    def shape(self) -> tuple[int, int]:
        """Number of row and column actions."""
        return self.row_payoffs.shape  # type: ignore[return-value]

    def as_n_player(self) -> NPlayerGame:
        """The same game as an :class:`NPlayerGame` of two players."""
        return NPlayerGame(np.stack((self.row_payoffs, self.column_payoffs)), self.name)


@dataclass(frozen=True)
class NPlayerGame:
    """A game of ``n`` players in normal form, as one payoff tensor.

    Attributes:
        payoffs: ``(n, K_1, …, K_n)``; ``payoffs[i][a_1, …, a_n]`` is player ``i``'s payoff
            when the players play the action profile ``(a_1, …, a_n)``.
        name: Label for reports.
        notes: Reference values that come with the game (e.g. its Nash and monopoly prices).
    """

    payoffs: NDArray[np.float64]
    name: str = ""
    notes: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tensor = np.array(self.payoffs, dtype=float)
        if tensor.ndim < 2 or tensor.shape[0] != tensor.ndim - 1:
            raise ParameterError(
                f"payoffs must have shape (n, K_1, ..., K_n) for n players, got {tensor.shape}"
            )
        check_range("payoffs", tensor)
        tensor.setflags(write=False)
        object.__setattr__(self, "payoffs", tensor)

    @property
    def n_players(self) -> int:
        """Number of players."""
        return self.payoffs.shape[0]

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of actions of each player."""
        return self.payoffs.shape[1:]

    def payoff(self, profiles: ArrayLike) -> NDArray[np.float64]:
        """Every player's payoff at each action profile.

        Args:
            profiles: ``(..., n)`` action indices, one per player.

        Returns:
            ``(..., n)`` payoffs.
        """
        index = np.asarray(profiles, dtype=np.intp)
        return np.moveaxis(self.payoffs[(slice(None), *np.moveaxis(index, -1, 0))], 0, -1)

    def forgone(self, player: int, profiles: ArrayLike) -> NDArray[np.float64]:
        """What each of ``player``'s actions would have earned against the others' actions.

        Args:
            player: Index of the player.
            profiles: ``(m, n)`` action profiles (``player``'s own entry is ignored).

        Returns:
            ``(m, K_player)`` payoffs.
        """
        index = np.asarray(profiles, dtype=np.intp)
        columns = [index[:, j][:, None] for j in range(self.n_players)]
        columns[player] = np.arange(self.shape[player])[None, :]
        return self.payoffs[player][tuple(columns)]

    def to_normal_form(self) -> NormalFormGame:
        """The two-player game as a :class:`NormalFormGame` (only for two players)."""
        if self.n_players != 2:
            raise ParameterError(
                f"only a two-player game has a bimatrix form, got {self.n_players}"
            )
        return NormalFormGame(self.payoffs[0], self.payoffs[1], self.name)


def pure_nash_equilibria(game: NormalFormGame | NPlayerGame) -> list[tuple[int, ...]]:
    """Every pure-strategy Nash equilibrium, by checking each profile (brute force).

    A profile is an equilibrium when no player gains by deviating alone (payoffs within a
    relative 1e-12 count as equal). Returns the profiles in lexicographic order.
    """
    tensor = game.as_n_player().payoffs if isinstance(game, NormalFormGame) else game.payoffs
    best = np.ones(tensor.shape[1:], dtype=bool)
    for player in range(tensor.shape[0]):
        own = tensor[player]
        top = own.max(axis=player, keepdims=True)
        best &= own >= top - 1e-12 * (1.0 + np.abs(top))
    return [tuple(int(a) for a in profile) for profile in np.argwhere(best)]


def matching_pennies() -> NormalFormGame:
    """Matching pennies: row wins 1 on a match, column wins 1 on a mismatch."""
    row = np.array([[1.0, -1.0], [-1.0, 1.0]])
    return NormalFormGame(row, -row, "matching pennies")


def asymmetric_matching_pennies() -> NormalFormGame:
    """Goeree–Holt asymmetric matching pennies: row [[9, 0], [0, 1]], column [[0, 1], [1, 0]]."""
    return NormalFormGame(
        np.array([[9.0, 0.0], [0.0, 1.0]]),
        np.array([[0.0, 1.0], [1.0, 0.0]]),
        "asymmetric matching pennies",
    )


def shapley_game() -> NormalFormGame:
    """Shapley's (1964) 3×3 game, where fictitious play cycles forever.

    Row earns 1 on the diagonal, column earns 1 one step to the right (cyclically); the unique
    equilibrium is uniform play by both.
    """
    return NormalFormGame(
        np.eye(3),
        np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
        "Shapley 3x3",
    )


def hawk_dove(value: float = 2.0, cost: float = 4.0) -> NormalFormGame:
    """Hawk–Dove (action 0 hawk, 1 dove) with prize ``value`` V and fight cost ``cost`` C > V.

    Payoffs: hawk–hawk (V−C)/2, hawk–dove V, dove–hawk 0, dove–dove V/2; the mixed
    equilibrium and evolutionarily stable hawk share is V/C.
    """
    check_range("value", value, 0.0, low_open=True)
    check_range("cost", cost, value, low_open=True)
    matrix = np.array([[(value - cost) / 2.0, value], [0.0, value / 2.0]])
    return NormalFormGame.symmetric(matrix, f"Hawk-Dove V={value:g} C={cost:g}")


def rock_paper_scissors(win: float = 1.0, loss: float = 1.0) -> NormalFormGame:
    """Rock–paper–scissors (actions rock, paper, scissors).

    A win pays ``win``, a loss −``loss``, a draw 0. With ``win == loss`` the game is zero-sum,
    the replicator flow conserves ``x₁x₂x₃`` and orbits the unique equilibrium
    (1/3, 1/3, 1/3); with ``win > loss`` the equilibrium attracts (Hofbauer and Sigmund 1998,
    ch. 7).
    """
    check_range("win", win, 0.0, low_open=True)
    check_range("loss", loss, 0.0, low_open=True)
    matrix = np.array([[0.0, -loss, win], [win, 0.0, -loss], [-loss, win, 0.0]])
    return NormalFormGame.symmetric(matrix, f"rock-paper-scissors win={win:g} loss={loss:g}")


def prisoners_dilemma(
    temptation: float = 5.0, reward: float = 3.0, punishment: float = 1.0, sucker: float = 0.0
) -> NormalFormGame:
    """The prisoner's dilemma (action 0 cooperate, 1 defect), Axelrod's payoffs by default.

    Needs ``temptation > reward > punishment > sucker``: defection strictly dominates, and
    (defect, defect) is the unique equilibrium.
    """
    if not temptation > reward > punishment > sucker:
        raise ParameterError(
            "prisoner's dilemma payoffs must satisfy temptation > reward > punishment > sucker"
        )
    matrix = np.array([[reward, sucker], [temptation, punishment]])
    return NormalFormGame.symmetric(matrix, "prisoner's dilemma")


def stag_hunt(stag: float = 4.0, hare: float = 3.0, alone: float = 0.0) -> NormalFormGame:
    """The stag hunt (action 0 stag, 1 hare; Skyrms 2004).

    Both hunting stag earn ``stag``, a lone stag hunter ``alone``, a hare hunter ``hare``
    whatever the other does. Needs ``stag > hare > alone``: both (stag, stag) and (hare, hare)
    are equilibria, and the mixed equilibrium hunts stag with probability
    (hare − alone)/(stag − alone).
    """
    if not stag > hare > alone:
        raise ParameterError("stag hunt payoffs must satisfy stag > hare > alone")
    return NormalFormGame.symmetric(np.array([[stag, alone], [hare, hare]]), "stag hunt")


def cournot(
    n_levels: int = 13,
    max_quantity: float = 12.0,
    intercept: float = 12.0,
    slope: float = 1.0,
    cost: float = 0.0,
) -> NormalFormGame:
    """A Cournot duopoly on the quantity grid ``linspace(0, max_quantity, n_levels)``.

    Inverse demand ``P = max(intercept − slope·(q₁ + q₂), 0)`` and constant marginal ``cost``:
    a firm earns ``q_i·(P − cost)``. The continuous game's equilibrium quantity is
    ``(intercept − cost)/(3·slope)`` (4 with the defaults, a grid point); the grid is
    :func:`cournot_quantities`.
    """
    check_range("n_levels", n_levels, 2.0)
    check_range("max_quantity", max_quantity, 0.0, low_open=True)
    check_range("intercept", intercept, 0.0, low_open=True)
    check_range("slope", slope, 0.0, low_open=True)
    check_range("cost", cost, 0.0, intercept)
    quantities = cournot_quantities(n_levels, max_quantity)
    price = np.maximum(intercept - slope * (quantities[:, None] + quantities[None, :]), 0.0)
    return NormalFormGame.symmetric(quantities[:, None] * (price - cost), "Cournot duopoly")


def cournot_quantities(n_levels: int = 13, max_quantity: float = 12.0) -> NDArray[np.float64]:
    """The quantity grid of :func:`cournot`."""
    return np.linspace(0.0, max_quantity, int(n_levels))


@dataclass(frozen=True)
class LogitDemand:
    """Calvano et al.'s (2020) logit demand for ``n`` symmetric firms.

    Firm ``i`` sells ``q_i = exp((a − p_i)/μ) / (Σ_j exp((a − p_j)/μ) + exp(a₀/μ))`` at price
    ``p_i`` and earns ``(p_i − c)·q_i``.

    Attributes:
        n_firms: Number of firms n.
        quality: Product quality a (the same for every firm).
        outside_quality: Quality a₀ of the outside good.
        cost: Marginal cost c.
        differentiation: Horizontal differentiation μ (μ → 0: perfect substitutes).
    """

    n_firms: int = 2
    quality: float = 2.0
    outside_quality: float = 0.0
    cost: float = 1.0
    differentiation: float = 0.25

    def shares(self, prices: ArrayLike) -> NDArray[np.float64]:
        """Each firm's demand at ``prices`` (shape ``(..., n)``)."""
        scores = (self.quality - np.asarray(prices, dtype=float)) / self.differentiation
        outside = self.outside_quality / self.differentiation
        top = np.maximum(scores.max(axis=-1, keepdims=True), outside)
        weights = np.exp(scores - top)
        return weights / (weights.sum(axis=-1, keepdims=True) + np.exp(outside - top))

    def profits(self, prices: ArrayLike) -> NDArray[np.float64]:
        """Each firm's profit ``(p_i − c)·q_i`` at ``prices`` (shape ``(..., n)``)."""
        price_array = np.asarray(prices, dtype=float)
        return (price_array - self.cost) * self.shares(price_array)

    def _symmetric_share(self, price: float) -> float:
        return float(self.shares(np.full(self.n_firms, price))[0])

    def nash_price(self) -> float:
        """The symmetric Bertrand–Nash price: ``p = c + μ/(1 − q(p))`` (first-order condition)."""
        mu, c = self.differentiation, self.cost
        return brentq(lambda p: p - c - mu / (1.0 - self._symmetric_share(p)), c, c + 100 * mu)

    def monopoly_price(self) -> float:
        """The common price that maximises joint profit: ``p = c + μ/(1 − n·q(p))``."""
        mu, c, n = self.differentiation, self.cost, self.n_firms
        return brentq(lambda p: p - c - mu / (1.0 - n * self._symmetric_share(p)), c, c + 100 * mu)


def bertrand_logit(
    demand: LogitDemand | None = None, n_prices: int = 15, extension: float = 0.1
) -> NPlayerGame:
    """Calvano et al.'s (2020) Bertrand oligopoly with logit demand on their price grid.

    The grid is ``n_prices`` equally spaced prices from ``p^N − ξ·(p^M − p^N)`` to
    ``p^M + ξ·(p^M − p^N)``, with ``p^N`` and ``p^M`` the Nash and monopoly prices and ξ the
    ``extension`` (Calvano et al.: 15 prices, ξ = 0.1). With their baseline demand (n = 2,
    a = 2, a₀ = 0, c = 1, μ = 1/4) ``p^N ≈ 1.473`` and ``p^M ≈ 1.925``; the game's ``notes``
    hold both prices and the profits at them.

    Returns:
        An :class:`NPlayerGame` of ``n_firms`` players over the price grid
        (:func:`bertrand_logit_prices`).
    """
    demand = LogitDemand() if demand is None else demand
    check_range("n_prices", n_prices, 2.0)
    check_range("extension", extension, 0.0)
    prices = bertrand_logit_prices(demand, n_prices, extension)
    n = int(demand.n_firms)
    grids = np.meshgrid(*([prices] * n), indexing="ij")
    profiles = np.stack(grids, axis=-1)  # (K, …, K, n)
    payoffs = np.moveaxis(demand.profits(profiles), -1, 0)
    nash, monopoly = demand.nash_price(), demand.monopoly_price()
    notes = {
        "nash_price": nash,
        "monopoly_price": monopoly,
        "nash_profit": float(demand.profits(np.full(n, nash))[0]),
        "monopoly_profit": float(demand.profits(np.full(n, monopoly))[0]),
    }
    return NPlayerGame(payoffs, f"Bertrand-logit n={n}", notes)


def bertrand_logit_prices(
    demand: LogitDemand | None = None, n_prices: int = 15, extension: float = 0.1
) -> NDArray[np.float64]:
    """The price grid of :func:`bertrand_logit`."""
    demand = LogitDemand() if demand is None else demand
    nash, monopoly = demand.nash_price(), demand.monopoly_price()
    gap = extension * (monopoly - nash)
    return np.linspace(nash - gap, monopoly + gap, int(n_prices))


def profit_gain(profit: float, nash_profit: float, monopoly_profit: float) -> float:
    """Calvano et al.'s profit gain Δ = (π − π^N)/(π^M − π^N): 0 at Nash, 1 at monopoly."""
    if math.isclose(monopoly_profit, nash_profit):
        raise ParameterError("monopoly and Nash profits must differ")
    return (profit - nash_profit) / (monopoly_profit - nash_profit)


__all__ = [
    "LogitDemand",
    "NPlayerGame",
    "NormalFormGame",
    "asymmetric_matching_pennies",
    "bertrand_logit",
    "bertrand_logit_prices",
    "cournot",
    "cournot_quantities",
    "hawk_dove",
    "matching_pennies",
    "prisoners_dilemma",
    "profit_gain",
    "pure_nash_equilibria",
    "rock_paper_scissors",
    "shapley_game",
    "stag_hunt",
]
