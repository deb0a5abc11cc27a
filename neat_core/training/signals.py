"""Graceful stop on SIGINT/SIGTERM.

The first signal asks the run to save a checkpoint and stop after the current step.
A second SIGINT (Ctrl-C again) acts at once: the SIGINT handler in place before the run
is restored after the first signal. Further SIGTERMs are ignored while the run saves,
because supervisors (torchrun, systemd, Kubernetes) send SIGTERM after SIGINT, or
repeat it, and follow up with SIGKILL if the grace period runs out.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType, TracebackType
from typing import Any

log = logging.getLogger("neat.train")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Context manager that turns the first SIGINT/SIGTERM into ``.requested``.

    Outside the main thread signals cannot be caught; there it only holds the flag
    (which :meth:`request` can still set).
    """

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for signum in list(self._previous):
            self._restore(signum)

    def request(self, reason: str) -> None:
        self.requested = self.requested or reason

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.requested is not None:
            log.warning("%s received: already saving and stopping", name)
            return
        self.request(name)
        self._restore(signal.SIGINT)
        log.warning("%s received: saving a checkpoint after this step "
                    "(press Ctrl-C to stop at once)", name)

    def _restore(self, signum: int) -> None:
        if signum in self._previous:
            handler = self._previous.pop(signum)
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
