"""Training cost of a BLT with entropy patches against the static BLT of the same shape.

    .venv/bin/python benchmarks/bench_blt_train.py                  # the defaults
    .venv/bin/python benchmarks/bench_blt_train.py --buckets 0 0.5 0.75 1

Two ratios, measured in one run on the same training batches:

1. FLOPs: torch's ``FlopCounterMode`` counts one forward pass of each BLT over a batch of
   training windows, with the math attention kernel (``SDPBackend.MATH``: attention as
   matrix products the counter sees), patches given (the frozen entropy model is counted
   apart); the ratio to the analytic ``flops_per_byte()["forward"]`` at the batch's
   mean patch size. What each counts: the analytic figure counts the query-key pairs
   the masks allow (causal, windowed, own patch); the kernel computes every pair of each
   dense attention call, masked ones included (a causal self-attention over T bytes
   computes T^2 pairs for T(T+1)/2 allowed), and the latent transformer's buckets pad
   rows to their longest. The entropy model's stream is measured the same way against
   its analytic ``entropy_model`` entry.
2. Speed: training steps (forward, backward, AdamW; the entropy BLT runs its patcher)
   of both BLTs in alternating rounds, bytes per second, and the entropy BLT's over the
   static BLT's. ``--buckets`` also times the entropy BLT with other bucket ratios of
   the latent transformer's packed attention (0: every row padded to the longest; 1:
   one bucket per row), which is how the default was chosen.

The shapes default to those of ``neat study blt`` (``--entropy-hidden 64 --entropy-layers
2`` gives the entropy model of earlier measurements, about a tenth of the BLT's forward
FLOPs). The entropy BLT's threshold is calibrated (``model.target_patch_size``, as
training does) so that its patches average the static BLT's patch size. Its entropy
model is trained first (``--entropy-steps``; kept in ``--out`` and reused). Prints a
table and writes ``results.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

import neat_core
from neat_core.config import Override, load_config
from neat_core.data import BatchSampler, build_corpora
from neat_core.training.calibration import CALIBRATION_WINDOWS
from neat_plugins.blt.layers import packed
from neat_plugins.blt.study.arms import Shapes

STUDY = Shapes()  # the default shapes are those of neat study blt


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench-blt-train"))
    parser.add_argument("--data", default="builtin:python-stdlib")
    parser.add_argument("--max-bytes", type=int, default=4_000_000)
    parser.add_argument("--cache-dir", default="~/.cache/neat")
    parser.add_argument("--block-size", type=int, default=STUDY.block_size)
    parser.add_argument("--batch-size", type=int, default=STUDY.batch_size)
    parser.add_argument("--patch-size", type=float, default=4.0)
    parser.add_argument("--local-size", type=int, default=STUDY.local_size)
    parser.add_argument("--local-window", type=int, default=STUDY.local_window)
    parser.add_argument("--latent-size", type=int, default=STUDY.latent_size)
    parser.add_argument("--latent-layers", type=int, default=STUDY.latent_layers)
    parser.add_argument("--entropy-hidden", type=int, default=STUDY.entropy_hidden)
    parser.add_argument("--entropy-layers", type=int, default=STUDY.entropy_layers)
    parser.add_argument("--entropy-block", type=int, default=STUDY.entropy_block)
    parser.add_argument("--entropy-steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3, help="training steps per round")
    parser.add_argument("--buckets", type=float, nargs="*", default=[],
                        help="other bucket ratios to time the entropy BLT with")
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args()


def config_of(values: dict[str, Any]) -> Any:
    return load_config(overrides=[Override(k, v, raw=False) for k, v in values.items()]).config


def data_settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"data.train": [args.data], "data.max_bytes": args.max_bytes,
            "data.cache_dir": args.cache_dir, "run.progress": False,
            "backend.name": "cpu", "backend.cpu.threads": args.threads}


def entropy_checkpoint(args: argparse.Namespace) -> str:
    """A blt-entropy model trained on the data (reused from --out when it is there)."""
    run = args.out / "entropy"
    done = run / "done.json"
    if not done.exists():
        metrics = neat_core.train(config_of({
            "model.name": "blt-entropy", "model.hidden_size": args.entropy_hidden,
            "model.num_layers": args.entropy_layers, "model.num_heads": 4,
            "model.block_size": args.entropy_block, "run.output_dir": str(run),
            "model.hash_ngrams": list(STUDY.hash_ngrams),
            "training.max_steps": args.entropy_steps, "training.batch_size": 32,
            "training.learning_rate": 3e-3, "training.save_steps": args.entropy_steps,
            "training.eval_steps": args.entropy_steps, **data_settings(args)}))
        done.write_text(json.dumps({"checkpoint": metrics["checkpoint"],
                                    "eval_bpb": metrics["eval_bpb"]}))
    return str(json.loads(done.read_text())["checkpoint"])


def blt_settings(args: argparse.Namespace, **patching: Any) -> dict[str, Any]:
    return {"model.name": "blt", "model.block_size": args.block_size,
            "model.local_size": args.local_size, "model.local_heads": 4,
            "model.local_window": args.local_window,
            "model.latent_size": args.latent_size, "model.latent_heads": 4,
            "model.latent_layers": args.latent_layers,
            "model.hash_ngrams": list(STUDY.hash_ngrams),
            **{f"model.{key}": value for key, value in patching.items()}}


def batches(args: argparse.Namespace, count: int, size: int | None = None,
            seed: int = 1) -> list[torch.Tensor]:
    config = config_of({**blt_settings(args), **data_settings(args)})
    corpora = build_corpora(config, block_size=args.block_size)
    sampler = BatchSampler(corpora.train, block_size=args.block_size,
                           batch_size=size or args.batch_size, seed=seed)
    return [torch.from_numpy(sampler.next_batch().astype(np.int64)) for _ in range(count)]


def measured_flops(model: torch.nn.Module, batch: torch.Tensor) -> dict[str, float]:
    """Counted forward FLOPs per byte (patches given) and of the patcher's entropy model,
    and the batch's mean patch size."""
    idx = batch[:, :-1]
    model.eval()
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as patcher:
            starts = model.patcher.starts(idx)
        with FlopCounterMode(display=False) as forward:
            model(idx, patch_starts=starts)
    return {"forward": forward.get_total_flops() / idx.numel(),
            "entropy_model": patcher.get_total_flops() / idx.numel(),
            "mean_patch_size": idx.numel() / float(starts.sum())}


def train_steps(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                batch: torch.Tensor, steps: int) -> float:
    """Seconds per training step."""
    model.train()
    started = time.perf_counter()
    for _ in range(steps):
        _, loss = model(batch[:, :-1], batch[:, 1:])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return (time.perf_counter() - started) / steps


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    entropy = entropy_checkpoint(args)
    data = batches(args, args.rounds + 1)
    registry = neat_core.get_registry().models["blt"]
    torch.manual_seed(0)
    static = registry.factory(config_of(blt_settings(
        args, patching="static", patch_size=round(args.patch_size))).model)
    torch.manual_seed(0)
    dynamic = registry.factory(config_of(blt_settings(
        args, patching="global", entropy_checkpoint=entropy,
        target_patch_size=args.patch_size)).model)
    dynamic.patcher.copy_entropy_weights()
    # as a new run's trainer does (on as many windows), on windows of another seed
    dynamic.calibrate(batches(args, 1, CALIBRATION_WINDOWS, seed=2)[0][:, :-1])
    flops = {}
    for name, model in (("static", static), ("entropy", dynamic)):
        counted = measured_flops(model, data[0])
        analytic = model.flops_per_byte(mean_patch_size=counted["mean_patch_size"])
        flops[name] = {"measured": counted, "analytic": analytic,
                       "ratio": counted["forward"] / analytic["forward"]}
    flops["entropy"]["entropy_model_ratio"] = (flops["entropy"]["measured"]["entropy_model"]
                                               / flops["entropy"]["analytic"]["entropy_model"])

    arms = {"static": (static, None), "entropy": (dynamic, None),
            **{f"entropy, buckets {ratio:g}": (dynamic, ratio) for ratio in args.buckets}}
    optimizers = {model: torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                           lr=1e-4) for model in (static, dynamic)}
    default = packed.BUCKET_RATIO
    seconds: dict[str, list[float]] = {name: [] for name in arms}
    for index in range(args.rounds + 1):
        names = list(arms)
        for name in names[index % len(names):] + names[:index % len(names)]:
            model, ratio = arms[name]
            packed.BUCKET_RATIO = default if ratio is None else ratio
            took = train_steps(model, optimizers[model], data[index], args.steps)
            if index:  # round 0 warms up
                seconds[name].append(took)
    packed.BUCKET_RATIO = default
    step_bytes = args.batch_size * args.block_size
    timed = torch.cat([batch[:, :-1] for batch in data[1:]])
    timed_patch_size = timed.numel() / float(dynamic.patcher.starts(timed).sum())
    speed = {name: {"bytes_per_second": statistics.median(step_bytes / s for s in values),
                    "vs_static": statistics.median(a / s for a, s in
                                                   zip(seconds["static"], values))}
             for name, values in seconds.items()}
    report = {"settings": {k: str(v) if isinstance(v, Path) else v
                           for k, v in vars(args).items()},
              "threshold": dynamic.config.threshold, "flops": flops, "speed": speed,
              "timed_mean_patch_size": timed_patch_size,
              "bucket_ratio": default, "load_average": os.getloadavg()}
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"entropy threshold {dynamic.config.threshold:.4f} bits (calibrated for "
          f"{args.patch_size:g}-byte patches)")
    print("FLOPs per byte, counted (math attention kernel: every pair of each dense "
          "attention call) / analytic (allowed query-key pairs) at the batch's mean patch "
          "size:")
    for name in ("static", "entropy"):
        entry = flops[name]  # measured on the first batch
        print(f"  {name:8} {entry['measured']['forward'] / 1e6:.3f} M / "
              f"{entry['analytic']['forward'] / 1e6:.3f} M = {entry['ratio']:.3f}  "
              f"(mean patch {entry['measured']['mean_patch_size']:.2f} bytes)")
    print(f"  entropy model of the entropy BLT: "
          f"{flops['entropy']['measured']['entropy_model'] / 1e6:.3f} M / "
          f"{flops['entropy']['analytic']['entropy_model'] / 1e6:.3f} M = "
          f"{flops['entropy']['entropy_model_ratio']:.3f}")
    print(f"training bytes/s ({args.rounds} alternating rounds of {args.steps} steps, "
          f"{args.threads} thread(s), load average {report['load_average'][1]:.1f}; the "
          f"entropy BLT's patches averaged {timed_patch_size:.2f} bytes on these batches):")
    for name, entry in speed.items():
        print(f"  {name:22} {entry['bytes_per_second']:9,.0f}   {entry['vs_static']:.3f} "
              f"x static")


if __name__ == "__main__":
    main()
