"""Whole documents straight from the sources, without a cache (for evaluation)."""

from __future__ import annotations

import logging

from ..api import Tally
from ..config import NeatConfig
from ..errors import DataError
from .ingest import empty_source
from .sources import Sources, plugin_errors

log = logging.getLogger("neat.data")


def read_documents(config: NeatConfig, sources: list[str]) -> list[tuple[str, bytes]]:
    """Every non-empty document of ``sources`` as ``(name, bytes)``, in order.

    For evaluators and analysis, which need whole documents rather than a cache.
    Generated sources are seeded by ``run.seed`` exactly as explicit eval sources
    (``data.eval``) are in :func:`neat_core.data.build_corpora`.
    """
    registered = Sources(config)
    if not sources:
        raise DataError("no data sources given", hint=f"sources are {registered.kinds()}")
    out: list[tuple[str, bytes]] = []
    for position, spec in enumerate(sources):
        resolved = registered.resolve(spec, (config.run.seed, "eval", position))
        found, bad = len(out), Tally()
        for name, unit in resolved.units:
            tally = Tally()
            with plugin_errors(registered.entries[name], f"reading {unit.name}"):
                for document in unit.read(tally):
                    data = b"".join(document.chunks)
                    if data:
                        out.append((document.name, data))
            if tally.bad_records:
                log.warning("%s: %d bad records skipped (%s)", unit.name, tally.bad_records,
                            "; ".join(tally.examples[:3]))
                bad.bad_records += tally.bad_records
                bad.examples += tally.examples
        if len(out) == found:
            raise empty_source(spec, len(resolved.units), bad.bad_records, bad.examples)
    return out
