"""Learning rules for the agent-based market: pure, population-vectorised numpy.

Every rule implements :class:`~abm.learning.base.LearningRule` (``act`` / ``probabilities`` /
``observe`` / ``update``) for ``n_agents`` agents choosing among ``n_actions`` actions, and is
registered by name with its metadata (see :func:`rule_names`, :func:`rule_info`,
:func:`make_rule`).

Modules:
    base: the interface, parameter metadata, registry and choice helpers.
    best_response: myopic best response with inertia; fictitious play.
    logit: logit response / smooth fictitious play.
    q_learning: tabular ε-greedy Q-learning.
    ewa: experience-weighted attraction and its presets Roth–Erev and weighted fictitious play.
    imitation: imitate-if-better and proportional (Schlag) imitation over a network.
    replicator: replicator dynamics and a replicator learning rule.
    games: canonical games, repeated-play harness, logit QRE, convergence detector.
"""

from abm.learning.base import (
    LearningRule,
    Neighbourhood,
    ParameterSpec,
    RuleInfo,
    make_rule,
    register_rule,
    rule_info,
    rule_names,
)
from abm.learning.best_response import BestResponse, FictitiousPlay
from abm.learning.ewa import ExperienceWeightedAttraction, RothErev, WeightedFictitiousPlay
from abm.learning.imitation import Imitation
from abm.learning.logit import LogitResponse
from abm.learning.q_learning import QLearning
from abm.learning.replicator import ReplicatorLearner

__all__ = [
    "BestResponse",
    "ExperienceWeightedAttraction",
    "FictitiousPlay",
    "Imitation",
    "LearningRule",
    "LogitResponse",
    "Neighbourhood",
    "ParameterSpec",
    "QLearning",
    "ReplicatorLearner",
    "RothErev",
    "RuleInfo",
    "WeightedFictitiousPlay",
    "make_rule",
    "register_rule",
    "rule_info",
    "rule_names",
]
