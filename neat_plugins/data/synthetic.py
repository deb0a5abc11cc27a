"""Synthetic byte sources, ``synthetic:<pattern>``: seeded, with documented patterns.

They teach an entropy model what predictable and unpredictable bytes look like and
make tests independent of files. Each source yields ``data.synthetic.documents``
documents whose lengths are drawn uniformly from ``[min_length, max_length]``. Byte
values are drawn from all 256 values, so every pattern is binary data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from neat_core.api import DataError, DataUnit, NeatConfig, SourceDocument, Tally, rng_for

from .config import SyntheticSettings

GENERATOR_VERSION = 1  # part of the cache key: bump when a pattern's output changes
RUN_LENGTHS = (16, 256)  # shortest and longest run of the mixed pattern


def _alternating(rng: np.random.Generator, length: int) -> np.ndarray:
    pair = rng.choice(256, size=2, replace=False).astype(np.uint8)
    return np.resize(pair, length)


def _repeating(rng: np.random.Generator, length: int) -> np.ndarray:
    unit = rng.integers(0, 256, size=int(rng.integers(2, 17)), dtype=np.uint8)
    return np.resize(unit, length)


def _random(rng: np.random.Generator, length: int) -> np.ndarray:
    return rng.integers(0, 256, size=length, dtype=np.uint8)


def _mixed(rng: np.random.Generator, length: int) -> np.ndarray:
    runs, total, predictable = [], 0, bool(rng.integers(2))
    while total < length:
        run = int(rng.integers(RUN_LENGTHS[0], RUN_LENGTHS[1] + 1))
        runs.append((_repeating if predictable else _random)(rng, run))
        total += run
        predictable = not predictable
    return np.concatenate(runs)[:length]


PATTERNS: dict[str, tuple[Callable[[np.random.Generator, int], np.ndarray], str]] = {
    "alternating": (_alternating, "two distinct random byte values, alternating: ABABAB..."
                                  " (predictable after two bytes)"),
    "repeating": (_repeating, "a random unit of 2-16 random bytes, repeated (predictable "
                              "after one period)"),
    "random": (_random, "uniformly random bytes (8 bits of entropy per byte; "
                        "unpredictable)"),
    "mixed": (_mixed, "runs of 16-256 bytes that alternate between the repeating and the "
                      "random pattern (sharp changes of entropy, as patch boundaries need)"),
}


class SyntheticSource:
    """``synthetic:<pattern>``: one generated unit of ``data.synthetic.documents``
    documents, seeded by the source's place in the config."""

    def __init__(self, config: NeatConfig) -> None:
        self.settings = config.settings(SyntheticSettings)

    def accepts(self, path: Path) -> bool:
        return False

    def units(self, target: str, seed: tuple) -> Sequence[DataUnit]:
        if target not in PATTERNS:
            raise DataError(f"unknown synthetic pattern '{target}'",
                            hint=f"use one of: {', '.join(f'synthetic:{p}' for p in PATTERNS)}")
        settings = self.settings
        lengths = rng_for(*seed, target, "lengths").integers(
            settings.min_length, settings.max_length + 1, size=settings.documents).tolist()
        generate = PATTERNS[target][0]

        def read(tally: Tally) -> Iterator[SourceDocument]:
            for index, length in enumerate(lengths):
                data = generate(rng_for(*seed, target, index), length).tobytes()
                yield SourceDocument(f"synthetic:{target}#{index}", (data,), length)

        identity = ["synthetic", GENERATOR_VERSION, target, *seed]
        return [DataUnit(f"synthetic:{target}", "synthetic", identity, 0, read)]
