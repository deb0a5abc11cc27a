"""Faults on demand: the n-th file write fails the way a full disk makes it fail."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest

from neat_core import files


class WriteFaults:
    """Counts the writes that go through :func:`neat_core.files.write_all`; with
    ``fail_at`` set, that write (0-based) stores half its bytes, then fails with
    ``error`` (ENOSPC by default) -- as a disk that fills up midway does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.fail_at: int | None = None
        self.error = errno.ENOSPC
        self.failed: list[int] = []
        real = files.write_all

        def write_all(fd: int, data: Any) -> None:
            index, self.count = self.count, self.count + 1
            if index != self.fail_at:
                return real(fd, data)
            view = memoryview(data)
            os.write(fd, view[: len(view) // 2])
            self.failed.append(fd)
            raise OSError(self.error, os.strerror(self.error))

        monkeypatch.setattr(files, "write_all", write_all)

    def fail(self, at: int, error: int = errno.ENOSPC) -> None:
        self.fail_at, self.error = at, error

    def stop(self) -> None:
        self.fail_at = None


@pytest.fixture
def write_faults(monkeypatch: pytest.MonkeyPatch) -> WriteFaults:
    return WriteFaults(monkeypatch)
