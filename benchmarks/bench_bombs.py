"""Peak resident memory of `neat data inspect` on decompression bombs and on a JSON line
far longer than ``data.max_record_bytes``, beside the same command on a small plain file
(the import floor), and the speed of the byte cache's integrity check.

Each bomb is one stream (one zstd frame) of ``--gib`` GiB of zero bytes, compressed by
gzip, bz2, xz and zstd; the JSON case is one ``{"text": "aaa..."}`` line of that size in a
``.jsonl.zst``. Every command runs as its own child; its peak RSS is the kernel's figure
for that child (``os.wait4``), which also counts this script's own few tens of MB at
the fork (the floor row shows it). Inspect reads a compressed source to its end (its
decompressed size is not known before), so each row also gives the decompression rate.
The check row times the CRC-32 of a cache body (what a run does when it opens a split).

    .venv/bin/python benchmarks/bench_bombs.py              # 1 GiB bombs: a few minutes
    .venv/bin/python benchmarks/bench_bombs.py --gib 0.25   # quicker
"""

from __future__ import annotations

import argparse
import bz2
import json
import lzma
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Callable

import zstandard

MIB = 1 << 20
ZEROS = bytes(MIB)
NEAT = str(Path(sys.executable).parent / "neat")


def stream(compressor: Any, chunks: int, path: Path, tail: bytes = b"") -> None:
    with open(path, "wb") as out:
        for _ in range(chunks):
            out.write(compressor.compress(ZEROS))
        out.write(compressor.flush())
        out.write(tail)


CODECS: dict[str, Callable[[], Any]] = {
    "gzip": lambda: zlib.compressobj(1, zlib.DEFLATED, 31),
    "bz2": lambda: bz2.BZ2Compressor(1),
    "xz": lambda: lzma.LZMACompressor(preset=0),
    "zstd": lambda: zstandard.ZstdCompressor(level=1).compressobj(),
}


def json_line_bomb(path: Path, chunks: int) -> None:
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    with open(path, "wb") as out:
        out.write(compressor.compress(b'{"text": "'))
        for _ in range(chunks):
            out.write(compressor.compress(b"a" * MIB))
        out.write(compressor.compress(b'"}\n{"text": "a short one"}\n'))
        out.write(compressor.flush())


def measured(args: list[str]) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit code) of one child."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    _, status, usage = os.wait4(child.pid, 0)
    return (usage.ru_maxrss * 1024 / 1e6, time.perf_counter() - started,
            os.waitstatus_to_exitcode(status))


def inspect(path: Path, cache: Path) -> tuple[float, float, int]:
    return measured([NEAT, "data", "inspect", str(path), "--set", f"data.cache_dir={cache}"])


def crc_rate(size: int) -> float:
    """GB/s of the CRC-32 over ``size`` bytes in 1 MiB blocks (the cache check)."""
    block = os.urandom(MIB)
    started = time.perf_counter()
    for _ in range(size // MIB):
        zlib.crc32(block)
    return size / 1e9 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=1.0, help="Decompressed size of a bomb.")
    parser.add_argument("--json", action="store_true", help="Also print the rows as JSON.")
    options = parser.parse_args()
    chunks = max(1, int(options.gib * 1024))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        floor = root / "floor" / "small.txt"
        floor.parent.mkdir()
        floor.write_text("a small plain file\n" * 100)
        peak, seconds, code = inspect(floor.parent, root / "cache")
        rows.append({"case": "plain 1.9 kB (import floor)", "stored_mb": 0.0,
                     "peak_mb": peak, "seconds": seconds, "exit": code})
        for codec, make in CODECS.items():
            path = root / codec / f"bomb.txt.{codec}"
            path.parent.mkdir()
            stream(make(), chunks, path)
            peak, seconds, code = inspect(path.parent, root / "cache")
            rows.append({"case": f"{codec} bomb, {chunks} MiB of zeros",
                         "stored_mb": path.stat().st_size / 1e6, "peak_mb": peak,
                         "seconds": seconds, "exit": code})
            path.unlink()
        line = root / "jsonl" / "line.jsonl.zst"
        line.parent.mkdir()
        json_line_bomb(line, chunks)
        peak, seconds, code = inspect(line.parent, root / "cache")
        rows.append({"case": f"jsonl+zstd, one {chunks} MiB line", "stored_mb":
                     line.stat().st_size / 1e6, "peak_mb": peak, "seconds": seconds,
                     "exit": code})
    load = os.getloadavg()[0]
    print(f"neat data inspect, peak resident memory (load average {load:.1f}, "
          f"{os.cpu_count()} CPUs)")
    print(f"{'case':<36} {'stored MB':>10} {'peak MB':>8} {'seconds':>8} {'exit':>5}")
    for row in rows:
        print(f"{row['case']:<36} {row['stored_mb']:>10.3f} {row['peak_mb']:>8.0f} "
              f"{row['seconds']:>8.1f} {row['exit']:>5}")
    rate = crc_rate(256 * MIB)
    print(f"cache check (CRC-32 per MiB block): {rate:.2f} GB/s, so about "
          f"{1 / rate:.1f} s per GB of cache each time a run opens a split")
    if options.json:
        print(json.dumps({"rows": rows, "crc_gb_per_s": rate, "load": load}))


if __name__ == "__main__":
    main()
