"""Any evaluator's results as blocks, which the text and html reports render alike.

The reports know the layout of the built-in evaluators' results; the results of any
other evaluator (a third-party plugin's) are rendered by their shape:

- the plain values (numbers, strings, booleans, null) of a dict -> fields (key: value);
- a list of dicts (rows) -> a table with one column per key;
- a dict whose values are all dicts of plain values -> a table with one row per key;
- any other dict -> a sub-section, by the same rules;
- a list of plain values -> one line of values.

A value inside a table cell that is not plain shows as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

import attrs


@attrs.frozen
class Fields:
    items: tuple[tuple[str, Any], ...]


@attrs.frozen
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@attrs.frozen
class Values:
    title: str
    values: tuple[Any, ...]


@attrs.frozen
class Section:
    title: str
    blocks: tuple[Block, ...]


Block = Fields | Table | Values | Section


def is_plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def plain_text(value: Any) -> str:
    """A value as a table cell: ints with thousands separators, floats to 6 significant
    digits, null as "-", anything nested as compact JSON."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), default=str)


def blocks(data: Any) -> list[Block]:
    """The blocks of one evaluator's results: its plain fields first, then the rest in
    order."""
    if not isinstance(data, Mapping):
        return [_block("result", data)]
    plain = tuple((str(key), value) for key, value in data.items() if is_plain(value))
    return ([Fields(plain)] if plain else []) + [_block(str(key), value)
                                                 for key, value in data.items()
                                                 if not is_plain(value)]


def _columns(rows: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(key) for row in rows for key in row))


def _is_row(value: Any) -> bool:
    return isinstance(value, Mapping) and all(is_plain(cell) for cell in value.values())


def _block(title: str, value: Any) -> Block:
    if isinstance(value, Mapping):
        if value and all(_is_row(row) for row in value.values()):
            columns = _columns(value.values())
            return Table(title, ("", *columns), tuple(
                (str(key), *(row.get(column) for column in columns))
                for key, row in value.items()))
        return Section(title, tuple(blocks(value)))
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, Mapping) for row in value):
            columns = _columns(value)
            return Table(title, columns, tuple(tuple(row.get(column) for column in columns)
                                               for row in value))
        return Values(title, tuple(value))
    return Fields(((title, value),))
