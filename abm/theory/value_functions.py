"""Value functions of Model II: what one customer-day of a model trained with compute x is worth.

A value function f is increasing and concave in compute. Two closed-form families are built in,
``log`` (f(x) = ln x) and ``power`` (f(x) = A·x^γ, 0 < γ < 1); any user callable can be wrapped
with :func:`custom_value`. Besides f itself, the race formulas need f′ (optimal spend), the
inverse of f (the switching threshold) and the inverse of f′ (the first-order conditions). The
built-in families give all of them in closed form; for a user callable the inverses are found
by a bracketed root (the only place a numerical solver is used).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import ParameterError, check_choice, check_range

FloatArray = NDArray[np.float64]
Curve = Callable[[FloatArray], ArrayLike]

#: Names accepted by :func:`resolve_value`.
VALUE_FAMILIES: tuple[str, ...] = ("log", "power")

# Bracket search for user callables: compute is searched in [1e-300, 1e300] by factors of 10.
_BRACKET_FACTOR = 10.0
_BRACKET_LIMIT = 1e300
_RTOL = 4 * np.finfo(float).eps  # the tightest relative tolerance brentq accepts


@dataclass(frozen=True)
class ValueFunction:
    """A value per customer-day as a function of training compute.

    Attributes:
        name: Short label used in tables and manifests (``"log"``, ``"power(A=1, γ=0.5)"``).
        value: f, vectorised over compute.
        marginal: f′, vectorised; needed only where spend is optimised.
        inverse: f⁻¹ in closed form, or None to invert f numerically.
        inverse_marginal: (f′)⁻¹ in closed form, or None to invert f′ numerically.
        zero_compute: Whether compute 0 is in the domain (power: yes, log: no).
    """

    name: str
    value: Curve
    marginal: Curve | None = None
    inverse: Curve | None = None
    inverse_marginal: Curve | None = None
    zero_compute: bool = False

    def __call__(self, compute: ArrayLike) -> FloatArray:
        """Value per customer-day f(compute)."""
        with np.errstate(divide="ignore"):
            return np.asarray(self.value(np.asarray(compute, dtype=float)), dtype=float)

    def slope(self, compute: ArrayLike) -> FloatArray:
        """Marginal value f′(compute).

        Raises:
            ParameterError: The value function was given without its derivative.
        """
        if self.marginal is None:
            raise ParameterError(
                f"value function {self.name!r} has no derivative; optimising spend needs one"
            )
        with np.errstate(divide="ignore"):
            return np.asarray(self.marginal(np.asarray(compute, dtype=float)), dtype=float)

    def compute_for_value(self, level: ArrayLike) -> FloatArray:
        """The compute whose value is ``level``: f⁻¹(level)."""
        level = np.asarray(level, dtype=float)
        if self.inverse is not None:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return np.asarray(self.inverse(level), dtype=float)
        return _invert(self.__call__, level, increasing=True)

    def compute_for_slope(self, slope: ArrayLike) -> FloatArray:
        """The compute whose marginal value is ``slope``: (f′)⁻¹(slope).

        A slope of +inf maps to compute 0 (nothing is worth training); a slope ≤ 0 maps to +inf.
        """
        slope = np.asarray(slope, dtype=float)
        if self.inverse_marginal is not None:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                compute = np.asarray(self.inverse_marginal(slope), dtype=float)
        else:
            self.slope(1.0)  # raises ParameterError when there is no derivative
            compute = _invert(self.slope, slope, increasing=False)
        return np.where(np.isposinf(slope), 0.0, np.where(slope <= 0, np.inf, compute))


def log_value() -> ValueFunction:
    """f(x) = ln x (the seed's example); f′ = 1/x, f⁻¹(v) = eᵛ, (f′)⁻¹(s) = 1/s."""
    return ValueFunction(
        name="log",
        value=np.log,
        marginal=lambda compute: 1.0 / compute,
        inverse=np.exp,
        inverse_marginal=lambda slope: 1.0 / slope,
        zero_compute=False,
    )


def power_value(scale: float = 1.0, exponent: float = 0.5) -> ValueFunction:
    """f(x) = A·x^γ with A > 0 and 0 < γ < 1 (concave, f(0) = 0).

    Args:
        scale: A, value per customer-day of one unit of compute.
        exponent: γ, the elasticity of value with respect to compute; must be in (0, 1).

    Returns:
        The value function with f′ = Aγx^(γ−1), f⁻¹(v) = (v/A)^(1/γ) and
        (f′)⁻¹(s) = (s/(Aγ))^(1/(γ−1)).
    """
    check_range("scale", scale, 0.0, math.inf, low_open=True)
    check_range("exponent", exponent, 0.0, 1.0, low_open=True, high_open=True)
    scale, exponent = float(scale), float(exponent)
    return ValueFunction(
        name=f"power(A={scale:g}, γ={exponent:g})",
        value=lambda compute: scale * compute**exponent,
        marginal=lambda compute: scale * exponent * compute ** (exponent - 1.0),
        inverse=lambda level: (level / scale) ** (1.0 / exponent),
        inverse_marginal=lambda slope: (slope / (scale * exponent)) ** (1.0 / (exponent - 1.0)),
        zero_compute=True,
    )


def custom_value(
    value: Callable[[FloatArray], ArrayLike],
    marginal: Callable[[FloatArray], ArrayLike] | None = None,
    *,
    name: str = "custom",
) -> ValueFunction:
    """Wrap a user's increasing, concave value function (and optionally its derivative).

    Both callables receive numpy arrays of compute > 0 and must return arrays of the same shape.
    Inverses are found by a bracketed root (Brent's method), element by element.

    Args:
        value: f.
        marginal: f′; required by the optimal-spend functions, optional elsewhere.
        name: Label for tables and manifests.

    Returns:
        The wrapped value function.
    """
    return ValueFunction(name=name, value=value, marginal=marginal)


def resolve_value(
    value: str | ValueFunction | Callable[[FloatArray], ArrayLike] | tuple[Callable, Callable],
) -> ValueFunction:
    """Turn what a user passes as ``value`` into a :class:`ValueFunction`.

    Args:
        value: ``"log"``, ``"power"`` (A = 1, γ = 0.5), a ValueFunction, a callable f, or a
            pair (f, f′).

    Returns:
        The value function.
    """
    if isinstance(value, ValueFunction):
        return value
    if isinstance(value, str):
        check_choice("value", value, VALUE_FAMILIES)
        return log_value() if value == "log" else power_value()
    if isinstance(value, tuple) and len(value) == 2 and all(callable(part) for part in value):
        return custom_value(value[0], value[1])
    if callable(value):
        return custom_value(value)
    raise ParameterError(
        f"value must be one of {', '.join(VALUE_FAMILIES)}, a callable or a pair (f, f′), "
        f"got {value!r}"
    )


def _invert(curve: Callable[[ArrayLike], FloatArray], targets: FloatArray, *, increasing: bool):
    """Solve curve(x) = target for x > 0, element by element, by a bracketed root."""

    def gap(compute: float, target: float) -> float:
        level = float(curve(compute))
        return level - target if increasing else target - level

    def solve(target: float) -> float:
        if not math.isfinite(target):
            return math.nan
        low = high = 1.0
        while gap(high, target) < 0 and high < _BRACKET_LIMIT:
            high *= _BRACKET_FACTOR
        while gap(low, target) > 0 and low > 1.0 / _BRACKET_LIMIT:
            low /= _BRACKET_FACTOR
        if gap(low, target) > 0 or gap(high, target) < 0:
            return math.nan
        if gap(low, target) == 0:
            return low
        from scipy.optimize import brentq  # here: the market imports this module, not brentq

        return float(brentq(gap, low, high, args=(target,), xtol=1e-300, rtol=_RTOL))

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.vectorize(solve, otypes=[float])(targets)
