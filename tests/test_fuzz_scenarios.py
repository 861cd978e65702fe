"""Mutated scenario files: every mutant either runs or is refused in one line naming a key.

Each shipped scenario is read as TOML data; one mutation (a value replaced by a wrong type, an
extreme number, a deep nesting, a huge size, or a key removed or misspelt) is applied at a random
key path; the mutant goes through the same steps as ``abm run`` (parse, check, build, a few
periods). A :class:`~abm.errors.ParameterError` is a refusal (exit code 2 on the command line):
it must be one line and name a key of the scenario. Anything else is a crash and fails the
test. The memory ceiling is lowered so that a huge size is refused, not allocated.
"""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from abm.errors import ParameterError
from abm.experiments.simulate import simulate
from abm.scenarios import parse_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))
#: Replacement values: wrong types, non-finite and extreme numbers, deep nesting, huge sizes.
WRONG = [
    "x",
    True,
    None,
    [1, 2],
    [[[[[[[[[[1]]]]]]]]]],
    {"a": 1},
    {},
    -1,
    0,
    10**12,
    -(10**12),
    1e308,
    -1e-300,
    math.inf,
    -math.inf,
    math.nan,
    0.5,
    2**70,
]


def _leaves(data: Any, path: tuple = ()) -> list[tuple]:
    """Every key path to a value (tables and lists included)."""
    paths = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            paths += _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths += _leaves(value, (*path, index))
    return paths


# a refusal is one line: numpy's warnings (overflow, invalid values) would be more lines
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def _mutate(data: dict, rng: np.random.Generator) -> dict:
    mutant = copy.deepcopy(data)
    paths = _leaves(mutant)
    path = paths[int(rng.integers(len(paths)))]
    parent = mutant
    for part in path[:-1]:
        parent = parent[part]
    action = rng.random()
    if action < 0.1 and isinstance(parent, dict):
        del parent[path[-1]]
    elif action < 0.2 and isinstance(parent, dict):
        parent[f"{path[-1]}x"] = parent.pop(path[-1])  # a misspelt key
    else:
        value = WRONG[int(rng.integers(len(WRONG)))]
        if value is None:  # TOML has no null: a key without a value is a missing key
            if isinstance(parent, dict):
                del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return mutant


def _run(data: dict) -> None:
    """What ``abm run`` does with a scenario, on a short horizon and without writing."""
    scenario = parse_scenario(data, name="mutant")
    simulate(scenario.market_data(), 1, min(3, scenario.horizon.steps))


def _mutants(count: int, seed: int) -> list[tuple[str, int, dict]]:
    cases = []
    for file in SCENARIOS:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        data.pop("name", None)
        rng = np.random.default_rng([seed, len(cases)])
        cases += [(file.stem, k, _mutate(data, rng)) for k in range(count)]
    return cases


def _check(data: dict) -> None:
    try:
        _run(data)
    except ParameterError as error:
        message = str(error)
        assert "\n" not in message, message
        # a refusal names a key of the scenario (or the memory ceiling's variable)
        words = {str(part) for path in _leaves(data) for part in path if not isinstance(part, int)}
        words |= {"ABM_MAX_MEMORY", "market", "horizon", "output", "experiment"}
        assert any(word in message for word in words), message


@pytest.fixture(autouse=True)
def _small_memory(monkeypatch):
    monkeypatch.setenv("ABM_MAX_MEMORY", "512M")


@pytest.mark.parametrize(("stem", "index", "data"), _mutants(3, seed=1))
def test_mutated_scenarios_run_or_are_refused_in_one_line(stem, index, data):
    _check(data)


@pytest.mark.slow
@pytest.mark.parametrize(("stem", "index", "data"), _mutants(30, seed=2))
def test_many_mutated_scenarios_run_or_are_refused_in_one_line(stem, index, data):
    _check(data)
