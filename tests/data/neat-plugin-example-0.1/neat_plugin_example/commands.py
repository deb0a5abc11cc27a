"""``neat byte-stats``: order-0 statistics of files, a baseline for bits per byte."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import click

from neat_core.errors import DataError


def order0_bits_per_byte(data: bytes) -> float:
    """Entropy of the byte histogram in bits: what a model that ignores context needs."""
    counts = Counter(data)
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


@click.command("byte-stats")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def byte_stats(files: tuple[Path, ...]) -> None:
    """Print size, distinct byte values and order-0 entropy (bits/byte) of FILES."""
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DataError(f"cannot read {path}: {error.strerror}",
                            hint="pass existing, readable files") from None
        if not data:
            raise DataError(f"{path} is empty", hint="order-0 entropy needs at least one byte")
        click.echo(f"{path}: {len(data)} bytes, {len(set(data))} distinct, "
                   f"{order0_bits_per_byte(data):.3f} bits/byte (order 0)")
