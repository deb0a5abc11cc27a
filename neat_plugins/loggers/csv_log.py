"""``train.csv`` and ``eval.csv``: the records of ``metrics.jsonl`` as rows.

The columns are the keys of the first record of each kind. A resumed run keeps the rows
up to its step and appends after them.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

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
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            columns = list(rows[0]) if rows else []
            kept = [row for row in rows if int(row["step"]) <= info["step"]]
            self.columns[kind] = columns
            self._write(path, columns, kept, "w")

    def on_log(self, record: dict[str, Any]) -> None:
        self._append("train", record)

    def on_eval(self, record: dict[str, Any]) -> None:
        self._append("eval", record)

    def _append(self, kind: str, record: dict[str, Any]) -> None:
        row = {key: value for key, value in record.items() if key != "kind"}
        columns = self.columns.setdefault(kind, list(row))
        header = not (self.run_dir / FILES[kind]).exists()
        self._write(self.run_dir / FILES[kind], columns, [row], "a", header)

    @staticmethod
    def _write(path: Path, columns: list[str], rows: list[dict[str, Any]], mode: str,
               header: bool = True) -> None:
        with path.open(mode, newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns, restval="")
            if header:
                writer.writeheader()
            writer.writerows(rows)
