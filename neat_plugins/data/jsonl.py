"""JSON lines, plain or compressed: one document per line, the text of one field.

Each line is a JSON object; the document is its ``data.jsonl.field`` (a string, encoded
as UTF-8). Blank lines are skipped; a line that is not a JSON object, lacks the field,
holds something other than a string there or text that cannot be encoded (an unpaired
surrogate) is a bad record: skipped, counted and reported, never dropped silently. So is
a line longer than ``data.max_record_bytes`` (never held whole: memory stays bounded) or
nested deeper than :data:`MAX_NESTING` (measured without recursion before parsing).
Documents are named ``<file>:<line number>``.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from neat_core.api import DataUnit, NeatConfig, SourceDocument, Tally, file_identity, list_paths
from neat_core.files import size_text

from .compression import decompressed_chunks, sniff, stored_chunks
from .config import JsonlSettings

Line = tuple[bytes | None, int]  # (the line, or None when it is too long; its length)


def lines(chunks: Iterable[bytes], limit: int) -> Iterator[Line]:
    """The lines of a stream of chunks without their line ends, each with its length; a
    line longer than ``limit`` comes as ``(None, length)`` and is never held whole."""
    pending: list[bytes] = []
    size, skipping = 0, False
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            size += end - start
            if skipping or size > limit:
                yield None, size
            else:
                pending.append(chunk[start:end])
                yield b"".join(pending), size
            pending, size, skipping = [], 0, False
            start = end + 1
        if start < len(chunk):
            size += len(chunk) - start
            skipping = skipping or size > limit
            pending = [] if skipping else [*pending, chunk[start:]]
    if size:
        yield (None if skipping else b"".join(pending)), size


MAX_NESTING = 256  # arrays and objects inside each other in one record
OPENING, CLOSING = np.array([91, 123], np.uint8), np.array([93, 125], np.uint8)  # [{ ]}
QUOTE, BACKSLASH = 34, 92
BLOCK = 1 << 20


def nesting_depth(text: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON ``text``, brackets inside strings
    not counted: a linear scan a block at a time, without recursion, so a hostile line
    is measured before the (recursive) parser sees it."""
    depth = deepest = 0
    inside, backslashes = False, 0  # carried from the block before
    for start in range(0, len(text), BLOCK):
        block = np.frombuffer(text, np.uint8, min(BLOCK, len(text) - start), start)
        positions = np.arange(len(block))
        is_backslash = block == BACKSLASH
        last_other = np.maximum.accumulate(np.where(is_backslash, -1, positions))
        quotes = np.flatnonzero(block == QUOTE)
        before = np.where(quotes > 0, last_other[np.maximum(quotes - 1, 0)], -1)
        run = np.where(before >= 0, quotes - 1 - before, quotes + backslashes)
        real = np.zeros(len(block), np.int32)
        real[quotes[run % 2 == 0]] = 1
        in_string = (np.cumsum(real) + inside) % 2 == 1
        step = (np.isin(block, OPENING) & ~in_string).astype(np.int32) - \
            (np.isin(block, CLOSING) & ~in_string)
        levels = depth + np.cumsum(step)
        deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
        inside = bool((int(real.sum()) + inside) % 2)
        trailing = len(block) - 1 - int(last_other[-1])
        backslashes = trailing + (backslashes if trailing == len(block) else 0)
    return deepest


class _Bad(Exception):
    pass


def field_text(line: bytes, path: list[str]) -> bytes:
    """The field at ``path`` of the JSON object ``line``, UTF-8 encoded; :class:`_Bad`
    saying why when there is none."""
    if line.count(b"[") + line.count(b"{") > MAX_NESTING and \
            nesting_depth(line) > MAX_NESTING:
        raise _Bad(f"nested deeper than {MAX_NESTING} levels")
    try:
        value: Any = json.loads(line)
    except ValueError as error:
        raise _Bad(f"not JSON ({error})") from None
    except RecursionError:  # not reached after the check above; never a crash
        raise _Bad(f"nested deeper than {MAX_NESTING} levels") from None
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


def jsonl_unit(path: Path, settings: JsonlSettings, limit: int) -> DataUnit:
    identity, size = file_identity(path)
    codec = sniff(path) if size else None
    field = settings.field.split(".")

    def read(tally: Tally) -> Iterator[SourceDocument]:
        chunks = (stored_chunks(path, tally, size) if codec is None
                  else decompressed_chunks(path, codec, tally))
        for number, (line, length) in enumerate(lines(chunks, limit), start=1):
            if line is None:
                tally.bad(f"{path}:{number}", f"a line of {size_text(length)} is longer than "
                                              f"data.max_record_bytes ({limit} bytes)")
                continue
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
        self.limit = config.data.max_record_bytes

    def accepts(self, path: Path) -> bool:
        return path.is_file() and any(fnmatch.fnmatch(path.name, pattern)
                                      for pattern in self.settings.patterns)

    def units(self, target: str, seed: tuple) -> Sequence[DataUnit]:
        return [jsonl_unit(path, self.settings, self.limit) for path in list_paths(target)
                if path.is_file()]
