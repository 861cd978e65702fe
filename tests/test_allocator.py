"""Holding freed memory keeps a market's large per-period tables from faulting in every period."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from abm.allocator import hold_freed_memory

#: 40 periods of a checks pair market (120 fine-tuners × 6,001 effort levels: 5.8 MB tables),
#: printing the minor page faults of those periods and a digest of the time series.
SCRIPT = """
import hashlib, resource, sys
from abm.allocator import hold_freed_memory
from abm.market import Distribution, checks
from abm.market.model import MarketModel

if sys.argv[1] == "hold":
    assert hold_freed_memory()
leader = checks.EXPERIENCED_LEADERS[checks.JUDGED_LEADER]
uniform = Distribution("uniform", low=0.05, high=3.0)
model = MarketModel(checks.pair_config(120, uniform, leader, checks.FAST_FOLLOWER), rng=1)
model.run(5)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
model.run(40)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
series = model.timeseries().to_numpy(dtype=float).tobytes()
print(faults, hashlib.sha256(series).hexdigest())
"""


@pytest.mark.skipif(not hold_freed_memory(), reason="not glibc on Linux")
def test_holding_freed_memory_stops_the_per_period_page_faults_and_changes_no_result():
    # glibc's own thresholds (none set from the environment) against hold_freed_memory's
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    found = {}
    for mode in ("default", "hold"):
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, mode],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        faults, digest = result.stdout.split()
        found[mode] = (int(faults), digest)
    # by default each period faults its freed tables in again (hundreds of pages a period)
    assert found["default"][0] > 40 * 100
    assert found["hold"][0] < found["default"][0] / 10
    assert found["hold"][1] == found["default"][1]
