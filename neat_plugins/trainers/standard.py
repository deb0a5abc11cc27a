"""The ``standard`` trainer: AdamW, warmup + decay, accumulation, clipping, mixed
precision, fixed-window evaluation, rotating checkpoints, exact resume, DDP."""

from __future__ import annotations

import contextlib
import logging
import math
import random
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from neat_core.api import (
    Callbacks,
    Checkpoint,
    CheckpointError,
    DataError,
    DistEnv,
    Interrupted,
    NeatConfig,
    RunError,
    TrainResult,
    build_model,
    describe_flops,
    load_checkpoint,
    model_flops,
    resolve_checkpoint,
    save_checkpoint,
    takes_targets,
)
from neat_core.data import BatchSampler, build_corpora, eval_batches
from neat_core.training import LrSchedule, MetricsLog, RunDirectory, StopRequest
from neat_core.training.calibration import calibrate_model

from .evaluation import evaluate_batches, loss_metrics, next_byte_loss
from .parallel import Parallel
from .progress import Progress
from .repeat_dropout import RepeatDropout
from .settings import StandardSettings
from .state import check_training_state, load_optimizer_state, rng_state, set_rng_state

log = logging.getLogger("neat.train")


FUSED_ADAMW_DEVICES = ("cpu", "cuda")  # one kernel for all parameters (torch >= 2.4)


def build_optimizer(model: torch.nn.Module, config: NeatConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on biases, norms or scalars); the
    fused implementation where torch has one for the device."""
    training = config.training
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2],
               "weight_decay": training.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    fused = all(p.device.type in FUSED_ADAMW_DEVICES for p in params) or None
    return torch.optim.AdamW(groups, lr=training.learning_rate, fused=fused,
                             betas=(training.adam_beta1, training.adam_beta2))


@attrs.define
class Meter:
    """Loss and time summed over steps (a step's loss may be read after its time)."""

    loss: float = 0.0
    losses: int = 0
    steps: int = 0
    seconds: float = 0.0

    def add_loss(self, loss: float) -> None:
        self.loss += loss
        self.losses += 1

    def add_time(self, seconds: float) -> None:
        self.steps += 1
        self.seconds += seconds

    @property
    def mean_loss(self) -> float:
        return self.loss / max(self.losses, 1)

    def bytes_per_second(self, bytes_per_step: int) -> float:
        return self.steps * bytes_per_step / max(self.seconds, 1e-9)


class StandardTrainer:
    """One training run; ``run(resume)`` trains and returns the final metrics."""

    def __init__(self, config: NeatConfig, backend: Any) -> None:
        self.config = config
        self.training = config.training
        self.backend = backend
        self.device: torch.device = backend.device
        self.env = DistEnv.from_environ()
        self.run_dir = RunDirectory(config.run.output_dir)
        self.block_size = config.model.block_size
        self.schedule = LrSchedule.from_config(self.training)
        self.step = 0
        self.elapsed = 0.0  # seconds of training, over all resumed sessions
        self.best_loss: float | None = None
        self.best_step: int | None = None
        self.last_train: dict[str, float] = {}
        self.last_eval: dict[str, float] = {}
        self.last_eval_step: int | None = None
        self.last_saved: Path | None = None

    # --- set-up --------------------------------------------------------------------------

    def run(self, resume: str | Path | None = None) -> TrainResult:
        checkpoint = load_checkpoint(resume) if resume is not None else None
        # callbacks first: a logger whose package is missing stops the run before the
        # data is prepared
        self.callbacks = (Callbacks.for_run(self.config, self.run_dir.path)
                          if self.env.is_main else Callbacks([]))
        with Parallel(self.env, self.device) as self.parallel:
            self._build_data()  # Ctrl-C while ingesting stops at once, nothing half-built
            with StopRequest() as self.stop:
                self._build_model(checkpoint)
                if checkpoint is not None:
                    self._restore(checkpoint)
                self._open_outputs(resumed=checkpoint is not None)
                return self._train()

    def _build_data(self) -> None:
        seed = self.config.run.seed
        if not self.env.is_main:
            self.parallel.barrier()  # rank 0 writes the byte cache first
        corpora = build_corpora(self.config, block_size=self.block_size,
                                progress=self.env.is_main and self.config.run.progress)
        if self.env.is_main:
            self.parallel.barrier()
        self._check_fits(len(corpora.train))
        self.train_corpus = corpora.train
        self.train_bytes = len(corpora.train)
        self.sampler = BatchSampler(corpora.train, block_size=self.block_size,
                                    batch_size=self.training.batch_size, seed=seed,
                                    rank=self.env.rank, world_size=self.env.world_size)
        fixed = eval_batches(corpora.eval, block_size=self.block_size,
                             batch_size=self.training.batch_size,
                             num_batches=self.training.eval_batches, seed=seed)
        self.eval_set = [batch for index, batch in enumerate(fixed)
                         if index % self.env.world_size == self.env.rank]

    def _check_fits(self, train_bytes: int) -> None:
        """A batch bigger than the whole training split is a mistake (build_corpora
        already checks that each split holds a window)."""
        batch_bytes = self.training.batch_size * (self.block_size + 1)
        if batch_bytes > train_bytes:
            raise DataError(f"training.batch_size {self.training.batch_size} does not fit "
                            f"the data: a batch needs {batch_bytes} bytes, the training "
                            f"split has {train_bytes}",
                            hint="lower training.batch_size or model.block_size, or add data")

    def _build_model(self, checkpoint: Checkpoint | None) -> None:
        seed = self.config.run.seed
        self.backend.seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)  # numpy's global generator takes 32-bit seeds
        self.model: torch.nn.Module
        if checkpoint is not None:  # checks that the weights fit the configured model
            self.model = checkpoint.build_model(self.device, self.config.model).train()
        elif self.training.init_from is not None:  # fine-tuning: the weights, step 0
            start = load_checkpoint(resolve_checkpoint(self.training.init_from),
                                    training_state=False)
            self.model = start.build_model(self.device, self.config.model,
                                           same_settings=False).train()
            log.info("starting from the weights of %s", start.path)
        else:
            self.model = build_model(self.config.model, self.device)
            self._calibrate()
        self.own_loss = takes_targets(self.model)
        self.backend.seed((seed + self.env.rank) % 2**64)  # dropout differs between ranks
        compile_model = self.training.compile
        if compile_model is None:
            compile_model = self.backend.compile_pays_back(self.training.max_steps)
        compiled: Any = torch.compile(self.model) if compile_model else self.model
        self.core: torch.nn.Module = compiled
        self.module: Any = self.parallel.wrap(self.core)
        self.optimizer = build_optimizer(self.model, self.config)
        own: StandardSettings = self.training.plugins.get("standard") or StandardSettings()
        self.repeat_dropout = RepeatDropout(self.model, own.repeat_dropout, self.train_bytes)
        self.scaler = self.backend.grad_scaler()
        self.parameters = sum(p.numel() for p in self.model.parameters())

    def _calibrate(self) -> None:
        """A new run's model fits its settings to the training data (the optional
        ``calibrate``); the run's config and checkpoints record them."""
        fitted = calibrate_model(self.model, self.train_corpus, block_size=self.block_size,
                                 seed=self.config.run.seed, device=self.device)
        if fitted is None:
            return
        model_config, changed = fitted
        self.config = attrs.evolve(self.config, model=model_config)
        if changed:
            log.info("calibrated on the training data: %s",
                     ", ".join(f"{key} = {value:.6g}" if isinstance(value, float)
                               else f"{key} = {value}" for key, value in changed.items()))

    def _restore(self, checkpoint: Checkpoint) -> None:
        path, state = checkpoint.path, checkpoint.training_state
        if not state:
            raise CheckpointError(f"checkpoint {path} has no training state, so it cannot "
                                  f"be resumed", hint="evaluate it, or train a new run")
        check_training_state(state, path)
        load_optimizer_state(self.optimizer, state["optimizer"])
        if self.scaler is not None and state.get("grad_scaler"):
            self.scaler.load_state_dict(state["grad_scaler"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed_s"])
        self.best_loss, self.best_step = state["best"]["eval_loss"], state["best"]["step"]
        ranks = state["ranks"]
        if len(ranks) == self.env.world_size:
            set_rng_state(ranks[self.env.rank]["rng"], self.device)
            self.sampler.load_state_dict(ranks[self.env.rank]["sampler"])
        else:
            log.warning("checkpoint was written by %d process(es), this run has %d: "
                        "weights and optimizer resume exactly, data order and random "
                        "state restart from the seed", len(ranks), self.env.world_size)
        if self.step >= self.training.max_steps:
            raise CheckpointError(
                f"checkpoint {path} is at step {self.step}, and training.max_steps is "
                f"{self.training.max_steps}: nothing left to train",
                hint="raise --max-steps to train further")
        self.last_saved = path
        log.info("resuming from %s at step %d", path, self.step)
        self._warn_if_schedule_moved(LrSchedule.from_config(checkpoint.config.training))

    def _warn_if_schedule_moved(self, saved: LrSchedule) -> None:
        """The decay runs to training.max_steps: a resume with another value reshapes the
        rest of the schedule, which the user should hear about."""
        if saved.total_steps == self.schedule.total_steps or saved.kind == "constant":
            return
        log.warning("training.max_steps changed from %d to %d: the %s learning-rate decay now "
                    "ends at step %d, so the rate at step %d becomes %.3g (it was %.3g)",
                    saved.total_steps, self.schedule.total_steps, self.schedule.kind,
                    self.schedule.total_steps, self.step, self.schedule(self.step),
                    saved(self.step))

    def _open_outputs(self, resumed: bool) -> None:
        self.metrics = MetricsLog(self.run_dir.path)
        if not self.env.is_main:
            return
        self.run_dir.check_writable()
        self.run_dir.write_config(self.config)
        if resumed:
            self.metrics.truncate_after(self.step)
            self.run_dir.drop_after(self.step)
            if self.best_step is not None and self.run_dir.step_path(self.best_step).is_dir():
                self.run_dir.mark_best(self.best_step)
        elif self.metrics.path.exists():
            self.metrics.path.unlink()
        flops = model_flops(self.model)
        log.info("model %s: %s parameters%s", self.config.model.name, f"{self.parameters:,}",
                 f"; {describe_flops(flops)}" if flops else "")
        self.callbacks.emit("on_train_start", {
            "step": self.step, "max_steps": self.training.max_steps,
            "world_size": self.env.world_size, "device": str(self.device),
            "parameters": self.parameters, "flops_per_byte": flops,
            "output_dir": str(self.run_dir.path)})

    # --- the loop ------------------------------------------------------------------------

    @property
    def bytes_per_step(self) -> int:
        return (self.training.batch_size * self.training.gradient_accumulation_steps *
                self.block_size * self.env.world_size)

    def _train(self) -> TrainResult:
        budget = self.training.max_minutes * 60 if self.training.max_minutes else None
        window, session = Meter(), Meter()  # since the last log record; this process
        self.backend.reset_peak_memory()
        show = self.env.is_main and self.config.run.progress and sys.stderr.isatty()
        # A step's loss is read (a host sync) only once the next step is queued, so an
        # asynchronous device (CUDA) never idles while the host waits; steps that log,
        # evaluate or save read their own loss first.
        unread: list[tuple[int, torch.Tensor]] = []
        with Progress(show, self.training.max_steps, self.step) as progress:
            while self.step < self.training.max_steps:
                started = time.perf_counter()
                lr = self.schedule(self.step, self.elapsed / budget if budget else 0.0)
                self.repeat_dropout.update(self.step * self.bytes_per_step)
                loss, grad_norm = self._optimizer_step(lr)
                self.step += 1
                unread.append((self.step, loss))
                due = self.step == self.training.max_steps or any(
                    self.step % every == 0 for every in (self.training.log_steps,
                                                          self.training.eval_steps,
                                                          self.training.save_steps))
                read, unread = (unread, []) if due else (unread[:-1], unread[-1:])
                took = time.perf_counter() - started
                self.backend.observe_step(took)
                window.add_time(took)
                session.add_time(took)
                speed = self.bytes_per_step / took
                stop = self._agree(self._read(read, (window, session), progress, lr, speed),
                                   took)
                final = (stop or self.step == self.training.max_steps or
                         (budget is not None and self.elapsed >= budget))
                if final and unread:
                    self._agree(self._read(unread, (window, session), progress, lr, speed),
                                0.0)
                    unread = []
                if self.step % self.training.log_steps == 0:
                    self._log(window, lr, grad_norm)
                    window = Meter()
                if final or self.step % self.training.save_steps == 0:
                    self._evaluate()
                    self._save()
                elif self.step % self.training.eval_steps == 0:
                    self._evaluate()
                    if self._improved():  # the best model reached is always kept
                        self._save()
                progress.set_eval(self.last_eval.get("eval_bpb"))
                if stop:
                    self._finish(session, interrupted=self.stop.requested)
                    self._interrupted()
                if final:
                    break
        return self._finish(session)

    @staticmethod
    def _read(losses: list[tuple[int, torch.Tensor]], meters: tuple[Meter, ...],
              progress: Progress, lr: float, speed: float) -> tuple[int, float] | None:
        """Read step losses into the meters and the bar; the first non-finite one."""
        bad = None
        for step, tensor in losses:
            loss = tensor.item()
            if bad is None and not math.isfinite(loss):
                bad = (step, loss)
            for meter in meters:
                meter.add_loss(loss)
            progress.update(loss, lr, speed)
        return bad

    def _agree(self, bad: tuple[int, float] | None, took: float) -> bool:
        """Whether to stop; all ranks agree on it, on divergence and on the time spent."""
        self.elapsed += took
        stop, diverged, self.elapsed = self.parallel.max(
            [float(self.stop.requested is not None), float(bad is not None), self.elapsed])
        if diverged:
            self._diverged(*(bad or (self.step, math.nan)))
        return bool(stop)

    def _optimizer_step(self, lr: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One optimizer step; its loss and gradient norm stay on the device (no sync)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        accumulation = self.training.gradient_accumulation_steps
        losses = []
        for micro in range(accumulation):
            batch = torch.from_numpy(self.sampler.next_batch())
            if self.device.type == "cuda":  # a pinned copy lets the transfer overlap
                batch = batch.pin_memory()
            batch = batch.to(self.device, non_blocking=True)
            sync = micro == accumulation - 1 or not self.env.distributed
            with self._no_sync(sync), self.backend.autocast():
                loss = self._loss(batch) / accumulation
            (self.scaler.scale(loss) if self.scaler else loss).backward()
            losses.append(loss.detach())
        grad_norm = None
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.training.max_grad_norm is not None:
            grad_norm = torch.nn.utils.clip_grad_norm_(
                self.model.parameters(), self.training.max_grad_norm, foreach=True)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return torch.stack(losses).sum() if accumulation > 1 else losses[0], grad_norm

    def _loss(self, batch: torch.Tensor) -> torch.Tensor:
        """The model's own loss when its forward takes targets, else next-byte
        cross-entropy (nats)."""
        if self.own_loss:
            _, loss = self.module(batch[:, :-1].long(), batch[:, 1:].long())
            return loss.float()
        return next_byte_loss(self.module, batch)

    def _no_sync(self, sync: bool) -> Any:
        return contextlib.nullcontext() if sync else self.module.no_sync()

    def _diverged(self, step: int, loss: float, what: str = "loss") -> None:
        last = f"; the last good checkpoint is {self.last_saved}" if self.last_saved else ""
        raise RunError(f"training diverged: the {what} became {loss} at step {step}"
                       f"{last}",
                       hint="lower training.learning_rate, keep training.max_grad_norm set, "
                            "or resume from an earlier checkpoint")

    def _interrupted(self) -> None:
        where = f"; checkpoint saved to {self.last_saved}" if self.last_saved else ""
        raise Interrupted(f"training interrupted ({self.stop.requested}) at step "
                          f"{self.step}{where}", hint=f"continue with: neat train --resume "
                                               f"{shlex.quote(str(self.run_dir.path))}",
                          signal=self.stop.requested or "SIGINT")

    # --- records, evaluation, checkpoints -----------------------------------------------

    def _record(self, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"kind": kind, "step": self.step, **values,
                "elapsed_s": round(self.elapsed, 3)}

    def _log(self, window: Meter, lr: float, grad_norm: torch.Tensor | None) -> None:
        loss, bytes_per_second = self.parallel.sum([
            window.mean_loss / self.env.world_size,
            window.bytes_per_second(self.bytes_per_step) / self.env.world_size])
        self.last_train = loss_metrics(loss)
        if not self.env.is_main:
            return
        norm = None if grad_norm is None else grad_norm.item()
        record = self._record("train", {**self.last_train, "lr": lr, "grad_norm": norm,
                                        "bytes_per_second": round(bytes_per_second, 1),
                                        "bytes_seen": self.step * self.bytes_per_step})
        self.metrics.write(record)
        self.callbacks.emit("on_log", record)

    def _evaluate(self) -> None:
        if self.last_eval_step == self.step:
            return
        nats, scored = evaluate_batches(self.core, self.eval_set, self.device,
                                        self.backend.autocast)
        total, count = self.parallel.sum([nats, float(scored)])
        if not math.isfinite(total):
            self._diverged(self.step, total, "evaluation loss")
        self.last_eval = loss_metrics(total / count, "eval_")
        self.last_eval_step = self.step
        if not self.env.is_main:
            return
        record = self._record("eval", self.last_eval)
        self.metrics.write(record)
        self.callbacks.emit("on_eval", record)
        log.info("step %d: eval loss %.4f, %.3f bits per byte", self.step,
                 self.last_eval["eval_loss"], self.last_eval["eval_bpb"])

    def _improved(self) -> bool:
        """Whether the last evaluation beats every earlier one of the run."""
        return self.best_loss is None or self.last_eval["eval_loss"] < self.best_loss

    def _save(self) -> None:
        if self.last_saved is not None and self.last_saved == self.run_dir.step_path(self.step):
            return
        per_rank = self.parallel.gather({"rng": rng_state(self.device),
                                         "sampler": self.sampler.state_dict()})
        is_best = self._improved()
        if is_best:
            self.best_loss, self.best_step = self.last_eval["eval_loss"], self.step
        path = self.run_dir.step_path(self.step)
        self.last_saved = path
        if not self.env.is_main:
            return
        state = {
            "step": self.step, "elapsed_s": self.elapsed,
            "best": {"eval_loss": self.best_loss, "step": self.best_step},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": {"kind": self.schedule.kind, "step": self.step},
            "grad_scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "ranks": per_rank,
        }
        # bytes_seen: what `neat compare` shows as the training a checkpoint had
        metrics = {**self.last_train, **self.last_eval,
                   "bytes_seen": self.step * self.bytes_per_step}
        save_checkpoint(path, self.model, self.config, step=self.step, metrics=metrics,
                        training_state=state)
        if is_best:
            self.run_dir.mark_best(self.step)
        self.run_dir.rotate(self.training.keep_last)
        self.callbacks.emit("on_checkpoint", path, self._record("checkpoint", metrics))

    def _finish(self, session: Meter, interrupted: str | None = None) -> TrainResult:
        best = self.run_dir.step_path(self.best_step) if self.best_step is not None else None
        metrics: dict[str, Any] = {
            "step": self.step, **self.last_train, **self.last_eval,
            "best_eval_loss": self.best_loss, "best_step": self.best_step,
            "checkpoint": _text(self.last_saved), "best_checkpoint": _text(best),
            "output_dir": str(self.run_dir.path), "parameters": self.parameters,
            "bytes_per_second": session.bytes_per_second(self.bytes_per_step),
            "session_s": session.seconds, "elapsed_s": self.elapsed,
            "peak_memory_bytes": self.backend.peak_memory_bytes(),
            "world_size": self.env.world_size, "interrupted": interrupted,
        }
        self.callbacks.emit("on_train_end", metrics)
        return metrics  # type: ignore[return-value]


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)
