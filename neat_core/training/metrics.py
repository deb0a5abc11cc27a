"""``metrics.jsonl``: one JSON record per log step and per evaluation.

Records are appended with :func:`neat_core.files.append_record`: one JSON object per line,
fsynced, so a write cut short (disk full, kill -9) is a last line without its newline,
which reading drops (with a warning) and the next write cuts off.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..files import append_record, atomic_write, read_records

METRICS_FILE = "metrics.jsonl"


def _json_safe(value: Any) -> Any:
    """NaN and infinities as strings: JSON has no literal for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a metrics file (or of ``<run dir>/metrics.jsonl``)."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    return read_records(path)


class MetricsLog:
    """Appends records to ``metrics.jsonl``, each on disk before ``write`` returns."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / METRICS_FILE

    def write(self, record: dict[str, Any]) -> None:
        append_record(self.path, {key: _json_safe(value) for key, value in record.items()})

    def truncate_after(self, step: int) -> None:
        """Drop records past ``step`` (and a torn last line): a resumed run replaces what
        followed it."""
        kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= step]
        atomic_write(self.path, "".join(json.dumps(r) + "\n" for r in kept))
