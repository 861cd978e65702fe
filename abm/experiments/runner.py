"""The experiment runner: many runs of one scenario, streamed to disk in chunks, resumable.

A :class:`Experiment` is a scenario, a list of parameter points and a number of replications per
point. Run ``i`` (point ``i // replications``, replication ``i % replications``) has the seed
``run_seed(master, i)`` (or ``run_seed(master, replication)`` with common random numbers), so a
run depends only on (scenario, point, seed), never on the executor, the worker count or the
order in which runs finish.

Runs are grouped into chunks of ``chunk_size`` consecutive run ids; one chunk is one task. The
main process writes each finished chunk as parquet files under ``chunks/`` (each atomically),
then a ``<chunk>.done`` marker listing them. Only chunks with a marker (and files that can be
read) count as finished, so a crash mid-chunk leaves nothing that ``--resume`` could mistake for a
result. At the end the
chunks are concatenated, in run-id order and one chunk at a time (memory stays flat), into
``runs.parquet``, ``timeseries.parquet`` and, when asked, ``agents.parquet``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from abm.errors import ParameterError
from abm.experiments.seeds import run_seed
from abm.io import atomic_write, remove_temporaries, write_json
from abm.scenarios import Scenario, check_recording, json_ready

if TYPE_CHECKING:
    import pandas as pd

TABLES: tuple[str, ...] = ("runs", "timeseries", "agents")
EXPERIMENT_FILE = "experiment.json"
CHUNKS = "chunks"


@dataclass(frozen=True)
class RunSpec:
    """One run: its id, parameter point, replication, seed and parameter values."""

    run_id: int
    point: int
    replication: int
    seed: int
    params: dict[str, Any]


@dataclass(frozen=True)
class Experiment:
    """A set of runs of one scenario.

    Attributes:
        scenario: The validated scenario.
        points: Parameter points (market path → value); ``({},)`` for plain replications.
        replications: Runs per point.
        steps: Periods per run.
        chunk_size: Runs per chunk (task and file).
    """

    scenario: Scenario
    points: tuple[dict[str, Any], ...] = ({},)
    replications: int = 1
    steps: int = 100
    chunk_size: int = 25

    def __post_init__(self) -> None:
        # a chunk's agent tables are held until it is written: refused before anything runs
        check_recording(self.scenario, steps=self.steps, runs=min(self.chunk_size, self.n_runs))

    @property
    def seed(self) -> int:
        """The master seed."""
        return self.scenario.seed

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.points) * self.replications

    @property
    def n_chunks(self) -> int:
        """Number of chunks."""
        return math.ceil(self.n_runs / self.chunk_size)

    def size(self) -> tuple[int, int]:
        """(agent-periods over every run, the largest point's estimated peak memory in bytes).

        Only configurations are built (checked, not allocated), of at most 64 points spread
        over the design (the total is scaled up from them): a guide printed before a large
        experiment starts.
        """
        from abm.market import MarketConfig

        stride = max(1, math.ceil(len(self.points) / 64))
        sampled = self.points[::stride]
        agents, peak = 0, 0
        for point in sampled:
            config = MarketConfig.from_dict(self.scenario.market_data(point))
            agents += config.generalists.count + config.specialists.count
            agents += config.closed_firms.count
            peak = max(peak, config.memory_estimate())
        scale = len(self.points) / len(sampled)
        return round(agents * scale * self.steps * self.replications), peak

    def run(self, run_id: int) -> RunSpec:
        """The specification of run ``run_id``."""
        point, replication = divmod(run_id, self.replications)
        index = replication if self.scenario.experiment.common_random_numbers else run_id
        return RunSpec(run_id, point, replication, run_seed(self.seed, index), self.points[point])

    def chunk(self, index: int) -> list[RunSpec]:
        """The runs of chunk ``index``."""
        start = index * self.chunk_size
        return [self.run(i) for i in range(start, min(start + self.chunk_size, self.n_runs))]

    def fingerprint(self) -> dict[str, Any]:
        """What must match for ``--resume`` to continue this experiment."""
        return json_ready(
            {
                # where the file was read from does not matter, only what it says
                "scenario": {k: v for k, v in self.scenario.to_dict().items() if k != "source"},
                "points": [dict(point) for point in self.points],
                "replications": self.replications,
                "steps": self.steps,
                "chunk_size": self.chunk_size,
                "n_runs": self.n_runs,
            }
        )


@dataclass(frozen=True)
class ChunkTask:
    """What a worker needs for one chunk (picklable)."""

    index: int
    scenario: Scenario
    runs: list[RunSpec]
    steps: int
    simulate: Callable[..., dict[str, Any]] | None = None


def run_chunk(task: ChunkTask) -> dict[str, Any]:
    """Run every run of a chunk; a run that raises becomes a failure record, not an error.

    Returns:
        ``{"runs": DataFrame, "timeseries": DataFrame | None, "agents": DataFrame | None}``.
    """
    import pandas as pd

    from abm.experiments.simulate import simulate as default_simulate

    simulate = task.simulate or default_simulate
    output = task.scenario.output
    stacked = {} if task.simulate is not None else _stacked_runs(task)
    rows: list[dict[str, Any]] = []
    series: list[pd.DataFrame] = []
    agents: list[pd.DataFrame] = []
    for spec in task.runs:
        row: dict[str, Any] = {
            "run_id": spec.run_id,
            "point": spec.point,
            "replication": spec.replication,
            "seed": spec.seed,
            **spec.params,
        }
        try:
            tables = stacked.get(spec.run_id) or simulate(
                task.scenario.market_data(spec.params),
                spec.seed,
                task.steps,
                collect_agents=output.agents,
            )
            frame = tables["timeseries"]
            outcomes = frame.drop(columns=["step"]).tail(output.summary_window).mean()
            row.update(status="ok", error="", **outcomes.to_dict())
            series.append(_with_ids(frame, spec))
            if output.agents and tables.get("agents") is not None:
                agents.append(_with_ids(tables["agents"], spec))
        except Exception as error:  # reported with the run id and seed; the experiment goes on
            row.update(status="failed", error=f"{type(error).__name__}: {error}")
        rows.append(row)
    return {
        "runs": pd.DataFrame(rows),
        "timeseries": pd.concat(series, ignore_index=True) if series else None,
        "agents": pd.concat(agents, ignore_index=True) if agents else None,
    }


def _stacked_runs(task: ChunkTask) -> dict[int, dict[str, Any]]:
    """The chunk's runs, stacked where their markets allow (``simulate_replications``).

    Returns each run's tables by run id, exactly as one by one; empty if the stacked runs fail,
    so that the chunk's runs then go one by one and each failure is recorded with its own run.
    """
    from abm.experiments.simulate import simulate_replications

    if len(task.runs) < 2:
        return {}
    try:
        results = simulate_replications(
            [task.scenario.market_data(spec.params) for spec in task.runs],
            [spec.seed for spec in task.runs],
            task.steps,
            collect_agents=task.scenario.output.agents,
        )
    except Exception:  # each run then goes alone and records its own error
        return {}
    return {spec.run_id: tables for spec, tables in zip(task.runs, results, strict=True)}


def _with_ids(frame: pd.DataFrame, spec: RunSpec) -> pd.DataFrame:
    frame = frame.copy()
    frame.insert(0, "run_id", spec.run_id)
    return frame


class ExperimentAbortedError(RuntimeError):
    """A task was lost (a worker died, the cluster went away); finished chunks are kept."""


@dataclass
class Failure:
    """A run that raised."""

    run_id: int
    seed: int
    error: str


@dataclass
class ExperimentResult:
    """What an experiment did.

    Attributes:
        n_runs: Runs in the experiment.
        ran: Runs executed in this invocation.
        resumed: Runs found finished on disk and skipped.
        failures: Runs that raised (over the whole experiment).
        stopped: True when ``fail_fast`` stopped the experiment early.
        wall_seconds: Wall time of this invocation.
        outputs: Files written at the top of the output folder.
        executor: How the runs were executed (``"serial"``, ``"process pool, 2 workers"``, …;
            set by :func:`abm.experiments.execution.execute`).
    """

    n_runs: int
    ran: int = 0
    resumed: int = 0
    failures: list[Failure] = field(default_factory=list)
    stopped: bool = False
    wall_seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    executor: str = ""


def prepare_output(experiment: Experiment, folder: str | Path, *, resume: bool) -> None:
    """Check, without writing, that ``folder`` can take this experiment (or resume it).

    Raises ParameterError if the folder holds another experiment, or this one and no ``resume``.
    """
    marker = Path(folder) / EXPERIMENT_FILE
    if not marker.exists():
        return
    if not resume:
        raise ParameterError(
            f"--out {folder} already holds an experiment; pass --resume to continue it, --force to "
            "replace it, or choose another folder"
        )
    try:
        stored = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ParameterError(f"--resume: cannot read {marker} ({error})") from None
    current = json.loads(json.dumps(experiment.fingerprint(), default=str))
    if stored != current:
        differing = sorted(key for key in current if stored.get(key) != current.get(key))
        raise ParameterError(
            f"--resume: {folder} holds a different experiment (differs in {', '.join(differing)}); "
            "use the same scenario and options, or another --out"
        )


def finished_chunks(
    folder: str | Path, *, report: Callable[[str], None] | None = None
) -> dict[int, dict[str, Any]]:
    """Chunks with a done-marker whose files are all there and readable, and what each lists.

    A chunk whose file is missing or cannot be read (damaged after it was written) counts as
    unfinished, so that ``--resume`` runs it again rather than failing when it assembles.

    Args:
        folder: The experiment's output folder.
        report: Where to say, in one line, that a finished chunk's file cannot be read.
    """
    chunks = Path(folder) / CHUNKS
    done: dict[int, dict[str, Any]] = {}
    for marker in sorted(chunks.glob("*.done")) if chunks.is_dir() else []:
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # cannot happen with atomic writes; treat as unfinished
        if not all((chunks / name).is_file() for name in record["files"]):
            continue
        problem = _unreadable(chunks, record)
        if problem:
            if report is not None:
                report(f"--resume: chunk {record['chunk']} runs again: {problem}")
            continue
        done[int(record["chunk"])] = record
    return done


def _unreadable(chunks: Path, record: dict[str, Any]) -> str:
    """Why a finished chunk's files cannot be assembled ("" if they can).

    Reads each file's parquet footer (and checks the runs table's row count against the
    marker), not its data: cheap, and it catches a file truncated or overwritten after the fact.
    """
    import pyarrow.parquet as pq

    for name in record["files"]:
        try:
            rows = pq.read_metadata(chunks / name).num_rows
        except Exception as error:  # any reader error (ArrowInvalid, OSError): not assemblable
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            return f"{CHUNKS}/{name} cannot be read ({reason})"
        if name.startswith("runs-") and rows != record["runs"]:
            return f"{CHUNKS}/{name} holds {rows} runs where its marker lists {record['runs']}"
    return ""


def _write_chunk(folder: Path, index: int, tables: dict[str, Any]) -> dict[str, Any]:
    chunks = folder / CHUNKS
    names = []
    for stem in TABLES:
        frame = tables.get(stem)
        if frame is None or not len(frame):
            continue
        name = f"{stem}-{index:06d}.parquet"
        atomic_write(chunks / name, lambda s, f=frame: f.to_parquet(s, index=False))
        names.append(name)
    runs = tables["runs"]
    failed = runs[runs["status"] == "failed"]
    record = {
        "chunk": index,
        "runs": len(runs),
        "files": names,
        "failures": [
            {"run_id": int(r.run_id), "seed": int(r.seed), "error": str(r.error)}
            for r in failed.itertuples()
        ],
    }
    write_json(chunks / f"{index:06d}.done", record)  # last: the chunk now counts as finished
    return record


def _terminal(stream: Any) -> bool:
    """Whether ``stream`` is an interactive terminal (progress bars are drawn only there)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def run_experiment(
    experiment: Experiment,
    folder: str | Path,
    executor: Executor,
    *,
    workers: int = 1,
    resume: bool = False,
    fail_fast: bool = False,
    progress: bool = True,
    csv: bool = False,
    simulate: Callable[..., dict[str, Any]] | None = None,
    report: Callable[[str], None] | None = None,
) -> ExperimentResult:
    """Run an experiment through ``executor``, streaming chunks to ``folder``.

    Args:
        experiment: The runs.
        folder: Output folder (``experiment.json``, ``chunks/``, then the assembled tables).
        executor: Any ``concurrent.futures.Executor`` (serial, process pool, Dask).
        workers: Used to size the window of tasks in flight (2 per worker).
        resume: Skip chunks already finished in ``folder``.
        fail_fast: Stop at the first failed run.
        progress: Show a tqdm progress bar on stderr (only when stderr is a terminal: a log
            file or pipe gets no carriage-return lines).
        csv: Also write the assembled tables as CSV.
        simulate: Replacement for :func:`abm.experiments.simulate.simulate` (tests).
        report: Where failure lines go (default: stderr through tqdm).

    Returns:
        The :class:`ExperimentResult`.
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    folder = Path(folder)
    prepare_output(experiment, folder, resume=resume)
    write_json(folder / EXPERIMENT_FILE, experiment.fingerprint())
    if resume:  # a killed run's half-written files (never mistaken for results) go first
        for place in (folder, folder / CHUNKS):
            remove_temporaries(place)
    notice = report or (lambda line: print(line, file=sys.stderr))
    done = finished_chunks(folder, report=notice) if resume else {}
    result = ExperimentResult(n_runs=experiment.n_runs)
    result.resumed = sum(record["runs"] for record in done.values())
    for record in done.values():
        result.failures.extend(Failure(**item) for item in record["failures"])
    bar = tqdm(
        total=experiment.n_runs,
        initial=result.resumed,
        unit="run",
        disable=not progress or not _terminal(sys.stderr),
        file=sys.stderr,
        dynamic_ncols=True,
    )
    say = report or (lambda line: bar.write(line, file=sys.stderr))
    todo: Iterator[int] = (k for k in range(experiment.n_chunks) if k not in done)
    window = max(2, 2 * workers)
    pending: dict[Future[Any], int] = {}

    def abort(index: int, error: BaseException) -> NoReturn:
        for other in pending:
            other.cancel()
        runs = experiment.chunk(index)
        raise ExperimentAbortedError(
            f"chunk {index} (runs {runs[0].run_id}-{runs[-1].run_id}) was lost: "
            f"{type(error).__name__}: {error}; finished chunks are kept, --resume continues"
        ) from error

    def submit_next() -> bool:
        index = next(todo, None)
        if index is None:
            return False
        task = ChunkTask(
            index, experiment.scenario, experiment.chunk(index), experiment.steps, simulate
        )
        try:
            pending[executor.submit(run_chunk, task)] = index
        except Exception as error:  # the executor broke: name the chunk in flight that broke it
            finished, _ = wait(pending, timeout=60)
            for future in sorted(finished, key=pending.__getitem__):
                if future.exception() is not None:
                    abort(pending[future], future.exception())
            abort(index, error)
        return True

    try:
        while len(pending) < window and submit_next():
            pass
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=pending.__getitem__):
                index = pending.pop(future)
                try:
                    tables = future.result()
                except Exception as error:  # not a run's error: those are caught in run_chunk
                    abort(index, error)
                record = _write_chunk(folder, index, tables)
                done[index] = record
                result.ran += record["runs"]
                bar.update(record["runs"])
                for item in record["failures"]:
                    failure = Failure(**item)
                    result.failures.append(failure)
                    say(f"run {failure.run_id} (seed {failure.seed}) failed: {failure.error}")
                if fail_fast and record["failures"]:
                    result.stopped = True
            if result.stopped:
                for future in pending:
                    future.cancel()
                pending.clear()
                break
            while len(pending) < window and submit_next():
                pass
    finally:
        bar.close()
    result.failures.sort(key=lambda failure: failure.run_id)
    if not result.stopped:
        result.outputs = assemble(folder, experiment, done, csv=csv)
    result.wall_seconds = time.perf_counter() - started
    return result


def _concat_parquet(files: list[Path], target: Path) -> None:
    """Concatenate parquet files in order, one at a time, under their unified schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.unify_schemas(
        [pq.read_schema(file) for file in files], promote_options="permissive"
    )

    def write(stream: Any) -> None:
        with pq.ParquetWriter(stream, schema) as writer:
            for file in files:
                table = pq.read_table(file)
                for name in schema.names:
                    if name not in table.column_names:
                        table = table.append_column(
                            name, pa.nulls(len(table), type=schema.field(name).type)
                        )
                writer.write_table(table.select(schema.names).cast(schema))

    atomic_write(target, write)


def _parquet_to_csv(source: Path, target: Path) -> None:
    import pyarrow.parquet as pq

    def write(stream: Any) -> None:
        parquet = pq.ParquetFile(source)
        for number, batch in enumerate(parquet.iter_batches(batch_size=65_536)):
            stream.write(batch.to_pandas().to_csv(index=False, header=number == 0).encode())

    atomic_write(target, write)


def assemble(
    folder: str | Path,
    experiment: Experiment,
    done: dict[int, dict[str, Any]],
    *,
    csv: bool = False,
) -> list[str]:
    """Concatenate the finished chunks, in run-id order, into the experiment's tables."""
    folder = Path(folder)
    missing = [k for k in range(experiment.n_chunks) if k not in done]
    if missing:
        raise RuntimeError(f"chunks {missing[:5]} are not finished")
    written = []
    for stem in TABLES:
        files = [
            folder / CHUNKS / name
            for k in range(experiment.n_chunks)
            for name in done[k]["files"]
            if name.startswith(f"{stem}-")
        ]
        if not files:
            continue
        _concat_parquet(files, folder / f"{stem}.parquet")
        written.append(f"{stem}.parquet")
        if csv:
            _parquet_to_csv(folder / f"{stem}.parquet", folder / f"{stem}.csv")
            written.append(f"{stem}.csv")
    return written


def read_runs(folder: str | Path) -> pd.DataFrame:
    """The assembled ``runs.parquet`` of an experiment folder."""
    import pandas as pd

    return pd.read_parquet(Path(folder) / "runs.parquet")
