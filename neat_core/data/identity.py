"""What names a file's content in a cache key, without reading the file whole."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import DataError

EDGE = 4096  # bytes hashed at each end of a file


def file_identity(path: Path) -> tuple[list, int]:
    """``(identity, size)`` of a file as it is now: its absolute path, size, modification
    and status-change times, inode, and a hash of its first and last ``EDGE`` bytes.

    The change time (ctime) moves with every write and cannot be set back by a program
    (unlike the modification time), so a rewrite of the same size that keeps the mtime
    still changes the identity; so does a file replaced by another (a new inode). A
    chmod or a new hard link moves the ctime too: the file is then read again.
    """
    try:
        info = path.stat()
        with open(path, "rb") as handle:
            edges = handle.read(EDGE)
            if info.st_size > EDGE:
                handle.seek(max(EDGE, info.st_size - EDGE))
                edges += handle.read(EDGE)
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}",
                        hint="check the path and its permissions") from None
    digest = hashlib.sha256(edges).hexdigest()[:32]
    return ["file", str(path.resolve()), info.st_size, info.st_mtime_ns,
            info.st_ctime_ns, info.st_ino, digest], info.st_size
