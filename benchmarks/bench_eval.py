"""What `neat eval` and `neat analyze` cost beyond the model's entropy pass.

    .venv/bin/python benchmarks/bench_eval.py [--kilobytes 64] [--documents 16] [--threads 1]

The bytes are the Python standard library's sources, cut into equal documents and
written to files; the model is a small random blt-entropy saved as a real checkpoint.
Measured in the same run, each the best of --repeat runs:

- baseline: compute_entropies over every document (the BLT public API, default stride):
  the one pass of the model an analysis needs; timed first and last, the faster counts;
- evaluate(): checkpoint load, reading the files, score_bytes (one pass) and gzip/bz2/xz;
- analyze(): checkpoint load, one entropy pass shared by the entropy and patches
  evaluators (cached), statistics, a 33-point threshold sweep and 5 calibrations;
- the html report of that analysis (matplotlib, 4 plots).

Ratios are against the baseline. The machine is shared: timings are noisy, compare ratios.
"""

from __future__ import annotations

import argparse
import sysconfig
import tempfile
import time
from pathlib import Path

import torch

import neat_core
from neat_core.api import write_reports
from neat_core.checkpoint import save_checkpoint
from neat_core.config import config_from_dict
from neat_plugins.blt import compute_entropies


def stdlib_text(size: int) -> bytes:
    chunks, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        chunks.append(path.read_bytes())
        total += len(chunks[-1])
        if total >= size:
            break
    return b"".join(chunks)[:size]


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kilobytes", type=int, default=64)
    parser.add_argument("--documents", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: steadier on a shared machine)")
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    config = config_from_dict({"model": {"hidden_size": 128, "num_layers": 2, "num_heads": 4,
                                         "block_size": 128},
                               "backend": {"name": "cpu", "threads": args.threads},
                               "run": {"progress": False}})
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model).eval()
    text = stdlib_text(args.kilobytes * 1024)
    size = len(text) // args.documents
    documents = [text[i * size:(i + 1) * size] for i in range(args.documents)]

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = save_checkpoint(Path(tmp) / "ckpt", model, config)
        files = []
        for i, data in enumerate(documents):
            files.append(Path(tmp) / f"doc{i:03d}.py")
            files[-1].write_bytes(data)
        data = [str(f) for f in files]

        def baseline() -> None:
            with torch.inference_mode():
                for doc in documents:
                    compute_entropies(model, doc, batch_size=16)

        results = {}

        def analysis() -> None:
            results["analysis"] = neat_core.analyze(ckpt, data=data)

        first_baseline = best_of(args.repeat, baseline)
        timings = {
            "evaluate() (bits per byte + compressors)":
                best_of(args.repeat, lambda: neat_core.evaluate(ckpt, data=data)),
            "analyze() (entropy + patches + sweep)": best_of(args.repeat, analysis),
            "html report of the analysis":
                best_of(args.repeat, lambda: write_reports(results["analysis"], ["html"], tmp)),
        }
        last_baseline = best_of(args.repeat, baseline)
    base = min(first_baseline, last_baseline)
    print(f"{len(text):,} bytes in {args.documents} documents; best of {args.repeat}; "
          f"torch threads {torch.get_num_threads()}")
    print(f"  baseline: compute_entropies {base:.2f} s (first {first_baseline:.2f} s, last "
          f"{last_baseline:.2f} s: their gap is the noise of the machine)")
    for name, seconds in timings.items():
        print(f"  {name:<44} {seconds:7.2f} s   {seconds / base:5.2f} x baseline")


if __name__ == "__main__":
    main()
