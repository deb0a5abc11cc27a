"""`neat` in a real pseudo-terminal (pexpect) with the screen it draws (pyte), so a test
types its next key once the screen shows what a person would wait for."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Callable

import pexpect
import pyte

from .train_utils import NEAT, subprocess_env


class _Screen(pyte.Screen):
    """A screen that answers the program's requests (the cursor position: the prompt
    shows its status line once it knows the room below the cursor), as terminals do."""

    def __init__(self, columns: int, lines: int, answer) -> None:
        super().__init__(columns, lines)
        self.answer = answer

    def write_process_input(self, data: str) -> None:
        self.answer(data)


class _Feed:
    """pexpect's log of what it reads, drawn on the screen."""

    def __init__(self, stream: pyte.Stream) -> None:
        self.stream = stream

    def write(self, data: str) -> None:
        self.stream.feed(data)

    def flush(self) -> None:
        pass


class Terminal:
    """``neat ARGS`` in a terminal of ``lines`` x ``columns``.

    ``expect`` waits for text in the output, in order (as pexpect does); ``wait_for_input``
    waits until the line being edited reads as expected, and ``complete`` types with Tab
    as a person does: once the completion menu shows what Tab will insert.
    """

    def __init__(self, *args: str, cwd: Path, lines: int = 40, columns: int = 160,
                 timeout: float = 90) -> None:
        env = {**subprocess_env(), "NO_COLOR": "1", "TERM": "xterm"}
        self.timeout = timeout
        self.child = pexpect.spawn(NEAT, list(args), cwd=str(cwd), env=env, encoding="utf-8",
                                   timeout=timeout, dimensions=(lines, columns))
        self.screen = _Screen(columns, lines, self.child.send)
        self.child.logfile_read = _Feed(pyte.Stream(self.screen))

    def send(self, *keys: str) -> None:
        self.child.send("".join(keys))

    def expect(self, pattern: str) -> None:
        self.child.expect(pattern)

    def input_line(self) -> str:
        """The cursor's line up to the cursor: the prompt and what is typed."""
        return self.screen.display[self.screen.cursor.y][:self.screen.cursor.x]

    def wait_for_input(self, pattern: str) -> None:
        """Until the line being edited, up to the cursor, matches ``pattern`` (a regular
        expression searched in it)."""
        self._wait(lambda: re.search(pattern, self.input_line()),
                   f"the input line to match {pattern!r}")

    def complete(self, typed: str, completion: str) -> None:
        """Type ``typed``; once the completion menu below the input offers
        ``completion``, press Tab and wait until the input line ends with it."""
        self.send(typed)
        self._wait(lambda: any(completion in line
                               for line in self.screen.display[self.screen.cursor.y + 1:]),
                   f"the completion menu to offer {completion!r}")
        self.send("\t")
        self._wait(lambda: self.input_line().endswith(completion),
                   f"Tab to complete {completion!r}")

    def _wait(self, condition: Callable[[], object], what: str) -> None:
        """Read the output (it stays for the next ``expect``) until ``condition()``."""
        deadline = time.monotonic() + self.timeout
        while not condition():
            assert time.monotonic() < deadline, \
                f"waited in vain for {what}; the input line: {self.input_line()!r}"
            self.child.expect([pexpect.TIMEOUT], timeout=0.05)

    def finish(self) -> int:
        """Wait for the program to end; its exit status."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus
