"""Training throughput of ``neat train`` against a minimal plain PyTorch loop.

Both train the same model (blt-entropy, hidden 128, 2 layers, 4 heads, block 128) with
batch 16 on the CPU, on the same bytes (the default corpus), in this one process:
rounds alternate between NEAT's trainer with its default settings (clipping on; the cpu
backend's thread count and mixed precision) and the plain loop of
``neat_plugins.bench.timing.time_plain`` (float32, no clipping, default AdamW, torch's default
threads), so load from other processes hits both alike. Each round times ``--steps``
steps after ``--warmup`` untimed ones; the script prints every round's bytes/s and
ratio NEAT / plain, and their medians (the figure to quote), then the same ratio per
process CPU second: on a machine other processes load, wall-clock rates swing with the
scheduler's share, while CPU seconds of one thread measure the work alone
(``OMP_NUM_THREADS=1`` makes torch's default, and so the plain loop, one thread).

    .venv/bin/python benchmarks/bench_train.py                 # ~2 minutes
    .venv/bin/python benchmarks/bench_train.py --rounds 7 --steps 100
    .venv/bin/python benchmarks/bench_train.py --set backend.mixed_precision=off
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train.py      # a busy machine
    .venv/bin/python benchmarks/bench_train.py --backend cuda -c configs/cuda.json

``--set`` applies a config override to both (the plain loop takes the model, batch
and data from the config, nothing else); ``-c`` takes the model and batch from a
config file instead of the fixed ones above.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path

MODEL = {"hidden_size": 128, "num_layers": 2, "num_heads": 4, "block_size": 128}
BATCH = 16


def neat_config(overrides: list[str], path: Path | None = None, backend: str = "cpu"):
    from neat_core.config import Override, load_config, parse_assignments

    settings = [] if path else [Override(f"model.{key}", value, raw=False)
                                for key, value in MODEL.items()]
    if not path:
        settings.append(Override("training.batch_size", BATCH, raw=False))
    settings.append(Override("backend.name", backend, raw=False))
    settings += parse_assignments(overrides)
    return load_config(path, overrides=settings).config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each loop")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override")
    parser.add_argument("-c", "--config", type=Path, help="take model and batch from it")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--plain-threads", type=int, action="append", default=[],
                        metavar="N", help="also run the plain loop at N threads (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    logging.getLogger("neat").setLevel(logging.WARNING)
    logging.getLogger("neat.backends").setLevel(logging.INFO)  # the thread choice

    from neat_plugins.bench.timing import time_training

    config = neat_config(args.overrides, args.config, args.backend)
    result = time_training(config, args.backend, args.steps, args.warmup, args.rounds,
                           plain_threads=[None, *args.plain_threads])
    model = {key: getattr(config.model, key) for key in MODEL}
    print(f"{args.backend}: model {model}, batch {config.training.batch_size}, "
          f"{args.rounds} rounds of {args.steps} timed steps (+{args.warmup} warm-up), "
          f"overrides {args.overrides or 'none'}")
    for kind, rates in result["rounds_bytes_per_second"].items():
        label = "NEAT (defaults)" if kind == "neat" else \
            f"plain loop, {kind.split('@')[1]} thread(s)"
        print(f"{label:<26} median {statistics.median(rates):>9,.0f} bytes/s  (rounds: "
              f"{', '.join(f'{r:,.0f}' for r in rates)})")
    ratios = ", ".join(f"{ratio:.3f}" for ratio in result["neat_vs_plain_rounds"])
    print(f"NEAT / plain loop at torch's default {result['plain_threads']} thread(s): "
          f"median {result['neat_vs_plain']:.3f} (rounds: {ratios})")
    cpu_ratios = ", ".join(f"{ratio:.3f}" for ratio in result["neat_vs_plain_cpu_rounds"])
    print(f"the same per process CPU second (the work alone, whatever the load; all threads "
          f"counted): median {result['neat_vs_plain_cpu']:.3f} (rounds: {cpu_ratios})")
    neat = result["rounds_bytes_per_second"]["neat"]
    best = [max(rates[i] for kind, rates in result["rounds_bytes_per_second"].items()
                if kind != "neat") for i in range(len(neat))]
    if len(result["rounds_bytes_per_second"]) > 2:
        print(f"NEAT / best plain loop of the round: median "
              f"{statistics.median(n / b for n, b in zip(neat, best)):.3f}")
    if args.json:
        args.json.write_text(json.dumps({"model": model, **result}, indent=2))


if __name__ == "__main__":
    main()
