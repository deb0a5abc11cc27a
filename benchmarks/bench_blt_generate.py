"""Generation speed: a BLT through its caches, the same BLT recomputing its window for
every byte, and a byte-level model (blt-entropy, through its key/value cache).

    .venv/bin/python benchmarks/bench_blt_generate.py            # fresh models, block 512
    .venv/bin/python benchmarks/bench_blt_generate.py --blt RUN/checkpoints/best \\
        --byte OTHER_RUN/checkpoints/best                        # e.g. two arms of a study

Greedy bytes per second after a prompt of ``--prompt-bytes`` bytes, each model in
alternating rounds on one thread (``neat_core.sampling.sample_stream``). The full
recompute is what a model without caches costs: a forward pass over the last
``block_size`` bytes per new byte. For a fair "same quality" comparison give checkpoints
of equal held-out bits per byte (``neat study blt`` reports them); without ``--blt`` and
``--byte``, fresh models of the given shapes are timed (speed does not depend on the
weights, except through the patches an entropy BLT cuts; the default static BLT cuts
``--patch-size`` bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import torch

import neat_core
from neat_core.config import Override, load_config
from neat_core.sampling import sample_stream


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blt", help="a BLT checkpoint (default: a fresh one)")
    parser.add_argument("--byte", help="a byte-level model's checkpoint (default: fresh)")
    parser.add_argument("--block-size", type=int, default=512)
    parser.add_argument("--local-size", type=int, default=64)
    parser.add_argument("--latent-size", type=int, default=128)
    parser.add_argument("--latent-layers", type=int, default=2)
    parser.add_argument("--patch-size", type=int, default=4)
    parser.add_argument("--byte-hidden", type=int, default=128)
    parser.add_argument("--byte-layers", type=int, default=2)
    parser.add_argument("--prompt-bytes", type=int, default=256)
    parser.add_argument("--bytes", type=int, default=64, help="bytes generated per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the results here (JSON)")
    return parser.parse_args()


class Recompute(torch.nn.Module):
    """The model without its cache methods: a full forward per new byte."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.inner, self.config = model, model.config

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.inner(idx)


def fresh(values: dict[str, Any]) -> torch.nn.Module:
    config = load_config(overrides=[Override(k, v, raw=False)
                                    for k, v in values.items()]).config.model
    torch.manual_seed(0)
    return neat_core.get_registry().models[config.name].factory(config).eval()


def models(args: argparse.Namespace) -> dict[str, torch.nn.Module]:
    if args.blt:
        blt, _ = neat_core.load_model(args.blt)
    else:
        blt = fresh({"model.name": "blt", "model.block_size": args.block_size,
                     "model.local_size": args.local_size, "model.local_heads": 4,
                     "model.latent_size": args.latent_size, "model.latent_heads": 4,
                     "model.latent_layers": args.latent_layers, "model.patching": "static",
                     "model.patch_size": args.patch_size})
    if args.byte:
        byte, _ = neat_core.load_model(args.byte)
    else:
        byte = fresh({"model.name": "blt-entropy", "model.block_size": args.block_size,
                      "model.hidden_size": args.byte_hidden,
                      "model.num_layers": args.byte_layers})
    return {"blt, cached": blt, "blt, full recompute": Recompute(blt), "byte model": byte}


def bytes_per_second(model: torch.nn.Module, prompt: bytes, count: int) -> float:
    started = time.perf_counter()
    for _ in sample_stream(model, prompt, max_bytes=count, temperature=0):
        pass
    return count / (time.perf_counter() - started)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    timed = models(args)
    text = (b"def generate(model, prompt):\n    return model(prompt)\n" * 64)
    prompt = text[:args.prompt_bytes]
    speeds: dict[str, list[float]] = {name: [] for name in timed}
    names = list(timed)
    for index in range(args.rounds + 1):
        for name in names[index % len(names):] + names[:index % len(names)]:
            speed = bytes_per_second(timed[name], prompt, args.bytes)
            if index:  # round 0 warms up
                speeds[name].append(speed)
    median = {name: statistics.median(values) for name, values in speeds.items()}
    cached, recompute = speeds["blt, cached"], speeds["blt, full recompute"]
    report = {
        "bytes_per_second": median,
        "cached_over_recompute": statistics.median(c / r for c, r in zip(cached, recompute)),
        "cached_over_byte_model": statistics.median(
            c / b for c, b in zip(cached, speeds["byte model"])),
        "flops_per_byte": {name: neat_core.api.model_flops(getattr(model, "inner", model))
                           for name, model in timed.items()},
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "load_average": os.getloadavg()}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    print(f"greedy generation after a {len(prompt)}-byte prompt, {args.bytes} bytes per "
          f"round, {args.rounds} rounds, {args.threads} thread(s), load average "
          f"{report['load_average'][1]:.1f}:")
    for name, value in median.items():
        print(f"  {name:22} {value:8,.0f} bytes/s")
    print(f"  cached / full recompute: {report['cached_over_recompute']:.2f}x; "
          f"cached / byte model: {report['cached_over_byte_model']:.2f}x")


if __name__ == "__main__":
    main()
