"""Repeated-play harness for testing and teaching the learning rules (not used by the market).

Plays the canonical games of :mod:`abm.learning.canonical_games` between populations of
learners and measures the outcome:

* :func:`play_repeated`: two populations of learners, agent ``i`` of the row rule playing
  agent ``i`` of the column rule every period (``n`` independent repeated games at once),
  optionally with states built from the last k joint actions (``memory``);
* :func:`play_game`: the same for an :class:`~abm.learning.canonical_games.NPlayerGame` of any
  number of players;
* :func:`prior_attractions`: each action's expected payoff against prior beliefs, the
  per-action prior that makes a belief learner's first move a response to those beliefs;
* :func:`uniform_opponent_q`: Calvano et al.'s initial Q-values (discounted payoff against
  uniformly random opponents);
* :func:`play_population`: one population randomly re-matched each period in a symmetric game;
* :func:`empirical_frequencies`: running action frequencies;
* :func:`logit_qre`: the logit quantal-response equilibrium on the principal branch;
* :func:`detect_convergence`: tells a settled trajectory from a cycling or drifting one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_range
from abm.learning.canonical_games import NormalFormGame, NPlayerGame
from abm.learning.interface import LearningRule
from abm.learning.states import JointActionHistory

# --- repeated play ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatedPlay:
    """Record of :func:`play_repeated`; arrays are ``(periods, n_pairs)``."""

    game: NormalFormGame
    row_actions: NDArray[np.intp]
    column_actions: NDArray[np.intp]
    row_payoffs: NDArray[np.float64]
    column_payoffs: NDArray[np.float64]

    def row_frequencies(self, times: ArrayLike | None = None) -> NDArray[np.float64]:
        """Row players' empirical action frequencies, ``(len(times), n_pairs, K_row)``."""
        return empirical_frequencies(self.row_actions, self.game.shape[0], times)

    def column_frequencies(self, times: ArrayLike | None = None) -> NDArray[np.float64]:
        """Column players' empirical action frequencies, ``(len(times), n_pairs, K_column)``."""
        return empirical_frequencies(self.column_actions, self.game.shape[1], times)


def _state_encoder(
    rules: list[LearningRule], action_counts: tuple[int, ...], memory: int
) -> JointActionHistory | None:
    """The joint-action encoder for ``memory`` > 0, checked against the rules with states."""
    check_range("memory", memory, 0.0)
    stateful = [rule for rule in rules if rule.n_states > 1]
    if int(memory) == 0:
        if stateful:
            raise ParameterError(
                f"the {stateful[0].name} rule has {stateful[0].n_states} states: give memory ≥ 1"
            )
        return None
    encoder = JointActionHistory(action_counts, int(memory))
    for rule in stateful:
        if rule.n_states != encoder.n_states:
            raise ParameterError(
                f"the {rule.name} rule needs n_states = {encoder.n_states} for memory "
                f"{int(memory)} (the number of joint histories), got {rule.n_states}"
            )
    return encoder


def play_repeated(
    game: NormalFormGame,
    row_rule: LearningRule,
    column_rule: LearningRule,
    periods: int,
    memory: int = 0,
) -> RepeatedPlay:
    """Play ``game`` for ``periods`` periods between two populations of learners.

    Agent ``i`` of ``row_rule`` always meets agent ``i`` of ``column_rule``, so ``n`` agents per
    rule run ``n`` independent repeated games at once (use 1 agent each for a single game).
    Each period both act, observe their realised and forgone payoffs, then update.

    Args:
        game: The stage game.
        row_rule: Learners in the row role (``n_actions`` = number of row actions).
        column_rule: Learners in the column role, same ``n_agents``.
        periods: Number of periods.
        memory: With k ≥ 1, each pair's state is its last k joint actions
            (:class:`~abm.learning.states.JointActionHistory`, starting from state 0); a rule
            with states (``n_states > 1``, which must equal ``(K_row·K_column)^k``) is told its
            state before it acts and the next state when it observes. Rules without states
            ignore it.

    Returns:
        The actions and payoffs of every period.
    """
    check_range("periods", periods, 1.0)
    rows, cols = game.shape
    if row_rule.n_actions != rows or column_rule.n_actions != cols:
        raise ParameterError(
            f"the rules must have {rows} and {cols} actions for {game.name or 'this game'}"
        )
    if row_rule.n_agents != column_rule.n_agents:
        raise ParameterError("row_rule and column_rule must have the same n_agents")
    encoder = _state_encoder([row_rule, column_rule], (rows, cols), memory)
    periods, n = int(periods), row_rule.n_agents
    row_matrix, col_matrix = game.row_payoffs, game.column_payoffs
    row_forgone_table = row_matrix.T  # [b] is the row player's payoff vector against b
    row_actions = np.empty((periods, n), dtype=np.intp)
    col_actions = np.empty((periods, n), dtype=np.intp)
    row_payoffs = np.empty((periods, n))
    col_payoffs = np.empty((periods, n))
    row_forgone = row_rule.requires_forgone
    col_forgone = column_rule.requires_forgone
    row_states = row_rule.n_states > 1
    col_states = column_rule.n_states > 1
    states = next_states = None if encoder is None else encoder.initial_states(n)
    for period in range(periods):
        if states is not None:
            if row_states:
                row_rule.set_states(states)
            if col_states:
                column_rule.set_states(states)
        a = row_rule.act()
        b = column_rule.act()
        row_actions[period] = a
        col_actions[period] = b
        row_earned = row_matrix[a, b]
        col_earned = col_matrix[a, b]
        row_payoffs[period] = row_earned
        col_payoffs[period] = col_earned
        if encoder is not None:
            next_states = encoder.next_states(states, np.column_stack((a, b)))
        row_rule.observe(
            a,
            row_earned,
            row_forgone_table[b] if row_forgone else None,
            next_states=next_states if row_states else None,
        )
        column_rule.observe(
            b,
            col_earned,
            col_matrix[a] if col_forgone else None,
            next_states=next_states if col_states else None,
        )
        row_rule.update()
        column_rule.update()
        states = next_states
    return RepeatedPlay(game, row_actions, col_actions, row_payoffs, col_payoffs)


@dataclass(frozen=True)
class GamePlay:
    """Record of :func:`play_game`: arrays are ``(periods, n_players, n_agents)``."""

    game: NPlayerGame
    actions: NDArray[np.intp]
    payoffs: NDArray[np.float64]


def play_game(
    game: NPlayerGame, rules: list[LearningRule], periods: int, memory: int = 0
) -> GamePlay:
    """Play an n-player ``game`` for ``periods`` periods, one rule per player.

    Agent ``i`` of every rule plays in game ``i``, so ``n_agents`` independent repeated games
    run at once. Each period every player acts, observes its realised and forgone payoffs
    (:meth:`NPlayerGame.forgone`) and updates; ``memory`` builds states from the last k joint
    actions as in :func:`play_repeated`.

    Args:
        game: The stage game.
        rules: One rule per player, each with that player's number of actions and the same
            ``n_agents``.
        periods: Number of periods.
        memory: Joint actions remembered in the state (0: no states).

    Returns:
        Actions and payoffs of every player in every period.
    """
    check_range("periods", periods, 1.0)
    if len(rules) != game.n_players:
        raise ParameterError(f"give one rule per player ({game.n_players}), got {len(rules)}")
    for player, (rule, count) in enumerate(zip(rules, game.shape, strict=True)):
        if rule.n_actions != count:
            raise ParameterError(f"player {player}'s rule must have {count} actions")
    n = rules[0].n_agents
    if any(rule.n_agents != n for rule in rules):
        raise ParameterError("every player's rule must have the same n_agents")
    encoder = _state_encoder(rules, game.shape, memory)
    periods = int(periods)
    actions = np.empty((periods, game.n_players, n), dtype=np.intp)
    payoffs = np.empty((periods, game.n_players, n))
    states = next_states = None if encoder is None else encoder.initial_states(n)
    for period in range(periods):
        if states is not None:
            for rule in rules:
                if rule.n_states > 1:
                    rule.set_states(states)
        profiles = np.column_stack([rule.act() for rule in rules])  # (n, players)
        earned = game.payoff(profiles)
        actions[period] = profiles.T
        payoffs[period] = earned.T
        if encoder is not None:
            next_states = encoder.next_states(states, profiles)
        for player, rule in enumerate(rules):
            rule.observe(
                profiles[:, player],
                earned[:, player],
                game.forgone(player, profiles) if rule.requires_forgone else None,
                next_states=next_states if rule.n_states > 1 else None,
            )
        for rule in rules:
            rule.update()
        states = next_states
    return GamePlay(game, actions, payoffs)


def prior_attractions(
    game: NormalFormGame,
    row_beliefs: ArrayLike | None = None,
    column_beliefs: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each action's expected payoff against prior beliefs about the opponent.

    Passed as ``initial_attraction`` (with ``prior_weight`` 0), it makes a belief learner's
    first move a response to the beliefs rather than uniform: with logit choice the first
    move of stochastic fictitious play is then the logit response to the prior, as in
    Fudenberg and Kreps (1993) and nashpy's ``stochastic_fictitious_play``.

    Args:
        game: The game.
        row_beliefs: The row player's belief about the column player's mixed strategy
            (default uniform).
        column_beliefs: The column player's belief about the row player's (default uniform).

    Returns:
        The row and column players' priors, shapes ``(1, K_row)`` and ``(1, K_column)`` (one
        row for every agent).
    """
    rows, cols = game.shape
    belief_q = np.full(cols, 1.0 / cols) if row_beliefs is None else np.asarray(row_beliefs)
    belief_p = np.full(rows, 1.0 / rows) if column_beliefs is None else np.asarray(column_beliefs)
    for name, belief, size in (("row_beliefs", belief_q, cols), ("column_beliefs", belief_p, rows)):
        if belief.shape != (size,) or not np.isclose(belief.sum(), 1.0) or belief.min() < 0:
            raise ParameterError(f"{name} must be a probability vector of length {size}")
    return (game.row_payoffs @ belief_q)[None, :], (game.column_payoffs.T @ belief_p)[None, :]


@dataclass(frozen=True)
class PopulationPlay:
    """Record of :func:`play_population`.

    Attributes:
        shares: ``(periods, K)`` share of agents playing each action each period.
        mean_probabilities: ``(periods, K)`` population-average mixed strategy after each
            update, or None if not recorded.
    """

    shares: NDArray[np.float64]
    mean_probabilities: NDArray[np.float64] | None


def play_population(
    payoff_matrix: ArrayLike,
    rule: LearningRule,
    periods: int,
    rng: np.random.Generator,
    *,
    neighbours: object = None,
    record_probabilities: bool = False,
) -> PopulationPlay:
    """One population playing a symmetric game, randomly re-matched in pairs each period.

    Args:
        payoff_matrix: ``(K, K)`` payoff of the row action against the column action.
        rule: The population's learners (even ``n_agents``).
        periods: Number of periods.
        rng: Generator for the matching.
        neighbours: Passed to ``observe`` (imitation: None is a well-mixed population).
        record_probabilities: Also record the mean mixed strategy each period.

    Returns:
        Action shares (and optionally mean mixed strategies) per period.
    """
    matrix = np.asarray(payoff_matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape != (rule.n_actions, rule.n_actions):
        raise ParameterError(
            f"payoff_matrix must be ({rule.n_actions}, {rule.n_actions}), got {matrix.shape}"
        )
    check_range("periods", periods, 1.0)
    n = rule.n_agents
    if n % 2:
        raise ParameterError(f"n_agents must be even to match agents in pairs, got {n}")
    forgone_table = matrix.T
    shares = np.empty((int(periods), rule.n_actions))
    means = np.empty_like(shares) if record_probabilities else None
    opponents = np.empty(n, dtype=np.intp)
    for period in range(int(periods)):
        actions = rule.act()
        order = rng.permutation(n)
        opponents[order[0::2]] = order[1::2]
        opponents[order[1::2]] = order[0::2]
        against = actions[opponents]
        forgone = forgone_table[against] if rule.requires_forgone else None
        rule.observe(actions, matrix[actions, against], forgone, neighbours)
        rule.update()
        shares[period] = np.bincount(actions, minlength=rule.n_actions) / n
        if means is not None:
            means[period] = rule.probabilities().mean(axis=0)
    return PopulationPlay(shares, means)


def empirical_frequencies(
    actions: ArrayLike, n_actions: int, times: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Running frequency of each action over the first ``t`` periods, for each ``t`` in times.

    Args:
        actions: ``(T,)`` or ``(T, n)`` action indices per period.
        n_actions: Number of actions K.
        times: Period counts ``t`` in ``1..T`` (default: every period).

    Returns:
        ``(len(times), K)`` or ``(len(times), n, K)`` frequencies.
    """
    history = np.asarray(actions)
    horizon = history.shape[0]
    sample = np.arange(1, horizon + 1) if times is None else np.asarray(times, dtype=np.intp)
    check_range("times", sample, 1.0, horizon)
    result = np.empty((sample.size, *history.shape[1:], n_actions))
    for action in range(n_actions):
        counts = np.cumsum(history == action, axis=0)[sample - 1]
        result[..., action] = counts
    return result / sample.reshape(-1, *([1] * (result.ndim - 1)))


def uniform_opponent_q(
    game: NPlayerGame, player: int, discount: float, n_states: int = 1
) -> NDArray[np.float64]:
    """Calvano et al.'s (2020) initial Q-values: the discounted payoff against random play.

    ``Q₀(s, a) = Σ_{a₋ᵢ} πᵢ(a, a₋ᵢ) / ((1 − γ)·Π_{j≠i} K_j)``, the value of playing ``a`` forever
    while the others play uniformly at random, the same in every state.

    Args:
        game: The stage game.
        player: Index of the player whose Q-values these are.
        discount: γ in [0, 1).
        n_states: Number of states of the learner.

    Returns:
        Shape ``(1, n_states, K_player)``, to pass as Q-learning's ``initial_q``.
    """
    check_range("player", player, 0.0, game.n_players - 1)
    check_range("discount", discount, 0.0, 1.0, high_open=True)
    check_range("n_states", n_states, 1.0)
    others = tuple(axis for axis in range(game.n_players) if axis != int(player))
    average = game.payoffs[int(player)].mean(axis=others) / (1.0 - discount)
    return np.broadcast_to(average, (1, int(n_states), average.size)).copy()


# --- logit quantal-response equilibrium -------------------------------------------------------


class _QreSystem:
    """The logit-QRE equations in log probabilities, as functions of (x, y, λ).

    With x = log p, y = log q, s = softmax(λ·R·q) and t = softmax(λ·Cᵀ·p):
    G = (x − log s, y − log t) = 0. Log coordinates keep probabilities positive and well
    scaled when some are tiny (large λ).
    """

    def __init__(self, game: NormalFormGame):
        self.row_matrix = game.row_payoffs
        self.col_matrix_t = game.column_payoffs.T
        self.rows, self.cols = game.shape

    def evaluate(self, point: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """Residual (m,) and Jacobian (m, m + 1) with respect to (x, y, λ) at ``point``."""
        rows = self.rows
        x, y, precision = point[:rows], point[rows:-1], point[-1]
        with np.errstate(over="ignore", invalid="ignore"):  # a wild Newton trial is rejected
            p, q = np.exp(x), np.exp(y)
            row_values, col_values = self.row_matrix @ q, self.col_matrix_t @ p
            log_s = _log_softmax(precision * row_values)
            log_t = _log_softmax(precision * col_values)
        s, t = np.exp(log_s), np.exp(log_t)
        residual = np.concatenate((x - log_s, y - log_t))
        size = residual.size
        jacobian = np.zeros((size, size + 1))
        jacobian[:, :size] = np.eye(size)
        # d log softmax(v)/dv = I − 1·sᵀ, and v = λ·R·e^y
        centre_s = np.eye(rows) - np.outer(np.ones(rows), s)
        centre_t = np.eye(self.cols) - np.outer(np.ones(self.cols), t)
        jacobian[:rows, rows:size] = -precision * centre_s @ self.row_matrix * q
        jacobian[rows:size, :rows] = -precision * centre_t @ self.col_matrix_t * p
        jacobian[:rows, -1] = -centre_s @ row_values
        jacobian[rows:size, -1] = -centre_t @ col_values
        return residual, jacobian


def _log_softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Log of softmax(scores), exact even where softmax underflows to 0."""
    shifted = scores - scores.max()
    return shifted - np.log(np.exp(shifted).sum())


def _tangent(jacobian: NDArray[np.float64], previous: NDArray[np.float64]) -> NDArray:
    """Unit null vector of the (m, m+1) Jacobian, oriented along ``previous``."""
    direction = np.linalg.svd(jacobian)[2][-1]
    return direction if direction @ previous >= 0 else -direction


def _correct(
    system: _QreSystem,
    start: NDArray[np.float64],
    normal: NDArray[np.float64],
    tolerance: float,
    max_iterations: int = 30,
) -> NDArray[np.float64] | None:
    """Newton on G = 0 plus the hyperplane normal·(point − start) = 0; None if it fails."""
    point = start.copy()
    for _ in range(max_iterations):
        residual, jacobian = system.evaluate(point)
        if not (np.all(np.isfinite(residual)) and np.all(np.isfinite(jacobian))):
            return None
        if np.abs(residual).max() <= tolerance:
            return point
        augmented = np.vstack((jacobian, normal))
        rhs = -np.concatenate((residual, [normal @ (point - start)]))
        try:
            point = point + np.linalg.solve(augmented, rhs)
        except np.linalg.LinAlgError:
            return None
    return None


def logit_qre(
    game: NormalFormGame, precision: float, *, tolerance: float = 1e-12
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Logit quantal-response equilibrium on the principal branch (McKelvey and Palfrey 1995).

    Solves ``p = softmax(λ·R·q)``, ``q = softmax(λ·Cᵀ·p)``. There is no closed form in
    general; the solver follows the branch of solutions that starts at uniform play for λ = 0
    (pseudo-arclength continuation in log probabilities, as in Turocy 2005: tangent
    predictor, Newton corrector with the analytic Jacobian, step halved when the corrector fails
    or the branch turns sharply), so it passes turning points of the branch, then solves at
    exactly the requested λ.

    Args:
        game: The game (payoffs R for row, C for column).
        precision: λ ≥ 0.
        tolerance: Largest acceptable residual of the equations in log probabilities.

    Returns:
        The row and column mixed strategies.
    """
    check_range("precision", precision, 0.0)
    check_range("tolerance", tolerance, 0.0, low_open=True)
    system = _QreSystem(game)
    rows, cols = game.shape
    point = np.concatenate((np.full(rows, -np.log(rows)), np.full(cols, -np.log(cols)), [0.0]))
    spread = float(np.ptp(game.row_payoffs) + np.ptp(game.column_payoffs))
    if precision == 0 or spread == 0:
        return np.full(rows, 1.0 / rows), np.full(cols, 1.0 / cols)
    forward = np.zeros(point.size)
    forward[-1] = 1.0
    tangent = _tangent(system.evaluate(point)[1], forward)
    step = 0.1 / spread
    for _ in range(100_000):
        trial = _correct(system, point + step * tangent, tangent, tolerance)
        new_tangent = None if trial is None else _tangent(system.evaluate(trial)[1], tangent)
        if new_tangent is None or new_tangent @ tangent < 0.95:
            step /= 2
            if step < 1e-12 * (1 + point[-1]):
                break
            continue
        if trial[-1] >= precision:
            # the branch crossed λ: solve at exactly λ from the interpolated point
            weight = (precision - point[-1]) / (trial[-1] - point[-1])
            start = point + weight * (trial - point)
            start[-1] = precision
            solved = _correct(system, start, forward, tolerance)
            if solved is None:
                step /= 2
                continue
            p, q = np.exp(solved[:rows]), np.exp(solved[rows:-1])
            return p / p.sum(), q / q.sum()
        point, tangent = trial, new_tangent
        step *= 1.5
    raise RuntimeError(f"logit_qre: continuation stalled at precision {point[-1]:g}")


# --- convergence detection --------------------------------------------------------------------


@dataclass(frozen=True)
class ConvergenceReport:
    """Verdict of :func:`detect_convergence`.

    Attributes:
        status: ``"converged"`` (the last window moves less than the tolerance), ``"cycling"``
            (it keeps reversing direction with an amplitude that does not shrink) or
            ``"drifting"`` (neither: still moving, or oscillations dying out).
        window_spreads: Largest range of any coordinate in each window of the tail.
        reversals: Most direction reversals of any coordinate in the tail (moves smaller than
            the tolerance are ignored).
        final_point: The trajectory's last point.
    """

    status: str
    window_spreads: NDArray[np.float64]
    reversals: int
    final_point: NDArray[np.float64]

    @property
    def converged(self) -> bool:
        """Whether the status is ``"converged"``."""
        return self.status == "converged"


def _count_reversals(path: NDArray[np.float64], threshold: float) -> int:
    """Largest number of direction reversals of any coordinate, with hysteresis ``threshold``.

    A coordinate reverses when it moves back by more than ``threshold`` from its latest
    extreme; smaller wiggles (noise) are ignored.
    """
    most = 0
    for series in path.T.tolist():
        direction, reversals = 0, 0  # direction: +1 rising, -1 falling, 0 not yet known
        low = high = extreme = series[0]
        for value in series[1:]:
            if direction == 0:
                low, high = min(low, value), max(high, value)
                if value - low > threshold:
                    direction, extreme = 1, value
                elif high - value > threshold:
                    direction, extreme = -1, value
            elif direction == 1:
                if value > extreme:
                    extreme = value
                elif extreme - value > threshold:
                    direction, extreme, reversals = -1, value, reversals + 1
            elif value < extreme:
                extreme = value
            elif value - extreme > threshold:
                direction, extreme, reversals = 1, value, reversals + 1
        most = max(most, reversals)
    return most


def detect_convergence(
    trajectory: ArrayLike,
    *,
    times: ArrayLike | None = None,
    tolerance: float = 0.01,
    tail_start: float = 0.01,
    windows: int = 4,
    min_reversals: int = 2,
    shrink_ratio: float = 0.5,
    log_time: bool = True,
    samples: int = 2000,
) -> ConvergenceReport:
    """Classify a trajectory (e.g. empirical frequencies) as converged, cycling or drifting.

    The tail of the trajectory (times from ``tail_start·T`` to ``T``) is cut into ``windows``
    windows, equal in log time by default, because fictitious play moves on a log-time clock
    (Shapley's cycles lengthen geometrically). Verdict:

    * converged: every coordinate varies by at most ``tolerance`` in the last window;
    * cycling: otherwise, if some coordinate reverses direction (by more than ``tolerance``)
      at least ``min_reversals`` times in the tail and the last window's spread is at least
      ``shrink_ratio`` times the first's (oscillations that do not die out);
    * drifting: anything else.

    Args:
        trajectory: ``(T,)`` or ``(T, ...)`` values over time (trailing axes are flattened).
        times: Increasing positive time of each row (default ``1..T``).
        tolerance: Spread below which the last window counts as settled.
        tail_start: Fraction of the final time where the tail starts.
        windows: Number of tail windows.
        min_reversals: Reversals needed to call a non-settled tail cycling.
        shrink_ratio: Last-to-first window spread ratio below which oscillations are dying out.
        log_time: Windows equal in log time (True) or in time (False).
        samples: Points (evenly spaced in the windows' clock) on which reversals are counted.

    Returns:
        The verdict with its evidence.
    """
    path = np.asarray(trajectory, dtype=float)
    path = path.reshape(path.shape[0], -1)
    horizon = path.shape[0]
    clock = np.arange(1.0, horizon + 1) if times is None else np.asarray(times, dtype=float)
    if clock.shape != (horizon,) or np.any(np.diff(clock) <= 0) or clock[0] <= 0:
        raise ParameterError("times must be increasing, positive and one per trajectory row")
    check_range("tolerance", tolerance, 0.0, low_open=True)
    check_range("tail_start", tail_start, 0.0, 1.0, low_open=True, high_open=True)
    check_range("windows", windows, 1.0)
    check_range("shrink_ratio", shrink_ratio, 0.0)
    start = max(clock[0], tail_start * clock[-1])
    if log_time:
        edges = np.geomspace(start, clock[-1], int(windows) + 1)
        sample_times = np.geomspace(start, clock[-1], int(samples))
    else:
        edges = np.linspace(start, clock[-1], int(windows) + 1)
        sample_times = np.linspace(start, clock[-1], int(samples))
    bounds = np.searchsorted(clock, edges, side="left")
    bounds[-1] = horizon
    spreads = np.array(
        [np.ptp(path[lo : max(hi, lo + 1)], axis=0).max() for lo, hi in itertools.pairwise(bounds)]
    )
    sampled = path[np.unique(np.minimum(np.searchsorted(clock, sample_times), horizon - 1))]
    reversals = _count_reversals(sampled, tolerance)
    if spreads[-1] <= tolerance:
        status = "converged"
    elif reversals >= min_reversals and spreads[-1] >= shrink_ratio * spreads[0]:
        status = "cycling"
    else:
        status = "drifting"
    return ConvergenceReport(status, spreads, int(reversals), path[-1].copy())
