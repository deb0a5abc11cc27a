"""The ``patches`` evaluator: patch statistics for the configured patching (or, for a
model that cuts its own patches such as a BLT, for the patches it cuts), a threshold
sweep, and a preview.

- ``patching``: the settings used; with ``patching.target_patch_size`` the threshold
  is first calibrated on all the input's entropies (``calibrated: true``).
- number of patches, sizes (mean, median, min, max, distribution), boundary ratio
  (patches per byte) and patches per KiB, overall and per document;
- ``sweep``: threshold -> mean patch size and patches per KiB (``global`` mode, or
  ``relative`` when that is the configured mode), plus the threshold that gives each
  of a few target patch sizes;
- ``preview``: the first ``eval.preview_bytes`` bytes of the first document with their
  entropies and the offsets where patches start, for shaded rendering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .calibration import calibrate_threshold, calibrated, patch_lengths_for
from .rules import lengths as rule_lengths
from .settings import PatchingConfig

if TYPE_CHECKING:
    from neat_core.api import Documents, ModelPatching, Scorer

SWEEP_THRESHOLDS = tuple(round(0.25 * i, 2) for i in range(33))  # 0..8 bits
CALIBRATION_TARGETS = (2.0, 3.0, 4.0, 6.0, 8.0)


def starts(lengths: list[int]) -> np.ndarray:
    """Byte offsets where the patches of ``lengths`` start."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def swept(patching: PatchingConfig) -> PatchingConfig:
    """The patching whose threshold is swept and calibrated: the configured one when its
    mode has a threshold, else global."""
    return patching if patching.uses_threshold else attrs.evolve(patching, mode="global")


def calibrate(values: np.ndarray, target: float, patching: Any, mode: str) -> float:
    """The threshold of ``mode`` giving ``target``-byte patches on average."""
    return float(calibrate_threshold(values, target, mode, threshold=patching.threshold,
                                     relative_threshold=patching.relative_threshold,
                                     min_patch_size=patching.min_patch_size,
                                     max_patch_size=patching.max_patch_size))


def size_stats(sizes: np.ndarray, total_bytes: int) -> dict[str, Any]:
    values, counts = np.unique(sizes, return_counts=True)
    return {"patches": int(sizes.size), "mean_patch_size": total_bytes / sizes.size,
            "median_patch_size": float(np.median(sizes)), "min_patch_size": int(sizes.min()),
            "max_patch_size": int(sizes.max()), "boundary_ratio": sizes.size / total_bytes,
            "patches_per_kb": 1024.0 * sizes.size / total_bytes,
            "size_histogram": {"sizes": [int(v) for v in values],
                               "counts": [int(c) for c in counts]}}


class PatchStats:
    """Reads its entropies from ``scorer`` (the plugin's factory makes it, so this module
    needs no torch). With ``own`` (a model's ``patching()``, e.g. a BLT's), the patches
    are those the model cuts, and the entropies shown those that placed them (or, for
    fixed rules, the scorer's); the ``patching`` section is then only the threshold
    sweep's what-if."""

    def __init__(self, scorer: Scorer, config: Any, own: ModelPatching | None = None
                 ) -> None:
        self.config = config
        self.patching = config.settings(PatchingConfig)
        self.scorer = scorer
        self.own = own

    def evaluate(self, documents: Documents) -> dict[str, Any]:
        if self.own is not None:
            return self._own(documents)
        values = [self.scorer.entropies(data)
                  for _, data in self.scorer.documents(documents, "entropies")]
        patching, was_calibrated = self._patching(values)
        lengths = [patch_lengths_for(v, patching, data)
                   for v, (_, data) in zip(values, documents)]
        shown = {**attrs.asdict(patching), "calibrated": was_calibrated,
                 "target_patch_size": self.patching.target_patch_size,
                 "active_threshold": patching.active_threshold}
        return self._results(documents, values, lengths, patching, shown)

    def _own(self, documents: Documents) -> dict[str, Any]:
        """The model's own patches."""
        assert self.own is not None
        settings = self.own.settings
        values, lengths = [], []
        for _, data in self.scorer.documents(documents, "patches"):
            starts, placed = self.own.starts(data)
            values.append(placed if placed is not None else self.scorer.entropies(data))
            lengths.append(rule_lengths(starts).tolist())
        fields = {name: settings[name] for name in
                  ("mode", "threshold", "relative_threshold", "patch_size", "max_patch_size")
                  if name in settings}
        patching = PatchingConfig(**fields)
        shown = {**attrs.asdict(patching), "source": "model", "model": dict(settings),
                 "calibrated": "target_patch_size" in settings,
                 "target_patch_size": settings.get("target_patch_size"),
                 "active_threshold": patching.active_threshold}
        return self._results(documents, values, lengths, patching, shown)

    def _results(self, documents: Documents, values: list[np.ndarray],
                 lengths: list[list[int]], patching: PatchingConfig,
                 shown: dict[str, Any]) -> dict[str, Any]:
        total = sum(len(data) for _, data in documents)
        rows = [{"name": name, "bytes": len(data), "patches": len(doc_lengths),
                 "mean_patch_size": len(data) / len(doc_lengths)}
                for (name, data), doc_lengths in zip(documents, lengths)]
        return {"patching": shown,
                **size_stats(np.concatenate([np.asarray(x) for x in lengths]), total),
                "documents": rows,
                "sweep": self._sweep(values, documents, patching),
                "preview": self._preview(documents[0], values[0], lengths[0])}

    def _patching(self, values: list[np.ndarray]) -> tuple[Any, bool]:
        """The configured patching, its threshold calibrated on all the input when a
        target patch size is set (one threshold for every document)."""
        if self.patching.target_patch_size is None:
            return self.patching, False
        return calibrated(np.concatenate(values), self.patching), True

    def _sweep(self, values: list[np.ndarray], documents: Documents,
               patching: Any) -> dict[str, Any]:
        base = swept(patching)
        mode, key = base.mode, base.threshold_field
        total = sum(len(data) for _, data in documents)

        def count(theta: float) -> int:
            swept = attrs.evolve(patching, mode=mode, **{key: theta})
            return sum(len(patch_lengths_for(v, swept, data))
                       for v, (_, data) in zip(values, documents))

        points = []
        for theta in SWEEP_THRESHOLDS:
            patches = count(theta)
            points.append({"threshold": theta, "mean_patch_size": total / patches,
                           "patches_per_kb": 1024.0 * patches / total})
        configured = self.patching.target_patch_size
        targets = sorted({*CALIBRATION_TARGETS, *([configured] if configured else [])})
        everything = np.concatenate(values)
        calibration = []
        for target in targets:
            theta = calibrate(everything, target, patching, mode)
            calibration.append({"target_patch_size": target, "threshold": theta,
                                "mean_patch_size": total / count(theta)})
        return {"mode": mode, "parameter": key, "points": points, "calibration": calibration}

    def _preview(self, document: tuple[str, bytes], values: np.ndarray,
                 lengths: list[int]) -> dict[str, Any]:
        name, data = document
        size = min(len(data), self.config.eval.preview_bytes)
        offsets = starts(lengths)
        return {"document": name, "document_bytes": len(data), "bytes": list(data[:size]),
                "entropies": [round(float(v), 4) for v in values[:size]],
                "boundaries": [int(o) for o in offsets[offsets < size]]}
