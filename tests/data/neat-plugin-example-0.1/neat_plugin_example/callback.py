"""The ``csv-log`` training callback: training metrics as ``metrics.csv``, for
spreadsheets.

Opt-in: it runs only with ``callbacks.csv-log.enabled = true``. It writes every
``every``-th training record, the keys ``columns``, one row each, flushed as it goes. A
new run starts a new file; a resumed run appends to it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from .config import CsvLogSettings

FILE_NAME = "metrics.csv"


class CsvLog:
    def __init__(self, settings: CsvLogSettings, run_dir: Path) -> None:
        self.settings = settings
        self.path = Path(run_dir) / FILE_NAME
        self.file: IO[str] | None = None
        self.writer: csv.DictWriter | None = None
        self.records = 0  # training records seen in this session

    def on_train_start(self, info: dict[str, Any]) -> None:
        resumed = info["step"] > 0 and self.path.is_file()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a" if resumed else "w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.file, self.settings.columns, extrasaction="ignore")
        if not resumed:
            self.writer.writeheader()

    def on_log(self, record: dict[str, Any]) -> None:
        self.records += 1
        if self.file is None or self.writer is None or (self.records - 1) % self.settings.every:
            return
        self.writer.writerow(record)
        self.file.flush()

    def on_train_end(self, metrics: dict[str, Any]) -> None:
        if self.file is not None:
            self.file.close()
            self.file = self.writer = None
