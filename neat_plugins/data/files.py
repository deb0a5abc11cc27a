"""Files read as bytes (decompressed when compressed) and the built-in corpus,
``builtin:python-stdlib``."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Iterator, Sequence

from neat_core.api import (
    DataError,
    DataUnit,
    NeatConfig,
    SourceDocument,
    Tally,
    file_identity,
    list_paths,
    walk,
)

from .compression import decompressed_chunks, sniff, stored_chunks
from .config import FilesSettings


def file_unit(path: Path, decompress: bool = True) -> DataUnit:
    """One file as one document: its bytes, decompressed when it is compressed."""
    identity, size = file_identity(path)
    codec = sniff(path) if decompress and size else None

    def read(tally: Tally) -> Iterator[SourceDocument]:
        if codec is None:
            yield SourceDocument(str(path), stored_chunks(path, tally, size), size)
        else:
            yield SourceDocument(str(path), decompressed_chunks(path, codec, tally))

    return DataUnit(str(path), codec or "raw", [*identity, codec], size, read)


class FilesSource:
    """Every file no other source accepts, as one document."""

    def __init__(self, config: NeatConfig) -> None:
        self.settings = config.settings(FilesSettings)

    def accepts(self, path: Path) -> bool:
        return path.is_file()

    def units(self, target: str, seed: tuple) -> Sequence[DataUnit]:
        return [file_unit(path, self.settings.decompress) for path in list_paths(target)
                if path.is_file()]


# The built-in corpus leaves out test suites, installed packages and huge generated files.
STDLIB_SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__", "test",
                                 "tests", "idle_test"})
STDLIB_MAX_FILE_BYTES = 512 * 1024


def python_stdlib_files() -> list[Path]:
    """``builtin:python-stdlib``: the ``.py`` files of the running Python's standard library.

    The directory is ``sysconfig.get_paths()['stdlib']`` (the base installation, also
    inside a virtual environment), walked in sorted order. Left out: directories named
    site-packages, dist-packages, __pycache__, test, tests and idle_test (the test
    suites), hidden names, and files over 512 KiB (generated tables such as
    pydoc_data/topics.py). For CPython 3.11 that is about 730 files, 11-12 MB of real
    Python source (code, comments, docstrings), present on every machine without a
    download. Its exact content depends on the Python version.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    return [path for path in walk(root, skip=STDLIB_SKIPPED_DIRS)
            if path.suffix == ".py" and path.stat().st_size <= STDLIB_MAX_FILE_BYTES]


BUILTINS = {"python-stdlib": python_stdlib_files}


class BuiltinSource:
    """``builtin:NAME``: corpora present on every machine."""

    def __init__(self, config: NeatConfig) -> None:
        pass

    def accepts(self, path: Path) -> bool:
        return False

    def units(self, target: str, seed: tuple) -> Sequence[DataUnit]:
        if target not in BUILTINS:
            raise DataError(f"unknown built-in corpus 'builtin:{target}'",
                            hint=f"use one of: {', '.join('builtin:' + b for b in BUILTINS)}")
        files = BUILTINS[target]()
        if not files:
            raise DataError(f"builtin:{target} found no .py files in this Python's standard "
                            f"library ({sysconfig.get_paths()['stdlib']})",
                            hint="set data.train to your own files")
        return [file_unit(path, decompress=False) for path in files]
