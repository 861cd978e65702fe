"""Thin Mesa agents: the public face of each market participant.

An agent holds only its population and its index; every property reads the population's numpy
arrays, so the vectorised period loop and the agents can never disagree. The model never loops
over these objects in the period loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from abm.market.populations import ClosedFirms, Generalists, Specialists


class MarketAgent(mesa.Agent):
    """An agent that is row ``index`` of ``population``."""

    def __init__(self, model: mesa.Model, population: Any, index: int) -> None:
        super().__init__(model)
        self.population = population
        self.index = int(index)

    def step(self) -> None:
        """Nothing: the model steps whole populations at once (see MarketModel.step)."""


def _field(name: str, meaning: str) -> property:
    """A read-only property giving this agent's entry of its population's field ``name``."""

    def read(self: MarketAgent) -> Any:
        value = self.population.column(name)[self.index]
        return value.item() if isinstance(value, np.generic) else value

    return property(read, doc=meaning)


def _with_fields(population: type) -> Callable[[type], type]:
    """Class decorator: one property per field of ``population.FIELDS`` (the one list)."""

    def decorate(agent: type) -> type:
        for name, meaning in population.FIELDS.items():
            setattr(agent, name, _field(name, meaning))
        return agent

    return decorate


@_with_fields(Generalists)
class Generalist(MarketAgent):
    """A base-model owner (Model I's G); its properties are ``Generalists.FIELDS``."""


@_with_fields(Specialists)
class Specialist(MarketAgent):
    """A fine-tuner (Model I's D); its properties are ``Specialists.FIELDS``."""


@_with_fields(ClosedFirms)
class ClosedFirm(MarketAgent):
    """A closed-model firm (Model II); its properties are ``ClosedFirms.FIELDS``."""


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
