"""Resident memory of building and sampling a 10 MB versus a 1 GB byte corpus, and a
10 MB versus a multi-GB ``.jsonl.zst`` corpus (The Pile's format).

Each case runs in its own child process, which ingests one source file into the byte
cache (decompressing and parsing it for JSON lines) and cuts the train split from it,
streamed as training does, and then draws batches of
``block_size + 1`` windows with ``BatchSampler``. The child reports its resident memory
after imports (the baseline), its peak (VmHWM; ru_maxrss would include the parent's
memory at fork time) and, at the end, the anonymous and file-backed parts (RssAnon /
RssFile), all from /proc/self/status. The script prints the
figures and the ratio large/small.

A third case draws as many random windows from the large corpus by indexing the memmap
(``corpus.array[starts + offsets]``) instead of through the sampler, which reads them
with pread (``Corpus.windows``): Linux counts mapped file pages as resident, which is
why the sampler reads windows instead.

The raw corpora are random bytes (a 16 MiB random block written repeatedly, for speed);
the JSON lines corpora hold one document of 1-8 KB of words per line under "text"
(with a "meta" field beside it, as in The Pile), a 32 MiB block of lines written
repeatedly through a zstd stream. Everything lives in a temporary directory that is
removed afterwards; a case needs about three times its decompressed size of disk
(source, ingested source, split).

    .venv/bin/python benchmarks/bench_data_memory.py            # a few minutes
    .venv/bin/python benchmarks/bench_data_memory.py --large-mb 256 --jsonl-mb 512 \
        --batches 500
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


WORDS = ("byte level models read text as bytes and learn where the entropy of the next "
         "byte is high so that patches begin there the pile ships as json lines compressed "
         "with zstd one document per line").split()


def write_jsonl_zst(path: Path, size: int) -> None:
    """About ``size`` bytes of JSON lines (decompressed), compressed with zstd."""
    import zstandard

    rng = np.random.default_rng(0)
    lines = []
    block = 0
    while block < min(size, 32 << 20):
        words = rng.choice(WORDS, size=int(rng.integers(200, 1400)))
        line = json.dumps({"text": " ".join(words), "meta": {"pile_set_name": "Bench"}})
        lines.append(line)
        block += len(line) + 1
    data = ("\n".join(lines) + "\n").encode()
    with open(path, "wb") as raw, \
            zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
        for start in range(0, size, len(data)):  # whole lines only
            out.write(data if size - start >= len(data)
                      else data[:data.rfind(b"\n", 0, size - start) + 1])


def child(source: str, eval_source: str, cache: str, batches: int, memmap: bool) -> None:
    from neat_core.config import load_config
    from neat_core.data import BatchSampler, build_corpora

    baseline = memory_kib()["VmRSS"]
    started = time.perf_counter()
    config = load_config(overrides={"data.train": [source], "data.eval": [eval_source],
                                    "data.cache_dir": cache, "run.seed": 0}).config
    corpora = build_corpora(config, block_size=BLOCK_SIZE)
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
    print(json.dumps({"bytes": len(corpora.train), "documents": len(corpora.train.documents),
                      "baseline_kib": baseline,
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
    parser.add_argument("--jsonl-mb", type=int, default=2048,
                        help="decompressed size of the large .jsonl.zst corpus")
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
    cases = [("raw", args.small_mb, write_random_file, ".bin"),
             ("raw", args.large_mb, write_random_file, ".bin"),
             ("jsonl.zst", args.small_mb, write_jsonl_zst, ".jsonl.zst"),
             ("jsonl.zst", args.jsonl_mb, write_jsonl_zst, ".jsonl.zst")]
    try:
        eval_source = root / "eval.bin"
        write_random_file(eval_source, 1 << 20)
        rows = []
        for kind, megabytes, write, suffix in cases:
            source = root / f"{kind}-{megabytes}{suffix}"
            started = time.perf_counter()
            write(source, megabytes * 1_000_000)
            print(f"wrote {source.name} ({megabytes} MB, {source.stat().st_size / 1e6:.0f} MB "
                  f"on disk) in {time.perf_counter() - started:.1f} s", flush=True)
            rows.append((f"{kind} {megabytes} MB", run_case(source, eval_source,
                                                          root / "cache", args.batches)))
            if (kind, megabytes) == ("raw", args.large_mb):
                rows.append((f"raw {megabytes} MB, memmap indexing",
                             run_case(source, eval_source, root / "cache", args.batches,
                                      memmap=True)))
            source.unlink()
            shutil.rmtree(root / "cache")
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n{args.batches} batches of {BATCH_SIZE} x {BLOCK_SIZE + 1} bytes per case; "
          f"memory in MiB; build = ingest + train/eval split")
    print(f"{'corpus':<34}{'documents':>10}{'baseline':>9}{'peak RSS':>10}{'anon end':>10}"
          f"{'file end':>10}{'build s':>9}{'sample s':>10}")
    for label, row in rows:
        print(f"{label:<34}{row['documents']:>10}{row['baseline_kib'] / 1024:>9.1f}"
              f"{row['peak_kib'] / 1024:>10.1f}{row['anon_kib'] / 1024:>10.1f}"
              f"{row['file_kib'] / 1024:>10.1f}{row['build_s']:>9.2f}{row['sample_s']:>10.2f}")
    by_label = dict(rows)
    for kind, large in (("raw", args.large_mb), ("jsonl.zst", args.jsonl_mb)):
        small, big = by_label[f"{kind} {args.small_mb} MB"], by_label[f"{kind} {large} MB"]
        print(f"ratio {kind} {large} MB / {args.small_mb} MB: peak RSS "
              f"{big['peak_kib'] / small['peak_kib']:.2f}x, anonymous "
              f"{big['anon_kib'] / small['anon_kib']:.2f}x (corpus "
              f"{big['bytes'] / small['bytes']:.0f}x larger)")


if __name__ == "__main__":
    main()
