"""``neat bench``: NEAT's training step beside a plain PyTorch loop, and scoring speed,
per backend (measures only)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from neat_core.api import config_command, describe_flops

if TYPE_CHECKING:
    from neat_core.api import ResolvedConfig


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


@config_command("bench", "model.name", "training.batch_size")
@click.option("--backend", "backends", multiple=True, metavar="NAME",
              help="Backend to measure (repeatable); default: every available one.")
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True,
              help="Timed training steps per round (after the warm-up steps).")
@click.option("--warmup", type=click.IntRange(min=1), default=10, show_default=True,
              help="Untimed steps first: allocation, compilation and the cpu "
                   "backend's first timing of thread counts.")
@click.option("--rounds", type=click.IntRange(min=1), default=2, show_default=True,
              help="Rounds of NEAT and the plain loop, alternating.")
@click.option("--infer-batches", type=click.IntRange(min=1), default=10, show_default=True,
              help="Bytes scored: this many eval.batch_size windows' worth.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def bench_command(resolved: ResolvedConfig, backends: tuple[str, ...], steps: int,
                  warmup: int, rounds: int, infer_batches: int, as_json: bool) -> None:
    """Time NEAT's training beside a plain PyTorch loop, and entropy scoring.

    The plain loop trains the same model, batch and data on the same device the way
    twenty lines of PyTorch would (float32, no clipping, default AdamW and threads);
    both run in this process in alternating rounds, so the ratio NEAT / plain holds
    on a busy machine too. Reports bytes per second, peak memory and the model's
    analytic FLOPs per byte; asserts nothing.
    """
    from .timing import bench

    rows = bench(resolved.config, backends, steps=steps, warmup=warmup, rounds=rounds,
                 infer_batches=infer_batches)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'backend':<8} {'device':<8} {'amp':<5} {'NEAT train B/s':>15} "
               f"{'plain B/s':>10} {'NEAT/plain':>10} {'train peak':>11} "
               f"{'score B/s':>10} {'score peak':>11}")
    for row in rows:
        click.echo(f"{row['backend']:<8} {row['device']:<8} {row['mixed_precision']:<5} "
                   f"{row['train_bytes_per_second']:>15,.0f} "
                   f"{row['plain_bytes_per_second']:>10,.0f} "
                   f"{row['neat_vs_plain']:>9.2f}x "
                   f"{_mib(row['train_peak_memory_bytes']):>11} "
                   f"{row['infer_bytes_per_second']:>10,.0f} "
                   f"{_mib(row['infer_peak_memory_bytes']):>11}")
    flops = rows[0]["flops_per_byte"] if rows else None
    if flops:
        click.echo(describe_flops(flops))
    for row in rows:
        rounds_text = ", ".join(f"{ratio:.2f}" for ratio in row["neat_vs_plain_rounds"])
        click.echo(f"{row['backend']}: NEAT/plain per round {rounds_text} "
                   f"({row['train_steps']} steps each); peak memory: {row['peak_memory']}")
