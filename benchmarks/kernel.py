"""A lean numpy kernel of the market's period with experienced information (the speed yardstick).

The same per-period algorithm as ``MarketModel.step`` configured by
``bench_market.market_config(agents, "experienced")``, written as directly as numpy allows: flat
arrays in one object, no Mesa, no configuration objects, no validation of actions or payoffs,
no DataCollector (the observables go into one preallocated array). Per period:

1. ε-greedy Q-learning choices (ε = max(0.01, 0.05·0.999ᵗ), ties within 1e-12 broken
   uniformly, a random 30% revising) of the generalists' openness (21 levels or abstain), the
   specialists' base (one of the generalists or none) and effort (21 levels) and the closed
   firms' compute (3 levels);
2. the free open model (the best open release) as every customer's outside option;
3. logit Bertrand–Nash clearing of every niche: one bracketed Newton root per niche in the log
   of its logit aggregate, each firm's markup given it, then W(e^z) for the realised shares and
   revenues (from last period's prices, as the market does); the markup and W are the market's
   own numpy functions (``abm.market.clearing``: a table's interpolation and one Halley step),
   so that the kernel and the market do the same arithmetic;
4. payoffs: the derivatives' revenue split δ = 0.5, effort costs, the generalists' own terms
   and regimes, the closed firms' profit and the revenue of one more compute level;
5. Q updates of the four tables, and the market's 33 model-level observables.

It draws its parameters and every random number from the same streams in the same order as the
market, so with the same seed it follows the market's path (``--check`` compares both).

    python benchmarks/kernel.py --check            # clearing against abm's Clearing, and the path
    python benchmarks/kernel.py --agents 10000 --periods 200
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from abm.market.clearing import lambert_of_exp, log_markup_at

ITERATIONS = 500
TOLERANCE = 1e-13
TIE = 1e-12
GRID_TOLERANCE = 1e-9

#: The market's observables, in the order of ``abm.market.observables.OBSERVABLES``.
OBSERVABLES = (
    "theta",
    "penalty",
    "participation",
    "mean_openness",
    "openness_q25",
    "openness_median",
    "openness_q75",
    "open_share",
    "share_free",
    "share_comply",
    "share_pay",
    "share_abstain",
    "penalties_paid",
    "utility_generalists",
    "utility_specialists",
    "closed_profit",
    "consumer_surplus",
    "welfare",
    "mean_alpha0",
    "mean_alpha1",
    "mean_effort",
    "mean_price",
    "matched_specialists",
    "hhi",
    "niche_hhi",
    "open_frontier",
    "open_value",
    "closed_mean_compute",
    "closed_mean_price",
    "closed_revenue",
    "upgrade_incentive",
    "closed_margin",
    "open_closed_gap",
)


# --- logit clearing ---------------------------------------------------------------------------


def group_logsumexp(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Log Σ e^values per group (−inf for an empty group)."""
    top = np.full(n, -np.inf)
    np.maximum.at(top, group, values)
    safe = np.where(np.isfinite(top), top, 0.0)
    return safe + np.log(np.bincount(group, weights=np.exp(values - safe[group]), minlength=n))


def logsumexp_of_others(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Log Σ e^values over the rest of each element's group (exact for a dominant one)."""
    total = group_logsumexp(group, values, n)
    own = np.exp(values - total[group])
    others = total[group] + np.log1p(-np.minimum(own, 1.0))
    dominant = own > 0.5
    if dominant.any():
        rest = group_logsumexp(group, np.where(dominant, -np.inf, values), n)
        others = np.where(dominant, rest[group], others)
    return others


def logit_prices(
    niche: np.ndarray, quality: np.ndarray, outside: np.ndarray, n: int, start: np.ndarray | None
) -> np.ndarray:
    """Bertrand–Nash p/σ per product: Newton (in e^{−L} or L) on each niche's log aggregate L."""
    if quality.size == 0:
        return np.ones(0)
    low = outside.copy()
    high = np.logaddexp(outside, group_logsumexp(niche, quality, n))
    if start is not None and np.isfinite(start).any():
        price = np.where(np.isfinite(start), start, 1.0)
        level = np.logaddexp(outside, group_logsumexp(niche, quality + 1.0 - price, n))
    else:
        level = 0.5 * (low + high)
    level = np.clip(level, low, high)
    active = np.ones(n, dtype=bool)
    for _ in range(ITERATIONS):
        members = np.flatnonzero(active[niche])
        group = niche[members]
        markup = np.exp(log_markup_at(quality[members] - level[group]))
        outside_share = np.exp(outside - level)
        excess = (
            np.bincount(group, weights=markup / (1.0 + markup), minlength=n) + outside_share - 1.0
        )
        slope = (
            -np.bincount(
                group,
                weights=markup / ((1.0 + markup) * (markup * (1.0 + markup) + 1.0)),
                minlength=n,
            )
            - outside_share
        )
        low = np.where(active & (excess > 0.0), level, low)
        high = np.where(active & (excess < 0.0), level, high)
        ratio = excess / slope
        newton = level - np.where(excess > 0.0, np.log1p(ratio), ratio)
        updated = np.where((newton >= low) & (newton <= high), newton, 0.5 * (low + high))
        updated = np.where(active & (excess != 0.0), updated, level)
        converged = np.abs(updated - level) <= TOLERANCE * (1.0 + np.abs(level))
        level = updated
        active &= ~converged
        if not active.any():
            break
    else:
        raise RuntimeError("logit prices did not converge")
    return 1.0 + np.exp(log_markup_at(quality - level[niche]))


def clear(
    niche: np.ndarray,
    value: np.ndarray,
    size: np.ndarray,
    outside: np.ndarray,
    precision: float,
    initial_price: np.ndarray | None,
) -> tuple[np.ndarray, ...]:
    """Logit clearing of every niche: (price, share, revenue, consumer surplus, rivals' ln D)."""
    n = size.shape[0]
    scale = 1.0 / precision
    outside_utility = outside / scale
    start = None
    if initial_price is not None:
        start = initial_price / scale
        start = np.where(np.isfinite(start) & (start > 1.0), start, np.nan)
    price = scale * logit_prices(niche, value / scale - 1.0, outside_utility, n, start)
    utility = (value - price) / scale
    rival_log = logsumexp_of_others(niche, utility, n)
    niche_log = group_logsumexp(niche, utility, n)
    markup = lambert_of_exp(
        value / scale - 1.0 - np.logaddexp(rival_log, outside_utility[niche])
    )  # = s/(1 − s)
    share = markup / (1.0 + markup)
    revenue = size[niche] * scale * markup
    surplus = size * scale * np.logaddexp(niche_log, outside_utility)
    return price, share, revenue, surplus, rival_log


# --- the market period ------------------------------------------------------------------------


def choose(q: np.ndarray, last: np.ndarray | None, rng: np.random.Generator, epsilon: float):
    """ε-greedy on Q (ties within 1e-12 uniform), then a random 30% take the proposal."""
    n, k = q.shape
    top = q.max(axis=1, keepdims=True)
    best = q >= top - TIE * (1.0 + np.abs(top))
    chosen = np.argmax(best, axis=1)
    counts = np.count_nonzero(best, axis=1)
    tied = np.flatnonzero(counts > 1)
    if tied.size:
        pick = (rng.random(tied.size) * counts[tied]).astype(np.intp)
        offset = np.cumsum(counts[tied]) - counts[tied]
        chosen[tied] = np.flatnonzero(best[tied])[offset + pick] % k
    explore = rng.random(n) < epsilon
    proposed = np.where(explore, rng.integers(k, size=n), chosen)
    if last is None:
        return proposed
    return np.where(rng.random(n) < 0.3, proposed, last)


def update(q: np.ndarray, rows: np.ndarray, action: np.ndarray, payoff: np.ndarray) -> None:
    """Q(a) ← Q(a) + 0.1·(π − Q(a)) for the action played (stateless, γ = 0)."""
    old = q[rows, action]
    q[rows, action] = old + 0.1 * (payoff - old)


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    if values.size:
        q = np.quantile(values, [0.25, 0.5, 0.75])
        return float(q[0]), float(q[1]), float(q[2])
    return math.nan, math.nan, math.nan


def mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


class Kernel:
    """The market of ``bench_market.market_config(agents, "experienced")`` as flat arrays."""

    def __init__(self, agents: int, seed: int = 0, periods: int = 0) -> None:
        ng = min(100, max(1, agents // 100))
        nc = max(1, agents // 100)
        ns = agents - ng - nc
        nn = max(1, agents // 100)
        self.ng, self.ns, self.nc, self.nn = ng, ns, nc, nn
        g_rng, s_rng, c_rng, _ = np.random.default_rng(seed).spawn(4)
        self.g_rng, self.s_rng, self.c_rng = g_rng, s_rng, c_rng
        # generalists
        self.alpha0 = g_rng.uniform(0.05, 3.0, ng)
        self.licensing, self.reputation = np.full(ng, 0.3), np.full(ng, 0.05)
        self.operation, self.compliance = np.full(ng, 0.05), np.full(ng, 0.2)
        self.production = np.full(ng, 0.2)
        self.grid = np.linspace(0.0, 1.0, 21)
        self.grid_opens = self.grid >= 0.5 - GRID_TOLERANCE
        self.q_g = np.zeros((ng, 22))  # 21 openness levels and abstention
        self.g_rows = np.arange(ng)
        # specialists
        self.cost, self.leverage = np.full(ns, 1.0), np.full(ns, 1.0)
        self.s_niche = s_rng.integers(nn, size=ns).astype(np.intp)
        self.effort_grid = np.linspace(0.0, 1.0, 21)
        self.q_base = np.zeros((ns, ng + 1))  # every generalist or none
        self.q_effort = np.zeros((ns, 21))
        self.s_rows = np.arange(ns)
        # closed firms
        self.c_niche = np.arange(nc, dtype=np.intp) % nn
        self.levels = np.full(nc, 30.0)[:, None] * (4.0 ** np.arange(3))[None, :]
        self.level_value = np.log(self.levels)
        self.compute_cost = np.zeros(nc)
        self.q_c = np.zeros((nc, 3))
        self.c_rows = np.arange(nc)
        # the niches and the free open model
        self.size = np.full(nn, 4.0)  # customers × days
        self.open_compute, self.outside, self.open_share = 1.0, 0.0, 0.0
        self.theta, self.penalty = 0.0, 0.0
        self.t = 0
        # state read before the first period
        self.g_action = self.s_base = self.s_effort_action = self.c_action = None
        self.participates = np.ones(ng, dtype=bool)
        self.openness, self.regime = np.zeros(ng), np.zeros(ng, dtype=np.int8)
        self.g_utility, self.penalty_paid = np.zeros(ng), np.zeros(ng)
        self.derivatives = np.zeros(ng, dtype=np.intp)
        self.matched, self.effort = np.zeros(ns, dtype=bool), np.zeros(ns)
        self.alpha1, self.s_price = np.full(ns, np.nan), np.full(ns, np.nan)
        self.s_utility = np.zeros(ns)
        self.compute, self.c_value = self.levels[:, 0].copy(), self.level_value[:, 0].copy()
        self.c_price, self.c_revenue, self.profit = np.zeros(nc), np.zeros(nc), np.zeros(nc)
        self.upgrade, self.cumulative = np.zeros(nc), np.zeros(nc)
        self.surplus, self.niche_hhi = 0.0, math.nan
        self.table = np.empty((periods + 1, len(OBSERVABLES)))
        self.observe(0)

    def step(self) -> None:
        """One period of the market (see the module docstring)."""
        with np.errstate(all="ignore"):
            self._step()
        self.t += 1
        self.observe(self.t)

    def _step(self) -> None:
        ng, ns = self.ng, self.ns
        epsilon = max(0.01, 0.05 * 0.999**self.t)
        # 2. actions
        self.g_action = choose(self.q_g, self.g_action, self.g_rng, epsilon)
        participates = self.g_action != 21
        chosen = np.minimum(self.g_action, 20)
        level = self.grid[chosen]
        self.openness = np.where(participates, level, np.nan)
        released = np.where(participates, level, 0.0)
        is_open = participates & self.grid_opens[chosen]
        self.s_base = choose(self.q_base, self.s_base, self.s_rng, epsilon)
        self.s_effort_action = choose(self.q_effort, self.s_effort_action, self.s_rng, epsilon)
        effort = self.effort_grid[self.s_effort_action]
        base = self.s_base
        has_base = base < ng
        safe = np.where(has_base, base, 0)
        matched = has_base & participates[safe]
        self.c_action = choose(self.q_c, self.c_action, self.c_rng, epsilon)
        compute = self.levels[self.c_rows, self.c_action]
        c_value = self.level_value[self.c_rows, self.c_action]
        # 3. the free open model
        self.open_share = np.count_nonzero(is_open) / ng
        best = self.alpha0[is_open].max() if is_open.any() else -np.inf
        outside = max(0.0, 1.0 * best)  # max(f(floor compute 1) = 0, value_per_alpha · α0)
        self.open_compute = float(np.exp(outside))
        # 4. clearing
        derivatives = np.flatnonzero(matched)
        nd = derivatives.size
        product = np.full(ns, -1, dtype=np.intp)
        product[derivatives] = np.arange(nd)
        c_product = nd + self.c_rows
        niche = np.concatenate((self.s_niche[derivatives], self.c_niche))
        value = np.concatenate(
            (1.0 * (self.alpha0[base[derivatives]] + effort[derivatives]), c_value)
        )
        start = np.concatenate((self.s_price[derivatives], self.c_price))
        outside_niche = np.full(self.nn, outside)
        price, _, revenue, surplus, rival_log = clear(
            niche, value, self.size, outside_niche, 10.0, start
        )
        # 5. payoffs
        s_revenue = np.append(revenue, 0.0)[product]
        self.s_price = np.append(price, np.nan)[product]
        effort_cost = np.where(
            matched, self.cost * effort**2 / (1.0 + self.leverage * released[safe]), 0.0
        )
        delta = np.full(ns, 0.5)
        self.alpha1 = np.where(matched, self.alpha0[safe] + effort, np.nan)
        self.s_utility = np.where(matched, (1.0 - delta) * s_revenue - effort_cost, 0.0)
        on = base[matched]
        g_revenue = np.bincount(on, weights=(delta * s_revenue)[matched], minlength=ng)
        closedness = 1.0 - released
        below = released < self.theta - GRID_TOLERANCE
        terms = (
            self.licensing * self.alpha0 * closedness
            + self.reputation * released
            - self.operation * closedness
            - self.compliance * released**2
            - self.production * self.alpha0**2
            - self.penalty * below
        )
        self.g_utility = np.where(participates, terms + g_revenue, 0.0)
        binding = self.penalty > 0.0 and self.theta > 0.0
        pays = participates & below & binding
        self.penalty_paid = np.where(pays, self.penalty, 0.0) * np.ones(ng)
        at_threshold = ~below & (released < self.theta + self.grid[1] - GRID_TOLERANCE)
        regime = np.zeros(ng, dtype=np.int8)
        regime[participates & at_threshold & binding] = 1
        regime[pays] = 2
        regime[~participates] = 3
        self.regime = regime
        self.derivatives = np.bincount(on, minlength=ng)
        self.c_price, self.c_revenue = price[c_product], revenue[c_product]
        scale, cost = 1.0 / 10.0, self.compute_cost  # σ; compute paid over 365 days
        self.profit = self.c_revenue - cost * compute * 1.0 / 365.0
        self.cumulative = self.cumulative + self.c_revenue
        upgraded = compute * 4.0
        log_d = np.logaddexp(rival_log[c_product], outside_niche[self.c_niche] / scale)
        markup = lambert_of_exp(np.log(upgraded) / scale - 1.0 - log_d)
        self.upgrade = (
            self.size[self.c_niche] * scale * markup
            - self.c_revenue
            - (cost * upgraded * 1.0 / 365.0 - cost * compute * 1.0 / 365.0)
        )
        # 6.-7. learning
        update(self.q_g, self.g_rows, self.g_action, self.g_utility)
        update(self.q_base, self.s_rows, base, self.s_utility)
        update(self.q_effort, self.s_rows, self.s_effort_action, self.s_utility)
        update(self.q_c, self.c_rows, self.c_action, self.profit)
        # what the observables read
        self.participates, self.matched, self.effort = participates, matched, effort
        self.compute, self.c_value, self.outside = compute, c_value, outside
        self.surplus = float(surplus.sum())
        total = np.bincount(niche, weights=revenue, minlength=self.nn)
        selling = total > 0
        if revenue.size and selling.any():
            shares = revenue / np.where(selling, total, 1.0)[niche]
            self.niche_hhi = float(
                np.bincount(niche, weights=shares**2, minlength=self.nn)[selling].mean()
            )
        else:
            self.niche_hhi = math.nan

    def observe(self, row: int) -> None:
        """The market's model-level observables of this period into ``table[row]``."""
        released = self.openness[self.participates]
        q25, q50, q75 = quantiles(released)
        regimes = np.bincount(self.regime, minlength=4) / self.ng
        utility_g, utility_s = float(self.g_utility.sum()), float(self.s_utility.sum())
        profit = float(self.profit.sum())
        total = self.derivatives.sum()
        hhi = float(np.sum((self.derivatives / total) ** 2)) if total > 0 else 0.0
        matched = self.matched
        self.table[row] = (
            self.theta,
            self.penalty,
            self.participates.mean(),
            mean(released),
            q25,
            q50,
            q75,
            self.open_share,
            regimes[0],
            regimes[1],
            regimes[2],
            regimes[3],
            self.penalty_paid.sum(),
            utility_g,
            utility_s,
            profit,
            self.surplus,
            utility_g + utility_s + profit + self.surplus,
            self.alpha0.mean(),
            mean(self.alpha1[matched]),
            mean(self.effort[matched]),
            mean(self.s_price[matched]),
            matched.sum(),
            hhi,
            self.niche_hhi,
            self.open_compute,
            self.outside,
            mean(self.compute),
            mean(self.c_price),
            self.c_revenue.sum(),
            mean(self.upgrade),
            mean(self.c_value - self.outside),
            math.log10(self.compute.max() / self.open_compute),
        )

    def run(self, periods: int) -> Kernel:
        """Run ``periods`` periods; returns the kernel."""
        for _ in range(periods):
            self.step()
        return self


# --- the self-check -----------------------------------------------------------------------------


def check_clearing(cases: int = 200, seed: int = 1) -> float:
    """Largest relative gap of prices, shares, revenues and surplus to ``abm``'s Clearing."""
    from abm.market.clearing import Clearing

    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in range(cases):
        n = int(rng.integers(1, 60))
        count = int(rng.integers(0, 400))
        niche = rng.integers(n, size=count).astype(np.intp)
        value = rng.uniform(0.0, 4.0, count) * rng.choice([0.1, 1.0, 3.0])
        size = rng.uniform(1.0, 6.0, n)
        outside = rng.uniform(0.0, 3.0, n) * (rng.random(n) < 0.8)
        precision = float(rng.choice([1.0, 5.0, 10.0, 40.0]))
        start = None
        if case % 2:  # last period's prices, some products new (NaN), some perturbed
            last = Clearing("logit", niche, value, np.zeros(count, bool), size, outside, precision)
            start = last.price * rng.uniform(0.9, 1.1, count)
            start[rng.random(count) < 0.2] = np.nan
        with np.errstate(all="ignore"):
            lean = clear(niche, value, size, outside, precision, start)
        market = Clearing(
            "logit", niche, value, np.zeros(count, bool), size, outside, precision, start
        )
        for ours, theirs in zip(
            lean[:4],
            (market.price, market.share, market.revenue, market.consumer_surplus),
            strict=True,
        ):
            gap = np.abs(ours - theirs) / (1.0 + np.abs(theirs))
            worst = max(worst, float(np.max(gap, initial=0.0)))
    return worst


def check_path(agents: int, periods: int, seed: int = 0) -> tuple[float, int]:
    """Largest gap of the kernel's observables to the market's, and the periods compared."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_market import market_config

    from abm.market import MarketModel

    model = MarketModel(market_config(agents, "experienced"), rng=seed)
    model.run(periods)
    market = model.timeseries()[list(OBSERVABLES)].to_numpy()
    kernel = Kernel(agents, seed, periods).run(periods).table
    both_nan = np.isnan(market) & np.isnan(kernel)
    gap = np.where(both_nan, 0.0, np.abs(kernel - market) / (1.0 + np.abs(market)))
    return float(np.nan_to_num(gap, nan=np.inf).max()), periods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with abm's market")
    parser.add_argument("--agents", type=int, default=10000)
    parser.add_argument("--periods", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.check:
        gap = check_clearing()
        print(f"clearing: largest relative gap to abm's Clearing over 200 markets {gap:.1e}")
        assert gap <= 1e-10, "the kernel's clearing does not match the market's"
        for agents, periods in ((100, 50), (1000, 50), (10000, 20)):
            gap, periods = check_path(agents, periods, args.seed)
            print(
                f"path: {agents} agents x {periods} periods, largest relative gap of the "
                f"33 observables to MarketModel's {gap:.1e}"
            )
            assert gap <= 1e-10, "the kernel does not follow the market's path"
        return
    kernel = Kernel(args.agents, args.seed, args.periods)
    start = time.perf_counter()
    kernel.run(args.periods)
    elapsed = time.perf_counter() - start
    print(
        f"kernel: {args.agents} agents x {args.periods} periods: {elapsed:.2f} s, "
        f"{elapsed / (args.agents * args.periods) * 1e6:.3f} µs per agent-step"
    )


if __name__ == "__main__":
    main()
