"""Thin Mesa agents: the public face of each market participant.

An agent holds only its population and its index; every property reads the population's numpy
arrays, so the vectorised period loop and the agents can never disagree. The model never loops
over these objects in the period loop.
"""

from __future__ import annotations

from typing import Any

import mesa

from abm.market.populations import REGIMES


class MarketAgent(mesa.Agent):
    """An agent that is row ``index`` of ``population``."""

    def __init__(self, model: mesa.Model, population: Any, index: int) -> None:
        super().__init__(model)
        self.population = population
        self.index = int(index)

    def step(self) -> None:
        """Nothing: the model steps whole populations at once (see MarketModel.step)."""


class Generalist(MarketAgent):
    """A base-model owner (Model I's G)."""

    @property
    def alpha0(self) -> float:
        """Base-model performance α0."""
        return float(self.population.alpha0[self.index])

    @property
    def openness(self) -> float:
        """Openness ω released this period (NaN when abstaining)."""
        return float(self.population.openness[self.index])

    @property
    def regime(self) -> str:
        """free, comply, pay or abstain."""
        return REGIMES[int(self.population.regime[self.index])]

    @property
    def utility(self) -> float:
        """This period's payoff (penalty included)."""
        return float(self.population.utility[self.index])

    @property
    def share(self) -> float:
        """Share s of all derivatives built on this model."""
        return float(self.population.share[self.index])

    @property
    def derivatives(self) -> int:
        """Number of specialists fine-tuning this model."""
        return int(self.population.derivatives[self.index])


class Specialist(MarketAgent):
    """A fine-tuner (Model I's D)."""

    @property
    def base(self) -> int | None:
        """Index of the generalist it fine-tunes, or None when unmatched."""
        if not self.population.matched[self.index]:
            return None
        return int(self.population.base[self.index])

    @property
    def niche(self) -> int:
        """The niche (application) it serves."""
        return int(self.population.niche[self.index])

    @property
    def effort(self) -> float:
        """Fine-tuning effort e = α1 − α0 chosen this period."""
        return float(self.population.effort[self.index])

    @property
    def revenue(self) -> float:
        """Revenue of its derivative this period (before the share δ)."""
        return float(self.population.revenue[self.index])

    @property
    def alpha1(self) -> float:
        """Fine-tuned performance α1 (NaN when unmatched)."""
        return float(self.population.alpha1[self.index])

    @property
    def delta(self) -> float:
        """G's revenue share δ in this pair."""
        return float(self.population.delta[self.index])

    @property
    def utility(self) -> float:
        """This period's payoff U_D."""
        return float(self.population.utility[self.index])


class ClosedFirm(MarketAgent):
    """A closed-model firm (Model II)."""

    @property
    def niche(self) -> int:
        """The niche it sells in."""
        return int(self.population.niche[self.index])

    @property
    def compute(self) -> float:
        """Compute of the model it sells this period."""
        return float(self.population.compute[self.index])

    @property
    def price(self) -> float:
        """Price per customer-day set in its niche's clearing this period."""
        return float(self.population.price[self.index])

    @property
    def revenue(self) -> float:
        """Revenue this period."""
        return float(self.population.revenue[self.index])

    @property
    def profit(self) -> float:
        """Revenue minus the amortised compute cost, this period."""
        return float(self.population.profit[self.index])


class Regulator(MarketAgent):
    """The regulator; its population is the :class:`~abm.market.regulator.Policy`."""

    @property
    def theta(self) -> float:
        """Threshold θ in force."""
        return self.population.theta

    @property
    def penalty(self) -> float:
        """Penalty p in force."""
        return self.population.penalty
