"""Whole documents straight from the sources, without a cache (for evaluation)."""

from __future__ import annotations

import logging
from typing import Iterable, Iterator

from ..config import NeatConfig
from ..contracts import SourceDocument, Tally
from ..errors import DataError
from .ingest import empty_source
from .sources import Sources, plugin_errors

log = logging.getLogger("neat.data")


def iter_documents(config: NeatConfig, sources: list[str]) -> Iterator[SourceDocument]:
    """Every document of ``sources``, in order, streamed: read each one's chunks before
    asking for the next. A source that gives no non-empty document is a DataError.

    For evaluators and analysis, which need whole documents rather than a cache.
    Generated sources are seeded by ``run.seed`` exactly as explicit eval sources
    (``data.eval``) are in :func:`neat_core.data.build_corpora`.
    """
    registered = Sources(config)
    if not sources:
        raise DataError("no data sources given", hint=f"sources are {registered.kinds()}")
    for position, spec in enumerate(sources):
        resolved = registered.resolve(spec, (config.run.seed, "eval", position))
        found, bad = 0, Tally()
        for name, unit in resolved.units:
            tally = Tally()
            with plugin_errors(registered.entries[name], f"reading {unit.name}"):
                for document in unit.read(tally):
                    counted = _Counted(document.chunks)
                    yield SourceDocument(document.name, counted, document.size)
                    found += counted.size > 0
            if tally.bad_records:
                log.warning("%s: %d bad records skipped (%s)", unit.name, tally.bad_records,
                            "; ".join(tally.examples[:3]))
                bad.bad_records += tally.bad_records
                bad.examples += tally.examples
        if not found:
            raise empty_source(spec, len(resolved.units), bad.bad_records, bad.examples)


class _Counted:
    """Chunks passed through, their bytes counted (to tell an empty document)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks, self.size = chunks, 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.size += len(chunk)
            yield chunk


def read_documents(config: NeatConfig, sources: list[str]) -> list[tuple[str, bytes]]:
    """Every non-empty document of ``sources`` as ``(name, bytes)``, in order (see
    :func:`iter_documents`)."""
    documents = ((document.name, b"".join(document.chunks))
                 for document in iter_documents(config, sources))
    return [(name, data) for name, data in documents if data]
