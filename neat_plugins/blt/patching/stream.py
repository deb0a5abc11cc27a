"""Entropy patching of a stream: patches come out as soon as they are final.

:class:`PatchStream` takes the bytes and entropies of an input piece by piece and gives
exactly the patches :func:`~.rules.patch_lengths` gives for the whole input (the same
rules, tested), holding only the bytes of patches not yet final: a boundary at byte
``t`` depends on at most the two entropies and the byte before it, a patch is final once
the next boundary survives ``min_patch_size`` (only the last one can be merged away, at
the end), and ``max_patch_size`` then cuts it. Memory is the piece being fed plus the
longest patch.
"""

from __future__ import annotations

from typing import Iterator

import attrs
import numpy as np

from .rules import boundary_mask, check_mode, lengths, split_long, static_starts
from .settings import PatchingConfig

HISTORY = 2  # entropies (and bytes) before a byte that decide whether a patch starts there


@attrs.frozen
class Patch:
    start: int  # offset of its first byte in the input
    data: bytes
    entropies: np.ndarray  # float32, one per byte (the entropy of predicting the next)


class PatchStream:
    """Feed ``(bytes, entropies)`` pieces in order; :meth:`feed` and :meth:`finish` yield
    the patches that became final. ``config`` must have its threshold set (calibrate
    before, see ``calibrated``): ``target_patch_size`` is ignored here."""

    def __init__(self, config: PatchingConfig) -> None:
        check_mode(config.mode)
        self.config = config
        self.position = 0  # bytes fed so far
        self.min_size = max(config.min_patch_size or 1, 1)
        self._pending: list[int] = []  # kept patch starts not yet emitted (at most three)
        self._data = b""  # the bytes from _first on (and some already emitted before)
        self._entropies = np.zeros(0, dtype=np.float32)
        self._first = 0  # input offset of the first byte not yet emitted
        self._offset = 0  # where that byte is in _data
        self._recent = (b"", np.zeros(0, dtype=np.float32))  # the last HISTORY fed

    def feed(self, data: bytes, entropies: np.ndarray,
             starts: np.ndarray | None = None) -> Iterator[Patch]:
        """The patches that became final with this piece. ``starts`` (one per byte, True
        where a patch starts: a model's own patches) replaces the config's rule."""
        if len(data) != len(entropies):
            raise ValueError(f"{len(data)} bytes but {len(entropies)} entropies")
        if not data:
            return
        entropies = np.asarray(entropies, dtype=np.float32)
        offsets = (self._starts(data, entropies) if starts is None
                   else self.position + np.flatnonzero(starts))
        self._data = self._data[self._offset:] + data
        self._entropies = np.concatenate([self._entropies[self._offset:], entropies])
        self._offset = 0
        self._recent = ((self._recent[0] + data)[-HISTORY:],
                        np.concatenate([self._recent[1], entropies])[-HISTORY:])
        self.position += len(data)
        for start in offsets.tolist():
            if self._pending and start - self._pending[-1] < self.min_size:
                continue  # merged into the patch before (min_patch_size)
            self._pending.append(start)
            # only the last start can still be merged away (at the end), so the patch
            # before the one it begins is final
            if len(self._pending) == (2 if self.min_size == 1 else 3):
                yield from self._emit(self._pending[1] - self._pending[0])
                self._pending.pop(0)

    def finish(self) -> Iterator[Patch]:
        """The last patches (a short last patch merges with the one before)."""
        end = self.position
        if len(self._pending) >= 2 and end - self._pending[-1] < self.min_size:
            self._pending.pop()
        for start, stop in zip(self._pending, [*self._pending[1:], end]):
            yield from self._emit(stop - start)
        self._pending = []

    def _starts(self, data: bytes, entropies: np.ndarray) -> np.ndarray:
        """Input offsets in this piece where a patch starts, before min/max sizes."""
        config, first = self.config, self.position
        if config.mode == "static":
            offsets = np.arange(first, first + len(data))
            return offsets[static_starts(offsets, config.patch_size)]
        recent_data, recent_entropies = self._recent
        mask = boundary_mask(np.concatenate([recent_entropies, entropies]), config.mode,
                             threshold=config.threshold,
                             relative_threshold=config.relative_threshold,
                             patch_size=config.patch_size,
                             data=recent_data + data if config.mode == "space" else None)
        return first + np.flatnonzero(mask[len(recent_data):])

    def _emit(self, length: int) -> Iterator[Patch]:
        """The next ``length`` bytes as patches, split by max_patch_size."""
        pieces = [length]
        if self.config.max_patch_size is not None:
            one = np.arange(length) == 0  # the patch, as a start mask
            pieces = lengths(split_long(one, self.config.max_patch_size)).tolist()
        for piece in pieces:
            begin, self._offset = self._offset, self._offset + piece
            yield Patch(self._first, self._data[begin:self._offset],
                        self._entropies[begin:self._offset])
            self._first += piece
