"""Model quality per CPU minute: held-out bits per byte against minutes of training.

Trains the quick-start config (or yours, with -c/--set) for a time budget
(``training.max_minutes``; the learning rate decays over that budget), then prints

- the curve: held-out bits per byte on the trainer's fixed evaluation windows at each
  evaluation, against minutes of training (step time only: evaluations and saves are
  not counted) and wall-clock minutes;
- the final model's bits per byte on the whole held-out split (``neat_core.evaluate``,
  each document scored with a sliding window), next to gzip, bz2 and xz on the same
  bytes: per document (as ``neat eval`` reports) and on the split joined into one
  stream (the stronger compressor baseline).

    .venv/bin/python benchmarks/quality_curve.py --minutes 10
    .venv/bin/python benchmarks/quality_curve.py --minutes 1 --set model.hidden_size=128

Training time depends on the machine and its load: on a shared machine the same budget
trains fewer bytes, so quote the bytes seen along with the figures.
"""

from __future__ import annotations

import argparse
import bz2
import json
import lzma
import shutil
import time
import zlib
from pathlib import Path

import neat_core
from neat_core.config import Override, load_config, parse_assignments
from neat_core.training import read_metrics

COMPRESSORS = {"gzip": lambda b: zlib.compress(b, 9), "bz2": lambda b: bz2.compress(b, 9),
               "xz": lambda b: lzma.compress(b, preset=9)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument("-c", "--config", type=Path, help="config file (default: quick start)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override (repeatable)")
    parser.add_argument("--output-dir", type=Path, help="run directory (default: "
                        "runs/quality-<minutes>m, replaced if it exists)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    output_dir = args.output_dir or Path(f"runs/quality-{args.minutes:g}m")
    shutil.rmtree(output_dir, ignore_errors=True)
    overrides = [Override("training.max_minutes", args.minutes, raw=False),
                 Override("training.max_steps", 10**9, raw=False),
                 Override("run.output_dir", str(output_dir), raw=False)]
    overrides += parse_assignments(args.overrides)
    config = load_config(args.config, overrides).config
    started = time.monotonic()
    metrics = neat_core.train(config)
    wall = (time.monotonic() - started) / 60
    curve = [r for r in read_metrics(output_dir) if r["kind"] == "eval"]
    bytes_per_step = (config.training.batch_size * config.model.block_size *
                      config.training.gradient_accumulation_steps)

    print(f"\nmodel {json.dumps(neat_core.config.to_dict(config.model))}")
    print(f"{metrics['parameters']:,} parameters; {metrics['step']} steps, "
          f"{metrics['step'] * bytes_per_step / 1e6:.1f} MB seen in "
          f"{metrics['elapsed_s'] / 60:.2f} min of training ({wall:.2f} min wall)")
    print(f"\n{'train min':>9} {'step':>7} {'MB seen':>8} {'held-out bpb':>13}")
    for record in curve:
        print(f"{record['elapsed_s'] / 60:>9.2f} {record['step']:>7} "
              f"{record['step'] * bytes_per_step / 1e6:>8.1f} {record['eval_bpb']:>13.4f}")

    results = neat_core.evaluate(metrics["best_checkpoint"])
    overall = results["results"]["bits-per-byte"]
    joined = b"".join(data for _, data in _eval_documents(config))
    stream = {name: 8 * len(compress(joined)) / len(joined)
              for name, compress in COMPRESSORS.items()}
    print(f"\nwhole held-out split ({results['data']['bytes']:,} bytes, "
          f"{results['data']['documents']} documents), bits per byte:")
    print(f"  model (best checkpoint, step {results['checkpoint']['step']}): "
          f"{overall['overall']['bits_per_byte']:.4f}")
    for name in COMPRESSORS:
        print(f"  {name:<4}  per document {overall['compressors'][name]:.4f}   "
              f"joined {stream[name]:.4f}")
    if args.json:
        args.json.write_text(json.dumps({
            "minutes": args.minutes, "wall_minutes": wall, "metrics": metrics,
            "curve": curve, "model_bpb": overall["overall"]["bits_per_byte"],
            "compressors_per_document": overall["compressors"],
            "compressors_joined": stream}, indent=2))


def _eval_documents(config):
    from neat_core.inputs import load_documents

    return load_documents(config)[0]


if __name__ == "__main__":
    main()
