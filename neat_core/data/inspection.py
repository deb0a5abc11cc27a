"""What ``neat data inspect`` reports: files found, bytes, text vs binary, splits, cache.

A document counts as **binary** when its first 8 KB hold a NUL byte or are not valid
UTF-8 (a multi-byte character cut off at the 8 KB mark is allowed), else as **text**.
"""

from __future__ import annotations

import codecs
from typing import Any

from ..config import DataConfig
from ..errors import DataError
from .cache import cache_files, cache_state
from .plan import SplitPlan, plan_corpora
from .sources import resolve_source

HEAD_BYTES = 8192


def classify(head: bytes) -> str:
    """'text' or 'binary' for the first bytes of a document (see the module docstring)."""
    if b"\0" in head:
        return "binary"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "binary"
    return "text"


def inspect_data(data: DataConfig, *, seed: int, list_files: bool = False) -> dict[str, Any]:
    """Sources of ``data.train`` (and ``data.eval``) with their splits and cache states.

    A problem with a source raises :class:`DataError`; a problem with the split (e.g. an
    empty eval split) is reported under ``"error"`` so the sources are still shown.
    """
    report: dict[str, Any] = {
        "sources": [describe_source(data, spec, seed, "train", i, list_files)
                    for i, spec in enumerate(data.train)],
        "eval_sources": [describe_source(data, spec, seed, "eval", i, list_files)
                         for i, spec in enumerate(data.eval)],
        "seed": seed, "eval_fraction": None if data.eval else data.eval_fraction,
        "cache_dir": data.cache_dir, "splits": None, "error": None}
    try:
        plans = plan_corpora(data, seed=seed)
    except DataError as error:
        report["error"] = error.one_line()
        return report
    report["splits"] = {plan.split: _describe_split(plan, data.cache_dir) for plan in plans}
    return report


def describe_source(data: DataConfig, spec: str, seed: int, split: str, position: int,
                    list_files: bool) -> dict[str, Any]:
    docs = resolve_source(spec, synthetic=data.synthetic, seed_parts=(seed, split, position))
    kinds = [(doc, classify(doc.head(HEAD_BYTES)) if doc.size else "empty") for doc in docs]
    row: dict[str, Any] = {"spec": spec, "documents": sum(1 for d in docs if d.size),
                           "empty_files": sum(1 for d in docs if not d.size),
                           "bytes": sum(d.size for d in docs)}
    for kind in ("text", "binary"):
        row[f"{kind}_documents"] = sum(1 for _, k in kinds if k == kind)
        row[f"{kind}_bytes"] = sum(d.size for d, k in kinds if k == kind)
    if list_files:
        row["files"] = [{"name": d.name, "bytes": d.size, "kind": k} for d, k in kinds]
    return row


def _describe_split(plan: SplitPlan, cache_dir: str) -> dict[str, Any]:
    layout = plan.layout()
    return {"documents": len(layout.documents), "bytes": layout.size,
            "shares": {source.spec: source.share for source in plan.sources},
            "cache": {"state": cache_state(plan, cache_dir),
                      "path": str(cache_files(plan, cache_dir).data)}}
