"""The manifest every output folder carries: what was run, with what, when and how long."""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from abm import __version__
from abm.io import stale_outputs, write_json

#: Every library whose version can shape a result, a table or a figure.
_TRACKED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "networkx",
    "mesa",
    "pydantic",
    "SALib",
    "statsmodels",
    "dask",
    "distributed",
    "matplotlib",
    "seaborn",
)


def package_versions() -> dict[str, str | None]:
    """Versions of Python and of the libraries results depend on."""
    versions: dict[str, str | None] = {"python": platform.python_version(), "abm": __version__}
    for name in _TRACKED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _git(*args: str) -> str | None:
    """Output of ``git args`` in this package's source tree, or None outside a checkout."""
    source = Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            ["git", *args], cwd=source, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def git_commit() -> str | None:
    """The commit of the source tree this package was imported from, if it is a git checkout."""
    output = _git("rev-parse", "HEAD")
    return output.strip() or None if output is not None else None


def git_dirty() -> bool | None:
    """Whether tracked files differ from that commit (None outside a git checkout)."""
    output = _git("status", "--porcelain", "--untracked-files=no")
    return None if output is None else bool(output.strip())


def now_utc() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """Collects what a job did; ``write`` stores it as ``manifest.json``.

    Make it when the job starts (its timings run from then to the write), or pass the start.

    Attributes:
        command: The job's name, e.g. ``"landscape"``.
        parameters: The fully resolved inputs.
        seed: The master seed, when the job is random.
        outputs: The files written besides the manifest.
        started: ``time.perf_counter()`` when the job started (default: when this was made).
        started_at: The same moment as an ISO 8601 UTC time.
    """

    command: str
    parameters: dict[str, Any]
    seed: int | None = None
    outputs: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter, repr=False)
    started_at: str = field(default_factory=now_utc, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The manifest as plain JSON-ready data."""
        return {
            "command": self.command,
            "argv": sys.argv,
            "parameters": self.parameters,
            "seed": self.seed,
            "outputs": sorted(self.outputs),
            "versions": package_versions(),
            "git_commit": git_commit(),
            "git_dirty": git_dirty(),
            "platform": {
                "system": platform.platform(),
                "machine": platform.machine(),
                "processor": platform.processor(),
            },
            "timings": {
                "started_at": self.started_at,
                "finished_at": now_utc(),
                "wall_seconds": round(time.perf_counter() - self.started, 4),
            },
        }

    def write(self, folder: str | Path) -> Path:
        """Atomically write ``manifest.json`` into ``folder``; then remove stale outputs.

        A rerun of the same command into its own folder replaces the earlier run's outputs: the
        files the earlier manifest lists and this one does not (a CSV of an earlier ``--format
        csv``, figures before ``--no-figures``) are removed, but only once this manifest is in
        place, so a run that fails before it leaves the earlier run's files where they were.
        """
        stale = stale_outputs(folder, self.command, self.outputs)
        path = write_json(Path(folder) / "manifest.json", self.as_dict())
        for old in stale:
            old.unlink(missing_ok=True)
        return path
