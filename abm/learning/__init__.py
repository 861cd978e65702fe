"""Learning rules for the agent-based market: pure, population-vectorised numpy.

Every rule implements :class:`~abm.learning.interface.LearningRule` (``act`` / ``probabilities`` /
``observe`` / ``update``) for ``n_agents`` agents choosing among ``n_actions`` actions, and is
registered by name with its metadata (see :func:`rule_names`, :func:`rule_info`,
:func:`rules_where`, :func:`make_rule`): ``family``, ``uses``, ``stochastic``, ``converges``,
``nonnegative_payoffs``, ``reference``, ``parameters`` and ``summary``. Code outside this
package asks the metadata (``rule_info(name).uses``, ``rule.requires_nonnegative_payoffs``)
rather than testing rule names.

Modules:
    interface: the LearningRule interface, Observation and ParameterSpec.
    registry: registration and look-up of rules by name and metadata; parameter resolution.
    choice: shared choice helpers (softmax, sampling, argmax with ties, one-hot).
    neighbourhood: the Neighbourhood adapter (whom each agent observes).
    best_response: myopic best response with inertia; fictitious play.
    logit: logit response / smooth fictitious play.
    q_learning: tabular ε-greedy Q-learning.
    ewa: experience-weighted attraction and its preset weighted fictitious play.
    roth_erev: Roth–Erev reinforcement, up to Erev and Roth's (1998) three-parameter model.
    imitation: imitate-if-better and proportional (Schlag) imitation over a network.
    replicator: replicator dynamics (Euler map and ODE) and a replicator learning rule.
    no_regret: regret matching and Hedge (multiplicative weights).
    states: state encoders for rules with states (last k joint actions, bins).
    canonical_games: textbook games, two-player and n-player (test and teaching support).
    harness: repeated-play harness, logit QRE, convergence detector (test and teaching support).
    calvano: Calvano et al.'s (2020) Q-learning pricing experiment, a fast exact session loop.
"""

from abm.learning.best_response import BestResponse, FictitiousPlay
from abm.learning.ewa import ExperienceWeightedAttraction, WeightedFictitiousPlay
from abm.learning.imitation import Imitation
from abm.learning.interface import LearningRule, ParameterSpec
from abm.learning.logit import LogitResponse
from abm.learning.neighbourhood import Neighbourhood
from abm.learning.no_regret import Hedge, RegretMatching
from abm.learning.q_learning import QLearning
from abm.learning.registry import (
    RuleInfo,
    make_rule,
    register_rule,
    rule_info,
    rule_names,
    rules_where,
)
from abm.learning.replicator import ReplicatorLearner
from abm.learning.roth_erev import RothErev

__all__ = [
    "BestResponse",
    "ExperienceWeightedAttraction",
    "FictitiousPlay",
    "Hedge",
    "Imitation",
    "LearningRule",
    "LogitResponse",
    "Neighbourhood",
    "ParameterSpec",
    "QLearning",
    "RegretMatching",
    "ReplicatorLearner",
    "RothErev",
    "RuleInfo",
    "WeightedFictitiousPlay",
    "make_rule",
    "register_rule",
    "rule_info",
    "rule_names",
    "rules_where",
]
