"""Editing saved checkpoints the way a damaged disk, a hand edit or another tool would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

from neat_core.checkpoint import META_FILE


def forge_checksums(checkpoint: Path) -> None:
    """Recompute every checksum in meta.json, as a tool that rewrote files consistently
    would: what is left to catch the damage is the parser or a semantic check."""
    meta = json.loads((checkpoint / META_FILE).read_text())
    meta["sha256"] = {name: hashlib.sha256((checkpoint / name).read_bytes()).hexdigest()
                      for name in meta["sha256"] if (checkpoint / name).exists()}
    (checkpoint / META_FILE).write_text(json.dumps(meta))


def edit_json(file: Path, change: Callable[[Any], Any]) -> None:
    """Apply ``change`` to the JSON in ``file`` (it edits in place or returns a new value)."""
    data = json.loads(file.read_text())
    result = change(data)
    file.write_text(json.dumps(data if result is None else result))
