"""The prompt layer of ``neat menu`` and ``neat analyze -i``: prompt_toolkit for input,
rich for output (both honour NO_COLOR).

Every prompt offers line editing, history and completion; values are checked as they
are typed (a check returns the message to show, or None; an :class:`Unfinished` one is
shown only when Enter is pressed, e.g. a directory on the way to a file). A default is
offered, not typed: shown in brackets and greyed after the cursor, Enter takes it,
typing replaces it, the right arrow brings it in to edit. Tab completes as far as the
candidates agree, a directory with its slash, and the next Tab goes on inside it.
Escape raises :class:`Back` (a form goes back one question), Ctrl-C and Ctrl-D raise
:class:`Cancelled` (back to the menu). Import this module only where prompting
happens: ``neat --help`` must not load either library.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.auto_suggest import AutoSuggest, Suggestion
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    PathCompleter,
    WordCompleter,
    get_common_complete_suffix,
)
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import AnyFormattedText
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.shortcuts import choice
from prompt_toolkit.validation import ValidationError, Validator
from rich.console import Console

T = TypeVar("T")
Check = Callable[[str], "str | None"]  # the message for a bad value, None when it is fine

BACK_HINT = "Esc: back one question; Ctrl-C: back to the menu"


class Cancelled(Exception):
    """The user backed out of a prompt (Ctrl-C or Ctrl-D): back to the menu."""


class Back(Cancelled):
    """Escape: back to the question before (where there is none, as Cancelled)."""


class Unfinished(str):
    """A check's message for a value that may be on its way to a good one (a directory
    while the file inside is still to be typed): shown on Enter, not while typing."""


def console() -> Console:
    """Where the menu and the interactive analysis print (rich honours NO_COLOR and
    FORCE_COLOR, and prints no colour when stdout is not a terminal)."""
    return Console(highlight=False, soft_wrap=True)


def _keys(completer: Completer | None = None, default: str = "") -> KeyBindings:
    keys = KeyBindings()

    @keys.add("escape", eager=True)
    def _back(event: KeyPressEvent) -> None:
        event.app.exit(exception=Back())

    @keys.add("c-d")
    def _cancel(event: KeyPressEvent) -> None:
        event.app.exit(exception=Cancelled())

    if default:
        @keys.add("right", filter=Condition(lambda: not get_app().current_buffer.text))
        def _take_default(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text(default)

    if completer is not None:
        @keys.add("tab")
        def _complete(event: KeyPressEvent) -> None:
            complete(event.current_buffer, completer)

    return keys


def complete(buffer: Buffer, completer: Completer) -> None:
    """Tab: the one candidate whole (a directory with its slash, so the next Tab goes on
    inside it), else as much as all candidates share, else the next in the menu."""
    state = buffer.complete_state
    if state is not None and state.complete_index is not None:  # going through the menu
        buffer.complete_next()
        return
    found = list(completer.get_completions(buffer.document,
                                           CompleteEvent(completion_requested=True)))
    if len(found) == 1:
        buffer.apply_completion(found[0])
    elif found:
        common = get_common_complete_suffix(buffer.document, found)
        if common:
            buffer.insert_text(common)
        elif state is not None:
            buffer.complete_next()
        else:
            buffer.start_completion(select_first=False)


@contextlib.contextmanager
def _no_logs() -> Iterator[None]:
    """Checks run on every key: what they would log (e.g. which checkpoint of a run is
    used) would land on the line being edited. The command says it when it runs."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


class _CheckValidator(Validator):
    """``check`` of the text, or of ``default`` when nothing is typed; an Unfinished
    problem stops Enter but is not shown while typing."""

    def __init__(self, check: Check, default: str) -> None:
        self.check, self.default = check, default

    def _problem(self, document: Document) -> str | None:
        with _no_logs():
            return self.check(document.text.strip() or self.default)

    def validate(self, document: Document) -> None:  # Enter
        problem = self._problem(document)
        if problem is not None:
            raise ValidationError(message=problem, cursor_position=len(document.text))

    async def validate_async(self, document: Document) -> None:  # while typing
        problem = self._problem(document)
        if problem is not None and not isinstance(problem, Unfinished):
            raise ValidationError(message=problem, cursor_position=len(document.text))


class _Default(AutoSuggest):
    """The default, greyed after the cursor while nothing is typed (the right arrow
    brings it in to edit: a key binding, so it works before the suggestion is drawn)."""

    def __init__(self, default: str) -> None:
        self.default = default

    def get_suggestion(self, buffer: Buffer, document: Document) -> Suggestion | None:
        return Suggestion(self.default) if not document.text else None


_histories: dict[str, History] = {}


def history(key: str) -> History:
    """The in-memory history of one kind of prompt, kept for the whole process."""
    return _histories.setdefault(key, InMemoryHistory())


def ask(message: str, *, default: str = "", check: Check | None = None,
        completer: Completer | None = None, history_key: str | None = None,
        toolbar: AnyFormattedText = BACK_HINT) -> str:
    """A line of text, stripped; ``default`` when nothing is typed (offered, not
    typed: see the module's docstring). Raises :class:`Back` on Escape,
    :class:`Cancelled` on Ctrl-C or Ctrl-D."""
    session: PromptSession[str] = PromptSession(
        history=history(history_key or message), key_bindings=_keys(completer, default))
    shown = f"{message} [{default}]: " if default else f"{message}: "
    try:
        text = session.prompt(
            shown, completer=completer, complete_while_typing=completer is not None,
            auto_suggest=_Default(default) if default else None, bottom_toolbar=toolbar,
            validator=_CheckValidator(check, default) if check else None,
            validate_while_typing=check is not None)
    except (KeyboardInterrupt, EOFError):
        raise Cancelled() from None
    return text.strip() or default


def choose(message: str, options: Sequence[tuple[T, str]], default: T | None = None) -> T:
    """One of ``options`` (value, label), picked with the arrow keys (or its number) and
    Enter. Raises :class:`Back` on Escape, :class:`Cancelled` on Ctrl-C or Ctrl-D."""
    return choice(message, options=list(options), default=default,
                  key_bindings=_keys(), interrupt_exception=Cancelled,
                  bottom_toolbar=f"↑↓ or number, Enter: choose; {BACK_HINT}")


def confirm(message: str, default: bool = True) -> bool:
    return choose(message, [(True, "yes"), (False, "no")], default=default)


# --- completion -------------------------------------------------------------------------

class _Paths(PathCompleter):
    """prompt_toolkit's path completer, a directory completed with its slash."""

    def get_completions(self, document: Document, complete_event: CompleteEvent
                        ) -> Iterable[Completion]:
        for found in super().get_completions(document, complete_event):
            slash = "/" if found.display_text.endswith("/") else ""
            yield Completion(found.text + slash, found.start_position, found.display)


def path_completer(only_directories: bool = False) -> Completer:
    """Completes file and directory names, after ``~`` too."""
    return _Paths(expanduser=True, only_directories=only_directories)


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
    """A check: the path (``~`` expanded) exists (the start of an existing name is
    :class:`Unfinished`)."""
    path = Path(os.path.expanduser(text))
    if text and not path.exists():
        message = f"{text} does not exist"
        return Unfinished(message) if _starts_a_name(path) else message
    return None


def _starts_a_name(path: Path) -> bool:
    try:
        return any(entry.name.startswith(path.name) for entry in path.parent.iterdir())
    except OSError:
        return False


def any_of(*checks: Check) -> Check:
    """A check that runs ``checks`` in order and returns the first problem."""
    def check(text: str) -> str | None:
        return next((problem for problem in (c(text) for c in checks) if problem), None)

    return check


def required(text: str) -> str | None:
    return "a value is needed (Esc: back)" if not text else None

