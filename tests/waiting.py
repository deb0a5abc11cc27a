"""Waiting for something observable (a file, a record, a lock) instead of for a time."""

from __future__ import annotations

import subprocess
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, *,
               process: subprocess.Popen | None = None, timeout: float = 120) -> T:
    """Poll ``condition`` until it returns something true, and return that; fails when
    ``timeout`` seconds pass first, or when ``process`` (the one expected to make it
    true) ends first."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if process is not None and process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"the process ended (exit {process.returncode}) before "
                                 f"{what}: {stderr}")
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what} in vain"
        time.sleep(0.02)
    return value
