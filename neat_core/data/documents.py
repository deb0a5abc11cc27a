"""A document before it is in the cache: its name, size, identity and a chunk reader.

Sources (files, the built-in corpus, synthetic generators) all become lists of
:class:`Doc`. Nothing is read until a cache is built or a head is inspected, and then
in chunks, so memory does not grow with the size of a document.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterator

import attrs
import numpy as np

from ..errors import DataError

CHUNK = 1 << 20  # bytes read from a file at a time


@attrs.frozen
class Doc:
    """``read(limit)`` yields the first ``limit`` bytes of the document in chunks.

    ``identity`` is what the cache key records for it: for a file its absolute path,
    size and modification time; for synthetic data the generator's seed and settings.
    """

    name: str
    size: int
    identity: tuple
    read: Callable[[int], Iterator[bytes]] = attrs.field(eq=False, repr=False)

    def head(self, limit: int) -> bytes:
        return b"".join(self.read(min(limit, self.size)))


def file_doc(path: Path) -> Doc:
    """A document for one regular file (stat now, read later as raw bytes)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}",
                        hint="check the path and its permissions") from None
    identity = ("file", str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return Doc(str(path), stat.st_size, identity,
               lambda limit: _read_file(path, limit))


def _read_file(path: Path, limit: int) -> Iterator[bytes]:
    try:
        with open(path, "rb", buffering=0) as handle:
            left = limit
            while left > 0:
                chunk = handle.read(min(CHUNK, left))
                if not chunk:
                    raise DataError(f"{path} changed while it was read (it is shorter "
                                    f"than when it was listed)", hint="run the command again")
                left -= len(chunk)
                yield chunk
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}",
                        hint="check the file's permissions") from None


def stable_int(text: str) -> int:
    """A 32-bit number from ``text`` that is the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def rng_for(*parts: int | str) -> np.random.Generator:
    """A generator seeded by ``parts`` (strings hashed stably), e.g. (seed, "holdout", 2)."""
    return np.random.default_rng([p if isinstance(p, int) else stable_int(p) for p in parts])


def is_regular_file(path: Path) -> bool:
    """Follows symlinks; False for directories, FIFOs, devices and broken links."""
    try:
        return path.is_file()
    except OSError:
        return False
