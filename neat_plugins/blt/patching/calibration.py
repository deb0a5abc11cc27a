"""Threshold calibration: the threshold whose patches average a target size.

``calibrate_threshold`` for entropies, ``calibrated`` and ``patch_lengths_for`` for a
``patching`` section that sets ``target_patch_size``.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import attrs
import numpy as np

from neat_core.api import MAX_BITS, DataError, UsageError

from .rules import DEFAULTS, check_mode, entropy_array, patch_lengths, patch_starts
from .settings import THRESHOLD_MODES, PatchingConfig


def calibrate_threshold(entropies: Sequence[float] | np.ndarray, target_patch_size: float,
                        mode: str = "global", *,
                        threshold: float = DEFAULTS.threshold,
                        relative_threshold: float = DEFAULTS.relative_threshold,
                        min_patch_size: int | None = None,
                        max_patch_size: int | None = None) -> float:
    """The threshold (bits) whose patches average closest to ``target_patch_size`` bytes.

    ``global`` calibrates ``threshold``; ``relative`` calibrates ``relative_threshold``;
    ``combined`` calibrates ``threshold`` with ``relative_threshold`` held fixed.
    ``static`` and ``space`` have no threshold (UsageError).

    The average patch size grows with the threshold (monotonically without
    ``min_patch_size``, nearly so with it), so a bisection over the candidate
    thresholds — 0, the midpoints between consecutive distinct entropy values (or
    differences) and 8 — finds the first one reaching the target, and the closer of it
    and its predecessor is returned. Midpoints keep the result stable when it is
    printed and read back rounded. When the target cannot be reached, the nearest end is
    returned: 0.0 when even the smallest threshold gives larger patches, 8.0 when even
    the largest gives smaller ones (e.g. a target longer than the input).
    """
    check_mode(mode)
    if mode not in THRESHOLD_MODES:
        raise UsageError(f"patching mode '{mode}' has no threshold to calibrate",
                         hint="use mode global, relative or combined with a target patch "
                              "size (static: set patching.patch_size)")
    if not target_patch_size > 0:
        raise UsageError(f"target_patch_size must be positive, got {target_patch_size}")
    h = entropy_array(entropies)
    if len(h) == 0:
        raise DataError("cannot calibrate a threshold on an empty input",
                        hint="pass at least one byte")
    statistic = h[1:-1] - h[:-2] if mode == "relative" else h[:-1]  # float32, as the rules
    values = np.unique(statistic[(statistic > 0) & (statistic < MAX_BITS)]).astype(np.float64)
    candidates = np.concatenate(([0.0], (values[:-1] + values[1:]) / 2, [MAX_BITS]))

    @functools.cache
    def average(index: int) -> float:
        theta = float(candidates[index])
        starts = patch_starts(h, mode, threshold=threshold if mode == "relative" else theta,
                              relative_threshold=theta if mode == "relative"
                              else relative_threshold, patch_size=1,
                              min_patch_size=min_patch_size, max_patch_size=max_patch_size,
                              data=None)
        return len(h) / int(starts.sum())

    lo, hi = 0, len(candidates) - 1
    if average(lo) >= target_patch_size:
        return float(candidates[lo])
    if average(hi) <= target_patch_size:
        return float(candidates[hi])
    while hi - lo > 1:  # invariant: average(lo) < target < average(hi)
        mid = (lo + hi) // 2
        if average(mid) < target_patch_size:
            lo = mid
        else:
            hi = mid
    closer = hi if abs(average(hi) - target_patch_size) <= abs(average(lo) - target_patch_size) \
        else lo
    return float(candidates[closer])


def calibrated(entropies: Sequence[float] | np.ndarray, config: PatchingConfig
               ) -> PatchingConfig:
    """``config`` with its threshold calibrated to ``target_patch_size`` (if set)."""
    if config.target_patch_size is None:
        return config
    theta = calibrate_threshold(entropies, config.target_patch_size, config.mode,
                                threshold=config.threshold,
                                relative_threshold=config.relative_threshold,
                                min_patch_size=config.min_patch_size,
                                max_patch_size=config.max_patch_size)
    threshold: dict[str, Any] = {config.threshold_field: theta}
    return attrs.evolve(config, target_patch_size=None, **threshold)


def patch_lengths_for(entropies: Sequence[float] | np.ndarray, patching_config: PatchingConfig,
                      data: bytes | np.ndarray | None = None) -> list[int]:
    """Patch lengths for a ``patching`` config section, calibrating θ when it sets
    ``target_patch_size``."""
    config = calibrated(entropies, patching_config)
    return patch_lengths(entropies, config.mode, threshold=config.threshold,
                         relative_threshold=config.relative_threshold,
                         patch_size=config.patch_size, min_patch_size=config.min_patch_size,
                         max_patch_size=config.max_patch_size, data=data)
