"""The json report: the results dict as ``<kind>.json`` (eval, analysis, comparison).

Keys are stable and documented in docs/evaluation.md; ``schema_version`` changes when
one is renamed or removed. Values are finite numbers, strings, lists or null -- never
NaN (writing one would fail loudly).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping


def report_path(results: Mapping[str, Any], out_dir: Path, suffix: str) -> Path:
    """``out_dir/<kind><suffix>``, creating ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / f"{results['kind']}{suffix}"


class JsonReport:
    def write(self, results: Mapping[str, Any], out_dir: Path) -> Path:
        path = report_path(results, out_dir, ".json")
        path.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        return path
