"""Rendering results with the report plugins (``register_reports``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from .config import NeatConfig, default_config
from .files import check_writable_dir
from .plugins import blamed
from .registry import Entry, get_registry


def report_writers(names: Sequence[str], config: NeatConfig | None = None,
                   out_dir: str | Path | None = None) -> list[tuple[Entry, Any]]:
    """(entry, writer) for ``names`` with ``config``'s report settings (default: the
    defaults); a UsageError listing the registered ones if one is unknown, and a
    WriteError if ``out_dir`` is given, a writer writes files (any without
    ``writes_files = False``) and the directory is not writable -- checked before any
    slow work starts, whose results would otherwise be lost."""
    config = config or default_config()
    writers = []
    for name in names:
        entry = get_registry().get("reports", name)
        with blamed(f"report '{name}'", entry.plugin):
            writers.append((entry, entry.factory(config)))
    if out_dir is not None and any(getattr(w, "writes_files", True) for _, w in writers):
        check_writable_dir(out_dir, "--out directory")
    return writers


def write_reports(results: Mapping[str, Any], names: Sequence[str],
                  out_dir: str | Path | None = None,
                  config: NeatConfig | None = None) -> list[Path]:
    """Render ``results`` with each named report; the files written."""
    out = Path(out_dir) if out_dir is not None else Path(".")
    written = []
    for entry, writer in report_writers(names, config):
        with blamed(f"report '{entry.name}'", entry.plugin):
            path = writer.write(results, out)
        if path is not None:
            written.append(Path(path))
    return written
