"""How NEAT writes files: atomically, durably, never through a symbolic link.

Every file NEAT writes goes through :func:`atomic_write` (a whole file) or
:func:`append_record` (one record of a ``.jsonl`` log):

- ``atomic_write`` writes a temporary file in the target's directory, fsyncs it, renames
  it over the target and fsyncs the directory. A reader sees the old file or the new
  one, never a mix, whatever kill or crash happens in between; a symbolic link at the
  target is replaced by the new file, so its target is never written.
- ``append_record`` adds one JSON object and a newline (``append_lines`` any lines). A
  record counts only when its newline is on disk, so a write cut short (disk full,
  kill -9, power loss) leaves a last line without one: :func:`read_records` (and
  :func:`read_lines`) drop it with a warning naming the file, and the next append first
  cuts it off.
- A full disk (``ENOSPC``, or a quota: ``EDQUOT``) is a :class:`DiskFullError` naming the
  path and the space needed (exit code 1); any other write failure is a
  :class:`WriteError` naming the path (exit code 2).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Mapping, cast

from .errors import DiskFullError, RunError, UsageError, WriteError

log = logging.getLogger("neat.files")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def size_text(count: int) -> str:
    """``count`` bytes for people: 512 bytes, 3.4 kB, 1.2 MB, ..."""
    if count < 1000:
        return f"{count} bytes"
    value = count / 1000
    for unit in ("kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def free_space(path: str | Path) -> int | None:
    """Free bytes on the disk holding ``path`` (its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def disk_full(what: str, path: str | Path, needed: int) -> DiskFullError:
    """``disk full: <what>: it needs N, M free`` for a write of ``needed`` bytes."""
    free = free_space(path)
    free_text = f", {size_text(free)} free" if free is not None else ""
    return DiskFullError(f"disk full: {what}: it needs {size_text(needed)}{free_text}",
                         hint="free some space on that disk (or choose another directory) "
                              "and run the command again")


def write_failure(path: str | Path, error: OSError, needed: int) -> UsageError | RunError:
    """The NEAT error for ``error`` while writing ``needed`` bytes to ``path``."""
    if error.errno in _DISK_FULL:
        return disk_full(f"cannot write {path}", path, needed)
    return WriteError(f"cannot write {path}: {error.strerror or error}",
                      hint="check that its directory exists and is writable")


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd`` (the one place NEAT's files are written)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Writer:
    """The file object :func:`atomic_writer` yields: writes gathered into blocks of
    ``BUFFER`` bytes, each written through :func:`write_all`."""

    BUFFER = 1 << 20

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.written = 0
        self._pending = bytearray()

    def write(self, data: Any) -> int:
        size = len(data)
        if not self._pending and size >= self.BUFFER:
            self._write(data)
        else:
            self._pending += data
            if len(self._pending) >= self.BUFFER:
                self.flush()
        return size

    def flush(self) -> None:
        if self._pending:
            self._write(self._pending)
            self._pending = bytearray()

    def _write(self, data: Any) -> None:
        write_all(self.fd, data)
        self.written += len(data)


@contextlib.contextmanager
def atomic_writer(path: str | Path, size: int | None = None, *,
                  temporary: Path | None = None, mode: int = 0o666) -> Iterator[BinaryIO]:
    """Write ``path`` through a (buffered) binary file object, atomically and durably
    (see the module docstring); ``size`` (the bytes it will hold, if known) goes into a
    disk-full error. ``temporary`` names the temporary file (default
    ``.<name>.tmp-<random>`` beside ``path``), for callers that recognise their own
    leftovers.

    Missing parent directories are created. A symbolic link at ``path`` is replaced,
    never followed; a new file gets ``mode`` less the umask (default 0666, the usual
    permissions). If the block raises, ``path`` is left as it was.
    """
    path = Path(path)
    temporary = temporary or path.parent / f".{path.name}.tmp-{secrets.token_hex(4)}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    except OSError as error:
        raise write_failure(path, error, size or 0) from None
    writer = _Writer(fd)
    try:
        try:
            yield cast(BinaryIO, writer)  # write() and flush(), all a caller needs
            writer.flush()
            os.fsync(fd)
        finally:
            os.close(fd)
        if path.is_dir() and not path.is_symlink():
            raise IsADirectoryError(errno.EISDIR, "it is a directory")
        os.replace(temporary, path)
        fsync_dir(path.parent)
    except OSError as error:
        _unlink_quietly(temporary)
        raise write_failure(path, error, size or writer.written) from None
    except BaseException:
        _unlink_quietly(temporary)
        raise


def atomic_write(path: str | Path, data: bytes | str, *,
                 temporary: Path | None = None, mode: int = 0o666) -> Path:
    """Replace ``path`` with ``data`` (str is written as UTF-8), atomically and durably
    (see :func:`atomic_writer`)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path, len(payload), temporary=temporary, mode=mode) as handle:
        handle.write(payload)
    return Path(path)


def make_private_dir(path: Path) -> None:
    """Create directory ``path`` and any missing parents readable by their owner only
    (0700); directories that exist are left as they are."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)


def fsync_dir(directory: Path) -> None:
    if os.name == "nt":  # directories cannot be opened on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def is_leftover(name: str) -> bool:
    """Whether a file name is a temporary of :func:`atomic_write` (left by a kill)."""
    return name.startswith(".") and ".tmp-" in name


# --- append-only records, one a line --------------------------------------------------------

def append_record(path: str | Path, record: Mapping[str, Any]) -> None:
    """Append ``record`` as one line of JSON to ``path`` (see :func:`append_lines`)."""
    append_lines(path, json.dumps(dict(record)) + "\n")


def append_lines(path: str | Path, text: str) -> None:
    """Append whole lines (``text`` ends with a newline) to ``path`` and fsync them.

    A symbolic link at ``path`` is replaced by a new file (its target is left alone);
    a torn last line of an earlier write is cut off first. If the write fails, the file
    is cut back to what it held before, so no partial line stays behind.
    """
    path = Path(path)
    line = text.encode("utf-8")
    fd = _open_for_append(path, len(line))
    try:
        size = _cut_torn_tail(fd, path)
        try:
            write_all(fd, line)
            os.fsync(fd)
        except OSError as error:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass  # read_records drops the partial line
            raise write_failure(path, error, len(line)) from None
    finally:
        os.close(fd)


def _open_for_append(path: Path, needed: int) -> int:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise write_failure(path, error, needed) from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        log.warning("%s was a symbolic link; replacing it with a new file (its target is "
                    "left untouched)", path)
        _unlink_quietly(path)
    elif info is not None and not stat.S_ISREG(info.st_mode):
        raise WriteError(f"cannot write {path}: it is not a regular file",
                         hint="move it away")
    try:
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o666)
    except OSError as error:
        raise write_failure(path, error, needed) from None


def _cut_torn_tail(fd: int, path: Path) -> int:
    """Truncate a last line without its newline; the file's size after that."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    keep = _complete_length(fd, size)
    log.warning("%s ended in a partial record (%d bytes, from an interrupted write); "
                "removed it", path, size - keep)
    os.ftruncate(fd, keep)
    return keep


def _complete_length(fd: int, size: int, block: int = 1 << 16) -> int:
    """The length of the file up to and including its last newline."""
    end = size
    while end > 0:
        start = max(0, end - block)
        found = os.pread(fd, end - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def read_lines(path: str | Path) -> list[bytes]:
    """The complete lines of a file written by :func:`append_lines`, without their
    newlines (empty if it is missing). A last line without its newline is an interrupted
    write: it is dropped with a warning naming the file."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    lines = text.split(b"\n")
    if lines[-1]:
        log.warning("%s ends in a partial record (%d bytes, from an interrupted write); "
                    "ignoring it", path, len(lines[-1]))
    return lines[:-1]


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The JSON objects of a file written by :func:`append_record` (see
    :func:`read_lines`); a complete line that is not a JSON object (a damaged or
    hand-edited file) is skipped with a warning naming the file and line."""
    records = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict):
            log.warning("%s:%d is not a JSON record; skipping it", path, number)
            continue
        records.append(record)
    return records


# --- checking outputs before the work --------------------------------------------------------

def check_writable_dir(path: str | Path, what: str = "output directory") -> Path:
    """Create directory ``path`` if needed and prove a file can be written there, or raise
    a WriteError naming it -- before any slow work whose results would be lost."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise WriteError(f"{what} {path} is a file, not a directory",
                         hint="choose another directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        if error.errno in _DISK_FULL:
            raise disk_full(f"{what} {path} is full", path, 1) from None
        raise WriteError(f"{what} {path} is not writable: {error.strerror or error}",
                         hint="choose another directory") from None
    return path


def check_writable_file(path: str | Path, what: str = "file") -> Path:
    """Raise a WriteError unless ``path`` can be created or replaced (its directory is
    writable and it is not a directory)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise WriteError(f"{what} {path} is a directory", hint="pass a file path")
    check_writable_dir(path.parent if str(path.parent) else Path("."),
                       f"the directory of {what} {path}")
    return path
