"""Interactive analysis (``neat analyze CKPT --interactive``): a prompt loop.

Each line typed is analysed with the checkpoint's model and shown by the default report
in its brief form. Commands start with ``:``: the loop's own (``:set``, ``:load``,
``:help``, ``:quit``) and those plugins register (``register_interactive_commands``).
Works in a terminal (line editing when the readline module exists) and with piped input
(no prompt is printed then).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import click

from .config import Override, parse_assignments
from .errors import NeatError, PluginError, UsageError
from .evaluate import Documents, Session, analysis_results, load_documents, report_writers
from .registry import get_registry

OWN_HELP = """\
  :set KEY=VALUE  change a setting (any config key, as with --set)
  :load FILE      analyse a file (or directory, glob) and show its start
  :help           this help
  :quit           leave (Ctrl-D works too)"""


class Loop:
    """The state of one interactive session: the model, its settings, the last input."""

    def __init__(self, session: Session) -> None:
        self.session = session
        names = get_registry().default_names("reports")[:1]
        if not names:
            raise UsageError("interactive analysis needs a report to show results, and no "
                             "plugin registers a default one", hint="see `neat plugins`")
        self.report = report_writers(names, session.config)[0][1]
        self.last: tuple[Documents, dict[str, Any]] | None = None
        self.own: dict[str, Callable[[str], bool]] = {
            "set": self.set, "load": self.load, "help": self.help,
            "quit": self.quit, "q": self.quit, "exit": self.quit,
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
        if name in self.own:
            return self.own[name](argument.strip())
        plugin_commands = get_registry().interactive_commands
        if name not in plugin_commands:
            raise UsageError(f"unknown command ':{name}'", hint="type :help for the commands")
        entry = plugin_commands[name]
        try:
            changes = entry.factory(self.session.config, argument.strip())
        except NeatError:
            raise
        except Exception as error:
            raise PluginError(f"interactive command ':{name}' of plugin '{entry.plugin}' "
                              f"failed: {type(error).__name__}: {error}") from error
        return self.apply([Override(path, value, f":{name}") for path, value in
                           changes.items()])

    def apply(self, overrides: list[Override]) -> bool:
        if not overrides:
            return True
        self.session = self.session.with_overrides(overrides)
        click.echo(", ".join(f"{o.path} = {o.value}" for o in overrides))
        if self.last is not None:
            self.show(*self.last)
        return True

    def set(self, argument: str) -> bool:
        overrides = parse_assignments([argument])
        return self.apply([Override(o.path, o.value, ":set", raw=True) for o in overrides])

    def load(self, argument: str) -> bool:
        if not argument:
            raise UsageError(":load needs a file", hint="e.g. :load README.md")
        self.show(*load_documents(self.session.config, data=[argument]))
        return True

    def help(self, argument: str) -> bool:
        lines = ["Type text and press Enter: it is analysed and shown with a summary.",
                 "Commands:"]
        for name, entry in sorted(get_registry().interactive_commands.items()):
            lines.append(f"  :{name:<14} {entry.description}")
        click.echo("\n".join(lines) + "\n" + OWN_HELP)
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
