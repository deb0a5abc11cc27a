"""Choosing torch's CPU thread count by timing the trainer's own steps.

On idle cores more threads make a step faster. On cores that other processes use, every
parallel region waits for its slowest thread, and a thread whose core is taken stalls
them all: a small model then runs 10-100 times slower on two threads than on one. No
fixed count suits both, and a laptop's load changes while it trains, so the tuner times
real steps at each candidate count, keeps the fastest, and checks again now and then.
Probing costs only the steps run at a slower count; no work is thrown away.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Callable, Sequence

log = logging.getLogger("neat.backends")


def candidate_counts(cores: int) -> list[int]:
    """Thread counts worth trying on ``cores`` cores: one, half and all of them."""
    return sorted({1, max(1, cores // 2), cores})


class ThreadTuner:
    """Feed it the duration of each training step; it sets the thread count.

    A round times ``probe`` steps at each candidate (after ``settle`` steps that let the
    new count warm up) and keeps the fastest by median. The next round starts after
    ``interval`` seconds, doubling up to ``max_interval`` while the choice stands, or
    early when steps become twice as slow as the round measured (new load).
    """

    def __init__(self, candidates: Sequence[int], set_threads: Callable[[int], None], *,
                 current: int, probe: int = 3, settle: int = 1, warmup: int = 2,
                 interval: float = 30.0, max_interval: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.candidates = sorted(set(candidates))
        self.set_threads = set_threads
        self.threads = current
        self.probe, self.settle = probe, settle
        self.min_interval, self.max_interval = interval, max_interval
        self.interval = interval
        self.clock = clock
        self.chosen: int | None = None  # None until the first round ends
        self.measured: dict[int, float] = {}  # median seconds per step, last round
        self._skip = warmup
        self._queue: list[int] = []
        self._samples: list[float] = []
        self._recent: list[float] = []
        self._next_round = 0.0
        self._start_round()

    def observe(self, seconds: float) -> None:
        """Record one step that took ``seconds`` (at the current thread count)."""
        if self._skip:
            self._skip -= 1
            return
        if self._queue:
            self._samples.append(seconds)
            if len(self._samples) == self.probe:
                self.measured[self._queue.pop(0)] = statistics.median(self._samples)
                self._samples = []
                self._next_candidate()
            return
        self._recent = (self._recent + [seconds])[-self.probe:]
        slower = (len(self._recent) == self.probe and self.chosen is not None and
                  statistics.median(self._recent) > 2 * self.measured[self.chosen])
        if slower or self.clock() >= self._next_round:
            self._start_round()

    def _start_round(self) -> None:
        # the current count first: it needs no switch
        self._queue = sorted(self.candidates, key=lambda n: n != self.threads)
        self.measured = {}
        self._recent = []
        self._next_candidate()

    def _next_candidate(self) -> None:
        if self._queue:
            self._switch(self._queue[0])
            return
        best = min(self.measured, key=self.measured.__getitem__)
        changed = best != self.chosen
        level = logging.INFO if changed else logging.DEBUG
        first = self.chosen is None
        self.chosen = best
        self._switch(best)
        self.interval = self.min_interval if changed else min(2 * self.interval,
                                                              self.max_interval)
        self._next_round = self.clock() + self.interval
        log.log(level, "%s", self.describe(first))

    def _switch(self, threads: int) -> None:
        if threads != self.threads:
            self.set_threads(threads)
            self.threads = threads
            self._skip = self.settle

    def describe(self, first: bool = True) -> str:
        """One line: the count chosen, the times behind it and why."""
        timings = ", ".join(f"{n} thread{'s' if n > 1 else ''} {1000 * s:.0f} ms"
                            for n, s in sorted(self.measured.items()))
        chosen = self.chosen
        why = ("more threads were slower: other processes are using the cores, or the "
               "model is too small to split" if chosen != max(self.candidates) else
               "all cores were fastest")
        return (f"cpu: {'using' if first else 'now using'} {chosen} torch "
                f"thread{'s' if chosen != 1 else ''} ({why}; median step {timings}); "
                f"timed again every {self.min_interval:.0f}-{self.max_interval:.0f} s; "
                f"set backend.threads to fix the count")
