"""The byte cache: each split written once as a uint8 file, read back as a memmap.

A split's file is named by its specs and settings (``<split>-<hash>.bytes``) and holds
a header (magic + content key) followed by the joined bytes; a small JSON sidecar
records the key and the size. The content key covers every document's identity
(path, size, mtime or synthetic seed) and length, so a change to any file, spec or
setting rebuilds the file in place. Files are streamed into a temporary file and
renamed, so a crash never leaves a half-written cache under the real name; a file whose
size or header does not match its sidecar is rebuilt. Corruption inside the bytes is not
detected (that would need hashing the whole corpus on every start).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal

import attrs

from ..errors import DataError
from .plan import CACHE_FORMAT, SplitPlan

log = logging.getLogger("neat.data")

MAGIC = b"NEAT-BYTE-CACHE\n"
HEADER_SIZE = len(MAGIC) + 64  # magic + the content key in hex
CacheState = Literal["built", "stale", "corrupt", "missing"]


@attrs.frozen
class CacheFiles:
    data: Path
    meta: Path


def cache_files(plan: SplitPlan, cache_dir: str) -> CacheFiles:
    stem = Path(cache_dir).expanduser() / f"{plan.split}-{plan.name_key[:16]}"
    return CacheFiles(stem.with_suffix(".bytes"), stem.with_suffix(".json"))


def cache_state(plan: SplitPlan, cache_dir: str) -> CacheState:
    """built: ready to use; stale: an older version of these sources (rebuilt on use);
    corrupt: damaged (rebuilt on use); missing: never built."""
    files = cache_files(plan, cache_dir)
    if not files.data.exists() and not files.meta.exists():
        return "missing"
    meta = _read_meta(files.meta)
    if meta is not None and meta["key"] != plan.content_key():
        return "stale"
    return "corrupt" if _problem(files, meta) else "built"


def ensure_cache(plan: SplitPlan, cache_dir: str) -> Path:
    """The path of the split's up-to-date cache file, building it when needed."""
    files = cache_files(plan, cache_dir)
    key = plan.content_key()
    meta = _read_meta(files.meta)
    if meta is not None and meta["key"] == key:
        problem = _problem(files, meta)
        if problem is None:
            log.debug("using byte cache %s", files.data)
            return files.data
        log.warning("byte cache %s is damaged (%s); rebuilding it", files.data, problem)
    elif files.data.exists() or files.meta.exists():
        log.info("byte cache %s is out of date or incomplete; rebuilding it", files.data)
    _build(plan, files, key)
    return files.data


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    valid = (isinstance(meta, dict) and meta.get("format") == CACHE_FORMAT
             and isinstance(meta.get("key"), str) and isinstance(meta.get("size"), int))
    return meta if valid else None


def _problem(files: CacheFiles, meta: dict[str, Any] | None) -> str | None:
    """Why the cache cannot be used as it is, or None."""
    if meta is None:
        return "its sidecar JSON is missing or unreadable"
    try:
        size = files.data.stat().st_size
        with open(files.data, "rb") as handle:
            header = handle.read(HEADER_SIZE)
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    if size != HEADER_SIZE + meta["size"]:
        return f"{size} bytes on disk, {HEADER_SIZE + meta['size']} expected"
    if header != MAGIC + meta["key"].encode():
        return "bad header"
    return None


def _build(plan: SplitPlan, files: CacheFiles, key: str) -> None:
    layout = plan.layout()
    root = files.data.parent
    started = time.perf_counter()
    log.info("building the %s byte cache %s (%d documents, %d bytes)", plan.split,
             files.data, len(layout.documents), layout.size)
    temporary: list[str] = []
    try:
        root.mkdir(parents=True, exist_ok=True)
        data_fd, data_tmp = tempfile.mkstemp(dir=root, prefix=f".{files.data.name}.")
        temporary.append(data_tmp)
        with os.fdopen(data_fd, "wb") as out:
            out.write(MAGIC + key.encode())
            _write_documents(plan, out)
            out.flush()
            os.fsync(out.fileno())
        meta = {"format": CACHE_FORMAT, "key": key, "split": plan.split,
                "size": layout.size, "documents": len(layout.documents),
                "sources": layout.sources, "settings": plan.settings,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        meta_fd, meta_tmp = tempfile.mkstemp(dir=root, prefix=f".{files.meta.name}.")
        temporary.append(meta_tmp)
        with os.fdopen(meta_fd, "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        os.replace(data_tmp, files.data)
        os.replace(meta_tmp, files.meta)
    except OSError as error:
        raise DataError(f"cannot write the byte cache in {root}: {error.strerror}",
                        hint="set data.cache_dir to a writable directory with free space"
                        ) from None
    finally:
        for path in temporary:
            with suppress(FileNotFoundError):
                os.unlink(path)
    log.info("built %s in %.1f s", files.data, time.perf_counter() - started)


def _write_documents(plan: SplitPlan, out: Any) -> None:
    first = True
    for source in plan.sources:
        for doc, length in zip(source.docs, source.lengths):
            if not first:
                out.write(plan.separator)
            first = False
            for chunk in doc.read(length):
                out.write(chunk)
