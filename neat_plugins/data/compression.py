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
from typing import BinaryIO, Callable, Iterator, cast

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
    """The decompressed bytes of a file compressed with ``codec``, at most ``CHUNK``
    bytes at a time whatever the input expands to (a bomb's memory stays flat)."""
    try:
        with open(path, "rb") as raw:
            counted = _Counting(raw, tally)
            if codec == "zstd":
                yield from _zstd_chunks(counted)
            elif codec == "gzip":
                with gzip.GzipFile(fileobj=cast(BinaryIO, counted)) as stream:
                    while chunk := stream.read(CHUNK):
                        yield chunk
            else:
                yield from _streams(counted, codec)
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
    """A codec's error, raised as one the caller can name without importing its package."""


def _corrupt(path: Path, codec: str, error: Exception) -> DataError:
    return DataError(f"cannot decompress {path} ({codec}): it is damaged ({error})",
                     hint="download or copy the file again, or set data.files.decompress "
                          "= false to read its bytes as stored")


Decompressor = bz2.BZ2Decompressor | lzma.LZMADecompressor
STREAMS: dict[str, Callable[[], Decompressor]] = {
    "bz2": bz2.BZ2Decompressor, "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ)}
PADDING = {"bz2": b"", "xz": b"\0"}  # what may lie between streams (xz's stream padding)


def _streams(raw: _Counting, codec: str) -> Iterator[bytes]:
    """Every bz2 or xz stream of ``raw`` in turn, ``CHUNK`` bytes of output at a time.
    Bytes after a stream that start no other are damage, never ignored."""
    decompressor, data = STREAMS[codec](), b""
    while True:
        if decompressor.needs_input and not data:
            data = raw.read(CHUNK)
            if not data:
                raise EOFError
        out = decompressor.decompress(data, CHUNK)
        data = b""
        if out:
            yield out
        if decompressor.eof:
            data = _next_stream(raw, decompressor.unused_data, codec)
            if not data:
                return
            decompressor = STREAMS[codec]()


def _next_stream(raw: _Counting, rest: bytes, codec: str) -> bytes:
    """The start of the stream after one that ended, or b"" at the end of the file."""
    while not (rest := rest.lstrip(PADDING[codec])):
        rest = raw.read(CHUNK)
        if not rest:
            return b""
    while len(rest) < HEAD and (more := raw.read(HEAD - len(rest))):
        rest += more
    if detect(rest[:HEAD]) != codec:
        raise _Damaged("bytes after its last stream start no other stream")
    return rest


def _zstd_chunks(raw: _Counting) -> Iterator[bytes]:
    """Every zstd frame of ``raw`` in turn, ``CHUNK`` bytes at a time: the package's
    stream reader bounds the output of a read; :class:`ZstdFrames` follows the frames'
    structure alongside, because the reader ends quietly where a frame is cut short."""
    import zstandard

    frames = ZstdFrames()
    source = _Observed(raw, frames.feed)
    reader = zstandard.ZstdDecompressor().stream_reader(cast(BinaryIO, source),
                                                        read_across_frames=True,
                                                        closefd=False)
    try:
        while chunk := reader.read(CHUNK):
            yield chunk
    except zstandard.ZstdError as error:
        raise _Damaged(str(error)) from None
    if not frames.complete():
        raise EOFError


class _Observed:
    """A binary file whose every read is also shown to ``observe``."""

    def __init__(self, raw: _Counting, observe: Callable[[bytes], None]) -> None:
        self._raw, self._observe = raw, observe

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._observe(data)
        return data


ZSTD_SKIPPABLE = range(0x184D2A50, 0x184D2A60)  # magic numbers of skippable frames


class ZstdFrames:
    """Follows the frame and block headers of a zstd stream without decompressing, to
    tell a complete stream from one cut short (RFC 8878, sections 3.1.1 and 3.1.2)."""

    def __init__(self) -> None:
        self._need = 4  # bytes of the next header (or to skip)
        self._state = "magic"  # or skippable-size, descriptor, block, skip
        self._then = "magic"  # the state after a skip
        self._header = b""
        self._checksum = 0
        self.frames = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._state == "skip":
                taken = min(self._need, len(view))
                self._need -= taken
                view = view[taken:]
                if not self._need:
                    self._after_skip()
                continue
            taken = min(self._need - len(self._header), len(view))
            self._header += bytes(view[:taken])
            view = view[taken:]
            if len(self._header) == self._need:
                header, self._header = self._header, b""
                self._parse(header)

    def _parse(self, header: bytes) -> None:
        if self._state == "magic":
            magic = int.from_bytes(header, "little")
            if magic in ZSTD_SKIPPABLE:
                self._state, self._need = "skippable-size", 4
            else:  # the decompressor judges the magic number itself
                self._state, self._need = "descriptor", 1
        elif self._state == "skippable-size":
            self._skip(int.from_bytes(header, "little"), then="magic")
        elif self._state == "descriptor":
            descriptor = header[0]
            single = descriptor >> 5 & 1
            content_size = (single, 2, 4, 8)[descriptor >> 6]
            self._checksum = 4 if descriptor >> 2 & 1 else 0
            rest = (0 if single else 1) + (0, 1, 2, 4)[descriptor & 3] + content_size
            self._skip(rest, then="block")
        else:  # a block header: last-block flag, type (1: RLE, one byte), size
            value = int.from_bytes(header, "little")
            last, kind, size = value & 1, value >> 1 & 3, value >> 3
            end = ("checksum" if self._checksum else "magic") if last else "block"
            self._skip(1 if kind == 1 else size, then=end)

    def _skip(self, count: int, then: str) -> None:
        self._state, self._need, self._then = "skip", count, then
        if not count:
            self._after_skip()

    def _after_skip(self) -> None:
        then = self._then
        if then == "checksum":
            self._skip(self._checksum, then="magic")
            return
        self.frames += then == "magic"
        self._state, self._need = then, (4 if then == "magic" else 3)

    def complete(self) -> bool:
        """Whether the stream ended between two frames."""
        return self._state == "magic" and not self._header and self.frames > 0
