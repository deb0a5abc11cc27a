"""Parquet and Arrow files and Hugging Face ``datasets`` saved with ``save_to_disk``,
read a record batch at a time through pyarrow (the ``arrow`` extra).

A document is one row's value in ``data.arrow.column``: text (UTF-8) or binary; a column
of any other type (numbers, lists, booleans...) is refused with its name and type. A
null, or a value longer than ``data.max_record_bytes``, is a bad record (counted and
reported); values are converted one at a time, so memory holds one value, not a batch.
A saved dataset is a directory with a ``state.json`` that lists its Arrow files; a
saved ``DatasetDict`` (with ``dataset_dict.json``) holds one such directory per split,
of which the spec must name one. Documents are named ``<file>#<row>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Sequence

from neat_core.api import (
    DataError,
    DataUnit,
    NeatConfig,
    SourceDocument,
    Tally,
    UsageError,
    file_identity,
    list_paths,
    suggest,
)
from neat_core.files import size_text

from .config import ArrowSettings

PARQUET = (".parquet",)
ARROW = (".arrow", ".feather")
BATCH_ROWS = 1024
TEXT_TYPES = ("is_string", "is_large_string", "is_string_view", "is_binary",
              "is_large_binary", "is_binary_view", "is_fixed_size_binary")
EXTRA = "pip install 'neat-entropy[arrow]'"


def pyarrow() -> Any:
    """The pyarrow package, or an error naming the extra that installs it."""
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError:
        raise UsageError("reading Parquet, Arrow and saved Hugging Face datasets needs "
                         "pyarrow, which is not installed", hint=EXTRA) from None
    return pyarrow


def is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and ((path / "state.json").is_file()
                              or (path / "dataset_dict.json").is_file())


def dataset_files(root: Path) -> list[Path]:
    """The Arrow files of a ``save_to_disk`` directory, in order."""
    if (root / "dataset_dict.json").is_file():
        splits = _json(root / "dataset_dict.json").get("splits", [])
        raise DataError(f"{root} is a saved DatasetDict with the splits "
                        f"{', '.join(map(str, splits))}: name one",
                        hint=f"e.g. {root / str(splits[0]) if splits else root / 'train'}")
    files = _json(root / "state.json").get("_data_files")
    if not isinstance(files, list) or not all(isinstance(f, dict) and "filename" in f
                                              for f in files):
        raise DataError(f"{root / 'state.json'} lists no data files (_data_files)",
                        hint="save the dataset again with datasets' save_to_disk")
    return [root / f["filename"] for f in files]


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read {path}: {error}") from None
    if not isinstance(value, dict):
        raise DataError(f"{path} is not a JSON object")
    return value


def table_unit(path: Path, column: str, kind: str, limit: int) -> DataUnit:
    identity, size = file_identity(path)

    def read(tally: Tally) -> Iterator[SourceDocument]:
        batches, rows_total = _batches(path, column, kind)
        row = 0
        for batch in batches:
            for value in _values(batch.column(0)):
                row += 1
                where = f"{path}#{row - 1}"
                if value is None:
                    tally.bad(where, f"'{column}' is null")
                elif isinstance(value, int):
                    tally.bad(where, f"a value of {size_text(value)} is longer than "
                                     f"data.max_record_bytes ({limit} bytes)")
                else:
                    yield SourceDocument(where, (value,), len(value))
            if rows_total:
                tally.advance(size * batch.num_rows // rows_total)

    def _values(values: Any) -> Iterator[bytes | int | None]:
        """Each value's bytes, one at a time: its length instead when it is longer than
        the limit (never converted), None for a null."""
        pa = pyarrow()
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        lengths = pa.compute.binary_length(values).to_numpy(zero_copy_only=False)
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        for index in range(len(values)):
            if not valid[index]:
                yield None
            elif lengths[index] > limit:
                yield int(lengths[index])
            else:
                value = values[index].as_py()
                yield value.encode("utf-8") if isinstance(value, str) else value

    return DataUnit(str(path), kind, [*identity, column], size, read)


def _batches(path: Path, column: str, kind: str) -> tuple[Iterator[Any], int]:
    pa = pyarrow()
    try:
        if kind == "parquet":
            parquet = pa.parquet.ParquetFile(path)
            _check_column(path, column, parquet.schema_arrow)
            return (_guarded(path, parquet.iter_batches(batch_size=BATCH_ROWS,
                                                        columns=[column])),
                    parquet.metadata.num_rows)
        source = pa.OSFile(str(path))
        try:
            reader = pa.ipc.open_file(source)
            batches: Iterator[Any] = (reader.get_batch(i) for i in
                                      range(reader.num_record_batches))
            rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:  # the streaming format (what datasets writes)
            source = pa.OSFile(str(path))
            reader = pa.ipc.open_stream(source)
            batches, rows = iter(reader), 0
        _check_column(path, column, reader.schema)
        index = reader.schema.get_field_index(column)
        return (batch.select([index]) for batch in _guarded(path, batches)), rows
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"cannot read {path} ({kind}): {error}",
                        hint="download or copy the file again") from None


def _guarded(path: Path, batches: Iterator[Any]) -> Iterator[Any]:
    pa = pyarrow()
    try:
        yield from batches
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"cannot read {path}: it is damaged ({error})",
                        hint="download or copy the file again") from None


def _check_column(path: Path, column: str, schema: Any) -> None:
    """The column exists and holds text or bytes: any other type (numbers, lists,
    booleans...) is refused rather than read as bytes."""
    names = list(schema.names)
    if column not in names:
        raise DataError(f"{path} has no column '{column}'{suggest(column, names)}",
                        hint=f"its columns: {', '.join(names)}; set data.arrow.column")
    declared = schema.field(column).type
    pa = pyarrow()
    stored = declared.value_type if pa.types.is_dictionary(declared) else declared
    if not any(getattr(pa.types, check, lambda _: False)(stored) for check in TEXT_TYPES):
        columns = ", ".join(f"{field.name} ({field.type})" for field in schema)
        raise DataError(f"{path}: column '{column}' holds {declared}, not text or binary",
                        hint=f"set data.arrow.column to a string or binary column; its "
                             f"columns: {columns}")


class ArrowSource:
    """Parquet, Arrow/Feather files and saved Hugging Face datasets."""

    def __init__(self, config: NeatConfig) -> None:
        self.settings = config.settings(ArrowSettings)
        self.limit = config.data.max_record_bytes

    def accepts(self, path: Path) -> bool:
        return is_saved_dataset(path) or (path.is_file() and
                                          path.name.endswith(PARQUET + ARROW))

    def units(self, target: str, seed: tuple) -> Sequence[DataUnit]:
        pyarrow()  # an error naming the extra before anything is read
        column = self.settings.column
        units = []
        for path in list_paths(target, take_dir=is_saved_dataset):
            if path.is_dir():
                units += [table_unit(f, column, "hf-dataset", self.limit)
                          for f in dataset_files(path)]
            elif path.name.endswith(PARQUET):
                units.append(table_unit(path, column, "parquet", self.limit))
            else:
                units.append(table_unit(path, column, "arrow", self.limit))
        return units
