"""The prompt layer of ``neat menu`` and ``neat analyze -i``: prompt_toolkit for input,
rich for output (both honour NO_COLOR).

Every prompt offers line editing, history and completion; values are checked as they
are typed (a check returns the message to show, or None). Ctrl-C, Ctrl-D and Escape at
a prompt raise :class:`Cancelled`, so each caller goes back one level instead of ending
the program. Import this module only where prompting happens: ``neat --help`` must not
load either library.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    PathCompleter,
    WordCompleter,
)
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import AnyFormattedText
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.shortcuts import choice
from prompt_toolkit.validation import ValidationError, Validator
from rich.console import Console

T = TypeVar("T")
Check = Callable[[str], "str | None"]  # the message for a bad value, None when it is fine

BACK_HINT = "Esc or Ctrl-C: back"


class Cancelled(Exception):
    """The user backed out of a prompt (Ctrl-C, Ctrl-D or Escape)."""


def console() -> Console:
    """Where the menu and the interactive analysis print (rich honours NO_COLOR and
    FORCE_COLOR, and prints no colour when stdout is not a terminal)."""
    return Console(highlight=False, soft_wrap=True)


def _back_keys() -> KeyBindings:
    keys = KeyBindings()

    @keys.add("escape", eager=True)
    @keys.add("c-d")
    def _back(event: KeyPressEvent) -> None:
        event.app.exit(exception=Cancelled())

    return keys


class _CheckValidator(Validator):
    def __init__(self, check: Check) -> None:
        self.check = check

    def validate(self, document: Document) -> None:
        problem = self.check(document.text.strip())
        if problem is not None:
            raise ValidationError(message=problem, cursor_position=len(document.text))


_histories: dict[str, History] = {}


def history(key: str) -> History:
    """The in-memory history of one kind of prompt, kept for the whole process."""
    return _histories.setdefault(key, InMemoryHistory())


def ask(message: str, *, default: str = "", check: Check | None = None,
        completer: Completer | None = None, history_key: str | None = None,
        toolbar: AnyFormattedText = BACK_HINT) -> str:
    """A line of text, stripped; ``default`` is pre-filled and editable. Raises
    :class:`Cancelled` on Ctrl-C, Ctrl-D or Escape."""
    session: PromptSession[str] = PromptSession(
        history=history(history_key or message), key_bindings=_back_keys())
    try:
        text = session.prompt(
            f"{message}: ", default=default, completer=completer,
            complete_while_typing=completer is not None, bottom_toolbar=toolbar,
            validator=_CheckValidator(check) if check else None,
            validate_while_typing=check is not None)
    except (KeyboardInterrupt, EOFError):
        raise Cancelled() from None
    return text.strip()


def choose(message: str, options: Sequence[tuple[T, str]], default: T | None = None) -> T:
    """One of ``options`` (value, label), picked with the arrow keys (or its number) and
    Enter. Raises :class:`Cancelled` on Ctrl-C, Ctrl-D or Escape."""
    return choice(message, options=list(options), default=default,
                  key_bindings=_back_keys(), interrupt_exception=Cancelled,
                  bottom_toolbar=f"↑↓ or number, Enter: choose; {BACK_HINT}")


def confirm(message: str, default: bool = True) -> bool:
    return choose(message, [(True, "yes"), (False, "no")], default=default)


# --- completion -------------------------------------------------------------------------

def path_completer(only_directories: bool = False) -> Completer:
    """Completes file and directory names, after ``~`` too."""
    return PathCompleter(expanduser=True, only_directories=only_directories)


def word_completer(words: Iterable[str]) -> Completer:
    return WordCompleter(sorted(words), sentence=True)


class ListCompleter(Completer):
    """Completes the last item of a comma-separated list from ``words``."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(words)

    def get_completions(self, document: Document, complete_event: CompleteEvent
                        ) -> Iterable[Completion]:
        current = document.text_before_cursor.rsplit(",", 1)[-1].lstrip()
        for word in self.words:
            if word.startswith(current):
                yield Completion(word, start_position=-len(current))


class CommandCompleter(Completer):
    """Completes ``:name`` from ``commands`` (name -> description) and, after a command,
    its argument with that command's completer in ``arguments``."""

    def __init__(self, commands: Mapping[str, str], arguments: Mapping[str, Completer]) -> None:
        self.commands, self.arguments = commands, arguments

    def get_completions(self, document: Document, complete_event: CompleteEvent
                        ) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith(":"):
            return
        name, space, rest = text[1:].partition(" ")
        if not space:
            for command, description in sorted(self.commands.items()):
                if command.startswith(name):
                    yield Completion(command, start_position=-len(name),
                                     display_meta=description)
        elif name in self.arguments:
            yield from self.arguments[name].get_completions(
                Document(rest.lstrip(), len(rest.lstrip())), complete_event)


def existing_path(text: str) -> str | None:
    """A check: the path (``~`` expanded) exists."""
    if text and not Path(os.path.expanduser(text)).exists():
        return f"{text} does not exist"
    return None


def any_of(*checks: Check) -> Check:
    """A check that runs ``checks`` in order and returns the first problem."""
    def check(text: str) -> str | None:
        return next((problem for problem in (c(text) for c in checks) if problem), None)

    return check


def required(text: str) -> str | None:
    return "a value is needed (Esc: back)" if not text else None

