"""Corpora: the memory-mapped bytes of a split with its documents and sources."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import attrs
import numpy as np

from ..config import DataConfig
from .cache import HEADER_SIZE, ensure_cache
from .plan import SplitPlan, check_windows, plan_corpora


@attrs.frozen
class Document:
    name: str
    start: int  # offset in Corpus.array
    end: int


@attrs.frozen
class Source:
    """One source's bytes ``array[start:end]`` and its share of sampled windows."""

    spec: str
    start: int
    end: int
    documents: int
    share: float


@attrs.frozen
class Corpus:
    """The joined bytes of one split; ``array`` is a read-only uint8 memmap."""

    split: str
    path: Path
    key: str  # the content key of the cache
    array: np.memmap = attrs.field(eq=False, repr=False)
    documents: tuple[Document, ...] = attrs.field(repr=False)
    sources: tuple[Source, ...]
    fd: int = attrs.field(eq=False, repr=False)  # the cache file, for windows()

    def __len__(self) -> int:
        return len(self.array)

    def windows(self, starts: np.ndarray, length: int) -> np.ndarray:
        """``(len(starts), length)`` uint8 rows ``array[s:s + length]``, read with pread.

        Touching the memmap would map file pages into this process, and Linux counts
        them as resident memory (with fault-around and large folios a few thousand
        random windows map a whole 1 GB file); reads keep resident memory flat.
        """
        out = np.empty((len(starts), length), dtype=np.uint8)
        for row, start in enumerate(starts.tolist()):
            out[row] = np.frombuffer(os.pread(self.fd, length, HEADER_SIZE + start), np.uint8)
        return out


@attrs.frozen
class Corpora:
    train: Corpus
    eval: Corpus


def build_corpora(data: DataConfig, *, seed: int, block_size: int) -> Corpora:
    """The train and eval corpora of ``data``, built into the cache when needed.

    Raises :class:`~neat_core.errors.DataError` for missing or unusable data, including
    a split too short for one ``block_size + 1`` window. Never substitutes other data.
    """
    train, evals = plan_corpora(data, seed=seed)
    check_windows(train, evals, block_size)
    return Corpora(open_corpus(train, data.cache_dir), open_corpus(evals, data.cache_dir))


def open_corpus(plan: SplitPlan, cache_dir: str) -> Corpus:
    path = ensure_cache(plan, cache_dir)
    layout = plan.layout()
    array = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_SIZE,
                      shape=(layout.size,))
    sources = tuple(Source(spec, start, end, count, source.share)
                    for (spec, start, end, count), source in zip(layout.sources, plan.sources))
    fd = os.open(path, os.O_RDONLY)
    corpus = Corpus(plan.split, path, plan.content_key(), array,
                    tuple(Document(*doc) for doc in layout.documents), sources, fd)
    weakref.finalize(corpus, os.close, fd)
    return corpus
