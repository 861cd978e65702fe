"""Study 10, collusion: do Q-learning firms learn supra-competitive prices (Calvano et al. 2020)?

Calvano, Calzolari, Denicolò and Pastorello (2020, AER) as a built-in check of the learning
package: two Q-learning firms price on a 15-point grid in a logit Bertrand duopoly (a − c = 1,
a₀ = 0, μ = 1/4, c = 1, ξ = 0.1), each with last period's prices as its state, α = 0.15,
ε_t = e^{−βt} with β = 4·10⁻⁶, δ = 0.95 and Calvano's Q₀ (the discounted payoff against
uniformly random rivals). A session stops when both firms' greedy policies have stayed
unchanged for 100,000 consecutive periods (or at the cap). Its profit gain
Δ = (π̄ − π^N)/(π^M − π^N) is Calvano's: π̄ is the firms' average profit over the limit cycle of
greedy play from the final state. Calvano et al. report an average Δ of about 0.85. The study
also records each session's impulse response: firm 0 deviates once to its one-period best
response, then both play their learned strategies.

Sessions are played by :func:`abm.learning.calvano.run_session` (the Q-learning rule's update,
a scalar loop that equals the generic harness bit for bit). ``--quick`` runs three sessions of a
faster-decaying version (β = 10⁻⁴, a 10,000-period window).

``python -m analysis.collusion [--quick] [--sessions S] [--max-periods T] [--workers W]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from analysis._common import run_main, start

NAME = "collusion"
DESCRIPTION = (
    "Calvano et al.'s (2020) check: two Q-learning firms in a logit Bertrand duopoly learn "
    "supra-competitive prices; sessions, convergence and the profit gain Δ (published ≈ 0.85)."
)

#: Calvano et al.'s average profit gain in the baseline.
PUBLISHED_DELTA = 0.85
#: Default cap on a session's length (Calvano et al.: 10⁹; by 10⁷ periods ε is e^{−40}).
DEFAULT_CAP = 10_000_000
#: Periods of greedy play after the deviation in the impulse response.
IMPULSE_PERIODS = 15


def _options(parser: argparse.ArgumentParser) -> None:
    from abm.options import integer

    parser.add_argument(
        "--sessions",
        type=integer(1, 10_000),
        default=None,
        metavar="S",
        help="sessions (default 10; --quick 3)",
    )
    parser.add_argument(
        "--max-periods",
        type=integer(1, 10**9),
        default=None,
        metavar="T",
        help=f"cap on a session's periods (default {DEFAULT_CAP:,}; --quick 10^6)",
    )


def _summary(values: Any) -> dict[str, Any]:
    """Mean, sd, the 95 % t-interval of the mean, min and max of ``values``."""
    import numpy as np
    from scipy import stats

    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return {"n": 0}
    mean = float(array.mean())
    sd = float(array.std(ddof=1)) if array.size > 1 else float("nan")
    half = (
        float(stats.t.ppf(0.975, array.size - 1) * sd / np.sqrt(array.size))
        if array.size > 1
        else float("nan")
    )
    return {
        "n": int(array.size),
        "mean": mean,
        "sd": sd,
        "ci95": [mean - half, mean + half],
        "min": float(array.min()),
        "max": float(array.max()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sessions; write the session table, the impulse response, figure and findings."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.ticker import MaxNLocator

    from abm.experiments.executors import make_executor
    from abm.figures import OKABE_ITO
    from abm.learning.calvano import CalvanoSetup, run_session

    context = start(NAME, DESCRIPTION, argv, _options)
    args = context.args
    sessions = args.sessions or (3 if args.quick else 10)
    cap = args.max_periods or (1_000_000 if args.quick else DEFAULT_CAP)
    if args.quick:
        setup = CalvanoSetup(beta=1e-4, stability_window=10_000, max_periods=cap)
    else:
        setup = CalvanoSetup(max_periods=cap)
    demand = setup.demand
    context.parameters = {
        "sessions": sessions,
        "demand": {
            "n_firms": demand.n_firms,
            "quality": demand.quality,
            "outside_quality": demand.outside_quality,
            "cost": demand.cost,
            "differentiation": demand.differentiation,
        },
        "n_prices": setup.n_prices,
        "extension": setup.extension,
        "learning_rate": setup.learning_rate,
        "beta": setup.beta,
        "discount": setup.discount,
        "memory": setup.memory,
        "stability_window": setup.stability_window,
        "max_periods": setup.max_periods,
    }
    seeds = [
        int(child.generate_state(1)[0])
        for child in np.random.SeedSequence(int(args.seed)).spawn(sessions)
    ]
    context.say(
        f"{sessions} sessions of Calvano's duopoly (β = {setup.beta:g}, window "
        f"{setup.stability_window:,}, cap {setup.max_periods:,}) …"
    )
    kind = "process" if args.workers > 1 else "serial"
    results = []
    with make_executor(kind, args.workers) as (executor, _):
        futures = [executor.submit(run_session, setup, seed, IMPULSE_PERIODS) for seed in seeds]
        for index, future in enumerate(futures):
            result = future.result()
            results.append(result)
            context.say(
                f"  session {index}: {'converged' if result.converged else 'NOT converged'} "
                f"after {result.periods:,} periods, Δ = {result.delta:.3f} "
                f"(cycle {len(result.cycle)}), {result.seconds:.1f} s"
            )

    prices = setup.prices()
    game = setup.game()
    nash, monopoly = game.notes["nash_price"], game.notes["monopoly_price"]
    rows = []
    for index, result in enumerate(results):
        rows.append(
            {
                "session": index,
                "seed": result.seed,
                "converged": result.converged,
                "periods": result.periods,
                "seconds": result.seconds,
                "delta": result.delta,
                **{f"delta_firm{i}": value for i, value in enumerate(result.firm_deltas)},
                "cycle_length": len(result.cycle),
                **{
                    f"cycle_prices_firm{i}": " ".join(
                        f"{prices[a]:.4f}" for a in result.cycle[:, i]
                    )
                    for i in range(result.cycle.shape[1])
                },
                "mean_cycle_price": float(prices[result.cycle].mean()),
            }
        )
    table = pd.DataFrame(rows)
    context.table(table, "collusion_sessions")

    converged = [result for result in results if result.converged]
    # the impulse response from a fixed point of greedy play (a two-period cycle has no single
    # pre-shock price); all converged sessions if none settles on one
    fixed = [result for result in converged if len(result.cycle) == 1]
    kept = fixed or converged or results
    impulse = np.stack([prices[result.impulse] for result in kept])  # (sessions, τ, firms)
    taus = np.arange(-1, IMPULSE_PERIODS + 1)
    impulse_table = pd.DataFrame(
        [
            {
                "tau": int(tau),
                "firm": "deviating" if firm == 0 else "rival",
                "mean_price": float(impulse[:, step, firm].mean()),
                "sd_price": float(impulse[:, step, firm].std(ddof=0)),
            }
            for step, tau in enumerate(taus)
            for firm in range(impulse.shape[2])
        ]
    )
    context.table(impulse_table, "collusion_impulse_response")

    delta = _summary([result.delta for result in converged])
    seconds = np.array([result.seconds for result in results])
    periods = np.array([result.periods for result in results])
    within = bool(delta["n"] > 1 and delta["ci95"][0] <= PUBLISHED_DELTA <= delta["ci95"][1])
    lengths = pd.Series([len(result.cycle) for result in results]).value_counts().sort_index()
    findings = {
        "sessions": sessions,
        "converged": len(converged),
        "share_converged": len(converged) / sessions,
        "convergence_rule": (
            f"every firm's greedy policy (argmax price in each of the {setup.n_states()} states) "
            f"unchanged for {setup.stability_window:,} consecutive periods; cap "
            f"{setup.max_periods:,} periods"
        ),
        "delta_definition": (
            "Calvano et al.'s: (π̄ − π^N)/(π^M − π^N), π̄ the firms' average profit over the "
            "limit cycle of greedy play from the final state; averaged over the two firms; "
            "over converged sessions"
        ),
        "delta": delta,
        "published_delta": PUBLISHED_DELTA,
        "published_within_ci95": within,
        "delta_all_sessions": _summary([result.delta for result in results]),
        "periods": {
            "mean": float(periods.mean()),
            "min": int(periods.min()),
            "max": int(periods.max()),
        },
        "seconds_per_session": float(seconds.mean()),
        "microseconds_per_period": float(1e6 * seconds.sum() / periods.sum()),
        "cycle_lengths": {str(k): int(v) for k, v in lengths.items()},
        "nash_price": nash,
        "monopoly_price": monopoly,
        "mean_cycle_price": float(table["mean_cycle_price"].mean()),
        "impulse": {
            "sessions": len(kept),
            "from": "fixed points of greedy play" if fixed else "every converged session",
            "deviation_price": float(impulse[:, 1, 0].mean()),
            "rival_price_after": float(impulse[:, 2, 1].mean()),
            "pre_shock_price": float(impulse[:, 0, :].mean()),
            "final_price": float(impulse[:, -1, :].mean()),
        },
    }

    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 6), constrained_layout=True)
    order = np.argsort(table["delta"].to_numpy())
    values = table["delta"].to_numpy()[order]
    ok = table["converged"].to_numpy()[order]
    x = np.arange(len(values))
    left.scatter(x[ok], values[ok], color=OKABE_ITO["blue"], s=45, zorder=3, label="converged")
    if (~ok).any():
        left.scatter(
            x[~ok], values[~ok], color=OKABE_ITO["grey"], marker="x", s=45, label="not converged"
        )
    if delta["n"] > 1:
        low, high = delta["ci95"]
        left.axhspan(low, high, color=OKABE_ITO["blue"], alpha=0.15, lw=0, label="95 % CI of mean")
        left.axhline(
            delta["mean"], color=OKABE_ITO["blue"], lw=1.5, label=f"mean {delta['mean']:.3f}"
        )
    left.axhline(
        PUBLISHED_DELTA, color=OKABE_ITO["vermillion"], ls="--", lw=1.5, label="published 0.85"
    )
    left.axhline(0.0, color="black", lw=0.8)
    left.axhline(1.0, color="black", lw=0.8, ls=":")
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_xlabel("session (sorted by Δ)")
    left.set_ylabel("profit gain Δ (0: Nash, 1: monopoly)")
    mean_text = f"{delta['mean']:.2f}" if delta["n"] else "n/a"
    ci_text = f" (95 % CI {delta['ci95'][0]:.2f}–{delta['ci95'][1]:.2f})" if delta["n"] > 1 else ""
    left.set_title(
        f"{len(converged)} of {sessions} sessions converged\n"
        f"mean Δ = {mean_text}{ci_text}, published ≈ {PUBLISHED_DELTA}",
        fontsize=13,
    )
    left.legend(fontsize=10, loc="center right")
    for firm, (label, colour) in enumerate(
        (("deviating firm", OKABE_ITO["vermillion"]), ("rival", OKABE_ITO["blue"]))
    ):
        mean = impulse[:, :, firm].mean(axis=0)
        right.plot(taus, mean, marker="o", color=colour, lw=2, label=label)
    right.axhline(nash, color=OKABE_ITO["grey"], ls="--", lw=1.2, label=f"Nash {nash:.3f}")
    right.axhline(
        monopoly, color=OKABE_ITO["grey"], ls=":", lw=1.2, label=f"monopoly {monopoly:.3f}"
    )
    right.axvline(0, color="black", lw=0.8)
    right.set_xlabel("periods after the deviation (τ = 0: firm 0 deviates once)")
    right.set_ylabel("price (mean over sessions)")
    right.set_title(
        f"Impulse response ({len(kept)} sessions{' at a fixed point' if fixed else ''}):\n"
        "one deviation to the best response, then learned play",
        fontsize=13,
    )
    right.legend(fontsize=10, loc="best")
    context.figure(figure, "collusion")
    plt.close(figure)

    if delta["n"]:
        context.say(
            f"{len(converged)}/{sessions} converged; Δ mean {delta['mean']:.3f} "
            f"(sd {delta['sd']:.3f}), published {PUBLISHED_DELTA}; "
            f"{findings['seconds_per_session']:.1f} s per session"
        )
    return context.finish(findings)


if __name__ == "__main__":
    run_main(main)
