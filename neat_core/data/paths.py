"""Listing a path spec: a file, a directory (walked recursively) or a glob.

Directories are walked in sorted order, skipping hidden names (``.git``, ``.cache``...)
and ``__pycache__`` (compiled copies of the sources beside them); globs accept ``**``.
Neither a walk nor ``**`` descends into a symbolic link to a directory, so trees with
link cycles end.
Relative paths are relative to the current directory. ``take_dir`` lets a caller claim
a directory whole (a saved dataset) instead of walking it.
"""

from __future__ import annotations

import fnmatch
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
        matches = sorted(expand_glob(str(path)))
        if not matches:
            raise DataError(f"data source '{spec}' matches no files",
                            hint=f"relative paths start in {os.getcwd()}")
        unique: dict[Path, Path] = {}
        for match in matches:  # the first (shortest) name of a file reached twice
            for found in _path_files(spec, Path(match), take_dir, strict=False):
                unique.setdefault(found.resolve(), found)
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


def expand_glob(pattern: str) -> list[str]:
    """The paths matching ``pattern``, as :func:`glob.glob` with ``recursive=True`` finds
    them (``*`` and ``**`` skip hidden names), except that ``**`` never descends into a
    symbolic link to a directory -- as directory walks do not -- so a tree with link
    cycles is listed once, with short names, instead of for ever."""
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if GLOB_CHARACTERS & set(part)),
                 len(parts))
    found = [Path(*parts[:fixed])] if fixed else [Path()]
    for position, part in enumerate(parts[fixed:], start=fixed):
        last = position == len(parts) - 1
        if part == "**":
            found = [match for directory in found for match in _below(directory, last)]
        elif GLOB_CHARACTERS & set(part):
            found = [directory / name for directory in found
                     for name in _names(directory, hidden=part.startswith("."))
                     if fnmatch.fnmatchcase(name, part)]
        else:
            found = [directory / part for directory in found
                     if os.path.lexists(directory / part)]
    return [str(path) for path in found if str(path) != "."]


def _names(directory: Path, hidden: bool) -> list[str]:
    try:
        return [name for name in os.listdir(directory) if hidden or not name.startswith(".")]
    except OSError:  # not a directory, or unreadable: nothing below it matches
        return []


def _below(directory: Path, with_files: bool) -> list[Path]:
    """``directory`` and every directory under it (symbolic links not followed, hidden
    names skipped); with ``with_files`` also the files in them (``**`` at the end)."""
    if not directory.is_dir():
        return []
    found = []
    for path, dirs, files in os.walk(directory, onerror=lambda error: None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.append(Path(path))
        if with_files:
            found += [Path(path, name) for name in files if not name.startswith(".")]
    return found


def _walk_error(error: OSError) -> None:
    raise DataError(f"cannot list directory {error.filename}: {error.strerror}",
                    hint="check its permissions")
