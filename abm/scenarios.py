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

The file's schema is declared once (pydantic models: :class:`Horizon`, :class:`Output`,
:class:`Experiment`, :class:`Scenario`, and :class:`~abm.market.MarketConfig` for the market
block); ``abm schema`` exports it as JSON Schema (:func:`scenario_schema`). Every problem raises
one :class:`~abm.errors.ParameterError` naming the key path, the value and what is accepted;
unknown keys come with a "did you mean" suggestion (difflib). The market block stays the file's
plain data (sweeps set paths in it) and is validated against ``MarketConfig``, with every sweep
point and sampler bound, when the scenario is built.
"""

from __future__ import annotations

import copy
import itertools
import math
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from abm.errors import ParameterError
from abm.options import MAX_POINTS, MAX_REPLICATIONS, MAX_RUNS, MAX_SEED, MAX_STEPS
from abm.schema import (
    MAX_INT,
    PATH,
    Flag,
    Int,
    Real,
    Schema,
    default_of,
    field_at,
    json_schema,
    keys,
    parameter_error,
    scalar_type,
    suggest,
)

Sampler = Literal["grid", "lhs", "sobol", "morris"]
SAMPLERS: tuple[str, ...] = Sampler.__args__  # type: ignore[attr-defined]


class _Block(Schema):
    """A scenario table: frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Block):
    """How long each run lasts."""

    path = "horizon"

    steps: Int = Field(100, ge=1, le=MAX_STEPS, description="periods per run")


class Output(_Block):
    """What each run collects."""

    path = "output"

    agents: Flag = Field(False, description="write agent-level records (agents.parquet)")
    agent_every: Int = Field(
        0,
        ge=0,
        le=MAX_INT,
        description="agent snapshot every k periods (0: only the final state); sets "
        "market.agent_every, which may not be given directly",
    )
    network: Flag = Field(
        True, description="write the final supply-chain network as GraphML (abm run)"
    )
    figures: Flag = Field(True, description="draw figures (PNG; SVG too with --svg)")
    summary_window: Int = Field(
        1,
        ge=1,
        le=MAX_INT,
        description="runs.parquet holds each observable's mean over the last k periods "
        "(at most horizon.steps)",
    )


class GridRange(_Block):
    """Evenly spaced values from ``start`` to ``stop`` inclusive."""

    start: Real = Field(description="first value")
    stop: Real = Field(description="last value")
    count: Int = Field(ge=1, le=10_000, description="number of values")


FiniteList = Annotated[list[Real], Field(min_length=1)]


def _grid(spec: Any) -> tuple[float, ...]:
    return grid_values(PATH, spec)


def _pair(spec: Any) -> Any:
    if not isinstance(spec, list | tuple) or len(spec) != 2:
        raise ParameterError(f"{PATH} must be [low, high], got {spec!r}")
    return spec


def _ordered(bounds: tuple[float, float]) -> tuple[float, float]:
    if not bounds[0] < bounds[1]:
        raise ParameterError(
            f"{PATH} must be [low, high] with low < high, got [{bounds[0]:g}, {bounds[1]:g}]"
        )
    return bounds


GridValues = Annotated[
    tuple[float, ...],
    BeforeValidator(_grid, json_schema_input_type=FiniteList | GridRange),
]
Bounds = Annotated[tuple[Real, Real], BeforeValidator(_pair), AfterValidator(_ordered)]


class Experiment(_Block):
    """How a study varies runs."""

    path = "experiment"

    replications: Int = Field(1, ge=1, le=MAX_REPLICATIONS, description="runs per parameter point")
    chunk_size: Int = Field(25, ge=1, le=100_000, description="runs per task and chunk file")
    common_random_numbers: Flag = Field(
        False, description="give replication r the same seed at every parameter point"
    )
    sampler: Sampler = Field(
        "grid",
        description="grid (the sweep table, full factorial) or a SALib sampler over parameters",
    )
    samples: Int = Field(
        64,
        ge=1,
        le=1_000_000,
        description="the sampler's N (Sobol: base samples, a power of two; Morris: trajectories)",
    )
    sweep: dict[str, GridValues] = Field(
        default_factory=dict,
        description="market path -> list of values or { start, stop, count } (grid)",
    )
    parameters: dict[str, Bounds] = Field(
        default_factory=dict, description="market path -> [low, high] (samplers)"
    )
    outcome: str = Field("welfare", strict=True, description="the observable abm sa analyses")


class Scenario(_Block):
    """A validated scenario.

    The ``market`` block stays the file's plain nested data (what ``MarketConfig.from_dict``
    takes): sweeps and samplers set market paths in it, workers receive it as it is, and a
    study's identity is the file's data. It is validated against
    :class:`~abm.market.MarketConfig` (with the output block's settings and, for a study,
    every sweep point and sampler bound) when the scenario is built.
    """

    path = ""

    name: str = Field(
        strict=True,
        # it names the default output folder and figure titles: no path, no mathtext
        pattern=r"^[^./\\$\x00][^/\\$\x00]{0,99}$",
        description="a short name: up to 100 characters, no '/', '\\' or '$', not starting "
        "with '.' (the file's stem by default)",
    )
    description: str = Field(
        "", strict=True, description="free text (the question the scenario asks)"
    )
    seed: Int = Field(0, ge=0, le=MAX_SEED, description="master seed of every run")
    horizon: Horizon = Field(default_factory=Horizon, description="run length")
    market: dict[str, Any] = Field(
        default_factory=dict, description="the market, key for key (abm.market.MarketConfig)"
    )
    output: Output = Field(default_factory=Output, description="what to collect")
    experiment: Experiment = Field(default_factory=Experiment, description="the study design")
    source: str | None = Field(None, description="the file it came from, if any")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.output.summary_window > self.horizon.steps:
            raise ParameterError(
                f"output.summary_window must be in [1, {self.horizon.steps}] (horizon.steps), "
                f"got {self.output.summary_window}"
            )
        if "agent_every" in self.market:
            raise ParameterError(
                "market.agent_every is set by the output block; use output.agents and "
                "output.agent_every instead"
            )
        check_scenario(self)
        return self

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
                "horizon": self.horizon.model_dump(),
                "market": market,
                "output": self.output.model_dump(),
                "experiment": self.experiment.model_dump(),
            }
        )

    def replace(self, **changes: Any) -> Scenario:
        """A copy with top-level fields or ``horizon``/``output``/``experiment`` fields changed.

        Keys of the form ``"experiment.replications"`` change one field of a block. The copy is
        validated like a file.
        """
        data: dict[str, Any] = {
            name: getattr(self, name) for name in type(self).model_fields if name != "market"
        }
        data = {
            name: value.model_dump() if isinstance(value, Schema) else value
            for name, value in data.items()
        }
        data["market"] = copy.deepcopy(self.market)
        for key, value in changes.items():
            block, _, name = key.partition(".")
            if name:
                data[block] = {**data[block], name: value}
            else:
                data[key] = value
        return type(self).parse(data)


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (the ``[market]`` table typed as MarketConfig)."""
    from abm.market import MarketConfig

    schema = json_schema(Scenario)
    market = json_schema(MarketConfig)
    schema.setdefault("$defs", {}).update(market.pop("$defs", {}))
    market.pop("$schema", None)
    description = schema["properties"]["market"].get("description")
    schema["properties"]["market"] = {**market, "description": description}
    for internal in ("source",):
        schema["properties"].pop(internal, None)
    schema["properties"]["market"]["properties"].pop("agent_every", None)
    schema.pop("required", None)  # name defaults to the file's stem
    schema["title"] = "openness-abm scenario"
    return schema


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


def market_field(path: str) -> tuple[Any, bool]:
    """The default value at a market path and whether it is a distribution parameter.

    ``regulator.penalty`` → (0.0, False); ``generalists.alpha0`` → (Distribution, True);
    ``generalists.alpha0.high`` → (inf, True). Unknown paths raise ParameterError. Read from
    the schema (:class:`~abm.market.MarketConfig`'s fields), not from a default instance.
    """
    from abm.market import Distribution, MarketConfig

    node: Any = MarketConfig
    info: Any = None
    distribution = False
    walked = "market"
    for part in path.split("."):
        known = keys(node)
        if not known:
            raise ParameterError(f"unknown market parameter {path}: {walked} has no fields")
        if part not in known:
            raise ParameterError(f"unknown market parameter {path}{suggest(part, known)}")
        annotation, info = field_at(node, [part])  # type: ignore[misc]
        node = scalar_type(annotation)
        distribution = distribution or node is Distribution
        walked = f"{walked}.{part}"
    container = typing.get_origin(node) in (dict, list, tuple) or node in (dict, list, tuple)
    if (keys(node) and node is not Distribution) or container:
        raise ParameterError(f"market parameter {path} must name a number, got a table")
    return default_of(info), distribution


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
    from abm.market import MarketConfig

    market_field(path)
    found = field_at(MarketConfig, path.split("."))
    kind = scalar_type(found[0]) if found else float
    if kind is bool:
        raise ParameterError(f"market parameter {path} is a switch (true/false), not a number")
    if kind is int:
        rounded = round(float(value))
        if not math.isclose(rounded, float(value), abs_tol=1e-9):
            raise ParameterError(f"market.{path} must be an integer, got {value!r}")
        return int(rounded)
    return float(value)


def grid_values(path: str, spec: Any) -> tuple[float, ...]:
    """Values of a sweep entry: a list, or ``{start, stop, count}`` (inclusive, evenly spaced)."""
    import numpy as np

    if isinstance(spec, list | tuple):
        if not spec:
            raise ParameterError(f"{path} must list at least one value, got []")
        try:
            return tuple(_VALUES.validate_python(list(spec)))
        except ValidationError as error:
            raise parameter_error(error, FiniteList, path) from None
    grid = GridRange.parse(spec, root=path)
    return tuple(float(v) for v in np.linspace(grid.start, grid.stop, grid.count))


_VALUES: TypeAdapter[list[float]] = TypeAdapter(FiniteList)


# --- loading --------------------------------------------------------------------------------------


def parse_scenario(
    data: dict[str, Any], *, name: str = "scenario", source: str | None = None
) -> Scenario:
    """Validate a scenario's nested data (as read from TOML) into a :class:`Scenario`.

    Returns:
        The scenario. Raises ParameterError naming the key path on any problem.
    """
    if "source" in data:  # set from the file's path, never written in it
        known = [key for key in keys(Scenario) if key != "source"]
        raise ParameterError(f"unknown key source{suggest('source', known)}")
    return Scenario.parse({"name": name, **data, "source": source})


def check_market(market: dict[str, Any]) -> Any:
    """Check a market block without building a market; errors name ``market.<key path>``.

    Returns:
        The parsed :class:`~abm.market.MarketConfig`.
    """
    from abm.market import MarketConfig

    return MarketConfig.parse(market, root="market")


#: Peak bytes per row of a run's agent table (``output.agents``): its 15 columns in pandas take
#: 130 bytes a row and the snapshots are joined at the end; 660,000 rows (2,200 agents × 300
#: snapshots) raised a run's peak by 181 MB (275 bytes a row). Doubled, as the market's estimate.
AGENT_ROW_BYTES = 550


def check_recording(scenario: Scenario, *, steps: int | None = None, runs: int = 1) -> None:
    """Refuse runs whose market and agent tables together exceed the memory ceiling.

    The market's own estimate is checked when it is parsed; the agent table (one row per agent
    per snapshot) grows with ``horizon.steps / output.agent_every`` and is held until the run
    (or, in an experiment, its chunk of runs) ends. The commands check it once the horizon is
    final (after ``--steps``), so a file with a long horizon can still be tried on a short one.

    Args:
        scenario: The scenario.
        steps: Periods per run (None: ``horizon.steps``).
        runs: Runs whose tables are held at once (an experiment's chunk).
    """
    if not scenario.output.agents:
        return
    config = check_market(scenario.market_data())
    from abm.options import MEMORY_VARIABLE, format_size, memory_limit

    steps = scenario.horizon.steps if steps is None else steps
    every = scenario.output.agent_every
    snapshots = steps // every + 1 if every else 1
    agents = config.generalists.count + config.specialists.count + config.closed_firms.count
    needed = config.memory_estimate() + runs * snapshots * agents * AGENT_ROW_BYTES
    limit = memory_limit()  # (a malformed ceiling was refused when the market was parsed)
    if needed > limit:
        held = f"a chunk of {runs} runs holds" if runs > 1 else "a run records"
        fix = "lower --chunk-size, " if runs > 1 else ""
        raise ParameterError(
            f"output.agents: {held} {snapshots:,} snapshots of {agents:,} agents (steps "
            f"{steps}, output.agent_every {every}) and needs about {format_size(needed)}, more "
            f"than the limit {format_size(limit)} (abm --max-memory or ${MEMORY_VARIABLE}); "
            f"{fix}raise output.agent_every or set output.agents = false"
        )


def check_scenario(scenario: Scenario) -> None:
    """Check everything that can fail before a run starts (market, outcome, sweep, bounds)."""
    from abm.market import OBSERVABLES

    check_market(scenario.market_data())
    experiment = scenario.experiment
    if experiment.outcome not in OBSERVABLES:
        hint = suggest(experiment.outcome, list(OBSERVABLES), "observables")
        raise ParameterError(
            f"experiment.outcome must be an observable, got {experiment.outcome!r}{hint}"
        )
    check_points(scenario, experiment.sweep, "experiment.sweep")
    check_bounds(scenario, experiment.parameters, "experiment.parameters")


def _label(where: str, path: str) -> str:
    """How a parameter is named: ``experiment.sweep.<path>`` in a file, ``--param <path>``."""
    return f"{where} {path}" if where.startswith("--") else f"{where}.{path}"


def check_point_count(count: int, what: str) -> None:
    """Refuse, before it is built, a design of more than :data:`~abm.options.MAX_POINTS` points."""
    if count > MAX_POINTS:
        raise ParameterError(
            f"{what} has {count:,} points, more than the {MAX_POINTS:,} one experiment may hold; "
            "use fewer values or samples"
        )


def check_run_count(points: int, replications: int, design: str, replicated: str) -> None:
    """Refuse, before its points are built, a design of too many points or runs in all.

    Args:
        points: Parameter points of the design.
        replications: Runs per point.
        design: How the user gave the points (``--samples 2``, ``--param grid``).
        replicated: How the user gave the replications (``--replications 100``).
    """
    check_point_count(points, design)  # the points' own limit first: the narrower message
    runs = points * replications
    if runs > MAX_RUNS:
        raise ParameterError(
            f"{design} with {replicated} is {runs:,} runs ({points:,} points × {replications:,}), "
            f"more than the {MAX_RUNS:,} one experiment may hold; use fewer points or replications"
        )


def check_points(scenario: Scenario, sweep: dict[str, tuple[float, ...]], where: str) -> None:
    """Check every point of a grid sweep (each builds a valid market), and their number."""
    check_point_count(math.prod(len(values) for values in sweep.values()), f"{where} grid")
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
    """Read and validate a scenario file; raise ParameterError naming the key path.

    Examples:
        >>> scenario = load_scenario("scenarios/baseline.toml")  # from the repository's root
        >>> scenario.name, scenario.horizon.steps
        ('baseline', 1000)
        >>> scenario.market_data()["generalists"]["count"]
        20
    """
    file = Path(path)
    try:
        if file.is_dir():  # else read_text's IsADirectoryError would read as a missing file
            raise ParameterError(f"scenario file {file} is a directory, not a file")
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"scenario file not found: {file}") from None
    except UnicodeDecodeError as error:
        raise ParameterError(f"{file}: not UTF-8 text: {error}") from None
    except OSError as error:  # unreadable (permissions, an I/O error): the reason, no traceback
        raise ParameterError(
            f"cannot read scenario file {file}: {error.strerror or error}"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ParameterError(f"{file}: invalid TOML: {error}") from None
    return parse_scenario(data, name=file.stem, source=str(file))


def shipped_scenarios() -> list[Path]:
    """The scenario files shipped in the repository's ``scenarios/`` folder."""
    folder = Path(__file__).resolve().parent.parent / "scenarios"
    return sorted(folder.glob("*.toml"))
