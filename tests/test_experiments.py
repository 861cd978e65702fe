"""The experiment machinery: seeds, studies, chunked output, resume, failures, SALib."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from abm.errors import ParameterError
from abm.experiments.execution import Execution, execute, fit_to_chunks
from abm.experiments.executors import SerialExecutor, make_executor
from abm.experiments.runner import (
    Experiment,
    ExperimentAbortedError,
    finished_chunks,
    prepare_output,
    run_experiment,
)
from abm.experiments.sampling import grid_points, sample_matrix, sample_points
from abm.experiments.seeds import run_seed, run_seeds
from abm.experiments.sensitivity import analyse, point_outcomes
from abm.scenarios import parse_scenario

TINY = {
    "name": "tiny",
    "seed": 11,
    "horizon": {"steps": 4},
    "market": {
        "generalists": {"count": 3, "alpha0": {"kind": "uniform", "low": 0.1, "high": 2.0}},
        "specialists": {"count": 4, "matching": "learned"},
    },
    "output": {"figures": False, "summary_window": 2},
}


def tiny_experiment(replications=6, chunk_size=2, points=({},), **changes):
    scenario = parse_scenario({**TINY, **changes})
    return Experiment(scenario, points, replications, scenario.horizon.steps, chunk_size)


def read(folder, stem):
    return pd.read_parquet(folder / f"{stem}.parquet")


# --- seeds -------------------------------------------------------------------------------------


def test_run_seeds_are_the_children_of_one_seed_sequence():
    children = np.random.SeedSequence(2024).spawn(5)
    expected = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
    assert run_seeds(2024, 5) == expected
    assert len(set(run_seeds(2024, 1000))) == 1000
    assert run_seed(2024, 3) != run_seed(2025, 3)


def test_experiment_chunks_cover_every_run_once():
    experiment = tiny_experiment(replications=7, chunk_size=3, points=({"a": 1}, {"a": 2}))
    assert experiment.n_runs == 14
    assert experiment.n_chunks == 5
    ids = [spec.run_id for k in range(experiment.n_chunks) for spec in experiment.chunk(k)]
    assert ids == list(range(14))
    spec = experiment.run(9)
    assert (spec.point, spec.replication, spec.params) == (1, 2, {"a": 2})
    assert spec.seed == run_seed(11, 9)


def test_common_random_numbers_reuse_seeds_across_points():
    experiment = tiny_experiment(
        replications=3, points=({}, {}), experiment={"common_random_numbers": True}
    )
    assert [experiment.run(i).seed for i in range(6)] == [run_seed(11, r) for r in (0, 1, 2) * 2]


# --- the runner ----------------------------------------------------------------------------------


def test_serial_and_process_pool_give_identical_tables(tmp_path):
    serial = tmp_path / "serial"
    result = run_experiment(tiny_experiment(chunk_size=2), serial, SerialExecutor(), progress=False)
    assert (result.n_runs, result.ran, result.failures) == (6, 6, [])
    with make_executor("process", 2) as (pool, _):
        run_experiment(
            tiny_experiment(chunk_size=4), tmp_path / "pool", pool, workers=2, progress=False
        )
    for stem in ("runs", "timeseries"):
        left, right = read(serial, stem), read(tmp_path / "pool", stem)
        assert left.equals(right), stem
    runs = read(serial, "runs")
    assert list(runs["run_id"]) == list(range(6))
    assert list(runs["seed"]) == run_seeds(11, 6)
    timeseries = read(serial, "timeseries")
    assert len(timeseries) == 6 * 5  # steps 0..4
    # runs.parquet holds each observable's mean over the last summary_window periods
    last = timeseries[timeseries["step"] >= 3].groupby("run_id")["welfare"].mean()
    np.testing.assert_allclose(runs["welfare"], last.to_numpy())
    # different seeds give different runs
    assert runs["welfare"].nunique() > 1 or runs["mean_alpha0"].nunique() > 1


def test_spawned_and_pooled_workers_give_identical_tables(tmp_path):
    # the old start method (spawn: every worker imports afresh) against the forkserver's
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        run_experiment(tiny_experiment(), tmp_path / "spawn", pool, workers=2, progress=False)
    with make_executor("process", 2) as (pool, _):
        run_experiment(tiny_experiment(), tmp_path / "pool", pool, workers=2, progress=False)
    for stem in ("runs", "timeseries"):
        assert read(tmp_path / "spawn", stem).equals(read(tmp_path / "pool", stem)), stem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver on Linux only")
def test_pool_workers_start_with_the_market_imported_and_the_current_environment(monkeypatch):
    # the stacked market and pandas, not Mesa (a worker imports it for a market that cannot
    # be stacked)
    is_loaded = (
        "'abm.market.batch' in __import__('sys').modules and 'pandas' in __import__('sys')"
        ".modules and 'mesa' not in __import__('sys').modules"
    )
    for value in ("first", "second"):  # the forkserver outlives a pool; the environment may not
        monkeypatch.setenv("ABM_TEST_SETTING", value)
        with make_executor("process", 2) as (pool, description):
            assert description == "process pool, 2 workers"
            # a forked worker's parent is the forkserver, which imported the market once
            assert pool.submit(os.getppid).result() != os.getpid()
            assert pool.submit(eval, is_loaded).result()
            assert pool.submit(os.getenv, "ABM_TEST_SETTING").result() == value


def test_one_chunk_runs_serially_and_a_pool_has_no_idle_workers(tmp_path):
    assert fit_to_chunks("process", 2, 1)[:2] == ("serial", 1)
    assert fit_to_chunks("process", 4, 3) == ("process", 3, "")
    assert fit_to_chunks("dask", 4, 1) == ("dask", 4, "")
    assert fit_to_chunks("serial", 1, 9) == ("serial", 1, "")
    one_chunk = tiny_experiment(chunk_size=6)
    result, manifest = execute("mc", one_chunk, tmp_path / "one", Execution(workers=2))
    assert result.executor.startswith("serial: 1 chunk to run")
    assert manifest.parameters["execution"]["workers"] == 1
    result, _ = execute("mc", one_chunk, tmp_path / "serial", Execution(progress=False))
    assert result.executor == "serial"
    for stem in ("runs", "timeseries"):
        assert read(tmp_path / "one", stem).equals(read(tmp_path / "serial", stem)), stem


def test_stacked_chunks_write_what_runs_one_by_one_write(tmp_path, monkeypatch):
    import abm.experiments.simulate as simulate_module

    # chunks of one run each go alone; chunks of six stack each point's replications
    points = ({}, {"demand.rule": "logit"})
    run_experiment(
        tiny_experiment(chunk_size=1, points=points), tmp_path / "one", SerialExecutor(),
        progress=False,
    )  # fmt: skip
    stacked_batches = []
    real = simulate_module.simulate_replications

    def counting(market, seeds, steps, **kwargs):
        stacked_batches.append(len(seeds))
        return real(market, seeds, steps, **kwargs)

    monkeypatch.setattr(simulate_module, "simulate_replications", counting)
    run_experiment(
        tiny_experiment(chunk_size=6, points=points), tmp_path / "six", SerialExecutor(),
        progress=False,
    )  # fmt: skip
    assert stacked_batches == [6, 6]
    for stem in ("runs", "timeseries"):
        assert read(tmp_path / "one", stem).equals(read(tmp_path / "six", stem)), stem


def test_resume_redoes_only_unfinished_chunks_and_ignores_partial_files(tmp_path):
    reference = tmp_path / "reference"
    run_experiment(tiny_experiment(), reference, SerialExecutor(), progress=False)
    crashed = tmp_path / "crashed"
    run_experiment(tiny_experiment(), crashed, SerialExecutor(), progress=False)
    # Simulate a crash: chunk 1 lost its marker (its data files may be partial), chunk 2 never
    # finished (garbage data file, no marker), and the experiment was never assembled.
    chunks = crashed / "chunks"
    (chunks / "000001.done").unlink()
    (chunks / "000002.done").unlink()
    (chunks / "timeseries-000002.parquet").write_bytes(b"PAR1 half a file")
    # and SIGKILL left atomic_write's temporaries behind (".<name>.<8 random chars>")
    stale = [chunks / ".runs-000003.parquet.a1b2c3d4", crashed / ".runs.parquet.x_y_z_12"]
    for path in stale:
        path.write_bytes(b"half")
    for stem in ("runs", "timeseries"):
        (crashed / f"{stem}.parquet").unlink()
    assert sorted(finished_chunks(crashed)) == [0]
    calls = []

    def counting(market, seed, steps, **kwargs):
        from abm.experiments.simulate import simulate

        calls.append(seed)
        return simulate(market, seed, steps, **kwargs)

    result = run_experiment(
        tiny_experiment(), crashed, SerialExecutor(), resume=True, progress=False, simulate=counting
    )
    assert (result.resumed, result.ran) == (2, 4)
    assert calls == run_seeds(11, 6)[2:]
    assert not any(path.exists() for path in stale)  # --resume removed them
    for stem in ("runs", "timeseries"):
        assert read(reference, stem).equals(read(crashed, stem)), stem


@pytest.mark.parametrize(
    ("damaged", "content"),
    [("runs-000001.parquet", b"junk\n"), ("timeseries-000002.parquet", b"PAR1 half a file")],
)
def test_resume_reruns_a_finished_chunk_whose_file_cannot_be_read(
    tmp_path, capsys, damaged, content
):
    reference = tmp_path / "reference"
    run_experiment(tiny_experiment(), reference, SerialExecutor(), progress=False)
    damaged_folder = tmp_path / "damaged"
    run_experiment(tiny_experiment(), damaged_folder, SerialExecutor(), progress=False)
    # overwritten after its chunk finished: the marker still lists it
    (damaged_folder / "chunks" / damaged).write_bytes(content)
    for stem in ("runs", "timeseries"):
        (damaged_folder / f"{stem}.parquet").unlink()
    capsys.readouterr()
    result = run_experiment(
        tiny_experiment(), damaged_folder, SerialExecutor(), resume=True, progress=False
    )
    assert (result.resumed, result.ran) == (4, 2)
    notice = capsys.readouterr().err
    chunk = int(damaged[-14:-8])
    assert notice.startswith(
        f"--resume: chunk {chunk} runs again: chunks/{damaged} cannot be read ("
    )
    assert notice.count("\n") == 1
    for stem in ("runs", "timeseries"):
        pd.testing.assert_frame_equal(read(damaged_folder, stem), read(reference, stem))


def test_output_folder_guards(tmp_path):
    run_experiment(tiny_experiment(), tmp_path, SerialExecutor(), progress=False)
    with pytest.raises(ParameterError, match="already holds an experiment; pass --resume"):
        prepare_output(tiny_experiment(), tmp_path, resume=False)
    with pytest.raises(ParameterError, match="different experiment"):
        prepare_output(tiny_experiment(replications=7), tmp_path, resume=True)
    prepare_output(tiny_experiment(), tmp_path, resume=True)  # the same experiment may resume
    stored = json.loads((tmp_path / "experiment.json").read_text())
    assert stored["n_runs"] == 6


def failing_on_run_3(market, seed, steps, **kwargs):
    if seed == run_seed(11, 3):
        raise RuntimeError("boom")
    from abm.experiments.simulate import simulate

    return simulate(market, seed, steps, **kwargs)


def test_a_failing_run_is_recorded_with_its_id_and_seed_and_the_experiment_goes_on(tmp_path):
    lines = []
    result = run_experiment(
        tiny_experiment(),
        tmp_path,
        SerialExecutor(),
        progress=False,
        simulate=failing_on_run_3,
        report=lines.append,
    )
    assert [(f.run_id, f.seed) for f in result.failures] == [(3, run_seed(11, 3))]
    assert lines == [f"run 3 (seed {run_seed(11, 3)}) failed: RuntimeError: boom"]
    runs = read(tmp_path, "runs")
    assert list(runs["status"]) == ["ok", "ok", "ok", "failed", "ok", "ok"]
    assert runs.loc[3, "error"] == "RuntimeError: boom"
    assert np.isnan(runs.loc[3, "welfare"])
    assert sorted(read(tmp_path, "timeseries")["run_id"].unique()) == [0, 1, 2, 4, 5]


def test_fail_fast_stops_at_the_first_failure(tmp_path):
    result = run_experiment(
        tiny_experiment(chunk_size=1),
        tmp_path,
        SerialExecutor(),
        progress=False,
        fail_fast=True,
        simulate=failing_on_run_3,
        report=lambda line: None,
    )
    assert result.stopped
    assert result.ran < 6
    assert not (tmp_path / "runs.parquet").exists()


def test_failing_runs_in_a_process_pool_are_reported(tmp_path):
    with make_executor("process", 2) as (pool, _):
        result = run_experiment(
            tiny_experiment(),
            tmp_path,
            pool,
            workers=2,
            progress=False,
            simulate=failing_on_run_3,
            report=lambda line: None,
        )
    assert [f.run_id for f in result.failures] == [3]


def dying_on_run_3(market, seed, steps, **kwargs):
    if seed == run_seed(11, 3):
        import os

        os._exit(3)  # a worker process dies (out of memory, segfault, …)
    from abm.experiments.simulate import simulate

    return simulate(market, seed, steps, **kwargs)


def test_a_dead_worker_aborts_the_experiment_and_resume_finishes_it(tmp_path):
    with (
        pytest.raises(
            ExperimentAbortedError, match=r"chunk 1 \(runs 2-3\) was lost: BrokenProcessPool"
        ),
        make_executor("process", 1) as (pool, _),
    ):
        run_experiment(tiny_experiment(), tmp_path, pool, progress=False, simulate=dying_on_run_3)
    assert 0 in finished_chunks(tmp_path)
    assert not (tmp_path / "runs.parquet").exists()
    result = run_experiment(
        tiny_experiment(), tmp_path, SerialExecutor(), resume=True, progress=False
    )
    assert result.ran == 4
    assert list(read(tmp_path, "runs")["run_id"]) == list(range(6))


# --- sampling and sensitivity ------------------------------------------------------------------


def test_grid_points_are_a_full_factorial_with_integer_fields():
    points = grid_points({"generalists.count": (2.0, 3.0), "regulator.penalty": (0.0, 0.5, 1.0)})
    assert len(points) == 6
    assert points[0] == {"generalists.count": 2, "regulator.penalty": 0.0}
    assert isinstance(points[-1]["generalists.count"], int)
    assert grid_points({}) == ({},)


def test_samplers_respect_bounds_and_sizes():
    bounds = {"regulator.theta": (0.2, 0.4), "regulator.penalty": (0.0, 2.0)}
    lhs = sample_matrix("lhs", bounds, 10, seed=1)
    assert lhs.shape == (10, 2)
    assert (lhs[:, 0] >= 0.2).all() and (lhs[:, 0] <= 0.4).all()
    # one LHS stratum per sample in each dimension
    assert sorted(np.floor((lhs[:, 1] - 0.0) / 0.2).astype(int)) == list(range(10))
    assert sample_matrix("sobol", bounds, 8, seed=1).shape == (8 * 4, 2)
    assert sample_matrix("morris", bounds, 4, seed=1).shape == (4 * 3, 2)
    np.testing.assert_array_equal(lhs, sample_matrix("lhs", bounds, 10, seed=1))
    with pytest.raises(ParameterError, match="power of two"):
        sample_matrix("sobol", bounds, 10, seed=1)
    points = sample_points(lhs, list(bounds))
    assert set(points[0]) == set(bounds)


def test_sobol_indices_of_a_known_function():
    # y = a + 0·b: all variance from a (S1 = ST = 1 for a, 0 for b)
    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    from SALib.sample import sobol

    spec = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    x = sobol.sample(spec, 256, calc_second_order=False, seed=3)
    table = analyse("sobol", bounds, x, x[:, 0], seed=3)
    a, b = table.set_index("parameter").loc["a"], table.set_index("parameter").loc["b"]
    assert a["S1"] == pytest.approx(1.0, abs=0.05)
    assert a["ST"] == pytest.approx(1.0, abs=0.05)
    assert abs(b["ST"]) < 0.02
    assert (table["ST_conf"] >= 0).all()


def test_morris_ranks_the_influential_parameter_first():
    from SALib.sample import morris

    spec = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    x = morris.sample(spec, 20, num_levels=4, seed=5)
    y = 4.0 * x[:, 0] + 0.5 * x[:, 1]
    table = analyse("morris", {"a": (0, 1), "b": (0, 1)}, x, y, seed=5).set_index("parameter")
    # linear: every elementary effect equals the slope
    assert table.loc["a", "mu_star"] == pytest.approx(4.0)
    assert table.loc["b", "mu_star"] == pytest.approx(0.5)
    assert table.loc["a", "sigma"] == pytest.approx(0.0, abs=1e-9)


def test_point_outcomes_average_replications_and_refuse_gaps():
    runs = pd.DataFrame(
        {"point": [0, 0, 1, 1], "status": ["ok"] * 4, "welfare": [1.0, 3.0, 5.0, 7.0]}
    )
    np.testing.assert_allclose(point_outcomes(runs, "welfare", 2), [2.0, 6.0])
    runs.loc[2:, "status"] = "failed"
    with pytest.raises(ParameterError, match="point 1"):
        point_outcomes(runs, "welfare", 2)
