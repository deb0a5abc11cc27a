"""Corpora: the memory-mapped bytes of a split with its documents and sources."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Iterator, Sequence, overload

import attrs
import numpy as np

from ..config import NeatConfig
from ..errors import DataError
from .cache import SourceDamaged, ensure_cache
from .documents import CHUNK
from .index import DocumentIndex
from .ingest import Catalog, ensure_source, warn_if_binary
from .plan import SplitPlan, check_windows, plan_corpora
from .sources import Seed, Sources
from .store import HEADER_SIZE


@attrs.frozen
class Document:
    name: str
    start: int  # offset in Corpus.array
    end: int


class Documents(Sequence[Document]):
    """The documents of a split, looked up in its index when asked for (a corpus may
    hold millions)."""

    def __init__(self, index: DocumentIndex) -> None:
        self._index = index
        weakref.finalize(self, index.close)

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def __getitem__(self, item: int) -> Document: ...

    @overload
    def __getitem__(self, item: slice) -> list[Document]: ...

    def __getitem__(self, item: int | slice) -> Document | list[Document]:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        return Document(*self._index.entry(item if item >= 0 else len(self) + item))

    def __iter__(self) -> Iterator[Document]:
        for name, start, end in self._index.entries(np.arange(len(self))):
            yield Document(name, start, end)


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
    documents: Documents = attrs.field(eq=False, repr=False)
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

    def read(self, document: Document) -> Iterator[bytes]:
        """``document``'s bytes in chunks, read with pread (as in ``windows``, resident
        memory stays flat however long it is)."""
        position = document.start
        while position < document.end:
            chunk = os.pread(self.fd, min(CHUNK, document.end - position),
                             HEADER_SIZE + position)
            if not chunk:
                raise DataError(f"byte cache {self.path} is shorter than its index says",
                                hint="run the command again to rebuild it")
            position += len(chunk)
            yield chunk


@attrs.frozen
class Corpora:
    train: Corpus
    eval: Corpus


def prepare_plans(config: NeatConfig, *, progress: bool = False
                  ) -> tuple[SplitPlan, SplitPlan]:
    """The train and eval plans, every source ingested into its cache first."""
    sources = Sources(config)
    catalogs: dict[tuple[str, Seed], Catalog] = {}

    def catalog(spec: str, seed: Seed) -> Catalog:
        if (spec, seed) not in catalogs:
            first = all(known != spec for known, _ in catalogs)  # warn once per spec
            resolved = sources.resolve(spec, seed)
            catalogs[spec, seed] = ensure_source(sources, resolved, config.data.cache_dir,
                                                 progress=progress)
            if first:
                warn_if_binary(catalogs[spec, seed])
        return catalogs[spec, seed]

    return plan_corpora(config, catalog, sources.entries)


def build_corpora(config: NeatConfig, *, block_size: int, progress: bool = False) -> Corpora:
    """The train and eval corpora of ``config.data``, ingested and cut into the cache
    when needed (``progress``: a bar on a terminal).

    Raises :class:`~neat_core.errors.DataError` for missing or unusable data, including
    a split too short for one ``block_size + 1`` window. Never substitutes other data.
    """
    cache_dir = config.data.cache_dir
    for attempt in range(2):  # a damaged source cache is removed, then ingested again
        train, evals = prepare_plans(config, progress=progress)
        check_windows(train, evals, block_size)
        try:
            return Corpora(open_corpus(train, cache_dir), open_corpus(evals, cache_dir))
        except SourceDamaged as damaged:
            if attempt:
                raise DataError(f"the byte cache of {damaged} was damaged again right "
                                f"after it was rebuilt",
                                hint=f"check the disk that holds {cache_dir}") from None
    raise AssertionError("unreachable")


def open_corpus(plan: SplitPlan, cache_dir: str) -> Corpus:
    path, index = ensure_cache(plan, cache_dir)
    layout = plan.layout()
    array = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_SIZE,
                      shape=(layout.size,))
    sources = tuple(Source(spec, start, end, count, source.share)
                    for (spec, start, end, count), source in zip(layout.sources, plan.sources))
    fd = os.open(path, os.O_RDONLY)
    corpus = Corpus(plan.split, path, plan.content_key(), array, Documents(index), sources,
                    fd)
    weakref.finalize(corpus, os.close, fd)
    return corpus
