"""Loss, perplexity and bits per byte with full context.

Every byte after the first of each document is scored (the first has no context);
``score_bytes`` gives each byte the ``block_size - 1`` bytes before it through the
model's key/value cache, or slides a window of ``block_size`` bytes by ``stride`` so
each is predicted from at least ``block_size - stride`` bytes before it. Totals are
weighted by bytes: loss = total nats / scored bytes, bits per byte = loss / ln 2,
perplexity = exp(loss).
"""

from __future__ import annotations

import math
from typing import Any

from neat_core.evaluate import Documents
from neat_core.scoring import Scorer

from . import compressors
from .plugin import BitsPerByteSettings


def metrics(nats: float, count: int) -> dict[str, Any]:
    """Loss in nats per byte, perplexity and bits per byte of ``count`` scored bytes."""
    if count == 0:
        return {"bytes": 0, "loss": None, "perplexity": None, "bits_per_byte": None}
    loss = nats / count
    return {"bytes": count, "loss": loss, "perplexity": math.exp(loss),
            "bits_per_byte": loss / math.log(2)}


class BitsPerByte:
    def __init__(self, model: Any, config: Any, backend: Any) -> None:
        self.config = config
        self.scorer = Scorer(model, config, backend)

    def evaluate(self, documents: Documents) -> dict[str, Any]:
        use_compressors = self.config.settings(BitsPerByteSettings).compressors
        rows, total_nats, total_count, all_sizes = [], 0.0, 0, []
        for name, data in self.scorer.documents(documents, "scoring"):
            nll = self.scorer.nll(data)
            nats, count = float(nll.sum()), int(nll.size)
            total_nats, total_count = total_nats + nats, total_count + count
            row = {"name": name, **metrics(nats, count), "compressors": None}
            if use_compressors:
                sizes = compressors.compressed_sizes(data)
                all_sizes.append(sizes)
                row["compressors"] = compressors.bits_per_byte(sizes, len(data))
            rows.append(row)
        total_bytes = sum(len(data) for _, data in documents)
        return {
            "overall": metrics(total_nats, total_count),
            "compressors": (compressors.bits_per_byte(compressors.total_sizes(all_sizes),
                                                      total_bytes)
                            if use_compressors else None),
            "documents": rows,
            "context": dict(self.scorer.settings),
        }
