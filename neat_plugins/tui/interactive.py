"""Interactive analysis (``neat analyze CKPT --interactive``): a prompt loop.

Each line typed is analysed with the checkpoint's model and shown by the default report
in its brief form. Commands start with ``:``: the loop's own (``:set``, ``:show``,
``:stats``, ``:save``, ``:load``, ``:help``, ``:quit``) and those plugins register
(``register_interactive_commands``), which may add a part to the status line.

In a terminal the prompt comes from :mod:`.prompts`: the line shaded by entropy as it
is typed (:mod:`.live_shading`), history, Tab completion of commands, config keys,
report names and paths, and a status line (model, input and what plugins add, e.g. the
patching mode and threshold). Ctrl-C drops the line being
typed or cancels the analysis running (the settings stay); Ctrl-D or ``:quit`` leaves.
Piped input works too: lines are read as they come, with no prompt.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any, Callable, Mapping

import click

from neat_core import interrupts
from neat_core.api import (
    Documents,
    Entry,
    NeatError,
    Override,
    PluginError,
    Session,
    UsageError,
    analysis_results,
    get_registry,
    load_documents,
    suggest,
    to_dict,
    write_reports,
)
from neat_core.config import parse_assignments
from neat_core.config.tree import flatten
from neat_core.reporting import report_writers

OWN_COMMANDS = {  # name: (arguments, description)
    "set": ("KEY=VALUE", "change a setting (any config key, as with --set)"),
    "show": ("[KEY]", "the settings in use and what this session changed; or one key or "
                      "section"),
    "stats": ("", "the full analysis of the last input"),
    "save": ("REPORT [DIR]", "write the full analysis of the last input with a report "
                             "(json, html, ...) to DIR (default .)"),
    "load": ("FILE", "analyse a file (or directory, glob); quote a path to keep spaces at "
                     "its ends"),
    "help": ("", "this help"),
    "quit": ("", "leave (Ctrl-D works too)"),
}
ALIASES = {"q": "quit", "exit": "quit", "?": "help"}


def path_argument(text: str) -> str:
    """A path as typed after a command: taken as it is (spaces and quotes inside
    included), unless it starts with a quote, which then must close; ``~`` expanded."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        try:
            parts = shlex.split(text)
        except ValueError:
            raise UsageError(f"the quote in {text} is not closed",
                             hint="close it, or type the path without quotes") from None
        if len(parts) != 1:
            raise UsageError(f"expected one path, got {len(parts)}: {text}",
                             hint="quote the whole path")
        text = parts[0]
    return os.path.expanduser(text)


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
        self.results: dict[str, Any] | None = None  # of the last input
        self.input_name: str | None = None
        self.changed: dict[str, Override] = {}
        self.own: dict[str, Callable[[str], bool]] = {
            "set": self.set, "show": self.show_settings, "stats": self.stats,
            "save": self.save, "load": self.load, "help": self.help, "quit": self.quit}

    @property
    def plugin_commands(self) -> Mapping[str, Entry]:
        return get_registry().interactive_commands

    def show(self, documents: Documents, origin: dict[str, Any]) -> None:
        self.last = (documents, origin)
        self.input_name = (f"text ({origin['bytes']:,} bytes)" if origin["origin"] == "text"
                           else ", ".join(origin["sources"]))
        self.results = analysis_results(self.session, documents, origin, view="brief")
        self.report.write(self.results, None)

    def entropies(self, data: bytes) -> Any:
        """The model's next-byte entropies of ``data`` (the line being typed)."""
        from neat_core.api import compute_entropies

        return compute_entropies(self.session.model, data)

    def status(self) -> str:
        """Model, checkpoint, input and what plugins add (e.g. the patching mode)."""
        config = self.session.config
        parts = [f"{config.model.name} {self.session.path.name}",
                 f"input: {self.input_name or 'none yet'}"]
        seen: set[Any] = set()
        for entry in self.plugin_commands.values():
            status = entry.options.get("status")
            if status is not None and status not in seen:
                seen.add(status)
                parts.append(self._call(entry, status, config))
        return "  ·  ".join(parts)

    def handle(self, line: str) -> bool:
        """Act on one line; False when the loop should end."""
        if not line.strip():
            return True
        if not line.startswith(":"):
            self.show(*load_documents(self.session.config, text=line))
            return True
        name, _, argument = line[1:].strip().partition(" ")
        name = ALIASES.get(name, name)
        if name in self.own:
            return self.own[name](argument.strip())
        if name not in self.plugin_commands:
            raise UsageError(f"unknown command ':{name}'"
                             f"{suggest(name, [*self.own, *self.plugin_commands])}",
                             hint="type :help for the commands")
        entry = self.plugin_commands[name]
        extra = (self.results,) if entry.options.get("reads_results") else ()
        changes = self._call(entry, entry.factory, self.session.config, argument.strip(),
                             *extra)
        return self.apply([Override(path, value, f":{name}", raw=isinstance(value, str))
                           for path, value in changes.items()])

    @staticmethod
    def _call(entry: Entry, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return function(*args)
        except NeatError:
            raise
        except Exception as error:
            raise PluginError(f"interactive command ':{entry.name}' of plugin "
                              f"'{entry.plugin}' failed: {type(error).__name__}: "
                              f"{error}") from error

    def apply(self, overrides: list[Override]) -> bool:
        if not overrides:
            return True
        self.session = self.session.with_overrides(overrides)
        values = flatten(to_dict(self.session.config))
        for override in overrides:
            self.changed[override.path] = Override(override.path, values[override.path],
                                                   override.source)
        click.echo(", ".join(f"{o.path} = {values[o.path]}" for o in overrides))
        if self.last is not None:
            self.show(*self.last)
        return True

    def set(self, argument: str) -> bool:
        overrides = parse_assignments([argument])
        return self.apply([Override(o.path, o.value, ":set", raw=True) for o in overrides])

    def load(self, argument: str) -> bool:
        if not argument:
            raise UsageError(":load needs a file", hint="e.g. :load README.md")
        self.show(*load_documents(self.session.config, data=[path_argument(argument)]))
        return True

    def _last_results(self, command: str) -> dict[str, Any]:
        if self.results is None:
            raise UsageError(f":{command} works on the last input, and there is none yet",
                             hint="type some text, or :load FILE")
        return {**self.results, "view": "full"}

    def stats(self, argument: str) -> bool:
        self.report.write(self._last_results("stats"), None)
        return True

    def save(self, argument: str) -> bool:
        name, _, where = argument.partition(" ")
        if not name:
            raise UsageError(":save needs a report name",
                             hint=f"one of {', '.join(sorted(get_registry().reports))}")
        written = write_reports(self._last_results("save"), [name],
                                path_argument(where) if where.strip() else ".",
                                self.session.config)
        for path in written:
            click.echo(f"wrote {path}")
        return True

    def show_settings(self, argument: str) -> bool:
        values = flatten(to_dict(self.session.config))
        if argument:
            shown = {path: value for path, value in values.items()
                     if path == argument or path.startswith(argument + ".")}
            if not shown:
                raise UsageError(f"no config key or section '{argument}'"
                                 f"{suggest(argument, values)}", hint="e.g. :show patching")
            click.echo("\n".join(f"{path} = {value}" for path, value in shown.items()))
            return True
        lines = [self.status().replace("  ·  ", "\n")]
        lines += [f"{o.path} = {o.value}  (from {o.source})" for o in self.changed.values()]
        if not self.changed:
            lines.append("no setting changed in this session (the checkpoint's config)")
        click.echo("\n".join(lines))
        return True

    def help(self, argument: str) -> bool:
        lines = ["Type text and press Enter: it is analysed and shown with a summary.",
                 "Commands:"]
        for name, entry in sorted(self.plugin_commands.items()):
            lines.append(f"  :{name:<14} {entry.description}")
        for name, (arguments, description) in OWN_COMMANDS.items():
            lines.append(f"  :{f'{name} {arguments}'.strip():<14} {description}")
        lines.append("Tab completes commands, keys and paths; Ctrl-C cancels; Ctrl-D leaves.")
        click.echo("\n".join(lines))
        return True

    def quit(self, argument: str) -> bool:
        return False


def _terminal_reader(loop: Loop) -> Callable[[], str]:
    """Lines from a prompt with history, completion and the loop's status line."""
    from neat_core.config import config_fields

    from .prompts import CommandCompleter, history, path_completer, word_completer

    registry = get_registry()
    commands = {name: description for name, (_, description) in OWN_COMMANDS.items()}
    commands.update({name: entry.description
                     for name, entry in loop.plugin_commands.items()})
    keys = word_completer(info.path for info in config_fields(loop.session.config.model.name))
    arguments = {"load": path_completer(), "set": keys, "show": keys,
                 "save": word_completer(registry.reports)}
    arguments.update({name: word_completer(entry.options["choices"])
                      for name, entry in loop.plugin_commands.items()
                      if entry.options.get("choices")})
    from prompt_toolkit import PromptSession

    from .live_shading import EntropyLexer

    session: PromptSession[str] = PromptSession(
        "neat> ", history=history("analyze"), completer=CommandCompleter(commands, arguments),
        complete_while_typing=True, bottom_toolbar=loop.status,
        lexer=EntropyLexer(loop.entropies))
    return session.prompt


def interactive_loop(session: Session, first_text: str | None = None) -> None:
    """Read lines until :quit or end of input, analysing each."""
    terminal = sys.stdin.isatty()
    loop = Loop(session)
    read: Callable[[], str] = _terminal_reader(loop) if terminal else input
    if terminal:
        click.echo(f"NEAT interactive analysis of {session.path} -- type text, or :help for "
                   f"the commands; Ctrl-D leaves", err=True)
    pending = [first_text] if first_text else []
    while True:
        try:
            line = pending.pop() if pending else read()
        except EOFError:
            break
        except KeyboardInterrupt:  # Ctrl-C drops the line; Ctrl-D or :quit leaves
            interrupts.clear()
            continue
        try:
            if not loop.handle(line):
                break
        except KeyboardInterrupt:
            interrupts.clear()
            click.echo("cancelled (settings kept)", err=True)
        except NeatError as error:
            click.echo(f"error: {error.one_line()}", err=True)


__all__ = ["Loop", "interactive_loop", "path_argument"]
