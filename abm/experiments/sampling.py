"""Parameter points of an experiment: full-factorial grids and SALib samples (LHS, Sobol, Morris).

Points are dicts from a market path (``"regulator.penalty"``) to a value; integer fields get
integer values. Samplers are seeded from the experiment's master seed, so a sample is reproducible.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from abm.errors import ParameterError
from abm.scenarios import check_point_count, coerce_parameter

SAMPLERS: tuple[str, ...] = ("lhs", "sobol", "morris")


def grid_points(sweep: dict[str, tuple[float, ...]]) -> tuple[dict[str, Any], ...]:
    """Every combination of the sweep's values (the first parameter varies slowest)."""
    if not sweep:
        return ({},)
    check_point_count(math.prod(len(spec) for spec in sweep.values()), "the grid")
    values = [[coerce_parameter(path, value) for value in spec] for path, spec in sweep.items()]
    return tuple(dict(zip(sweep, combo, strict=True)) for combo in itertools.product(*values))


def problem(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem dict of the bounds."""
    return {
        "num_vars": len(bounds),
        "names": list(bounds),
        "bounds": [[float(low), float(high)] for low, high in bounds.values()],
    }


def sample_size(sampler: str, dimensions: int, samples: int) -> int:
    """Points (rows) of a sampler's design over ``dimensions`` parameters, before it is drawn."""
    factor = {"lhs": 1, "sobol": dimensions + 2, "morris": dimensions + 1}
    return samples * factor[sampler]


def sample_matrix(
    sampler: str,
    bounds: dict[str, tuple[float, float]],
    samples: int,
    seed: int,
    *,
    name: str = "samples",
) -> Any:
    """The sample matrix (one row per point) of a SALib sampler.

    Args:
        sampler: ``"lhs"`` (``samples`` points), ``"sobol"`` (Saltelli/Sobol' design without
            second-order terms: samples·(D + 2) points; ``samples`` a power of two) or
            ``"morris"`` (``samples`` trajectories of D + 1 points, 4 levels).
        bounds: Market path → (low, high).
        samples: The sampler's N.
        seed: Seed of the sampler.
        name: How errors name ``samples``: the option or key the user gave it by
            (``--samples``, ``--sample N``, ``experiment.samples``).
    """
    import numpy as np

    if sampler not in SAMPLERS:
        raise ParameterError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    if not bounds:
        raise ParameterError(
            f"the {sampler} sampler needs parameters: give --param NAME=LOW:HIGH or an "
            "[experiment.parameters] table"
        )
    spec = problem(bounds)
    check_point_count(
        sample_size(sampler, len(bounds), samples), f"{name} {samples} ({sampler} sample)"
    )
    seed = int(seed) % 2**32  # SALib passes the seed to numpy / scipy generators
    if sampler == "lhs":
        from SALib.sample import latin

        return latin.sample(spec, samples, seed=seed)
    if sampler == "sobol":
        if samples & (samples - 1):
            raise ParameterError(f"{name} must be a power of two for Sobol', got {samples}")
        from SALib.sample import sobol

        return sobol.sample(spec, samples, calc_second_order=False, seed=seed)
    if samples < 2:
        raise ParameterError(f"{name} (Morris trajectories) must be >= 2, got {samples}")
    from SALib.sample import morris

    return np.asarray(morris.sample(spec, samples, num_levels=4, seed=seed))


def sample_points(matrix: Any, names: list[str]) -> tuple[dict[str, Any], ...]:
    """Rows of a sample matrix as parameter points."""
    return tuple(
        {name: coerce_parameter(name, float(value)) for name, value in zip(names, row, strict=True)}
        for row in matrix
    )
