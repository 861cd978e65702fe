"""Canonical two-player games for testing and teaching the learning rules.

:class:`NormalFormGame` and the textbook examples: matching pennies, Goeree–Holt asymmetric
matching pennies, Shapley's 3×3 game and Hawk–Dove. The market model does not use them; the
repeated-play harness (:mod:`abm.learning.harness`) plays them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
