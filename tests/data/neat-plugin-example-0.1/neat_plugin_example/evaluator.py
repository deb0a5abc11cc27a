"""The ``surprise`` evaluator: where the model is most surprised, in bits per byte.

It scores through :class:`neat_core.scoring.Scorer` (any model, the config's window
settings, shared with NEAT's evaluators), so it needs no model plugin's insides. Its
results are nested on purpose -- a dict of numbers, a dict of dicts, lists of row
dicts -- which NEAT's text and html reports render as fields, tables and sections.
Imports numpy and torch: only the factory imports this module.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neat_core.api import Documents
from neat_core.config import NeatConfig
from neat_core.scoring import Scorer

from .config import SurpriseSettings

CLASSES = ("letter", "digit", "space", "other")


def byte_class(value: int) -> str:
    """ASCII letter, digit, whitespace, or other (punctuation, control, non-ASCII)."""
    byte = bytes([value])  # bytes' isalpha/isdigit/isspace look at ASCII only
    return ("letter" if byte.isalpha() else "digit" if byte.isdigit()
            else "space" if byte.isspace() else "other")


CLASS_OF = np.array([CLASSES.index(byte_class(value)) for value in range(256)], dtype=np.int8)


def mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def shown(data: bytes) -> str:
    """Bytes as one printable line: text as it is, the rest escaped (``\\n``, ``\\xff``)."""
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


class Surprise:
    def __init__(self, model: Any, config: NeatConfig, backend: Any) -> None:
        self.scorer = Scorer(model, config, backend)
        self.settings = config.settings(SurpriseSettings)  # evaluators.surprise

    def evaluate(self, documents: Documents) -> dict[str, Any]:
        bits, classes, rows = [], [], []
        for name, data in self.scorer.documents(documents, "surprise"):
            doc_bits = self.scorer.nll(data) / math.log(2)  # of bytes 1..n-1
            bits.append(doc_bits)
            classes.append(CLASS_OF[np.frombuffer(data, dtype=np.uint8)[1:]])
            rows.append({"name": name, "bytes": int(doc_bits.size),
                         "bits_per_byte": mean(doc_bits)})
        all_bits, all_classes = np.concatenate(bits), np.concatenate(classes)
        by_class = {}
        for number, label in enumerate(CLASSES):
            selected = all_bits[all_classes == number]
            by_class[label] = {"bytes": int(selected.size), "bits_per_byte": mean(selected)}
        starts = np.cumsum([0] + [len(b) for b in bits])  # of each document in all_bits
        top = np.argsort(-all_bits, kind="stable")[: self.settings.top]
        return {
            "overall": {"bytes": int(all_bits.size), "bits_per_byte": mean(all_bits),
                        "max_bits": float(all_bits.max()) if all_bits.size else None},
            "by_class": by_class,
            "most_surprising": [self._row(documents, starts, int(i), float(all_bits[i]))
                                for i in top],
            "documents": rows,
        }

    def _row(self, documents: Documents, starts: np.ndarray, i: int,
             bits: float) -> dict[str, Any]:
        """Row of byte ``i`` of all scored bytes: its document, offset and context."""
        index = int(np.searchsorted(starts, i, side="right")) - 1
        name, data = documents[index]
        offset = i - int(starts[index]) + 1  # byte 0 of a document is not scored
        before = data[max(0, offset - self.settings.context):offset]
        return {"document": name, "offset": offset, "byte": shown(data[offset:offset + 1]),
                "bits": bits, "before": shown(before)}
