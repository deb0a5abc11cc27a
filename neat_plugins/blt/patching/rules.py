"""The patching rules: where patches start, from per-byte entropies or from the bytes.

One set of rules for the whole plugin. The functions of the first part take numpy arrays
or torch tensors alike, ``[..., n]`` (batched over leading axes), and use only what both
define the same way (slices, comparisons, ``& | ~``, ``cumsum``, a running maximum), so
the BLT's in-model patcher runs them on its tensors, on its device, and cuts exactly the
patches that ``neat patch``, the patch evaluator and :class:`~.stream.PatchStream` cut
from numpy arrays (tests/test_blt_patcher_rules.py checks it in every mode). The second
part is numpy only: :func:`patch_lengths` for one input, and ``min_patch_size``.

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
- ``min_patch_size`` is applied first (numpy only: it needs later bytes): scanning left
  to right, a patch shorter than it is merged with the patch after it; a short last
  patch is merged with the one before.
- ``max_patch_size`` is applied last and always holds. It is greedy: a patch that
  reaches the maximum ends there (10 bytes with a maximum of 4 give 4, 4, 2). Greedy
  because it is causal, which the BLT needs: whether byte ``t`` starts a patch depends on
  bytes ``0..t`` only, where a split into near-equal pieces needs the patch's length.
- Patch lengths always sum to ``n``; an empty input has no patches.
- Entropies are compared in float32, the precision models compute them in (a rise
  ``H(t) - H(t-1)`` is their float32 difference), and each threshold as the real number
  it is (:func:`comparable`), so a threshold halfway between two float32 values (a
  calibrated one) splits them exactly, on every device.
"""

from __future__ import annotations

import math
import string
from typing import Any, Sequence

import numpy as np

from neat_core.api import UsageError

from .settings import MODES, PatchingConfig

Array = Any  # a numpy array or a torch tensor; the rules treat both alike

DEFAULTS = PatchingConfig()  # the default of each setting the functions take

SPACE_LIKE = np.zeros(256, dtype=bool)  # byte value -> ASCII whitespace or punctuation
SPACE_LIKE[list((string.whitespace + string.punctuation).encode("ascii"))] = True


# --- the rules, for numpy arrays and torch tensors ----------------------------------------

def comparable(threshold: float) -> float:
    """The largest float32 not above ``threshold``: for every float32 ``x``,
    ``x > threshold`` exactly when ``x > comparable(threshold)``, and the latter compares
    in float32 without rounding the threshold."""
    rounded = np.float32(threshold)
    if float(rounded) > threshold:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)


def _none(x: Array) -> Array:
    """A mask of ``x``'s kind, shape and device that is False everywhere."""
    return x > math.inf


def entropy_starts(entropies: Array, mode: str, threshold: float,
                   relative_threshold: float) -> Array:
    """``[..., n]`` bool, True where a patch starts under the entropy rule of ``mode``
    (global, relative or combined) for float32 ``entropies [..., n]``."""
    h = entropies
    starts = _none(h)
    if mode in ("global", "combined"):
        starts[..., 1:] = h[..., :-1] > comparable(threshold)
    if mode in ("relative", "combined"):
        rising = _none(h)
        rising[..., 2:] = h[..., 1:-1] - h[..., :-2] > comparable(relative_threshold)
        starts = rising if mode == "relative" else starts & rising
    starts[..., :1] = True
    return starts


def space_starts(space: Array) -> Array:
    """``[..., n]`` bool, True where a patch starts in mode space, from ``space [..., n]``:
    whether each byte is whitespace/punctuation (:data:`SPACE_LIKE` of the bytes)."""
    starts = _none(space)
    starts[..., 1:] = space[..., :-1] & ~space[..., 1:]
    starts[..., :1] = True
    return starts


def static_starts(positions: Array, patch_size: int) -> Array:
    """True at the ``positions`` (byte offsets in the input) where a static patch starts."""
    return positions % patch_size == 0


def mode_starts(mode: str, *, entropies: Array | None = None, space: Array | None = None,
                positions: Array | None = None, threshold: float,
                relative_threshold: float, patch_size: int) -> Array:
    """Where patches start in ``mode``, before min/max sizes; each mode reads its input:
    ``entropies`` (global, relative, combined), ``space`` (space) or ``positions``
    (static, byte offsets from the input's start)."""
    if mode == "static":
        return static_starts(positions, patch_size)
    if mode == "space":
        return space_starts(space)
    return entropy_starts(entropies, mode, threshold, relative_threshold)


def _running_max(values: Array) -> Array:
    if isinstance(values, np.ndarray):
        return np.maximum.accumulate(values, axis=-1)
    return values.cummax(-1).values  # a torch tensor: computed on its own device


def split_long(starts: Array, max_size: int, positions: Array | None = None,
               previous: Array | int = 0) -> Array:
    """``starts [..., n]`` with a start added ``max_size`` bytes after each start, and
    after each added one, until the next start: the greedy ``max_patch_size``.

    ``positions [..., n]`` are the bytes' offsets (default ``0..n-1``) and ``previous``
    (``[..., 1]`` or a number) the offset of the last start before them, for a stream
    cut in pieces; by default the first byte is a start."""
    if positions is None:
        positions = (starts | True).cumsum(-1) - 1
    last = _running_max(positions * starts + previous * ~starts)  # each byte's patch start
    return starts | ((positions - last) % max_size == 0)


def keep_first(starts: Array, count: int, positions: Array | None = None,
               block: int | None = None, before: Array | int = 0) -> Array:
    """``starts [..., n]`` without the starts after the ``count``-th of each block of
    ``block`` bytes (the BLT's ``patches_per_window``): blocks begin at the
    ``positions`` that are multiples of ``block``, each of which must be a start;
    ``before`` starts of the first block precede the input. Default: the whole input
    is one block."""
    kept = starts.cumsum(-1)
    if block is not None and positions is not None:
        edge = positions % block == 0
        kept = kept - _running_max((kept - 1) * edge - before * ~edge)
    else:
        kept = kept + before
    return starts & (kept <= count)


# --- numpy: one input ------------------------------------------------------------------------

def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise UsageError(f"unknown patching mode '{mode}'", hint=f"modes: {', '.join(MODES)}")


def entropy_array(entropies: Sequence[float] | np.ndarray) -> np.ndarray:
    """``entropies`` as the 1-D float32 array the rules compare."""
    array = np.asarray(entropies, dtype=np.float32)
    if array.ndim != 1:
        raise UsageError(f"entropies must be a 1-D array, got shape {array.shape}")
    return array


def boundary_mask(entropies: Sequence[float] | np.ndarray, mode: str = "global", *,
                  threshold: float = DEFAULTS.threshold,
                  relative_threshold: float = DEFAULTS.relative_threshold,
                  patch_size: int = DEFAULTS.patch_size,
                  data: bytes | np.ndarray | None = None) -> np.ndarray:
    """Boolean array, True at every byte that starts a patch (before min/max sizes)."""
    check_mode(mode)
    h = entropy_array(entropies)
    if mode == "static" and patch_size < 1:
        raise UsageError(f"patch_size must be at least 1, got {patch_size}")
    space = SPACE_LIKE[_data_array(data, len(h))] if mode == "space" else None
    return mode_starts(mode, entropies=h, space=space, positions=np.arange(len(h)),
                       threshold=threshold, relative_threshold=relative_threshold,
                       patch_size=patch_size)


def _data_array(data: bytes | np.ndarray | None, n: int) -> np.ndarray:
    if data is None:
        raise UsageError("patching mode 'space' needs the bytes, not only their entropies",
                         hint="pass data=...")
    array = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    if len(array) != n:
        raise UsageError(f"data has {len(array)} bytes but there are {n} entropies",
                         hint="pass the same bytes the entropies were computed for")
    return array


def merge_short(starts: np.ndarray, min_size: int) -> np.ndarray:
    """The start mask ``starts [n]`` with ``min_patch_size`` applied."""
    n = len(starts)
    kept = [0]
    for start in np.flatnonzero(starts)[1:].tolist():
        if start - kept[-1] >= min_size:
            kept.append(start)
    if len(kept) > 1 and n - kept[-1] < min_size:
        kept.pop()
    merged = np.zeros(n, dtype=bool)
    merged[kept] = True
    return merged


def lengths(starts: np.ndarray) -> np.ndarray:
    """Patch lengths of a start mask ``starts [n]``."""
    return np.diff(np.append(np.flatnonzero(starts), len(starts)))


def patch_starts(entropies: np.ndarray, mode: str, *, threshold: float,
                 relative_threshold: float, patch_size: int, min_patch_size: int | None,
                 max_patch_size: int | None, data: bytes | np.ndarray | None) -> np.ndarray:
    """Where patches start, all rules applied (``entropies`` from :func:`entropy_array`)."""
    starts = boundary_mask(entropies, mode, threshold=threshold,
                           relative_threshold=relative_threshold, patch_size=patch_size,
                           data=data)
    if min_patch_size is not None and min_patch_size > 1 and len(starts):
        starts = merge_short(starts, min_patch_size)
    if max_patch_size is not None:
        if max_patch_size < 1:
            raise UsageError(f"max_patch_size must be at least 1, got {max_patch_size}")
        starts = split_long(starts, max_patch_size)
    return starts


def patch_lengths(entropies: Sequence[float] | np.ndarray, mode: str = "global", *,
                  threshold: float = DEFAULTS.threshold,
                  relative_threshold: float = DEFAULTS.relative_threshold,
                  patch_size: int = DEFAULTS.patch_size, min_patch_size: int | None = None,
                  max_patch_size: int | None = None,
                  data: bytes | np.ndarray | None = None) -> list[int]:
    """Patch lengths (bytes, summing to ``len(entropies)``) for ``mode``.

    Thresholds are in bits. See the module docstring for the exact conventions.
    """
    return lengths(patch_starts(entropy_array(entropies), mode, threshold=threshold,
                                relative_threshold=relative_threshold, patch_size=patch_size,
                                min_patch_size=min_patch_size, max_patch_size=max_patch_size,
                                data=data)).tolist()
