"""The document index beside a cache file: where each document lies, and its name.

Two files: ``<stem>.index`` holds one row of three little-endian int64 per document
(start, end, offset of its name) and ``<stem>.names`` the names back to back (UTF-8,
undecodable path bytes kept with surrogateescape). Both are read with ``pread`` in
blocks, never memory-mapped, so looking documents up does not grow resident memory with
the size of the corpus.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

ROW = np.dtype("<i8")
COLUMNS = 3
ROW_BYTES = ROW.itemsize * COLUMNS
BLOCK_ROWS = 1 << 16


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class IndexWriter:
    """Appends rows and names to two open binary files."""

    def __init__(self, index: Writable, names: Writable) -> None:
        self._index, self._names = index, names
        self._rows = array("q")
        self._names_size = 0
        self.count = 0

    def add(self, name: str, start: int, end: int) -> None:
        encoded = name.encode("utf-8", "surrogateescape")
        self._rows.extend((start, end, self._names_size))
        self._names.write(encoded)
        self._names_size += len(encoded)
        self.count += 1
        if len(self._rows) >= BLOCK_ROWS * COLUMNS:
            self.flush()

    def flush(self) -> None:
        self._index.write(np.frombuffer(self._rows, dtype=np.int64).astype(ROW).tobytes())
        self._rows = array("q")

    @property
    def names_size(self) -> int:
        return self._names_size


class DocumentIndex:
    """Read access to an index written by :class:`IndexWriter`."""

    def __init__(self, index: Path, names: Path, count: int, names_size: int) -> None:
        self.count, self._names_size = count, names_size
        self._index_fd = os.open(index, os.O_RDONLY)
        self._names_fd = os.open(names, os.O_RDONLY)

    def close(self) -> None:
        os.close(self._index_fd)
        os.close(self._names_fd)

    def __len__(self) -> int:
        return self.count

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` as an int64 array of shape (n, 3)."""
        stop = min(stop, self.count)
        if stop <= start:
            return np.empty((0, COLUMNS), dtype=np.int64)
        data = os.pread(self._index_fd, (stop - start) * ROW_BYTES, start * ROW_BYTES)
        return np.frombuffer(data, dtype=ROW).astype(np.int64).reshape(-1, COLUMNS)

    def blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row number, rows) for every block of rows, in order."""
        for start in range(0, self.count, BLOCK_ROWS):
            yield start, self.rows(start, start + BLOCK_ROWS)

    def sizes(self) -> np.ndarray:
        """Every document's length, as one int64 array."""
        out = np.empty(self.count, dtype=np.int64)
        for start, rows in self.blocks():
            out[start:start + len(rows)] = rows[:, 1] - rows[:, 0]
        return out

    def entries(self, picks: np.ndarray) -> Iterator[tuple[str, int, int]]:
        """(name, start, end) of the rows ``picks`` (ascending), read a block at a time."""
        for first, rows in self.blocks():
            last = first + len(rows)
            low, high = np.searchsorted(picks, [first, last])
            if low == high:
                continue
            chosen = picks[low:high] - first
            names_end = int(self.rows(last, last + 1)[0, 2]) if last < self.count \
                else self._names_size
            offset = int(rows[chosen[0], 2])
            names = os.pread(self._names_fd, names_end - offset, offset)
            ends = np.append(rows[1:, 2], names_end)
            for row in chosen.tolist():
                start, end, name_start = rows[row].tolist()
                name = names[name_start - offset:int(ends[row]) - offset]
                yield name.decode("utf-8", "surrogateescape"), start, end
            if high == len(picks):
                return

    def name(self, row: int) -> str:
        start = int(self.rows(row, row + 1)[0, 2])
        end = int(self.rows(row + 1, row + 2)[0, 2]) if row + 1 < self.count \
            else self._names_size
        return os.pread(self._names_fd, end - start, start).decode("utf-8", "surrogateescape")

    def entry(self, row: int) -> tuple[str, int, int]:
        """(name, start, end) of document ``row``."""
        if not 0 <= row < self.count:
            raise IndexError(row)
        start, end, _ = self.rows(row, row + 1)[0].tolist()
        return self.name(row), start, end
