"""Figure titles state a finding only when it clears its uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.figures.runs import sensitivity_finding, sweep_finding


def _runs(means, spread, n=10, seed=0):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.normal(m, spread, n) for m in means])
    return pd.DataFrame({"penalty": np.repeat(np.arange(len(means)) / 10, n), "welfare": values})


def test_sweep_names_the_best_point_only_when_intervals_separate():
    assert "highest at penalty = 0.1" in sweep_finding(
        _runs([1, 2, 1], 0.1), ["penalty"], "welfare"
    )
    noisy = sweep_finding(_runs([1, 1.05, 1], 0.5), ["penalty"], "welfare")
    assert "highest" not in noisy and "stands out" in noisy


def test_sweep_with_one_run_per_point_makes_no_claim():
    text = sweep_finding(_runs([1, 2, 3], 0.1, n=1), ["penalty"], "welfare")
    assert "too few runs" in text


def test_sensitivity_says_when_nothing_varies_and_when_nothing_clears():
    zero = pd.DataFrame({"parameter": ["a", "b"], "mu_star": [0.0, 0.0], "mu_star_conf": [0, 0]})
    assert "does not vary" in sensitivity_finding(zero, "morris", "open_share")
    close = pd.DataFrame({"parameter": ["a", "b"], "ST": [0.5, 0.4], "ST_conf": [0.1, 0.1]})
    assert "clears" in sensitivity_finding(close, "sobol", "open_share")
    clear = pd.DataFrame({"parameter": ["a", "b"], "ST": [0.8, 0.1], "ST_conf": [0.1, 0.1]})
    assert sensitivity_finding(clear, "sobol", "open_share").endswith("most sensitive to a")
