"""Training throughput of ``neat train`` against a minimal plain PyTorch loop.

Both train the same model (blt-entropy, hidden 128, 2 layers, 4 heads, block 128) with
batch 16 on the CPU, on the same bytes (the default corpus). Each measurement runs in
its own process, so its peak resident memory is its own; plain and NEAT alternate so
that load from other processes hits both alike. A run's speed is that of its median
step; the script prints bytes/s, the ratio NEAT/plain and peak RSS, and the median
over the repeats is the figure to quote.

    .venv/bin/python benchmarks/bench_train.py                # ~1 minute
    .venv/bin/python benchmarks/bench_train.py --steps 100 --repeats 5
    .venv/bin/python benchmarks/bench_train.py --set training.compile=true

``--set`` applies a config override to the NEAT run (the plain loop follows the
backend and compile settings it can express: threads and torch.compile).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import neat_core

MODEL = {"hidden_size": 128, "num_layers": 2, "num_heads": 4, "block_size": 128}
BATCH = 16
WARMUP = 5


def neat_config(overrides: list[str]):
    from neat_core.config import Override, load_config

    settings = [Override(f"model.{key}", value, raw=False) for key, value in MODEL.items()]
    settings += [Override("training.batch_size", BATCH, raw=False),
                 Override("backend.name", "cpu", raw=False)]
    settings += [Override(*item.split("=", 1)) for item in overrides]
    return load_config(overrides=settings).config


class StepClock:
    """A training callback stamping each per-step record: the intervals are whole loop
    iterations, bookkeeping included."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def on_log(self, record: dict) -> None:
        self.stamps.append(time.perf_counter())

    @neat_core.hookimpl
    def register_training_callbacks(self, register) -> None:
        register("step-clock", lambda config, run_dir: self)


def run_neat(steps: int, overrides: list[str]) -> list[float]:
    """Seconds of each timed step of `neat_core.train`."""
    from neat_core.bench import bench_config
    from neat_core.testing import plugin_registered

    config = neat_config(overrides)
    clock = StepClock()
    with plugin_registered(clock, "step-clock"), tempfile.TemporaryDirectory() as output_dir:
        neat_core.train(bench_config(config, "cpu", steps, WARMUP, output_dir))
    return [b - a for a, b in zip(clock.stamps[WARMUP - 1:], clock.stamps[WARMUP:])]


def run_plain(steps: int, overrides: list[str]) -> list[float]:
    """The minimal loop: sample windows, forward, cross-entropy, backward, AdamW step."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from neat_core import get_registry
    from neat_core.data import build_corpora

    config = neat_config(overrides)
    if config.backend.threads:
        torch.set_num_threads(config.backend.threads)
    torch.manual_seed(0)
    block = config.model.block_size
    data = build_corpora(config, block_size=block).train.array
    model = get_registry().models[config.model.name].factory(config.model)
    step_model = torch.compile(model) if config.training.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(WARMUP + steps):
        started = time.perf_counter()
        starts = rng.integers(0, len(data) - block - 1, BATCH)
        batch = torch.from_numpy(np.stack([data[s:s + block + 1] for s in starts])).long()
        logits = step_model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()
        times.append(time.perf_counter() - started)
    return times[WARMUP:]


def child(kind: str, steps: int, overrides: list[str]) -> None:
    import logging

    logging.getLogger("neat").setLevel(logging.WARNING)
    times = (run_neat if kind == "neat" else run_plain)(steps, overrides)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # the median step resists bursts of load from other processes better than the mean
    rate = BATCH * MODEL["block_size"] / statistics.median(times)
    print(json.dumps({"bytes_per_second": rate, "peak_rss_bytes": peak}))


def measure(kind: str, steps: int, overrides: list[str]) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--steps", str(steps)]
    for item in overrides:
        command += ["--set", item]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each loop")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override for both runs")
    parser.add_argument("--child", choices=["plain", "neat"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps, args.overrides)
        return
    results: dict[str, list[dict]] = {"plain": [], "neat": []}
    for _ in range(args.repeats):
        for kind in results:
            results[kind].append(measure(kind, args.steps, args.overrides))
    print(f"model {MODEL}, batch {BATCH}, {args.steps} timed steps x {args.repeats} runs, "
          f"overrides {args.overrides or 'none'}")
    median = {}
    for kind, runs in results.items():
        rates = [run["bytes_per_second"] for run in runs]
        median[kind] = statistics.median(rates)
        peak = max(run["peak_rss_bytes"] for run in runs) / 2**20
        print(f"{kind:>5}: median {median[kind]:>9,.0f} bytes/s  "
              f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})  peak RSS {peak:,.0f} MiB")
    print(f"NEAT / plain: {median['neat'] / median['plain']:.3f}")


if __name__ == "__main__":
    main()
