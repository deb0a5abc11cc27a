"""Error types and the exit codes they map to.

Every error NEAT raises on purpose is a :class:`NeatError`: the CLI prints its one-line
message and hint and exits with its code; ``--debug`` adds the traceback.

Exit codes: 0 success · 1 failure while running · 2 bad usage or bad input ·
130 interrupted.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class NeatError(Exception):
    """Base class: a message for the user, an optional hint, and an exit code."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        return f"{text} (hint: {self.hint})" if self.hint else text


class RunError(NeatError):
    """Something failed while running: training diverged, out of memory, ..."""


class UsageError(NeatError):
    """Bad usage or bad input: flags, configs, data, checkpoints, plugin names."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration file, key or value is invalid."""


class PluginError(UsageError):
    """A plugin is missing, broken, or clashes with another."""


class DataError(UsageError):
    """Training or evaluation data is missing or unusable."""


class CheckpointError(UsageError):
    """A checkpoint is missing, damaged, or does not match what was asked."""


class DiskFullError(RunError):
    """No space left (or quota exceeded) while writing a file; what was written before is
    intact."""


class WriteError(UsageError):
    """A file or directory cannot be written: permissions, a read-only disk, a file where
    a directory should be, ..."""


class Interrupted(NeatError):
    """A run was stopped by a signal (after whatever could be saved was saved).

    ``signal`` names it: the user's own Ctrl-C (SIGINT) is reported as a notice, any
    other stop as an error."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, hint: str | None = None, *,
                 signal: str = "SIGINT") -> None:
        super().__init__(message, hint)
        self.signal = signal


OUT_OF_MEMORY_HINT = ("shrink the model (model.hidden_size, model.num_layers, "
                      "model.block_size) or the batch (training.batch_size, "
                      "eval.batch_size), or use a device with more memory")


def out_of_memory(error: BaseException) -> RunError | None:
    """A RunError saying so if ``error`` means memory ran out (Python's MemoryError,
    torch's CPU allocator, CUDA or MPS), else None. Needs no torch import."""
    text = str(error)
    if not (isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError"
            or "can't allocate memory" in text or "out of memory" in text.lower()):
        return None
    size = re.search(r"tried to allocate (\d+) bytes", text)  # torch's CPU allocator
    detail = (f"tried to allocate {int(size[1]) / 1e9:,.1f} GB" if size
              else " ".join(text.split())[:200])
    return RunError(f"out of memory{': ' + detail if detail else ''}", hint=OUT_OF_MEMORY_HINT)


def suggest(name: str, choices: Iterable[str], prefix: str = "") -> str:
    """' (did you mean "x"?)' when a close match of ``name`` is among ``choices``, else ''
    (``prefix`` goes before the match, e.g. the section of a key)."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f' (did you mean "{prefix}{close[0]}"?)' if close else ""
