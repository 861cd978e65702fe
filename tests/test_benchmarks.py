"""The benchmarks' yardstick stays honest: the lean kernel does the market's work, to rounding.

``benchmarks/kernel.py`` is the baseline of the market's speed target; if the market's period
changes and the kernel does not, its ratio would compare different work. These checks fail then.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _kernel():
    spec = importlib.util.spec_from_file_location("bench_kernel_module", BENCHMARKS / "kernel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_lean_clearing_equals_the_markets():
    assert _kernel().check_clearing(cases=40) <= 1e-10


def test_the_lean_kernel_follows_the_markets_path():
    gap, periods = _kernel().check_path(agents=100, periods=30)
    assert periods == 30
    assert gap <= 1e-10
