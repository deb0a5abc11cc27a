"""The split caches: each split's bytes written once from the source caches, read back
as a memmap.

A split's files are named by its specs and settings (``<split>-<hash>.*``, see
:mod:`.store` for the files and how they are written safely). The content key covers
the split's settings and every source cache's key, so a change to any file, spec or
setting rebuilds the split in place; a split whose files do not match its sidecar is
rebuilt.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import numpy as np

from .index import ROW_BYTES, DocumentIndex
from .ingest import Catalog
from .plan import CACHE_FORMAT, SplitPlan
from .store import (
    HEADER_SIZE,
    PRIVATE,
    SHARED,
    CacheFiles,
    CacheState,
    Outputs,
    building,
    cache_stem,
    open_index,
    problem,
    read_meta,
    remove,
    state,
)

log = logging.getLogger("neat.data")

COPY_BYTES = 1 << 20  # bytes copied from a source cache at a time


class SourceDamaged(Exception):
    """A source cache turned out damaged while a split was cut from it; it was removed,
    so preparing the plans again ingests it anew."""


def cache_files(plan: SplitPlan, cache_dir: str) -> CacheFiles:
    return cache_stem(cache_dir, f"{plan.split}-{plan.name_key[:16]}")


def cache_state(plan: SplitPlan, cache_dir: str) -> CacheState:
    """built: ready to use; stale: an older version of these sources (rebuilt on use);
    corrupt: damaged (rebuilt on use); missing: never built."""
    return state(cache_files(plan, cache_dir), plan.content_key(), CACHE_FORMAT)


def ensure_cache(plan: SplitPlan, cache_dir: str) -> tuple[Path, DocumentIndex]:
    """The split's up-to-date cache file and its document index, built when needed; its
    every byte is checked against the sidecar's checksums first (a damaged cache is
    rebuilt). Raises :class:`SourceDamaged` when a source cache it is cut from is."""
    files = cache_files(plan, cache_dir)
    key = plan.content_key()
    meta = read_meta(files.meta, CACHE_FORMAT)
    if meta is not None and meta["key"] == key:
        damage = problem(files, meta, body=True)
        if damage is None:
            log.debug("using byte cache %s", files.data)
            return files.data, open_index(files, meta)
        log.warning("byte cache %s is damaged (%s); rebuilding it", files.data, damage)
    elif any(path.exists() for path in files.all()):
        log.info("byte cache %s is out of date or incomplete; rebuilding it", files.data)
    _build(plan, files, key)
    meta = read_meta(files.meta, CACHE_FORMAT)
    assert meta is not None
    return files.data, open_index(files, meta)


def _build(plan: SplitPlan, files: CacheFiles, key: str) -> None:
    layout = plan.layout()
    started = time.perf_counter()
    log.info("building the %s byte cache %s (%d documents, %d bytes)", plan.split,
             files.data, layout.documents, layout.size)
    for source in plan.sources:
        _check_source(source.catalog)
    needs = HEADER_SIZE + layout.size + layout.documents * ROW_BYTES
    with building(files, key, CACHE_FORMAT, mode=_mode(plan), needs=needs) as out:
        first = True
        for source in plan.sources:
            first = _copy_source(source.catalog, source.picks, source.lengths,
                                 plan.separator, out, first)
        out.meta.update(split=plan.split, sources=layout.sources, settings=plan.settings)
    log.info("built %s in %.1f s", files.data, time.perf_counter() - started)


def _check_source(catalog: Catalog) -> None:
    """The source cache's body, checked against its checksums before it is copied."""
    assert catalog.files is not None
    damage = problem(catalog.files, catalog.meta, body=True)
    if damage:
        log.warning("byte cache %s is damaged (%s); rebuilding it", catalog.files.data,
                    damage)
        remove(catalog.files)
        raise SourceDamaged(catalog.spec)


def _mode(plan: SplitPlan) -> int:
    """Readable by all only when every source cache it is cut from is."""
    for source in plan.sources:
        assert source.catalog.files is not None
        if not source.catalog.files.data.stat().st_mode & stat.S_IROTH:
            return PRIVATE
    return SHARED


def _copy_source(catalog: Catalog, picks: np.ndarray, lengths: np.ndarray,
                 separator: bytes, out: Outputs, first: bool) -> bool:
    assert catalog.files is not None and catalog.meta is not None
    index = open_index(catalog.files, catalog.meta)
    fd = os.open(catalog.files.data, os.O_RDONLY)
    try:
        for (name, start, _), length in zip(index.entries(picks), lengths):
            if not first:
                out.write(separator)
            first = False
            begin = out.size
            position, end = HEADER_SIZE + start, HEADER_SIZE + start + int(length)
            while position < end:
                chunk = os.pread(fd, min(COPY_BYTES, end - position), position)
                if not chunk:  # changed since it was checked: damaged after all
                    log.warning("byte cache %s is shorter than its index says; rebuilding "
                                "it", catalog.files.data)
                    remove(catalog.files)
                    raise SourceDamaged(catalog.spec)
                out.write(chunk)
                position += len(chunk)
            out.index.add(name, begin, out.size)
    finally:
        os.close(fd)
        index.close()
    return first
