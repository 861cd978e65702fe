"""Atomic output: a file is either absent or complete, never half-written."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once (process-wide, so cache it)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write through ``write(handle)`` into a temporary file, then rename it into place.

    The temporary file lives in the target folder, so the final ``os.replace`` is atomic. It is
    given the permissions an ordinary new file would have (0666 less the umask): ``mkstemp``
    creates it 0600, which would keep results from a group or a web server.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fchmod(stream.fileno(), 0o666 & ~_UMASK)
            os.fsync(stream.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write a UTF-8 text file."""
    return atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Atomically write ``payload`` as indented JSON."""
    return write_text(path, json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")


def write_table(
    frame: pd.DataFrame, folder: str | os.PathLike[str], stem: str, *, csv: bool = False
) -> list[Path]:
    """Atomically write ``frame`` as ``stem.parquet`` (and ``stem.csv`` when asked)."""
    folder = Path(folder)
    written = [atomic_write(folder / f"{stem}.parquet", lambda s: frame.to_parquet(s, index=False))]
    if csv:
        written.append(
            atomic_write(
                folder / f"{stem}.csv", lambda s: s.write(frame.to_csv(index=False).encode())
            )
        )
    return written
