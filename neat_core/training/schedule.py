"""The learning-rate schedule: linear warmup, then cosine, linear or constant decay."""

from __future__ import annotations

import math

import attrs

from ..config import TrainingConfig


@attrs.frozen
class LrSchedule:
    """Learning rate of each optimizer step, a pure function of the step.

    Decay runs from the end of warmup to ``total_steps`` (or to the end of a time
    budget, see :meth:`__call__`) and ends at ``minimum``.
    """

    peak: float
    minimum: float
    warmup_steps: int
    total_steps: int
    kind: str = "cosine"

    @classmethod
    def from_config(cls, training: TrainingConfig) -> LrSchedule:
        minimum = training.min_learning_rate
        if minimum is None:
            minimum = training.learning_rate / 10
        return cls(peak=training.learning_rate, minimum=minimum,
                   warmup_steps=training.warmup_steps, total_steps=training.max_steps,
                   kind=training.lr_schedule)

    def __call__(self, step: int, time_fraction: float = 0.0) -> float:
        """The rate for optimizer step ``step`` (0-based).

        ``time_fraction`` is the share of a time budget already spent; decay follows
        whichever of steps and time is further along.
        """
        if step < self.warmup_steps:
            return self.peak * (step + 1) / self.warmup_steps
        if self.kind == "constant":
            return self.peak
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, max((step - self.warmup_steps) / span, time_fraction))
        if self.kind == "linear":
            factor = 1.0 - progress
        else:
            factor = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.minimum + (self.peak - self.minimum) * factor
