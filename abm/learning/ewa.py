"""Experience-weighted attraction (Camerer and Ho 1999) and its named special cases.

EWA keeps, per agent, an experience weight ``N`` and one attraction ``A_j`` per action::

    N(t)   = ρ·N(t−1) + 1
    A_j(t) = (φ·N(t−1)·A_j(t−1) + [δ + (1−δ)·1{j = a(t)}]·π_j(t)) / N(t)

where ``a(t)`` is the action played and ``π_j(t)`` the payoff action ``j`` earned or would have
earned (the realised payoff for the action played, the forgone payoff for the others). Choice
is logit, ``P_j ∝ exp(λ·A_j)`` (or, for the presets, proportional or best response).

Camerer and Ho's domain is 0 ≤ ρ ≤ φ ≤ 1 (so κ = 1 − ρ/φ ∈ [0, 1]) and N(0) ≤ 1/(1 − ρ)
(so N(t) never falls); :meth:`ExperienceWeightedAttraction.check_domain` refuses the rest.

Special cases: Roth–Erev cumulative reinforcement is δ = 0, ρ = 0, N(0) = 1 with linear choice
(registered in :mod:`abm.learning.roth_erev` with Erev and Roth's experimentation, which EWA
has no term for), and, registered here,

* ``weighted_fictitious_play``: δ = 1, ρ = φ (κ = 0), so ``A`` is the φ-discounted average of
  forgone payoffs, i.e. the expected payoff against φ-weighted empirical beliefs (Cheung and
  Friedman 1997); choice is best response (λ → ∞) by default, or logit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from abm.errors import check_range
from abm.learning.best_response import TIE_BREAK
from abm.learning.choice import (
    agent_action_table,
    argmax_distribution,
    argmax_ties,
    column,
    sample_categorical,
    softmax,
)
from abm.learning.interface import LearningRule, Observation, ParameterSpec, check_at_most
from abm.learning.logit import ATTRACTION_DECAY, INITIAL_ATTRACTION, PRECISION
from abm.learning.registry import register_rule

CHOICE_RULES = ("logit", "linear", "best_response")


@register_rule
class ExperienceWeightedAttraction(LearningRule):
    """Camerer–Ho experience-weighted attraction with logit (or other) choice."""

    name = "ewa"
    # a belief–reinforcement hybrid; the default δ = 0.5 < 1 reinforces the played action more,
    # and the belief-learning setting is registered separately (weighted_fictitious_play)
    family = "reinforcement"
    stochastic = True
    uses = "forgone_payoffs"
    # with δ < 1 the played action is over-weighted, which can lock in a suboptimal action;
    # the belief-learning setting (δ = 1, ρ = φ) is the weighted_fictitious_play preset
    converges = False
    # only the linear choice rule needs payoffs ≥ 0: see requires_nonnegative_payoffs
    nonnegative_payoffs = False
    reference = "Camerer & Ho (1999), Econometrica 67(4)"
    summary = "experience-weighted attraction (Camerer & Ho 1999), logit choice"
    parameters = (
        ParameterSpec(
            "attraction_decay",
            0.9,
            "φ, decay of past attractions",
            0.0,
            1.0,
            per_agent=True,
        ),
        ParameterSpec(
            "forgone_weight",
            0.5,
            "δ, weight of forgone payoffs of actions not played (1: belief learning)",
            0.0,
            1.0,
            per_agent=True,
        ),
        ParameterSpec(
            "experience_decay",
            0.9,
            "ρ = φ(1−κ), decay of the experience weight N; at most φ",
            0.0,
            1.0,
            per_agent=True,
        ),
        PRECISION,
        ParameterSpec(
            "initial_experience",
            1.0,
            "N(0), weight of the initial attractions in periods; at most 1/(1 − ρ)",
            0.0,
            per_agent=True,
        ),
        INITIAL_ATTRACTION,
        ParameterSpec(
            "choice_rule",
            "logit",
            "logit softmax(λ·A), linear A/ΣA (needs A ≥ 0) or best_response argmax A",
            choices=CHOICE_RULES,
        ),
        TIE_BREAK,
    )

    def __init__(self, n_agents: int, n_actions: int, rng: np.random.Generator, **params: Any):
        super().__init__(n_agents, n_actions, rng, **params)
        settings = self._settings(self.params)
        self.settings = settings
        self.choice_rule: str = settings["choice_rule"]
        self._attraction_decay = settings["attraction_decay"]
        self._experience_decay = settings["experience_decay"]
        self._forgone_weight = settings["forgone_weight"]
        self._precision = column(settings["precision"])
        self.attractions = agent_action_table(settings["initial_attraction"], n_agents, n_actions)
        self.experience = np.zeros(n_agents) + settings["initial_experience"]

    @staticmethod
    def _settings(params: dict[str, Any]) -> dict[str, Any]:
        """Map the user-facing parameters to the full set of EWA settings."""
        return dict(params)

    @classmethod
    def check_domain(cls, params: dict[str, Any]) -> None:
        """Camerer and Ho's domain: ρ ≤ φ and N(0) ≤ 1/(1 − ρ); A(0) ≥ 0 for linear choice.

        ρ ≤ φ keeps κ = 1 − ρ/φ ≥ 0 (ρ > φ would discount the experience weight more slowly
        than the attractions it normalises); N(0) ≤ 1/(1 − ρ), the fixed point of
        N ← ρ·N + 1, keeps N(t) from falling, so experience never counts for less over time.
        """
        settings = cls._settings(params)
        decay = np.asarray(settings["experience_decay"], dtype=float)
        check_at_most(
            "experience_decay",
            decay,
            settings["attraction_decay"],
            "attraction_decay (ρ ≤ φ, so κ = 1 − ρ/φ ≥ 0; Camerer & Ho 1999)",
        )
        with np.errstate(divide="ignore"):
            ceiling = np.where(decay < 1.0, 1.0 / (1.0 - decay), np.inf)
        # a preset without its own ρ (weighted fictitious play: ρ = φ) names the parameter it has
        rho_name = "experience_decay" if "experience_decay" in params else "attraction_decay"
        check_at_most(
            "initial_experience",
            settings["initial_experience"],
            ceiling,
            f"1/(1 − {rho_name}) (N(0) ≤ 1/(1 − ρ), so N(t) never falls)",
        )
        if settings["choice_rule"] == "linear":
            check_range("initial_attraction", settings["initial_attraction"], 0.0)

    @property
    def is_stochastic(self) -> bool:
        """Logit and linear choice draw at random; best-response choice does not."""
        return self.choice_rule != "best_response"

    @property
    def requires_forgone(self) -> bool:
        """Forgone payoffs are needed unless every agent has δ = 0."""
        return bool(np.any(np.asarray(self._forgone_weight) > 0))

    @property
    def requires_nonnegative_payoffs(self) -> bool:
        """The linear choice rule ``P = A/ΣA`` needs attractions, hence payoffs, ≥ 0.

        So :meth:`update` refuses negative payoffs (and forgone payoffs) when ``choice_rule``
        is ``"linear"``; logit and best-response choice accept any.
        """
        return self.choice_rule == "linear"

    def probabilities(self) -> NDArray[np.float64]:
        """Choice probabilities implied by the current attractions."""
        if self.choice_rule == "logit":
            return softmax(self._precision * self.attractions)
        if self.choice_rule == "best_response":
            return argmax_distribution(self.attractions, self.settings["tie_break"])
        totals = self.attractions.sum(axis=1, keepdims=True)
        uniform = np.full_like(self.attractions, 1.0 / self.n_actions)
        safe = np.where(totals > 0, totals, 1.0)
        return np.where(totals > 0, self.attractions / safe, uniform)

    def act(self) -> NDArray[np.intp]:
        """Sample (or, for best response, pick) each agent's action."""
        if self.choice_rule == "best_response":
            return argmax_ties(self.attractions, self.settings["tie_break"], self.rng)
        return sample_categorical(self.probabilities(), self.rng)

    def _learn(self, observation: Observation) -> None:
        actions, payoffs, forgone = observation.actions, observation.payoffs, observation.forgone
        if forgone is None:
            reinforcement = np.zeros((self.n_agents, self.n_actions))
        else:
            reinforcement = column(self._forgone_weight) * forgone
        # the action played is reinforced by its realised payoff with full weight δ + (1 − δ)
        reinforcement[self._agent_index, actions] = payoffs
        carried = self._attraction_decay * self.experience
        self.experience = self._experience_decay * self.experience + 1.0
        self.attractions = (column(carried) * self.attractions + reinforcement) / self.experience[
            :, None
        ]


@register_rule
class WeightedFictitiousPlay(ExperienceWeightedAttraction):
    """Weighted fictitious play: EWA with δ = 1 and ρ = φ, best response (or logit) choice."""

    name = "weighted_fictitious_play"
    family = "belief"
    stochastic = True  # with choice_rule="logit"; is_stochastic is False for best_response
    uses = "forgone_payoffs"
    converges = True
    nonnegative_payoffs = False
    reference = "Cheung & Friedman (1997), GEB 19(1)"
    summary = "best reply to the φ-discounted average of forgone payoffs (belief learning)"
    parameters = (
        replace(ATTRACTION_DECAY, default=0.9),
        ParameterSpec(
            "initial_experience",
            0.0,
            "N(0), weight of the initial attractions in periods",
            0.0,
            per_agent=True,
        ),
        INITIAL_ATTRACTION,
        ParameterSpec(
            "choice_rule",
            "best_response",
            "best_response (λ → ∞) or logit softmax(λ·A)",
            choices=("best_response", "logit"),
        ),
        PRECISION,
        TIE_BREAK,
    )

    @staticmethod
    def _settings(params: dict[str, Any]) -> dict[str, Any]:
        return {
            **params,
            "forgone_weight": 1.0,
            "experience_decay": params["attraction_decay"],
        }
