"""What ``neat data inspect`` reports: per source its kinds, documents, bytes before and
after decompression, bad records, text vs binary and cache state; the splits.

Figures come from a source's cache when it is built; otherwise the source is read (not
written) to count them. A document counts as **binary** when its first 8 KB hold a NUL
byte or are not valid UTF-8, else as **text** (see :func:`.ingest.classify`).
"""

from __future__ import annotations

from typing import Any

from ..config import NeatConfig
from ..errors import DataError
from .cache import cache_files, cache_state
from .ingest import Catalog, count_source, ensure_source, source_files, source_state
from .plan import SplitPlan, plan_corpora
from .sources import Seed, Sources


def inspect_data(config: NeatConfig, *, list_files: bool = False, progress: bool = False
                 ) -> dict[str, Any]:
    """Sources of ``data.train`` (and ``data.eval``) with their splits and cache states.

    A problem with a source raises :class:`DataError`; a problem with the split (e.g. an
    empty eval split) is reported under ``"error"`` so the sources are still shown.
    """
    data, seed = config.data, config.run.seed
    sources = Sources(config)
    found: dict[tuple[str, Seed], tuple[Catalog, str, str]] = {}

    def look(spec: str, seed: Seed) -> tuple[Catalog, str, str]:
        if (spec, seed) not in found:
            resolved = sources.resolve(spec, seed)
            state = source_state(sources, resolved, data.cache_dir)
            catalog = (ensure_source(sources, resolved, data.cache_dir) if state == "built"
                       else count_source(sources, resolved, progress=progress))
            found[spec, seed] = (catalog, state,
                                 str(source_files(resolved, data.cache_dir).data))
        return found[spec, seed]

    def catalog(spec: str, seed: Seed) -> Catalog:
        return look(spec, seed)[0]

    def describe(spec: str, split: str, position: int) -> dict[str, Any]:
        return _describe_source(*look(spec, (seed, split, position)), list_files)

    report: dict[str, Any] = {
        "sources": [describe(spec, "train", i) for i, spec in enumerate(data.train)],
        "eval_sources": [describe(spec, "eval", i) for i, spec in enumerate(data.eval)],
        "seed": seed, "eval_fraction": None if data.eval else data.eval_fraction,
        "cache_dir": data.cache_dir, "splits": None, "error": None}
    try:
        plans = plan_corpora(config, catalog, sources.entries)
    except DataError as error:
        report["error"] = error.one_line()
        return report
    report["splits"] = {plan.split: _describe_split(plan, data.cache_dir) for plan in plans}
    return report


def _describe_source(catalog: Catalog, state: str, path: str, list_files: bool
                     ) -> dict[str, Any]:
    figures = catalog.figures
    row: dict[str, Any] = {
        "spec": catalog.spec, "kinds": figures["kinds"], "units": len(figures["units"]),
        "sources": figures["sources"], "documents": figures["documents"],
        "empty_documents": figures["empty"], "stored_bytes": figures["stored_bytes"],
        "bytes": figures["bytes"], "bad_records": figures["bad_records"],
        "bad_examples": figures["bad_examples"],
        "text_documents": figures["text_documents"], "text_bytes": figures["text_bytes"],
        "binary_documents": figures["documents"] - figures["text_documents"],
        "binary_bytes": figures["bytes"] - figures["text_bytes"],
        "cache": {"state": state, "path": path}}
    if list_files:
        row["files"] = figures["units"]
    return row


def _describe_split(plan: SplitPlan, cache_dir: str) -> dict[str, Any]:
    layout = plan.layout()
    return {"documents": layout.documents, "bytes": layout.size,
            "shares": {source.spec: source.share for source in plan.sources},
            "cache": {"state": cache_state(plan, cache_dir),
                      "path": str(cache_files(plan, cache_dir).data)}}
