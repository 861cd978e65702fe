"""Speed of the Model I closed forms and of the command line's start-up.

Run: ``python benchmarks/bench_openness.py``. Prints figures and ratios against baselines
measured in the same run (targets from issue 2: a 1000×1000 (θ, p) grid under 0.5 s, at least
100× faster than a per-point Python loop; ``abm --help`` must not import Mesa/pandas/seaborn).
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from abm.theory.openness_game import OpennessGame, stage_two


def best_of(repeats: int, task) -> float:
    """Best wall time of ``repeats`` runs (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return min(times)


def per_point_loop(thetas: np.ndarray, penalties: np.ndarray) -> list[int]:
    """The baseline: the same solve, one (θ, p) point at a time in plain Python."""
    return [
        int(stage_two(OpennessGame(alpha0=0.5, theta=t, penalty=p), 0.5).regime)
        for t in thetas
        for p in penalties
    ]


def main() -> None:
    size = 1000
    thetas, penalties = np.linspace(0, 1, size), np.linspace(0, 1, size)
    game = OpennessGame(alpha0=0.5, theta=thetas[:, None], penalty=penalties[None, :])
    grid_time = best_of(5, lambda: stage_two(game, 0.5))

    sample = 40  # a 40×40 corner of the grid, timed point by point and scaled up
    loop_time = best_of(2, lambda: per_point_loop(thetas[:sample], penalties[:sample]))
    loop_full = loop_time * (size * size) / (sample * sample)

    python_start = best_of(5, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    help_start = best_of(
        5,
        lambda: subprocess.run(
            [sys.executable, "-m", "abm", "--help"], capture_output=True, check=True
        ),
    )
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, abm.cli as c; c.build_parser(); print(','.join(m for m in "
            "('mesa', 'pandas', 'seaborn', 'matplotlib') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    print(f"{'1000×1000 (θ, p) grid, fixed δ':<44} {grid_time * 1e3:9.1f} ms   (target < 500 ms)")
    print(f"{'per-point Python loop, extrapolated':<44} {loop_full:9.1f} s")
    print(
        f"{'speed-up of the vectorised grid':<44} {loop_full / grid_time:9.0f} ×   (target ≥ 100×)"
    )
    print(f"{'python -c pass (baseline)':<44} {python_start * 1e3:9.1f} ms")
    ratio = help_start / python_start
    print(f"{'abm --help':<44} {help_start * 1e3:9.1f} ms   ({ratio:.1f}× bare Python)")
    print(f"{'heavy modules imported by abm --help':<44} {heavy or 'none'}")


if __name__ == "__main__":
    main()
