"""The open-sourcing decision and firm size (Model III).

A stand-in for Habibi (2025), of which only the abstract was available: the structure (opening
trades immediate licensing returns for faster technology growth; the propensity to open is an
inverted U in the owner's share of compatible applications) is the paper's, the functional form
is this project's own default (see ``docs/model.md``). An owner with share ``share`` = s of the
applications built on its model gains, by opening it,

    Δ(s) = γ·s·(1−s) − ℓ·(1−s) − κ

where γ (``growth_value``) is the value of ecosystem growth (outsiders, with share 1−s, improve
an open model and the owner captures the improvement through its own share s), ℓ
(``licensing``) the licensing margin forgone on outsiders and κ (``edge``) the performance edge
handed to rivals. It opens iff Δ(s) > 0; with noise, P(open) = 1/(1 + exp(−λ·Δ(s))) with
precision λ (``precision``).

The parameters are one frozen :class:`OpenSourcingGame` (as Model I's
:class:`abm.theory.openness_game.OpennessGame`), and every function takes it first. Every
function is vectorised: each field and ``share`` may be a scalar or an array (one entry per
firm, say) and results broadcast. Parameters are checked: shares in [0, 1], γ, ℓ, κ ≥ 0,
λ > 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abm.errors import check_range

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Defaults of the spec's anchor: γ = 1, ℓ = 0.2, κ = 0.05, λ = 20.
DEFAULT_GROWTH_VALUE = 1.0
DEFAULT_LICENSING = 0.2
DEFAULT_EDGE = 0.05
DEFAULT_PRECISION = 20.0


@dataclass(frozen=True)
class OpenSourcingGame:
    """Parameters of the open-sourcing decision; every field may be a scalar or an array.

    Attributes:
        growth_value: γ ≥ 0, value of the ecosystem growth an open model attracts.
        licensing: ℓ ≥ 0, licensing margin forgone on outsiders (share 1−s) by opening.
        edge: κ ≥ 0, value of the performance edge handed to rivals by opening.
        precision: λ > 0, precision of the logit propensity; as λ → ∞ the propensity tends
            to the indicator of Δ(s) > 0.
    """

    growth_value: ArrayLike = DEFAULT_GROWTH_VALUE
    licensing: ArrayLike = DEFAULT_LICENSING
    edge: ArrayLike = DEFAULT_EDGE
    precision: ArrayLike = DEFAULT_PRECISION

    def __post_init__(self) -> None:
        for field in fields(self):
            object.__setattr__(self, field.name, np.asarray(getattr(self, field.name), float))
        check_range("growth_value", self.growth_value, 0.0)
        check_range("licensing", self.licensing, 0.0)
        check_range("edge", self.edge, 0.0)
        check_range("precision", self.precision, 0.0, low_open=True)

    def replace(self, **changes: Any) -> OpenSourcingGame:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of all fields."""
        return np.broadcast_shapes(*(np.shape(getattr(self, f.name)) for f in fields(self)))


def _parameters(game: OpenSourcingGame) -> tuple[FloatArray, FloatArray, FloatArray]:
    # Typed views of γ, ℓ, κ (the game already holds validated float arrays).
    return (
        np.asarray(game.growth_value, float),
        np.asarray(game.licensing, float),
        np.asarray(game.edge, float),
    )


def _share(share: ArrayLike) -> FloatArray:
    shares = np.asarray(share, dtype=float)
    check_range("share", shares, 0.0, 1.0)
    return shares


def _discriminant(growth: FloatArray, margin: FloatArray, lead: FloatArray) -> FloatArray:
    # Δ(s) = −γs² + (γ+ℓ)s − (ℓ+κ); its discriminant, (γ+ℓ)² − 4γ(ℓ+κ).
    return (growth + margin) ** 2 - 4.0 * growth * (margin + lead)


def opening_gain(game: OpenSourcingGame, share: ArrayLike) -> FloatArray:
    """The owner's gain from opening its model, Δ(s) = γ·s·(1−s) − ℓ·(1−s) − κ.

    Args:
        game: The parameters γ, ℓ, κ (λ is not used).
        share: The owner's share s ∈ [0, 1] of the applications compatible with its model.

    Returns:
        Δ(s), broadcast over the share and γ, ℓ, κ.
    """
    shares = _share(share)
    growth, margin, lead = _parameters(game)
    return growth * shares * (1.0 - shares) - margin * (1.0 - shares) - lead


def opens(game: OpenSourcingGame, share: ArrayLike) -> BoolArray:
    """Whether a profit-maximising owner opens: Δ(s) > 0 (ties keep the model closed).

    Args:
        game: The parameters γ, ℓ, κ (λ is not used).
        share: The owner's share s ∈ [0, 1].

    Returns:
        Boolean array, broadcast over the share and γ, ℓ, κ.
    """
    return opening_gain(game, share) > 0.0


def open_probability(game: OpenSourcingGame, share: ArrayLike) -> FloatArray:
    """Logit propensity to open, P(open) = 1 / (1 + exp(−λ·Δ(s))).

    Args:
        game: The parameters γ, ℓ, κ and the precision λ.
        share: The owner's share s ∈ [0, 1].

    Returns:
        Probabilities in (0, 1), broadcast over the share and the game.
    """
    steepness = np.asarray(game.precision, float)
    gain = opening_gain(game, share)
    # exp of a large positive argument overflows harmlessly to inf (→ 0), but stay quiet.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-steepness * gain))


def open_interval(game: OpenSourcingGame) -> tuple[FloatArray, FloatArray]:
    """The open interval (s₋, s₊) of shares at which opening pays (Δ(s) > 0).

    s± = [(γ+ℓ) ± √((γ+ℓ)² − 4γ(ℓ+κ))] / (2γ). The lower root is computed as
    2(ℓ+κ) / [(γ+ℓ) + √D] (the same number, without cancellation when γ is small).

    Cases where opening never pays at any share in [0, 1], returned as NaN in both bounds:
    γ = 0 (Δ = −ℓ(1−s) − κ ≤ 0); a negative discriminant; a zero discriminant (Δ touches 0
    at its peak but is never positive); and ℓ ≥ γ, where the parabola peaks at s* ≥ 1 so
    both real roots (if any) lie at or above 1 — Δ(1) = −κ ≤ 0 and Δ rises on [0, 1]. Because
    Δ(0) = −(ℓ+κ) ≤ 0 and Δ(1) = −κ ≤ 0, an interval that does exist always lies inside
    [0, 1]; the roots are still clipped to [0, 1] to absorb rounding, and an interval that is
    empty after clipping is NaN.

    Args:
        game: The parameters γ, ℓ, κ (λ is not used).

    Returns:
        ``(lower, upper)`` arrays broadcast over γ, ℓ, κ, NaN where opening never pays.
    """
    growth, margin, lead = np.broadcast_arrays(*_parameters(game))
    discriminant = _discriminant(growth, margin, lead)
    # With ℓ, κ ≥ 0, Δ(0) ≤ 0 and Δ(1) ≤ 0, so Δ is positive somewhere in [0, 1] iff its peak
    # s* = (γ+ℓ)/(2γ) lies below 1 (ℓ < γ) and the peak value D/(4γ) is positive. Testing ℓ < γ
    # exactly avoids a spurious sliver below 1 when rounding puts the root s = 1 at 1 − 1e-16.
    pays = (growth > 0.0) & (margin < growth) & (discriminant > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(np.where(pays, discriminant, 1.0))
        upper = np.where(
            pays, (growth + margin + root) / (2.0 * np.where(pays, growth, 1.0)), np.nan
        )
        lower = np.where(pays, 2.0 * (margin + lead) / (growth + margin + root), np.nan)
    lower = np.clip(lower, 0.0, 1.0)
    upper = np.clip(upper, 0.0, 1.0)
    empty = ~(lower < upper)
    lower = np.where(empty, np.nan, lower)
    upper = np.where(empty, np.nan, upper)
    return lower, upper


def gain_peak(game: OpenSourcingGame) -> FloatArray:
    """The unconstrained peak of Δ, s* = (γ+ℓ)/(2γ) — the spec's s*; may exceed 1.

    s* ≥ 1/2 always, and s* > 1 exactly when ℓ > γ: then Δ rises over all of [0, 1]. For γ = 0
    the parabola degenerates to a line: s* is +inf when ℓ > 0 and NaN when ℓ = 0 (Δ constant).
    Use :func:`propensity_peak` for the most likely opener within [0, 1].

    Args:
        game: The parameters; only γ and ℓ matter.

    Returns:
        s*, broadcast over γ and ℓ.
    """
    growth, margin, _ = _parameters(game)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((growth + margin) / (2.0 * growth), dtype=float)


def propensity_peak(game: OpenSourcingGame) -> FloatArray:
    """The share in [0, 1] with the highest gain and propensity to open: clip(s*, 0, 1).

    P(open) is increasing in Δ, so both peak at the maximiser of Δ over [0, 1]: s* when
    ℓ ≤ γ, else 1 (Δ increasing on [0, 1]). NaN when γ = ℓ = 0 (Δ = −κ everywhere).

    Args:
        game: The parameters; only γ and ℓ matter.

    Returns:
        The peak share, broadcast over γ and ℓ.
    """
    return np.clip(gain_peak(game), 0.0, 1.0)


def peak_gain(game: OpenSourcingGame) -> FloatArray:
    """The largest gain from opening over shares in [0, 1], Δ at :func:`propensity_peak`.

    When ℓ ≤ γ (and γ > 0) this is Δ(s*) = (γ+ℓ)²/(4γ) − (ℓ+κ); when ℓ > γ it is Δ(1) = −κ;
    when γ = ℓ = 0 it is −κ (Δ is constant). Opening pays at some share iff this is > 0.

    Args:
        game: The parameters γ, ℓ, κ (λ is not used).

    Returns:
        max over s ∈ [0, 1] of Δ(s), broadcast over γ, ℓ, κ.
    """
    growth, margin, lead = _parameters(game)
    peak = propensity_peak(game)
    # Δ is constant in s when γ = ℓ = 0, so any share attains the maximum.
    peak = np.where(np.isnan(peak), 1.0, peak)
    return growth * peak * (1.0 - peak) - margin * (1.0 - peak) - lead


@dataclass(frozen=True)
class OpenSourcingDecision:
    """One owner's open-sourcing decision, as :func:`open_sourcing_decision` computes it.

    Every field is an array broadcast over the inputs (0-d for scalar inputs).

    Attributes:
        share: The owner's share s.
        gain: Δ(s), the gain from opening.
        opens: Δ(s) > 0.
        probability: The logit propensity to open at precision λ.
        interval_lower: s₋, NaN when opening never pays.
        interval_upper: s₊, NaN when opening never pays.
        peak: The share in [0, 1] with the highest propensity, clip(s*, 0, 1).
        peak_gain: Δ at that share.
    """

    share: FloatArray
    gain: FloatArray
    opens: BoolArray
    probability: FloatArray
    interval_lower: FloatArray
    interval_upper: FloatArray
    peak: FloatArray
    peak_gain: FloatArray


def open_sourcing_decision(game: OpenSourcingGame, share: ArrayLike) -> OpenSourcingDecision:
    """Everything Model III says about owners of the given shares and parameters.

    Args:
        game: The parameters γ, ℓ, κ, λ.
        share: The owner's share s ∈ [0, 1].

    Returns:
        An :class:`OpenSourcingDecision` whose fields broadcast over the share and the game.
    """
    shares = _share(share)
    shape = np.broadcast_shapes(shares.shape, game.shape)
    gain = opening_gain(game, shares)
    lower, upper = open_interval(game)
    return OpenSourcingDecision(
        share=np.broadcast_to(shares, shape).copy(),
        gain=np.broadcast_to(gain, shape).copy(),
        opens=np.broadcast_to(gain > 0.0, shape).copy(),
        probability=np.broadcast_to(open_probability(game, shares), shape).copy(),
        interval_lower=np.broadcast_to(lower, shape).copy(),
        interval_upper=np.broadcast_to(upper, shape).copy(),
        peak=np.broadcast_to(propensity_peak(game), shape).copy(),
        peak_gain=np.broadcast_to(peak_gain(game), shape).copy(),
    )


@dataclass(frozen=True)
class IntervalStatics:
    """Derivatives of the open interval, its width, the peak and the peak gain.

    Each ``<quantity>_per_<parameter>`` field is ∂quantity/∂parameter (γ = growth_value,
    ℓ = licensing, κ = edge), an array broadcast over the inputs. Interval derivatives are NaN
    where opening never pays; they grow without bound as the discriminant D falls to 0.

    Attributes:
        lower_per_licensing: ∂s₋/∂ℓ = (1−s₋)/√D ≥ 0.
        upper_per_licensing: ∂s₊/∂ℓ = −(1−s₊)/√D ≤ 0.
        width_per_licensing: ∂(s₊−s₋)/∂ℓ = −(γ−ℓ)/(γ√D) < 0 wherever the interval exists.
        lower_per_edge: ∂s₋/∂κ = 1/√D > 0.
        upper_per_edge: ∂s₊/∂κ = −1/√D < 0.
        width_per_edge: ∂(s₊−s₋)/∂κ = −2/√D < 0.
        lower_per_growth_value: ∂s₋/∂γ = −s₋(1−s₋)/√D ≤ 0.
        upper_per_growth_value: ∂s₊/∂γ = s₊(1−s₊)/√D ≥ 0.
        width_per_growth_value: ∂(s₊−s₋)/∂γ = [s₊(1−s₊) + s₋(1−s₋)]/√D ≥ 0.
        peak_per_licensing: ∂clip(s*)/∂ℓ = 1/(2γ) while s* < 1, else 0.
        peak_per_edge: ∂clip(s*)/∂κ = 0.
        peak_per_growth_value: ∂clip(s*)/∂γ = −ℓ/(2γ²) while s* < 1, else 0.
        peak_gain_per_licensing: −(1−ŝ) at the peak ŝ (envelope theorem) ≤ 0.
        peak_gain_per_edge: −1.
        peak_gain_per_growth_value: ŝ(1−ŝ) ≥ 0.
    """

    lower_per_licensing: FloatArray
    upper_per_licensing: FloatArray
    width_per_licensing: FloatArray
    lower_per_edge: FloatArray
    upper_per_edge: FloatArray
    width_per_edge: FloatArray
    lower_per_growth_value: FloatArray
    upper_per_growth_value: FloatArray
    width_per_growth_value: FloatArray
    peak_per_licensing: FloatArray
    peak_per_edge: FloatArray
    peak_per_growth_value: FloatArray
    peak_gain_per_licensing: FloatArray
    peak_gain_per_edge: FloatArray
    peak_gain_per_growth_value: FloatArray


def interval_statics(game: OpenSourcingGame) -> IntervalStatics:
    """Comparative statics of the interval, the peak and the peak gain, in closed form.

    By the implicit-function theorem at a root, ∂s±/∂x = −(∂Δ/∂x)/(∂Δ/∂s), with
    ∂Δ/∂s = (γ+ℓ) − 2γs = ∓√D at s±, ∂Δ/∂ℓ = −(1−s), ∂Δ/∂κ = −1 and ∂Δ/∂γ = s(1−s). So a
    larger performance edge (ℓ or κ) raises s₋ and lowers s₊: the interval shrinks from both
    ends, and a larger ecosystem value γ widens it.

    Args:
        game: The parameters γ, ℓ, κ (λ is not used).

    Returns:
        An :class:`IntervalStatics`.
    """
    growth, margin, lead = np.broadcast_arrays(*_parameters(game))
    lower, upper = open_interval(game)
    with np.errstate(divide="ignore", invalid="ignore"):
        # √D, NaN where the interval does not exist so that every interval derivative is NaN.
        root = np.where(
            np.isnan(lower), np.nan, np.sqrt(np.maximum(_discriminant(growth, margin, lead), 0.0))
        )
        inner = gain_peak(game) < 1.0
        peak = propensity_peak(game)
        peak = np.where(np.isnan(peak), 1.0, peak)
        return IntervalStatics(
            lower_per_licensing=(1.0 - lower) / root,
            upper_per_licensing=-(1.0 - upper) / root,
            width_per_licensing=-((1.0 - lower) + (1.0 - upper)) / root,
            lower_per_edge=1.0 / root,
            upper_per_edge=-1.0 / root,
            width_per_edge=-2.0 / root,
            lower_per_growth_value=-lower * (1.0 - lower) / root,
            upper_per_growth_value=upper * (1.0 - upper) / root,
            width_per_growth_value=(upper * (1.0 - upper) + lower * (1.0 - lower)) / root,
            peak_per_licensing=np.where(inner, 1.0 / (2.0 * growth), 0.0),
            peak_per_edge=np.zeros_like(peak),
            peak_per_growth_value=np.where(inner, -margin / (2.0 * growth**2), 0.0),
            peak_gain_per_licensing=-(1.0 - peak),
            peak_gain_per_edge=-np.ones_like(peak),
            peak_gain_per_growth_value=peak * (1.0 - peak),
        )


@dataclass(frozen=True)
class ProbabilityStatics:
    """Derivatives of P(open) at given shares; each is λ·P·(1−P)·∂Δ/∂x (∂P/∂λ = Δ·P·(1−P)).

    Attributes:
        per_share: ∂P/∂s = λP(1−P)·(γ(1−2s) + ℓ).
        per_licensing: ∂P/∂ℓ = −λP(1−P)·(1−s) ≤ 0.
        per_edge: ∂P/∂κ = −λP(1−P) < 0.
        per_growth_value: ∂P/∂γ = λP(1−P)·s(1−s) ≥ 0.
        per_precision: ∂P/∂λ = Δ·P(1−P), the sign of Δ.
    """

    per_share: FloatArray
    per_licensing: FloatArray
    per_edge: FloatArray
    per_growth_value: FloatArray
    per_precision: FloatArray


def probability_statics(game: OpenSourcingGame, share: ArrayLike) -> ProbabilityStatics:
    """Comparative statics of the logit propensity to open, in closed form.

    Args:
        game: The parameters γ, ℓ, κ, λ.
        share: The owner's share s ∈ [0, 1].

    Returns:
        A :class:`ProbabilityStatics` broadcast over the share and the game.
    """
    shares = _share(share)
    growth, margin, _ = _parameters(game)
    gain = opening_gain(game, shares)
    probability = open_probability(game, shares)
    slope = np.asarray(game.precision, float) * probability * (1.0 - probability)
    shape = np.broadcast_shapes(slope.shape, gain.shape)
    return ProbabilityStatics(
        per_share=np.broadcast_to(slope * (growth * (1.0 - 2.0 * shares) + margin), shape).copy(),
        per_licensing=np.broadcast_to(-slope * (1.0 - shares), shape).copy(),
        per_edge=np.broadcast_to(-slope, shape).copy(),
        per_growth_value=np.broadcast_to(slope * shares * (1.0 - shares), shape).copy(),
        per_precision=np.broadcast_to(gain * probability * (1.0 - probability), shape).copy(),
    )


def propensity_as_quadratic_logit(
    game: OpenSourcingGame,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The propensity's coefficients as a quadratic logit, logistic(b0 + b1·s + b2·s²).

    λΔ(s) = −λ(ℓ+κ) + λ(γ+ℓ)·s − λγ·s², so the model is exactly the family that
    :func:`abm.stats.propensity.fit_quadratic_logit` estimates: b0 = −λ(ℓ+κ),
    b1 = λ(γ+ℓ), b2 = −λγ, and the fitted peak −b1/(2b2) is s*.

    Args:
        game: The parameters γ, ℓ, κ, λ.

    Returns:
        ``(intercept, slope, curvature)`` = (b0, b1, b2), broadcast over the game's fields.
    """
    growth, margin, lead = _parameters(game)
    steepness = np.asarray(game.precision, float)
    return (
        np.asarray(-steepness * (margin + lead)),
        np.asarray(steepness * (growth + margin)),
        np.asarray(-steepness * growth),
    )


#: Shares on the grid of :func:`share_curves`: 0, 0.0025, …, 1.
SHARE_POINTS = 401


@dataclass(frozen=True)
class ShareCurves:
    """The gain from opening and the propensity to open against the share, for several edges.

    Attributes:
        growth_value: γ.
        licensing: ℓ.
        precision: λ.
        shares: The shares s, evenly from 0 to 1, shape (S,).
        edges: The performance edges κ, shape (E,).
        gain: Δ(s) for each edge (rows) and share (columns), shape (E, S).
        probability: P(open) likewise, shape (E, S).
        interval_lower: s₋ for each edge, NaN where opening never pays, shape (E,).
        interval_upper: s₊ likewise, shape (E,).
    """

    growth_value: float
    licensing: float
    precision: float
    shares: FloatArray
    edges: FloatArray
    gain: FloatArray
    probability: FloatArray
    interval_lower: FloatArray
    interval_upper: FloatArray


def share_curves(
    game: OpenSourcingGame, edges: ArrayLike, points: int = SHARE_POINTS
) -> ShareCurves:
    """Δ(s), P(open) and the open interval over a grid of shares, one curve per edge κ.

    The data of ``abm open-source --out`` and of its figure.

    Args:
        game: The parameters γ, ℓ, λ, each a scalar; its edge κ is replaced by ``edges``.
        edges: The performance edges κ ≥ 0 to compare, one curve each.
        points: Shares on the grid from 0 to 1 (both included).

    Returns:
        The curves.
    """
    lead = np.asarray(edges, dtype=float)
    shares = np.linspace(0.0, 1.0, points)
    grid_share, grid_edge = np.meshgrid(shares, lead, indexing="xy")
    lower, upper = open_interval(game.replace(edge=lead))
    grid = game.replace(edge=grid_edge)
    return ShareCurves(
        growth_value=float(game.growth_value),
        licensing=float(game.licensing),
        precision=float(game.precision),
        shares=shares,
        edges=lead,
        gain=opening_gain(grid, grid_share),
        probability=open_probability(grid, grid_share),
        interval_lower=lower,
        interval_upper=upper,
    )
