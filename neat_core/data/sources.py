"""Turning source specs into documents: files, directories, globs, the built-in corpus
and ``synthetic:<pattern>`` generators.

Every file is read as raw bytes, never decoded. Directories are walked recursively in
sorted order, skipping hidden names (``.git``, ``.cache``...) and ``__pycache__``
(compiled copies of the sources beside them); globs accept ``**``.
Relative paths are relative to the current directory.
"""

from __future__ import annotations

import glob
import os
import sysconfig
from pathlib import Path

from ..config import SyntheticConfig
from ..errors import DataError
from .documents import Doc, file_doc, is_regular_file
from .synthetic import PATTERNS, synthetic_docs

BUILTIN_PREFIX = "builtin:"
SYNTHETIC_PREFIX = "synthetic:"
GLOB_CHARACTERS = frozenset("*?[")
SOURCE_KINDS = ("files, directories, globs, synthetic:<pattern> (" + ", ".join(PATTERNS)
                + ") or builtin:python-stdlib")

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
    return [path for path in _walk(root, skip=STDLIB_SKIPPED_DIRS)
            if path.suffix == ".py" and path.stat().st_size <= STDLIB_MAX_FILE_BYTES]


BUILTINS = {"python-stdlib": python_stdlib_files}


def resolve_source(spec: str, *, synthetic: SyntheticConfig, seed_parts: tuple) -> list[Doc]:
    """The documents of one source, in a deterministic order; empty files included.

    ``seed_parts`` seed synthetic sources (e.g. ``(seed, "train", position)``).
    Raises :class:`DataError` for a source with nothing in it.
    """
    if spec.startswith(SYNTHETIC_PREFIX):
        return synthetic_docs(spec.removeprefix(SYNTHETIC_PREFIX), synthetic, seed_parts)
    docs = [file_doc(path) for path in _source_files(spec)]
    if not any(doc.size for doc in docs):
        raise DataError(f"data source '{spec}' has only empty files ({len(docs)})",
                        hint="point it at files with content")
    return docs


def absolute_spec(spec: str) -> str:
    """The spec with a path made absolute (what a cache key records)."""
    if spec.startswith((SYNTHETIC_PREFIX, BUILTIN_PREFIX)):
        return spec
    return os.path.abspath(os.path.expanduser(spec))


def _source_files(spec: str) -> list[Path]:
    if spec.startswith(BUILTIN_PREFIX):
        name = spec.removeprefix(BUILTIN_PREFIX)
        if name not in BUILTINS:
            raise DataError(f"unknown built-in corpus '{spec}'",
                            hint=f"use one of: {', '.join(BUILTIN_PREFIX + b for b in BUILTINS)}")
        files = BUILTINS[name]()
        if not files:
            raise DataError(f"{spec} found no .py files in this Python's standard library "
                            f"({sysconfig.get_paths()['stdlib']})",
                            hint="set data.train to your own files")
        return files
    if not spec.strip():
        raise DataError("a data source is an empty string", hint=f"sources are {SOURCE_KINDS}")
    path = Path(os.path.expanduser(spec))
    if os.path.lexists(path):
        return _path_files(spec, path)
    if GLOB_CHARACTERS & set(spec):
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise DataError(f"data source '{spec}' matches no files",
                            hint=f"relative paths start in {os.getcwd()}")
        unique = {p.resolve(): p for m in matches for p in _path_files(spec, Path(m), False)}
        return _non_empty_listing(spec, list(unique.values()))
    raise DataError(f"data source '{spec}' does not exist",
                    hint=f"sources are {SOURCE_KINDS}; relative paths start in {os.getcwd()}")


def _path_files(spec: str, path: Path, strict: bool = True) -> list[Path]:
    if path.is_dir():
        return _non_empty_listing(spec, _walk(path), strict)
    if is_regular_file(path):
        return [path]
    if not strict:  # a glob that also matched a FIFO or socket: not data
        return []
    if not path.exists():
        raise DataError(f"data source '{spec}' is a broken symbolic link")
    raise DataError(f"data source '{spec}' is not a regular file or directory",
                    hint="FIFOs, sockets and devices are not read")


def _non_empty_listing(spec: str, files: list[Path], strict: bool = True) -> list[Path]:
    if not files and strict:
        raise DataError(f"data source '{spec}' has no files",
                        hint="hidden files and directories (names starting with '.') "
                             "and __pycache__ are skipped")
    return files


ALWAYS_SKIPPED_DIRS = frozenset({"__pycache__"})


def _walk(root: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """Regular files under ``root`` sorted by path; hidden names, __pycache__ and
    ``skip`` left out."""
    found = []
    skip = skip | ALWAYS_SKIPPED_DIRS
    for directory, dirs, files in os.walk(root, onerror=_walk_error):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in skip]
        found += [Path(directory, name) for name in files
                  if not name.startswith(".") and is_regular_file(Path(directory, name))]
    return sorted(found, key=lambda path: path.relative_to(root).parts)


def _walk_error(error: OSError) -> None:
    raise DataError(f"cannot list directory {error.filename}: {error.strerror}",
                    hint="check its permissions")


def read_documents(sources: list[str], *, synthetic: SyntheticConfig | None = None,
                   seed: int = 0) -> list[tuple[str, bytes]]:
    """Every non-empty document of ``sources`` as ``(name, raw bytes)``, in order.

    For evaluators and analysis, which need whole documents rather than a cache.
    Synthetic sources are seeded by ``seed`` exactly as explicit eval sources
    (``data.eval``) are in :func:`neat_core.data.build_corpora`.
    """
    if not sources:
        raise DataError("no data sources given", hint=f"sources are {SOURCE_KINDS}")
    synthetic = synthetic or SyntheticConfig()
    out = []
    for position, spec in enumerate(sources):
        for doc in resolve_source(spec, synthetic=synthetic,
                                  seed_parts=(seed, "eval", position)):
            if doc.size:
                out.append((doc.name, b"".join(doc.read(doc.size))))
    return out
