"""Hostile inputs on demand: decompression bombs, a child process's peak memory, and a
checkpoint rewritten with its checksums recomputed (what an attacker can do)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import subprocess
import sys
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


# Runs `neat ARGS...` and writes its peak resident memory (VmHWM, in KiB) to the file
# NEAT_PEAK_FILE names as it exits. A child's ru_maxrss would not do: on Linux it keeps
# the resident size of the forked copy of its parent (here a pytest worker) before exec.
MEASURED = """
import atexit, os, sys

def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    with open(os.environ["NEAT_PEAK_FILE"], "w") as out:
        out.write(peak)

atexit.register(report)
from neat_core.cli import main
sys.argv = ["neat", *sys.argv[1:]]
main()
"""


def run_measured(args: list[str], tmp_path: Path) -> tuple[int, str, int]:
    """Run ``neat ARGS``; (exit code, stderr, its peak resident memory in bytes)."""
    out, err, peak = (tmp_path / name for name in ("child.out", "child.err", "child.peak"))
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        code = subprocess.run([sys.executable, "-c", MEASURED, *args], stdout=stdout,
                              stderr=stderr, env={**subprocess_env(),
                                                  "NEAT_PEAK_FILE": str(peak)}).returncode
    return code, err.read_text(errors="replace"), int(peak.read_text()) * 1024


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
