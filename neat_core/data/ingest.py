"""Ingest: a source's documents streamed once into its source cache, with figures.

A source cache (``source-<key>.*`` in ``data.cache_dir``, see :mod:`.store`) holds the
non-empty documents of one spec back to back, an index of where each lies and its name,
and the figures ``neat data inspect`` shows: units and their kinds, documents, bytes
before and after decompression, empty documents, bad records, text and binary share.
It is named by its content key -- the spec's units' identities and its sources' settings
-- so the same files used for training and evaluation share one cache; building it
replaces the older cache of the same spec. Splits (:mod:`.cache`) are cut from it.

Ingest reports progress (stored bytes/s, decompressed bytes/s and an ETA) every
``PROGRESS_SECONDS`` on big corpora, or as a bar on a terminal. Ctrl-C stops it at
once: the unfinished cache is removed, caches already built are kept, and the next run
starts that source again.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import stat
import sys
import time
from array import array
from typing import Any, Callable

import attrs
import numpy as np

from .. import interrupts
from ..contracts import Tally
from ..errors import DataError, Interrupted
from .sources import ResolvedSource, Sources, absolute_spec, plugin_errors
from .store import (
    PRIVATE,
    SHARED,
    CacheFiles,
    CacheState,
    building,
    cache_stem,
    open_index,
    problem,
    read_meta,
    remove,
    state,
)

log = logging.getLogger("neat.data")

INGEST_FORMAT = 2  # part of every source cache key: bump when its layout changes
HEAD_BYTES = 8192  # bytes of a document's start that decide text or binary
PROGRESS_SECONDS = 10.0  # between progress lines when no bar is shown


def classify(head: bytes) -> str:
    """'text' or 'binary' for the first bytes of a document: binary when they hold a NUL
    byte or are not valid UTF-8 (a character cut at the end of the head is allowed)."""
    if b"\0" in head:
        return "binary"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "binary"
    return "text"


def warn_if_binary(catalog: Catalog) -> None:
    """A warning when most of a source's bytes are not text: a model learns whatever
    bytes it is given, and a folder of executables is rarely what was meant."""
    figures = catalog.figures
    binary = figures["bytes"] - figures["text_bytes"]
    if binary > figures["bytes"] / 2:
        log.warning("data source '%s' is mostly binary, not text: %d of its %d documents "
                    "(%s of %s) hold a NUL byte or invalid UTF-8 (executables, images, "
                    "archives?); the model learns those bytes too. `neat data inspect` shows "
                    "each source's text share", catalog.spec,
                    figures["documents"] - figures["text_documents"], figures["documents"],
                    byte_size(binary), byte_size(figures["bytes"]))


def source_key(resolved: ResolvedSource) -> str:
    identity = {"format": INGEST_FORMAT, **resolved.identity(),
                "names": [unit.name for _, unit in resolved.units]}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


@attrs.frozen
class Catalog:
    """One source's documents as the split planner needs them."""

    spec: str
    key: str
    sizes: np.ndarray = attrs.field(eq=False, repr=False)  # length of each document
    figures: dict[str, Any] = attrs.field(eq=False, repr=False)
    files: CacheFiles | None = None  # None: counted for inspection, not cached
    meta: dict[str, Any] | None = attrs.field(default=None, eq=False, repr=False)


def source_files(resolved: ResolvedSource, cache_dir: str) -> CacheFiles:
    return cache_stem(cache_dir, f"source-{source_key(resolved)[:16]}")


def source_state(sources: Sources, resolved: ResolvedSource, cache_dir: str) -> CacheState:
    """As :func:`.store.state`; a spec whose files changed since its cache was built is
    ``stale`` (its cache has another name: the key is in it)."""
    files = source_files(resolved, cache_dir)
    found = state(files, source_key(resolved), INGEST_FORMAT)
    if found == "missing" and _older(sources, resolved, files):
        return "stale"
    return found


def ensure_source(sources: Sources, resolved: ResolvedSource, cache_dir: str, *,
                  progress: bool = False) -> Catalog:
    """The source's cache, ingested when it is missing, stale or damaged (its index
    checked against its checksums each time; the body when a split is cut from it)."""
    files, key = source_files(resolved, cache_dir), source_key(resolved)
    meta = read_meta(files.meta, INGEST_FORMAT)
    damage = problem(files, meta) if meta is not None and meta["key"] == key else None
    if meta is None or meta["key"] != key or damage:
        if damage:
            log.warning("byte cache %s is damaged (%s); rebuilding it", files.data, damage)
        elif meta is not None or files.data.exists():
            log.info("the cache of %s is incomplete or out of date; ingesting it again",
                     resolved.spec)
        meta = _build(sources, resolved, files, key, progress)
    index = open_index(files, meta)
    try:
        sizes = index.sizes()
    finally:
        index.close()
    return Catalog(resolved.spec, key, sizes, meta["figures"], files, meta)


def count_source(sources: Sources, resolved: ResolvedSource, *,
                 progress: bool = False) -> Catalog:
    """The figures and document sizes of a source, read without writing a cache (what
    ``neat data inspect`` shows before the data is prepared)."""
    sizes = array("q")

    def end_document(name: str, size: int) -> None:
        sizes.append(size)

    figures = _scan(sources, resolved, None, end_document, progress, count_only=True)
    return Catalog(resolved.spec, source_key(resolved), np.frombuffer(sizes, np.int64)
                   if sizes else np.empty(0, np.int64), figures)


def _build(sources: Sources, resolved: ResolvedSource, files: CacheFiles, key: str,
           progress: bool) -> dict[str, Any]:
    for older in _older(sources, resolved, files):
        remove(older)
    started = time.perf_counter()
    stored = sum(unit.stored_bytes for _, unit in resolved.units)
    try:
        with building(files, key, INGEST_FORMAT, mode=_mode(resolved), needs=stored) as out:
            def end_document(name: str, size: int) -> None:
                out.index.add(name, out.size - size, out.size)

            figures = _scan(sources, resolved, out.write, end_document, progress)
            out.meta.update(spec=_spec_id(sources, resolved), figures=figures)
    except KeyboardInterrupt:
        raise Interrupted(f"ingest of {resolved.spec} {interrupts.describe()}; its "
                          f"unfinished cache was removed",
                          hint="run the command again to ingest it from the start "
                               "(sources already ingested are kept)",
                          signal=interrupts.received()) from None
    took = time.perf_counter() - started
    log.info("ingested %s: %d documents, %s from %s stored, in %.1f s", resolved.spec,
             figures["documents"], byte_size(figures["bytes"]), byte_size(figures["stored_bytes"]),
             took)
    return read_meta(files.meta, INGEST_FORMAT) or {}


def _spec_id(sources: Sources, resolved: ResolvedSource) -> list[Any]:
    return [absolute_spec(resolved.spec, sources.entries), list(resolved.seed)]


def _older(sources: Sources, resolved: ResolvedSource, files: CacheFiles
           ) -> list[CacheFiles]:
    """The caches an earlier version of this spec left (its files changed since)."""
    spec = _spec_id(sources, resolved)
    found = []
    for meta_path in files.stem.parent.glob("source-*.json"):
        meta = read_meta(meta_path, INGEST_FORMAT)
        if meta is not None and meta.get("spec") == spec and meta_path != files.meta:
            found.append(CacheFiles(meta_path.with_suffix("")))
    return found


def _mode(resolved: ResolvedSource) -> int:
    """Cache files are readable by all only when every file of the source is (a source
    that is not a file, e.g. generated, counts as private)."""
    for _, unit in resolved.units:
        try:
            info = os.stat(unit.name)
        except OSError:
            return PRIVATE
        if not info.st_mode & stat.S_IROTH:
            return PRIVATE
    return SHARED


def _scan(sources: Sources, resolved: ResolvedSource, write: Callable[[bytes], None] | None,
          end_document: Callable[[str, int], None], show: bool,
          count_only: bool = False) -> dict[str, Any]:
    """Read every unit of the source; returns its figures."""
    units = [_unit_figures(name, unit) for name, unit in resolved.units]
    meter = Meter(resolved.spec, sum(u["stored_bytes"] for u in units), show)
    examples: list[str] = []
    try:
        for (name, unit), row in zip(resolved.units, units):
            tally = Tally(meter.advance)
            with plugin_errors(sources.entries[name], f"reading {unit.name}"):
                for document in unit.read(tally):
                    size, head = 0, b""
                    for chunk in document.chunks:
                        if len(head) < HEAD_BYTES:
                            head += chunk[:HEAD_BYTES - len(head)]
                        size += len(chunk)
                        if write is not None:
                            write(chunk)
                        meter.output(len(chunk))
                        if count_only and document.size is not None and len(head) >= min(
                                HEAD_BYTES, document.size):
                            size = document.size
                            break
                    if size == 0:
                        row["empty"] += 1
                        continue
                    end_document(document.name, size)
                    row["documents"] += 1
                    row["bytes"] += size
                    if classify(head) == "text":
                        row["text_documents"] += 1
                        row["text_bytes"] += size
            meter.advance(unit.stored_bytes - tally.stored)
            row["bad_records"] = tally.bad_records
            examples += tally.examples[:max(0, Tally.EXAMPLES - len(examples))]
    finally:
        meter.close()
    figures = {key: sum(u[key] for u in units) for key in
               ("stored_bytes", "documents", "bytes", "empty", "bad_records",
                "text_documents", "text_bytes")}
    kinds: dict[str, int] = {}
    for row in units:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    figures.update(kinds=kinds, bad_examples=examples, units=units,
                   sources=sorted(resolved.settings))
    if figures["bad_records"] and not count_only:  # inspect shows them itself
        log.warning("%s: %d bad records skipped (%s)", resolved.spec, figures["bad_records"],
                    "; ".join(examples[:3]))
    if not figures["documents"]:
        raise empty_source(resolved.spec, len(units), figures["bad_records"], examples)
    return figures


def _unit_figures(source: str, unit: Any) -> dict[str, Any]:
    return {"name": unit.name, "kind": unit.kind, "source": source,
            "stored_bytes": unit.stored_bytes, "documents": 0, "bytes": 0, "empty": 0,
            "bad_records": 0, "text_documents": 0, "text_bytes": 0}


def empty_source(spec: str, units: int, bad_records: int, examples: list[str]) -> DataError:
    """The error for a source without a single non-empty document."""
    if bad_records:
        return DataError(f"data source '{spec}' has no usable documents: {bad_records} bad "
                         f"records skipped (first: {examples[0]})",
                         hint="check the source's settings, e.g. the field that holds "
                              "the text (data.<source>.*)")
    return DataError(f"data source '{spec}' has only empty files ({units})",
                     hint="point it at files with content")


def byte_size(count: float) -> str:
    """``count`` bytes for people: 512 B, 1.5 kB, 12.3 MB, 4.1 GB."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


class Meter:
    """Progress of an ingest: stored bytes read (of a known total) and bytes out."""

    def __init__(self, spec: str, total: int, show: bool) -> None:
        self.spec, self.total = spec, total
        self.stored = self.out = 0
        self.started = self._last = time.perf_counter()
        self._bar = None
        if show and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total or None, unit="B", unit_scale=True,
                             desc=f"ingesting {spec}", leave=False, dynamic_ncols=True)

    def advance(self, stored: int) -> None:
        self.stored += stored
        if self._bar is not None:
            self._bar.update(stored)
        self._tick()

    def output(self, count: int) -> None:
        self.out += count
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._bar is not None or now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        log.info("%s", self.line(now - self.started))

    def line(self, seconds: float) -> str:
        seconds = max(seconds, 1e-9)
        rate = self.stored / seconds
        text = f"ingesting {self.spec}: {byte_size(self.stored)}"
        if self.total:
            fraction = min(self.stored / self.total, 1.0)
            eta = (self.total - self.stored) / rate if rate > 0 else float("inf")
            text += (f" of {byte_size(self.total)} ({100 * fraction:.0f}%), "
                     f"{byte_size(rate)}/s, ETA {eta:.0f} s")
        return text + f"; {byte_size(self.out)} out ({byte_size(self.out / seconds)}/s)"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
