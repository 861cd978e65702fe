"""Atomic output: a file is either absent or complete, never half-written."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
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


#: A temporary file of :func:`atomic_write` (``mkstemp``: ".<target name>.<8 random chars>").
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}$")


def remove_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files a killed writer left in ``folder`` (not recursive).

    Only call this on a folder this process has claimed (:func:`claim_folder`): another
    writer's temporaries would otherwise vanish under it.

    Returns:
        The files removed.
    """
    removed = []
    target = Path(folder)
    for path in target.iterdir() if target.is_dir() else ():
        if path.is_file() and _TEMPORARY.match(path.name):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


#: Lock files held by this process, by folder (released when it exits).
_LOCKS: dict[Path, IO[str]] = {}


def _holder(lock: IO[str]) -> str:
    """Who holds a folder's lock, as its holder wrote it (command and pid)."""
    lock.seek(0)
    return lock.read().strip() or "another abm process"


def _last_writer(folder: Path) -> str:
    """The command named in ``folder/.lock`` by the last process that wrote there ("" if none).

    The line outlives its process (the ``flock`` does not), so it tells whose files a folder
    without a manifest holds.
    """
    try:
        line = (folder / ".lock").read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return line.split(" (pid", 1)[0] if line.startswith("abm ") else ""


def _refuse_current_folder(target: Path) -> None:
    """Refuse to replace ``.``, ``..`` or a folder above the working directory (``--force``)."""
    from abm.errors import ParameterError

    here = Path.cwd().resolve()
    if target.resolve() == here or target.resolve() in here.parents:
        raise ParameterError(
            f"--out {target}: --force cannot replace the current folder or one above it; "
            "give a new folder"
        )


def replace_folder(folder: str | os.PathLike[str]) -> None:
    """Remove an output folder whole before a command replaces it (``--force``).

    The folder is first renamed aside (one atomic step, so its path never holds a mix of old
    and new files), then deleted. A folder another process is writing is refused in one line,
    and so are the current folder and those above it (they cannot be renamed aside, and the
    user cannot have meant to delete their working directory).
    """
    from abm.errors import ParameterError

    target = Path(folder)
    if not target.exists():
        return
    if not target.is_dir():
        raise ParameterError(f"--out {target} is a file, not a folder")
    _refuse_current_folder(target)
    # a folder this process claimed for an earlier command (a library caller running one
    # command after another) is released: that command is over when a new one starts
    held = _LOCKS.pop(target.resolve(), None)
    if held is not None:
        held.close()
    lock = target / ".lock"
    if lock.exists():
        with open(lock, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(handle)
                raise ParameterError(
                    f"--out {target} is being written by {holder}; --force does not take a "
                    "folder from a running process"
                ) from None
    aside = target.with_name(f".{target.name}.replaced-{os.getpid()}")
    os.rename(target, aside)
    shutil.rmtree(aside, ignore_errors=True)


#: The file naming the command whose outputs a folder holds (see :mod:`abm.manifest`).
MANIFEST = "manifest.json"
#: The marker of an experiment's folder (``abm mc``, ``sweep``, ``sa``; see the runner).
EXPERIMENT = "experiment.json"


def _manifest_of(target: Path) -> dict[str, Any] | None:
    """The manifest in ``target`` as a dict, or None if there is none or it cannot be read."""
    try:
        payload = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def check_folder(folder: str | os.PathLike[str], command: str, *, force: bool = True) -> None:
    """Refuse, without writing anything, a folder ``command`` may not write into.

    A folder may take ``command``'s outputs if it is absent or empty, if it holds an earlier
    run of the same command (its ``manifest.json`` names ``command``), or, for an experiment,
    its own ``experiment.json`` (the runner's resume rules apply). Refused: a folder holding
    another command's outputs, and one holding files no ``abm`` command wrote there (no
    manifest: a user's folder, or a run killed before its manifest), since writing into it
    would mix the two. Hidden entries (the lock, temporaries) do not count.

    Args:
        folder: The output folder.
        command: The command that would write it (``"run"``, ``"mc"``, ``"study NAME"``).
        force: Whether the command has ``--force`` (the refusal then offers it).

    Raises:
        ParameterError: The folder is refused (one line).
    """
    from abm.errors import ParameterError

    target = Path(folder)
    if not target.is_dir():
        return
    if force:
        way_out = "choose another folder, or --force to replace it"
    else:  # (discover, calibrate: no --force to offer)
        way_out = "choose another folder, or remove it first"
    manifest = _manifest_of(target)
    other = manifest.get("command") if manifest is not None else None
    if other is None and (target / EXPERIMENT).exists():
        if command not in ("mc", "sweep", "sa"):
            other = "an experiment"
    elif other is None:
        foreign = sorted(entry.name for entry in target.iterdir() if not entry.name.startswith("."))
        if foreign and manifest is None:
            listed = f"{foreign[0]}{', …' if len(foreign) > 1 else ''}"
            writer = _last_writer(target)
            if writer:  # its lock names it: a run stopped before its manifest (Ctrl-C, a crash)
                raise ParameterError(
                    f"--out {target} holds the files of an interrupted {writer} ({listed}; no "
                    f"manifest); {way_out}"
                )
            raise ParameterError(
                f"--out {target} holds files abm did not write ({listed}); {way_out}"
            )
    if other is not None and other != command:
        shown = other if other == "an experiment" else f"abm {other}"
        raise ParameterError(f"--out {target} holds the outputs of {shown}; {way_out}")


def claim_folder(folder: str | os.PathLike[str], command: str, *, force: bool = True) -> Path:
    """Make ``folder`` this process's output folder for ``command``, or refuse in one line.

    Refuses what :func:`check_folder` refuses (another command's outputs, files abm did not
    write), and a folder that another process is writing now (an exclusive ``flock`` on
    ``folder/.lock``, held until this process exits). Files an earlier run of the same command
    wrote stay until the new manifest is written (:meth:`abm.manifest.Manifest.write` then
    removes those it no longer lists), so a run that fails midway loses none of them.

    Args:
        folder: The output folder (created if absent).
        command: The command that writes it.
        force: Whether the command has ``--force`` (a refusal then offers it).
    """
    from abm.errors import ParameterError

    target = Path(folder)
    check_folder(target, command, force=force)
    target.mkdir(parents=True, exist_ok=True)
    if target.resolve() in _LOCKS:  # this process already writes here (a library caller)
        return target
    handle = open(target / ".lock", "a+", encoding="utf-8")  # noqa: SIM115 (held open)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(handle)
        handle.close()
        raise ParameterError(
            f"--out {target} is being written by {holder}; wait for it or choose another folder"
        ) from None
    # who holds it, for the next process's refusal; a lock dies with its process (flock), so
    # a crashed holder leaves no stale lock, only this stale line, which the next holder replaces
    handle.seek(0)
    handle.truncate()
    handle.write(f"abm {command} (pid {os.getpid()})")
    handle.flush()
    _LOCKS[target.resolve()] = handle
    return target


def claim_output(folder: str | os.PathLike[str], command: str, *, force: bool) -> Path:
    """What ``--out DIR [--force]`` does before a command writes: replace (``--force``), claim.

    See :func:`replace_folder` and :func:`claim_folder`; either refuses in one line.
    """
    if force:
        replace_folder(folder)
    return claim_folder(folder, command)


def stale_outputs(folder: str | os.PathLike[str], command: str, outputs: list[str]) -> list[Path]:
    """The files an earlier run of ``command`` wrote into ``folder`` that ``outputs`` leaves out.

    Read from the folder's ``manifest.json`` (its ``outputs``) before the new one replaces it;
    only plain names of files in the folder itself count, never the manifest.
    """
    manifest = _manifest_of(Path(folder))
    if manifest is None or manifest.get("command") != command:
        return []
    listed = manifest.get("outputs")
    keep = set(outputs) | {MANIFEST}
    return [
        Path(folder) / name
        for name in (listed if isinstance(listed, list) else [])
        if isinstance(name, str)
        and name not in keep
        and Path(name).name == name
        and not name.startswith(".")
        and (Path(folder) / name).is_file()
    ]
