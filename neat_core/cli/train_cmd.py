"""``neat train``: train a model (the quick-start defaults with no arguments)."""

from __future__ import annotations

from pathlib import Path

import attrs
import click

from ..config import ResolvedConfig
from ..train import LATEST, find_checkpoint, resume_config, train
from ..training import DistEnv
from .options import with_config

FLAGS = ("backend.name", "model.name", "training.max_steps", "training.max_minutes",
         "training.batch_size", "run.output_dir", "run.seed", "run.progress")


@click.command("train")
@click.option("--resume", is_flag=False, flag_value=LATEST, default=None, metavar="[PATH]",
              help="Continue a run: from PATH (a checkpoint or a run dir), or without PATH "
                   "from the newest checkpoint in run.output_dir. The checkpoint's config "
                   "is used; settings given here override it.")
@with_config(*FLAGS)
def train_command(resolved: ResolvedConfig, resume: str | None) -> None:
    """Train a byte-level entropy model.

    With no arguments it trains the quick-start model on the default corpus. Under
    `torchrun --nproc_per_node N` the same command trains with DDP.
    """
    config = resolved.config
    checkpoint: Path | None = None
    if resume is not None:
        checkpoint = find_checkpoint(resume, config.run.output_dir)
        config = resume_config(checkpoint, resolved)
    quiet = (click.get_current_context().obj or {}).get("quiet", False)
    if quiet:
        config = attrs.evolve(config, run=attrs.evolve(config.run, progress=False))
    metrics = train(config, resume=checkpoint)
    if not quiet and DistEnv.from_environ().is_main:
        click.echo(summary(metrics))


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s"


def summary(metrics: dict) -> str:
    lines = [f"trained to step {metrics['step']} in {duration(metrics['elapsed_s'])} "
             f"({metrics['bytes_per_second']:,.0f} bytes/s)"]
    if "eval_loss" in metrics:
        lines.append(f"eval: loss {metrics['eval_loss']:.4f} nats, {metrics['eval_bpb']:.4f} "
                     f"bits per byte, perplexity {metrics['eval_perplexity']:.3f}")
    lines.append(f"checkpoint: {metrics['checkpoint']}")
    if metrics.get("best_step") is not None:
        lines.append(f"best: {metrics['best_checkpoint']} (eval loss "
                     f"{metrics['best_eval_loss']:.4f})")
    return "\n".join(lines)
