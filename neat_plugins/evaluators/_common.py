"""Helpers shared by the evaluators: progress, context settings, cached entropies."""

from __future__ import annotations

import hashlib
import sys
from collections import OrderedDict
from typing import Any, Iterator, Sequence

import numpy as np
from neat_core.scoring import compute_entropies

Documents = Sequence[tuple[str, bytes]]

# The entropy and patches evaluators need the same entropies; computing them once per
# (model, bytes, settings) halves the cost of `neat analyze`. Bounded by bytes held.
_CACHE_LIMIT_BYTES = 256 * 2**20
_cache: OrderedDict[tuple, tuple[Any, np.ndarray]] = OrderedDict()


def progress(documents: Documents, config: Any, description: str) -> Iterator[tuple[str, bytes]]:
    """The documents, with a progress bar (in bytes) on a terminal when enabled."""
    if not (config.run.progress and sys.stderr.isatty() and len(documents) > 1):
        yield from documents
        return
    from tqdm import tqdm

    with tqdm(total=sum(len(data) for _, data in documents), unit="B", unit_scale=True,
              desc=description, leave=False) as bar:
        for name, data in documents:
            yield name, data
            bar.update(len(data))


def context_settings(model: Any, config: Any) -> dict[str, int]:
    """Window length, stride and batch size used to score bytes (reported with results)."""
    block_size = int(model.config.block_size)
    return {"block_size": block_size,
            "stride": config.eval.stride or max(1, block_size // 2),  # BLT checks it fits
            "batch_size": config.eval.batch_size}


def entropies(model: Any, config: Any, backend: Any, data: bytes) -> np.ndarray:
    """Next-byte entropies in bits (BLT public API), cached for the last model."""
    settings = context_settings(model, config)
    key = (id(model), settings["stride"], settings["batch_size"],
           hashlib.blake2b(data, digest_size=16).digest())
    hit = _cache.get(key)
    if hit is not None and hit[0] is model:
        _cache.move_to_end(key)
        return hit[1]
    with backend.autocast():
        values = compute_entropies(model, data, batch_size=settings["batch_size"],
                                   stride=settings["stride"], device=backend.device)
    values = np.asarray(values, dtype=np.float32)
    _cache[key] = (model, values)
    while sum(v.nbytes for _, v in _cache.values()) > _CACHE_LIMIT_BYTES and len(_cache) > 1:
        _cache.popitem(last=False)
    return values


def summary(values: np.ndarray) -> dict[str, float | None]:
    """Mean, spread and percentiles of ``values`` as plain floats (None when empty)."""
    if values.size == 0:
        return {key: None for key in ("mean", "std", "min", "max", "p5", "p25", "p50",
                                      "p75", "p95")}
    p5, p25, p50, p75, p95 = np.percentile(values, [5, 25, 50, 75, 95])
    return {"mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max()), "p5": float(p5),
            "p25": float(p25), "p50": float(p50), "p75": float(p75), "p95": float(p95)}
