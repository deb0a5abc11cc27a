"""Throughput of entropies + patching against the raw forward pass of the model.

    .venv/bin/python benchmarks/bench_entropy.py [--megabytes 0.3] [--rounds 3]
                                                 [--set KEY=VALUE ...]

The text is the Python standard library's own sources (concatenated .py files under
sysconfig's stdlib path). The model is the default config's (blt-entropy defaults;
random weights: speed does not depend on them), on the backend the default config
selects, with its default settings (threads, mixed precision) — what `neat analyze`
runs with. Measured in the same run:

- raw forward: the model over non-overlapping block_size windows (each byte once, with
  no context across windows), eval.batch_size windows per call, under inference mode
  and the backend's autocast: the floor any scoring pipeline pays;
- entropies + patching as NEAT does them by default (``Scorer.entropies``: the
  model's key/value cache where it has one, each byte computed once with the full
  context of block_size - 1 bytes) and global patching at threshold 2.0;
- the same through the sliding window (``cache=False``, default stride: every byte
  keeps >= block_size / 2 bytes of context, at about two forward passes per byte).

The text is split into rounds; each round measures every method on its segment, in a
rotating order, and the ratios to the raw forward of the same round are reported (their
median, and each one). On a shared machine timings are noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import logging
import sysconfig
import time
from pathlib import Path

import numpy as np
import torch

import neat_core
from neat_core.backends import select_backend
from neat_core.config import load_config, parse_assignments
from neat_core.scoring import Scorer, compute_entropies
from neat_plugins.blt import patch_lengths


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


def raw_forward(model, data: bytes, batch_size: int, backend) -> float:
    block = model.config.block_size
    usable = len(data) // block * block
    windows = torch.from_numpy(np.frombuffer(data[:usable], dtype=np.uint8)
                               .astype(np.int64).reshape(-1, block))
    start = time.perf_counter()
    with torch.inference_mode(), backend.autocast():
        for lo in range(0, len(windows), batch_size):
            model(windows[lo:lo + batch_size].to(backend.device))
    backend.synchronize()
    return usable / (time.perf_counter() - start)


def pipeline(entropies, data: bytes) -> float:
    start = time.perf_counter()
    patch_lengths(entropies(data), "global", threshold=2.0)
    return len(data) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=0.3,
                        help="text to score (default 0.3: about a minute on 2 idle cores)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the text is split into this many segments, each measured "
                             "by every method in a rotating order")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override, e.g. backend.cpu.threads=1")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    logging.getLogger("neat.backends").setLevel(logging.INFO)  # backend and thread choice

    config = load_config(overrides=parse_assignments(args.overrides)).config
    backend = select_backend(config.backend)
    backend.seed(0)
    model = neat_core.get_registry().get("models", config.model.name).factory(config.model)
    model = model.to(backend.device).eval()
    scorer = Scorer(model, config, backend)
    batch = config.eval.batch_size
    data = stdlib_text(int(args.megabytes * 1e6))
    parameters = sum(p.numel() for p in model.parameters())
    print(f"model: {config.model.name} defaults (block {config.model.block_size}), "
          f"{parameters / 1e6:.2f}M parameters; backend {backend.name}, mixed precision "
          f"{backend.amp or 'off'}; text: {len(data) / 1e6:.2f} MB of stdlib sources in "
          f"{args.rounds} rounds; eval.batch_size {batch}")
    scorer.entropies(data[:20_000])  # warm-up (and the thread choice on the cpu)

    def window(segment: bytes):
        with backend.autocast():
            return compute_entropies(model, segment, batch_size=batch, cache=False,
                                     device=backend.device, observe=backend.observe_step)

    methods = {
        "raw forward, each byte once": lambda s: raw_forward(model, s, batch, backend),
        "entropies+patching (default: cache)": lambda s: pipeline(scorer.entropies, s),
        "entropies+patching, sliding window": lambda s: pipeline(window, s),
    }
    names = list(methods)
    rates: dict[str, list[float]] = {name: [] for name in names}
    size = len(data) // args.rounds
    for index in range(args.rounds):  # rotate the order so drift hits every method
        segment = data[index * size:(index + 1) * size]
        for name in names[index % len(names):] + names[:index % len(names)]:
            rates[name].append(methods[name](segment))

    raw = rates[names[0]]
    figures = {}
    print(f"{'measurement':<42}{'bytes/s (median)':>18}{'vs raw (median)':>18}")
    for name in names:
        ratios = [rate / base for rate, base in zip(rates[name], raw)]
        figures[name] = {"bytes_per_second": float(np.median(rates[name])),
                         "vs_raw": float(np.median(ratios)), "vs_raw_rounds": ratios}
        print(f"{name:<42}{np.median(rates[name]):>18,.0f}{np.median(ratios):>17.3f}x"
              f"   per round: {', '.join(f'{r:.3f}' for r in ratios)}")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend.name,
                                         "mixed_precision": backend.amp or "off",
                                         "methods": figures}, indent=2))
    print(f"raw forward per round: {', '.join(f'{r:,.0f}' for r in raw)} bytes/s "
          f"(their spread is the machine's noise); torch threads now "
          f"{torch.get_num_threads()}")


if __name__ == "__main__":
    main()
