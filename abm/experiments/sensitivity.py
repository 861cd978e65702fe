"""Sensitivity indices with SALib: Sobol' (S1, ST) and Morris (μ*, σ), with confidence intervals.

The runs are evaluated by the experiment runner (any executor); SALib only samples and analyses.
Each point's output is its outcome averaged over the point's replications.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abm.errors import ParameterError
from abm.experiments.sampling import problem

if TYPE_CHECKING:
    import pandas as pd

METHODS: tuple[str, ...] = ("sobol", "morris")


def point_outcomes(runs: pd.DataFrame, outcome: str, n_points: int) -> Any:
    """The outcome of each parameter point: the mean over its successful replications."""
    import numpy as np

    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[outcome].mean().reindex(range(n_points))
    missing = np.flatnonzero(means.isna().to_numpy())
    if missing.size:
        raise ParameterError(
            f"cannot analyse {outcome}: {missing.size} parameter points have no finite value "
            f"(first: point {int(missing[0])}); see runs.parquet"
        )
    return means.to_numpy(dtype=float)


def analyse(
    method: str,
    bounds: dict[str, tuple[float, float]],
    matrix: Any,
    outputs: Any,
    seed: int,
) -> pd.DataFrame:
    """Sensitivity indices of ``outputs`` (one per row of ``matrix``) to each parameter.

    Returns:
        One row per parameter: Sobol: ``S1, S1_conf, ST, ST_conf``; Morris: ``mu, mu_star,
        mu_star_conf, sigma`` (95 % confidence half-widths by bootstrap).
    """
    import numpy as np
    import pandas as pd

    spec = problem(bounds)
    seed = int(seed) % 2**32
    outputs = np.asarray(outputs, dtype=float)
    if method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(spec, outputs, calc_second_order=False, seed=seed)
        columns = ("S1", "S1_conf", "ST", "ST_conf")
    elif method == "morris":
        from SALib.analyze import morris

        result = morris.analyze(spec, np.asarray(matrix), outputs, num_levels=4, seed=seed)
        columns = ("mu", "mu_star", "mu_star_conf", "sigma")
    else:
        raise ParameterError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    table = pd.DataFrame({"parameter": spec["names"]})
    for column in columns:
        table[column] = np.asarray(result[column], dtype=float)
    return table
