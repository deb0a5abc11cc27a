"""The json report: the results dict as ``<kind>.json`` (eval, analysis, comparison).

Keys are stable and documented in docs/evaluation.md; ``schema_version`` changes when
one is renamed or removed. Values are finite numbers, strings, lists or null -- never
NaN (writing one would fail loudly).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from neat_core.api import atomic_write


def report_path(results: Mapping[str, Any], out_dir: Path, suffix: str) -> Path:
    """``out_dir/<kind><suffix>`` (``atomic_write`` creates ``out_dir``)."""
    return Path(out_dir) / f"{results['kind']}{suffix}"


class JsonReport:
    def write(self, results: Mapping[str, Any], out_dir: Path) -> Path:
        path = report_path(results, out_dir, ".json")
        return atomic_write(path, json.dumps(results, indent=2, allow_nan=False) + "\n")
