"""``bench(config)``: training and entropy-inference speed of a config on each backend,
with the model's analytic FLOPs per byte (``flops_per_byte``, when the model has them).

It measures and asserts nothing. Training is timed through the real trainer
(``train``) in a temporary output directory, from its per-step records after a few
warm-up steps; inference times next-byte entropy (forward pass + softmax entropy) on
fixed pseudo-random bytes with a freshly initialised model.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from typing import Any, Iterator, Sequence

import attrs
import numpy as np

from .backends import available_backends, select_backend
from .config import NeatConfig
from .flops import model_flops
from .models import build_model
from .registry import get_registry
from .train import train
from .training import read_metrics


def bench_config(config: NeatConfig, backend: str, steps: int, warmup: int,
                 output_dir: str) -> NeatConfig:
    """``config`` set up for timing: one record per step, no mid-run evals or saves."""
    total = warmup + steps
    training = attrs.evolve(config.training, max_steps=total, max_minutes=None, log_steps=1,
                            eval_steps=total, save_steps=total, eval_batches=1,
                            warmup_steps=min(config.training.warmup_steps, total - 1))
    return attrs.evolve(config, training=training,
                        backend=attrs.evolve(config.backend, name=backend),
                        run=attrs.evolve(config.run, output_dir=output_dir, progress=False))


def time_training(config: NeatConfig, backend: str, steps: int, warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="neat-bench-") as output_dir:
        metrics = train(bench_config(config, backend, steps, warmup, output_dir))
        records = [r for r in read_metrics(output_dir)
                   if r["kind"] == "train" and r["step"] > warmup]
    step_bytes = (config.training.batch_size * config.training.gradient_accumulation_steps *
                  config.model.block_size)
    seconds = sum(step_bytes / r["bytes_per_second"] for r in records)
    return {"train_steps": len(records), "train_bytes_per_second": len(records) * step_bytes /
            seconds, "train_peak_memory_bytes": metrics["peak_memory_bytes"],
            "parameters": metrics["parameters"]}


def time_inference(config: NeatConfig, backend_name: str, batches: int) -> dict[str, Any]:
    import torch
    import torch.nn.functional as F

    backend = select_backend(attrs.evolve(config.backend, name=backend_name))
    backend.seed(config.run.seed)
    model = build_model(config.model, backend.device).eval()
    batch_size, block = config.eval.batch_size, config.model.block_size
    data = np.random.default_rng(0).integers(0, 256, (batches + 1, batch_size, block))
    inputs = torch.from_numpy(data)

    def entropies(batch: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), backend.autocast():
            logp = F.log_softmax(model(batch.to(backend.device)).float(), dim=-1)
            return (-(logp.exp() * logp).sum(-1)).cpu()

    entropies(inputs[0])  # warm-up
    backend.synchronize()
    backend.reset_peak_memory()
    started = time.perf_counter()
    for batch in inputs[1:]:
        entropies(batch)
    backend.synchronize()
    seconds = time.perf_counter() - started
    return {"infer_batches": batches,
            "infer_bytes_per_second": batches * batch_size * block / seconds,
            "infer_peak_memory_bytes": backend.peak_memory_bytes(),
            "flops_per_byte": model_flops(model)}


@contextlib.contextmanager
def _info_logs_off() -> Iterator[None]:
    logger = logging.getLogger("neat")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def bench(config: NeatConfig, backends: Sequence[str] = (), *, steps: int = 10,
          warmup: int = 3, infer_batches: int = 10) -> list[dict[str, Any]]:
    """One row per backend (default: every available one) with bytes/s and peak memory."""
    names = list(backends) or available_backends(get_registry())
    rows = []
    for name in names:
        backend = select_backend(attrs.evolve(config.backend, name=name))
        row: dict[str, Any] = {"backend": name, "device": str(backend.device),
                               "mixed_precision": backend.amp or "off",
                               "peak_memory": backend.peak_memory_meaning}
        with _info_logs_off():  # the measured runs' set-up and eval lines are noise here
            row.update(time_training(config, name, steps, warmup))
            row.update(time_inference(config, name, infer_batches))
        rows.append(row)
    return rows
