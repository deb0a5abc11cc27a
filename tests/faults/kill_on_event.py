"""A process that signals itself (SIGKILL unless told otherwise) when an event happens,
so that a fault test knows where the signal landed -- mid-save, between two renames,
after a step -- by construction rather than by a lucky sleep.

As a program it is ``neat`` with a cue before the arguments::

    python kill_on_event.py [SIGNAL+SIGNAL...@]EVENT train --set ...

The signals are sent one after the other (each handler runs before the next is sent).
Events (a step N counts from the start of the run, resumed runs included):

- ``train-start``: training starts: the data is prepared, no step is taken yet
- ``log:N``: the train record of step N is written (its checkpoint, if any, is not)
- ``checkpoint:N``: the checkpoint of step N is complete on disk
- ``write:TEXT``: half-way through the first write to a file whose path contains TEXT
  (the half is written; Linux: the path is read from /proc/self/fd)
- ``rename:N``: right after the N-th ``os.rename`` from the moment of :func:`arm`
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, Callable

from neat_core import files, hookimpl


class KillOnTrainingEvent:
    """A training callback (the plugin registers itself) that calls ``fire`` at
    ``train-start``, ``log:N`` or ``checkpoint:N``."""

    def __init__(self, event: str, fire: Callable[[], None]) -> None:
        self.kind, _, step = event.partition(":")
        self.step = int(step) if step else None
        self.fire = fire

    @hookimpl
    def register_training_callbacks(self, register: Any) -> None:
        register("kill-on-event", lambda config, run_dir: self,
                 description="fault tests: a signal at an event of the run")

    def on_train_start(self, info: dict[str, Any]) -> None:
        if self.kind == "train-start":
            self.fire()

    def on_log(self, record: dict[str, Any]) -> None:
        if self.kind == "log" and record["step"] == self.step:
            self.fire()

    def on_checkpoint(self, path: Any, record: dict[str, Any]) -> None:
        if self.kind == "checkpoint" and record["step"] == self.step:
            self.fire()


def arm(cue: str) -> KillOnTrainingEvent | None:
    """Make this process signal itself at the cue's event; a training event returns the
    plugin to register (the other kinds wrap the functions that write and rename)."""
    names, _, event = cue.rpartition("@")
    signums = [signal.Signals[name] for name in names.split("+")] if names else [
        signal.SIGKILL]

    def fire() -> None:
        for signum in signums:
            signal.raise_signal(signum)  # to this thread: its handler has run on return

    kind, _, argument = event.partition(":")
    if kind == "write":
        write_all = files.write_all

        def write_then_fire(fd: int, data: Any) -> None:
            if argument not in os.readlink(f"/proc/self/fd/{fd}"):
                return write_all(fd, data)
            view = memoryview(data)
            write_all(fd, view[: len(view) // 2])
            fire()
            write_all(fd, view[len(view) // 2:])

        files.write_all = write_then_fire
    elif kind == "rename":
        rename, renames = os.rename, [0]

        def rename_then_fire(*args: Any, **kwargs: Any) -> None:
            rename(*args, **kwargs)
            renames[0] += 1
            if renames[0] == int(argument):
                fire()

        os.rename = rename_then_fire
    elif kind in ("train-start", "log", "checkpoint"):
        return KillOnTrainingEvent(event, fire)
    else:
        raise ValueError(f"unknown event {event!r}")
    return None


def run_neat(cue: str, args: list[str]) -> None:
    from neat_core.cli import main
    from neat_core.testing import plugin_registered

    plugin = arm(cue)
    sys.argv = ["neat", *args]
    if plugin is None:
        main()
    else:
        with plugin_registered(plugin, "kill-on-event"):
            main()


if __name__ == "__main__":
    run_neat(sys.argv[1], sys.argv[2:])
