"""Cache files on disk: bytes, document index and sidecar, written so that a cache is
never used half-built.

Each cache is four files sharing a stem: ``.bytes`` (a header -- magic + content key --
then the documents' bytes), ``.index`` and ``.names`` (:mod:`.index`) and the ``.json``
sidecar (key, sizes, figures, checksums). A build removes the old sidecar first, streams
into temporary files named with its process id, fsyncs and renames them into place
(:func:`neat_core.files.atomic_writer`) and writes the sidecar last: a cache counts as
built only when its sidecar exists, has its key and every file has the size the sidecar
records. An interrupted or failed build removes its temporary files; those of any
process that died (kill -9) are removed by the next build in the same directory.

Integrity: the sidecar holds a CRC-32 of every ``BLOCK`` bytes of each file (the
``.bytes`` body after its header); :func:`problem` checks the small ``.index`` and
``.names`` files every time and the body when asked (``body=True``: a split cache each
time a run opens it, a source cache each time a split is cut from it), reading it once
at about a GB/s. Permissions: the cache directory is created 0700 and a cache file is
0600, or 0644 when everything it was made of is world-readable, so a copy is never
readable by more people than its source.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Literal

import attrs

from ..errors import DataError, DiskFullError
from ..files import atomic_write, atomic_writer, disk_full, make_private_dir, write_failure
from .index import ROW_BYTES, DocumentIndex, IndexWriter

MAGIC = b"NEAT-BYTE-CACHE\n"
HEADER_SIZE = len(MAGIC) + 64  # magic + the content key in hex
CacheState = Literal["built", "stale", "corrupt", "missing"]
SUFFIXES = (".bytes", ".index", ".names")
BLOCK = 1 << 20  # bytes covered by one CRC-32 of the sidecar
PRIVATE, SHARED = 0o600, 0o644  # a cache file's mode: its sources readable by all or not
TEMPORARY = re.compile(r"\.[a-z]+-[0-9a-f]+\.[a-z]+\.(\d+)\.tmp")  # see _temporary


@attrs.frozen
class CacheFiles:
    stem: Path  # cache_dir / "<kind>-<name>"

    @property
    def data(self) -> Path:
        return self.stem.with_name(self.stem.name + ".bytes")

    @property
    def meta(self) -> Path:
        return self.stem.with_name(self.stem.name + ".json")

    def path(self, suffix: str) -> Path:
        return self.stem.with_name(self.stem.name + suffix)

    def all(self) -> list[Path]:
        return [self.path(suffix) for suffix in (*SUFFIXES, ".json")]


def cache_stem(cache_dir: str, name: str) -> CacheFiles:
    return CacheFiles(Path(cache_dir).expanduser() / name)


def read_meta(path: Path, cache_format: int) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    sums = meta.get("sums") if isinstance(meta, dict) else None
    valid = (isinstance(meta, dict) and meta.get("format") == cache_format
             and isinstance(meta.get("key"), str)
             and all(isinstance(meta.get(k), int) for k in ("size", "documents", "names"))
             and isinstance(sums, dict) and all(
                 isinstance(sums.get(suffix), list) and all(isinstance(crc, int)
                                                            for crc in sums[suffix])
                 for suffix in SUFFIXES))
    return meta if valid else None


def problem(files: CacheFiles, meta: dict[str, Any] | None, *, body: bool = False
            ) -> str | None:
    """Why the cache cannot be used as it is, or None: a missing sidecar, a file of the
    wrong size, a bad header, or a block whose checksum differs (``.index`` and
    ``.names`` always, the ``.bytes`` body with ``body``)."""
    if meta is None:
        return "its sidecar JSON is missing or unreadable"
    expected = {".bytes": HEADER_SIZE + meta["size"], ".index": meta["documents"] * ROW_BYTES,
                ".names": meta["names"]}
    try:
        for suffix, size in expected.items():
            actual = files.path(suffix).stat().st_size
            if actual != size:
                return f"{files.path(suffix).name} has {actual} bytes, {size} expected"
        with open(files.data, "rb") as handle:
            header = handle.read(HEADER_SIZE)
        if header != MAGIC + meta["key"].encode():
            return "bad header"
        for suffix in SUFFIXES if body else SUFFIXES[1:]:
            start = HEADER_SIZE if suffix == ".bytes" else 0
            block = _first_bad_block(files.path(suffix), start, meta["sums"][suffix])
            if block is not None:
                return (f"its checksum differs from its sidecar's in block {block} of "
                        f"{files.path(suffix).name}")
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    return None


def _first_bad_block(path: Path, start: int, sums: list[int]) -> int | None:
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        for number, expected in enumerate(sums):
            if zlib.crc32(handle.read(BLOCK)) != expected:
                return number
        if handle.read(1):
            return len(sums)
    return None


def state(files: CacheFiles, key: str, cache_format: int) -> CacheState:
    """built: ready to use; stale: an older version (rebuilt on use); corrupt: damaged
    (rebuilt on use); missing: never built. The body's checksums are not read (a
    damaged body is found when the cache is used)."""
    if not any(path.exists() for path in files.all()):
        return "missing"
    meta = read_meta(files.meta, cache_format)
    if meta is not None and meta["key"] != key:
        return "stale"
    return "corrupt" if problem(files, meta) else "built"


def open_index(files: CacheFiles, meta: dict[str, Any]) -> DocumentIndex:
    return DocumentIndex(files.path(".index"), files.path(".names"), meta["documents"],
                         meta["names"])


class Summed:
    """A binary file being written, with the CRC-32 of every ``BLOCK`` bytes. A failed
    write is the NEAT error for it at once (a full disk: a DiskFullError), so a data
    source plugin that is being read meanwhile is not blamed for it."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self._handle, self._path = handle, path
        self.sums: list[int] = []
        self._crc, self._filled = 0, 0

    def write(self, data: bytes | memoryview) -> int:
        try:
            self._handle.write(data)
        except OSError as error:
            raise write_failure(self._path, error, len(data)) from None
        view = memoryview(data)
        while view:
            part = view[:BLOCK - self._filled]
            self._crc = zlib.crc32(part, self._crc)
            self._filled += len(part)
            view = view[len(part):]
            if self._filled == BLOCK:
                self.sums.append(self._crc)
                self._crc, self._filled = 0, 0
        return len(data)

    def close_sums(self) -> list[int]:
        if self._filled:
            self.sums.append(self._crc)
            self._crc, self._filled = 0, 0
        return self.sums


@attrs.define
class Outputs:
    """The open temporary files of a build; the caller fills ``meta``."""

    data: Summed
    index: IndexWriter
    size: int = 0  # bytes written after the header
    meta: dict[str, Any] = attrs.field(factory=dict)

    def write(self, chunk: bytes | memoryview) -> None:
        self.data.write(chunk)
        self.size += len(chunk)


@contextmanager
def building(files: CacheFiles, key: str, cache_format: int, *, mode: int = PRIVATE,
             needs: int | None = None) -> Iterator[Outputs]:
    """Temporary files for a cache being built, renamed into place (sidecar last) when
    the block finishes; removed when it raises or is interrupted. ``mode``: the files'
    permissions (less the umask). A full disk is a DiskFullError naming the cache and
    the space it ``needs`` (default: what was written when the disk filled up)."""
    root = files.stem.parent
    try:
        make_private_dir(root)
        with suppress(FileNotFoundError):
            files.meta.unlink()
        remove_leftovers(root)
    except OSError as error:
        raise DataError(f"cannot write the byte cache in {root}: {error.strerror}",
                        hint="set data.cache_dir to a writable directory with free space"
                        ) from None
    outputs: Outputs | None = None
    try:
        with ExitStack() as stack:
            raw = [stack.enter_context(atomic_writer(files.path(suffix), mode=mode,
                                                     temporary=_temporary(files.path(suffix))))
                   for suffix in SUFFIXES]
            raw[0].write(MAGIC + key.encode())
            data, index, names = (Summed(handle, files.path(suffix))
                                  for handle, suffix in zip(raw, SUFFIXES))
            outputs = Outputs(data, IndexWriter(index, names))
            yield outputs
            outputs.index.flush()
        sums = {suffix: summed.close_sums()
                for suffix, summed in zip(SUFFIXES, (data, index, names))}
        meta = {"format": cache_format, "key": key, "size": outputs.size,
                "documents": outputs.index.count, "names": outputs.index.names_size,
                "sums": sums, **outputs.meta}
        atomic_write(files.meta, json.dumps(meta), temporary=_temporary(files.meta), mode=mode)
    except DiskFullError:
        written = 0 if outputs is None else outputs.size + outputs.index.count * ROW_BYTES \
            + outputs.index.names_size
        raise disk_full(f"cannot write {files.data}", root,
                        max(needs or 0, written, 1)) from None


def _temporary(path: Path) -> Path:
    """The temporary name of ``path`` while this process builds it."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_leftovers(root: Path) -> None:
    """Temporary files of any cache in ``root`` left by processes that no longer run (a
    killed ingest of a source that has changed since leaves them under another name)."""
    for path in root.glob(".*.tmp"):
        match = TEMPORARY.fullmatch(path.name)
        if match and not _alive(int(match[1])):
            with suppress(FileNotFoundError):
                path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove(files: CacheFiles) -> None:
    """Delete a cache, sidecar first (so it is never seen half-deleted)."""
    for path in [files.meta, *(files.path(suffix) for suffix in SUFFIXES)]:
        with suppress(FileNotFoundError):
            path.unlink()
