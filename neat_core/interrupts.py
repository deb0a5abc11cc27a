"""Ctrl-C (and SIGTERM) that is never lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be.
During ``import torch`` that can be inside numpy's import, which torch's C start-up
runs and whose exceptions it swallows, KeyboardInterrupt included: the command then
carries on with half-imported numpy and later fails with errors that have nothing to do
with the cause (``numpy has no attribute 'intp'``, a RecursionError), or runs to the end
as if nothing happened. So the CLI's SIGINT handler also records the signal:
:func:`check` re-raises it once start-up is over (after a backend is selected), and the
CLI reports a failure that follows a recorded Ctrl-C as the interruption it is.

SIGTERM, which supervisors and ``kill`` send, takes the same path (without the handler
Python would die at once with exit 143, leaving temporary files and a run's lock
contents behind); a SIGTERM that arrives while the command is already stopping is
ignored, because supervisors repeat it before they send SIGKILL.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_pending = False
_received = "SIGINT"  # the signal behind the last interruption
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def install() -> None:
    """Route SIGINT and SIGTERM through :func:`_handle` (main thread only; a no-op
    elsewhere)."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, _handle)


def _handle(signum: int, frame: FrameType | None) -> None:
    global _pending, _received
    if signum == signal.SIGTERM and _pending:
        return  # already stopping: a repeated SIGTERM must not cut the cleanup short
    _pending, _received = True, signal.Signals(signum).name
    raise KeyboardInterrupt


def pending() -> bool:
    """Whether a Ctrl-C arrived that nothing has handled yet."""
    return _pending


def received() -> str:
    """The name of the signal behind the last interruption (``SIGINT``: Ctrl-C)."""
    return _received


def describe() -> str:
    """``interrupted``, naming the signal when it was not a Ctrl-C."""
    return "interrupted" if _received == "SIGINT" else f"interrupted by {_received}"


def clear() -> None:
    """Mark the last Ctrl-C as handled (e.g. an interactive prompt dropped a line)."""
    global _pending
    _pending = False


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived and was swallowed on the way."""
    if _pending:
        clear()
        raise KeyboardInterrupt
