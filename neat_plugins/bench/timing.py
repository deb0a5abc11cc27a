"""``bench(config)``: training and entropy-scoring speed of a config on each backend,
with the model's analytic FLOPs per byte (``flops_per_byte``, when the model has them).

It measures and asserts nothing. Training is timed in alternating rounds in this one
process, so load from other processes hits both alike:

- NEAT: the real trainer (``train``) with the config's settings, in a temporary output
  directory; each step from the end of one loop iteration to the end of the next;
- plain: the loop a user would write in twenty lines of PyTorch, with the same model
  (built through the registry), batch, context and data on the same device: float32,
  no clipping, ``torch.optim.AdamW`` with its defaults, torch's default thread count,
  the loss read every step; compiled only when ``training.compile`` is true.

Steps after ``warmup`` count (allocation, compilation and the cpu backend's first
timing of thread counts happen in the warm-up); a round's speed is its bytes over its
seconds, and the figures are the medians over rounds. Scoring times next-byte entropy
through :class:`neat_core.scoring.Scorer` (the path ``neat analyze`` takes) on fixed
pseudo-random bytes with a freshly initialised model.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import tempfile
import time
from typing import Any, Iterator, Sequence

import attrs
import numpy as np

from neat_core.api import (
    Backend,
    NeatConfig,
    build_model,
    get_registry,
    hookimpl,
    load_config,
    model_flops,
    plugin_registered,
    select_backend,
    to_dict,
)
from neat_core.backends import available_backends
from neat_core.training.run import train


def step_bytes(config: NeatConfig) -> int:
    training = config.training
    return training.batch_size * training.gradient_accumulation_steps * config.model.block_size


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


class StepClock:
    """A training callback that stamps each per-step record (whole loop iterations)."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def on_log(self, record: dict[str, Any]) -> None:
        self.stamps.append(time.perf_counter())

    @hookimpl
    def register_training_callbacks(self, register) -> None:
        register("bench-step-clock", lambda config, run_dir: self,
                 description="timestamps of each step's record (neat bench)")


def time_neat(config: NeatConfig, backend: str, steps: int, warmup: int) -> dict[str, Any]:
    """Seconds of ``steps`` steps of the real trainer after ``warmup`` (at least 1), and
    its final metrics."""
    clock = StepClock()
    with plugin_registered(clock, "bench-step-clock"), \
            tempfile.TemporaryDirectory(prefix="neat-bench-") as output_dir:
        config = load_config(base=to_dict(config)).config  # now with the clock's section
        metrics = train(bench_config(config, backend, steps, warmup, output_dir))
    return {"seconds": clock.stamps[-1] - clock.stamps[warmup - 1], "steps": steps,
            "metrics": metrics}


def time_plain(config: NeatConfig, backend: Backend, steps: int, warmup: int,
               threads: int) -> dict[str, Any]:
    """Seconds of ``steps`` steps of the plain loop (after ``warmup``)."""
    import torch
    import torch.nn.functional as F

    from neat_core.data import build_corpora

    torch.set_num_threads(threads)
    torch.manual_seed(config.run.seed)
    block, batch_size = config.model.block_size, config.training.batch_size
    accumulation = config.training.gradient_accumulation_steps
    data = build_corpora(config, block_size=block).train.array
    model = build_model(config.model, backend.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.training.learning_rate)
    if config.training.compile:  # set on purpose: the plain loop compiles too
        model = torch.compile(model)
    rng = np.random.default_rng(config.run.seed)
    started = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            backend.synchronize()
            started = time.perf_counter()
        for _ in range(accumulation):
            starts = rng.integers(0, len(data) - block - 1, batch_size)
            windows = np.stack([data[s:s + block + 1] for s in starts])
            batch = torch.from_numpy(windows).long().to(backend.device)
            logits = model(batch[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1))
            (loss / accumulation).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    backend.synchronize()
    return {"seconds": time.perf_counter() - started, "steps": steps}


_torch_default_threads: list[int] = []


def torch_default_threads() -> int:
    """torch's own thread count, as this process found it before a backend changed it."""
    import torch

    if not _torch_default_threads:
        _torch_default_threads.append(torch.get_num_threads())
    return _torch_default_threads[0]


def time_training(config: NeatConfig, backend_name: str, steps: int, warmup: int,
                  rounds: int, plain_threads: Sequence[int | None] = (None,)
                  ) -> dict[str, Any]:
    """NEAT's trainer and the plain loop in alternating rounds; medians and ratios.

    The plain loop runs once a round at each of ``plain_threads`` (None: torch's
    default); the ratio is against the first of them.
    """
    import torch

    default = torch_default_threads()
    backend = select_backend(attrs.evolve(config.backend, name=backend_name))
    kinds = ["neat", *(f"plain@{n or default}" for n in plain_threads)]
    rates: dict[str, list[float]] = {kind: [] for kind in kinds}
    metrics: dict[str, Any] = {}
    for index in range(rounds):
        for kind in kinds[index % len(kinds):] + kinds[:index % len(kinds)]:
            if kind == "neat":
                result = time_neat(config, backend_name, steps, warmup)
                metrics = result["metrics"]
            else:
                threads = int(kind.split("@")[1])
                result = time_plain(config, backend, steps, warmup, threads)
            rates[kind].append(result["steps"] * step_bytes(config) / result["seconds"])
    torch.set_num_threads(default)
    plain = kinds[1]
    ratios = [n / p for n, p in zip(rates["neat"], rates[plain])]
    return {"train_steps": steps, "train_rounds": rounds,
            "train_bytes_per_second": statistics.median(rates["neat"]),
            "plain_bytes_per_second": statistics.median(rates[plain]),
            "plain_threads": int(plain.split("@")[1]),
            "neat_vs_plain": statistics.median(ratios), "neat_vs_plain_rounds": ratios,
            "rounds_bytes_per_second": rates,
            "train_peak_memory_bytes": metrics["peak_memory_bytes"],
            "parameters": metrics["parameters"]}


def time_scoring(config: NeatConfig, backend_name: str, batches: int) -> dict[str, Any]:
    """Entropy scoring of ``batches`` x ``eval.batch_size`` windows' worth of bytes."""
    from neat_core.api import Scorer

    backend = select_backend(attrs.evolve(config.backend, name=backend_name))
    backend.seed(config.run.seed)
    model = build_model(config.model, backend.device).eval()
    size = config.eval.batch_size * config.model.block_size
    data = np.random.default_rng(0).integers(0, 256, (batches + 1) * size, dtype=np.uint8)
    scorer = Scorer(model, config, backend)
    scorer.entropies(data[:size].tobytes())  # warm-up
    backend.synchronize()
    backend.reset_peak_memory()
    started = time.perf_counter()
    scorer.entropies(data[size:].tobytes())
    backend.synchronize()
    seconds = time.perf_counter() - started
    return {"infer_batches": batches, "infer_bytes_per_second": batches * size / seconds,
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


def bench(config: NeatConfig, backends: Sequence[str] = (), *, steps: int = 20,
          warmup: int = 10, rounds: int = 2, infer_batches: int = 10) -> list[dict[str, Any]]:
    """One row per backend (default: every available one): bytes/s of NEAT's trainer
    and of the plain loop with their ratio, scoring bytes/s, peak memory."""
    torch_default_threads()  # before a backend changes the count
    names = list(backends) or available_backends(get_registry())
    rows = []
    for name in names:
        backend = select_backend(attrs.evolve(config.backend, name=name))
        row: dict[str, Any] = {"backend": name, "device": str(backend.device),
                               "mixed_precision": backend.amp or "off",
                               "peak_memory": backend.peak_memory_meaning}
        with _info_logs_off():  # the measured runs' set-up and eval lines are noise here
            row.update(time_training(config, name, steps, warmup, rounds))
            row.update(time_scoring(config, name, infer_batches))
        rows.append(row)
    return rows
