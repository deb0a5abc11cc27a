"""Small helpers for documents: stable seeding and regular-file checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

CHUNK = 1 << 20  # bytes read from a file at a time


def stable_int(text: str) -> int:
    """A 32-bit number from ``text`` that is the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def rng_for(*parts: int | str) -> np.random.Generator:
    """A generator seeded by ``parts`` (strings hashed stably), e.g. (seed, "holdout", 2)."""
    return np.random.default_rng([p if isinstance(p, int) else stable_int(p) for p in parts])


def is_regular_file(path: Path) -> bool:
    """Follows symlinks; False for directories, FIFOs, devices and broken links."""
    try:
        return path.is_file()
    except OSError:
        return False
