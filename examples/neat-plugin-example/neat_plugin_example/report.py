"""The ``markdown`` report: any results dict as a Markdown document (no torch needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FILE_NAME = "report.md"


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if not isinstance(value, str) else value


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = (_scalar(row.get(column, "")).replace("|", "\\|") for column in columns)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render(results: dict[str, Any], title: str = "NEAT report", level: int = 1) -> list[str]:
    """Scalars become a key/value table, lists of flat dicts tables, dicts subsections."""
    lines = [f"{'#' * min(level, 6)} {title}", ""]
    scalars = {key: value for key, value in results.items() if _is_scalar(value)}
    if scalars:
        lines += _table([{"key": key, "value": value} for key, value in scalars.items()]) + [""]
    for key, value in results.items():
        if isinstance(value, dict):
            lines += render(value, key, level + 1)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            flat = [{k: v for k, v in row.items() if _is_scalar(v)} for row in value]
            lines += [f"{'#' * min(level + 1, 6)} {key}", ""] + _table(flat) + [""]
        elif isinstance(value, list):
            shown = ", ".join(_scalar(v) for v in value[:20])
            lines += [f"**{key}**: {shown}{' …' if len(value) > 20 else ''}", ""]
    return lines


class MarkdownReport:
    def write(self, results: dict[str, Any], out_dir: Path) -> Path:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / FILE_NAME
        path.write_text("\n".join(render(results)).rstrip() + "\n", encoding="utf-8")
        return path
