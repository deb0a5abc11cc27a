"""``train.csv`` and ``eval.csv``: the records of ``metrics.jsonl`` as rows.

The columns are the keys of the first record of each kind. A resumed run keeps the rows
up to its step and appends after them. Rows are appended and the file rewritten through
:mod:`neat_core.files`, so a row cut short (a full disk, kill -9) is never read back.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from neat_core.api import append_lines, atomic_write, read_lines

FILES = {"train": "train.csv", "eval": "eval.csv"}


class CsvLogger:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.columns: dict[str, list[str]] = {}

    def on_train_start(self, info: dict[str, Any]) -> None:
        for kind, name in FILES.items():
            path = self.run_dir / name
            if not path.exists():
                continue
            if not info["step"]:
                path.unlink()
                continue
            lines = [line.decode("utf-8") for line in read_lines(path)]
            rows = list(csv.DictReader(lines))
            columns = list(rows[0]) if rows else []
            kept = [row for row in rows if int(row["step"]) <= info["step"]]
            self.columns[kind] = columns
            atomic_write(path, _csv_text(columns, kept, header=True))

    def on_log(self, record: dict[str, Any]) -> None:
        self._append("train", record)

    def on_eval(self, record: dict[str, Any]) -> None:
        self._append("eval", record)

    def _append(self, kind: str, record: dict[str, Any]) -> None:
        row = {key: value for key, value in record.items() if key != "kind"}
        columns = self.columns.setdefault(kind, list(row))
        header = not (self.run_dir / FILES[kind]).exists()
        append_lines(self.run_dir / FILES[kind], _csv_text(columns, [row], header))


def _csv_text(columns: list[str], rows: list[dict[str, Any]], header: bool) -> str:
    """Rows as CSV lines (numbers and names hold no newlines, so a row is a line)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, restval="", lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()
