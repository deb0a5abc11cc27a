"""Compressed files, recognised by their first bytes (not their names): gzip, bz2 and xz
through the standard library, zstd through the ``zstandard`` package.

:func:`stored_chunks` yields a file's bytes as stored, :func:`decompressed_chunks` its
decompressed bytes; both report the stored bytes they consume to a
:class:`~neat_core.api.Tally`. A damaged or truncated archive is a
:class:`~neat_core.errors.DataError` naming the file (concatenated streams and
multi-frame zstd files are read whole).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

from neat_core.api import DataError, Tally

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZ2_BLOCKS = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")  # data, end
HEAD = 10  # bytes that decide the codec
CHUNK = 1 << 20  # bytes read from a file at a time


def detect(head: bytes) -> str | None:
    """The codec whose signature ``head`` starts with, else None."""
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[3:4] != b"0" and \
            head[4:10] in BZ2_BLOCKS:
        return "bz2"
    return None


def sniff(path: Path) -> str | None:
    """The codec of the file at ``path`` (None: not compressed)."""
    try:
        with open(path, "rb") as handle:
            return detect(handle.read(HEAD))
    except OSError as error:
        raise _unreadable(path, error) from None


def _unreadable(path: Path, error: OSError) -> DataError:
    return DataError(f"cannot read {path}: {error.strerror}",
                     hint="check the file's permissions")


class _Counting:
    """A binary file that reports every byte read to a tally."""

    def __init__(self, handle: BinaryIO, tally: Tally) -> None:
        self._handle, self._tally = handle, tally

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._tally.advance(len(data))
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        count = self._handle.readinto(buffer)  # type: ignore[attr-defined]
        self._tally.advance(count or 0)
        return count or 0

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._handle.closed


def stored_chunks(path: Path, tally: Tally, size: int | None = None) -> Iterator[bytes]:
    """The file's bytes as stored; ``size``: the length it had when listed."""
    try:
        with open(path, "rb", buffering=0) as handle:
            read = 0
            while chunk := handle.read(CHUNK):
                read += len(chunk)
                tally.advance(len(chunk))
                yield chunk
    except OSError as error:
        raise _unreadable(path, error) from None
    if size is not None and read != size:
        raise DataError(f"{path} changed while it was read ({size} bytes when listed, "
                        f"{read} read)", hint="run the command again")


def decompressed_chunks(path: Path, codec: str, tally: Tally) -> Iterator[bytes]:
    """The decompressed bytes of a file compressed with ``codec``."""
    try:
        with open(path, "rb") as raw:
            counted = _Counting(raw, tally)
            if codec == "zstd":
                yield from _zstd_chunks(counted)
                return
            opener = {"gzip": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}[codec]
            with opener(fileobj=counted) if codec == "gzip" else opener(counted) as stream:
                while chunk := stream.read(CHUNK):
                    yield chunk
    except EOFError:
        raise DataError(f"cannot decompress {path} ({codec}): the file ends before its "
                        f"compressed data does (truncated?)",
                        hint="download or copy the file again") from None
    except (zlib.error, lzma.LZMAError, gzip.BadGzipFile, _Damaged) as error:
        raise _corrupt(path, codec, error) from None
    except OSError as error:  # bz2 reports bad data as an OSError without errno
        raise (_corrupt(path, codec, error) if error.errno is None
               else _unreadable(path, error)) from None


class _Damaged(Exception):
    """zstandard's error, raised as one the caller can name without importing it."""


def _corrupt(path: Path, codec: str, error: Exception) -> DataError:
    return DataError(f"cannot decompress {path} ({codec}): it is damaged ({error})",
                     hint="download or copy the file again, or set data.files.decompress "
                          "= false to read its bytes as stored")


def _zstd_chunks(raw: _Counting) -> Iterator[bytes]:
    """Every zstd frame of ``raw`` in turn; a frame cut short is an EOFError (the
    package's stream reader would end quietly)."""
    import zstandard

    decompressor = zstandard.ZstdDecompressor()
    frame, pending = decompressor.decompressobj(), False
    while data := raw.read(CHUNK):
        while data:
            try:
                out = frame.decompress(data)
            except zstandard.ZstdError as error:
                raise _Damaged(str(error)) from None
            pending = True
            if out:
                yield out
            if not frame.eof:
                break
            data, frame, pending = frame.unused_data, decompressor.decompressobj(), False
    if pending:
        raise EOFError
