"""Seeded, resumable sampling of ``block_size + 1`` windows from a corpus.

Batch ``k`` is drawn from a generator seeded by ``(seed, k)``, so the sampler's whole
state is the number of batches drawn: saving it and restoring it continues exactly
where an uninterrupted run would be. With several processes each batch is one global
batch of ``batch_size * world_size`` windows of which rank ``r`` takes the ``r``-th
slice, so ranks never draw the same windows from the same stream.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

import numpy as np

from ..errors import DataError
from .corpus import Corpus
from .documents import rng_for

log = logging.getLogger("neat.data")

STATE_FORMAT = 1


class BatchSampler:
    """Windows drawn from the corpus's sources in proportion to their shares
    (``data.mix``); within a source every window start is equally likely."""

    def __init__(self, corpus: Corpus, *, block_size: int, batch_size: int, seed: int,
                 rank: int = 0, world_size: int = 1) -> None:
        if not 0 <= rank < world_size:
            raise DataError(f"rank {rank} is outside a world of size {world_size}")
        self.corpus = corpus
        self.settings = {"seed": seed, "block_size": block_size, "batch_size": batch_size,
                         "rank": rank, "world_size": world_size}
        window = block_size + 1
        sources = [s for s in corpus.sources if s.share > 0]
        for source in sources:
            if source.end - source.start < window:
                raise DataError(f"source '{source.spec}' has {source.end - source.start} "
                                f"bytes, fewer than one window of {window}",
                                hint="add data to it or lower model.block_size")
        self._starts = np.array([s.start for s in sources], dtype=np.int64)
        self._counts = np.array([s.end - s.start - window + 1 for s in sources],
                                dtype=np.int64)
        shares = np.array([s.share for s in sources], dtype=np.float64)
        self._shares = shares / shares.sum()
        self._window = window
        self.batches = 0  # batches drawn so far

    def next_batch(self) -> np.ndarray:
        """A ``(batch_size, block_size + 1)`` uint8 array of windows."""
        s = self.settings
        rng = rng_for(s["seed"], "batch", self.batches)
        total = s["batch_size"] * s["world_size"]
        source = rng.choice(len(self._shares), size=total, p=self._shares)
        starts = self._starts[source] + rng.integers(0, self._counts[source])
        mine = starts[s["rank"] * s["batch_size"]:(s["rank"] + 1) * s["batch_size"]]
        self.batches += 1
        return self.corpus.windows(mine, self._window)

    def state_dict(self) -> dict[str, Any]:
        """JSON-ready position and settings."""
        return {"format": STATE_FORMAT, **self.settings, "batches": self.batches,
                "corpus": self.corpus.key}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state``; the settings must match this sampler's."""
        if state.get("format") != STATE_FORMAT or not isinstance(state.get("batches"), int):
            raise DataError("the saved sampler state is not one this version can read",
                            hint="start the run again without resuming")
        for name, value in self.settings.items():
            if state.get(name) != value:
                raise DataError(f"the saved sampler state has {name} = {state.get(name)}, "
                                f"this run has {value}; the data order cannot resume",
                                hint=f"resume with the same {name}")
        if state.get("corpus") != self.corpus.key:
            log.warning("the training data changed since the sampler state was saved; "
                        "sampling continues from the saved position in the new data")
        self.batches = state["batches"]


def eval_batches(corpus: Corpus, *, block_size: int, batch_size: int, num_batches: int,
                 seed: int) -> Iterator[np.ndarray]:
    """The same ``num_batches`` batches of windows on every call (for comparable eval).

    The corpus is cut into ``batch_size * num_batches`` equal strata and one window
    start is drawn in each (seeded), so the windows cover the whole split.
    """
    window = block_size + 1
    if len(corpus) < window:
        raise DataError(f"the {corpus.split} split has {len(corpus)} bytes, fewer than one "
                        f"window of {window}", hint="add data or lower model.block_size")
    count = batch_size * num_batches
    edges = np.linspace(0, len(corpus) - window + 1, count + 1)
    low = np.floor(edges[:-1]).astype(np.int64)
    high = np.maximum(np.floor(edges[1:]).astype(np.int64), low + 1)
    starts = rng_for(seed, "eval").integers(low, high)
    for batch in range(num_batches):
        yield corpus.windows(starts[batch * batch_size:(batch + 1) * batch_size], window)
