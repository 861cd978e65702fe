"""The regulator's policy (θ, p): static, a schedule, or adaptive toward a target open share."""

from __future__ import annotations

import numpy as np

from abm.market.config import RegulatorConfig

#: The regulator's numbers that may differ between stacked replications (one per replication);
#: everything else about the policy (mode, lever, schedule) is shared.
PER_REPLICATION = ("theta", "penalty", "target_open_share", "gain", "lever_max")


class Policy:
    """The regulator's state: the threshold θ and penalty p in force this period.

    Modes:
        static: (θ, p) never change.
        schedule: rows ``[step, θ, p]``; from ``step`` on (the latest row not after the current
            step) the policy is (θ, p); before the first row it is the configured (θ, p).
        adaptive: after each period the lever (θ or p) moves by
            ``gain·(target − observed open share)`` and is clipped to [0, lever_max]
            (θ also to [0, 1]); the change applies from the next period.
    """

    def __init__(self, config: RegulatorConfig) -> None:
        self.config = config
        self.theta: float | np.ndarray = float(config.theta)
        self.penalty: float | np.ndarray = float(config.penalty)
        self.target: float | np.ndarray = float(config.target_open_share)
        self.gain: float | np.ndarray = float(config.gain)
        self.lever_max: float | np.ndarray = float(config.lever_max)
        self.schedule = sorted(
            (int(row[0]), float(row[1]), float(row[2])) for row in config.schedule
        )

    @classmethod
    def stacked(cls, configs: list[RegulatorConfig]) -> Policy:
        """One policy per stacked replication: :data:`PER_REPLICATION` as arrays, the rest shared.

        Every array entry moves as that replication's policy would alone.
        """
        policy = cls(configs[0])
        policy.theta, policy.penalty, policy.target, policy.gain, policy.lever_max = (
            np.array([float(getattr(config, name)) for config in configs])
            for name in PER_REPLICATION
        )
        return policy

    def set_policy(self, step: int) -> None:
        """Stage 1 of a period: put the policy for ``step`` in force."""
        if self.config.mode != "schedule":
            return
        for start, theta, penalty in self.schedule:
            if start <= step:
                self.theta, self.penalty = theta, penalty

    def adapt(self, open_share: float | np.ndarray) -> None:
        """After a period: move the adaptive lever toward the target open share.

        ``open_share`` is one number, or one per stacked replication (each replication's lever
        then moves on its own, as it would alone).
        """
        config = self.config
        if config.mode != "adaptive":
            return
        change = self.gain * (self.target - open_share)
        if config.lever == "theta":
            moved = np.clip(self.theta + change, 0.0, np.minimum(1.0, self.lever_max))
            self.theta = float(moved) if np.ndim(moved) == 0 else moved
        else:
            moved = np.clip(self.penalty + change, 0.0, self.lever_max)
            self.penalty = float(moved) if np.ndim(moved) == 0 else moved
