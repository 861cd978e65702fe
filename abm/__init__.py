"""Simulator of the economics of AI-model openness.

The layers go one way (docs/architecture.md): theory <- learning <- market <- scenarios <-
experiments <- front ends.

Packages:
    theory: closed-form baselines: the openness-regulation game (Model I), the open-vs-closed
        race (Model II), the open-sourcing decision against firm size (Model III).
    learning: learning rules (best response, fictitious play, logit, Q-learning, EWA,
        imitation, replicator) behind one interface, and the games harness.
    market: the agent-based market on Mesa (configuration, populations, clearing, regulator,
        observables, network) and the validation checks V0–V6.
    experiments: seeds, executors (serial, process pool, Dask), the experiment runner,
        sampling and sensitivity analysis.
    figures: every figure the project draws, in one style.
    evidence: Epoch AI's Notable AI Models (shipped, CC BY 4.0) as a tidy table and findings.
    stats: estimators of simulated data (the propensity curve).
    app: the interactive teaching app (extra ``app``).
    cli: the ``abm`` command line.

Modules:
    scenarios: scenario files (TOML) validated into a typed ``Scenario``.
    schema: the declarative parameter schema's building blocks (pydantic).
    options: argument types shared by the command line and the studies.
    errors: input checks and the one-line ``ParameterError``.
    io: atomic output files.
    manifest: the manifest every output folder carries.
    allocator: glibc's malloc thresholds for the market's large per-period tables.
    report: one self-contained HTML report of an output folder.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openness-abm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
