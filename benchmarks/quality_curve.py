"""Model quality per CPU minute: held-out bits per byte against minutes of training.

Trains the quick-start config (or yours, with -c/--set) on one corpus of
:mod:`corpora` (``--corpus``: the standard library, Jane Austen's novels with one held
out, or Shakespeare's comedies with one held out) for a time budget
(``training.max_minutes``; the learning rate decays over that budget), then prints

- the curve: held-out bits per byte on the trainer's fixed evaluation windows at each
  evaluation, against minutes of training (step time only: evaluations and saves are
  not counted), bytes seen and passes over the training split;
- the run's model (its best checkpoint, what ``neat eval RUN`` scores) on the whole
  held-out split (``neat_core.evaluate``, each document scored with its full context),
  next to gzip, bz2 and xz on the same bytes: per document (as ``neat eval`` reports)
  and on the split joined into one stream (the stronger compressor baseline).

    .venv/bin/python benchmarks/quality_curve.py --minutes 10                  # stdlib
    .venv/bin/python benchmarks/quality_curve.py --minutes 10 --corpus austen
    .venv/bin/python benchmarks/quality_curve.py --minutes 10 --corpus comedies
    .venv/bin/python benchmarks/quality_curve.py --minutes 1 --set model.hidden_size=96

Training time depends on the machine and its load: on a shared machine the same budget
trains fewer bytes, so quote the bytes seen along with the figures.
"""

from __future__ import annotations

import argparse
import bz2
import json
import lzma
import shutil
import sys
import time
import zlib
from pathlib import Path

import neat_core
from neat_core.config import Override, load_config, parse_assignments
from neat_core.training import read_metrics

sys.path.insert(0, str(Path(__file__).parent))

from corpora import CORPORA, DEFAULT_DIR, overrides

COMPRESSORS = {"gzip": lambda b: zlib.compress(b, 9), "bz2": lambda b: bz2.compress(b, 9),
               "xz": lambda b: lzma.compress(b, preset=9)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument("--corpus", choices=CORPORA, default="stdlib",
                        help="train and held-out data (see benchmarks/corpora.py)")
    parser.add_argument("--corpora-dir", type=Path, default=DEFAULT_DIR,
                        help="where the corpora are prepared")
    parser.add_argument("-c", "--config", type=Path, help="config file (default: quick start)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override (repeatable)")
    parser.add_argument("--output-dir", type=Path, help="run directory (default: "
                        "runs/quality-<corpus>-<minutes>m, replaced if it exists)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    output_dir = args.output_dir or Path(f"runs/quality-{args.corpus}-{args.minutes:g}m")
    shutil.rmtree(output_dir, ignore_errors=True)
    settings = [Override("training.max_minutes", args.minutes, raw=False),
                 Override("training.max_steps", 10**9, raw=False),
                 Override("run.output_dir", str(output_dir), raw=False)]
    settings += parse_assignments([*overrides(args.corpus, args.corpora_dir), *args.overrides])
    config = load_config(args.config, settings).config
    started = time.monotonic()
    metrics = neat_core.train(config)
    wall = (time.monotonic() - started) / 60
    curve = [r for r in read_metrics(output_dir) if r["kind"] == "eval"]
    bytes_per_step = (config.training.batch_size * config.model.block_size *
                      config.training.gradient_accumulation_steps)

    train_bytes = _train_bytes(config)
    print(f"\ncorpus {args.corpus}: {train_bytes / 1e6:.2f} MB of training bytes")
    print(f"model {json.dumps(neat_core.config.to_dict(config.model))}")
    print(f"{metrics['parameters']:,} parameters; {metrics['step']} steps, "
          f"{metrics['step'] * bytes_per_step / 1e6:.1f} MB seen in "
          f"{metrics['elapsed_s'] / 60:.2f} min of training ({wall:.2f} min wall)")
    print(f"\n{'train min':>9} {'step':>7} {'MB seen':>8} {'passes':>6} {'held-out bpb':>13}")
    for record in curve:
        seen = record["step"] * bytes_per_step
        print(f"{record['elapsed_s'] / 60:>9.2f} {record['step']:>7} {seen / 1e6:>8.1f} "
              f"{seen / train_bytes:>6.1f} {record['eval_bpb']:>13.4f}")

    results = neat_core.evaluate(output_dir)  # the run's model: its best checkpoint
    overall = results["results"]["bits-per-byte"]
    model_bpb = overall["overall"]["bits_per_byte"]
    joined = b"".join(data for _, data in _eval_documents(config))
    stream = {name: 8 * len(compress(joined)) / len(joined)
              for name, compress in COMPRESSORS.items()}
    print(f"\nwhole held-out split ({results['data']['bytes']:,} bytes, "
          f"{results['data']['documents']} documents), bits per byte:")
    print(f"  model (the run's best checkpoint, step {results['checkpoint']['step']}): "
          f"{model_bpb:.4f}")
    for name in COMPRESSORS:
        per_document = overall["compressors"][name]
        print(f"  {name:<4}  per document {per_document:.4f}   joined {stream[name]:.4f}   "
              f"model saves {100 * (1 - model_bpb / per_document):.1f} % and "
              f"{100 * (1 - model_bpb / stream[name]):.1f} %")
    if args.json:
        args.json.write_text(json.dumps({
            "minutes": args.minutes, "wall_minutes": wall, "metrics": metrics,
            "corpus": args.corpus, "train_bytes": train_bytes,
            "curve": curve, "model_bpb": model_bpb,
            "compressors_per_document": overall["compressors"],
            "compressors_joined": stream}, indent=2))


def _train_bytes(config) -> int:
    from neat_core.data import build_corpora

    return len(build_corpora(config, block_size=config.model.block_size).train)


def _eval_documents(config):
    from neat_core.inputs import load_documents

    return load_documents(config)[0]


if __name__ == "__main__":
    main()
