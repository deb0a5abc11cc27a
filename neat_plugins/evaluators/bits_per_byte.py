"""Loss, perplexity and bits per byte with full context.

Every byte after the first of each document is scored (the first has no context);
``score_bytes`` gives each byte the ``block_size - 1`` bytes before it through the
model's key/value cache, or slides a window of ``block_size`` bytes by ``stride`` so
each is predicted from at least ``block_size - stride`` bytes before it. Totals are
weighted by bytes: loss = total nats / scored bytes, bits per byte = loss / ln 2,
perplexity = exp(loss).

Documents are streamed (``streams_documents``): read, scored and compressed a chunk at
a time with the model's context carried across chunk edges, so memory does not grow
with the size of the input.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Iterable

import numpy as np
from tqdm.auto import tqdm

from neat_core.api import Scorer, SourceDocument, score_stream, stream_alignment, stream_context

from . import compressors
from .settings import BitsPerByteSettings


def metrics(nats: float, count: int) -> dict[str, Any]:
    """Loss in nats per byte, perplexity and bits per byte of ``count`` scored bytes."""
    if count == 0:
        return {"bytes": 0, "loss": None, "perplexity": None, "bits_per_byte": None}
    loss = nats / count
    return {"bytes": count, "loss": loss, "perplexity": math.exp(loss),
            "bits_per_byte": loss / math.log(2)}


class BitsPerByte:
    streams_documents = True

    def __init__(self, model: Any, config: Any, backend: Any) -> None:
        self.config = config
        self.scorer = Scorer(model, config, backend)

    def evaluate(self, documents: Iterable[SourceDocument]) -> dict[str, Any]:
        use_compressors = self.config.settings(BitsPerByteSettings).compressors
        rows, total_nats, total_count, total_bytes, all_sizes = [], 0.0, 0, 0, []
        show = self.config.run.progress and sys.stderr.isatty()
        with tqdm(unit="B", unit_scale=True, desc="scoring", disable=not show, delay=1.0,
                  leave=False) as bar:
            for document in documents:
                nats, count, size, sizes = self._score(document.chunks, use_compressors, bar)
                total_nats, total_count = total_nats + nats, total_count + count
                total_bytes += size
                row = {"name": document.name, **metrics(nats, count), "compressors": None}
                if sizes is not None:
                    all_sizes.append(sizes)
                    row["compressors"] = compressors.bits_per_byte(sizes, size)
                rows.append(row)
        return {
            "overall": metrics(total_nats, total_count),
            "compressors": (compressors.bits_per_byte(compressors.total_sizes(all_sizes),
                                                      total_bytes)
                            if use_compressors else None),
            "documents": rows,
            "context": dict(self.scorer.settings),
        }

    def _score(self, chunks: Iterable[bytes], use_compressors: bool, bar: Any
               ) -> tuple[float, int, int, dict[str, int] | None]:
        """Total NLL in nats, scored bytes, bytes and compressed sizes of one document."""
        nats, count, size = 0.0, 0, 0
        sizes = compressors.CompressedSizes() if use_compressors else None
        model = self.scorer.model
        for chunk, nll in score_stream(self.scorer.nll, chunks, stream_context(model),
                                       stream_alignment(model)):
            nats += float(np.sum(nll, dtype=np.float64))
            count += int(nll.size)
            size += len(chunk)
            bar.update(len(chunk))
            if sizes is not None:
                sizes.update(chunk)
        return nats, count, size, sizes.sizes() if sizes is not None else None
