"""Throughput of entropies + patching on CPU against the raw forward pass of the model.

    .venv/bin/python benchmarks/bench_entropy.py [--megabytes 0.25] [--batch-size 16]

The text is the Python standard library's own sources (concatenated .py files under
sysconfig's stdlib path). The model is blt-entropy with its default config (weights are
random: speed does not depend on them). Measured in the same run:

- raw forward: the model over non-overlapping block_size windows (each byte once),
  under torch.inference_mode — the floor any scoring pipeline pays;
- compute_entropies + patch_lengths with the default stride (block_size // 2: every byte
  keeps >= block_size / 2 bytes of context, at about two forward passes per byte);
- the same with stride = block_size (one pass per byte, like raw): the pipeline's own
  overhead;
- patching and threshold calibration alone (numpy).

The raw forward is timed before and after the others; their difference shows how noisy
the machine was. Timings on a shared machine are noisy: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import sysconfig
import time
from pathlib import Path

import numpy as np
import torch

from neat_plugins.blt import calibrate_threshold, compute_entropies, patch_lengths
from neat_plugins.blt.config import BltEntropyConfig
from neat_plugins.blt.model import EntropyModel


def stdlib_text(size: int) -> bytes:
    chunks, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        chunks.append(path.read_bytes())
        total += len(chunks[-1])
        if total >= size:
            break
    return b"".join(chunks)[:size]


def raw_forward(model: EntropyModel, data: bytes, batch_size: int) -> float:
    block = model.config.block_size
    usable = len(data) // block * block
    windows = torch.from_numpy(np.frombuffer(data[:usable], dtype=np.uint8)
                               .astype(np.int64).reshape(-1, block))
    start = time.perf_counter()
    with torch.inference_mode():
        for lo in range(0, len(windows), batch_size):
            model(windows[lo:lo + batch_size])
    return usable / (time.perf_counter() - start)


def pipeline(model: EntropyModel, data: bytes, batch_size: int, stride: int | None) -> float:
    start = time.perf_counter()
    entropies = compute_entropies(model, data, batch_size=batch_size, stride=stride)
    patch_lengths(entropies, "global", threshold=2.0)
    return len(data) / (time.perf_counter() - start)


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=0.25,
                        help="text to score (default 0.25: about 1.5 minutes on 2 cores)")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    torch.manual_seed(0)
    config = BltEntropyConfig()
    model = EntropyModel(config).eval()
    data = stdlib_text(int(args.megabytes * 1e6))
    print(f"model: blt-entropy defaults (hidden {config.hidden_size}, {config.num_layers} "
          f"layers, block {config.block_size}), {model.num_parameters() / 1e6:.2f}M "
          f"parameters; {torch.get_num_threads()} threads; text: {len(data) / 1e6:.2f} MB "
          f"of stdlib sources; batch {args.batch_size}")
    raw_forward(model, data[:config.block_size * args.batch_size], args.batch_size)  # warm-up

    raw_before = raw_forward(model, data, args.batch_size)
    default = pipeline(model, data, args.batch_size, None)
    one_pass = pipeline(model, data, args.batch_size, config.block_size)
    raw_after = raw_forward(model, data, args.batch_size)
    raw = (raw_before + raw_after) / 2

    entropies = np.random.default_rng(0).uniform(0, 8, len(data)).astype(np.float32)
    patch_seconds = timed(patch_lengths, entropies, "global")
    calibrate_seconds = timed(calibrate_threshold, entropies, 4.5)

    print(f"{'measurement':<60}{'bytes/s':>15}{'vs raw':>12}")
    rows = [
        ("raw forward, each byte once (mean of before/after)", raw),
        (f"entropies+patching, stride {config.block_size // 2} (default)", default),
        (f"entropies+patching, stride {config.block_size} (one pass per byte)", one_pass),
        ("patching alone (global)", len(data) / patch_seconds),
        ("threshold calibration alone (global, bisection)", len(data) / calibrate_seconds),
    ]
    for name, rate in rows:
        print(f"{name:<60}{rate:>15,.0f}{rate / raw:>11.3f}x")
    print(f"raw forward before / after: {raw_before:,.0f} / {raw_after:,.0f} bytes/s "
          f"({abs(raw_before - raw_after) / raw:.1%} apart: the machine's noise)")


if __name__ == "__main__":
    main()
