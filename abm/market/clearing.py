"""Market clearing per niche: who sells, at what price, and what each product earns.

Pure, vectorised numpy: no agents, no learning and no analytical equilibrium of Models I–III.
A :class:`Clearing` takes this period's products (the niche each sells in and its value per
customer-day), the market size of each niche (customers × days) and the value of the free
open model (every customer's outside option), and clears every niche at once under one of
three demand rules:

``captive``
    Each product has its own customers. A derivative's customers have no alternative and pay
    its whole value (Model I: revenue = size · value); a closed model's customers can use the
    free open model instead, so it earns size · max(0, value − outside) (Model II's base case).
``limit_pricing``
    Identical customers (Model II): the best product in a niche, the free open model counting as
    a product at price 0, sells to every customer at its value minus the best alternative; all
    others sell nothing. Tied leaders price at zero.
``logit``
    Heterogeneous customers with multinomial-logit demand of precision 1/σ over the niche's
    products and the outside option. Every product is a single-product firm with zero marginal
    cost; prices are the Bertrand–Nash fixed point p_i = σ/(1 − s_i): each firm's best response
    is p_i = σ(1 + W(e^{z_i})), z_i = v_i/σ − 1 − ln D_{−i}, with W the Lambert function, and
    the fixed point is one root per niche in the log of the niche's logit aggregate.

Deviations (the forgone payoffs of the learning rules) come from the same clearing: one product
changes its value (or enters, or sees a different outside option), its rivals keep the prices
they set this period, and it re-prices to its best response. For the realised action this
reproduces the realised revenue exactly, because the realised prices are mutual best
responses. See ``docs/model.md`` ("Market clearing").
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

DEMAND_RULES: Final = ("captive", "limit_pricing", "logit")
_ITERATIONS: Final = 500
#: Relative change of a niche's log aggregate below which the logit prices have converged.
_TOLERANCE: Final = 1e-13
#: Iterations of the logit prices' plain safeguarded Newton (markets seen take at most 16);
#: after them a niche's Newton step must also halve its last step, or it bisects.
_NEWTON_ONLY: Final = 32
#: Elements per slice of :func:`lambert_of_exp`: its temporaries (256 KiB each) then stay in
#: cache (2¹⁵ was 4 % faster than 2¹⁴ on a 2-core EPYC, in stacked and in large markets).
_SLICE: Final = 1 << 15


def lambert_of_exp(z: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """W(e^z), the markup x = p/σ − 1 of a logit best response (x·e^x = e^z, x + ln x = z).

    On [−50, 40] (where a market's values lie): linear interpolation in a table of W on a grid
    of step h = 1/128 (relative error below h²/8·e^h < 8e-6, since d²W/dz² = W/(1 + W)³ ≤ W
    and W grows by at most e^h within a step), then one Halley step on f(w) = w + ln w − z,
    whose cubic convergence leaves rounding only: agrees with ``scipy.special.wrightomega`` to
    6e-15 (relative; the problem's own condition number is |z|/(1 + W), 50 at z = −50). One
    logarithm per value: half the cost of three Halley steps from a rough start
    (:func:`_lambert_halley`, which fills the table and serves z > 40). Below −50,
    W(e^z) = e^z − e^{2z} + O(e^{3z}), exact to double precision. Each value depends on its own
    z only, and the work runs in slices that stay in the processor's cache.

    Args:
        z: The exponents.
        out: A float array of ``z``'s shape to write W(e^z) into (``z`` itself allowed, when
            contiguous).
    """
    shape = np.shape(z)
    flat = np.asarray(z, dtype=float).ravel()
    if out is None:
        result = np.empty_like(flat)
    elif out.shape == shape and out.dtype == np.float64 and out.flags.c_contiguous:
        result = out.reshape(-1)  # (a view: the writes land in ``out``)
    else:
        raise ValueError("out must be a C-contiguous float64 array of z's shape")
    for begin in range(0, flat.size, _SLICE):
        _lambert_slice(flat[begin : begin + _SLICE], result[begin : begin + _SLICE])
    return result.reshape(shape)


def _lambert_slice(z: FloatArray, out: FloatArray) -> None:
    """:func:`lambert_of_exp` of one slice, written into ``out``.

    Where some value lies outside the table (rare), the table runs over every value clipped into
    its range (cheaper than gathering by a mask) and the few outside are then written over.
    """
    if z.min() >= _TABLE_LOW and z.max() <= _TABLE_HIGH:  # (a NaN fails both)
        _lambert_table(z, out)
        return
    # (read before ``out``, which may be ``z``, is written)
    rare = np.flatnonzero(~((z >= _TABLE_LOW) & (z <= _TABLE_HIGH)))
    outside = z[rare]
    small = np.exp(np.minimum(outside, _TABLE_LOW))
    outside = np.where(outside < _TABLE_LOW, small * (1.0 - small), _lambert_halley(outside))
    _lambert_table(np.fmin(np.fmax(z, _TABLE_LOW), _TABLE_HIGH), out)  # NaN → the low end
    out[rare] = outside


def _lambert_table(z: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """W(e^z) for z in [−50, 40]: the table's interpolation refined by one Halley step.

    Written with in-place operations on the slice's own temporaries (the arithmetic of
    ``w = T[k] + (position − k)·S[k]`` and of the Halley step below, operation for operation).
    """
    position = z - _TABLE_LOW
    position *= _TABLE_STEPS
    whole = np.trunc(position)
    index = whole.astype(np.intp)
    position -= whole  # the fraction of the step, exactly
    position *= _TABLE_SLOPE.take(index, mode="clip")  # (indices are in range: no check)
    w = _TABLE.take(index, mode="clip")
    w += position
    # Halley on f(w) = w + ln w − z (f′ = (1 + w)/w, f″ = −1/w²):
    # w − 2ff′/(2f′² − ff″) = w − f·w(1 + w)/((1 + w)² + f/2)
    residual = np.log(w)
    residual += w
    residual -= z
    up = w + 1.0
    step = residual * w
    step *= up
    up *= up
    residual *= 0.5
    up += residual
    step /= up
    return np.subtract(w, step, out=out)


def _lambert_halley(z: FloatArray) -> FloatArray:
    """W(e^z) by three Halley steps on y = ln x, h(y) = e^y + y − z (+inf gives +inf).

    From y = z − e^z (z < 1) or y = ln(z − ln z) (z ≥ 1): agrees with
    ``scipy.special.wrightomega`` to 4e-15 (relative) on [−20, 1e12], to |z|·1e-16 below.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lower = z < 1.0
        y = np.where(
            lower,
            z - np.exp(np.minimum(z, 1.0)),
            np.log(z - np.log(np.where(lower, 1.0, z))),
        )
        for _ in range(3):
            x = np.exp(y)
            h = x + y - z
            slope = x + 1.0
            y = y - h / (slope - 0.5 * h * x / slope)
    result = np.exp(y)
    result[z == np.inf] = np.inf
    return result


#: The table of :func:`_lambert_table`: W(e^z) at z = −50 + k/128 up to 40 (and one step on),
#: and the slope to the next entry (180 KiB together).
_TABLE_LOW: Final = -50.0
_TABLE_HIGH: Final = 40.0
_TABLE_STEPS: Final = 128
_TABLE: Final = _lambert_halley(
    _TABLE_LOW + np.arange(int((_TABLE_HIGH - _TABLE_LOW) * _TABLE_STEPS) + 2) / _TABLE_STEPS
)
_TABLE_SLOPE: Final = np.diff(_TABLE)


def combine_in_place(operation: np.ufunc, first: Any, second: Any, *, into: Any = None) -> Any:
    """``operation(first, second)``, written into ``into`` (default ``first``) where it can be.

    ``into`` must be a temporary of the caller's: where it is a large float array of the
    result's shape the result overwrites it (a forgone table's arrays are megabytes, and are then
    not allocated again); elsewhere (small arrays, other shapes) the result is a new array. The
    same arithmetic either way.
    """
    target = first if into is None else into
    if isinstance(target, np.ndarray) and target.size >= _IN_PLACE_SIZE:
        try:
            return operation(first, second, out=target)
        except (ValueError, TypeError):  # another shape or dtype: a new array
            pass
    return operation(first, second)


#: Elements from which :func:`combine_in_place` writes into a temporary (below, a new array
#: costs no more than the check).
_IN_PLACE_SIZE: Final = 4096


def _group_logsumexp(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Log Σ exp(values) within each group (−inf for an empty group)."""
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, values)
    safe = np.where(np.isfinite(top), top, 0.0)
    total = np.bincount(group, weights=np.exp(values - safe[group]), minlength=n_groups)
    with np.errstate(divide="ignore"):
        return safe + np.log(total)


def _logsumexp_of_others(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """For each element, log Σ exp over the other elements of its group (−inf if alone).

    Subtracting an element from its group's total loses precision only when the element
    dominates the group (share above one half); at most one element per group can, and for it
    the sum is recomputed without it.
    """
    total = _group_logsumexp(group, values, n_groups)
    own = np.exp(values - total[group]) if values.size else values
    with np.errstate(divide="ignore", invalid="ignore"):
        others = total[group] + np.log1p(-np.minimum(own, 1.0))
    dominant = own > 0.5
    if dominant.any():
        rest = _group_logsumexp(group, np.where(dominant, -np.inf, values), n_groups)
        others = np.where(dominant, rest[group], others)
    return others


def log_markup_at(target: FloatArray) -> FloatArray:
    """The log-markup y = ln x solving x + ln x − ln(1 + x) = t (a logit firm's, given L).

    On [−50, 40] (where a market's targets lie): linear interpolation in a table of y(t) on a
    grid of step h = 1/128, then one Halley step on h(y) = e^y + y − ln(1 + e^y) − t, which
    cubes the table's error. That error is below h²/8 · max|y″| ≤ h²/8 < 8e-6 (absolute in y,
    so relative in x): y″ = −h″/h′³ with h′ = x + 1/(1 + x) ≥ 1 and 0 ≤ h″ = x(1 − 1/(1 + x)²)
    ≤ h′. Below −50, y = t − x²/2 = t to double precision; above 40 (and for NaN), Newton from
    the bound x ≤ (t + √(t² + 4))/2 (:func:`_markup_newton`, which fills the table). Each
    result depends on its own target only, so stacked replications clear bit for bit as alone.
    """
    clipped = np.fmin(np.fmax(target, _TABLE_LOW), _TABLE_HIGH)  # NaN → the low end
    position = (clipped - _TABLE_LOW) * _TABLE_STEPS
    index = position.astype(np.intp)
    y = _MARKUP_TABLE[index] + (position - index) * _MARKUP_SLOPE[index]
    # Halley: y − h/(h′ − h·h″/(2h′)), h′ = x + 1/(1 + x), h″ = x(1 − 1/(1 + x)²)
    x = np.exp(y)
    inverse = 1.0 / (1.0 + x)
    residual = x + y - np.log1p(x) - clipped
    slope = x + inverse
    y -= residual / (slope - 0.5 * residual * x * (1.0 - inverse * inverse) / slope)
    if target.size and (target.min() < _TABLE_LOW or not target.max() <= _TABLE_HIGH):
        below = target < _TABLE_LOW
        y[below] = target[below]
        above = ~(below | (target <= _TABLE_HIGH))  # above the table, or NaN
        y[above] = _markup_newton(target[above])
    return y


def _markup_newton(target: FloatArray) -> FloatArray:
    """:func:`log_markup_at` by Newton from the bound x ≤ (t + √(t² + 4))/2.

    h(y) = e^y + y − ln(1 + e^y) − t is increasing and convex (h′ = e^y + 1/(1 + e^y) ≥ 1):
    Newton falls monotonically onto the root from its right. The bound (from
    ln(x/(1 + x)) ≥ −1/x) lies right of the root; every iterate is capped at it. Each element
    stops at its own convergence (a step below 1e-15 relative); the ones still moving are
    carried on in a compacted array.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # +inf and NaN targets give NaN
        root = np.sqrt(target * target + 4.0)
        cap = np.log(
            np.where(target > 0.0, 0.5 * (target + root), 2.0 / (root - np.minimum(target, 0.0)))
        )
        y = cap.copy()
        rows = np.arange(y.size)
        current = y
        for _ in range(_ITERATIONS):
            x = np.exp(current)
            step = (x + current - np.log1p(x) - target) / (x + 1.0 / (1.0 + x))
            current = np.minimum(current - step, cap)
            moving = abs(step) > 1e-15 * (1.0 + abs(current))
            y[rows] = current
            if not moving.any():
                break
            if not moving.all():
                rows, current = rows[moving], current[moving]
                target, cap = target[moving], cap[moving]
    return y


#: The table of :func:`log_markup_at`: y(t) on W's grid, and the slope to the next entry.
_MARKUP_TABLE: Final = _markup_newton(_TABLE_LOW + np.arange(_TABLE.size) / _TABLE_STEPS)
_MARKUP_SLOPE: Final = np.diff(_MARKUP_TABLE)


def _logit_equilibrium(
    niche: IntArray,
    quality: FloatArray,
    outside_utility: FloatArray,
    n_niches: int,
    start: FloatArray | None,
) -> FloatArray:
    """Bertrand–Nash prices (in units of σ) of single-product firms under logit demand.

    A one-dimensional root per niche, in the log of the niche's aggregate L = ln(e^{u₀} + Σ e^{uⱼ}):
    given L, firm j's first-order condition fixes its markup x = p/σ − 1 by
    x + ln x − ln(1 + x) = qⱼ − L (qⱼ = vⱼ/σ − 1) and its share s = x/(1 + x), so the niche
    clears where F(L) = Σⱼ sⱼ(L) + e^{u₀ − L} − 1 = 0. F falls in L, F(u₀) > 0 and
    F(ln(e^{u₀} + Σ e^{qⱼ})) < 0: Newton (in e^{−L}), bisecting whenever a step leaves the
    bracket, each niche until its L moves by less than 1e-13 (relative). The two Newtons (in
    e^{−L} below the root, in L above it) can overshoot each other into a cycle that stays in
    the bracket and shrinks it only slowly; after :data:`_NEWTON_ONLY` iterations a niche
    therefore also bisects whenever its Newton step is not below half its previous step (the
    rule of Numerical Recipes' ``rtsafe``), which halves the bracket at least every second
    iteration. A niche's iterates depend on its own numbers only, so stacked niches clear as
    each alone.

    Args:
        niche: Niche of each product.
        quality: qⱼ = vⱼ/σ − 1 per product.
        outside_utility: u₀ = v_open/σ per niche.
        n_niches: Number of niches.
        start: Last period's prices in units of σ (NaN: none), or None.

    Returns:
        pⱼ/σ = 1 + xⱼ per product.
    """
    if quality.size == 0:
        return np.ones(0)
    low = outside_utility.copy()
    high = np.logaddexp(outside_utility, _group_logsumexp(niche, quality, n_niches))
    if start is not None and np.isfinite(start).any():
        # last period's aggregate, from last period's prices (new products at x = 0)
        price = np.where(np.isfinite(start), start, 1.0)
        level = np.logaddexp(
            outside_utility, _group_logsumexp(niche, quality + 1.0 - price, n_niches)
        )
    else:
        level = 0.5 * (low + high)
    level = np.clip(level, low, high)
    active = np.ones(n_niches, dtype=bool)
    everyone = np.arange(niche.size)
    previous = np.full(n_niches, np.inf)  # each niche's last step, in L
    # one error state for the loop (entering it costs as much as a small array's arithmetic)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for iteration in range(_ITERATIONS):
            # only the niches that have not converged are solved again
            members = everyone if active.all() else np.flatnonzero(active[niche])
            group = niche[members]
            markup = np.exp(log_markup_at(quality[members] - level[group]))
            share = markup / (1.0 + markup)
            outside_share = np.exp(outside_utility - level)
            excess = np.bincount(group, weights=share, minlength=n_niches) + outside_share - 1.0
            # dF/dL: dsⱼ/dL = −x/((1 + x)(x(1 + x) + 1)), d e^{u₀ − L}/dL = −e^{u₀ − L}
            slope = (
                -np.bincount(
                    group,
                    weights=markup / ((1.0 + markup) * (markup * (1.0 + markup) + 1.0)),
                    minlength=n_niches,
                )
                - outside_share
            )
            low = np.where(active & (excess > 0.0), level, low)
            high = np.where(active & (excess < 0.0), level, high)
            # Below the root (F > 0) Newton in w = e^{−L}, in which F is linear while every
            # share is small (sⱼ ≈ e^{qⱼ}·w), so such a niche clears at once; above it (F < 0)
            # Newton in L, which a dominant product's share 1 − 1/(qⱼ − L) suits; out of the
            # bracket: bisection
            ratio = excess / slope
            newton = level - np.where(excess > 0.0, np.log1p(ratio), ratio)
            inside = (newton >= low) & (newton <= high)
            if iteration >= _NEWTON_ONLY:  # a cycle: Newton must halve its last step
                inside &= np.abs(newton - level) < 0.5 * previous
            updated = np.where(inside, newton, 0.5 * (low + high))
            updated = np.where(active & (excess != 0.0), updated, level)
            step = np.abs(updated - level)
            converged = step <= _TOLERANCE * (1.0 + np.abs(level))
            previous = step
            level = updated
            active &= ~converged
            if not active.any():
                break
        else:  # bisection alone would have converged long before: a bug, not a hard market
            raise RuntimeError(f"logit prices did not converge in {_ITERATIONS} iterations")
    return 1.0 + np.exp(log_markup_at(quality - level[niche]))


class Valuations(NamedTuple):
    """What heterogeneous customers of one niche pay and keep under limit pricing, per niche.

    Customer i values every product at vᵢ times its value; the leader, whose premium over the
    best alternative is Δ, sells at one price to the customers who value Δ most (``uniform``),
    or charges each vᵢ·Δ (``discriminate``). All four are customer-days (× the period's days).

    Attributes:
        capture: Revenue per unit of premium: uniform max_k k·v₍ₖ₎ (scales sorted down),
            discriminate Σ vᵢ.
        buyers: Customer-days served: k* (the maximiser) or all customers.
        valuation: Σ vᵢ, what every customer gets from the best alternative per unit of value.
        buyer_valuation: Σ of the buyers' scales, what they get per unit of premium.
    """

    capture: FloatArray
    buyers: FloatArray
    valuation: FloatArray
    buyer_valuation: FloatArray


def niche_valuations(scales: list[FloatArray], pricing: str, days: float) -> Valuations:
    """The :class:`Valuations` of niches whose customers have valuation ``scales`` (one array each).

    Args:
        scales: Per niche, every customer's valuation scale vᵢ ≥ 0.
        pricing: ``"uniform"`` or ``"discriminate"``.
        days: Days per period.

    Returns:
        The per-niche summaries, in customer-days.
    """
    capture, buyers, valuation, buyer_valuation = [], [], [], []
    for values in scales:
        descending = -np.sort(-np.asarray(values, dtype=float))
        total = float(descending.sum())
        if pricing == "discriminate" or descending.size == 0:
            capture.append(total)
            buyers.append(float(descending.size))
            buyer_valuation.append(total)
        else:
            # price v₍ₖ₎·Δ sells to the k customers who value the premium most
            revenue = descending * np.arange(1, descending.size + 1)
            best = int(np.argmax(revenue))
            capture.append(float(revenue[best]))
            buyers.append(float(best + 1))
            buyer_valuation.append(float(descending[: best + 1].sum()))
        valuation.append(total)
    return Valuations(
        *(
            np.asarray(column, dtype=float) * days
            for column in (capture, buyers, valuation, buyer_valuation)
        )
    )


class Clearing:
    """One period's clearing of every niche, and the revenue of one-product deviations.

    Args:
        rule: One of :data:`DEMAND_RULES`.
        niche: Niche of each product, shape ``(P,)``.
        value: Value per customer-day of each product, shape ``(P,)``.
        captive_outside: Whether each product's customers have the free open model as an
            alternative under ``captive`` demand (closed models: yes; derivatives: no), shape
            ``(P,)``; ignored by the other rules.
        size: Customers × days of each niche, shape ``(N,)``.
        outside: Value per customer-day of the free open model in each niche, shape ``(N,)``.
        precision: Logit precision 1/σ > 0 (``logit`` only).
        initial_price: Where the logit price iteration starts, per product (NaN or None: σ);
            last period's prices make it converge in a few iterations.
        valuations: Heterogeneous customers under ``limit_pricing`` (None: every customer
            values products alike, so the leader sells to all at its premium).
        fixed_price: ``logit`` only: a price per product that the product charges whatever
            the others do (a closed firm's learned price), NaN where the product sets its
            Bertrand–Nash best response; None (or all NaN): every product best-responds.
            The best responders then solve their fixed point against the fixed prices, which
            count as part of the outside option.

    Attributes:
        price, share, revenue: Per product (share of the niche's customers).
        consumer_surplus: Per niche, in value units (logit: σ·ln Σ e^{u}, the expected value of
            the best option including the outside one; limit pricing: what customers keep,
            size × the best alternative; captive: 0, derivatives' customers pay their value).
    """

    def __init__(
        self,
        rule: str,
        niche: IntArray,
        value: FloatArray,
        captive_outside: NDArray[np.bool_],
        size: FloatArray,
        outside: FloatArray,
        precision: float = 1.0,
        initial_price: FloatArray | None = None,
        valuations: Valuations | None = None,
        fixed_price: FloatArray | None = None,
    ) -> None:
        self.rule = rule
        self.niche = np.asarray(niche, dtype=np.intp)
        self.value = np.asarray(value, dtype=float)
        self.captive_outside = np.asarray(captive_outside, dtype=bool)
        self.size = np.asarray(size, dtype=float)
        self.outside = np.asarray(outside, dtype=float)
        self.n_niches = self.size.shape[0]
        self.scale = 1.0 / float(precision)
        self._initial_price = initial_price
        self.valuations = valuations or Valuations(self.size, self.size, self.size, self.size)
        self.fixed = None
        if fixed_price is not None and np.isfinite(fixed_price).any():
            if rule != "logit":
                raise ValueError("fixed prices need logit demand")
            self.fixed = np.isfinite(fixed_price)
            self.fixed_price = np.asarray(fixed_price, dtype=float)
            self._clear_logit_fixed()
            return
        getattr(self, f"_clear_{rule}")()

    # --- realised clearing -------------------------------------------------------------------

    def _clear_captive(self) -> None:
        outside = np.where(self.captive_outside, self.outside[self.niche], 0.0)
        self.price = np.maximum(self.value - outside, 0.0)
        self.share = np.ones_like(self.value)
        self.revenue = self.size[self.niche] * self.price
        self.consumer_surplus = np.zeros(self.n_niches)

    def _clear_limit_pricing(self) -> None:
        niche, value, n = self.niche, self.value, self.n_niches
        order = np.lexsort((-value, niche))  # by niche, best first
        ordered = niche[order]
        first = np.ones(value.size, dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        best = np.full(n, -np.inf)
        second = np.full(n, -np.inf)
        best[ordered[first]] = value[order][first]
        np.maximum.at(second, ordered[~first], value[order][~first])
        self.niche_best = best
        # the best rival of each product: the niche's best unless the product is that best
        # (a tied leader's rival is the other leader, since ``second`` then equals ``best``)
        self.rival_best = np.where(value >= best[niche], second[niche], best[niche])
        alternative = np.maximum(self.rival_best, self.outside[niche])
        demand = self.valuations
        # the premium per unit of valuation; its price is the premium (identical customers)
        # or the uniform price's share of it; it sells to the buyers
        self.premium = np.maximum(value - alternative, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_buyer = np.where(demand.buyers > 0.0, demand.capture / demand.buyers, 0.0)
            self.share = np.where(
                self.premium > 0.0,
                np.where(self.size > 0.0, demand.buyers / self.size, 0.0)[niche],
                0.0,
            )
        self.price = self.premium * per_buyer[niche]
        self.revenue = demand.capture[niche] * self.premium
        # every customer keeps the best alternative to the leader (the outside option if it
        # leads); the buyers also keep what they value the premium at above its price
        leader = np.maximum(best - np.maximum(second, self.outside), 0.0)
        leader = np.where(np.isfinite(leader), leader, 0.0)
        self.consumer_surplus = (
            demand.valuation * np.maximum(second, self.outside)
            + (demand.buyer_valuation - demand.capture) * leader
        )

    def _clear_logit(self) -> None:
        niche, value, n, scale = self.niche, self.value, self.n_niches, self.scale
        outside_utility = self.outside / scale
        price = _logit_equilibrium(niche, value / scale - 1.0, outside_utility, n, self._start())
        self.price = scale * price
        utility = (value - self.price) / scale
        self.rival_log = _logsumexp_of_others(niche, utility, n)
        self.niche_log = _group_logsumexp(niche, utility, n)
        log_d = np.logaddexp(self.rival_log, outside_utility[niche])
        markup = lambert_of_exp(value / scale - 1.0 - log_d)  # = E/D = s/(1 − s)
        self.share = markup / (1.0 + markup)
        self.revenue = self.size[niche] * scale * markup
        everything = np.logaddexp(self.niche_log, outside_utility)
        self.consumer_surplus = self.size * scale * everything

    def _clear_logit_fixed(self) -> None:
        """Logit clearing when some products charge fixed prices and the others best-respond.

        The fixed-price products' e^{(v − p)/σ} join the outside option of their niche; the
        best responders' Bertrand–Nash fixed point is solved against that aggregate (the same
        solver), and every product's share is its logit choice probability.
        """
        niche, value, n, scale = self.niche, self.value, self.n_niches, self.scale
        fixed = self.fixed
        assert fixed is not None
        free = np.flatnonzero(~fixed)
        outside_utility = self.outside / scale
        fixed_utility = (value[fixed] - self.fixed_price[fixed]) / scale
        held = np.logaddexp(
            outside_utility, _group_logsumexp(niche[fixed], fixed_utility, n)
        )  # the outside option plus the fixed-price products
        start = self._start()
        free_price = _logit_equilibrium(
            niche[free],
            value[free] / scale - 1.0,
            held,
            n,
            None if start is None else start[free],
        )
        self.price = self.fixed_price.copy()
        self.price[free] = scale * free_price
        utility = (value - self.price) / scale
        self.rival_log = _logsumexp_of_others(niche, utility, n)
        self.niche_log = _group_logsumexp(niche, utility, n)
        everything = np.logaddexp(self.niche_log, outside_utility)
        self.share = np.exp(utility - everything[niche])
        self.revenue = self.size[niche] * self.price * self.share
        # the best responders' shares and revenues as the realised clearing computes them
        log_d = np.logaddexp(self.rival_log[free], outside_utility[niche[free]])
        markup = lambert_of_exp(value[free] / scale - 1.0 - log_d)
        self.share[free] = markup / (1.0 + markup)
        self.revenue[free] = self.size[niche[free]] * scale * markup
        self.consumer_surplus = self.size * scale * everything

    def _start(self) -> FloatArray | None:
        """Last period's prices in units of σ where usable (NaN elsewhere), or None."""
        if self._initial_price is None:
            return None
        start = np.asarray(self._initial_price, dtype=float) / self.scale
        return np.where(np.isfinite(start) & (start > 1.0), start, np.nan)

    # --- deviations --------------------------------------------------------------------------

    def deviation_revenue(
        self,
        niche: IntArray,
        value: FloatArray,
        product: IntArray,
        outside: FloatArray | None = None,
        captive_outside: NDArray[np.bool_] | bool = False,
    ) -> FloatArray:
        """Revenue of one product placed in ``niche`` at ``value``, all else as cleared.

        Args:
            niche: Niche of the deviating product (broadcastable with ``value``).
            value: Its value per customer-day.
            product: Index of the product it replaces (its own current product), or −1 when it
                enters a niche it does not sell in now.
            outside: Value of the outside option it faces (default: the niche's).
            captive_outside: Under ``captive``, whether its customers have the outside option.

        Returns:
            Revenue per period, broadcast shape of the inputs.
        """
        return self._deviation(niche, value, product, outside, captive_outside, with_sales=False)[0]

    def price_deviation_revenue(self, product: IntArray, prices: FloatArray) -> FloatArray:
        """Revenue of each ``product`` at each of ``prices``, every other price as cleared.

        ``logit`` only: product i at price p sells to size × e^{u}/(e^{u} + D₋ᵢ), u = (vᵢ − p)/σ
        and D₋ᵢ its rivals' and the outside option's aggregate. Shape ``(len(product),
        len(prices))``; at the price it charged, its realised revenue.
        """
        product = np.asarray(product, dtype=np.intp)
        niche = self.niche[product]
        log_d = np.logaddexp(self.rival_log[product], self.outside[niche] / self.scale)
        utility = (self.value[product][:, None] - np.asarray(prices)[None, :]) / self.scale
        share = 1.0 / (1.0 + np.exp(log_d[:, None] - utility))
        return self.size[niche][:, None] * np.asarray(prices)[None, :] * share

    def deviation_sales(
        self,
        niche: IntArray,
        value: FloatArray,
        product: IntArray,
        outside: FloatArray | None = None,
        captive_outside: NDArray[np.bool_] | bool = False,
    ) -> FloatArray:
        """Customer-days one deviating product serves, as in :meth:`deviation_revenue`.

        ``captive``: its whole niche (size); ``limit_pricing``: the niche when it leads (its
        price is positive), else none; ``logit``: size × its share x/(1 + x) at its best
        response. At the action played this is the realised ``share`` × size.
        """
        return self._deviation(niche, value, product, outside, captive_outside)[1]

    def _deviation(
        self,
        niche: IntArray,
        value: FloatArray,
        product: IntArray,
        outside: FloatArray | None,
        captive_outside: NDArray[np.bool_] | bool,
        with_sales: bool = True,
    ) -> tuple[FloatArray, FloatArray | None]:
        """(revenue, customer-days served) of one deviating product.

        Served is None unless ``with_sales`` (revenue alone spares the forgone tables a pass).
        """
        niche = np.asarray(niche, dtype=np.intp)
        product = np.asarray(product, dtype=np.intp)
        value = np.asarray(value, dtype=float)
        outside = self.outside[niche] if outside is None else np.asarray(outside, dtype=float)
        size = self.size[niche]
        if self.rule == "captive":
            revenue = size * np.maximum(value - np.where(captive_outside, outside, 0.0), 0.0)
            return revenue, np.broadcast_to(size, revenue.shape).copy() if with_sales else None
        entering = product < 0
        safe = np.where(entering, 0, product)
        if self.rule == "limit_pricing":
            rival = (
                self.niche_best[niche]
                if self.value.size == 0
                else np.where(entering, self.niche_best[niche], self.rival_best[safe])
            )
            margin = value - np.maximum(rival, outside)
            demand = self.valuations
            return (
                demand.capture[niche] * np.maximum(margin, 0.0),
                demand.buyers[niche] * (margin > 0.0),
            )
        scale = self.scale
        rivals = (
            self.niche_log[niche]
            if self.value.size == 0
            else np.where(entering, self.niche_log[niche], self.rival_log[safe])
        )
        log_d = np.logaddexp(rivals, outside / scale)
        argument = combine_in_place(np.subtract, value / scale, 1.0)
        argument = combine_in_place(np.subtract, argument, log_d)
        # (a temporary of this method's: W is written over it where it is a plain array)
        owned = isinstance(argument, np.ndarray) and argument.flags.c_contiguous
        markup = lambert_of_exp(argument, out=argument if owned else None)
        # at its best response p = σ(1 + x) and share x/(1 + x): revenue per customer is σx
        served = size * markup / (1.0 + markup) if with_sales else None
        revenue = combine_in_place(np.multiply, markup, size * scale)
        if self.fixed is not None and self.value.size:
            # a product with a fixed price keeps it: share e^{u}/(e^{u} + D₋ᵢ) at that price
            held = ~entering & self.fixed[safe]
            price = self.fixed_price[safe]
            with np.errstate(invalid="ignore"):
                share = 1.0 / (1.0 + np.exp(log_d - (value - price) / scale))
            revenue = np.where(held, size * price * share, revenue)
            if with_sales:
                served = np.where(held, size * share, served)
        return revenue, served


class SubstitutingClearing:
    """A clearing in which every product also serves the next niche's customers at a discount.

    A share σ of niche n + 1's customers (mod N) also buy from niche n's products, valuing
    each product's premium over the open model at (1 − δ) of what niche n's customers do: a
    product of value v is worth v′ = v₀ + (1 − δ)(v − v₀) to them (v₀ the open model). These
    customers form a separate segment (they buy there in addition to their own niche, and each
    product prices the segment separately), cleared by the same rule as the niches. Per product,
    revenue and deviations add the segment's to the niche's; price and share are the niche's.
    With σ = 0 the market uses :class:`Clearing` itself, so the switch off is the base case.
    The other arguments are those of :class:`Clearing` (``initial_price`` applies to the
    niches; the segments start afresh).

    Args:
        substitution: σ ∈ (0, 1], the share of the next niche's customers.
        discount: δ ∈ [0, 1], the share of the premium those customers do not value.
    """

    def __init__(
        self,
        rule: str,
        niche: IntArray,
        value: FloatArray,
        captive_outside: NDArray[np.bool_],
        size: FloatArray,
        outside: FloatArray,
        precision: float = 1.0,
        initial_price: FloatArray | None = None,
        valuations: Valuations | None = None,
        *,
        substitution: float,
        discount: float,
    ) -> None:
        niche = np.asarray(niche, dtype=np.intp)
        value = np.asarray(value, dtype=float)
        size, outside = np.asarray(size, dtype=float), np.asarray(outside, dtype=float)
        n, count = size.shape[0], value.size
        self.rule, self.niche, self.value = rule, niche, value
        self.size, self.outside, self.n_niches = size, outside, n
        self.substitution, self.discount = float(substitution), float(discount)
        # segment n holds niche n's products and σ of niche n + 1's customers
        self._neighbour = (np.arange(n) + 1) % n
        demand = valuations or Valuations(size, size, size, size)
        segment_demand = Valuations(
            *(np.concatenate((part, self.substitution * part[self._neighbour])) for part in demand)
        )
        start = None
        if initial_price is not None:
            start = np.concatenate((np.asarray(initial_price, float), np.full(count, np.nan)))
        self.inner = Clearing(
            rule,
            np.concatenate((niche, niche + n)),
            np.concatenate((value, self._segment_value(niche, value))),
            np.concatenate((captive_outside, captive_outside)),
            np.concatenate((size, self.substitution * size[self._neighbour])),
            np.concatenate((outside, outside[self._neighbour])),
            precision,
            start,
            None if valuations is None else segment_demand,
        )
        inner = self.inner
        self.price, self.share = inner.price[:count], inner.share[:count]
        self.revenue = inner.revenue[:count] + inner.revenue[count:]
        # the segment of niche n is niche n + 1's customers: their surplus is theirs
        self.consumer_surplus = inner.consumer_surplus[:n] + np.roll(inner.consumer_surplus[n:], 1)

    def _segment_value(self, niche: IntArray, value: FloatArray) -> FloatArray:
        """v′ = v₀ + (1 − δ)(v − v₀): the value to the next niche's customers."""
        base = self.outside[niche]
        return base + (1.0 - self.discount) * (value - base)

    def _both(
        self,
        method: str,
        niche: IntArray,
        value: FloatArray,
        product: IntArray,
        outside: FloatArray | None,
        captive_outside: NDArray[np.bool_] | bool,
    ) -> FloatArray:
        niche = np.asarray(niche, dtype=np.intp)
        product = np.asarray(product, dtype=np.intp)
        value = np.asarray(value, dtype=float)
        deviate = getattr(self.inner, method)
        # its twin in the segment (an entering product enters both); the segment's customers
        # have the same open model as the niche's
        twin = np.where(product < 0, -1, product + self.value.size)
        return deviate(niche, value, product, outside, captive_outside) + deviate(
            niche + self.n_niches, self._segment_value(niche, value), twin, outside, captive_outside
        )

    def deviation_revenue(
        self,
        niche: IntArray,
        value: FloatArray,
        product: IntArray,
        outside: FloatArray | None = None,
        captive_outside: NDArray[np.bool_] | bool = False,
    ) -> FloatArray:
        """As :meth:`Clearing.deviation_revenue`, the niche's and the segment's together."""
        return self._both("deviation_revenue", niche, value, product, outside, captive_outside)

    def deviation_sales(
        self,
        niche: IntArray,
        value: FloatArray,
        product: IntArray,
        outside: FloatArray | None = None,
        captive_outside: NDArray[np.bool_] | bool = False,
    ) -> FloatArray:
        """As :meth:`Clearing.deviation_sales`, the niche's and the segment's together."""
        return self._both("deviation_sales", niche, value, product, outside, captive_outside)
