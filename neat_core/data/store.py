"""Cache files on disk: bytes, document index and sidecar, written so that a cache is
never used half-built.

Each cache is four files sharing a stem: ``.bytes`` (a header -- magic + content key --
then the documents' bytes), ``.index`` and ``.names`` (:mod:`.index`) and the ``.json``
sidecar (key, sizes, figures). A build removes the old sidecar first, streams into
temporary files named with its process id, fsyncs and renames them into place
(:func:`neat_core.files.atomic_writer`) and writes the sidecar last: a cache counts as
built only when its sidecar exists, has its key and every file has the size the sidecar
records. An interrupted or failed build removes its temporary files; those of a process
that died (kill -9) are removed by the next build of the same cache. Corruption inside
the bytes is not detected (that would need hashing the whole corpus on every start).
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Literal

import attrs

from ..errors import DataError
from ..files import atomic_write, atomic_writer
from .index import ROW_BYTES, DocumentIndex, IndexWriter

MAGIC = b"NEAT-BYTE-CACHE\n"
HEADER_SIZE = len(MAGIC) + 64  # magic + the content key in hex
CacheState = Literal["built", "stale", "corrupt", "missing"]
SUFFIXES = (".bytes", ".index", ".names")


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
    valid = (isinstance(meta, dict) and meta.get("format") == cache_format
             and isinstance(meta.get("key"), str)
             and all(isinstance(meta.get(k), int) for k in ("size", "documents", "names")))
    return meta if valid else None


def problem(files: CacheFiles, meta: dict[str, Any] | None) -> str | None:
    """Why the cache cannot be used as it is, or None."""
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
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    if header != MAGIC + meta["key"].encode():
        return "bad header"
    return None


def state(files: CacheFiles, key: str, cache_format: int) -> CacheState:
    """built: ready to use; stale: an older version (rebuilt on use); corrupt: damaged
    (rebuilt on use); missing: never built."""
    if not any(path.exists() for path in files.all()):
        return "missing"
    meta = read_meta(files.meta, cache_format)
    if meta is not None and meta["key"] != key:
        return "stale"
    return "corrupt" if problem(files, meta) else "built"


def open_index(files: CacheFiles, meta: dict[str, Any]) -> DocumentIndex:
    return DocumentIndex(files.path(".index"), files.path(".names"), meta["documents"],
                         meta["names"])


@attrs.define
class Outputs:
    """The open temporary files of a build; the caller fills ``meta``."""

    data: BinaryIO
    index: IndexWriter
    size: int = 0  # bytes written after the header
    meta: dict[str, Any] = attrs.field(factory=dict)

    def write(self, chunk: bytes | memoryview) -> None:
        self.data.write(chunk)
        self.size += len(chunk)


@contextmanager
def building(files: CacheFiles, key: str, cache_format: int) -> Iterator[Outputs]:
    """Temporary files for a cache being built, renamed into place (sidecar last) when
    the block finishes; removed when it raises or is interrupted. A full disk is a
    DiskFullError naming the file (:mod:`neat_core.files` writes them)."""
    root = files.stem.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        with suppress(FileNotFoundError):
            files.meta.unlink()
        remove_leftovers(files)
    except OSError as error:
        raise DataError(f"cannot write the byte cache in {root}: {error.strerror}",
                        hint="set data.cache_dir to a writable directory with free space"
                        ) from None
    with ExitStack() as stack:
        data, index, names = (
            stack.enter_context(atomic_writer(files.path(suffix),
                                              temporary=_temporary(files.path(suffix))))
            for suffix in SUFFIXES)
        data.write(MAGIC + key.encode())
        outputs = Outputs(data, IndexWriter(index, names))
        yield outputs
        outputs.index.flush()
    meta = {"format": cache_format, "key": key, "size": outputs.size,
            "documents": outputs.index.count, "names": outputs.index.names_size,
            **outputs.meta}
    atomic_write(files.meta, json.dumps(meta), temporary=_temporary(files.meta))


def _temporary(path: Path) -> Path:
    """The temporary name of ``path`` while this process builds it."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_leftovers(files: CacheFiles) -> None:
    """Temporary files of this cache left by processes that no longer run."""
    for path in files.stem.parent.glob(f".{files.stem.name}.*.tmp"):
        pid = path.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
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
