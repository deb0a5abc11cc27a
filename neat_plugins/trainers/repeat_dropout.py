"""Dropout from the second pass over the training data on.

A run that sees each training byte once cannot memorise it, and dropout there only slows
learning. A run that sees a small corpus many times in its budget overfits it: held-out
loss stalls while training loss keeps falling. So the rate follows the passes over the
training split, 0 during the first, rising to ``rate`` over the second, then constant;
it is set on the model's ``torch.nn.Dropout`` modules, and only when all of them were
built at 0 (a model's own dropout setting wins).
"""

from __future__ import annotations

import logging

import torch

log = logging.getLogger("neat.train")


class RepeatDropout:
    def __init__(self, model: torch.nn.Module, rate: float, train_bytes: int) -> None:
        modules = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
        self.modules = modules if rate > 0 and all(m.p == 0 for m in modules) else []
        self.rate, self.train_bytes = rate, train_bytes
        self.current = 0.0

    def rate_at(self, bytes_seen: int) -> float:
        """The rate after ``bytes_seen`` training bytes (0 when inactive)."""
        if not self.modules:
            return 0.0
        passes = bytes_seen / self.train_bytes
        return self.rate * min(1.0, max(0.0, passes - 1.0))

    def update(self, bytes_seen: int) -> None:
        rate = self.rate_at(bytes_seen)
        if rate == self.current:
            return
        if self.current == 0.0:
            log.info("the run sees its training data again (%.2f passes): dropout rises "
                     "to %g over the next pass (training.standard.repeat_dropout)",
                     bytes_seen / self.train_bytes, self.rate)
        for module in self.modules:
            module.p = rate
        self.current = rate
