"""Declarative scenarios: a TOML file validated into a typed :class:`Scenario`.

A scenario file has a few top-level keys and four tables::

    name = "baseline"            # defaults to the file's stem
    description = "..."
    seed = 20261122              # master seed of every run (SeedSequence)

    [horizon]
    steps = 200                  # periods per run

    [market]                     # abm.market.MarketConfig, key for key
    bargaining = "fixed"
    [market.generalists]
    count = 20
    alpha0 = { kind = "uniform", low = 0.05, high = 3.0 }

    [output]                     # what to collect
    agents = false               # agents.parquet
    agent_every = 0              # agent snapshot every k periods (0: the final state only)
    network = true               # network.graphml (abm run)
    figures = true
    summary_window = 10          # runs.parquet: mean of each observable over the last k periods

    [experiment]                 # abm mc / sweep / sa
    replications = 10
    chunk_size = 25
    common_random_numbers = false
    sampler = "grid"             # grid | lhs | sobol | morris
    samples = 64
    outcome = "welfare"
    [experiment.sweep]           # grid: market path -> values or {start, stop, count}
    "regulator.penalty" = { start = 0.0, stop = 0.5, count = 6 }
    [experiment.parameters]      # samplers: market path -> [low, high]
    "regulator.theta" = [0.0, 1.0]

Every problem raises one :class:`~abm.errors.ParameterError` naming the key path, the
value and what is accepted; unknown keys come with a "did you mean" suggestion (difflib).
The market block is checked by :meth:`MarketConfig.validate` and by building the model once,
and its errors are re-worded with the ``market.`` prefix so they name the file's key path.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from abm.errors import ParameterError

SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
_TOP_KEYS = ("name", "description", "seed", "horizon", "market", "output", "experiment")
#: Upper bound of seeds (they are stored in int64 parquet columns).
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Horizon:
    """How long each run lasts.

    Attributes:
        steps: Periods per run, ≥ 1.
    """

    steps: int = 100


@dataclass(frozen=True)
class Output:
    """What each run collects.

    Attributes:
        agents: Write agent-level records (``agents.parquet``).
        agent_every: Agent snapshot every k periods (0: only the final state), ≥ 0.
        network: Write the final supply-chain network as GraphML (``abm run``).
        figures: Draw figures.
        summary_window: ``runs.parquet`` holds each observable's mean over the last k periods.
    """

    agents: bool = False
    agent_every: int = 0
    network: bool = True
    figures: bool = True
    summary_window: int = 1


@dataclass(frozen=True)
class Experiment:
    """How a study varies runs.

    Attributes:
        replications: Runs per parameter point, ≥ 1.
        chunk_size: Runs per task and per chunk file, ≥ 1.
        common_random_numbers: Give replication r the same seed at every parameter point.
        sampler: ``grid`` (the ``sweep`` table, full factorial) or a SALib sampler (``lhs``,
            ``sobol``, ``morris``) over ``parameters``.
        samples: The sampler's N (Sobol: base samples, a power of two; Morris: trajectories).
        sweep: Market path → values (grid).
        parameters: Market path → (low, high) (samplers).
        outcome: The observable ``abm sa`` analyses.
    """

    replications: int = 1
    chunk_size: int = 25
    common_random_numbers: bool = False
    sampler: str = "grid"
    samples: int = 64
    sweep: dict[str, tuple[float, ...]] = field(default_factory=dict)
    parameters: dict[str, tuple[float, float]] = field(default_factory=dict)
    outcome: str = "welfare"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes:
        name: Short name (the file's stem by default).
        description: Free text (the question the scenario asks).
        seed: Master seed, ≥ 0.
        horizon: Run length.
        market: The market block as plain nested data (``MarketConfig.from_dict`` input).
        output: What to collect.
        experiment: The study design.
        source: The file it came from, if any.
    """

    name: str
    description: str = ""
    seed: int = 0
    horizon: Horizon = field(default_factory=Horizon)
    market: dict[str, Any] = field(default_factory=dict)
    output: Output = field(default_factory=Output)
    experiment: Experiment = field(default_factory=Experiment)
    source: str | None = None

    def market_data(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The market block with ``overrides`` (market path → value) and the output settings."""
        data = copy.deepcopy(self.market)
        for path, value in (overrides or {}).items():
            set_path(data, path, value)
        data["agent_every"] = self.output.agent_every if self.output.agents else 0
        return data

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario (every default filled in) as JSON-ready data."""
        from abm.market import MarketConfig

        market = MarketConfig.from_dict(self.market_data()).to_dict()
        return json_ready(
            {
                "name": self.name,
                "description": self.description,
                "seed": self.seed,
                "source": self.source,
                "horizon": asdict(self.horizon),
                "market": market,
                "output": asdict(self.output),
                "experiment": asdict(self.experiment),
            }
        )

    def replace(self, **changes: Any) -> Scenario:
        """A copy with top-level fields or ``horizon``/``output``/``experiment`` fields changed.

        Keys of the form ``"experiment.replications"`` change one field of a block.
        """
        top: dict[str, Any] = {}
        blocks: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            block, _, name = key.partition(".")
            if name:
                blocks.setdefault(block, {})[name] = value
            else:
                top[key] = value
        current = {item.name: getattr(self, item.name) for item in fields(self)}
        current.update(top)
        for block, values in blocks.items():
            current[block] = type(current[block])(**{**asdict(current[block]), **values})
        return Scenario(**current)


def json_ready(value: Any) -> Any:
    """Nested data with tuples as lists and non-finite floats as strings (valid JSON)."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# --- key paths ---------------------------------------------------------------------------------


def _suggest(key: str, known: list[str], what: str = "keys") -> str:
    match = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean '{match[0]}'?)" if match else ""
    return f"{hint}; accepted {what}: {', '.join(known)}"


def _unknown(path: str, key: str, known: list[str]) -> ParameterError:
    full = f"{path}.{key}" if path else key
    return ParameterError(f"unknown key {full}{_suggest(key, known)}")


def _market_schema() -> Any:
    from abm.market import MarketConfig

    return MarketConfig()


def _check_market_keys(data: Any, schema: Any, path: str) -> None:
    """Reject unknown keys in the market block, naming their full path."""
    from abm.market import Distribution, LearningConfig

    if not isinstance(data, dict):
        raise ParameterError(f"{path} must be a table, got {data!r}")
    known = [item.name for item in fields(schema)]
    for key, value in data.items():
        if key not in known:
            raise _unknown(path, key, known)
        default = getattr(schema, key)
        if isinstance(default, Distribution):
            if isinstance(value, dict):
                names = [item.name for item in fields(Distribution)]
                for sub in value:
                    if sub not in names:
                        raise _unknown(f"{path}.{key}", sub, names)
        elif isinstance(default, LearningConfig):
            if not isinstance(value, dict):
                raise ParameterError(f"{path}.{key} must be a table, got {value!r}")
            names = [item.name for item in fields(LearningConfig)]
            for sub in value:
                if sub not in names:
                    raise _unknown(f"{path}.{key}", sub, names)
        elif is_dataclass(default):
            _check_market_keys(value, default, f"{path}.{key}")


def market_field(path: str) -> tuple[Any, bool]:
    """The default value at a market path and whether it is a distribution parameter.

    ``regulator.penalty`` → (0.0, False); ``generalists.alpha0`` → (Distribution, True);
    ``generalists.alpha0.high`` → (inf, True). Unknown paths raise ParameterError.
    """
    from abm.market import Distribution

    node: Any = _market_schema()
    parts = path.split(".")
    walked = "market"
    for index, part in enumerate(parts):
        if not is_dataclass(node):
            raise ParameterError(f"unknown market parameter {path}: {walked} has no fields")
        known = [item.name for item in fields(node)]
        if part not in known:
            raise ParameterError(f"unknown market parameter {path}{_suggest(part, known)}")
        node = getattr(node, part)
        walked = f"{walked}.{part}"
        if isinstance(node, Distribution):
            rest = parts[index + 1 :]
            if not rest:
                return node, True
            if len(rest) > 1 or rest[0] not in [item.name for item in fields(Distribution)]:
                names = [item.name for item in fields(Distribution)]
                raise ParameterError(f"unknown market parameter {path}{_suggest(rest[0], names)}")
            return getattr(node, rest[0]), True
    if is_dataclass(node) or isinstance(node, dict | list):
        raise ParameterError(f"market parameter {path} must name a number, got a table")
    return node, False


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of nested dicts, creating tables on the way."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            # A distribution given as a number: ``alpha0.high`` needs the table form.
            raise ParameterError(
                f"market.{path}: market.{'.'.join(parts[: parts.index(part) + 1])} is "
                f'{child!r}; write it as a table (e.g. {{ kind = "uniform", low = ..., '
                f"high = ... }}) to vary one of its fields"
            )
        node = child
    node[parts[-1]] = value


def coerce_parameter(path: str, value: float) -> Any:
    """A numeric value in the type of the market field at ``path`` (ints stay ints)."""
    default, _ = market_field(path)
    if isinstance(default, bool):
        raise ParameterError(f"market parameter {path} is a switch (true/false), not a number")
    if isinstance(default, int):
        rounded = round(float(value))
        if not math.isclose(rounded, float(value), abs_tol=1e-9):
            raise ParameterError(f"market.{path} must be an integer, got {value!r}")
        return int(rounded)
    return float(value)


# --- scalar checks --------------------------------------------------------------------------------


def _integer(path: str, value: Any, low: int, high: int = MAX_SEED) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        accepted = f">= {low}" if high == MAX_SEED else f"in [{low}, {high}]"
        raise ParameterError(f"{path} must be an integer {accepted}, got {value!r}")
    return value


def _boolean(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{path} must be true or false, got {value!r}")
    return value


def _string(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"{path} must be a string, got {value!r}")
    return value


def _number(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{path} must be a finite number, got {value!r}")
    return float(value)


def _table(path: str, value: Any, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParameterError(f"{path} must be a table, got {value!r}")
    for key in value:
        if key not in known:
            raise _unknown(path, key, list(known))
    return value


def grid_values(path: str, spec: Any) -> tuple[float, ...]:
    """Values of a sweep entry: a list, or ``{start, stop, count}`` (inclusive, evenly spaced)."""
    import numpy as np

    if isinstance(spec, list):
        if not spec:
            raise ParameterError(f"{path} must list at least one value, got []")
        return tuple(_number(f"{path}[{i}]", item) for i, item in enumerate(spec))
    table = _table(path, spec, ("start", "stop", "count"))
    for key in ("start", "stop", "count"):
        if key not in table:
            raise ParameterError(f"{path} needs start, stop and count, missing {key}")
    start = _number(f"{path}.start", table["start"])
    stop = _number(f"{path}.stop", table["stop"])
    count = _integer(f"{path}.count", table["count"], 1, 10_000)
    return tuple(float(v) for v in np.linspace(start, stop, count))


def _bounds(path: str, spec: Any) -> tuple[float, float]:
    if not isinstance(spec, list) or len(spec) != 2:
        raise ParameterError(f"{path} must be [low, high], got {spec!r}")
    low, high = _number(f"{path}[0]", spec[0]), _number(f"{path}[1]", spec[1])
    if not low < high:
        raise ParameterError(f"{path} must be [low, high] with low < high, got {spec!r}")
    return low, high


def _experiment(data: Any) -> Experiment:
    known = tuple(item.name for item in fields(Experiment))
    table = _table("experiment", data, known)
    values: dict[str, Any] = {}
    if "replications" in table:
        values["replications"] = _integer(
            "experiment.replications", table["replications"], 1, 10_000_000
        )
    if "chunk_size" in table:
        values["chunk_size"] = _integer("experiment.chunk_size", table["chunk_size"], 1, 100_000)
    if "common_random_numbers" in table:
        values["common_random_numbers"] = _boolean(
            "experiment.common_random_numbers", table["common_random_numbers"]
        )
    if "sampler" in table:
        sampler = _string("experiment.sampler", table["sampler"])
        if sampler not in SAMPLERS:
            raise ParameterError(
                f"experiment.sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}"
            )
        values["sampler"] = sampler
    if "samples" in table:
        values["samples"] = _integer("experiment.samples", table["samples"], 1, 1_000_000)
    if "outcome" in table:
        values["outcome"] = _string("experiment.outcome", table["outcome"])
    if "sweep" in table:
        sweep = _table("experiment.sweep", table["sweep"], tuple(table["sweep"]))
        values["sweep"] = {
            key: grid_values(f"experiment.sweep.{key}", spec) for key, spec in sweep.items()
        }
    if "parameters" in table:
        params = _table("experiment.parameters", table["parameters"], tuple(table["parameters"]))
        values["parameters"] = {
            key: _bounds(f"experiment.parameters.{key}", spec) for key, spec in params.items()
        }
    return Experiment(**values)


# --- loading --------------------------------------------------------------------------------------


def parse_scenario(
    data: dict[str, Any], *, name: str = "scenario", source: str | None = None
) -> Scenario:
    """Validate a scenario's nested data (as read from TOML) into a :class:`Scenario`.

    Returns:
        The scenario. Raises ParameterError naming the key path on any problem.
    """
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown("", key, list(_TOP_KEYS))
    scenario_name = _string("name", data.get("name", name))
    description = _string("description", data.get("description", ""))
    seed = _integer("seed", data.get("seed", 0), 0)
    horizon_data = _table("horizon", data.get("horizon", {}), ("steps",))
    horizon = Horizon(
        steps=_integer("horizon.steps", horizon_data.get("steps", Horizon.steps), 1, 10_000_000)
    )
    output_known = tuple(item.name for item in fields(Output))
    output_data = _table("output", data.get("output", {}), output_known)
    output_values: dict[str, Any] = {}
    for key in ("agents", "network", "figures"):
        if key in output_data:
            output_values[key] = _boolean(f"output.{key}", output_data[key])
    if "agent_every" in output_data:
        output_values["agent_every"] = _integer("output.agent_every", output_data["agent_every"], 0)
    if "summary_window" in output_data:
        output_values["summary_window"] = _integer(
            "output.summary_window", output_data["summary_window"], 1
        )
    output = Output(**output_values)
    if output.summary_window > horizon.steps:
        raise ParameterError(
            f"output.summary_window must be in [1, {horizon.steps}] (horizon.steps), "
            f"got {output.summary_window}"
        )
    market = data.get("market", {})
    _check_market_keys(market, _market_schema(), "market")
    if "agent_every" in market:
        raise ParameterError(
            "market.agent_every is set by the output block; use output.agents and "
            "output.agent_every instead"
        )
    experiment = _experiment(data.get("experiment", {}))
    scenario = Scenario(
        name=scenario_name,
        description=description,
        seed=seed,
        horizon=horizon,
        market=copy.deepcopy(market),
        output=output,
        experiment=experiment,
        source=source,
    )
    check_scenario(scenario)
    return scenario


def _market_error(error: ParameterError) -> ParameterError:
    """Re-word a market error so it names the key path in the file (``market.…``)."""
    message = str(error)
    if message.startswith(("unknown parameter ", "market.")):
        return ParameterError(message.replace("unknown parameter ", "unknown key market.", 1))
    return ParameterError(f"market.{message}")


def check_market(market: dict[str, Any]) -> None:
    """Check a market block without building a market (:meth:`MarketConfig.check`)."""
    from abm.market import MarketConfig

    try:
        MarketConfig.from_dict(market).check()
    except ParameterError as error:
        raise _market_error(error) from None
    except (TypeError, ValueError) as error:
        raise ParameterError(f"market: {error}") from None


def check_scenario(scenario: Scenario) -> None:
    """Check everything that can fail before a run starts (market, outcome, sweep, bounds)."""
    from abm.market import OBSERVABLES

    check_market(scenario.market_data())
    experiment = scenario.experiment
    if experiment.outcome not in OBSERVABLES:
        hint = _suggest(experiment.outcome, list(OBSERVABLES), "observables")
        raise ParameterError(
            f"experiment.outcome must be an observable, got {experiment.outcome!r}{hint}"
        )
    check_points(scenario, experiment.sweep, "experiment.sweep")
    check_bounds(scenario, experiment.parameters, "experiment.parameters")


def _label(where: str, path: str) -> str:
    """How a parameter is named: ``experiment.sweep.<path>`` in a file, ``--param <path>``."""
    return f"{where} {path}" if where.startswith("--") else f"{where}.{path}"


def check_points(scenario: Scenario, sweep: dict[str, tuple[float, ...]], where: str) -> None:
    """Check every point of a grid sweep (each builds a valid market)."""
    for path in sweep:
        try:
            market_field(path)
        except ParameterError as error:
            raise ParameterError(f"{_label(where, path)}: {error}") from None
    if not sweep:
        return
    points = list(itertools.product(*sweep.values()))
    # Every corner and every value is checked; beyond 64 points only the one-at-a-time values.
    if len(points) > 64:
        points = [
            tuple(values[0] if j != i else v for j, values in enumerate(sweep.values()))
            for i, values in enumerate(sweep.values())
            for v in values
        ]
    for point in points:
        overrides = {
            path: coerce_parameter(path, value) for path, value in zip(sweep, point, strict=True)
        }
        _check_override(scenario, overrides, where, build=True)


def check_bounds(scenario: Scenario, bounds: dict[str, tuple[float, float]], where: str) -> None:
    """Check a sampler's bounds: every parameter at its low and high end builds a valid market."""
    for path, (low, high) in bounds.items():
        try:
            default, _ = market_field(path)
        except ParameterError as error:
            raise ParameterError(f"{_label(where, path)}: {error}") from None
        if isinstance(default, int) and not isinstance(default, bool):
            raise ParameterError(
                f"{_label(where, path)}: samplers vary real parameters; use a grid for integer "
                f"parameters like {path}"
            )
        for value in (low, high):
            _check_override(scenario, {path: float(value)}, where)


def _check_override(
    scenario: Scenario, overrides: dict[str, Any], where: str, *, build: bool = False
) -> None:
    try:
        market = scenario.market_data(overrides)
    except ParameterError as error:
        raise ParameterError(f"{where}: {error}") from None
    try:
        check_market(market)
    except ParameterError as error:
        shown = ", ".join(f"{path} = {value:g}" for path, value in overrides.items())
        raise ParameterError(f"{where} ({shown}): {error}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ParameterError naming the key path."""
    file = Path(path)
    if not file.is_file():
        raise ParameterError(f"scenario file not found: {file}")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ParameterError(f"{file}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ParameterError(f"{file}: not UTF-8 text: {error}") from None
    return parse_scenario(data, name=file.stem, source=str(file))


def shipped_scenarios() -> list[Path]:
    """The scenario files shipped in the repository's ``scenarios/`` folder."""
    folder = Path(__file__).resolve().parent.parent / "scenarios"
    return sorted(folder.glob("*.toml"))
