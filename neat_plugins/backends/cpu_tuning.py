"""Choosing torch's CPU thread count and the precision by timing the work they run
(training steps, scoring batches).

On idle cores more threads make a step faster. On cores that other processes use, every
parallel region waits for its slowest thread, and a thread whose core is taken stalls
them all: a small model then runs 5-15 times slower on two threads than on one. Native
bf16 (AVX512-BF16, AMX) makes matrix products faster, but not every kernel: on some CPUs
attention in bf16 is slower than in float32, and the step as a whole with it. Neither can
be told from the CPU's flags, so the tuner measures. It starts on one thread in float32
(a slow start costs a few steps; too many threads can cost every step), times a few
steps at each thread count, then each precision at the fastest count, keeps the
fastest, and checks again now and then, as a laptop's load changes. A setting whose
first step is twice as slow as the best so far is dropped at once, so a check on busy
cores costs one slow step, and it is tried again only at every second check, then every
fourth, while it stays that slow; no work is thrown away.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Callable, NamedTuple, Sequence

log = logging.getLogger("neat.backends")

FP32, BF16, BF16_FP32_ATTENTION = "fp32", "bf16", "bf16-fp32-attention"
PRECISION_NAMES = {FP32: "fp32", BF16: "bf16 autocast",
                   BF16_FP32_ATTENTION: "bf16 autocast with fp32 attention"}


def candidate_counts(cores: int) -> list[int]:
    """Thread counts worth trying on ``cores`` cores: one, half and all of them."""
    return sorted({1, max(1, cores // 2), cores})


class CpuSetting(NamedTuple):
    threads: int
    precision: str  # FP32, BF16 or BF16_FP32_ATTENTION


class CpuTuner:
    """Feed it the duration of each unit of work; it applies the fastest setting.

    A check times ``probe`` steps at the current setting, then at each other thread
    count (after one step to settle), then each other precision at the fastest count,
    and keeps the fastest by median; a step slower than ``reject`` times the best so far
    drops its setting. The next check comes after ``interval`` seconds, doubling up to
    ``max_interval`` while the choice stands, or at once when steps on more than one
    thread become twice as slow (new load). A setting dropped as too slow sits out the
    next check, then the next three while it stays too slow (``max_backoff`` checks
    between tries).
    """

    def __init__(self, threads: Sequence[int], precisions: Sequence[str],
                 apply: Callable[[CpuSetting], None], *, probe: int = 3, warmup: int = 2,
                 reject: float = 2.0, interval: float = 30.0, max_interval: float = 300.0,
                 max_backoff: int = 4, clock: Callable[[], float] = time.monotonic) -> None:
        self.threads = sorted(set(threads))
        self.precisions = list(dict.fromkeys(precisions))
        self.apply = apply
        self.probe, self.reject, self.max_backoff = probe, reject, max_backoff
        self._backoff: dict[CpuSetting, int] = {}  # checks between tries of a slow setting
        self._waits: dict[CpuSetting, int] = {}  # checks it still sits out
        self.min_interval, self.max_interval = interval, max_interval
        self.interval = interval
        self.clock = clock
        self.chosen: CpuSetting | None = None  # None until the first check ends
        self.measured: dict[CpuSetting, float] = {}  # seconds per step, last check
        self.current = CpuSetting(self.threads[0], self.precisions[0])
        apply(self.current)
        self._queue: list[CpuSetting] = []
        self._samples: list[float] = []
        self._recent: list[float] = []
        self._check_precision = self.current.precision  # of the thread counts' timings
        self._precisions_queued = False
        self._next_check = 0.0
        self._start_check()
        self._skip = warmup  # the first steps allocate memory and build kernels

    def observe(self, seconds: float) -> None:
        """Record one unit of work that took ``seconds`` at the current setting."""
        if self._queue:  # a check is running
            if self._is_too_slow(seconds):
                self._measured(seconds, dropped=True)
            elif self._skip:
                self._skip -= 1
            else:
                self._samples.append(seconds)
                if len(self._samples) == self.probe:
                    self._measured(statistics.median(self._samples))
            return
        self._recent = (self._recent + [seconds])[-self.probe:]
        slower = (self.current.threads > 1 and len(self._recent) == self.probe and
                  statistics.median(self._recent) > 2 * self.measured[self.current])
        if slower:
            self._waits.clear()  # the load changed: every setting may be the best now
        if slower or self.clock() >= self._next_check:
            self._start_check()

    def keep_precision(self, precision: str) -> None:
        """Time only ``precision`` from now on: for work that holds one precision over
        many units (scoring enters autocast once per input), where switching would time
        a precision that is not in use. The check starts again in that precision."""
        if self.precisions == [precision]:
            return
        self.precisions = [precision]
        if self.current.precision != precision:
            self.current = CpuSetting(self.current.threads, precision)
            self.apply(self.current)
        self._start_check()

    def _is_too_slow(self, seconds: float) -> bool:
        best = min(self.measured.values(), default=None)
        return best is not None and seconds > self.reject * best

    def _measured(self, seconds: float, dropped: bool = False) -> None:
        setting = self._queue.pop(0)
        self.measured[setting] = seconds
        if dropped:
            backoff = min(2 * self._backoff.get(setting, 1), self.max_backoff)
            self._backoff[setting], self._waits[setting] = backoff, backoff - 1
        else:
            self._backoff.pop(setting, None)
        self._samples = []
        self._next_candidate()

    def _due(self, settings: list[CpuSetting]) -> list[CpuSetting]:
        """``settings`` less those sitting out this check (one check counted off each)."""
        due = []
        for setting in settings:
            if self._waits.get(setting, 0) > 0 and setting != self.current:
                self._waits[setting] -= 1
            else:
                due.append(setting)
        return due

    def _start_check(self) -> None:
        # the current setting first: it needs no switch, and it is the one to beat
        self._check_precision = precision = self.current.precision
        self._queue = self._due([CpuSetting(n, precision) for n in
                                 sorted(self.threads, key=lambda n: n != self.current.threads)])
        self._precisions_queued = False
        self.measured = {}
        self._samples, self._recent = [], []
        self._next_candidate()

    def _next_candidate(self) -> None:
        if not self._queue and not self._precisions_queued:
            self._precisions_queued = True
            self._queue = self._other_precisions()
        if self._queue:
            self._switch(self._queue[0])
            return
        best = min(self.measured, key=self.measured.__getitem__)
        first, changed = self.chosen is None, best != self.chosen
        self.chosen = best
        self._switch(best)
        self._skip = 0  # back to a setting just measured: nothing to settle
        self.interval = (self.min_interval if changed else
                         min(2 * self.interval, self.max_interval))
        self._next_check = self.clock() + self.interval
        log.log(logging.INFO if changed else logging.DEBUG, "%s", self.describe(first))

    def _other_precisions(self) -> list[CpuSetting]:
        """Once every thread count is timed: the untimed precisions at the fastest."""
        if not self.measured:
            return []
        fastest = min(self.measured, key=self.measured.__getitem__).threads
        return self._due([CpuSetting(fastest, p) for p in self.precisions
                          if CpuSetting(fastest, p) not in self.measured])

    def _switch(self, setting: CpuSetting) -> None:
        if setting != self.current:
            self.apply(setting)
            self.current = setting
            self._skip = 1  # the first step of a new setting settles it

    def describe(self, first: bool = True) -> str:
        """One line: the setting chosen, the times behind it and why."""
        chosen = self.chosen
        assert chosen is not None
        parts = [self._describe_threads(chosen)]
        if len(self.precisions) > 1:
            parts.append(self._describe_precision(chosen))
        fixed = " and ".join(
            name for name, tuned in (("backend.cpu.threads", len(self.threads) > 1),
                                     ("backend.mixed_precision", len(self.precisions) > 1))
            if tuned)
        return (f"cpu: {'using' if first else 'now using'} {'; '.join(parts)}; timed again "
                f"every {self.min_interval:.0f}-{self.max_interval:.0f} s; set {fixed} to "
                f"fix {'them' if ' and ' in fixed else 'it'}")

    def _describe_threads(self, chosen: CpuSetting) -> str:
        counts = {s.threads: t for s, t in self.measured.items()
                  if s.precision == self._check_precision}
        noun = f"{chosen.threads} torch thread{'s' if chosen.threads != 1 else ''}"
        if len(self.threads) == 1:
            return noun
        timings = ", ".join(f"{n} thread{'s' if n > 1 else ''} {_ms(s)}"
                            for n, s in sorted(counts.items()))
        why = ("more threads were slower: other processes are using the cores, or the "
               "work is too small to split" if chosen.threads != max(self.threads) else
               "all cores were fastest")
        return f"{noun} ({why}; per step {timings})"

    def _describe_precision(self, chosen: CpuSetting) -> str:
        """e.g. "fp32 (bf16 autocast was 18 % slower here: 41 ms vs 50 ms per step)"."""
        best = self.measured[chosen]
        others = [(PRECISION_NAMES[s.precision], t) for s, t in self.measured.items()
                  if s.threads == chosen.threads and s.precision != chosen.precision]
        if not others:
            return f"{PRECISION_NAMES[chosen.precision]} (the others were not timed)"
        slower = "; ".join(f"{name} was {100 * (t / best - 1):.0f} % slower here: "
                           f"{_ms(best)} vs {_ms(t)} per step" for name, t in others)
        return f"{PRECISION_NAMES[chosen.precision]} ({slower})"


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms"
