"""Hostile inputs on demand: decompression bombs, a child process's peak memory, and a
checkpoint rewritten with its checksums recomputed (what an attacker can do)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import zstandard

from ..train_utils import subprocess_env

MIB = 1 << 20
ZEROS = bytes(MIB)


def _zstd_one_frame(size: int) -> bytes:
    """``size`` zero bytes as one zstd frame (one frame is what a bomb needs)."""
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    parts = [compressor.compress(ZEROS) for _ in range(size // MIB)]
    return b"".join(parts) + compressor.flush()


def _one_stream(factory: Callable[[], Any], size: int) -> bytes:
    compressor = factory()
    parts = [compressor.compress(ZEROS) for _ in range(size // MIB)]
    return b"".join(parts) + compressor.flush()


BOMBS: dict[str, Callable[[int], bytes]] = {
    "gzip": lambda size: gzip.compress(bytes(size), compresslevel=1),
    "bz2": lambda size: _one_stream(lambda: bz2.BZ2Compressor(1), size),
    "xz": lambda size: _one_stream(lambda: lzma.LZMACompressor(preset=0), size),
    "zstd": _zstd_one_frame,
}


def bomb(path: Path, codec: str, size: int) -> Path:
    """A file of ``codec`` that decompresses to ``size`` zero bytes in one stream."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BOMBS[codec](size))
    return path


def run_measured(args: list[str], tmp_path: Path, env: dict[str, str] | None = None
                 ) -> tuple[int, str, int]:
    """Run a command; (exit code, stderr, its peak resident memory in bytes), the peak
    read from the kernel's accounting of that one child (``os.wait4``)."""
    out, err = tmp_path / "child.out", tmp_path / "child.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        child = subprocess.Popen(args, stdout=stdout, stderr=stderr,
                                 env=env or subprocess_env())
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, err.read_text(errors="replace"), usage.ru_maxrss * 1024


def rewrite_checkpoint(checkpoint: Path, name: str, edit: Callable[[Any], Any]) -> None:
    """Change one JSON file of a checkpoint and recompute its checksum in meta.json, as
    anyone who hands over a checkpoint can."""
    path = checkpoint / name
    data = edit(json.loads(path.read_text()))
    raw = (data if isinstance(data, str) else json.dumps(data)).encode()
    path.write_bytes(raw)
    meta = json.loads((checkpoint / "meta.json").read_text())
    meta["sha256"][name] = hashlib.sha256(raw).hexdigest()
    (checkpoint / "meta.json").write_text(json.dumps(meta))
