"""A training callback plugin that presses Ctrl-C (sends this process SIGINT) when a
given step is logged: the user's own Ctrl-C, on an event rather than after a sleep."""

from __future__ import annotations

import os
import signal

from neat_core import hookimpl


class CtrlCAtStep:
    def __init__(self, step: int = 2) -> None:
        self.step = step

    @hookimpl
    def register_training_callbacks(self, register):
        register("ctrl-c", lambda config, run_dir: self)

    def on_log(self, record):
        if record["step"] == self.step:
            os.kill(os.getpid(), signal.SIGINT)
