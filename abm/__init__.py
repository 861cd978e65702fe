"""Simulator of the economics of AI-model openness.

Core objects:
    abm.theory: closed-form baselines (openness-regulation game, race, open-sourcing).
    abm.cli: the ``abm`` command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openness-abm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
