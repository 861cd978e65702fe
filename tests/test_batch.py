"""Stacked replications: a replication in a batch is bit for bit the same replication alone.

The independent expectation is the market run alone (``MarketModel(config, rng=seed)``): every
table of every replication of a :class:`BatchMarket` must equal it exactly, for every demand
rule, every rule that can be stacked, both information settings and the features a batch holds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.learning.streams import ReplicaStreams, uniform_pair, uniform_rows
from abm.market import (
    ClosedFirmConfig,
    DemandConfig,
    Distribution,
    GeneralistConfig,
    LearningConfig,
    MarketConfig,
    MarketModel,
    RegulatorConfig,
    SpecialistConfig,
)
from abm.market.batch import STACKABLE_RULES, BatchMarket, batch_obstacle

SEEDS = [5, 0, 77]


def stackable_config(
    rule: str = "logit",
    generalist_rule: LearningConfig | None = None,
    specialist_rule: LearningConfig | None = None,
    **changes,
) -> MarketConfig:
    """A heterogeneous market with every stochastic part a batch holds switched on."""
    config = MarketConfig(
        generalists=GeneralistConfig(
            count=7,
            alpha0=Distribution("uniform", low=0.05, high=3.0),
            compliance=Distribution("normal", mean=0.2, sd=0.05, low=0.05, high=0.5),
            production=Distribution("lognormal", mean=math.log(0.2), sd=0.3),
            learning=generalist_rule
            or LearningConfig("q_learning", {"epsilon": 0.1}, "experienced", 0.3),
        ),
        specialists=SpecialistConfig(
            count=19,
            specialist_cost=Distribution("uniform", low=0.5, high=2.0),
            matching="learned",
            learning=specialist_rule
            or LearningConfig("logit", {"precision": 20.0}, "counterfactual", 0.5),
            effort_learning=LearningConfig("logit", {"precision": 10.0}, "counterfactual", 0.4),
        ),
        closed_firms=ClosedFirmConfig(
            count=3,
            initial_compute=[8.0, 16.0, 30.0],
            learning=LearningConfig("q_learning", {}, "experienced"),
        ),
        demand=DemandConfig(
            rule=rule,
            niches=4,
            customers=Distribution("uniform", low=1.0, high=3.0),
            precision=5.0,
        ),
        regulator=RegulatorConfig(theta=0.4, penalty=0.05),
        agent_every=7,
    )
    for path, value in changes.items():
        block, field = path.split("__")
        setattr(getattr(config, block), field, value)
    return config


def model_tables(market: dict, seed: int, periods: int) -> dict:
    """The tables of the Mesa model run alone: what every stacked path must reproduce."""
    model = MarketModel(MarketConfig.from_dict(market), rng=seed).run(periods)
    tables = {"timeseries": model.timeseries(), "agents": model.agent_frame()}
    model.close()
    return tables


def assert_batch_is_alone(config: MarketConfig, periods: int = 25, seeds=SEEDS) -> None:
    batch = BatchMarket(config.model_copy(deep=True), seeds).run(periods)
    for replication, seed in enumerate(seeds):
        alone = MarketModel(config.model_copy(deep=True), rng=seed).run(periods)
        assert batch.timeseries(replication).equals(alone.timeseries()), (replication, seed)
        assert batch.agent_frame(replication).equals(alone.agent_frame()), (replication, seed)
        alone.close()


@pytest.mark.parametrize("demand", ["captive", "limit_pricing", "logit"])
def test_each_replication_is_bit_for_bit_the_run_alone(demand):
    assert_batch_is_alone(stackable_config(demand))


RULE_PARAMS = {
    "best_response": {"inertia": 0.5},
    "ewa": {},
    "fictitious_play": {},
    "hedge": {},
    "logit": {"precision": 30.0},
    "q_learning": {"epsilon": 0.2},
    "regret_matching": {},
    "roth_erev": {},
    "weighted_fictitious_play": {},
}


@pytest.mark.parametrize("rule", sorted(STACKABLE_RULES))
def test_every_stackable_rule_stacks_bit_for_bit(rule):
    from abm.learning import rule_info

    information = "counterfactual" if rule_info(rule).uses == "forgone_payoffs" else "experienced"
    learning = LearningConfig(rule, RULE_PARAMS[rule], information, 0.5)
    assert_batch_is_alone(stackable_config("logit", generalist_rule=learning), periods=20)
    assert_batch_is_alone(stackable_config("captive", specialist_rule=learning), periods=20)


def test_features_a_batch_holds_stack_bit_for_bit():
    # an exogenous frontier with a sure catch-up, a policy schedule, Nash bargaining, paired
    # matching, abstention and counterfactual closed firms
    config = stackable_config(
        "logit",
        frontier__mode="exogenous",
        frontier__compute=5.0,
        frontier__catchup_compute=40.0,
        frontier__catchup_period=8,
        regulator__mode="schedule",
        regulator__schedule=[[5, 0.6, 0.2], [15, 0.2, 0.0]],
    )
    config.bargaining = "nash"
    config.closed_firms.learning = LearningConfig("logit", {}, "counterfactual")
    assert_batch_is_alone(config)
    # an adaptive regulator: each replication's lever follows its own open share
    for lever in ("theta", "penalty"):
        config = stackable_config(
            "logit", regulator__mode="adaptive", regulator__lever=lever, regulator__gain=0.5
        )
        assert_batch_is_alone(config)
    config = stackable_config("limit_pricing")
    config.specialists.matching = "pairs"
    config.generalists.allow_abstain = False
    assert_batch_is_alone(config)


def test_populations_may_be_empty_and_a_batch_may_hold_one():
    config = stackable_config("logit")
    config.closed_firms.initial_compute = 10.0
    config.closed_firms.count = 0
    assert_batch_is_alone(config, seeds=[3])
    config = stackable_config("captive")
    config.specialists.count = 0
    assert_batch_is_alone(config)


def test_the_default_market_and_a_shipped_scenario_stack():
    from abm.scenarios import load_scenario

    assert_batch_is_alone(MarketConfig(), periods=40)
    scenario = load_scenario("scenarios/baseline.toml")
    assert_batch_is_alone(MarketConfig.from_dict(scenario.market_data({})), periods=30)


def test_replications_with_their_own_regulator_numbers_stack_bit_for_bit():
    policies = [
        {"theta": 0.0, "penalty": 0.0},
        {"theta": 0.6, "penalty": 0.3},
        {"theta": 0.35, "penalty": 0.05},
    ]
    for mode in ("static", "adaptive"):
        configs = []
        for policy in policies:
            config = stackable_config("logit", regulator__mode=mode, regulator__gain=0.3)
            for name, value in policy.items():
                setattr(config.regulator, name, value)
            configs.append(config)
        batch = BatchMarket([c.model_copy(deep=True) for c in configs], SEEDS).run(20)
        for replication, (config, seed) in enumerate(zip(configs, SEEDS, strict=True)):
            alone = MarketModel(config, rng=seed).run(20)
            assert batch.timeseries(replication).equals(alone.timeseries()), (mode, seed)
            assert batch.agent_frame(replication).equals(alone.agent_frame()), (mode, seed)
    other = stackable_config("captive")
    with pytest.raises(ParameterError, match="differ in more than the regulator"):
        BatchMarket([stackable_config("logit"), other], [1, 2])
    with pytest.raises(ParameterError, match="one per seed"):
        BatchMarket([stackable_config("logit")] * 2, [1, 2, 3])


def test_the_tidy_series_holds_every_replication_in_order():
    batch = BatchMarket(stackable_config(), SEEDS).run(4)
    frame = batch.timeseries()
    assert frame.columns[:2].tolist() == ["replication", "step"]
    assert frame.groupby("replication").size().tolist() == [5, 5, 5]
    assert (
        frame[frame.replication == 2]
        .drop(columns="replication")
        .reset_index(drop=True)
        .equals(batch.timeseries(2))
    )
    with pytest.raises(ParameterError, match=r"replication must be in \[0, 2\]"):
        batch.timeseries(3)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: setattr(c.firm_size, "in_house", Distribution("constant", value=2.0)), "firm_size.in_house"),  # noqa: E501
        (lambda c: setattr(c.frontier, "catchup_hazard", 0.5), "frontier.catchup_hazard"),
        (lambda c: setattr(c.generalists, "learning", LearningConfig("imitation")), "generalists.learning.rule"),  # noqa: E501
        (lambda c: setattr(c.specialists, "learning", LearningConfig("replicator", {}, "counterfactual")), "specialists.learning.rule"),  # noqa: E501
        (lambda c: c.closed_firms.learning.params.update(epsilon=[0.1, 0.2, 0.3]), "closed_firms.learning.params.epsilon"),  # noqa: E501
    ],
)  # fmt: skip
def test_what_a_batch_cannot_hold_is_named_and_refused(change, field):
    config = stackable_config()
    change(config)
    reason = batch_obstacle(config)
    assert reason is not None and reason.startswith(field)
    with pytest.raises(ParameterError, match="replications cannot be stacked: " + field):
        BatchMarket(config, SEEDS)


def test_bad_seeds_are_refused():
    for seeds in ([], [-1], [1.5], [True]):
        with pytest.raises(ParameterError, match="seed"):
            BatchMarket(stackable_config(), seeds)


def test_replica_streams_draw_each_replications_numbers_in_its_order():
    def generators():
        return [np.random.default_rng(seed) for seed in (4, 9, 1)]

    streams = ReplicaStreams(generators())
    alone = generators()
    np.testing.assert_array_equal(
        streams.random(6), np.concatenate([rng.random(2) for rng in alone])
    )
    np.testing.assert_array_equal(
        streams.integers(7, size=9), np.concatenate([rng.integers(7, size=3) for rng in alone])
    )
    # rows 0 and 1 are replication 0's, row 7 replication 2's (three rows each)
    rows = np.array([0, 1, 7])
    expected = np.concatenate([alone[0].random(2), alone[2].random(1)])
    np.testing.assert_array_equal(uniform_rows(streams, rows, 9), expected)
    assert alone[1].random() == streams.generators[1].random()  # replication 1 drew nothing
    with pytest.raises(ValueError, match="does not split"):
        streams.random(7)


@pytest.mark.parametrize("stacked", [False, True])
def test_a_pair_of_draws_in_one_call_is_the_two_calls(stacked):
    def generators():
        return [np.random.default_rng(seed) for seed in (4, 9, 1)]

    rng = ReplicaStreams(generators()) if stacked else generators()[0]
    alone = generators() if stacked else generators()[:1]
    first, second = uniform_pair(rng, 3 * len(alone))
    np.testing.assert_array_equal(first, np.concatenate([each.random(3) for each in alone]))
    np.testing.assert_array_equal(second, np.concatenate([each.random(3) for each in alone]))


def test_a_sweeps_points_over_the_regulator_stack_into_one_batch(monkeypatch):
    import abm.market.batch as batch_module
    from abm.experiments.simulate import simulate_replications
    from abm.scenarios import load_scenario

    scenario = load_scenario("scenarios/baseline.toml")
    points = [{"regulator.penalty": p, "regulator.theta": t} for p, t in ((0.0, 0.0), (0.4, 0.7))]
    markets = [scenario.market_data(point) for point in points] * 2
    markets.append(scenario.market_data({"demand.precision": 4.0}))  # a market of its own
    seeds = [3, 1, 4, 1, 5]
    sizes = []
    real = batch_module.BatchMarket.__init__

    def counting(self, config, seeds):
        sizes.append(len(seeds))
        real(self, config, seeds)

    monkeypatch.setattr(batch_module.BatchMarket, "__init__", counting)
    stacked = simulate_replications(markets, seeds, 10)
    assert sizes == [4, 1]  # the four regulator points together; the fifth alone
    for market, seed, tables in zip(markets, seeds, stacked, strict=True):
        assert tables["timeseries"].equals(model_tables(market, seed, 10)["timeseries"])


def test_simulate_replications_equals_the_model_run_one_by_one():
    from abm.experiments.simulate import simulate_replications
    from abm.scenarios import load_scenario

    firm_size = load_scenario("scenarios/baseline.toml").market_data({})
    firm_size["firm_size"] = {"in_house": 1.0}  # cannot be stacked: runs one by one
    for market in (load_scenario("scenarios/adaptive_regulator.toml").market_data({}), firm_size):
        stacked = simulate_replications(market, [4, 8, 15], 12, collect_agents=True)
        for seed, tables in zip([4, 8, 15], stacked, strict=True):
            alone = model_tables(market, seed, 12)
            assert tables["timeseries"].equals(alone["timeseries"])
            assert tables["agents"].equals(alone["agents"])


def test_a_single_run_is_the_model_run_without_mesa(tmp_path):
    # simulate (abm run's path) runs a stackable market as a batch of one: its tables and its
    # supply-chain network are the Mesa model's
    import networkx as nx

    from abm.experiments.simulate import simulate
    from abm.market.network import build_network
    from abm.scenarios import load_scenario

    market = load_scenario("scenarios/adaptive_regulator.toml").market_data({})
    tables = simulate(market, 9, 15, collect_agents=True, graphml=tmp_path / "run.graphml")
    model = MarketModel(MarketConfig.from_dict(market), rng=9).run(15)
    model.export_graphml(tmp_path / "model.graphml")
    assert tables["timeseries"].equals(model.timeseries())
    assert tables["agents"].equals(model.agent_frame())
    run, alone = (nx.read_graphml(tmp_path / f"{name}.graphml") for name in ("run", "model"))
    assert nx.utils.graphs_equal(run, alone)
    assert run.number_of_edges() > 0
    assert (tmp_path / "run.graphml").read_bytes() == (tmp_path / "model.graphml").read_bytes()
    model.close()
    with pytest.raises(ParameterError, match="one replication at a time"):
        build_network(BatchMarket(MarketConfig.from_dict(market), [1, 2]))


@pytest.mark.parametrize("size", [7, 300, 5000])
def test_a_markup_and_a_lambert_value_do_not_depend_on_the_others_solved_with_them(size):
    # what stacking relies on: an element's result is the same alone as among any others
    # (targets beyond the markup table's ends take Newton's path, each to its own convergence)
    from abm.market.clearing import lambert_of_exp, log_markup_at

    rng = np.random.default_rng(size)
    target = rng.normal(0.0, 4.0, size) * rng.choice([0.01, 1.0, 10.0, 100.0], size)
    together = log_markup_at(target)
    for part in (slice(0, 1), slice(size // 3, size // 2), slice(1, None, 2)):
        alone = log_markup_at(target[part].copy())
        np.testing.assert_array_equal(together[part], alone)
    z = rng.uniform(-30.0, 40.0, size)
    np.testing.assert_array_equal(lambert_of_exp(z)[1::3], lambert_of_exp(z[1::3].copy()))


@pytest.mark.parametrize("warm", [False, True])
def test_logit_prices_of_many_niches_are_each_niches_alone(warm):
    # what stacking relies on: with hundreds of niches solved at once (each stopping at its own
    # convergence), every niche's prices are bit for bit those it gets solved alone
    from abm.market.clearing import _logit_equilibrium

    rng = np.random.default_rng(11)
    n = 600
    niche = np.sort(rng.integers(n, size=3 * n))
    quality = rng.normal(0.0, 2.0, niche.size) * rng.choice([0.1, 1.0, 5.0], niche.size)
    outside = rng.normal(0.0, 1.0, n)
    start = 1.0 + rng.exponential(1.0, niche.size) if warm else None
    together = _logit_equilibrium(niche, quality, outside, n, start)
    for k in range(n):
        mine = niche == k
        if mine.any():
            alone = _logit_equilibrium(
                np.zeros(mine.sum(), dtype=np.intp),
                quality[mine],
                outside[k : k + 1],
                1,
                None if start is None else start[mine],
            )
            np.testing.assert_array_equal(together[mine], alone)
