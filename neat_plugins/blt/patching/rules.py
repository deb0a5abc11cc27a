"""Entropy patching: per-byte entropies -> patch lengths. Pure numpy; no model needed.

Conventions (``n`` bytes, ``H(t) = entropies[t]`` in bits, as returned by
:func:`neat_core.scoring.compute_entropies`: the entropy of the prediction of byte
``t + 1`` from bytes ``0..t``):

- The first patch starts at byte 0. "A boundary after byte ``t``" means the next patch
  starts at byte ``t + 1``; boundaries are only placed after bytes ``0..n-2``, so the
  last entry ``H(n-1)`` (a prediction past the end of the input) never matters.
- ``global``:   boundary after ``t`` when ``H(t) > threshold``.
- ``relative``: boundary after ``t`` when ``H(t) - H(t-1) > relative_threshold``
  (BLT's approximate monotonic constraint); never after byte 0, which has no
  predecessor.
- ``combined``: both conditions must hold (as in BLT's reference code).
- ``static``:   patches of ``patch_size`` bytes; the last holds the remainder.
- ``space``:    boundary after a run of ASCII whitespace/punctuation, i.e. after ``t``
  when byte ``t`` is whitespace/punctuation and byte ``t + 1`` is not (needs ``data``).
- ``min_patch_size`` is applied first: scanning left to right, a patch shorter than it
  is merged with the patch after it; a short last patch is merged with the one before.
- ``max_patch_size`` is applied last and always holds: a longer patch is split into the
  fewest pieces that fit, of near-equal sizes (so ``min_patch_size`` also holds wherever
  any split could satisfy both).
- Patch lengths always sum to ``n``; an empty input has no patches.
"""

from __future__ import annotations

import functools
import string
from typing import Any, Sequence

import attrs
import numpy as np

from neat_core.api import MAX_BITS
from neat_core.errors import DataError, UsageError

from .config import MODES, THRESHOLD_MODES, PatchingConfig

_DEFAULTS = PatchingConfig()

SPACE_LIKE = np.zeros(256, dtype=bool)
SPACE_LIKE[list((string.whitespace + string.punctuation).encode("ascii"))] = True


def _entropy_array(entropies: Sequence[float] | np.ndarray) -> np.ndarray:
    # float64: thresholds (e.g. calibrated midpoints) compare exactly with float32 values
    array = np.asarray(entropies, dtype=np.float64)
    if array.ndim != 1:
        raise UsageError(f"entropies must be a 1-D array, got shape {array.shape}")
    return array


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise UsageError(f"unknown patching mode '{mode}'", hint=f"modes: {', '.join(MODES)}")


def boundary_mask(entropies: Sequence[float] | np.ndarray, mode: str = "global", *,
                  threshold: float = _DEFAULTS.threshold,
                  relative_threshold: float = _DEFAULTS.relative_threshold,
                  patch_size: int = _DEFAULTS.patch_size,
                  data: bytes | np.ndarray | None = None) -> np.ndarray:
    """Boolean array, True at every byte that starts a patch (before min/max sizes)."""
    _check_mode(mode)
    h = _entropy_array(entropies)
    n = len(h)
    starts = np.zeros(n, dtype=bool)
    if n == 0:
        return starts
    if mode in ("global", "combined"):
        starts[1:] = h[:-1] > threshold
    if mode in ("relative", "combined"):
        rising = np.zeros(n, dtype=bool)
        rising[2:] = h[1:-1] - h[:-2] > relative_threshold
        starts = rising if mode == "relative" else starts & rising
    if mode == "static":
        if patch_size < 1:
            raise UsageError(f"patch_size must be at least 1, got {patch_size}")
        starts[::patch_size] = True
    if mode == "space":
        space = SPACE_LIKE[_data_array(data, n)]
        starts[1:] = space[:-1] & ~space[1:]
    starts[0] = True
    return starts


def _data_array(data: bytes | np.ndarray | None, n: int) -> np.ndarray:
    if data is None:
        raise UsageError("patching mode 'space' needs the bytes, not only their entropies",
                         hint="pass data=...")
    array = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    if len(array) != n:
        raise UsageError(f"data has {len(array)} bytes but there are {n} entropies",
                         hint="pass the same bytes the entropies were computed for")
    return array


def _merge_short(starts: np.ndarray, n: int, min_size: int) -> np.ndarray:
    kept = [0]
    for start in starts[1:].tolist():
        if start - kept[-1] >= min_size:
            kept.append(start)
    if len(kept) > 1 and n - kept[-1] < min_size:
        kept.pop()
    return np.asarray(kept, dtype=np.int64)


def _split_long(lengths: np.ndarray, max_size: int) -> np.ndarray:
    pieces = -(-lengths // max_size)
    first_piece = np.repeat(np.cumsum(pieces) - pieces, pieces)
    offset = np.arange(int(pieces.sum())) - first_piece  # index of a piece in its patch
    return np.repeat(lengths // pieces, pieces) + (offset < np.repeat(lengths % pieces, pieces))


def _lengths(entropies: np.ndarray, mode: str, *, threshold: float, relative_threshold: float,
             patch_size: int, min_patch_size: int | None, max_patch_size: int | None,
             data: bytes | np.ndarray | None) -> np.ndarray:
    _check_mode(mode)
    n = len(entropies)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(boundary_mask(entropies, mode, threshold=threshold,
                                          relative_threshold=relative_threshold,
                                          patch_size=patch_size, data=data))
    if min_patch_size is not None and min_patch_size > 1:
        starts = _merge_short(starts, n, min_patch_size)
    lengths = np.diff(np.append(starts, n))
    if max_patch_size is not None:
        if max_patch_size < 1:
            raise UsageError(f"max_patch_size must be at least 1, got {max_patch_size}")
        lengths = _split_long(lengths, max_patch_size)
    return lengths


def patch_lengths(entropies: Sequence[float] | np.ndarray, mode: str = "global", *,
                  threshold: float = _DEFAULTS.threshold,
                  relative_threshold: float = _DEFAULTS.relative_threshold,
                  patch_size: int = _DEFAULTS.patch_size, min_patch_size: int | None = None,
                  max_patch_size: int | None = None,
                  data: bytes | np.ndarray | None = None) -> list[int]:
    """Patch lengths (bytes, summing to ``len(entropies)``) for ``mode``.

    Thresholds are in bits. See the module docstring for the exact conventions.
    """
    return _lengths(_entropy_array(entropies), mode, threshold=threshold,
                    relative_threshold=relative_threshold, patch_size=patch_size,
                    min_patch_size=min_patch_size, max_patch_size=max_patch_size,
                    data=data).tolist()


def calibrate_threshold(entropies: Sequence[float] | np.ndarray, target_patch_size: float,
                        mode: str = "global", *,
                        threshold: float = _DEFAULTS.threshold,
                        relative_threshold: float = _DEFAULTS.relative_threshold,
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
    _check_mode(mode)
    if mode not in THRESHOLD_MODES:
        raise UsageError(f"patching mode '{mode}' has no threshold to calibrate",
                         hint="use mode global, relative or combined with a target patch "
                              "size (static: set patching.patch_size)")
    if not target_patch_size > 0:
        raise UsageError(f"target_patch_size must be positive, got {target_patch_size}")
    h = _entropy_array(entropies)
    if len(h) == 0:
        raise DataError("cannot calibrate a threshold on an empty input",
                        hint="pass at least one byte")
    statistic = h[1:-1] - h[:-2] if mode == "relative" else h[:-1]
    values = np.unique(statistic[(statistic > 0) & (statistic < MAX_BITS)])
    candidates = np.concatenate(([0.0], (values[:-1] + values[1:]) / 2, [MAX_BITS]))

    @functools.cache
    def average(index: int) -> float:
        theta = float(candidates[index])
        lengths = _lengths(h, mode, threshold=threshold if mode == "relative" else theta,
                           relative_threshold=theta if mode == "relative" else relative_threshold,
                           patch_size=1, min_patch_size=min_patch_size,
                           max_patch_size=max_patch_size, data=None)
        return len(h) / len(lengths)

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
