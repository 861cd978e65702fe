"""Input checks shared by the library and the command line.

Every check raises :class:`ParameterError` with a one-line message that names the parameter,
the accepted range and the offending value, so the CLI can print it as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


class ParameterError(ValueError):
    """A parameter outside its accepted range; the message is one line, fit for a user."""


def _fmt(bound: float) -> str:
    if math.isinf(bound):
        return "inf" if bound > 0 else "-inf"
    return f"{bound:g}"


def describe_range(
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> str:
    """Return the interval in the usual notation, e.g. ``[0, 1]`` or ``(0, inf)``."""
    left = "(" if low_open or math.isinf(low) else "["
    right = ")" if high_open or math.isinf(high) else "]"
    return f"{left}{_fmt(low)}, {_fmt(high)}{right}"


def check_range(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ParameterError unless every element of ``value`` is finite and in the interval.

    Args:
        name: The parameter's user-facing name (as the CLI or the API spells it).
        value: A scalar or array-like.
        low: Lower bound.
        high: Upper bound.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.
    """
    import numpy as np  # here, not at the top: the CLI imports this module while parsing

    array = np.asarray(value, dtype=float)
    bad = ~np.isfinite(array)
    bad |= (array <= low) if low_open else (array < low)
    bad |= (array >= high) if high_open else (array > high)
    if np.any(bad):
        offending = array[bad].flat[0] if array.ndim else float(array)
        interval = describe_range(low, high, low_open=low_open, high_open=high_open)
        raise ParameterError(f"{name} must be in {interval}, got {offending:g}")


def check_choice(name: str, value: str, choices: Iterable[str]) -> None:
    """Raise ParameterError unless ``value`` is one of ``choices``."""
    options = list(choices)
    if value not in options:
        raise ParameterError(f"{name} must be one of {', '.join(options)}, got {value!r}")
