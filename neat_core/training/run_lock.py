"""One writer per run directory: an exclusive lock on ``<output_dir>/.neat-lock``.

The lock is an ``flock`` on that file, so the kernel releases it however the owner
ends, ``kill -9`` included; the file holds the owner's pid, host and start time for the
message a second writer gets. The file stays (deleting a lock file lets two processes
lock two different files); it is emptied on a clean exit, so finding it unlocked but
not empty means its owner died, which a new run notes as it takes over.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

from ..errors import UsageError
from ..files import write_failure

log = logging.getLogger("neat.train")

LOCK_FILE = ".neat-lock"


class RunInUse(UsageError):
    """Another process is writing to this run directory."""


class RunLock:
    """``with RunLock(output_dir):`` -- held until the block ends (or the process does)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, or raise RunInUse naming the process that holds it."""
        try:
            import fcntl
        except ImportError:  # not POSIX (Windows): nothing to lock with
            log.warning("cannot lock run directory %s on this platform: make sure no other "
                        "run writes to it", self.run_dir)
            return
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _describe(_read(fd))
            os.close(fd)
            raise RunInUse(f"run directory {self.run_dir} is in use by another run "
                           f"({owner})",
                           hint="wait for it to finish or stop it, or choose another "
                                "--output-dir") from None
        except OSError as error:
            os.close(fd)
            raise write_failure(self.path, error, 0) from None
        previous = _read(fd)
        if previous:
            log.warning("run directory %s was left locked by a run that ended without "
                        "releasing it (%s); taking it over", self.run_dir,
                        _describe(previous))
        mine = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "command": " ".join(sys.argv[:2])}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(mine) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # a clean exit: nothing for the next run to report
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            if self.path.is_symlink():  # never lock (or write) through a planted link
                self.path.unlink()
            return os.open(self.path, flags, 0o666)
        except OSError as error:
            raise write_failure(self.path, error, 0) from None


def _read(fd: int) -> dict | None:
    try:
        owner = json.loads(os.pread(fd, 4096, 0) or b"null")
    except ValueError:
        return {"unreadable": True}
    return owner if isinstance(owner, dict) else None


def _describe(owner: dict | None) -> str:
    if not owner or "pid" not in owner:
        return "owner unknown"
    return (f"pid {owner.get('pid')} on {owner.get('host')}, started "
            f"{owner.get('started')}")
