"""Next-byte entropy statistics in bits: overall, histogram, by byte class, per document.

Entry t of a document's entropies is the entropy of the prediction of byte t+1, so a
document of n bytes gives n-1 predictions of bytes that exist; the statistics cover
those, and each is counted in the class of the byte it predicts.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from neat_core.api import MAX_BITS, Documents, Scorer

BYTE_CLASSES = ("letters", "digits", "whitespace", "punctuation", "non-ascii", "control")
HISTOGRAM_BINS = 32  # a quarter bit each over 0..8 bits


def _class_table() -> np.ndarray:
    table = np.full(256, BYTE_CLASSES.index("control"), dtype=np.int8)
    groups = {"letters": string.ascii_letters, "digits": string.digits,
              "whitespace": " \t\n\r\x0b\x0c", "punctuation": string.punctuation}
    for name, characters in groups.items():
        table[[ord(c) for c in characters]] = BYTE_CLASSES.index(name)
    table[128:] = BYTE_CLASSES.index("non-ascii")
    return table


CLASS_OF_BYTE = _class_table()


def predictions(values: np.ndarray, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(entropies of the predictions of bytes 1..n-1, the class of each predicted byte)."""
    predicted = np.frombuffer(data, dtype=np.uint8)[1:]
    return values[: len(predicted)], CLASS_OF_BYTE[predicted]


def histogram(values: np.ndarray) -> dict[str, list]:
    counts, edges = np.histogram(np.clip(values, 0.0, MAX_BITS), bins=HISTOGRAM_BINS,
                                 range=(0.0, MAX_BITS))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def summary(values: np.ndarray) -> dict[str, float | None]:
    """Mean, spread and percentiles of ``values`` as plain floats (None when empty)."""
    if values.size == 0:
        return {key: None for key in ("mean", "std", "min", "max", "p5", "p25", "p50",
                                      "p75", "p95")}
    p5, p25, p50, p75, p95 = np.percentile(values, [5, 25, 50, 75, 95])
    return {"mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max()), "p5": float(p5),
            "p25": float(p25), "p50": float(p50), "p75": float(p75), "p95": float(p95)}


class EntropyStats:
    def __init__(self, model: Any, config: Any, backend: Any) -> None:
        self.scorer = Scorer(model, config, backend)

    def evaluate(self, documents: Documents) -> dict[str, Any]:
        values, classes, rows = [], [], []
        for name, data in self.scorer.documents(documents, "entropies"):
            doc_values, doc_classes = predictions(self.scorer.entropies(data), data)
            values.append(doc_values)
            classes.append(doc_classes)
            rows.append({"name": name, "predictions": int(doc_values.size),
                         "mean": summary(doc_values)["mean"]})
        all_values = np.concatenate(values).astype(np.float64)
        all_classes = np.concatenate(classes)
        by_class = {}
        for index, name in enumerate(BYTE_CLASSES):
            selected = all_values[all_classes == index]
            stats = summary(selected)
            by_class[name] = {"predictions": int(selected.size), "mean": stats["mean"],
                              "p50": stats["p50"]}
        return {"predictions": int(all_values.size), **summary(all_values),
                "histogram": histogram(all_values), "by_class": by_class,
                "documents": rows}
