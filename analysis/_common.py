"""What every study shares: its options, its output folder, replications and the manifest.

A study is a module of this package with ``NAME``, ``DESCRIPTION`` and ``main(argv) -> int``;
the registry :data:`analysis.STUDIES` maps each name to its module (``abm study NAME``
dispatches through it).
Every study takes ``--out DIR`` (default ``results/study-NAME``), ``--force`` (replace DIR whole,
as ``abm run --force``), ``--seed``, ``--quick`` (the small size the tests run), ``--quiet``,
``--workers`` and ``--svg`` (each figure as SVG too, besides the PNG), and writes a
``manifest.json``. Its folder is claimed as ``abm run`` claims its own
(:func:`abm.io.claim_folder`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def parser(name: str, description: str) -> argparse.ArgumentParser:
    """The options every study takes; a study may add its own before parsing."""
    from abm.options import (
        MAX_SEED,
        ArgumentParser,
        add_force_argument,
        add_svg_argument,
        folder,
        integer,
    )

    result = ArgumentParser(prog=f"abm study {name}", description=description)
    result.add_argument(
        "--out",
        type=folder,
        default=None,
        metavar="DIR",
        help=f"output folder (default results/study-{name})",
    )
    add_force_argument(result)
    result.add_argument(
        "--seed", type=integer(0, MAX_SEED), default=0, metavar="N", help="master seed"
    )
    result.add_argument("--quick", action="store_true", help="small size (seconds; for tests)")
    result.add_argument("--quiet", action="store_true", help="print nothing on success")
    result.add_argument(
        "--workers", type=integer(1, 256), default=1, metavar="W", help="worker processes"
    )
    add_svg_argument(result)
    return result


def _now_utc() -> str:
    from abm.manifest import now_utc

    return now_utc()


@dataclass
class Context:
    """A running study: its options, output folder, manifest and the files written so far."""

    name: str
    args: argparse.Namespace
    parameters: dict[str, Any] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    started_at: str = field(default_factory=_now_utc)

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats each figure is written in: PNG, and SVG too with ``--svg``."""
        from abm.figures import figure_formats

        return figure_formats(getattr(self.args, "svg", False))

    @property
    def out(self) -> Path:
        """The output folder (claimed by :func:`start`)."""
        return Path(self.args.out or f"results/study-{self.name}")

    def say(self, message: str) -> None:
        """Print ``message`` unless ``--quiet``."""
        if not self.args.quiet:
            print(message, flush=True)

    def table(self, frame: Any, stem: str) -> None:
        """Write a tidy table as parquet and CSV."""
        from abm.io import write_table

        self.written += write_table(frame, self.out, stem, csv=True)

    def figure(self, figure: Any, stem: str) -> None:
        """Save a figure as PNG (and SVG with ``--svg``)."""
        from abm.figures import save_figure

        self.written += save_figure(figure, self.out, stem, self.formats)

    def map(self, function: Callable[..., Any], *arguments: Sequence[Any]) -> list[Any]:
        """``function`` applied to each tuple of ``arguments`` (as ``map``), results in order.

        With ``--workers`` above 1 the calls run in the process pool. Each call must depend on
        its arguments alone (its own seed): the results are then the same whatever the workers.
        ``function`` must be a module-level function of the study.
        """
        from abm.experiments.executors import pool_map

        if function.__module__ == "__main__":  # python -m analysis.NAME: import it by name
            spec = sys.modules["__main__"].__spec__
            if spec is not None:
                function = getattr(importlib.import_module(spec.name), function.__name__)
        return pool_map(function, list(zip(*arguments, strict=True)), self.args.workers)

    def finish(self, findings: dict[str, Any] | None = None) -> int:
        """Write ``findings.json`` and ``manifest.json``; print a summary; return 0."""
        from abm.io import write_json
        from abm.manifest import Manifest
        from abm.scenarios import json_ready

        if findings is not None:
            self.written.append(write_json(self.out / "findings.json", json_ready(findings)))
        manifest = Manifest(
            f"study {self.name}",
            {
                **self.parameters,
                "quick": self.args.quick,
                "workers": self.args.workers,
            },
            seed=self.args.seed,
            started=self.started,  # the manifest's timings cover the whole study
            started_at=self.started_at,
        )
        manifest.outputs = sorted({path.name for path in self.written if path.parent == self.out})
        manifest.write(self.out)
        seconds = time.perf_counter() - self.started
        self.say(
            f"study {self.name}: wrote {len(manifest.outputs) + 1} files to {self.out} "
            f"in {seconds:.1f} s"
        )
        return 0


def start(
    name: str,
    description: str,
    argv: Sequence[str] | None,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> Context:
    """Parse the study's options, apply the figure style and return its :class:`Context`."""
    from abm.figures import apply_style

    started, started_at = time.perf_counter(), _now_utc()
    options = parser(name, description)
    if extra is not None:
        extra(options)
    args = options.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.workers > 1:  # the pool's workers import while the study sets up
        from abm.experiments.executors import start_workers_early

        start_workers_early()
    apply_style()
    context = Context(name, args, started=started, started_at=started_at)
    # claimed before the study's work, as abm run claims its folder: a folder holding another
    # command's outputs (or being written) is refused at once, not after minutes of work
    from abm.io import claim_output

    claim_output(context.out, f"study {name}", force=args.force)
    return context


def replications(
    context: Context,
    scenario: Any,
    folder: Path,
    *,
    points: tuple[dict[str, Any], ...] = ({},),
    replications: int,
    steps: int,
) -> Any:
    """Run ``replications`` runs per point of ``scenario`` with the Monte Carlo runner.

    The runs land in ``folder`` in ``abm mc``'s layout (``runs.parquet``,
    ``timeseries.parquet``, ``agents.parquet`` if the scenario asks); the master seed is the
    study's ``--seed``, so the study is reproducible whatever the number of workers.

    Returns:
        The time series of every run with its ``point`` and ``replication`` columns added.
    """
    import pandas as pd

    from abm.experiments.executors import make_executor
    from abm.experiments.runner import Experiment, run_experiment

    experiment = Experiment(
        scenario.replace(seed=int(context.args.seed)),
        points=points,
        replications=replications,
        steps=steps,
        chunk_size=max(1, min(25, replications * len(points) // max(1, context.args.workers))),
    )
    if (folder / "experiment.json").exists():  # a rerun of this study replaces its own runs
        import shutil

        shutil.rmtree(folder)
    kind = "process" if context.args.workers > 1 else "serial"
    with make_executor(kind, context.args.workers) as (executor, _):
        result = run_experiment(
            experiment, folder, executor, workers=context.args.workers, progress=False
        )
    if result.failures:
        first = result.failures[0]
        raise RuntimeError(f"{len(result.failures)} runs failed; run {first.run_id}: {first.error}")
    runs = pd.read_parquet(folder / "runs.parquet", columns=["run_id", "point", "replication"])
    return pd.read_parquet(folder / "timeseries.parquet").merge(runs, on="run_id")


def fan(axis: Any, frame: Any, column: str, colour: str, label: str) -> None:
    """Median and 50 % / 90 % bands across runs of ``column`` against ``step``."""
    grouped = frame.groupby("step")[column]
    quantiles = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    steps = quantiles.index.to_numpy()
    axis.fill_between(steps, quantiles[0.05], quantiles[0.95], color=colour, alpha=0.15, lw=0)
    axis.fill_between(steps, quantiles[0.25], quantiles[0.75], color=colour, alpha=0.35, lw=0)
    axis.plot(steps, quantiles[0.5], color=colour, lw=2.2, label=label)


def run_main(main: Callable[[Sequence[str] | None], int]) -> None:
    """``python -m analysis.NAME`` entry: one-line errors, exit 2 on bad parameters."""
    from abm.allocator import hold_freed_memory
    from abm.errors import ParameterError

    hold_freed_memory()  # as the abm command does (abm.allocator)
    try:
        raise SystemExit(main(None))
    except ParameterError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
