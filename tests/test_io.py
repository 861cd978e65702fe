"""Atomic writes: complete or absent, with the permissions an ordinary new file would get."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from abm.io import atomic_write, write_text


def test_written_file_is_complete_and_leaves_no_temporary(tmp_path):
    path = write_text(tmp_path / "out" / "a.txt", "hello")
    assert path.read_text() == "hello"
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]


def test_failed_write_leaves_nothing(tmp_path):
    def broken(stream):
        stream.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(tmp_path / "b.bin", broken)
    assert list(tmp_path.iterdir()) == []


def test_permissions_follow_the_umask(tmp_path):
    # a fresh interpreter, so that the module reads the umask set for it
    code = (
        "import sys, os; from abm.io import write_text; "
        "print(oct(os.stat(write_text(sys.argv[1], 'x')).st_mode & 0o777))"
    )
    for umask, expected in ((0o022, "0o644"), (0o002, "0o664"), (0o077, "0o600")):
        target = tmp_path / f"{umask:o}.txt"
        result = subprocess.run(
            [sys.executable, "-c", code, str(target)],
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=lambda umask=umask: os.umask(umask),
        )
        assert result.stdout.strip() == expected
        assert stat.S_ISREG(os.stat(target).st_mode)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "must name a folder"),
        ("/dev/null/x", "lies under /dev/null, a file"),
        ("a" * 300, "longer than"),
    ],
)
def test_bad_output_folders_are_refused_before_any_work(tmp_path, out, message):
    scenario = Path(__file__).resolve().parent.parent / "scenarios" / "penalty_too_low.toml"
    result = subprocess.run(
        [sys.executable, "-m", "abm", "run", str(scenario), "--steps", "2", "--out", out],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, not even results/


def test_a_folder_being_written_is_refused_to_another_process(tmp_path):
    from abm.errors import ParameterError
    from abm.io import claim_folder

    claim_folder(tmp_path / "out", "mc")  # this process holds the lock
    code = "import sys; from abm.io import claim_folder; claim_folder(sys.argv[1], 'mc')"
    other = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True
    )
    holder = f"being written by abm mc (pid {os.getpid()})"  # the refusal names the holder
    assert other.returncode != 0 and holder in other.stderr
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.json").write_text('{"command": "run"}')
    with pytest.raises(ParameterError, match="holds the outputs of abm run"):
        claim_folder(tmp_path / "run", "mc")
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "experiment.json").write_text("{}")
    with pytest.raises(ParameterError, match="holds the outputs of an experiment"):
        claim_folder(tmp_path / "study", "run")


def test_force_replaces_another_commands_folder_whole(tmp_path, capsys):
    from abm.cli import main

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n[experiment]\nreplications = 2\n')
    out = str(tmp_path / "out")
    assert main(["mc", str(scenario), "--out", out, "--quiet"]) == 0
    assert main(["run", str(scenario), "--out", out, "--quiet"]) == 2
    assert "--force to replace it" in capsys.readouterr().err
    assert main(["run", str(scenario), "--out", out, "--quiet", "--force"]) == 0
    assert not (tmp_path / "out" / "experiment.json").exists()  # nothing of the mc is left
    assert not (tmp_path / "out" / "chunks").exists()
    assert [p.name for p in tmp_path.iterdir() if "replaced" in p.name] == []
    assert main(["mc", str(scenario), "--out", out, "--quiet", "--force"]) == 0
    assert not (tmp_path / "out" / "network.graphml").exists()


def test_force_never_takes_a_folder_being_written(tmp_path):
    from abm.io import claim_folder

    held = tmp_path / "held"
    claim_folder(held, "mc")  # this process is writing it
    code = "import sys; from abm.io import replace_folder; replace_folder(sys.argv[1])"
    other = subprocess.run([sys.executable, "-c", code, str(held)], capture_output=True, text=True)
    assert other.returncode != 0 and "--force does not take a folder" in other.stderr
    assert held.is_dir()


def test_max_memory_option_sets_the_ceiling_for_one_command(tmp_path, capsys, monkeypatch):
    from abm.cli import main

    monkeypatch.delenv("ABM_MAX_MEMORY", raising=False)
    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 2\n')
    out = str(tmp_path / "out")
    assert main(["--max-memory", "1K", "run", str(scenario), "--out", out, "--quiet"]) == 2
    assert "more than the limit 1 KiB" in capsys.readouterr().err
    assert "ABM_MAX_MEMORY" not in os.environ  # the caller's environment is left alone
    assert main(["--max-memory", "1G", "run", str(scenario), "--out", out, "--quiet"]) == 0
    with pytest.raises(SystemExit):
        main(["--max-memory", "lots", "run", str(scenario)])


def test_a_large_experiment_says_its_size_before_it_starts(tmp_path, capsys, monkeypatch):
    import abm.cli._execution as execution
    from abm.cli import main

    monkeypatch.setattr(execution, "LARGE", 0)  # every experiment counts as large here
    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n[experiment]\nreplications = 2\n')
    assert main(["mc", str(scenario), "--out", str(tmp_path / "out")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    # the default market: 1 generalist and 1 specialist, 2 runs × 3 periods
    assert first.startswith("abm mc: 2 runs × 3 periods, 12 agent-periods")
    assert "peak memory per worker" in first


@pytest.mark.parametrize(
    "options",
    [
        ["--sample", "lhs", "10000000000", "--param", "regulator.theta=0:1"],
        ["--sample", "sobol", "1073741824", "--param", "regulator.theta=0:1"],
        [
            "--param", "regulator.theta=0:1:10000", "--param", "regulator.penalty=0:1:10000",
            "--param", "generalists.count=1:5:10000",
        ],
    ],
)  # fmt: skip
def test_a_design_too_large_is_refused_before_it_is_built(tmp_path, capsys, options):
    from abm.cli import main

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n')
    out = tmp_path / "out"
    assert main(["sweep", str(scenario), *options, "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "more than the 1,000,000 one experiment may hold" in error and error.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "sa --samples 2 --replications 10000000",
            "abm sa: error: --samples 2 (sobol sample) with --replications 10000000 is 80,000,000 "
            "runs (8 points × 10,000,000), more than the 10,000,000 one experiment may hold; use "
            "fewer points or replications\n",
        ),
        (
            "sweep --param regulator.penalty=0:1:3 --replications 5000000",
            "abm sweep: error: --param grid with --replications 5000000 is 15,000,000 runs (3 "
            "points × 5,000,000), more than the 10,000,000 one experiment may hold; use fewer "
            "points or replications\n",
        ),
        (
            "sweep --sample lhs 2 --replications 10000000",
            "abm sweep: error: --sample N 2 (lhs sample) with --replications 10000000 is "
            "20,000,000 runs (2 points × 10,000,000), more than the 10,000,000 one experiment may "
            "hold; use fewer points or replications\n",
        ),
    ],
)
def test_too_many_runs_are_refused_before_the_design_is_built(
    tmp_path, capsys, monkeypatch, options, message
):
    """points × replications is capped as mc's --replications is, before any point exists."""
    import abm.experiments.sampling as sampling
    from abm.cli import main

    def never(*args, **kwargs):
        raise AssertionError("the design was built")

    monkeypatch.setattr(sampling, "sample_matrix", never)
    monkeypatch.setattr(sampling, "grid_points", never)
    scenario = tmp_path / "t.toml"
    scenario.write_text(
        'name = "t"\n[horizon]\nsteps = 3\n[experiment.parameters]\n'
        '"regulator.theta" = [0.0, 1.0]\n"regulator.penalty" = [0.0, 0.5]\n'
    )
    out = tmp_path / "out"
    command, *rest = options.split()
    assert main([command, str(scenario), *rest, "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == message
    assert not out.exists()


def test_a_rerun_replaces_its_own_outputs_and_keeps_them_until_it_succeeds(
    tmp_path, capsys, monkeypatch
):
    from abm.cli import main

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--format", "csv", "--quiet"]) == 0
    first = {p.name for p in out.iterdir()}
    assert {"timeseries.csv", "openness.png"} <= first
    # a rerun that fails before its manifest loses none of the earlier run's files
    import abm.figures.runs

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(abm.figures.runs, "run_figures", broken)
    with pytest.raises(OSError, match="disk full"):
        main(["run", str(scenario), "--out", str(out), "--quiet"])
    assert first <= {p.name for p in out.iterdir()}
    monkeypatch.undo()
    # the rerun that succeeds removes what the earlier run wrote and it did not rewrite
    assert main(["run", str(scenario), "--out", str(out), "--no-figures", "--quiet"]) == 0
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert names == {"manifest.json", "timeseries.parquet", "network.graphml"}
    listed = json.loads((out / "manifest.json").read_text())["outputs"]
    assert sorted(listed) == ["network.graphml", "timeseries.parquet"]


def test_a_run_stopped_before_its_manifest_is_named_in_the_refusal(tmp_path, capsys):
    # killed after its tables, before its manifest: its lock line (the flock died with it)
    # still names the command, so the refusal says what the folder holds
    from abm.cli import main

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n')
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").write_text("abm run (pid 4242)")
    (out / "timeseries.parquet").write_bytes(b"PAR1")
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "holds the files of an interrupted abm run (timeseries.parquet; no manifest)" in error
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--force"]) == 0


def test_a_folder_of_files_abm_did_not_write_needs_force(tmp_path, capsys):
    from abm.cli import main

    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 3\n')
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["run", str(scenario), "--out", str(mine), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "holds files abm did not write (notes.txt); choose another folder, or --force" in error
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]  # nothing written, not even .lock
    assert main(["mc", str(scenario), "--out", str(mine), "--replications", "2"]) == 2
    assert "holds files abm did not write" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert main(["run", str(scenario), "--out", str(mine), "--quiet", "--force"]) == 0
    assert not (mine / "notes.txt").exists() and (mine / "manifest.json").is_file()


@pytest.mark.parametrize("out", [".", "..", "./", "sub/.."])
@pytest.mark.parametrize("command", [["run"], ["mc", "--replications", "2"]])
def test_force_refuses_the_current_folder_and_those_above_it(tmp_path, out, command):
    scenario = tmp_path / "t.toml"
    scenario.write_text('name = "t"\n[horizon]\nsteps = 2\n')
    here = tmp_path / "here"
    (here / "sub").mkdir(parents=True)
    (here / "keep.txt").write_text("keep")
    name, *options = command
    argv = [sys.executable, "-m", "abm", name, str(scenario), *options, "--out", out, "--force"]
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=here,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--force cannot replace the current folder or one above it" in result.stderr
    assert (here / "keep.txt").read_text() == "keep" and scenario.is_file()
    assert sorted(p.name for p in here.iterdir()) == ["keep.txt", "sub"]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("landscape", ["landscape", "--thetas", "3", "--penalties", "3"]),
        ("race", ["race"]),
        ("open-source", ["open-source"]),
        pytest.param(
            "study evidence", ["study", "evidence", "--quick"], marks=pytest.mark.slow
        ),  # (a study's quick run: 5 s, kept out of the fast subset)
    ],
)
def test_every_command_with_out_claims_its_folder_as_run_does(tmp_path, capsys, command, options):
    from abm.cli import main
    from abm.io import claim_folder

    other = tmp_path / "other"  # another command's outputs: refused, then replaced with --force
    other.mkdir()
    (other / "manifest.json").write_text('{"command": "mc", "outputs": ["runs.parquet"]}')
    (other / "runs.parquet").write_text("mc")
    assert main([*options, "--quiet", "--out", str(other)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "holds the outputs of abm mc; choose another folder, or --force" in error
    assert sorted(p.name for p in other.iterdir()) == ["manifest.json", "runs.parquet"]
    assert main([*options, "--quiet", "--out", str(other), "--force"]) == 0
    assert json.loads((other / "manifest.json").read_text())["command"] == command
    assert not (other / "runs.parquet").exists()
    assert main([*options, "--quiet", "--out", str(other)]) == 0  # a rerun into its own folder
    held = tmp_path / "held"
    claim_folder(held, command)  # this process writes it; another process is refused
    result = subprocess.run(
        [sys.executable, "-m", "abm", *options, "--out", str(held)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and f"is being written by abm {command}" in result.stderr
    assert [p.name for p in held.iterdir()] == [".lock"]
