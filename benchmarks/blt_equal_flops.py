"""Equal-FLOP comparison: a byte-level transformer against the BLT with entropy patches
and the BLT with static patches of the same mean size.

    .venv/bin/python benchmarks/blt_equal_flops.py                   # the CPU budget
    .venv/bin/python benchmarks/blt_equal_flops.py --steps 4000 --batch-size 64 \\
        --backend cuda --threads 0                                  # a bigger budget

What it does, every step through NEAT's own trainer (``neat_core.train``):

1. trains a blt-entropy model on the training split (the patcher of arm b);
2. calibrates the global entropy threshold on training windows with the BLT's own
   patcher (``Patcher.calibrate``), so entropy patches average ``--patch-size`` bytes;
3. pairs three arms at equal forward FLOPs per byte (within 5 %): (a) a blt-entropy-style
   byte transformer whose feed-forward width is solved for the BLT's FLOPs, (b) the BLT
   with entropy patches, (c) the same BLT with static patches of ``--patch-size`` bytes;
   hash n-gram embeddings on both sides, or (``--no-hash-ngrams``) on neither;
4. trains every arm for every seed on the same bytes in the same order with the same
   schedule (the sampler depends only on the seed, block size and batch size), and
   reads held-out bits per byte (the trainer's fixed evaluation windows) against the
   cumulative training FLOPs; the seed also picks the held-out documents, so arms are
   compared by seed (paired) as well as by mean ± standard deviation;
5. times the arms in rotating rounds on one machine (bytes/s, and the share of a BLT
   training step spent patching, against the same step with its patches given), and
   what caching entropies for the whole corpus would cost instead.

It prints a Markdown table (docs/blt.md shows one) and writes ``results.json`` and
``results.md`` to ``--out``. FLOPs are the models' analytic ``flops_per_byte()``; the
entropy model's forward cost is listed apart, as in the BLT paper. Runs that finished are
reused when the script is run again with the same ``--out`` (``--fresh`` starts over).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import neat_core
from neat_core.config import NeatConfig, Override, load_config
from neat_core.data import BatchSampler, build_corpora
from neat_core.scoring import compute_entropies
from neat_core.training import read_metrics

ARMS = ("byte", "blt-entropy", "blt-static")
TOLERANCE = 0.05  # equal FLOPs: within 5 %


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/blt-equal-flops"))
    parser.add_argument("--fresh", action="store_true", help="delete --out first")
    parser.add_argument("--steps", type=int, default=400, help="training steps per arm")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block-size", type=int, default=256)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--patch-size", type=int, default=4,
                        help="static patch size, and the entropy patches' mean size")
    parser.add_argument("--local-size", type=int, default=64)
    parser.add_argument("--latent-size", type=int, default=192)
    parser.add_argument("--latent-layers", type=int, default=2)
    parser.add_argument("--decoder-layers", type=int, default=1)
    parser.add_argument("--byte-hidden", type=int, default=96,
                        help="width of the byte model (its feed-forward width is solved)")
    parser.add_argument("--byte-layers", type=int, default=3)
    parser.add_argument("--hash-ngrams", action=argparse.BooleanOptionalAction, default=True,
                        help="hash n-gram embeddings (3, 4, 5) on both sides, or neither")
    parser.add_argument("--entropy-steps", type=int, default=1000)
    parser.add_argument("--data", default="builtin:python-stdlib")
    parser.add_argument("--max-bytes", type=int, default=4_000_000,
                        help="training bytes taken from --data")
    parser.add_argument("--cache-dir", default="~/.cache/neat", help="the byte cache")
    parser.add_argument("--eval-batches", type=int, default=8)
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads on the CPU (0: torch's default)")
    parser.add_argument("--timing-rounds", type=int, default=10)
    return parser.parse_args()


# --- configs -------------------------------------------------------------------------------

def make_config(values: dict[str, Any]) -> NeatConfig:
    return load_config(overrides=[Override(k, v, raw=False) for k, v in values.items()]).config


def run_settings(args: argparse.Namespace, output_dir: Path, seed: int, steps: int,
                 batch_size: int) -> dict[str, Any]:
    settings = {
        "run.output_dir": str(output_dir), "run.seed": seed, "run.progress": False,
        "backend.name": args.backend, "data.train": [args.data],
        "data.max_bytes": args.max_bytes, "data.cache_dir": args.cache_dir,
        "training.max_steps": steps,
        "training.batch_size": batch_size, "training.learning_rate": args.learning_rate,
        "training.warmup_steps": max(1, steps // 20), "training.log_steps": max(1, steps // 20),
        "training.eval_steps": max(1, steps // 4), "training.save_steps": steps,
        "training.eval_batches": args.eval_batches, "training.keep_last": 1}
    if args.threads and args.backend == "cpu":
        settings["backend.cpu.threads"] = args.threads
    return settings


def blt_model(args: argparse.Namespace, **patching: Any) -> dict[str, Any]:
    return {"model.name": "blt", "model.block_size": args.block_size,
            "model.local_size": args.local_size, "model.local_heads": 4,
            "model.encoder_layers": 1, "model.decoder_layers": args.decoder_layers,
            "model.latent_size": args.latent_size, "model.latent_heads": 4,
            "model.latent_layers": args.latent_layers, "model.queries_per_patch": 2,
            "model.hash_ngrams": [3, 4, 5] if args.hash_ngrams else [],
            **{f"model.{key}": value for key, value in patching.items()}}


def byte_model(args: argparse.Namespace, ffn_size: int) -> dict[str, Any]:
    return {"model.name": "blt-entropy", "model.block_size": args.block_size,
            "model.hidden_size": args.byte_hidden, "model.num_layers": args.byte_layers,
            "model.num_heads": 4, "model.ffn_size": ffn_size,
            "model.hash_ngrams": [3, 4, 5] if args.hash_ngrams else []}


def build(model: dict[str, Any]) -> torch.nn.Module:
    config = make_config(model).model
    return neat_core.get_registry().models[config.name].factory(config)


def solve_ffn(args: argparse.Namespace, target: float) -> int:
    """The byte model's feed-forward width whose forward FLOPs per byte match ``target``
    (FLOPs grow by 4 * hidden per unit of width in each layer)."""
    base = build(byte_model(args, 1)).flops_per_byte()["forward"]
    per_unit = 4 * args.byte_hidden * args.byte_layers
    return max(1, round(1 + (target - base) / per_unit))


# --- steps 1 and 2: the entropy model and the threshold ------------------------------------

def train_once(config: NeatConfig) -> dict[str, Any]:
    """Train, or reuse a run of this config that already finished."""
    run = Path(config.run.output_dir)
    done = run / "done.json"
    if done.exists():
        return json.loads(done.read_text())
    shutil.rmtree(run, ignore_errors=True)
    metrics = neat_core.train(config)
    done.write_text(json.dumps(metrics))
    return metrics


def training_windows(config: NeatConfig, count: int, seed: int = 0) -> torch.Tensor:
    block = config.model.block_size
    corpora = build_corpora(config, block_size=block)
    sampler = BatchSampler(corpora.train, block_size=block, batch_size=count, seed=seed)
    return torch.from_numpy(sampler.next_batch().astype(np.int64))


def calibrate(args: argparse.Namespace, entropy_checkpoint: str,
              windows: torch.Tensor) -> tuple[float, float]:
    """The global threshold whose patches of ``windows`` average ``--patch-size`` bytes
    as the BLT patches them, and the mean patch size it gives."""
    patcher = build(blt_model(args, patching="global",
                              entropy_checkpoint=entropy_checkpoint)).patcher
    idx = windows[:, :-1]
    theta = round(patcher.calibrate(idx, args.patch_size), 4)
    return theta, idx.numel() / float(patcher.starts(idx, threshold=theta).sum())


# --- step 5: timing in rotating rounds --------------------------------------------------------

def time_steps(model: torch.nn.Module, batch: torch.Tensor, steps: int,
               patch_starts: torch.Tensor | None = None) -> float:
    """Seconds per optimizer step (forward, backward, AdamW)."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    kwargs = {} if patch_starts is None else {"patch_starts": patch_starts}
    model.train()
    started = time.perf_counter()
    for _ in range(steps):
        _, loss = model(batch[:, :-1], batch[:, 1:], **kwargs)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return (time.perf_counter() - started) / steps


def timing(args: argparse.Namespace, models: dict[str, dict[str, Any]],
           batch: torch.Tensor) -> dict[str, Any]:
    built = {arm: build(model) for arm, model in models.items()}
    entropy_blt = built["blt-entropy"]
    starts = entropy_blt.patcher.starts(batch[:, :-1])
    runs = {**{arm: (model, None) for arm, model in built.items()},
            "blt-entropy, patches given": (entropy_blt, starts)}
    names = list(runs)
    for model, given in runs.values():  # warm-up
        time_steps(model, batch, 1, given)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    patcher: list[float] = []
    for index in range(args.timing_rounds):
        for name in names[index % len(names):] + names[:index % len(names)]:
            model, given = runs[name]
            seconds[name].append(time_steps(model, batch, 3, given))
        started = time.perf_counter()
        for _ in range(3):
            entropy_blt.patcher.starts(batch[:, :-1])
        patcher.append((time.perf_counter() - started) / 3)
    step_bytes = batch.shape[0] * (batch.shape[1] - 1)
    byte = seconds["byte"]
    result = {name: {"bytes_per_second": statistics.median(step_bytes / s for s in values),
                     "vs_byte": statistics.median(b / s for b, s in zip(byte, values))}
              for name, values in seconds.items()}
    own = seconds["blt-entropy"]
    result["patching_share"] = {
        "patcher_alone": statistics.median(p / s for p, s in zip(patcher, own)),
        "step_saved_with_patches_given": statistics.median(
            1 - g / s for g, s in zip(seconds["blt-entropy, patches given"], own)),
        "patcher_seconds_per_step": statistics.median(patcher)}
    return result


def cache_cost(entropy_checkpoint: str, windows: torch.Tensor) -> float:
    """Seconds per byte to compute entropies for a whole corpus once (what a cache of
    patches per corpus would have to pay), measured on ``windows`` joined."""
    model, _ = neat_core.load_model(entropy_checkpoint)
    data = windows[:, :-1].numpy().astype(np.uint8).tobytes()
    started = time.perf_counter()
    compute_entropies(model, data, batch_size=16)
    return (time.perf_counter() - started) / len(data)


# --- results -----------------------------------------------------------------------------------

def curve(run: Path) -> list[tuple[int, float]]:
    return [(r["step"], r["eval_bpb"]) for r in read_metrics(run) if r["kind"] == "eval"]


def mean_spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def table(report: dict[str, Any]) -> str:
    arms, timing_result = report["arms"], report["timing"]
    steps = sorted({step for arm in arms.values() for seed in arm["curves"].values()
                    for step, _ in seed})
    byte_flops = arms["byte"]["flops"]["forward"]
    lines = [
        "| arm | forward FLOPs/byte | vs byte | entropy model FLOPs/byte | mean patch "
        "(bytes) | parameters | "
        + " | ".join(f"bpb at {report['step_bytes'] * s * byte_flops * 3 / 1e12:.2f} "
                     f"TFLOP ({s} steps)" for s in steps)
        + " | final bpb minus the byte model's (paired by seed) | train bytes/s (same run) "
          "| vs byte |",
        "|" + "---|" * (9 + len(steps))]
    final = {name: {seed: dict(c)[steps[-1]] for seed, c in arm["curves"].items()}
             for name, arm in arms.items()}
    for name, arm in arms.items():
        flops = arm["flops"]
        cells = [name, f"{flops['forward'] / 1e6:.3f} M", f"{flops['forward'] / byte_flops:.3f}",
                 f"{flops.get('entropy_model', 0) / 1e6:.3f} M",
                 f"{arm['mean_patch_size']:.2f}" if arm["mean_patch_size"] else "1 (bytes)",
                 f"{arm['parameters'] / 1e6:.2f} M"]
        for step in steps:
            values = [dict(c)[step] for c in arm["curves"].values() if step in dict(c)]
            cells.append(mean_spread(values))
        cells.append(mean_spread([value - final["byte"][seed]
                                  for seed, value in final[name].items()]))
        speed = timing_result[name]
        cells += [f"{speed['bytes_per_second']:,.0f}", f"{speed['vs_byte']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    logging.getLogger("neat").setLevel(logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.fresh:
        shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    entropy_model = {"model.name": "blt-entropy", "model.hidden_size": 64,
                     "model.num_layers": 2, "model.num_heads": 4, "model.block_size": 64}
    entropy_config = make_config({**entropy_model, **run_settings(
        args, args.out / "entropy", 0, args.entropy_steps, 32)})
    entropy_metrics = train_once(entropy_config)
    entropy_checkpoint = str(Path(entropy_metrics["checkpoint"]))
    print(f"entropy model: eval {entropy_metrics['eval_bpb']:.3f} bits per byte after "
          f"{entropy_metrics['step']} steps ({time.perf_counter() - started:.0f} s)")

    probe = make_config({**blt_model(args, patching="static"),
                         **run_settings(args, args.out / "probe", 0, 1, 1)})
    windows = training_windows(probe, 256)
    theta, calibrated = calibrate(args, entropy_checkpoint, windows)
    print(f"threshold {theta} bits: entropy patches average {calibrated:.2f} bytes on "
          f"{windows.shape[0]} training windows")

    models = {"blt-entropy": blt_model(args, patching="global", threshold=theta,
                                       entropy_checkpoint=entropy_checkpoint),
              "blt-static": blt_model(args, patching="static", patch_size=args.patch_size)}
    target = build(models["blt-static"]).flops_per_byte()["forward"]
    models["byte"] = byte_model(args, solve_ffn(args, target))
    models = {arm: models[arm] for arm in ARMS}

    arms: dict[str, Any] = {}
    for index, seed in enumerate(args.seeds):
        order = ARMS[index % len(ARMS):] + ARMS[:index % len(ARMS)]
        for arm in order:
            config = make_config({**models[arm], **run_settings(
                args, args.out / f"{arm}-seed{seed}", seed, args.steps, args.batch_size)})
            metrics = train_once(config)
            entry = arms.setdefault(arm, {"curves": {}, "train_bytes_per_second": [],
                                          "patch_sizes": []})
            entry["curves"][seed] = curve(Path(config.run.output_dir))
            entry["train_bytes_per_second"].append(metrics["bytes_per_second"])
            meta = neat_core.load_checkpoint(metrics["checkpoint"]).meta
            entry["flops"] = meta["flops_per_byte"]
            entry["parameters"] = metrics["parameters"]
            entry["patch_sizes"].append(meta["flops_per_byte"].get("mean_patch_size"))
            print(f"{arm} seed {seed}: eval {metrics['eval_bpb']:.3f} bits per byte "
                  f"({time.perf_counter() - started:.0f} s)")
    for entry in arms.values():
        sizes = [s for s in entry.pop("patch_sizes") if s]
        entry["mean_patch_size"] = statistics.mean(sizes) if sizes else None

    batch = training_windows(probe, args.batch_size, seed=1)
    timing_result = timing(args, models, batch)
    cache_seconds_per_byte = cache_cost(entropy_checkpoint, windows)
    share = timing_result["patching_share"]
    step_bytes = args.batch_size * args.block_size
    # per-forward patching pays patcher_seconds for every step_bytes trained; a corpus
    # cache pays cache_seconds_per_byte for every corpus byte once
    break_even = cache_seconds_per_byte / (share["patcher_seconds_per_step"] / step_bytes)
    report = {"settings": {k: str(v) if isinstance(v, Path) else v for k, v in
                           vars(args).items()},
              "threshold": theta, "calibrated_patch_size": calibrated,
              "step_bytes": step_bytes, "models": models, "arms": arms,
              "timing": timing_result, "cache_seconds_per_byte": cache_seconds_per_byte,
              "cache_break_even_epochs": break_even,
              "minutes": (time.perf_counter() - started) / 60,
              "load_average": os.getloadavg(), "torch_threads": torch.get_num_threads()}
    flops = {arm: entry["flops"]["forward"] for arm, entry in arms.items()}
    unequal = [arm for arm in ARMS if abs(flops[arm] / flops["byte"] - 1) > TOLERANCE]
    text = "\n".join([
        table(report), "",
        f"Patching inside a blt-entropy training step: the patcher alone takes "
        f"{share['patcher_alone']:.1%} of the step; giving the step its patches saves "
        f"{share['step_saved_with_patches_given']:.1%}. Caching entropies for a whole "
        f"corpus costs {cache_seconds_per_byte * 1e6:.1f} s per MB once: it pays off only "
        f"when a run trains on more than {break_even:.2f}x the corpus.",
        *([f"WARNING: not within {TOLERANCE:.0%} of the byte model's FLOPs: "
           f"{', '.join(unequal)}"] if unequal else []),
        f"({report['minutes']:.1f} minutes, {report['torch_threads']} torch thread(s), "
        f"load average {report['load_average'][1]:.1f} at the end)"])
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    (args.out / "results.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
