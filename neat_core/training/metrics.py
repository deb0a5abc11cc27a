"""``metrics.jsonl``: one JSON record per log step and per evaluation."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

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
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class MetricsLog:
    """Appends records to ``metrics.jsonl``, flushing each so a crash loses nothing."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / METRICS_FILE

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps({key: _json_safe(value) for key, value in record.items()})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def truncate_after(self, step: int) -> None:
        """Drop records past ``step``: a resumed run replaces what followed it."""
        kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= step]
        self._rewrite(kept)

    def _rewrite(self, records: Iterable[dict[str, Any]]) -> None:
        temporary = self.path.with_suffix(".jsonl.tmp")
        temporary.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        temporary.replace(self.path)
