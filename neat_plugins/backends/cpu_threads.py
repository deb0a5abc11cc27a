"""Choosing torch's CPU thread count by timing the work it runs (training steps, scoring
batches).

On idle cores more threads make a step faster. On cores that other processes use, every
parallel region waits for its slowest thread, and a thread whose core is taken stalls
them all: a small model then runs 5-15 times slower on two threads than on one. So the
tuner starts on one thread (a slow start costs a few steps; too many threads can cost
every step), times a few steps at each candidate count, keeps the fastest, and checks
again now and then, as a laptop's load changes. A count whose first step is twice as
slow as the best so far is dropped at once, so a check on busy cores costs one slow
step; no work is thrown away.
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
    """Feed it the duration of each unit of work; it sets the thread count.

    A check times ``probe`` steps at the current count, then at each other candidate
    (after one step to settle), and keeps the fastest by median; a step slower than
    ``reject`` times the best so far drops its count. The next check comes after
    ``interval`` seconds, doubling up to ``max_interval`` while the choice stands, or
    at once when steps on more than one thread become twice as slow (new load).
    """

    def __init__(self, candidates: Sequence[int], set_threads: Callable[[int], None], *,
                 probe: int = 3, warmup: int = 2, reject: float = 2.0,
                 interval: float = 30.0, max_interval: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.candidates = sorted(set(candidates))
        self.set_threads = set_threads
        self.probe, self.reject = probe, reject
        self.min_interval, self.max_interval = interval, max_interval
        self.interval = interval
        self.clock = clock
        self.chosen: int | None = None  # None until the first check ends
        self.measured: dict[int, float] = {}  # seconds per step at each count, last check
        self.threads = self.candidates[0]
        set_threads(self.threads)
        self._queue: list[int] = []
        self._samples: list[float] = []
        self._recent: list[float] = []
        self._next_check = 0.0
        self._start_check()
        self._skip = warmup  # the first steps allocate memory and build kernels

    def observe(self, seconds: float) -> None:
        """Record one unit of work that took ``seconds`` at the current thread count."""
        if self._queue:  # a check is running
            if self._is_too_slow(seconds):
                self._measured(seconds)
            elif self._skip:
                self._skip -= 1
            else:
                self._samples.append(seconds)
                if len(self._samples) == self.probe:
                    self._measured(statistics.median(self._samples))
            return
        self._recent = (self._recent + [seconds])[-self.probe:]
        slower = (self.threads > 1 and len(self._recent) == self.probe and
                  statistics.median(self._recent) > 2 * self.measured[self.threads])
        if slower or self.clock() >= self._next_check:
            self._start_check()

    def _is_too_slow(self, seconds: float) -> bool:
        best = min(self.measured.values(), default=None)
        return best is not None and seconds > self.reject * best

    def _measured(self, seconds: float) -> None:
        self.measured[self._queue.pop(0)] = seconds
        self._samples = []
        self._next_candidate()

    def _start_check(self) -> None:
        # the current count first: it needs no switch, and it is the one to beat
        self._queue = sorted(self.candidates, key=lambda n: n != self.threads)
        self.measured = {}
        self._samples, self._recent = [], []
        self._next_candidate()

    def _next_candidate(self) -> None:
        if self._queue:
            self._switch(self._queue[0])
            return
        best = min(self.measured, key=self.measured.__getitem__)
        first, changed = self.chosen is None, best != self.chosen
        self.chosen = best
        self._switch(best)
        self._skip = 0  # back to a count just measured: nothing to settle
        self.interval = (self.min_interval if changed else
                         min(2 * self.interval, self.max_interval))
        self._next_check = self.clock() + self.interval
        log.log(logging.INFO if changed else logging.DEBUG, "%s", self.describe(first))

    def _switch(self, threads: int) -> None:
        if threads != self.threads:
            self.set_threads(threads)
            self.threads = threads
            self._skip = 1  # the first step on a new count settles it

    def describe(self, first: bool = True) -> str:
        """One line: the count chosen, the times behind it and why."""
        timings = ", ".join(f"{n} thread{'s' if n > 1 else ''} {1000 * s:.0f} ms"
                            for n, s in sorted(self.measured.items()))
        chosen = self.chosen
        why = ("more threads were slower: other processes are using the cores, or the "
               "work is too small to split" if chosen != max(self.candidates) else
               "all cores were fastest")
        return (f"cpu: {'using' if first else 'now using'} {chosen} torch "
                f"thread{'s' if chosen != 1 else ''} ({why}; per step {timings}); "
                f"timed again every {self.min_interval:.0f}-{self.max_interval:.0f} s; "
                f"set backend.cpu.threads to fix the count")
