"""Contract tests: every registered learning rule against generic checks from its metadata.

Like Axelrod's ``TestPlayer``: each check is parametrised over :func:`rule_names` (or over the
rules whose declared metadata make the check apply, via :func:`rules_where`), so a newly
registered rule is tested without writing anything here. What a rule is given follows its
``uses``: forgone payoffs only for ``"forgone_payoffs"``, a neighbourhood only for
``"neighbours"``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning import LearningRule, Neighbourhood, make_rule, rule_info, rule_names, rules_where
from abm.learning.canonical_games import NormalFormGame
from abm.learning.harness import play_repeated
from abm.learning.registry import FAMILIES, USES, register_rule

RULES = rule_names()
N_AGENTS, N_ACTIONS = 6, 3
PERIODS = 30

# a fixed random payoff matrix (row action against opponent action), payoffs in [0, 1)
GAME = np.random.default_rng(20240611).random((N_ACTIONS, N_ACTIONS))

# each agent observes its two neighbours on a ring (used by rules with uses="neighbours")
RING = Neighbourhood.from_lists([[(i - 1) % N_AGENTS, (i + 1) % N_AGENTS] for i in range(N_AGENTS)])


def observe(rule: LearningRule, actions: np.ndarray, opponents: np.ndarray, shift=0.0) -> None:
    """Give ``rule`` one period of GAME against ``opponents``, as its ``uses`` asks."""
    uses = rule_info(rule.name).uses
    payoffs = GAME[actions, opponents] + shift
    forgone = GAME[:, opponents].T + shift if uses == "forgone_payoffs" else None
    neighbours = RING if uses == "neighbours" else None
    rule.observe(actions, payoffs, forgone=forgone, neighbours=neighbours)


def play(rule: LearningRule, periods: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Play GAME against uniformly random opponents; return actions and probabilities."""
    opponents_rng = np.random.default_rng(seed)
    actions = np.empty((periods, rule.n_agents), dtype=np.intp)
    probabilities = np.empty((periods + 1, rule.n_agents, rule.n_actions))
    probabilities[0] = rule.probabilities()
    for period in range(periods):
        actions[period] = rule.act()
        observe(rule, actions[period], opponents_rng.integers(rule.n_actions, size=rule.n_agents))
        rule.update()
        probabilities[period + 1] = rule.probabilities()
    return actions, probabilities


def new_rule(name: str, seed: int = 0, **params: Any) -> LearningRule:
    return make_rule(name, N_AGENTS, N_ACTIONS, np.random.default_rng(seed), **params)


def assert_same_state(first: Any, second: Any, path: str = "rule") -> None:
    """Compare two learning states value by value (arrays exactly)."""
    if isinstance(first, np.ndarray):
        assert isinstance(second, np.ndarray), path
        assert first.shape == second.shape and first.dtype == second.dtype, path
        assert first.tobytes() == second.tobytes(), path
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), path
        for key in first:
            assert_same_state(first[key], second[key], f"{path}.{key}")
    elif isinstance(first, tuple | list):
        assert type(first) is type(second) and len(first) == len(second), path
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_same_state(a, b, f"{path}[{index}]")
    elif isinstance(first, float) and math.isnan(first):
        assert isinstance(second, float) and math.isnan(second), path
    else:
        assert first == second, path


def learning_state(rule: LearningRule) -> dict[str, Any]:
    """Everything the rule holds except its random generator."""
    return {key: value for key, value in vars(rule).items() if key != "rng"}


def out_of_range_values(spec) -> list:
    """Values that the declared range of ``spec`` excludes."""
    if spec.choices is not None:
        return ["not-a-choice"]
    values: list = [float("nan")]
    if math.isfinite(spec.low):
        values.append(spec.low if spec.low_open else spec.low - 1.0)
    if math.isfinite(spec.high):
        values.append(spec.high if spec.high_open else spec.high + 1.0)
    if spec.integer:
        values.append(spec.low + 1.5 if math.isfinite(spec.low) else 0.5)
    return values


# --- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RULES)
def test_metadata_is_declared_and_recorded(name):
    info = rule_info(name)
    cls = info.rule_class
    assert info.name == name == cls.name
    assert info.family in FAMILIES and info.family == cls.family
    assert info.uses in USES and info.uses == cls.uses
    for flag in ("stochastic", "converges", "nonnegative_payoffs"):
        assert isinstance(getattr(info, flag), bool) and getattr(info, flag) is getattr(cls, flag)
    assert info.reference.strip() and info.reference == cls.reference
    assert info.summary.strip() and info.parameters == cls.parameters
    # the same metadata finds the rule again
    criteria = {
        "family": info.family,
        "uses": info.uses,
        "stochastic": info.stochastic,
        "converges": info.converges,
        "nonnegative_payoffs": info.nonnegative_payoffs,
    }
    assert name in rules_where(**criteria)
    for key, value in criteria.items():
        assert name in rules_where(**{key: value})
        if isinstance(value, bool):
            assert name not in rules_where(**{key: not value})


def test_rules_where_filters_on_metadata():
    assert rules_where() == RULES
    assert rules_where(uses="own_payoff") == tuple(
        name for name in RULES if rule_info(name).uses == "own_payoff"
    )
    by_family = [set(rules_where(family=family)) for family in FAMILIES]
    assert set().union(*by_family) == set(RULES)
    assert sum(len(names) for names in by_family) == len(RULES)  # one family each
    assert rules_where(family="belief", stochastic=False) == tuple(
        name
        for name in RULES
        if rule_info(name).family == "belief" and not rule_info(name).stochastic
    )
    assert rules_where(name="logit") == ("logit",)
    with pytest.raises(ParameterError, match="criterion must be one of"):
        rules_where(makes_use_of="forgone_payoffs")
    with pytest.raises(ParameterError, match="uses must be one of"):
        rules_where(uses="own_payoffs")
    with pytest.raises(ParameterError, match="family must be one of"):
        rules_where(family="bayesian")
    with pytest.raises(ParameterError, match="stochastic must be True or False"):
        rules_where(stochastic="yes")


def _rule_class(**overrides: Any) -> type[LearningRule]:
    """An unregistered copy of a valid rule class with some metadata changed."""
    attributes = {
        "name": "contract_dummy",
        "family": "belief",
        "uses": "forgone_payoffs",
        "stochastic": False,
        "converges": False,
        "nonnegative_payoffs": False,
        "reference": "nobody (2025)",
        "summary": "a dummy",
    }
    attributes.update(overrides)
    attributes = {key: value for key, value in attributes.items() if value is not ...}
    return type("Dummy", (rule_info("fictitious_play").rule_class,), attributes)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"family": "bayesian"}, "family must be one of"),
        ({"family": None}, "family must be one of"),
        ({"uses": "everything"}, "uses must be one of"),
        ({"nonnegative_payoffs": "no"}, "nonnegative_payoffs must be True or False"),
        ({"reference": ""}, "reference must be a non-empty string"),
        ({"name": "logit"}, "already registered"),
    ],
)
def test_register_rule_refuses_bad_metadata(overrides, message):
    with pytest.raises(ValueError, match=message):
        register_rule(_rule_class(**overrides))
    assert rule_names() == RULES  # nothing was added


# --- act and probabilities --------------------------------------------------------------------


@pytest.mark.parametrize("name", RULES)
def test_act_returns_one_action_in_range_per_agent(name):
    rule = new_rule(name)
    opponents_rng = np.random.default_rng(1)
    for _ in range(PERIODS):
        actions = rule.act()
        assert actions.shape == (N_AGENTS,) and actions.dtype.kind in "iu"
        assert actions.min() >= 0 and actions.max() < N_ACTIONS
        observe(rule, actions, opponents_rng.integers(N_ACTIONS, size=N_AGENTS))
        rule.update()
    assert rule.periods == PERIODS


@pytest.mark.parametrize("name", RULES)
def test_probabilities_are_distributions(name):
    _, probabilities = play(new_rule(name), PERIODS, seed=1)
    assert probabilities.shape == (PERIODS + 1, N_AGENTS, N_ACTIONS)
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=2), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", RULES)
def test_act_and_probabilities_do_not_change_the_learning_state(name):
    rule = new_rule(name)
    play(rule, 5, seed=1)
    before = copy.deepcopy(rule)
    for _ in range(5):
        rule.act()
        rule.probabilities()
    assert_same_state(learning_state(rule), learning_state(before))
    # and the next update starts from the same state
    actions = before.act()
    opponents = np.random.default_rng(2).integers(N_ACTIONS, size=N_AGENTS)
    for learner in (rule, before):
        observe(learner, actions, opponents)
        learner.update()
    assert rule.probabilities().tobytes() == before.probabilities().tobytes()


@pytest.mark.parametrize("name", RULES)
def test_same_seed_gives_identical_action_sequences(name):
    first = play(new_rule(name, seed=7), PERIODS, seed=3)
    second = play(new_rule(name, seed=7), PERIODS, seed=3)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1].tobytes() == second[1].tobytes()


# --- observe and update -----------------------------------------------------------------------


@pytest.mark.parametrize("name", RULES)
def test_update_without_observe_raises(name):
    rule = new_rule(name)
    with pytest.raises(RuntimeError, match="without a pending observe"):
        rule.update()
    play(rule, 1, seed=1)
    with pytest.raises(RuntimeError, match="without a pending observe"):
        rule.update()  # the observation was used up by the previous update
    assert rule.periods == 1


@pytest.mark.parametrize("name", RULES)
def test_the_trusted_observation_learns_exactly_as_the_checked_one(name):
    """The market's unchecked path (observe_trusted) leaves the same state as observe."""
    checked, trusted = new_rule(name, seed=4), new_rule(name, seed=4)
    opponents_rng = np.random.default_rng(5)
    uses = rule_info(name).uses
    for _ in range(PERIODS):
        actions = checked.act()
        np.testing.assert_array_equal(trusted.act(), actions)
        opponents = opponents_rng.integers(N_ACTIONS, size=N_AGENTS)
        observe(checked, actions, opponents)
        checked.update()
        trusted.observe_trusted(
            actions,
            GAME[actions, opponents],
            forgone=GAME[:, opponents].T,  # given to every rule; only some keep it
            neighbours=RING if uses == "neighbours" else None,
        )
        trusted.update()
    assert_same_state(learning_state(trusted), learning_state(checked))


@pytest.mark.parametrize("name", RULES)
def test_the_trusted_observation_still_refuses_non_finite_payoffs(name):
    rule = new_rule(name)
    actions = rule.act()
    payoffs = GAME[actions, 0].copy()
    payoffs[2] = np.nan
    with pytest.raises(ParameterError, match="finite"):
        rule.observe_trusted(actions, payoffs, forgone=np.zeros((N_AGENTS, N_ACTIONS)))


@pytest.mark.parametrize("name", rules_where(uses="forgone_payoffs"))
def test_rules_using_forgone_payoffs_refuse_an_observation_without_them(name):
    rule = new_rule(name)
    assert rule.requires_forgone
    actions = rule.act()
    with pytest.raises(ParameterError, match="forgone"):
        rule.observe(actions, GAME[actions, 0])


# Instances by their own is_stochastic: every rule with default parameters, plus settings that
# change the answer (best-response EWA draws nothing; weighted fictitious play with logit does)
SETTINGS = [(name, {}) for name in RULES] + [
    ("ewa", {"choice_rule": "best_response"}),
    ("weighted_fictitious_play", {"choice_rule": "logit", "precision": 1.0}),
]
DETERMINISTIC = [(n, p) for n, p in SETTINGS if not new_rule(n, **p).is_stochastic]
STOCHASTIC = [(n, p) for n, p in SETTINGS if new_rule(n, **p).is_stochastic]


@pytest.mark.parametrize("name", RULES)
def test_a_rule_flagged_deterministic_has_no_stochastic_instance(name):
    rule = new_rule(name)
    assert isinstance(rule.is_stochastic, bool)
    if not rule_info(name).stochastic:
        assert not rule.is_stochastic


@pytest.mark.parametrize(("name", "params"), DETERMINISTIC)
def test_deterministic_instances_ignore_the_generator(name, params):
    rule = new_rule(name, **params)
    play(rule, 5, seed=1)
    copies = [copy.deepcopy(rule), copy.deepcopy(rule)]
    for learner, seed in zip(copies, (11, 12), strict=True):
        learner.rng = np.random.default_rng(seed)
    first, second = (play(learner, PERIODS, seed=4) for learner in copies)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1].tobytes() == second[1].tobytes()


@pytest.mark.parametrize(("name", "params"), STOCHASTIC)
def test_stochastic_instances_depend_on_the_generator(name, params):
    first, second = (play(new_rule(name, seed, **params), PERIODS, seed=4) for seed in (11, 12))
    assert not np.array_equal(first[0], second[0])


def test_the_stochastic_flags_are_honest():
    assert ("weighted_fictitious_play", {}) in DETERMINISTIC  # best response by default
    assert ("weighted_fictitious_play", {"choice_rule": "logit", "precision": 1.0}) in STOCHASTIC
    assert rule_info("weighted_fictitious_play").stochastic  # it can draw at random
    assert ("ewa", {"choice_rule": "best_response"}) in DETERMINISTIC
    assert ("fictitious_play", {}) in DETERMINISTIC and not rule_info("fictitious_play").stochastic


# --- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RULES)
def test_unknown_parameter_raises_naming_it(name):
    with pytest.raises(ParameterError, match="unknown parameter 'not_a_parameter'"):
        new_rule(name, not_a_parameter=1.0)


@pytest.mark.parametrize(
    ("name", "parameter"),
    [(name, spec.name) for name in RULES for spec in rule_info(name).parameters],
)
def test_out_of_range_parameter_values_raise_naming_the_parameter(name, parameter):
    spec = next(spec for spec in rule_info(name).parameters if spec.name == parameter)
    new_rule(name, **{parameter: spec.default})  # the default is accepted
    for value in out_of_range_values(spec):
        with pytest.raises(ParameterError) as error:
            new_rule(name, **{parameter: value})
        assert parameter in str(error.value), (value, str(error.value))


# --- payoff sign ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", rules_where(nonnegative_payoffs=True))
def test_rules_needing_nonnegative_payoffs_refuse_negative_ones(name):
    rule = new_rule(name)
    assert rule.requires_nonnegative_payoffs
    play(rule, 3, seed=1)
    before = copy.deepcopy(rule)
    actions = rule.act()
    observe(rule, actions, np.zeros(N_AGENTS, dtype=np.intp), shift=-2.0)
    with pytest.raises(ParameterError, match="non-negative"):
        rule.update()
    assert rule.periods == before.periods
    assert rule.probabilities().tobytes() == before.probabilities().tobytes()


@pytest.mark.parametrize("name", rules_where(nonnegative_payoffs=False))
def test_other_rules_accept_negative_payoffs_with_default_parameters(name):
    rule = new_rule(name)
    assert not rule.requires_nonnegative_payoffs
    opponents_rng = np.random.default_rng(1)
    for _ in range(5):
        observe(rule, rule.act(), opponents_rng.integers(N_ACTIONS, size=N_AGENTS), shift=-2.0)
        rule.update()
    probabilities = rule.probabilities()
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)


def test_ewa_declares_false_but_its_linear_choice_rule_checks_the_sign():
    assert rule_info("ewa").nonnegative_payoffs is False
    rule = new_rule("ewa", choice_rule="linear", initial_attraction=1.0)
    assert rule.requires_nonnegative_payoffs
    actions = rule.act()
    rule.observe(actions, -np.ones(N_AGENTS), forgone=np.zeros((N_AGENTS, N_ACTIONS)))
    with pytest.raises(ParameterError, match="non-negative"):
        rule.update()
    rule.observe(actions, np.ones(N_AGENTS), forgone=-np.ones((N_AGENTS, N_ACTIONS)))
    with pytest.raises(ParameterError, match="non-negative"):
        rule.update()


# --- convergence ------------------------------------------------------------------------------

# Prisoner's dilemma (action 1 = defect strictly dominates action 0 = cooperate), payoffs ≥ 0
DOMINANCE = NormalFormGame.symmetric([[3.0, 0.0], [5.0, 1.0]], "prisoner's dilemma")


@pytest.mark.parametrize("name", rules_where(converges=True))
def test_converging_rules_play_a_strictly_dominant_action(name):
    n = 200
    row = make_rule(name, n, 2, np.random.default_rng(5))
    column = make_rule(name, n, 2, np.random.default_rng(6))
    record = play_repeated(DOMINANCE, row, column, 200)
    for actions in (record.row_actions, record.column_actions):
        assert np.mean(actions[-1] == 1) >= 0.95


# --- per-action values --------------------------------------------------------------------------

PER_ACTION = [
    (name, spec.name) for name in RULES for spec in rule_info(name).parameters if spec.per_action
]


@pytest.mark.parametrize(("name", "parameter"), PER_ACTION)
def test_a_per_action_row_equal_to_the_scalar_changes_nothing(name, parameter):
    spec = next(spec for spec in rule_info(name).parameters if spec.name == parameter)
    value = 1.0 if spec.low <= 1.0 <= spec.high else spec.low + 1.0
    scalar = play(new_rule(name, 3, **{parameter: value}), PERIODS, seed=2)
    row = play(new_rule(name, 3, **{parameter: np.full((1, N_ACTIONS), value)}), PERIODS, seed=2)
    table = play(
        new_rule(name, 3, **{parameter: np.full((N_AGENTS, N_ACTIONS), value)}), PERIODS, seed=2
    )
    for other in (row, table):
        np.testing.assert_array_equal(scalar[0], other[0])
        assert scalar[1].tobytes() == other[1].tobytes()
    with pytest.raises(ParameterError, match=parameter):
        new_rule(name, **{parameter: np.full((2, N_ACTIONS), value)})  # neither 1 nor n rows


@pytest.mark.parametrize(
    ("name", "params"),
    [(name, {}) for name in RULES] + [("logit", {"precision": [0.5, 1, 2, 4, 8, 16]})],
)
def test_choosing_some_rows_is_acting_on_them(name, params):
    """A rule with ``chooses_rows``: act() is choose() of every row with rng.random(n), so the
    rows a caller lets revise choose what they would within act(); other rules refuse choose()."""
    rule = new_rule(name, seed=5, **params)
    play(rule, 12, seed=1)  # a learned state, not the prior
    if not rule.chooses_rows:
        with pytest.raises(NotImplementedError, match=name):
            rule.choose(np.arange(2), np.zeros(2))
        return
    state = copy.deepcopy(rule.rng.bit_generator.state)
    acted = rule.act()
    rule.rng.bit_generator.state = state
    uniforms = rule.rng.random(N_AGENTS)
    for rows in (np.arange(N_AGENTS), np.array([0, 2, 5]), np.array([4]), np.array([], int)):
        np.testing.assert_array_equal(rule.choose(rows, uniforms[rows]), acted[rows])
