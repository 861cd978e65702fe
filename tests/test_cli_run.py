"""The study commands end to end: run, mc (executors, SIGKILL + resume, Dask), sweep, sa."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from abm.cli import main
from abm.experiments.seeds import run_seed

TINY = """
name = "tiny"
seed = 5
[horizon]
steps = 6
[market.generalists]
count = 3
alpha0 = { kind = "uniform", low = 0.1, high = 2.0 }
[market.specialists]
count = 4
matching = "learned"
[output]
agents = true
summary_window = 2
[experiment]
replications = 6
chunk_size = 2
samples = 4
[experiment.sweep]
"regulator.penalty" = [0.0, 0.2]
[experiment.parameters]
"regulator.theta" = [0.0, 1.0]
"regulator.penalty" = [0.0, 0.5]
"""

# Heavier, so that a study is still running when it is killed.
SLOW = """
name = "slow"
seed = 9
[horizon]
steps = 150
[market.generalists]
count = 20
alpha0 = { kind = "uniform", low = 0.05, high = 3.0 }
[market.specialists]
count = 60
matching = "learned"
[output]
figures = false
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


def tables(folder, stem):
    return pd.read_parquet(Path(folder) / f"{stem}.parquet")


def test_run_writes_tables_network_figures_and_manifest(tiny, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(tiny), "--out", str(out), "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "scenario tiny: 6 periods" in printed
    for name in ("timeseries.parquet", "timeseries.csv", "agents.parquet", "network.graphml"):
        assert (out / name).is_file(), name
    assert (out / "openness.png").is_file() and (out / "payoffs.png").is_file()
    assert not list(out.glob("*.svg"))  # SVG on request only (--svg)
    series = tables(out, "timeseries")
    assert list(series["step"]) == list(range(7))
    graph = nx.read_graphml(out / "network.graphml")
    assert sum(1 for _, kind in graph.nodes(data="kind") if kind == "generalist") == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5
    assert manifest["parameters"]["run_seed"] == run_seed(5, 0)
    assert manifest["parameters"]["scenario"]["market"]["generalists"]["count"] == 3
    assert "timeseries.parquet" in manifest["outputs"]
    assert manifest["timings"]["wall_seconds"] > 0
    assert "numpy" in manifest["versions"]


def test_svg_on_request_and_listed_in_the_manifest(tiny, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(tiny), "--out", str(out), "--svg", "--quiet"]) == 0
    outputs = json.loads((out / "manifest.json").read_text())["outputs"]
    for stem in ("openness", "payoffs"):
        assert (out / f"{stem}.svg").is_file() and f"{stem}.svg" in outputs
        assert f"{stem}.png" in outputs


#: The commands that write figure files (abm report embeds its PNGs in the HTML).
DRAWING = ("run", "mc", "sweep", "sa", "race", "open-source", "landscape", "discover", "calibrate")


def test_every_command_that_draws_takes_svg() -> None:
    from abm.cli import build_parser
    from analysis._common import parser as study_parser

    commands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ).choices
    for name in DRAWING:
        assert "--svg" in commands[name]._option_string_actions, name
    assert "--svg" in study_parser("x", "")._option_string_actions


def test_run_seed_and_steps_options_and_equality_with_mc_run_0(tiny, tmp_path, capsys):
    assert (
        main(["run", str(tiny), "--out", str(tmp_path / "a"), "--seed", "8", "--steps", "3"]) == 0
    )
    one = tables(tmp_path / "a", "timeseries")
    assert one["step"].max() == 3
    args = ["mc", str(tiny), "--out", str(tmp_path / "m"), "--seed", "8", "--steps", "3"]
    assert main([*args, "--replications", "2", "--quiet"]) == 0
    capsys.readouterr()
    series = tables(tmp_path / "m", "timeseries")
    first = series[series["run_id"] == 0].drop(columns="run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, one)


def test_mc_is_identical_across_executors_and_worker_counts(tiny, tmp_path, capsys):
    base = ["mc", str(tiny), "--replications", "6", "--no-figures"]
    assert main([*base, "--out", str(tmp_path / "serial")]) == 0
    assert (
        main([*base, "--out", str(tmp_path / "pool"), "--workers", "2", "--chunk-size", "1"]) == 0
    )
    printed = capsys.readouterr().out
    assert "mc tiny (seed 5): 6 runs (6 now, 0 resumed), 0 failed" in printed
    for stem in ("runs", "timeseries", "agents"):
        assert tables(tmp_path / "serial", stem).equals(tables(tmp_path / "pool", stem)), stem
    manifest = json.loads((tmp_path / "pool" / "manifest.json").read_text())
    assert manifest["parameters"]["execution"]["executor"] == "process pool, 2 workers"
    assert manifest["seed"] == 5


def test_mc_refuses_an_existing_study_without_resume(tiny, tmp_path, capsys):
    out = str(tmp_path / "m")
    assert main(["mc", str(tiny), "--out", out, "--replications", "2", "--quiet"]) == 0
    assert capsys.readouterr().out == ""  # --quiet: nothing on standard output
    assert main(["mc", str(tiny), "--out", out, "--replications", "2", "--quiet"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["mc", str(tiny), "--out", out, "--replications", "3", "--resume"]) == 2
    assert "different experiment" in capsys.readouterr().err
    assert main(["mc", str(tiny), "--out", out, "--replications", "2", "--resume"]) == 0
    assert "(0 now, 2 resumed)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--executor", "serial", "--workers", "2"], "--workers must be 1 with --executor serial"),
        (["--executor", "process", "--scheduler", "tcp://x:1"], "--scheduler needs"),
        (["--replications", "0"], "--replications: must be an integer in [1, 10000000], got 0"),
    ],
)
def test_mc_bad_options_exit_2_and_write_nothing(tiny, tmp_path, capsys, options, message):
    out = tmp_path / "nothing"
    parsing = "--replications" in options  # argparse errors exit 2 through SystemExit
    with pytest.raises(SystemExit) if parsing else contextlib.nullcontext() as exited:
        assert main(["mc", str(tiny), "--out", str(out), *options]) == 2
    assert not parsing or exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("command", ["mc", "sweep", "sa"])
def test_a_bad_scheduler_neither_writes_nor_deletes_a_folder(tiny, tmp_path, capsys, command):
    out = tmp_path / "new"
    bad = ["--scheduler", "notanaddress", "--replications", "2"]
    assert main([command, str(tiny), "--out", str(out), *bad]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--scheduler notanaddress: cannot connect" in error
    assert not out.exists()  # not even the folder or its .lock
    done = tmp_path / "done"
    assert main([command, str(tiny), "--out", str(done), "--replications", "2", "--quiet"]) == 0
    before = sorted(p.name for p in done.iterdir())
    assert main([command, str(tiny), "--out", str(done), *bad, "--force"]) == 2
    assert "cannot connect" in capsys.readouterr().err
    assert sorted(p.name for p in done.iterdir()) == before  # --force deleted nothing


def test_failing_runs_are_counted_and_the_exit_code_is_1(tiny, tmp_path, capsys, monkeypatch):
    import abm.experiments.simulate as simulate_module

    real = simulate_module.simulate
    bad_seed = run_seed(5, 2)

    def flaky(market, seed, steps, **kwargs):
        if seed == bad_seed:
            raise ValueError("market exploded")
        return real(market, seed, steps, **kwargs)

    def flaky_stacked(markets, seeds, steps, **kwargs):  # a batch fails with any of its runs
        return [flaky(m, seed, steps, **kwargs) for m, seed in zip(markets, seeds, strict=True)]

    monkeypatch.setattr(simulate_module, "simulate", flaky)
    monkeypatch.setattr(simulate_module, "simulate_replications", flaky_stacked)
    out = tmp_path / "m"
    assert main(["mc", str(tiny), "--out", str(out), "--no-figures"]) == 1
    captured = capsys.readouterr()
    assert "6 runs (6 now, 0 resumed), 1 failed" in captured.out
    assert f"run 2 (seed {bad_seed}): ValueError: market exploded" in captured.err
    runs = tables(out, "runs")
    assert runs["status"].tolist().count("failed") == 1


def _wait_for_markers(folder: Path, count: int, process: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        markers = len(list((folder / "chunks").glob("*.done"))) if folder.exists() else 0
        if markers >= count or process.poll() is not None:
            return markers
        time.sleep(0.01)
    return -1


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_study(tmp_path, capsys):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW, encoding="utf-8")
    n = 40
    killed = tmp_path / "killed"
    args = ["mc", str(scenario), "--replications", str(n), "--chunk-size", "1", "--quiet"]
    process = subprocess.Popen(
        [sys.executable, "-m", "abm", *args, "--out", str(killed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        markers = _wait_for_markers(killed, 5, process, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert 5 <= markers < n, "the study must be killed halfway"
    assert not (killed / "runs.parquet").exists()
    # a chunk killed mid-write leaves at most a hidden temporary file or an unmarked chunk
    (killed / "chunks" / f"runs-{n - 1:06d}.parquet").write_bytes(b"not parquet")
    # a killed writer's lock dies with it; without --quiet the summary is printed
    assert main([*args[:-1], "--out", str(killed), "--resume"]) == 0
    summary = capsys.readouterr().out
    assert f"{n} runs (" in summary and "resumed), 0 failed" in summary
    whole = tmp_path / "whole"
    assert main([*args, "--out", str(whole)]) == 0
    for stem in ("runs", "timeseries"):
        assert tables(killed, stem).equals(tables(whole, stem)), stem


# `dask scheduler` / `dask worker`, run with this interpreter (the console script may be off PATH)
DASK = [sys.executable, "-m", "dask"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_dask_scheduler_and_two_workers_on_loopback_match_serial(tiny, tmp_path, capsys):
    pytest.importorskip("distributed")
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [
        subprocess.Popen(
            [
                *DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                ":0",
                "--no-show",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        *DASK,
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--local-directory",
                        str(tmp_path / "dask"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        base = ["mc", str(tiny), "--replications", "6", "--quiet", "--no-figures"]
        assert main([*base, "--out", str(tmp_path / "dask-run"), "--scheduler", address]) == 0
        assert main([*base, "--out", str(tmp_path / "serial")]) == 0
    finally:
        for process in reversed(processes):
            _stop(process)
    capsys.readouterr()
    for stem in ("runs", "timeseries", "agents"):
        assert tables(tmp_path / "dask-run", stem).equals(tables(tmp_path / "serial", stem))
    manifest = json.loads((tmp_path / "dask-run" / "manifest.json").read_text())
    executor = manifest["parameters"]["execution"]["executor"]
    assert executor.startswith(f"dask scheduler {address}, 2 workers (distributed ")


@pytest.mark.slow
def test_dask_local_cluster_matches_serial(tiny, tmp_path, capsys):
    pytest.importorskip("distributed")
    base = ["mc", str(tiny), "--replications", "4", "--quiet", "--no-figures"]
    assert main([*base, "--out", str(tmp_path / "d"), "--executor", "dask", "--workers", "2"]) == 0
    assert main([*base, "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    assert tables(tmp_path / "d", "timeseries").equals(tables(tmp_path / "s", "timeseries"))


def test_sweep_grid_from_the_command_line(tiny, tmp_path, capsys):
    out = tmp_path / "sweep"
    args = [
        "sweep",
        str(tiny),
        "--param",
        "regulator.theta=0:1:3",
        "--param",
        "generalists.count=2:3:2",
        "--replications",
        "2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert "welfare by point" in capsys.readouterr().out
    runs = tables(out, "runs")
    assert len(runs) == 3 * 2 * 2
    assert sorted(runs["regulator.theta"].unique()) == [0.0, 0.5, 1.0]
    assert runs["generalists.count"].dtype.kind == "i"
    assert (out / "sweep.png").is_file()
    # the regulator applied the swept θ in every run
    series = tables(out, "timeseries").merge(runs[["run_id", "regulator.theta"]], on="run_id")
    later = series[series["step"] > 0]
    assert (later["theta"] == later["regulator.theta"]).all()


def test_sweep_defaults_to_the_scenario_grid_and_lhs_sample(tiny, tmp_path, capsys):
    assert main(["sweep", str(tiny), "--quiet", "--out", str(tmp_path / "g")]) == 0
    assert sorted(tables(tmp_path / "g", "runs")["regulator.penalty"].unique()) == [0.0, 0.2]
    args = ["sweep", str(tiny), "--sample", "lhs", "5", "--replications", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "l")]) == 0
    runs = tables(tmp_path / "l", "runs")
    assert len(runs) == 5
    assert runs["regulator.theta"].between(0, 1).all()
    capsys.readouterr()
    assert main(["sweep", str(tiny), "--param", "regulator.thetta=0:1:3"]) == 2
    assert "did you mean 'theta'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options",
    [
        "sweep --param regulator.penalty=0:1:3 --param regulator.penalty=0:1:2",
        "sweep --sample lhs 4 --param regulator.theta=0:1 --param regulator.theta=0:0.5",
        "sa --param regulator.theta=0:1 --param regulator.theta=0:0.5",
    ],
    ids=["sweep-grid", "sweep-sample", "sa"],
)
def test_a_repeated_param_is_refused_not_dropped(tiny, tmp_path, capsys, options):
    out = tmp_path / "nothing"
    command, *rest = options.split()
    assert main([command, str(tiny), *rest, "--replications", "1", "--out", str(out)]) == 2
    name = rest[-1].partition("=")[0]
    assert capsys.readouterr().err == (
        f"abm {command}: error: --param {name} is given more than once; give each parameter once\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("sa --samples 3", "--samples must be a power of two for Sobol', got 3"),
        ("sa --samples 1000000", "--samples 1000000 (sobol sample) has 4,000,000 points, more"),
        ("sa --outcome welfair", "--outcome must be an observable, got 'welfair' (did you mean"),
        ("sweep --sample sobol 3", "--sample N must be a power of two for Sobol', got 3"),
    ],
)
def test_sa_and_sweep_errors_name_the_option_typed(tiny, tmp_path, capsys, options, message):
    out = tmp_path / "nothing"
    command, *rest = options.split()
    assert main([command, str(tiny), *rest, "--replications", "1", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"abm {command}: error: {message}")
    assert error.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sa_writes_indices_with_confidence_intervals(tiny, tmp_path, capsys, method):
    out = tmp_path / method
    args = ["sa", str(tiny), "--method", method, "--replications", "1", "--out"]
    assert main([*args, str(out), "--outcome", "open_share"]) == 0
    printed = capsys.readouterr().out
    assert f"{method} sensitivity of open_share" in printed
    table = tables(out, "sensitivity")
    assert list(table["parameter"]) == ["regulator.theta", "regulator.penalty"]
    conf = "ST_conf" if method == "sobol" else "mu_star_conf"
    assert table[conf].notna().all()
    assert (out / f"sensitivity_{method}.png").is_file()
    runs = tables(out, "runs")
    d = 2
    assert len(runs) == (4 * (d + 2) if method == "sobol" else 4 * (d + 1))


def test_help_shows_defaults_only_where_they_exist(capsys) -> None:
    from abm.cli import COMMANDS

    for command in COMMANDS:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "(default: None)" not in text and "(default: False)" not in text, command
    with pytest.raises(SystemExit):
        main(["landscape", "--help"])
    assert "(default: 201)" in capsys.readouterr().out


def test_old_option_names_still_work_and_say_so(tmp_path, capsys) -> None:
    assert main(["race", "--plot", str(tmp_path / "race"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--plot is deprecated; use --out DIR" in captured.err
    assert (tmp_path / "race" / "race_catchup.parquet").exists()
    assert main(["open-source", "--out", str(tmp_path / "os"), "--format", "csv", "--quiet"]) == 0
    assert (tmp_path / "os" / "open_sourcing_by_share.csv").exists()


def test_run_prints_the_seed_as_given(tmp_path, capsys) -> None:
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "penalty_too_low.toml"
    assert (
        main(["run", str(scenario), "--steps", "3", "--seed", "7", "--out", str(tmp_path / "r")])
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(r"\bseed 7\b", out) and str(run_seed(7, 0)) not in out
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["parameters"]["run_seed"] != 7


def test_no_progress_bar_off_a_terminal(tmp_path) -> None:
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "penalty_too_low.toml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "abm",
            "mc",
            str(scenario),
            "--steps",
            "3",
            "--replications",
            "2",
            "--out",
            str(tmp_path / "mc"),
            "--no-figures",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\r" not in done.stderr and "\r" not in done.stdout


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    """``abm schema | head -0``: the pipe breaks; exit 1 as Python advises, nothing on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "abm", "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # before the command writes anything
    error = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 1
    assert error == ""
