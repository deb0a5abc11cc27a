"""Bits per byte of standard-library compressors, the baseline beside the model.

Each document is compressed on its own with the library's default settings (the model
also sees each document on its own); container headers count, as they would on disk.
Documents are fed in chunks, so memory does not grow with their size; the sizes equal
those of ``gzip.compress``, ``bz2.compress`` and ``lzma.compress`` of the whole document.
"""

from __future__ import annotations

import bz2
import lzma
import weakref
import zlib
from typing import Any, Callable, Iterable

GZIP_FRAME = 18  # gzip.compress: a 10-byte header and an 8-byte trailer around raw deflate

# name -> (a fresh incremental compressor, bytes of framing it does not produce itself)
COMPRESSORS: dict[str, tuple[Callable[[], Any], int]] = {
    "gzip": (lambda: zlib.compressobj(9, zlib.DEFLATED, -15), GZIP_FRAME),
    "bz2": (lambda: bz2.BZ2Compressor(9), 0),
    "xz": (lambda: lzma.LZMACompressor(), 0),
}


class CompressedSizes:
    """The compressed size of one document, fed chunk by chunk, for each compressor."""

    def __init__(self) -> None:
        self._compressors = {name: make() for name, (make, _) in COMPRESSORS.items()}
        self._sizes = {name: frame for name, (_, frame) in COMPRESSORS.items()}

    def update(self, chunk: bytes) -> None:
        for name, compressor in self._compressors.items():
            self._sizes[name] += len(compressor.compress(chunk))

    def sizes(self) -> dict[str, int]:
        """Sizes in bytes (call once, after the last chunk)."""
        for name, compressor in self._compressors.items():
            self._sizes[name] += len(compressor.flush())
        return dict(self._sizes)


def bits_per_byte(sizes: dict[str, int], length: int) -> dict[str, float]:
    return {name: 8.0 * size / length for name, size in sizes.items()}


def total_sizes(per_document: Iterable[dict[str, int]]) -> dict[str, int]:
    totals = dict.fromkeys(COMPRESSORS, 0)
    for sizes in per_document:
        for name, size in sizes.items():
            totals[name] += size
    return totals


# A comparison scores several models on one stream of documents (the same object each
# time); their compressed sizes depend only on the bytes, so they are computed on the
# stream's first pass and reused on the others. Held weakly: gone with the stream.
_sizes_of_stream: weakref.WeakKeyDictionary[Any, list[dict[str, int]]] = (
    weakref.WeakKeyDictionary())


def known_sizes(documents: Any) -> list[dict[str, int]] | None:
    """The sizes of each document of ``documents`` from an earlier pass, if any."""
    try:
        return _sizes_of_stream.get(documents)
    except TypeError:  # not weakly referable: nothing kept
        return None


def remember_sizes(documents: Any, sizes: list[dict[str, int]]) -> None:
    try:
        _sizes_of_stream[documents] = sizes
    except TypeError:
        pass
