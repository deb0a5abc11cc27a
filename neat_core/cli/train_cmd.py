"""``neat train``: train a model (the quick-start defaults with no arguments)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import click

from ..commands import config_command
from ..distributed import DistEnv
from ..training import LATEST

if TYPE_CHECKING:
    from ..config import ResolvedConfig
    from ..contracts import TrainResult


@config_command("train", "backend.name", "model.name", "training.max_steps",
                "training.max_minutes", "training.batch_size", "training.init_from",
                "run.output_dir", "run.seed", "run.progress")
@click.option("--resume", is_flag=False, flag_value=LATEST, default=None, metavar="[PATH]",
              help="Continue a run: from PATH (a checkpoint or a run dir), or without PATH "
                   "from the newest checkpoint in run.output_dir. The checkpoint's config "
                   "is used; settings given here override it.")
def train_command(resolved: ResolvedConfig, resume: str | None) -> None:
    """Train a byte-level entropy model.

    With no arguments it trains the quick-start model on the default corpus. Under
    `torchrun --nproc_per_node N` the same command trains with DDP.
    """
    from ..training.run import init_config, train

    if resume is None and resolved.config.training.init_from is not None:
        from ..session import resolve_checkpoint

        # a new run from a checkpoint's weights takes its model settings
        resolved = attrs.evolve(resolved, config=init_config(
            resolve_checkpoint(resolved.config.training.init_from), resolved))
    quiet = (click.get_current_context().obj or {}).get("quiet", False)
    if quiet:
        resolved = attrs.evolve(resolved, config=attrs.evolve(
            resolved.config, run=attrs.evolve(resolved.config.run, progress=False)),
            sources={**resolved.sources, "run.progress": "flag"})
    metrics = train(resolved, resume=resume)
    if not quiet and DistEnv.from_environ().is_main:
        click.echo(summary(metrics))


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s"


def summary(metrics: TrainResult) -> str:
    session, total = metrics["session_s"], metrics["elapsed_s"]
    timing = f"{duration(session)} at {metrics['bytes_per_second']:,.0f} bytes/s"
    if total > session + 1:  # a resumed run: this session and the whole run differ
        timing = f"this session {timing}; {duration(total)} in all sessions"
    lines = [f"trained to step {metrics['step']} ({timing})"]
    parts = [f"{label}{metrics[key]:{spec}}{unit}"  # type: ignore[literal-required]
             for key, label, spec, unit in EVAL_PARTS if metrics.get(key) is not None]
    if parts:
        lines.append("eval: " + ", ".join(parts))
    lines.append(f"checkpoint: {metrics['checkpoint']}")
    best, best_loss = metrics.get("best_checkpoint"), metrics.get("best_eval_loss")
    if best is not None and best_loss is not None:
        lines.append(f"best: {best} (eval loss {best_loss:.4f})")
    return "\n".join(lines)


# (TrainResult key, label, format, unit) of the eval line, each shown when present
EVAL_PARTS = (("eval_loss", "loss ", ".4f", " nats"), ("eval_bpb", "", ".4f", " bits per byte"),
              ("eval_perplexity", "perplexity ", ".3f", ""))
