"""A binned market observable as the state of a Q-learner in the market."""

from __future__ import annotations

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.market import LearningConfig, MarketConfig, MarketModel
from tests.test_market_model import busy_config


def _config(edges=(0.25, 0.5)) -> MarketConfig:
    config = busy_config("logit")
    config.generalists.learning = LearningConfig(
        "q_learning",
        {"epsilon": 0.2},
        "experienced",
        1.0,
        {"observable": "open_share", "edges": list(edges)},
    )
    return config


def test_the_state_is_last_periods_binned_open_share():
    model = MarketModel(_config(), rng=4)
    rule = model.generalists.learner.rule
    assert rule.n_states == 3  # below 0.25, [0.25, 0.5), from 0.5 on
    acted_in = []
    act = rule.act
    rule.act = lambda: (acted_in.append(rule.states.copy()), act())[1]
    shares = [model.open_share]
    for _ in range(30):
        model.step()
        shares.append(model.open_share)
    bins = np.searchsorted([0.25, 0.5], shares, "right")
    for period, states in enumerate(acted_in):  # each period in last period's bin
        assert states.tolist() == [bins[period]] * rule.n_agents
    assert len(set(bins.tolist())) > 1  # the test saw the state change


def test_learning_touches_only_the_states_visited():
    model = MarketModel(_config(edges=(2.0,)), rng=4)  # an open share never reaches 2
    model.run(20)
    q = model.generalists.learner.rule.q_values
    assert np.any(q[:, 0, :] != q[:, 1, :])  # state 0 learned, state 1 still at its prior
    assert np.all(q[:, 1, :] == q[0, 1, 0])


@pytest.mark.parametrize(
    ("learning", "message"),
    [
        ({"rule": "logit", "state": {"observable": "open_share", "edges": [0.5]}}, "has no states"),
        (
            {
                "rule": "q_learning",
                "params": {"n_states": 3},
                "state": {"observable": "theta", "edges": [0.5]},
            },
            "params.n_states: set by state",
        ),
        (
            {"rule": "q_learning", "state": {"observable": "open_share", "edges": [0.5, 0.2]}},
            "strictly increasing",
        ),
        (
            {"rule": "q_learning", "state": {"observable": "welfare", "edges": [0.5]}},
            "observable must be one of",
        ),
    ],
)
def test_a_state_the_rule_cannot_use_is_refused(learning, message):
    with pytest.raises(ParameterError, match=message):
        MarketConfig.from_dict({"generalists": {"learning": learning}})
