"""Per-run seeds derived from one master ``SeedSequence``.

Run ``i`` gets the seed of ``SeedSequence(master).spawn(n)[i]``, computed directly from the
spawn key ``(i,)`` so an experiment of a million runs needs no list of a million sequences.
"""

from __future__ import annotations


def run_seed(master: int, index: int) -> int:
    """The integer seed of run ``index`` (equal to child ``index`` of ``SeedSequence.spawn``).

    Args:
        master: The experiment's master seed, ≥ 0.
        index: The run's index (its run id, or its replication under common random numbers).

    Returns:
        A 63-bit non-negative integer.
    """
    import numpy as np

    child = np.random.SeedSequence(int(master), spawn_key=(int(index),))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def run_seeds(master: int, count: int) -> list[int]:
    """Seeds of runs ``0 .. count-1``."""
    return [run_seed(master, index) for index in range(count)]
