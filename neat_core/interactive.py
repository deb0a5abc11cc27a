"""Interactive analysis (``neat analyze CKPT --interactive``): a prompt loop.

Each line typed is analysed with the checkpoint's model and shown by the ``text``
report in its brief form: shaded by entropy, patch starts marked, one summary line per
analyser. Commands start with ``:``. Works in a terminal (line editing when the
readline module exists) and with piped input (no prompt is printed then).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import click

from .config import Override, PatchingConfig, iter_fields
from .config.fields import literal_choices
from .errors import NeatError, UsageError
from .evaluate import Documents, Session, analysis_results, load_documents
from .registry import get_registry

MODES: tuple[str, ...] = literal_choices(
    next(f.type for f in iter_fields(PatchingConfig) if f.name == "mode"))

HELP = """\
Type text and press Enter: it is shown shaded by entropy with patch starts marked,
followed by a summary. Commands:
  :threshold X   threshold of the current mode in bits (0-8); clears a target size
  :mode M        patching mode: global, relative, combined, static or space
  :load FILE     analyse a file (or directory, glob) and show its start
  :help          this help
  :quit          leave (Ctrl-D works too)"""


class Loop:
    """The state of one interactive session: the model, its settings, the last input."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = get_registry().get("reports", "text").factory()
        self.last: tuple[Documents, dict[str, Any]] | None = None
        self.commands: dict[str, Callable[[str], bool]] = {
            "threshold": self.threshold, "mode": self.mode, "load": self.load,
            "help": self.help, "quit": self.quit, "q": self.quit, "exit": self.quit,
        }

    def show(self, documents: Documents, origin: dict[str, Any]) -> None:
        self.last = (documents, origin)
        results = analysis_results(self.session, documents, origin, view="brief")
        self.report.write(results, None)

    def handle(self, line: str) -> bool:
        """Act on one line; False when the loop should end."""
        if not line.strip():
            return True
        if not line.startswith(":"):
            self.show(*load_documents(self.session.config, text=line))
            return True
        name, _, argument = line[1:].strip().partition(" ")
        command = self.commands.get(name)
        if command is None:
            raise UsageError(f"unknown command ':{name}'", hint="type :help for the commands")
        return command(argument.strip())

    def settings_changed(self, command: str, values: dict[str, Any]) -> bool:
        self.session = self.session.with_overrides(
            [Override(path, value, source=command, raw=False) for path, value in values.items()])
        patching = self.session.config.patching
        click.echo(f"mode {patching.mode}, threshold {patching.threshold:g}, relative "
                   f"threshold {patching.relative_threshold:g}")
        if self.last is not None:
            self.show(*self.last)
        return True

    def threshold(self, argument: str) -> bool:
        try:
            bits = float(argument)
        except ValueError:
            raise UsageError(f":threshold needs a number of bits, got '{argument}'",
                             hint="e.g. :threshold 1.5") from None
        key = ("relative_threshold" if self.session.config.patching.mode == "relative"
               else "threshold")
        return self.settings_changed(":threshold", {f"patching.{key}": bits,
                                                    "patching.target_patch_size": None})

    def mode(self, argument: str) -> bool:
        if argument not in MODES:
            raise UsageError(f"unknown patching mode '{argument}'", hint=", ".join(MODES))
        return self.settings_changed(":mode", {"patching.mode": argument})

    def load(self, argument: str) -> bool:
        if not argument:
            raise UsageError(":load needs a file", hint="e.g. :load README.md")
        self.show(*load_documents(self.session.config, data=[argument]))
        return True

    def help(self, argument: str) -> bool:
        click.echo(HELP)
        return True

    def quit(self, argument: str) -> bool:
        return False


def interactive_loop(session: Session, first_text: str | None = None) -> None:
    """Read lines until :quit or end of input, analysing each."""
    terminal = sys.stdin.isatty()
    if terminal:
        try:
            import readline  # noqa: F401 - line editing and history for input()
        except ImportError:
            pass
        click.echo(f"NEAT interactive analysis of {session.path} -- :help for commands, "
                   f":quit to leave", err=True)
    loop = Loop(session)
    pending = [first_text] if first_text else []
    while True:
        try:
            line = pending.pop() if pending else input("neat> " if terminal else "")
        except EOFError:
            break
        except KeyboardInterrupt:  # Ctrl-C drops the line; Ctrl-D or :quit leaves
            click.echo()
            continue
        try:
            if not loop.handle(line):
                break
        except NeatError as error:
            click.echo(f"error: {error.one_line()}", err=True)
