"""Throughput of entropies + patching on CPU against the raw forward pass of the model.

    .venv/bin/python benchmarks/bench_entropy.py [--megabytes 0.15] [--rounds 3]
                                                 [--batch-size 16] [--threads N]

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

The text is split into rounds; each round measures every method on its segment, in a
rotating order, and the ratios to the raw forward of the same round are reported (their
median, and each one). On a shared machine timings are noisy: compare ratios, not
absolutes.
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
    parser.add_argument("--megabytes", type=float, default=0.15,
                        help="text to score (default 0.15: about 1.5 minutes on 2 idle cores)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the text is split into this many segments, each measured "
                             "by every method in a rotating order")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice, all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    config = BltEntropyConfig()
    model = EntropyModel(config).eval()
    data = stdlib_text(int(args.megabytes * 1e6))
    print(f"model: blt-entropy defaults (hidden {config.hidden_size}, {config.num_layers} "
          f"layers, block {config.block_size}), {model.num_parameters() / 1e6:.2f}M "
          f"parameters; {torch.get_num_threads()} threads; text: {len(data) / 1e6:.2f} MB "
          f"of stdlib sources in {args.rounds} rounds; batch {args.batch_size}")
    raw_forward(model, data[:config.block_size * args.batch_size], args.batch_size)  # warm-up

    methods = {
        "raw forward, each byte once":
            lambda segment: raw_forward(model, segment, args.batch_size),
        f"entropies+patching, stride {config.block_size // 2} (default)":
            lambda segment: pipeline(model, segment, args.batch_size, None),
        f"entropies+patching, stride {config.block_size} (one pass per byte)":
            lambda segment: pipeline(model, segment, args.batch_size, config.block_size),
    }
    names = list(methods)
    rates: dict[str, list[float]] = {name: [] for name in names}
    size = len(data) // args.rounds
    for index in range(args.rounds):  # rotate the order so drift hits every method
        segment = data[index * size:(index + 1) * size]
        for name in names[index % len(names):] + names[:index % len(names)]:
            rates[name].append(methods[name](segment))

    entropies = np.random.default_rng(0).uniform(0, 8, len(data)).astype(np.float32)
    extra = {"patching alone (global)": len(data) / timed(patch_lengths, entropies, "global"),
             "threshold calibration alone (global, bisection)":
                 len(data) / timed(calibrate_threshold, entropies, 4.5)}

    raw = rates[names[0]]
    print(f"{'measurement':<60}{'bytes/s (median)':>18}{'vs raw (median)':>18}")
    for name in names:
        ratios = [rate / base for rate, base in zip(rates[name], raw)]
        print(f"{name:<60}{np.median(rates[name]):>18,.0f}{np.median(ratios):>17.3f}x"
              f"   per round: {', '.join(f'{r:.3f}' for r in ratios)}")
    for name, rate in extra.items():
        print(f"{name:<60}{rate:>18,.0f}{rate / np.median(raw):>17.1f}x")
    print(f"raw forward per round: {', '.join(f'{r:,.0f}' for r in raw)} bytes/s "
          f"(their spread is the machine's noise)")


if __name__ == "__main__":
    main()
