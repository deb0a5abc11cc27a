"""NEAT's default thread choice on a busy CPU, against every fixed thread count.

A CPU-hog process (a Python busy loop) takes one core for the whole run, as a browser
or a build does on a laptop. In this one process, rounds rotate between ``neat train``
with its defaults (``backend.cpu.threads`` unset: the cpu backend times the steps at
each thread count and keeps the fastest) and the same run with ``backend.cpu.threads``
fixed at 1, 2, ... all cores. Every step after the first ``--warmup`` counts, the default's
timing steps at slower counts included. The script prints each round's bytes/s and the
ratio default / best fixed count of the same round; their median is the figure.

    .venv/bin/python benchmarks/bench_busy_cpu.py               # ~4 minutes on 2 cores
    .venv/bin/python benchmarks/bench_busy_cpu.py --hogs 0      # the same, idle machine
    .venv/bin/python benchmarks/bench_busy_cpu.py --rounds 5 --steps 300

The model is the quick-start default (``--set`` overrides it).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys

HOG = "while True: pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hogs", type=int, default=1, help="CPU-hog processes")
    parser.add_argument("--steps", type=int, default=150, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override")
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    logging.getLogger("neat").setLevel(logging.WARNING)
    logging.getLogger("neat.backends").setLevel(logging.INFO)  # the thread choice

    from neat_core.config import Override, load_config, parse_assignments
    from neat_plugins.bench.timing import step_bytes, time_neat

    overrides = [Override("backend.name", "cpu", raw=False)]
    overrides += parse_assignments(args.overrides)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    runs = {"default": load_config(overrides=overrides).config}
    runs.update({f"{n} thread{'s' if n > 1 else ''}": load_config(overrides=[
        *overrides, Override("backend.cpu.threads", n, raw=False)]).config
        for n in range(1, (cores or 1) + 1)})
    config = runs["default"]
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    rates: dict[str, list[float]] = {name: [] for name in runs}
    try:
        names = list(runs)
        for index in range(args.rounds):
            for name in names[index % len(names):] + names[:index % len(names)]:
                result = time_neat(runs[name], "cpu", args.steps, args.warmup)
                rates[name].append(result["steps"] * step_bytes(config) / result["seconds"])
                print(f"round {index + 1}: {name:<10} {rates[name][-1]:>9,.0f} bytes/s",
                      flush=True)
    finally:
        for hog in hogs:
            hog.kill()
    fixed = [name for name in runs if name != "default"]
    ratios = [rates["default"][i] / max(rates[name][i] for name in fixed)
              for i in range(args.rounds)]
    print(f"\n{cores} cores, {args.hogs} CPU-hog process(es); model "
          f"{config.model.hidden_size}x{config.model.num_layers}, block "
          f"{config.model.block_size}, batch {config.training.batch_size}; "
          f"{args.steps} timed steps per run")
    for name in runs:
        print(f"{name:<10} median {statistics.median(rates[name]):>9,.0f} bytes/s")
    print(f"default / best fixed count: median {statistics.median(ratios):.3f} "
          f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")


if __name__ == "__main__":
    main()
