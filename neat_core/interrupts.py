"""Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be.
During ``import torch`` that can be inside numpy's import, which torch's C start-up
runs and whose exceptions it swallows, KeyboardInterrupt included: the command then
carries on with half-imported numpy and later fails with errors that have nothing to do
with the cause (``numpy has no attribute 'intp'``, a RecursionError), or runs to the end
as if nothing happened. So the CLI's SIGINT handler also records the signal:
:func:`check` re-raises it once start-up is over (after a backend is selected), and the
CLI reports a failure that follows a recorded Ctrl-C as the interruption it is.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_pending = False


def install() -> None:
    """Route SIGINT through :func:`_handle` (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handle)


def _handle(signum: int, frame: FrameType | None) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


def pending() -> bool:
    """Whether a Ctrl-C arrived that nothing has handled yet."""
    return _pending


def clear() -> None:
    """Mark the last Ctrl-C as handled (e.g. an interactive prompt dropped a line)."""
    global _pending
    _pending = False


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived and was swallowed on the way."""
    if _pending:
        clear()
        raise KeyboardInterrupt
