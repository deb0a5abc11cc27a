"""Running a study: the data, the entropy model, every run (trained, or resumed from its
last checkpoint), and each run's score on the study's held-out windows.

Every run trains with ``neat train``'s trainer on the same training bytes; the sampler
depends only on the seed, the block size and the batch size, which all arms share, so
at one seed every arm reads the same windows in the same order (an arm whose bytes cost
fewer FLOPs reads further along the same stream). A run is scored on the same
held-out windows as every other run, whatever its seed: differences between arms are
paired.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from neat_core.api import Override, ResolvedConfig, load_checkpoint, load_config
from neat_core.data import build_corpora
from neat_core.files import atomic_writer
from neat_core.training import RunDirectory

from ..patching.rules import patch_lengths
from .arms import Arm, Shapes, flops_per_byte
from .plan import Run, StudyDir, save_steps, steps_for

log = logging.getLogger("neat.study")

TRAIN_FILE, HELDOUT_FILE = "train.bin", "heldout.bin"
TRAIN_RESULT = "train.json"  # in a run's directory: what neat train returned
SCORE_BATCH = 16  # held-out windows per forward pass
SPACE_SAMPLE = 1 << 20  # training bytes the space patches' mean size is measured on


class Study:
    def __init__(self, directory: StudyDir, shapes: Shapes, *, backend: str,
                 threads: int | None, cache_dir: str, progress: bool) -> None:
        self.dir, self.shapes = directory, shapes
        self.backend, self.threads = backend, threads
        self.cache_dir, self.progress = cache_dir, progress
        self._space_size: float | None = None
        self._entropy: str | None = None

    # --- settings -------------------------------------------------------------------

    def settings(self, values: dict[str, Any]) -> ResolvedConfig:
        """The config of a run: the study's data and backend, then ``values``."""
        base = {"run.progress": self.progress, "backend.name": self.backend,
                "data.cache_dir": self.cache_dir,
                "data.train": [str(self.dir.data / TRAIN_FILE)],
                "data.eval": [str(self.dir.data / HELDOUT_FILE)]}
        if self.threads:
            base["backend.cpu.threads"] = self.threads
        return load_config(overrides=[Override(key, value, raw=False)
                                      for key, value in {**base, **values}.items()])

    def training(self, run_dir: Path, seed: int, steps: int) -> dict[str, Any]:
        return {"run.output_dir": str(run_dir), "run.seed": seed,
                "training.max_steps": steps, "training.batch_size": self.shapes.batch_size,
                "training.learning_rate": self.shapes.learning_rate,
                "training.warmup_steps": max(1, steps // 20),
                "training.log_steps": max(1, steps // 20), "training.eval_steps": steps,
                "training.save_steps": save_steps(steps), "training.eval_batches": 2,
                "training.keep_last": 1}

    # --- the data and the entropy model ---------------------------------------------

    def prepare_data(self) -> None:
        """Cut the training and held-out bytes once: every run reads these files."""
        if (self.dir.data / HELDOUT_FILE).exists():
            return
        shapes = self.shapes
        config = load_config(overrides=[Override(key, value, raw=False) for key, value in {
            "data.train": [shapes.data], "data.max_bytes": shapes.max_bytes,
            "data.eval_fraction": shapes.eval_fraction, "data.cache_dir": self.cache_dir,
            "run.seed": 0, "model.block_size": shapes.block_size}.items()]).config
        corpora = build_corpora(config, block_size=shapes.block_size, progress=self.progress)
        for name, corpus in ((TRAIN_FILE, corpora.train), (HELDOUT_FILE, corpora.eval)):
            with atomic_writer(self.dir.data / name, len(corpus)) as handle:
                for start in range(0, len(corpus), 1 << 20):
                    handle.write(corpus.array[start:start + (1 << 20)].tobytes())
        log.info("study data: %d training bytes, %d held-out bytes", len(corpora.train),
                 len(corpora.eval))

    def entropy_checkpoint(self) -> str:
        """The entropy model of every entropy arm, trained once (seed 0)."""
        if self._entropy is None:
            shapes = self.shapes
            config = self.settings({
                "model.name": "blt-entropy", "model.hidden_size": shapes.entropy_hidden,
                "model.num_layers": shapes.entropy_layers, "model.num_heads": 4,
                "model.block_size": shapes.entropy_block,
                "model.hash_ngrams": list(shapes.hash_ngrams),
                "model.hash_buckets": shapes.hash_buckets,
                **self.training(self.dir.entropy, 0, shapes.entropy_steps),
                "training.batch_size": 32})
            self._entropy = str(self._train(config))
        return self._entropy

    def space_patch_size(self) -> float:
        """The mean size of space patches on the training bytes (before a space arm has
        trained, to size its runs)."""
        if self._space_size is None:
            with open(self.dir.data / TRAIN_FILE, "rb") as handle:
                sample = handle.read(SPACE_SAMPLE)
            self._space_size = len(sample) / len(patch_lengths(np.zeros(len(sample)),
                                                               "space", data=sample))
        return self._space_size

    # --- runs -------------------------------------------------------------------------

    def model_config(self, arm: Arm) -> Any:
        entropy = self.entropy_checkpoint() if arm.kind == "entropy" else None
        return self.settings(arm.model_settings(self.shapes, entropy)).config.model

    def planned_steps(self, run: Run) -> int:
        size = self.space_patch_size() if run.arm.kind == "space" else None
        flops = flops_per_byte(run.arm, self.model_config(run.arm), size)
        return steps_for(run.budget, flops["training"], self.shapes)

    def execute(self, run: Run) -> dict[str, Any]:
        """The run's result: trained (or resumed) and scored unless it is already."""
        done = self.dir.result(run)
        if done is not None:
            return done
        steps = self.planned_steps(run)
        run_dir = self.dir.run_dir(run)
        config = self.settings({**run.arm.model_settings(
            self.shapes, self.entropy_checkpoint() if run.arm.kind == "entropy" else None),
            **self.training(run_dir, run.seed, steps)})
        log.info("run %s: %d steps (%g training TFLOP)", run.key, steps, run.budget)
        started = time.perf_counter()
        checkpoint = self._train(config)
        result = self.score(run, checkpoint, steps)
        result["minutes"] = (time.perf_counter() - started) / 60
        self.dir.save_result(run, result)
        log.info("run %s: held-out %.4f bits per byte, %.3g inference FLOPs per byte",
                 run.key, result["heldout_bpb"], result["inference_flops_per_byte"])
        return result

    def _train(self, resolved: ResolvedConfig) -> Path:
        """Train a run, resuming it if it was cut off (with the settings its checkpoint
        recorded, such as a calibrated threshold); its last checkpoint."""
        from neat_core.training.run import resume_config, train

        config = resolved.config
        run = RunDirectory(config.run.output_dir)
        latest = run.latest()
        if latest is None:
            metrics = train(config)
        elif load_checkpoint(latest).meta.get("step") == config.training.max_steps:
            return latest
        else:
            metrics = train(resume_config(latest, resolved), resume=latest)
        (Path(config.run.output_dir) / TRAIN_RESULT).write_text(json.dumps(metrics))
        return Path(str(metrics["checkpoint"]))

    # --- scoring ----------------------------------------------------------------------

    def heldout_windows(self) -> np.ndarray:
        """The study's held-out windows, ``[eval_windows, block_size + 1]``: evenly
        spread over the held-out bytes, the same for every run."""
        data = np.fromfile(self.dir.data / HELDOUT_FILE, dtype=np.uint8)
        window = self.shapes.block_size + 1
        starts = np.linspace(0, len(data) - window, self.shapes.eval_windows).astype(np.int64)
        return np.stack([data[start:start + window] for start in starts])

    @torch.no_grad()
    def score(self, run: Run, checkpoint: Path, steps: int) -> dict[str, Any]:
        saved = load_checkpoint(checkpoint)
        model: Any = saved.build_model()
        config = saved.config
        windows = torch.from_numpy(self.heldout_windows().astype(np.int64))
        nats, patches = 0.0, 0
        for start in range(0, len(windows), SCORE_BATCH):
            batch = windows[start:start + SCORE_BATCH]
            logits = model(batch[:, :-1])
            nats += float(F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                                          batch[:, 1:].reshape(-1), reduction="sum"))
            if run.arm.kind != "byte":
                patches += int(model.patcher.starts(batch[:, :-1]).sum())
        scored = windows.shape[0] * (windows.shape[1] - 1)
        trained_size = saved.meta.get("flops_per_byte", {}).get("mean_patch_size")
        heldout_size = scored / patches if patches else None
        training = flops_per_byte(run.arm, config.model, trained_size)["training"]
        train_bytes = steps * self.shapes.batch_size * self.shapes.block_size
        trained = checkpoint.parent.parent / TRAIN_RESULT
        metrics = json.loads(trained.read_text()) if trained.exists() else {}
        return {
            "run": run.key, "arm": run.arm.name, "kind": run.arm.kind,
            "target_patch_size": run.arm.patch_size, "budget_tflops": run.budget,
            "seed": run.seed, "steps": steps, "training_bytes": train_bytes,
            "training_tflops": training * train_bytes / 1e12,
            "inference_flops_per_byte": flops_per_byte(run.arm, config.model,
                                                        heldout_size)["inference"],
            "training_patch_size": trained_size, "heldout_patch_size": heldout_size,
            "heldout_bpb": nats / scored / math.log(2),
            "threshold": getattr(config.model, "threshold", None)
            if run.arm.kind == "entropy" else None,
            "parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "train_bytes_per_second": metrics.get("bytes_per_second"),
            "checkpoint": str(checkpoint)}
