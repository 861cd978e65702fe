"""The manifest records the source's commit and whether the tree was dirty, and the versions of
every library that shapes results."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from abm import manifest
from abm.manifest import Manifest


def test_manifest_names_commit_dirty_flag_and_versions(tmp_path):
    written = json.loads(Manifest("run", {"a": 1}, seed=3).write(tmp_path).read_text())
    for name in ("numpy", "pandas", "pyarrow", "pydantic", "mesa", "SALib", "dask"):
        assert name in written["versions"]
    assert written["seed"] == 3
    assert "git_commit" in written and "git_dirty" in written


def test_manifest_timings_run_from_the_jobs_start(tmp_path):
    import time

    made_late = Manifest("study x", {}, started=time.perf_counter() - 5.0, started_at="then")
    timings = json.loads(made_late.write(tmp_path).read_text())["timings"]
    assert timings["wall_seconds"] >= 5.0 and timings["started_at"] == "then"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_dirty_follows_the_working_tree(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f.txt").write_text("one")
    git("add", "f.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    package = tmp_path / "pkg"
    package.mkdir()
    monkeypatch.setattr(manifest, "__file__", str(package / "manifest.py"))
    assert manifest.git_dirty() is False
    assert manifest.git_commit() is not None
    (tmp_path / "f.txt").write_text("two")
    assert manifest.git_dirty() is True
