"""Resident memory of building and sampling a 10 MB versus a 1 GB byte corpus.

Each case runs in its own child process, which builds the byte cache from one source
file (streamed into the cache, as training does) and then draws batches of
``block_size + 1`` windows with ``BatchSampler``. The child reports its resident memory
after imports (the baseline), its peak (VmHWM; ru_maxrss would include the parent's
memory at fork time) and, at the end, the anonymous and file-backed parts (RssAnon /
RssFile), all from /proc/self/status. The script prints the
figures and the ratio large/small.

A third case draws as many random windows from the large corpus by indexing the memmap
(``corpus.array[starts + offsets]``) instead of through the sampler, which reads them
with pread (``Corpus.windows``): Linux counts mapped file pages as resident, which is
why the sampler reads windows instead.

The corpora are random bytes (a 16 MiB random block written repeatedly, for speed) in a
temporary directory that is removed afterwards; the 1 GB case needs ~2 GB of disk
(source + cache).

    .venv/bin/python benchmarks/bench_data_memory.py            # ~30 s
    .venv/bin/python benchmarks/bench_data_memory.py --large-mb 256 --batches 500
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BLOCK_SIZE = 256
BATCH_SIZE = 32
CHUNK = 1 << 24


def write_random_file(path: Path, size: int) -> None:
    block = np.random.default_rng(0).bytes(min(CHUNK, size))
    with open(path, "wb") as out:
        for start in range(0, size, CHUNK):
            out.write(block[:min(CHUNK, size - start)])


def memory_kib() -> dict[str, int]:
    """VmRSS, VmHWM (peak), RssAnon and RssFile of this process, in KiB."""
    wanted = {"VmRSS", "VmHWM", "RssAnon", "RssFile"}
    with open("/proc/self/status") as status:
        rows = (line.split(":", 1) for line in status)
        return {key: int(value.split()[0]) for key, value in rows if key in wanted}


def child(source: str, eval_source: str, cache: str, batches: int, memmap: bool) -> None:
    from neat_core.config import DataConfig
    from neat_core.data import BatchSampler, build_corpora

    baseline = memory_kib()["VmRSS"]
    started = time.perf_counter()
    data = DataConfig(train=[source], eval=[eval_source], cache_dir=cache)
    corpora = build_corpora(data, seed=0, block_size=BLOCK_SIZE)
    built = time.perf_counter()
    sampler = BatchSampler(corpora.train, block_size=BLOCK_SIZE, batch_size=BATCH_SIZE,
                           seed=0)
    array, rng = corpora.train.array, np.random.default_rng(0)
    offsets = np.arange(BLOCK_SIZE + 1)
    checksum = 0
    for _ in range(batches):
        if memmap:  # random windows by indexing the memmap
            starts = rng.integers(0, len(array) - BLOCK_SIZE, size=BATCH_SIZE)
            batch = np.asarray(array[starts[:, None] + offsets])
        else:
            batch = sampler.next_batch()
        checksum += int(batch[:, -1].sum())
    sampled = time.perf_counter()
    end = memory_kib()
    print(json.dumps({"bytes": len(corpora.train), "baseline_kib": baseline,
                      "peak_kib": end["VmHWM"],
                      "anon_kib": end["RssAnon"], "file_kib": end["RssFile"],
                      "build_s": built - started, "sample_s": sampled - built,
                      "checksum": checksum}))


def run_case(source: Path, eval_source: Path, cache: Path, batches: int,
             memmap: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", str(source), str(eval_source),
               str(cache), str(batches)] + (["--memmap"] if memmap else [])
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small-mb", type=int, default=10)
    parser.add_argument("--large-mb", type=int, default=1024)
    parser.add_argument("--batches", type=int, default=2000,
                        help=f"batches of {BATCH_SIZE} windows of {BLOCK_SIZE + 1} bytes")
    parser.add_argument("--tmp", help="directory for the temporary corpora")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--memmap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        source, eval_source, cache, batches = args.child
        child(source, eval_source, cache, int(batches), args.memmap)
        return

    root = Path(tempfile.mkdtemp(prefix="neat-bench-data-", dir=args.tmp))
    try:
        eval_source = root / "eval.bin"
        write_random_file(eval_source, 1 << 20)
        rows = []
        for label, megabytes in (("small", args.small_mb), ("large", args.large_mb)):
            source = root / f"{label}.bin"
            started = time.perf_counter()
            write_random_file(source, megabytes * 1_000_000)
            print(f"wrote {source.name} ({megabytes} MB) in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            rows.append((f"{megabytes} MB", run_case(source, eval_source, root / "cache",
                                                     args.batches)))
        rows.append((f"{args.large_mb} MB, memmap indexing",
                     run_case(root / "large.bin", eval_source, root / "cache", args.batches,
                              memmap=True)))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n{args.batches} batches of {BATCH_SIZE} x {BLOCK_SIZE + 1} bytes per case; "
          f"memory in MiB")
    print(f"{'corpus':<26}{'baseline':>9}{'peak RSS':>10}{'anon end':>10}{'file end':>10}"
          f"{'build s':>9}{'sample s':>10}")
    for label, row in rows:
        print(f"{label:<26}{row['baseline_kib'] / 1024:>9.1f}{row['peak_kib'] / 1024:>10.1f}"
              f"{row['anon_kib'] / 1024:>10.1f}{row['file_kib'] / 1024:>10.1f}"
              f"{row['build_s']:>9.2f}{row['sample_s']:>10.2f}")
    small, large = rows[0][1], rows[1][1]
    print(f"\nratio large/small: peak RSS {large['peak_kib'] / small['peak_kib']:.2f}x, "
          f"anonymous {large['anon_kib'] / small['anon_kib']:.2f}x "
          f"(corpus {large['bytes'] / small['bytes']:.0f}x larger)")


if __name__ == "__main__":
    main()
