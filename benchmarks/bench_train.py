"""Training throughput of ``neat train`` against a minimal plain PyTorch loop.

Both train the same model (blt-entropy, hidden 128, 2 layers, 4 heads, block 128) with
batch 16 on the CPU, on the same bytes (the default corpus), in this one process:
rounds alternate between NEAT's trainer with its default settings (clipping on; the cpu
backend's thread count and mixed precision) and the plain loop of
``neat_core.bench.time_plain`` (float32, no clipping, default AdamW, torch's default
threads), so load from other processes hits both alike. Each round times ``--steps``
steps after ``--warmup`` untimed ones; the script prints every round's bytes/s and
ratio NEAT / plain, and their medians (the figure to quote).

    .venv/bin/python benchmarks/bench_train.py                 # ~2 minutes
    .venv/bin/python benchmarks/bench_train.py --rounds 7 --steps 100
    .venv/bin/python benchmarks/bench_train.py --set backend.mixed_precision=off

``--set`` applies a config override to both (the plain loop takes the model, batch
and data from the config, nothing else).
"""

from __future__ import annotations

import argparse
import logging

MODEL = {"hidden_size": 128, "num_layers": 2, "num_heads": 4, "block_size": 128}
BATCH = 16


def neat_config(overrides: list[str]):
    from neat_core.config import Override, load_config

    settings = [Override(f"model.{key}", value, raw=False) for key, value in MODEL.items()]
    settings += [Override("training.batch_size", BATCH, raw=False),
                 Override("backend.name", "cpu", raw=False)]
    settings += [Override(*item.split("=", 1)) for item in overrides]
    return load_config(overrides=settings).config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each loop")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override")
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    logging.getLogger("neat").setLevel(logging.WARNING)
    logging.getLogger("neat.backends").setLevel(logging.INFO)  # the thread choice

    from neat_core.bench import time_training

    config = neat_config(args.overrides)
    result = time_training(config, "cpu", args.steps, args.warmup, args.rounds)
    print(f"model {MODEL}, batch {BATCH}, {args.rounds} rounds of {args.steps} timed steps "
          f"(+{args.warmup} warm-up), overrides {args.overrides or 'none'}")
    print(f"NEAT : median {result['train_bytes_per_second']:>9,.0f} bytes/s")
    print(f"plain: median {result['plain_bytes_per_second']:>9,.0f} bytes/s")
    ratios = ", ".join(f"{ratio:.3f}" for ratio in result["neat_vs_plain_rounds"])
    print(f"NEAT / plain: median {result['neat_vs_plain']:.3f} (rounds: {ratios})")


if __name__ == "__main__":
    main()
