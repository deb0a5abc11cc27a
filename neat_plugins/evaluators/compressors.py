"""Bits per byte of standard-library compressors, the baseline beside the model.

Each document is compressed on its own with the library's default settings (the model
also sees each document on its own); container headers count, as they would on disk.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from typing import Callable, Iterable

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


def compressed_sizes(data: bytes) -> dict[str, int]:
    """Compressed size in bytes of ``data`` for each compressor."""
    return {name: len(compress(data)) for name, compress in COMPRESSORS.items()}


def bits_per_byte(sizes: dict[str, int], length: int) -> dict[str, float]:
    return {name: 8.0 * size / length for name, size in sizes.items()}


def total_sizes(per_document: Iterable[dict[str, int]]) -> dict[str, int]:
    totals = dict.fromkeys(COMPRESSORS, 0)
    for sizes in per_document:
        for name, size in sizes.items():
            totals[name] += size
    return totals
