"""JSON lines, plain or compressed: one document per line, the text of one field.

Each line is a JSON object; the document is its ``data.jsonl.field`` (a string, encoded
as UTF-8). Blank lines are skipped; a line that is not a JSON object, lacks the field,
holds something other than a string there or text that cannot be encoded (an unpaired
surrogate) is a bad record: skipped, counted and reported, never dropped silently.
Documents are named ``<file>:<line number>``.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from neat_core.api import DataUnit, NeatConfig, SourceDocument, Tally, list_paths

from .compression import decompressed_chunks, sniff, stored_chunks
from .config import JsonlSettings
from .files import file_identity


def lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a stream of chunks, without their line ends."""
    pending: list[bytes] = []
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            pending.append(chunk[start:end])
            yield b"".join(pending)
            pending = []
            start = end + 1
        if start < len(chunk):
            pending.append(chunk[start:])
    if pending:
        yield b"".join(pending)


class _Bad(Exception):
    pass


def field_text(line: bytes, path: list[str]) -> bytes:
    """The field at ``path`` of the JSON object ``line``, UTF-8 encoded; :class:`_Bad`
    saying why when there is none."""
    try:
        value: Any = json.loads(line)
    except ValueError as error:
        raise _Bad(f"not JSON ({error})") from None
    for depth, key in enumerate(path):
        if not isinstance(value, dict):
            where = ".".join(path[:depth]) or "the line"
            raise _Bad(f"{where} is not a JSON object")
        if key not in value:
            raise _Bad(f"no field '{'.'.join(path[:depth + 1])}'")
        value = value[key]
    if not isinstance(value, str):
        raise _Bad(f"field '{'.'.join(path)}' holds {type(value).__name__}, not a string")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Bad(f"field '{'.'.join(path)}' holds an unpaired surrogate") from None


def jsonl_unit(path: Path, settings: JsonlSettings) -> DataUnit:
    identity, size = file_identity(path)
    codec = sniff(path) if size else None
    field = settings.field.split(".")

    def read(tally: Tally) -> Iterator[SourceDocument]:
        chunks = (stored_chunks(path, tally, size) if codec is None
                  else decompressed_chunks(path, codec, tally))
        for number, line in enumerate(lines(chunks), start=1):
            if not line.strip():
                continue
            try:
                text = field_text(line, field)
            except _Bad as bad:
                tally.bad(f"{path}:{number}", str(bad))
                continue
            yield SourceDocument(f"{path}:{number}", (text,), len(text))

    kind = f"jsonl+{codec}" if codec else "jsonl"
    return DataUnit(str(path), kind, [*identity, codec], size, read)


class JsonlSource:
    """Files whose names match ``data.jsonl.patterns``, read as JSON lines."""

    def __init__(self, config: NeatConfig) -> None:
        self.settings = config.settings(JsonlSettings)

    def accepts(self, path: Path) -> bool:
        return path.is_file() and any(fnmatch.fnmatch(path.name, pattern)
                                      for pattern in self.settings.patterns)

    def units(self, target: str, seed: tuple) -> Sequence[DataUnit]:
        return [jsonl_unit(path, self.settings) for path in list_paths(target)
                if path.is_file()]
