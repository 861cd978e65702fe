"""Distributions of agents' parameters: constant, uniform, truncated normal, lognormal, list.

A :class:`Distribution` is plain data (a kind and a few numbers), so a scenario file can hold it.
``sample(rng, n, name)`` draws ``n`` values from the caller's numpy Generator and checks that the
parameter ``name`` can take them; every problem raises one :class:`ParameterError` naming the
parameter.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from abm.errors import ParameterError, check_choice, check_range
from abm.learning.streams import ReplicaStreams

Kind = Literal["constant", "uniform", "normal", "lognormal", "list"]
KINDS: tuple[str, ...] = typing.get_args(Kind)


@dataclass(frozen=True)
class Distribution:
    """Where a per-agent parameter comes from.

    Attributes:
        kind: ``"constant"`` (``value``), ``"uniform"`` on [low, high], ``"normal"`` with
            ``mean`` and ``sd`` truncated to [low, high] (bounds optional), ``"lognormal"``
            (the log is normal with ``mean`` and ``sd``; truncated to [low, high] if given), or
            ``"list"`` (``values``, one per agent).
        value: The constant.
        low: Lower bound (uniform: required; normal, lognormal: optional truncation).
        high: Upper bound.
        mean: Mean of the normal (of the log for lognormal).
        sd: Standard deviation of the normal (of the log for lognormal), > 0.
        values: Explicit values, one per agent.

    Examples:
        >>> import numpy as np
        >>> alpha0 = Distribution("uniform", low=0.05, high=3.0)
        >>> draws = alpha0.sample(np.random.default_rng(0), 4, "alpha0")
        >>> bool(((draws >= 0.05) & (draws <= 3.0)).all()), alpha0.support()
        (True, (0.05, 3.0))
        >>> Distribution("list", values=[0.5, 2.0]).sample(np.random.default_rng(0), 2, "alpha0")
        array([0.5, 2. ])
    """

    kind: Kind = "constant"
    value: float = 0.0
    low: float = -math.inf
    high: float = math.inf
    mean: float = 0.0
    sd: float = 1.0
    values: list[float] = field(default_factory=list)

    def check(self, name: str) -> None:
        """Raise ParameterError, naming ``name``, if the distribution is impossible."""
        check_choice(f"{name}.kind", self.kind, KINDS)
        if self.kind == "constant":
            check_range(name, self.value)
        elif self.kind == "uniform":
            check_range(f"{name}.low", self.low)
            check_range(f"{name}.high", self.high)
            if self.low > self.high:
                raise ParameterError(
                    f"{name}: uniform bounds must satisfy low <= high, got [{self.low:g}, "
                    f"{self.high:g}]"
                )
        elif self.kind in ("normal", "lognormal"):
            check_range(f"{name}.mean", self.mean)
            check_range(f"{name}.sd", self.sd, 0.0, low_open=True)
            if self.low >= self.high:
                raise ParameterError(
                    f"{name}: truncation bounds must satisfy low < high, got [{self.low:g}, "
                    f"{self.high:g}]"
                )
            from scipy.special import ndtr  # here: only truncated normals need scipy

            lower, upper = self._standard_bounds()
            if not ndtr(upper) - ndtr(lower) > 1e-12:
                raise ParameterError(
                    f"{name}: the {self.kind} distribution has no mass in [{self.low:g}, "
                    f"{self.high:g}]"
                )
        elif not self.values:
            raise ParameterError(f"{name}: a list distribution needs at least one value")
        else:
            check_range(name, np.asarray(self.values, dtype=float))

    def _standard_bounds(self) -> tuple[float, float]:
        low, high = self.low, self.high
        if self.kind == "lognormal":
            low = math.log(low) if low > 0 else -math.inf
            high = math.log(high) if high > 0 else -math.inf
        return (low - self.mean) / self.sd, (high - self.mean) / self.sd

    def support(self) -> tuple[float, float]:
        """The smallest interval holding every value the distribution can draw."""
        if self.kind == "constant":
            return self.value, self.value
        if self.kind == "list":
            return float(np.min(self.values)), float(np.max(self.values))
        if self.kind == "lognormal":
            return max(self.low, float(np.finfo(float).tiny)), self.high
        return self.low, self.high

    def sample(self, rng: np.random.Generator, n: int, name: str) -> NDArray[np.float64]:
        """Draw ``n`` values (a list distribution must hold exactly ``n``).

        Truncated normals are drawn by inverting the CDF on [Φ(a), Φ(b)], so every draw costs
        one uniform whatever the truncation.
        """
        self.check(name)
        if isinstance(rng, ReplicaStreams):  # stacked replications: each draws its own n
            per = n // rng.replications
            return np.concatenate([self.sample(one, per, name) for one in rng.generators])
        if self.kind == "constant":
            return np.full(n, float(self.value))
        if self.kind == "list":
            if len(self.values) != n:
                raise ParameterError(
                    f"{name}: a list distribution must hold one value per agent ({n}), "
                    f"got {len(self.values)}"
                )
            return np.asarray(self.values, dtype=float).copy()
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, n)
        from scipy.special import ndtr, ndtri

        lower, upper = self._standard_bounds()
        uniforms = rng.uniform(ndtr(lower), ndtr(upper), n)
        draws = self.mean + self.sd * ndtri(uniforms)
        draws = np.exp(draws) if self.kind == "lognormal" else draws
        return np.clip(draws, self.low, self.high)


def as_distribution(spec: Any, name: str) -> Distribution:
    """Turn a number, a list, a mapping or a Distribution into a :class:`Distribution`."""
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, bool) or spec is None:
        raise ParameterError(f"{name} must be a number, a list or a distribution, got {spec!r}")
    if isinstance(spec, int | float):
        return Distribution("constant", value=float(spec))
    if isinstance(spec, list | tuple | np.ndarray):
        return Distribution("list", values=[float(v) for v in spec])
    if isinstance(spec, dict):
        try:
            return Distribution(**spec)
        except TypeError as error:
            raise ParameterError(f"{name}: bad distribution {spec!r} ({error})") from None
    raise ParameterError(f"{name} must be a number, a list or a distribution, got {spec!r}")


def draw(
    spec: Any,
    rng: np.random.Generator,
    n: int,
    name: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
) -> NDArray[np.float64]:
    """Draw ``n`` values of parameter ``name`` and check they lie in its range.

    The support is checked before drawing, so a uniform on [-1, 1] for a positive parameter
    is refused whatever the draws.
    """
    distribution = as_distribution(spec, name)
    distribution.check(name)
    support_low, support_high = distribution.support()
    if (support_low <= low if low_open else support_low < low) or support_high > high:
        bracket = "(" if low_open else "["
        raise ParameterError(
            f"{name} must be in {bracket}{low:g}, {high:g}], but its {distribution.kind} "
            f"distribution reaches [{support_low:g}, {support_high:g}]"
        )
    values = distribution.sample(rng, n, name)
    check_range(name, values, low, high, low_open=low_open)
    return values
