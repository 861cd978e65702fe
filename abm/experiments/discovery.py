"""Scenario discovery over a sweep's runs: which parameter boxes lead to an outcome.

As the EMA workbench does for policy questions, each run of a sweep (``runs.parquet``: one row
per run, its parameter values and its observables) is classified as a *case of interest* or
not, and a classification tree (CART, scikit-learn; the optional extra ``discover``) splits the
parameter space into boxes. A box is a leaf of the tree: bounds on each parameter, the runs that
fall in it, its *density* (the share of its runs that are cases) and its *coverage* (the share
of all cases that it holds). Boxes with a density of at least one half are the answer: "with
θ ≥ 0.5 and p ≥ 0.6 and α0 ≥ 2, model makers withdraw".

The cases (:func:`classify`):

* ``withdrawal``: at least ``threshold`` (default one half) of the model makers abstain.
* ``pareto``: both sides gain from the regulation, i.e. the generalists' and the specialists'
  utilities are both above those of the same market without regulation (the sweep's runs
  with ``regulator.penalty = 0`` or ``regulator.theta = 0`` at the same values of the other
  parameters, averaged over their replications).
* ``OBSERVABLE>=VALUE`` or ``OBSERVABLE<=VALUE``: any observable against a bound.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm.errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Named cases of interest (besides ``OBSERVABLE>=VALUE`` / ``OBSERVABLE<=VALUE``).
TARGETS = ("withdrawal", "pareto")
#: The policy parameters whose zero means "no regulation" (the Pareto reference).
POLICY = ("regulator.penalty", "regulator.theta")
#: Columns of runs.parquet that are neither parameters nor observables.
_BOOKKEEPING = ("run_id", "point", "replication", "seed", "status", "error")
#: A utility must beat its reference by more than this (relative) to count as a gain.
GAIN_TOLERANCE = 1e-6
_BOUND = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*(-?[0-9.eE+-]+)\s*$")


@dataclass(frozen=True)
class Discovery:
    """The boxes a classification tree finds, and the runs it was fitted on.

    Attributes:
        target: The case of interest, as asked.
        parameters: The parameters the boxes bound (the sweep's varied parameters).
        cases: One boolean per run: is it a case of interest?
        runs: The runs (their parameters and observables) that were classified.
        boxes: One row per leaf: ``box``, ``<parameter> low``/``high`` for each parameter,
            ``runs``, ``cases``, ``density``, ``coverage``; densest first.
        importance: Each parameter's importance in the tree (sums to 1 unless no split).
    """

    target: str
    parameters: list[str]
    cases: np.ndarray
    runs: pd.DataFrame
    boxes: pd.DataFrame
    importance: dict[str, float]

    def found(self, min_density: float = 0.5) -> pd.DataFrame:
        """The boxes where at least ``min_density`` of the runs are cases."""
        return self.boxes[(self.boxes["density"] >= min_density) & (self.boxes["cases"] > 0)]


def varied_parameters(runs: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep's runs that take more than one value."""
    from abm.experiments.simulate import observables

    measured = set(observables())
    return [
        column
        for column in runs.columns
        if column not in _BOOKKEEPING
        and column not in measured
        and runs[column].nunique(dropna=True) > 1
        and runs[column].dtype.kind in "fiub"
    ]


def _pareto(runs: pd.DataFrame, parameters: list[str]) -> np.ndarray:
    """Runs where both sides' utilities beat the unregulated market at the same other values."""
    import numpy as np

    policy = [name for name in POLICY if name in runs]
    if not policy:
        raise ParameterError(
            "target pareto needs a sweep over regulator.penalty or regulator.theta, got "
            f"parameters {', '.join(parameters) or 'none'}"
        )
    free = np.zeros(len(runs), bool)
    for name in policy:
        free |= runs[name].to_numpy(float) == 0.0
    if not free.any():
        raise ParameterError(
            "target pareto needs runs without regulation (regulator.penalty = 0 or "
            "regulator.theta = 0) in the sweep to compare with"
        )
    others = [name for name in parameters if name not in policy]
    utilities = ["utility_generalists", "utility_specialists"]
    if others:
        reference = runs[free].groupby(others)[utilities].mean()
        joined = runs[others].join(reference, on=others)
    else:
        mean = runs.loc[free, utilities].mean()
        joined = runs[[]].assign(**{name: mean[name] for name in utilities})
    if joined[utilities].isna().any().any():
        raise ParameterError(
            "target pareto needs, for every value of "
            f"{', '.join(others)}, runs without regulation to compare with (use a grid sweep "
            "that includes regulator.penalty = 0)"
        )
    gains = [
        runs[name].to_numpy(float)
        > joined[name].to_numpy(float) + GAIN_TOLERANCE * np.abs(joined[name].to_numpy(float))
        for name in utilities
    ]
    return gains[0] & gains[1] & ~free


def classify(
    runs: pd.DataFrame, target: str, parameters: list[str], threshold: float = 0.5
) -> np.ndarray:
    """One boolean per run: is it a case of ``target`` (see the module docstring)?"""
    import numpy as np

    if target == "withdrawal":
        if "share_abstain" not in runs:
            raise ParameterError("target withdrawal needs the observable share_abstain in runs")
        return runs["share_abstain"].to_numpy(float) >= threshold
    if target == "pareto":
        return _pareto(runs, parameters)
    match = _BOUND.match(target)
    if match is None:
        raise ParameterError(
            "--target must be withdrawal, pareto, or OBSERVABLE>=VALUE / OBSERVABLE<=VALUE, "
            f"got {target!r}"
        )
    name, operator, text = match.groups()
    if name not in runs:
        raise ParameterError(f"--target names {name!r}, which is not an observable of the runs")
    try:
        bound = float(text)
    except ValueError:
        raise ParameterError(f"--target bound must be a number, got {text!r}") from None
    values = runs[name].to_numpy(float)
    return np.asarray(values >= bound if operator == ">=" else values <= bound)


def _leaf_boxes(tree: Any, parameters: list[str], lows: Any, highs: Any) -> dict[int, dict]:
    """Each leaf's bounds per parameter (from the sweep's range where the tree sets none)."""
    structure = tree.tree_
    boxes: dict[int, dict] = {}

    def walk(node: int, bounds: dict[str, list[float]]) -> None:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            boxes[node] = {name: tuple(bound) for name, bound in bounds.items()}
            return
        name = parameters[structure.feature[node]]
        split = float(structure.threshold[node])
        below = {key: list(value) for key, value in bounds.items()}
        below[name][1] = min(below[name][1], split)
        above = {key: list(value) for key, value in bounds.items()}
        above[name][0] = max(above[name][0], split)
        walk(left, below)
        walk(right, above)

    walk(0, {name: [float(lows[name]), float(highs[name])] for name in parameters})
    return boxes


def discover(
    runs: pd.DataFrame,
    target: str,
    *,
    parameters: list[str] | None = None,
    threshold: float = 0.5,
    max_depth: int = 3,
    min_leaf: float = 0.05,
    seed: int = 0,
) -> Discovery:
    """Fit a classification tree to a sweep's runs and return its boxes.

    Args:
        runs: One row per run (``runs.parquet``; failed runs are dropped).
        target: ``withdrawal``, ``pareto``, or ``OBSERVABLE>=VALUE`` / ``OBSERVABLE<=VALUE``.
        parameters: The parameters to bound (default: every varied parameter of the sweep).
        threshold: For ``withdrawal``: the share of abstaining model makers that counts.
        max_depth: Depth of the tree (at most ``2 ** max_depth`` boxes).
        min_leaf: Smallest box, as a share of the runs (or one grid point's replications, if
            fewer).
        seed: Seed of the tree's tie-breaking.

    Raises:
        ParameterError: If the runs vary no parameter, the target cannot be evaluated, or
            scikit-learn (the extra ``discover``) is not installed.
    """
    import numpy as np
    import pandas as pd

    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise ParameterError(
            'scenario discovery needs scikit-learn; install the extra: pip install -e ".[discover]"'
        ) from None
    if "status" in runs:
        runs = runs[runs["status"] == "ok"]
    runs = runs.reset_index(drop=True)
    parameters = parameters or varied_parameters(runs)
    if not parameters:
        raise ParameterError(
            "DIR must hold a sweep (runs.parquet with varied parameters), got runs that vary "
            "no parameter"
        )
    cases = classify(runs, target, parameters, threshold)
    features = runs[parameters].to_numpy(float)
    # A box holds at least min_leaf of the runs, but one grid point (its replications) may
    # always be a box of its own: a small sweep's single point can be the whole answer.
    per_point = int(runs.groupby(parameters).size().min())
    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(1, min(math.ceil(min_leaf * len(runs)), per_point)),
        random_state=seed,
    )
    tree.fit(features, cases)
    leaves = tree.apply(features)
    lows, highs = runs[parameters].min(), runs[parameters].max()
    bounds = _leaf_boxes(tree, parameters, lows, highs)
    total = max(int(cases.sum()), 1)
    rows = []
    for leaf, limits in bounds.items():
        inside = leaves == leaf
        n, hits = int(inside.sum()), int(cases[inside].sum())
        row: dict[str, Any] = {}
        for name in parameters:
            row[f"{name} low"], row[f"{name} high"] = limits[name]
        row.update(
            {
                "runs": n,
                "cases": hits,
                "density": hits / n if n else float("nan"),
                "coverage": hits / total,
            }
        )
        rows.append(row)
    boxes = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False)
    boxes.insert(0, "box", np.arange(1, len(boxes) + 1))
    importance = dict(zip(parameters, map(float, tree.feature_importances_), strict=True))
    return Discovery(target, parameters, cases, runs, boxes.reset_index(drop=True), importance)


def read_runs(folder: str | Path) -> pd.DataFrame:
    """The runs of a sweep's output folder (raises ParameterError if it holds none)."""
    import pandas as pd

    path = Path(folder)
    if not path.is_dir():
        raise ParameterError(f"DIR must be an output folder, got {str(path)!r} (not a folder)")
    file = path / "runs.parquet"
    if not file.exists():
        raise ParameterError(
            f"DIR must hold a sweep's runs.parquet (abm sweep), got {str(path)!r} without one"
        )
    return pd.read_parquet(file)


def describe(box: pd.Series, parameters: list[str], full: dict[str, tuple[float, float]]) -> str:
    """A box in words: only the bounds that cut the sweep's range, e.g. ``θ ≥ 0.5, p ≤ 0.2``."""
    parts = []
    for name in parameters:
        low, high = box[f"{name} low"], box[f"{name} high"]
        cuts_low, cuts_high = low > full[name][0], high < full[name][1]
        if cuts_low and cuts_high:
            parts.append(f"{low:.3g} < {name} ≤ {high:.3g}")
        elif cuts_low:
            parts.append(f"{name} > {low:.3g}")
        elif cuts_high:
            parts.append(f"{name} ≤ {high:.3g}")
    return ", ".join(parts) or "everywhere"
