"""``neat bench``: training and entropy-inference speed per backend (measures only)."""

from __future__ import annotations

import json

import click

from ..config import ResolvedConfig
from ..flops import describe_flops
from .options import config_command


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


@config_command("bench", "model.name", "training.batch_size")
@click.option("--backend", "backends", multiple=True, metavar="NAME",
              help="Backend to measure (repeatable); default: every available one.")
@click.option("--steps", type=click.IntRange(min=1), default=10, show_default=True,
              help="Timed training steps (after 3 warm-up steps).")
@click.option("--infer-batches", type=click.IntRange(min=1), default=10, show_default=True,
              help="Timed inference batches of eval.batch_size windows.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def bench_command(resolved: ResolvedConfig, backends: tuple[str, ...], steps: int,
                  infer_batches: int, as_json: bool) -> None:
    """Time training steps and entropy inference of a config on each backend.

    Reports bytes per second, peak memory and the model's analytic FLOPs per byte; it
    asserts nothing.
    """
    from ..bench import bench

    rows = bench(resolved.config, backends, steps=steps, infer_batches=infer_batches)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    header = f"{'backend':<8} {'device':<8} {'amp':<5} {'train bytes/s':>14} " \
             f"{'train peak':>11} {'infer bytes/s':>14} {'infer peak':>11}"
    click.echo(header)
    for row in rows:
        click.echo(f"{row['backend']:<8} {row['device']:<8} {row['mixed_precision']:<5} "
                   f"{row['train_bytes_per_second']:>14,.0f} "
                   f"{_mib(row['train_peak_memory_bytes']):>11} "
                   f"{row['infer_bytes_per_second']:>14,.0f} "
                   f"{_mib(row['infer_peak_memory_bytes']):>11}")
    flops = rows[0]["flops_per_byte"] if rows else None
    if flops:
        click.echo(describe_flops(flops))
    meanings = {row["backend"]: row["peak_memory"] for row in rows}
    for name, meaning in meanings.items():
        click.echo(f"peak memory on {name}: {meaning}")
