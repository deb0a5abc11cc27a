"""The ``markdown`` report: ``<kind>.md`` with what was measured and every result.

It reads the documented results of `neat eval`, `neat analyze` and `neat compare`
(``kind``, ``checkpoint``, ``data``, ``results``, ``runs``; see docs/evaluation.md) and
renders each evaluator's results generically, so new evaluators appear without changes
here. Its settings are ``reports.markdown.*`` (:class:`MarkdownSettings`). No torch
needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from neat_core.config import NeatConfig

from .config import MarkdownSettings


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


class MarkdownReport:
    def __init__(self, config: NeatConfig | None) -> None:
        # the factory gets None when results are rendered without a config
        self.settings = config.settings(MarkdownSettings) if config else MarkdownSettings()

    def _scalar(self, value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.{self.settings.digits}g}"
        return value if isinstance(value, str) else json.dumps(value)

    def _table(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in rows[: self.settings.max_rows]:
            cells = (self._scalar(row.get(column, "")).replace("|", "\\|")
                     for column in columns)
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > self.settings.max_rows:
            lines += ["", f"… {len(rows) - self.settings.max_rows} more rows"]
        return lines

    def render(self, data: Mapping[str, Any], title: str, level: int = 1) -> list[str]:
        """Scalars as a key/value table, lists of dicts as tables, dicts as subsections."""
        lines = [f"{'#' * min(level, 6)} {title}", ""]
        scalars = {key: value for key, value in data.items() if _is_scalar(value)}
        if scalars:
            lines += self._table([{"key": key, "value": value}
                                  for key, value in scalars.items()]) + [""]
        for key, value in data.items():
            if isinstance(value, Mapping):
                lines += self.render(value, key, level + 1)
            elif isinstance(value, list) and value and all(isinstance(v, Mapping)
                                                           for v in value):
                rows = [{k: v for k, v in row.items() if _is_scalar(v)} for row in value]
                lines += [f"{'#' * min(level + 1, 6)} {key}", ""] + self._table(rows) + [""]
            elif isinstance(value, list):
                shown = ", ".join(self._scalar(v) for v in value[: self.settings.max_rows])
                more = (f" … ({len(value)} in all)" if len(value) > self.settings.max_rows
                        else "")
                lines += [f"**{key}**: {shown}{more}", ""]
        return lines

    def _summary(self, results: Mapping[str, Any]) -> list[str]:
        checkpoint = results.get("checkpoint") or {}
        data = results.get("data") or {}
        rows = {"checkpoint": checkpoint.get("path"), "model": checkpoint.get("model"),
                "step": checkpoint.get("step"),
                "backend": (results.get("backend") or {}).get("name"),
                "documents": data.get("documents"), "bytes": data.get("bytes")}
        shown = [{"": key, "value": value} for key, value in rows.items() if value is not None]
        return self._table(shown) + [""] if shown else []

    def _run(self, results: Mapping[str, Any], level: int) -> list[str]:
        """Summary table and one section per evaluator of an eval or analysis result."""
        lines = self._summary(results)
        for name, section in (results.get("results") or {}).items():
            lines += (self.render(section, name, level) if isinstance(section, Mapping)
                      else [f"**{name}**: {self._scalar(section)}", ""])
        return lines

    def write(self, results: Mapping[str, Any], out_dir: Path) -> Path:
        kind = str(results.get("kind", "report"))
        lines = [f"# NEAT {kind}", ""]
        if kind == "comparison":  # one eval result per checkpoint
            for number, run in enumerate(results.get("runs", []), 1):
                lines += [f"## run {number}", ""] + self._run(run, 3)
        else:
            lines += self._run(results, 2)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{kind}.md"
        path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
        return path
