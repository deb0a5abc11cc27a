"""Listing a path spec: a file, a directory (walked recursively) or a glob.

Directories are walked in sorted order, skipping hidden names (``.git``, ``.cache``...)
and ``__pycache__`` (compiled copies of the sources beside them); globs accept ``**``.
Relative paths are relative to the current directory. ``take_dir`` lets a caller claim
a directory whole (a saved dataset) instead of walking it.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Callable

from ..errors import DataError
from .documents import is_regular_file

GLOB_CHARACTERS = frozenset("*?[")
ALWAYS_SKIPPED_DIRS = frozenset({"__pycache__"})
TakeDir = Callable[[Path], bool]


def _never(path: Path) -> bool:
    return False


def list_paths(spec: str, *, take_dir: TakeDir = _never, kinds: str = "") -> list[Path]:
    """The regular files (and directories ``take_dir`` claims) of a path spec, sorted.

    ``kinds`` completes the hint of a spec that does not exist. Raises
    :class:`DataError` for a spec that names nothing usable.
    """
    if not spec.strip():
        raise DataError("a data source is an empty string", hint=f"sources are {kinds}")
    path = Path(os.path.expanduser(spec))
    if os.path.lexists(path):
        return _path_files(spec, path, take_dir)
    if GLOB_CHARACTERS & set(spec):
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise DataError(f"data source '{spec}' matches no files",
                            hint=f"relative paths start in {os.getcwd()}")
        unique = {p.resolve(): p for m in matches
                  for p in _path_files(spec, Path(m), take_dir, strict=False)}
        if not unique and not any(Path(m).is_dir() for m in matches):
            raise DataError(f"data source '{spec}' matches only things that are not regular "
                            f"files ({len(matches)}: FIFOs, sockets, devices or broken "
                            f"links)", hint="FIFOs, sockets and devices are not read")
        return _non_empty_listing(spec, list(unique.values()))
    raise DataError(f"data source '{spec}' does not exist",
                    hint=f"sources are {kinds}; relative paths start in {os.getcwd()}")


def _path_files(spec: str, path: Path, take_dir: TakeDir, strict: bool = True) -> list[Path]:
    if path.is_dir():
        if take_dir(path):
            return [path]
        return _non_empty_listing(spec, walk(path, take_dir=take_dir), strict)
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


def walk(root: Path, skip: frozenset[str] = frozenset(), take_dir: TakeDir = _never
         ) -> list[Path]:
    """Regular files under ``root`` sorted by path; hidden names, __pycache__ and
    ``skip`` left out; directories ``take_dir`` claims listed instead of walked."""
    found = []
    skip = skip | ALWAYS_SKIPPED_DIRS
    for directory, dirs, files in os.walk(root, onerror=_walk_error):
        kept = [d for d in dirs if not d.startswith(".") and d not in skip]
        taken = [d for d in kept if take_dir(Path(directory, d))]
        dirs[:] = [d for d in kept if d not in taken]
        found += [Path(directory, name) for name in taken]
        found += [Path(directory, name) for name in files
                  if not name.startswith(".") and is_regular_file(Path(directory, name))]
    return sorted(found, key=lambda path: path.relative_to(root).parts)


def _walk_error(error: OSError) -> None:
    raise DataError(f"cannot list directory {error.filename}: {error.strerror}",
                    hint="check its permissions")
