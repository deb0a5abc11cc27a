"""Regularisation levers compared at equal steps (equal bytes seen), not equal time.

Each variant trains the quick-start config with its own ``--set`` overrides on one
corpus of :mod:`corpora` for the same number of steps, on one thread in one precision
(``--precision``, float32 unless told), so
the load of a shared machine changes how long it takes but not what it computes. The
table gives held-out bits per byte (the trainer's fixed evaluation windows of the
corpus's held-out works) at each evaluation, the best and the final figure.

    .venv/bin/python benchmarks/quality_levers.py --corpus comedies --steps 2000 \\
        --variant defaults --variant "dropout 0.1" model.dropout=0.1 \\
        --variant "buckets 1024" model.hash_buckets=1024

Variants run one after another; ``--jobs 2`` runs two at a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from corpora import CORPORA, DEFAULT_DIR, overrides


def train_variant(assignments: list[str], steps: int, evals: int, precision: str,
                  output_dir: Path) -> list[dict[str, Any]]:
    """The eval records of one run of ``steps`` steps."""
    import logging

    import neat_core
    from neat_core.config import Override, load_config, parse_assignments
    from neat_core.training import read_metrics

    logging.getLogger("neat").setLevel(logging.WARNING)
    shutil.rmtree(output_dir, ignore_errors=True)
    every = max(1, steps // evals)
    fixed = {"training.max_steps": steps, "training.eval_steps": every,
             "training.save_steps": every, "training.log_steps": every,
             "backend.name": "cpu", "backend.cpu.threads": 1,
             "backend.mixed_precision": precision, "run.output_dir": str(output_dir),
             "run.progress": False}
    config = load_config(overrides=[*(Override(k, v, raw=False) for k, v in fixed.items()),
                                    *parse_assignments(assignments)]).config
    neat_core.train(config)
    return [r for r in read_metrics(output_dir) if r["kind"] == "eval"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=CORPORA, default="comedies")
    parser.add_argument("--corpora-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--evals", type=int, default=8, help="evaluations per run")
    parser.add_argument("--variant", nargs="+", action="append", required=True,
                        metavar=("NAME", "KEY=VALUE"), help="a name and its overrides")
    parser.add_argument("--precision", choices=("off", "bf16"), default="off",
                        help="backend.mixed_precision of every variant (one, not timed)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--output-dir", type=Path, default=Path("runs/levers"))
    parser.add_argument("--json", type=Path, help="also write the records here")
    args = parser.parse_args()
    data = overrides(args.corpus, args.corpora_dir)
    names = [variant[0] for variant in args.variant]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(train_variant, [*data, *variant[1:]], args.steps, args.evals,
                               args.precision, args.output_dir / f"{args.corpus}-{index}")
                   for index, variant in enumerate(args.variant)]
        curves = {name: future.result() for name, future in zip(names, futures)}
    print(f"{args.corpus}: held-out bits per byte after equal steps "
          f"({args.steps} steps, mixed precision {args.precision}, one thread)")
    width = max(len(name) for name in names)
    steps = [record["step"] for record in curves[names[0]]]
    print(f"{'variant':<{width}} " + " ".join(f"{s:>6}" for s in steps) + "   best  final")
    for name, curve in curves.items():
        values = [record["eval_bpb"] for record in curve]
        print(f"{name:<{width}} " + " ".join(f"{v:>6.3f}" for v in values) +
              f" {min(values):>6.3f} {values[-1]:>6.3f}")
    if args.json:
        args.json.write_text(json.dumps(curves, indent=2))


if __name__ == "__main__":
    main()
