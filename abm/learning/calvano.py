"""Calvano et al.'s (2020) experiment: Q-learning firms pricing in a logit Bertrand oligopoly.

Calvano, Calzolari, Denicolò and Pastorello (2020, AER 110(10)) let two Q-learning firms set
prices on a 15-point grid, each remembering last period's prices (the state), and find that
they learn to charge supra-competitive prices sustained by reward-and-punishment strategies:
the average profit gain Δ = (π − π^N)/(π^M − π^N) of their baseline is about 0.85. This module
runs their experiment with the learning package's pieces:

* the game is :func:`~abm.learning.canonical_games.bertrand_logit` (their logit demand and
  price grid), the learners are :class:`~abm.learning.q_learning.QLearning` rules
  (ε_t = e^{−βt}, Q₀ from :func:`~abm.learning.harness.uniform_opponent_q`, the stopping rule
  ``stability_window``), the state is :class:`~abm.learning.states.JointActionHistory`;
* :func:`run_q_session` plays the repeated game like :func:`~abm.learning.harness.play_game`,
  but as a tight scalar loop over the rules' own arrays (one session, ``n_agents`` = 1): the
  same update, the same ε, the same random draws from each rule's generator, and the same
  policy tracking, so it equals the generic harness bit for bit (``tests/test_collusion.py``)
  while a period costs a few microseconds instead of a few hundred;
* :func:`greedy_cycle` follows the learned (greedy) strategies from a state to their limit
  cycle, whose average profit gives the session's Δ (Calvano et al.'s definition);
* :func:`impulse_response` makes one firm deviate to its one-period best response and follows
  the greedy strategies afterwards (their Figure 4: punishment, then a return);
* :func:`run_session` does all of it for one seed and :class:`CalvanoSetup` (their baseline by
  default).

The market does not use this module; ``abm study collusion`` and the tests do.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from abm.errors import ParameterError, check_range
from abm.learning.canonical_games import (
    LogitDemand,
    NPlayerGame,
    bertrand_logit,
    bertrand_logit_prices,
    profit_gain,
)
from abm.learning.harness import uniform_opponent_q
from abm.learning.q_learning import QLearning
from abm.learning.registry import make_rule
from abm.learning.states import JointActionHistory

#: Calvano et al.'s stopping rule: every firm's greedy policy unchanged for this many periods.
CALVANO_WINDOW = 100_000
#: Calvano et al.'s cap on a session's length.
CALVANO_CAP = 1_000_000_000


@dataclass(frozen=True)
class CalvanoSetup:
    """One configuration of Calvano et al.'s experiment (their baseline by default).

    Attributes:
        demand: Logit demand (n = 2, a = 2, a₀ = 0, c = 1, μ = 1/4).
        n_prices: Number of prices on the grid (15).
        extension: ξ, how far the grid reaches beyond the Nash and monopoly prices (0.1).
        learning_rate: α (0.15).
        beta: β in ε_t = e^{−βt} (4·10⁻⁶).
        discount: δ (0.95).
        memory: Periods of joint prices in the state (1).
        stability_window: Periods every greedy policy must stay unchanged to stop (100,000).
        max_periods: Cap on a session's length (Calvano et al.: 10⁹).
    """

    demand: LogitDemand = field(default_factory=LogitDemand)
    n_prices: int = 15
    extension: float = 0.1
    learning_rate: float = 0.15
    beta: float = 4e-6
    discount: float = 0.95
    memory: int = 1
    stability_window: int = CALVANO_WINDOW
    max_periods: int = CALVANO_CAP

    def __post_init__(self) -> None:
        check_range("n_prices", self.n_prices, 2.0)
        check_range("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True)
        check_range("beta", self.beta, 0.0, low_open=True)
        check_range("discount", self.discount, 0.0, 1.0, high_open=True)
        check_range("memory", self.memory, 1.0)
        check_range("stability_window", self.stability_window, 1.0)
        check_range("max_periods", self.max_periods, 1.0)

    def game(self) -> NPlayerGame:
        """The stage game: Bertrand competition with logit demand on the price grid."""
        return bertrand_logit(self.demand, self.n_prices, self.extension)

    def prices(self) -> NDArray[np.float64]:
        """The price grid."""
        return bertrand_logit_prices(self.demand, self.n_prices, self.extension)

    def n_states(self) -> int:
        """Number of states: every joint price history of ``memory`` periods."""
        return (self.n_prices**self.demand.n_firms) ** self.memory

    def rules(self, seed: int | np.random.SeedSequence) -> list[QLearning]:
        """One Q-learner per firm (one agent each), each with its own generator from ``seed``.

        ε_t = e^{−βt} (ε0 = 1, decay e^{−β}, no floor), Q₀ = the discounted payoff against
        uniformly random rivals, ties to the lowest price (Q₀ has none), policy tracking over
        ``stability_window``.
        """
        game = self.game()
        sequence = (
            seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        )
        n_states = self.n_states()
        return [
            make_rule(  # type: ignore[misc]
                "q_learning",
                1,
                self.n_prices,
                np.random.default_rng(child),
                n_states=n_states,
                learning_rate=self.learning_rate,
                epsilon=1.0,
                epsilon_schedule="geometric",
                epsilon_decay=math.exp(-self.beta),
                epsilon_min=0.0,
                discount=self.discount,
                initial_q=uniform_opponent_q(game, player, self.discount, n_states),
                stability_window=self.stability_window,
                tie_break="lowest",
            )
            for player, child in enumerate(sequence.spawn(self.demand.n_firms))
        ]


@dataclass(frozen=True)
class QSession:
    """What :func:`run_q_session` played.

    Attributes:
        periods: Periods played in this call.
        converged: Whether it stopped because every greedy policy had stayed unchanged for
            the rules' ``stability_window`` (False: it reached ``max_periods``).
        state: The state after the last period.
        actions: ``(periods, n_players)`` actions of every period, or None if not recorded.
    """

    periods: int
    converged: bool
    state: int
    actions: NDArray[np.intp] | None


def _check_rules(game: NPlayerGame, rules: list[QLearning], memory: int) -> JointActionHistory:
    if len(rules) != game.n_players:
        raise ParameterError(f"give one rule per player ({game.n_players}), got {len(rules)}")
    encoder = JointActionHistory(game.shape, memory)
    for player, rule in enumerate(rules):
        if not isinstance(rule, QLearning):
            raise ParameterError("run_q_session plays q_learning rules only")
        if rule.n_agents != 1 or rule.n_actions != game.shape[player]:
            raise ParameterError(
                f"player {player}'s rule must have one agent and {game.shape[player]} actions"
            )
        if rule.n_states != encoder.n_states:
            raise ParameterError(
                f"the rules need n_states = {encoder.n_states} for memory {memory}, "
                f"got {rule.n_states}"
            )
        params = rule.params
        if params["epsilon_schedule"] != "geometric" or params["tie_break"] != "lowest":
            raise ParameterError(
                "run_q_session needs the geometric ε schedule and tie_break = 'lowest'"
            )
        for name in ("learning_rate", "epsilon", "epsilon_decay", "epsilon_min"):
            if np.ndim(params[name]) > 0:
                raise ParameterError(f"run_q_session needs a scalar {name}")
    return encoder


def run_q_session(
    game: NPlayerGame,
    rules: list[QLearning],
    max_periods: int,
    memory: int = 1,
    *,
    record: bool = False,
) -> QSession:
    """Play one session of ``game`` between Q-learners until their policies settle.

    Equivalent to :func:`~abm.learning.harness.play_game` with ``memory`` and one agent per
    rule, period by period: each firm acts ε-greedily in the current state (drawing, like
    :meth:`QLearning.act`, a uniform number and a uniform action from its own generator every
    period), earns its payoff, and updates ``Q(s, a)`` towards ``π + δ·max_b Q(s', b)``; the
    greedy policy and its stable-period count are tracked as
    :meth:`QLearning._track_policy` does. It stops after the period in which every rule's
    count reaches its ``stability_window`` (if > 0: Calvano et al.'s convergence) or after
    ``max_periods``. The rules' arrays (``q_values``, ``greedy_policy``,
    ``policy_stable_periods``, ``states``, ``periods``) are written back, so a session can be
    resumed or inspected with the rules' own methods. It starts in the rules' current state
    (state 0 for fresh rules, as the harness does).

    One difference from :meth:`QLearning.act`: the greedy action is the tracked exact argmax,
    while ``act`` counts values within a relative 10⁻¹² of the maximum as tied (lowest index
    wins); the two differ only when two Q-values of a state are that close without being
    equal.

    Args:
        game: The stage game (:class:`NPlayerGame`).
        rules: One :class:`QLearning` rule per player, one agent each, geometric ε schedule,
            ``tie_break="lowest"``, ``n_states`` = (Π K_i)^memory.
        max_periods: Most periods to play.
        memory: Periods of joint actions in the state.
        record: Keep every period's actions (memory: one integer per player per period).

    Returns:
        Periods played, whether the policies converged, the final state, the actions.
    """
    check_range("max_periods", max_periods, 1.0)
    encoder = _check_rules(game, rules, memory)
    n = game.n_players
    players = range(n)
    # the payoff of each player at each joint-action code (row-major = the encoder's code)
    payoff = [game.payoffs[i].reshape(-1).tolist() for i in players]
    radix = [int(value) for value in encoder._radix]
    n_profiles, n_states = encoder.profiles, encoder.n_states
    q = [rule.q_values[0].tolist() for rule in rules]
    greedy = [rule.greedy_policy[0].tolist() for rule in rules]
    stable = [int(rule.policy_stable_periods[0]) for rule in rules]
    uniforms = [rule.rng.random for rule in rules]
    integers = [rule.rng.integers for rule in rules]
    actions_k = [rule.n_actions for rule in rules]
    rate = [rule.params["learning_rate"] for rule in rules]
    discount = [rule.params["discount"] for rule in rules]
    eps0 = [rule.params["epsilon"] for rule in rules]
    decay = [rule.params["epsilon_decay"] for rule in rules]
    eps_min = [rule.params["epsilon_min"] for rule in rules]
    window = [rule.params["stability_window"] for rule in rules]
    tracked = all(window)
    start = rules[0].periods
    if any(rule.periods != start for rule in rules):
        raise ParameterError("every rule must have completed the same number of periods")
    state = int(rules[0].states[0])
    recorded = array("q") if record else None
    chosen = [0] * n
    converged = False
    played = 0
    for t in range(start, start + int(max_periods)):
        code = 0
        for i in players:
            greedy_action = greedy[i][state]
            draw = uniforms[i]()
            uniform = int(integers[i](actions_k[i]))
            epsilon = eps0[i] * decay[i] ** t
            if epsilon < eps_min[i]:
                epsilon = eps_min[i]
            action = uniform if draw < epsilon else greedy_action
            chosen[i] = action
            code += action * radix[i]
        following = (state * n_profiles + code) % n_states
        for i in players:
            row, policy, action = q[i][state], greedy[i], chosen[i]
            nxt = q[i][following]
            target = payoff[i][code] + discount[i] * nxt[policy[following]]
            old = row[action]
            updated = old + rate[i] * (target - old)
            row[action] = updated
            current = policy[state]
            if action != current:
                top = row[current]
                if updated > top or (updated == top and action < current):
                    policy[state] = action
                    stable[i] = 0
                    continue
            elif updated < old:
                best = max(range(len(row)), key=row.__getitem__)  # lowest index among equals
                if best != current:
                    policy[state] = best
                    stable[i] = 0
                    continue
            stable[i] += 1
        if recorded is not None:
            recorded.extend(chosen)
        state = following
        played += 1
        if tracked and all(stable[i] >= window[i] for i in players):
            converged = True
            break
    for i, rule in enumerate(rules):
        rule.set_q_values(q[i])  # its one agent's table
        rule.greedy_policy[0] = greedy[i]
        rule.policy_stable_periods[0] = stable[i]
        rule.states = np.array([state], dtype=np.intp)
        rule.periods = start + played
    actions = None
    if recorded is not None:
        actions = np.frombuffer(recorded, dtype=np.int64).astype(np.intp).reshape(-1, n)
    return QSession(played, converged, state, actions)


def greedy_step(
    policies: list[NDArray[np.intp]], encoder: JointActionHistory, state: int
) -> tuple[NDArray[np.intp], int]:
    """The greedy joint action in ``state`` and the state it leads to.

    Args:
        policies: Each player's greedy action per state, shape ``(n_states,)``.
        encoder: The state encoder.
        state: The current state.
    """
    profile = np.array([[int(policy[state]) for policy in policies]], dtype=np.intp)
    return profile[0], int(encoder.next_states(np.array([state]), profile)[0])


def greedy_cycle(
    policies: list[NDArray[np.intp]], encoder: JointActionHistory, state: int
) -> NDArray[np.intp]:
    """The limit cycle that greedy play reaches from ``state``: ``(length, n_players)`` actions.

    Greedy play is deterministic and the states are finite, so from any state it enters a
    cycle; the cycle is returned starting from its first state reached.
    """
    seen: dict[int, int] = {}
    profiles: list[NDArray[np.intp]] = []
    while state not in seen:
        seen[state] = len(profiles)
        profile, state = greedy_step(policies, encoder, state)
        profiles.append(profile)
    return np.array(profiles[seen[state] :], dtype=np.intp)


def cycle_start(policies: list[NDArray[np.intp]], encoder: JointActionHistory, state: int) -> int:
    """The state at which greedy play from ``state`` enters its limit cycle."""
    seen: set[int] = set()
    while state not in seen:
        seen.add(state)
        state = greedy_step(policies, encoder, state)[1]
    return state


def impulse_response(
    game: NPlayerGame,
    policies: list[NDArray[np.intp]],
    encoder: JointActionHistory,
    state: int,
    deviator: int = 0,
    periods: int = 15,
) -> NDArray[np.intp]:
    """Actions after one firm deviates once to its one-period best response, then greedy play.

    From ``state``, the others play their greedy actions and ``deviator`` plays the action
    that maximises its payoff this period against them (Calvano et al.'s deviation); from the
    next period on everyone follows the greedy policies.

    Returns:
        ``(periods + 2, n_players)`` actions: the greedy profile in ``state`` (before the
        deviation), the deviation period, then ``periods`` periods of greedy play.
    """
    check_range("deviator", deviator, 0.0, game.n_players - 1)
    before, _ = greedy_step(policies, encoder, state)
    deviation = before.copy()
    index: list[object] = [int(a) for a in before]
    index[deviator] = slice(None)
    deviation[deviator] = int(np.argmax(game.payoffs[deviator][tuple(index)]))
    path = [before, deviation]
    current = int(encoder.next_states(np.array([state]), deviation[None, :])[0])
    for _ in range(int(periods)):
        profile, current = greedy_step(policies, encoder, current)
        path.append(profile)
    return np.array(path, dtype=np.intp)


@dataclass(frozen=True)
class SessionResult:
    """One session of :func:`run_session`.

    Attributes:
        seed: The session's seed.
        converged: Whether the policies settled before the cap.
        periods: Periods played.
        delta: Profit gain Δ averaged over the firms and over the limit cycle of greedy play
            from the final state (Calvano et al.'s definition).
        firm_deltas: Each firm's Δ over the cycle.
        cycle: ``(length, n_players)`` price indices of the limit cycle.
        impulse: ``(periods + 2, n_players)`` price indices after firm 0 deviates at the first
            state of the cycle (:func:`impulse_response`).
        seconds: Wall time of the session.
    """

    seed: int
    converged: bool
    periods: int
    delta: float
    firm_deltas: tuple[float, ...]
    cycle: NDArray[np.intp]
    impulse: NDArray[np.intp]
    seconds: float


def run_session(setup: CalvanoSetup, seed: int, impulse_periods: int = 15) -> SessionResult:
    """Run one session of ``setup`` from ``seed`` and measure its outcome.

    Plays until Calvano et al.'s convergence (``stability_window``) or ``max_periods``, then
    follows greedy play from the final state to its limit cycle and averages each firm's
    profit over it: Δ = (π̄ − π^N)/(π^M − π^N) with π^N, π^M the per-firm profits at the
    continuous Nash and monopoly prices.
    """
    import time

    started = time.perf_counter()
    game = setup.game()
    rules = setup.rules(seed)
    session = run_q_session(game, rules, setup.max_periods, setup.memory)
    encoder = JointActionHistory(game.shape, setup.memory)
    policies = [rule.greedy_policy[0] for rule in rules]
    cycle = greedy_cycle(policies, encoder, session.state)
    profits = game.payoff(cycle).mean(axis=0)
    notes = game.notes
    firm_deltas = tuple(
        profit_gain(float(value), notes["nash_profit"], notes["monopoly_profit"])
        for value in profits
    )
    first = cycle_start(policies, encoder, session.state)
    impulse = impulse_response(game, policies, encoder, first, 0, impulse_periods)
    return SessionResult(
        seed=int(seed),
        converged=session.converged,
        periods=session.periods,
        delta=float(np.mean(firm_deltas)),
        firm_deltas=firm_deltas,
        cycle=cycle,
        impulse=impulse,
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "CALVANO_CAP",
    "CALVANO_WINDOW",
    "CalvanoSetup",
    "QSession",
    "SessionResult",
    "cycle_start",
    "greedy_cycle",
    "greedy_step",
    "impulse_response",
    "run_q_session",
    "run_session",
]
