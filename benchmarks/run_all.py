"""Run every benchmark and gather its figures, baselines, ratios and targets in one table.

Runs, in turn:

* ``kernel.py``'s self-check (imported): its clearing against ``abm``'s and its path against
  the market's;
* ``bench_kernel.py`` (imported): µs per agent-step of the market, its lean numpy kernel and
  Mesa's money agent at 10², 10³, 10⁴ and 10⁵ agents; targets market/kernel ≤ 1.3 at 10⁴ and
  market/money ≤ 2 at 10²;
* ``bench_market.py`` (a subprocess, its printed table parsed): the market with experienced and
  counterfactual information (and counterfactual with no model maker abstaining) against the
  money agent, and the peak traced memory;
* ``bench_mc.py`` (a subprocess, each printed line parsed on its own; a line it no longer
  prints becomes a row saying so): Monte Carlo throughput, parallel efficiency, Dask, memory;
* ``bench_batch.py`` (a subprocess, parsed): the default scenario's replications stacked against
  separate ``simulate`` calls on one core (target ≥ 10×, identical tables);
* ``bench_openness.py`` (a subprocess, parsed): the vectorised (θ, p) grid and ``abm --help``;
* start-up: the CPU time (user + system, ``getrusage(RUSAGE_CHILDREN)``) of
  ``python -m abm run scenarios/baseline.toml --out <tmp> --force`` without and with figures,
  and of a one-period run, against a bare ``python -c pass``.

Every figure becomes one row (benchmark, figure, value, unit, baseline, baseline value, ratio,
target, met); the table is printed and written to ``--out`` (default ``benchmarks/results/``,
git-ignored) as ``results.csv`` and ``results.md``, next to ``speed.png`` (cost per agent-step
against agents; total time against periods at 10⁴ agents), ``bench_kernel.json`` and each
subprocess's output. Every timing keeps the fastest of its repeats (the machine may be shared).

    python benchmarks/run_all.py --quick          # small sizes, about 2 minutes on 2 cores
    python benchmarks/run_all.py --out /tmp/bench # the full run (10⁵ agents; about 15 minutes)
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

COLUMNS = (
    "benchmark",
    "figure",
    "value",
    "unit",
    "baseline",
    "baseline_value",
    "ratio",
    "target",
    "met",
    "note",
)

#: Settings of the quick and the full run.
SETTINGS = {
    "quick": {
        "kernel_periods": {100: 100, 1_000: 50, 10_000: 40, 100_000: 3},
        "kernel_repeats": 4,
        "market": ["--agents", "1000", "10000", "--periods", "20", "--repeats", "2"],
        "market_memory": 10_000,
        "mc": [
            "--runs",
            "4",
            "--steps",
            "20",
            "--chunk-size",
            "2",
            "--repeat",
            "1",
            "--memory-steps",
            "1",
            "--horizon-steps",
            "0",
        ],
        "startup_repeats": 1,
        "batch": ["--replications", "20", "--steps", "100", "--alone", "3"],
    },
    "full": {
        "kernel_periods": {100: 200, 1_000: 200, 10_000: 200, 100_000: 30},
        "kernel_repeats": 5,
        "market": ["--agents", "1000", "10000", "--periods", "200", "--repeats", "3"],
        "market_memory": 100_000,
        "mc": [],
        "startup_repeats": 3,
        "batch": [],
    },
}


def row(
    benchmark: str,
    figure: str,
    value: float | str,
    unit: str = "",
    baseline: str = "",
    baseline_value: float | None = None,
    target: str = "",
    met: bool | None = None,
    note: str = "",
) -> dict:
    """One table row; the ratio is value / baseline value when both are numbers."""
    ratio = None
    if isinstance(value, float | int) and baseline_value:
        ratio = value / baseline_value
    return {
        "benchmark": benchmark,
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": target,
        "met": "" if met is None else ("yes" if met else "no"),
        "note": note,
    }


def environment() -> dict[str, str]:
    """The environment of the subprocesses: this checkout's ``abm`` first on the path.

    Bytecode is written and read (``PYTHONDONTWRITEBYTECODE`` dropped) as in an installed
    package, whose modules pip compiles: otherwise every start-up would time compiling them.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(ROOT), env.get("PYTHONPATH", "")) if part
    )
    return env


def script(name: str, args: list[str], out: Path, timeout: float) -> str:
    """Run ``benchmarks/<name>`` with ``args``; its output is saved and returned ('' on error)."""
    command = [sys.executable, str(HERE / name), *args]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=environment(),
            cwd=ROOT,
            timeout=timeout,
        )
        text = done.stdout
        if done.returncode:
            text += f"\n[exit {done.returncode}]\n{done.stderr[-4000:]}"
    except subprocess.TimeoutExpired:
        text = f"[timed out after {timeout:.0f} s]"
    (out / f"{Path(name).stem}.txt").write_text(text)
    return text


def number(text: str) -> float:
    return float(text.replace(",", ""))


def missing(benchmark: str, figure: str) -> dict:
    return row(benchmark, figure, "", note="not in the benchmark's output (see its .txt)")


# --- the benchmarks ----------------------------------------------------------------------------


def kernel_rows(settings: dict, out: Path) -> tuple[list[dict], list[dict]]:
    """bench_kernel at every size: its rows and its results (for the plot)."""
    import bench_kernel

    periods = settings["kernel_periods"]
    results = bench_kernel.run(tuple(periods), periods, settings["kernel_repeats"])
    (out / "bench_kernel.json").write_text(json.dumps(results))
    import kernel

    clearing = kernel.check_clearing()
    path, periods = kernel.check_path(1000, 50)
    rows = [
        row(
            "kernel",
            "lean clearing against abm's Clearing, 200 markets: largest gap",
            clearing,
            "relative",
            target="≤ 1e-10",
            met=clearing <= 1e-10,
            note="prices, shares, revenues, consumer surplus",
        ),
        row(
            "kernel",
            f"kernel against MarketModel, 1,000 agents × {periods} periods: largest gap",
            path,
            "relative",
            target="≤ 1e-10",
            met=path <= 1e-10,
            note="the 33 observables, same seed",
        ),
    ]
    for entry in bench_kernel.rows(results):
        target = entry["target"]
        ratio = entry["value"] / entry["baseline_value"]
        rows.append(
            row(
                "bench_kernel",
                entry["figure"],
                entry["value"],
                entry["unit"],
                entry["baseline"],
                entry["baseline_value"],
                f"ratio ≤ {target}" if target else "",
                None if target is None else ratio <= target,
            )
        )
    return rows, results


MARKET_LINE = re.compile(
    r"^\s*(\d+)\s+(experienced|counterfactual|all-in)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)"
    r"\s+([\d.]+|-)\s+([\d.]+)\s*$",
    re.MULTILINE,
)
#: bench_market.py's row names as figures.
MARKET_ROWS = {
    "experienced": "experienced",
    "counterfactual": "counterfactual",
    "all-in": "counterfactual, no model maker abstaining",
}
MARKET_MEMORY = re.compile(r"peak traced memory, ([\d,]+) agents x (\d+) periods: ([\d,]+) MB")


def market_rows(settings: dict, out: Path) -> list[dict]:
    """bench_market.py's table and memory line."""
    memory = settings["market_memory"]
    text = script(
        "bench_market.py", [*settings["market"], "--memory", str(memory)], out, timeout=3600
    )
    rows = []
    for agents, name, money, market, _, target, init in MARKET_LINE.findall(text):
        money_us, market_us = float(money), float(market)
        judged = int(agents) == 10_000 and target != "-"
        rows.append(
            row(
                "bench_market",
                f"market ({MARKET_ROWS[name]}) per agent-step, {int(agents):,} agents",
                market_us,
                "µs",
                "Mesa money agent",
                money_us,
                f"ratio ≤ {float(target):g}" if judged else "",
                market_us / money_us <= float(target) if judged else None,
                f"build {float(init):.2f} s",
            )
        )
    if not rows:
        rows.append(missing("bench_market", "market per agent-step"))
    found = MARKET_MEMORY.search(text)
    if found:
        agents, periods, megabytes = number(found[1]), int(found[2]), number(found[3])
        big = agents >= 100_000
        rows.append(
            row(
                "bench_market",
                f"peak traced memory, {agents:,.0f} agents × {periods} periods",
                megabytes,
                "MB",
                target="< 1024 MB at 10⁵ agents" if big else "",
                met=megabytes < 1024 if big else None,
            )
        )
    else:
        rows.append(missing("bench_market", "peak traced memory"))
    return rows


MC_PATTERNS = {
    "command_serial": re.compile(r"^\s+serial\s+([\d.]+) s wall", re.MULTILINE),
    "command_pool": re.compile(r"^\s+2 workers\s+([\d.]+) s wall", re.MULTILINE),
    "command": re.compile(r"parallel efficiency ([\d.]+) \(start-up included\)"),
    "horizon": re.compile(
        r"runs of (\d+) periods, end to end[^\n]*\n\s+serial\s+([\d.]+) s wall[^\n]*\n"
        r"\s+2 workers\s+([\d.]+) s wall[^\n]*\n\s+parallel efficiency at the scenario's "
        r"horizon ([\d.]+)"
    ),
    "serial": re.compile(r"serial:\s+([\d.]+) s\s+([\d.]+) runs/s"),
    "pool": re.compile(
        r"process pool, 2 workers:\s+([\d.]+) s\s+([\d.]+) runs/s\s+efficiency ([\d.]+) warm, "
        r"([\d.]+) with pool start-up"
    ),
    "dask": re.compile(
        r"dask LocalCluster, 2:\s+([\d.]+) s\s+([\d.]+) runs/s\s+efficiency ([\d.]+); cluster "
        r"start-up ([\d.]+) s, first study ([\d.]+) s; overhead ([+-]?[\d.]+) ms per run"
    ),
    "memory": re.compile(
        r"\((\d+) periods per run\): 100 runs ([\d.]+) MiB, 1,000 runs ([\d.]+) MiB"
    ),
}


def mc_rows(settings: dict, out: Path) -> list[dict]:
    """bench_mc.py's lines (each parsed on its own: another session is changing the script)."""
    text = script("bench_mc.py", settings["mc"], out, timeout=3600)
    name = "bench_mc"
    found = {key: pattern.search(text) for key, pattern in MC_PATTERNS.items()}
    rows = []
    command, command_serial, command_pool = (
        found[key] for key in ("command", "command_serial", "command_pool")
    )
    rows.append(
        row(
            name,
            "abm mc --workers 2, end to end, short runs: parallel efficiency",
            float(command[1]),
            "",
            target="≥ 0.8 (start-up included)",
            met=float(command[1]) >= 0.8,
            note=(
                f"{command_pool[1]} s with 2 workers against {command_serial[1]} s serially"
                if command_pool and command_serial
                else ""
            ),
        )
        if command
        else missing(name, "abm mc --workers 2, end to end")
    )
    horizon = found["horizon"]
    if horizon:
        rows.append(
            row(
                name,
                "abm mc --workers 2, end to end, runs of the scenario's horizon: "
                "parallel efficiency",
                float(horizon[4]),
                "",
                target="≥ 0.8 (start-up included)",
                met=float(horizon[4]) >= 0.8,
                note=f"{horizon[1]} periods a run: {horizon[3]} s with 2 workers against "
                f"{horizon[2]} s serially",
            )
        )
    elif "--horizon-steps" not in settings["mc"]:  # the quick run leaves the long runs out
        rows.append(missing(name, "abm mc --workers 2, end to end, runs of the scenario's horizon"))
    serial, pool, dask, memory = (found[key] for key in ("serial", "pool", "dask", "memory"))
    rows.append(
        row(name, "serial throughput", float(serial[2]), "runs/s", note=f"{serial[1]} s")
        if serial
        else missing(name, "serial throughput")
    )
    if pool:
        rows.append(
            row(
                name,
                "process pool (2), warm: throughput",
                float(pool[2]),
                "runs/s",
                "serial",
                float(serial[2]) if serial else None,
                "efficiency = ratio / 2 ≥ 0.8",
                float(pool[3]) >= 0.8,
                f"efficiency {pool[3]} warm, {pool[4]} with pool start-up",
            )
        )
    else:
        rows.append(missing(name, "process pool efficiency"))
    if dask:
        rows.append(
            row(
                name,
                "Dask LocalCluster (2): throughput",
                float(dask[2]),
                "runs/s",
                "process pool (2), warm",
                float(pool[2]) if pool else None,
                note=f"efficiency {dask[3]}; cluster start-up {dask[4]} s; "
                f"overhead {dask[6]} ms per run",
            )
        )
    else:
        rows.append(missing(name, "Dask throughput"))
    if memory:
        rows.append(
            row(
                name,
                f"peak RSS, 1,000 runs × {memory[1]} periods",
                float(memory[3]),
                "MiB",
                "100 runs",
                float(memory[2]),
                "flat",
            )
        )
    else:
        rows.append(missing(name, "peak RSS"))
    return rows


OPENNESS_PATTERNS = {
    "grid": re.compile(r"grid, fixed δ\s+([\d.]+) ms"),
    "loop": re.compile(r"per-point Python loop, extrapolated\s+([\d.]+) s"),
    "python": re.compile(r"python -c pass \(baseline\)\s+([\d.]+) ms"),
    "help": re.compile(r"abm --help\s+([\d.]+) ms"),
    "heavy": re.compile(r"heavy modules imported by abm --help\s+(.+)$", re.MULTILINE),
}


def openness_rows(out: Path) -> list[dict]:
    """bench_openness.py's figures."""
    text = script("bench_openness.py", [], out, timeout=600)
    name = "bench_openness"
    found = {key: pattern.search(text) for key, pattern in OPENNESS_PATTERNS.items()}
    rows = []
    grid, loop = found["grid"], found["loop"]
    if grid:
        grid_ms = float(grid[1])
        rows.append(
            row(
                name,
                "1000×1000 (θ, p) grid",
                grid_ms,
                "ms",
                "per-point Python loop" if loop else "",
                float(loop[1]) * 1e3 if loop else None,
                "< 500 ms; ratio ≤ 0.01 (≥ 100× faster)",
                grid_ms < 500 and (not loop or grid_ms / (float(loop[1]) * 1e3) <= 0.01),
            )
        )
    else:
        rows.append(missing(name, "1000×1000 (θ, p) grid"))
    python, help_ = found["python"], found["help"]
    if help_:
        heavy = found["heavy"][1].strip() if found["heavy"] else "?"
        rows.append(
            row(
                name,
                "abm --help (wall)",
                float(help_[1]),
                "ms",
                "python -c pass",
                float(python[1]) if python else None,
                "imports no Mesa/pandas/seaborn/matplotlib",
                heavy == "none",
                f"heavy modules imported: {heavy}",
            )
        )
    else:
        rows.append(missing(name, "abm --help"))
    return rows


BATCH_PATTERNS = {
    "separate": re.compile(r"separate simulate calls\s+([\d.]+) ms"),
    "stacked": re.compile(r"stacked replications\s+([\d.]+) ms"),
    "identical": re.compile(r"tables identical: (\w+)"),
    "shape": re.compile(r"(\d+) replications × (\d+) periods"),
}


def batch_rows(settings: dict, out: Path) -> list[dict]:
    """bench_batch.py's figures: stacked replications against separate runs."""
    text = script("bench_batch.py", settings["batch"], out, timeout=3600)
    name = "bench_batch"
    found = {key: pattern.search(text) for key, pattern in BATCH_PATTERNS.items()}
    if not (found["separate"] and found["stacked"]):
        return [missing(name, "stacked replications")]
    separate, stacked = float(found["separate"][1]), float(found["stacked"][1])
    identical = bool(found["identical"]) and found["identical"][1] == "yes"
    shape = f"{found['shape'][1]} × {found['shape'][2]} periods" if found["shape"] else ""
    return [
        row(
            name,
            "default scenario, stacked: speed-up over separate runs",
            separate / stacked,
            "×",
            target="≥ 10 (full run: 100 replications), identical tables",
            met=separate / stacked >= 10 and identical,
            note=f"{shape}; {stacked:.1f} against {separate:.1f} ms per replication; "
            f"tables identical: {'yes' if identical else 'no'}",
        )
    ]


def cpu_seconds(command: list[str], repeats: int) -> tuple[float, float]:
    """Fastest CPU time (user + system of the child) and its wall time over ``repeats`` runs.

    One untimed run first, which writes the bytecode the timed runs read.
    """
    subprocess.run(command, check=True, capture_output=True, env=environment(), cwd=ROOT)
    best = (math.inf, math.inf)
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=environment(), cwd=ROOT)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, (cpu, wall))
    return best


def startup_rows(settings: dict) -> list[dict]:
    """CPU time of ``abm run`` on the baseline scenario, without and with figures."""
    repeats = settings["startup_repeats"]
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    name = "startup"
    bare, bare_wall = cpu_seconds([sys.executable, "-c", "pass"], max(3, repeats))
    rows = [row(name, "python -c pass (CPU)", bare, "s", note=f"wall {bare_wall:.2f} s")]
    with tempfile.TemporaryDirectory() as folder:
        run = [sys.executable, "-m", "abm", "run", scenario, "--out", folder, "--force", "--quiet"]
        one, one_wall = cpu_seconds([*run, "--no-figures", "--steps", "1"], repeats)
        plain, plain_wall = cpu_seconds([*run, "--no-figures"], repeats)
        figures, figures_wall = cpu_seconds(run, repeats)
    rows += [
        row(
            name,
            "abm run baseline --no-figures --steps 1 (CPU)",
            one,
            "s",
            "python -c pass",
            bare,
            note=f"wall {one_wall:.2f} s; the fixed cost of a run",
        ),
        row(
            name,
            "abm run baseline --no-figures (CPU)",
            plain,
            "s",
            "python -c pass",
            bare,
            target="≤ 1.5 s",
            met=plain <= 1.5,
            note=f"wall {plain_wall:.2f} s; the scenario's 1,000 periods",
        ),
        row(
            name,
            "abm run baseline, with figures (CPU)",
            figures,
            "s",
            "the same --no-figures",
            plain,
            target="≤ 3 s",
            met=figures <= 3.0,
            note=f"wall {figures_wall:.2f} s",
        ),
    ]
    return rows


# --- output ------------------------------------------------------------------------------------


def shown(value: object, digits: int = 3) -> str:
    """A cell: numbers to ``digits`` significant figures, None and NaN empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def text_table(rows: list[dict]) -> list[list[str]]:
    header = ["benchmark", "figure", "value", "unit", "baseline", "base value", "ratio"]
    header += ["target", "met", "note"]
    body = [[shown(r[c]) for c in COLUMNS] for r in rows]
    return [header, *body]


def print_table(rows: list[dict]) -> None:
    table = text_table(rows)
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for number_, line in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number_ == 0:
            print("  ".join("-" * width for width in widths))


def write_outputs(rows: list[dict], out: Path, mode: str, seconds: float) -> None:
    with (out / "results.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    table = text_table(rows)
    lines = [
        f"# Benchmarks ({mode} run, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"{seconds / 60:.1f} min)",
        "",
        "| " + " | ".join(table[0]) + " |",
        "|" + "---|" * len(table[0]),
        *(
            "| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |"
            for line in table[1:]
        ),
        "",
        "![cost per agent-step and total time](speed.png)",
        "",
    ]
    (out / "results.md").write_text("\n".join(lines))


def plot(results: list[dict], out: Path) -> Path:
    """Cost per agent-step against agents; total time against periods at 10⁴ agents."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {
        "market": "market (experienced)",
        "kernel": "lean numpy kernel",
        "money": "Mesa money",
    }
    colours = {"market": "C0", "kernel": "C2", "money": "C7"}
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    agents = [r["agents"] for r in results]
    for name in labels:
        cost = [r[name]["us_per_agent_step"] for r in results]
        left.plot(agents, cost, "o-", color=colours[name], label=labels[name])
    left.set(
        xscale="log",
        yscale="log",
        xlabel="agents",
        ylabel="µs per agent-step",
        title="Cost per agent-step",
    )
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    # 10⁴ agents (the size of the kernel's target), else the largest measured
    shown_size = next((r for r in results if r["agents"] == 10_000), results[-1])
    for name in labels:
        elapsed = shown_size[name]["elapsed_s"]
        right.plot(range(1, len(elapsed) + 1), elapsed, color=colours[name], label=labels[name])
    right.set(
        xlabel="periods",
        ylabel="total time (s)",
        title=f"Total time, {shown_size['agents']:,} agents (fastest of the repeats, per period)",
    )
    right.grid(True, alpha=0.3)
    right.legend()
    figure.tight_layout()
    path = out / "speed.png"
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 2 minutes)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=("kernel", "market", "mc", "batch", "openness", "startup"),
        help="benchmarks to leave out",
    )
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    settings = SETTINGS[mode]
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows: list[dict] = []
    results: list[dict] = []
    steps = {
        "kernel": lambda: kernel_rows(settings, out),
        "market": lambda: (market_rows(settings, out), None),
        "mc": lambda: (mc_rows(settings, out), None),
        "batch": lambda: (batch_rows(settings, out), None),
        "openness": lambda: (openness_rows(out), None),
        "startup": lambda: (startup_rows(settings), None),
    }
    for key, task in steps.items():
        if key in args.skip:
            continue
        begin = time.perf_counter()
        print(f"[{key}] …", file=sys.stderr, flush=True)
        new_rows, extra = task()
        rows += new_rows
        if extra is not None:
            results = extra
        print(f"[{key}] {time.perf_counter() - begin:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    print_table(rows)
    write_outputs(rows, out, mode, seconds)
    written = ["results.csv", "results.md"]
    if results:
        written.append(plot(results, out).name)
    print(f"\n{mode} run, {seconds:.0f} s; wrote {', '.join(written)} to {out}")


if __name__ == "__main__":
    main()
