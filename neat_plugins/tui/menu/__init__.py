"""``neat menu``: choose with the arrow keys instead of typing commands.

Every entry asks for the values it needs (checked as they are typed, paths completed
with Tab), shows the command line it builds and runs that very command in this
process -- the menu is a face over the commands and holds no logic of theirs. It
starts from the chosen config's values and passes only what the user changed; it
remembers the last run and checkpoint for the next question. Escape at a question goes
back to the question before, Ctrl-C or Ctrl-D back to the menu; Ctrl-C during a command
stops the command (a training run saves a checkpoint first) and comes back to the menu.

Entries: the forms of :mod:`.items` (train, resume, eval, compare, analyze, generate),
then every other command of ``neat`` -- core and plugin commands alike -- through the
form built from its parameters (:mod:`.generic`).
"""

from __future__ import annotations

import functools
import shlex
from typing import Callable

import click

from neat_core.api import NeatError
from neat_core.errors import EXIT_INTERRUPTED

from ..prompts import Cancelled, choose, console
from .generic import command_form
from .items import FORMS, Job, MenuState

# the tools, in this order, after the forms and the other commands
TOOLS_ORDER = ("config", "data", "backends", "plugins", "bench")
HELP = """\
Arrow keys (or the number) and Enter choose; at a question, Enter takes the value in
[brackets], typing replaces it and the right arrow brings it in to edit; Tab completes
paths and names, the up arrow recalls earlier answers, and a value is checked as you
type. Esc goes back one question, Ctrl-C or Ctrl-D back here; Ctrl-C during a command
stops it (training saves a checkpoint first). Each command is shown before it runs, so
you can type it yourself next time."""


def entries(root: click.Group) -> list[tuple[str, str, Callable[[MenuState], Job]]]:
    """(name, description, form) of every menu entry, in menu order."""
    ctx = click.Context(root, info_name="neat")
    out: list[tuple[str, str, Callable[[MenuState], Job]]] = []
    for name, (command_name, description, form) in FORMS.items():
        command = root.get_command(ctx, command_name)
        if command is not None:
            out.append((name, description, functools.partial(form, command)))
    taken = {command for command, _, _ in FORMS.values()} | {"menu"}
    commands = root.list_commands(ctx)  # the core's and the plugins'
    others = sorted(set(commands) - taken - set(TOOLS_ORDER))
    tools = [name for name in TOOLS_ORDER if name in commands]
    for name in [*others, *tools]:
        command = root.get_command(ctx, name)
        if command is None or name in taken or command.hidden:
            continue
        out.append((name, command.get_short_help_str(60),
                    functools.partial(command_form, root=root, name=name)))
    return out


def run_job(root: click.Group, args: list[str]) -> int:
    """Run ``neat ARGS`` in this process; its exit code (130 when Ctrl-C stopped it)."""
    try:
        code = root.main(args, prog_name="neat", standalone_mode=False)
    except click.ClickException as error:  # bad flags: shown, then back to the menu
        error.show()
        return error.exit_code
    except click.Abort:
        return 1
    except KeyboardInterrupt:
        console().print("interrupted", style="yellow")
        return EXIT_INTERRUPTED
    except SystemExit as error:  # errors raised while the command line was parsed
        return error.code if isinstance(error.code, int) else 1
    return code if isinstance(code, int) else 0


def run_menu(root: click.Group) -> None:
    """The menu loop, until the user quits (or presses Ctrl-D / Esc at the menu)."""
    out = console()
    state = MenuState()
    items = entries(root)
    forms = {name: form for name, _, form in items}
    width = max(len(name) for name, _, _ in items)
    options = [(name, f"{name:<{width}}  {description}") for name, description, _ in items]
    options += [("help", f"{'help':<{width}}  how the menu works"),
                ("quit", f"{'quit':<{width}}  leave (Ctrl-D, Esc)")]
    last = options[0][0]
    while True:
        out.rule("NEAT")
        context = [f"config: {state.config_file or 'built-in defaults'}"]
        if state.last_run:
            context.append(f"last run: {state.last_run}")
        out.print("  ·  ".join(context), style="dim")
        try:
            last = choose("What would you like to do?", options, default=last)
        except Cancelled:
            last = "quit"
        if last == "quit":
            out.print("bye")
            return
        if last == "help":
            out.print(HELP)
            continue
        try:
            job = forms[last](state)
        except Cancelled:
            out.print("cancelled; back to the menu", style="yellow")
            continue
        except NeatError as error:
            out.print(f"error: {error.one_line()}", style="red")
            continue
        out.print(f"$ neat {shlex.join(job.args)}", style="bold cyan")
        code = run_job(root, job.args)
        job.after(code)
        if code == EXIT_INTERRUPTED:  # the user's own Ctrl-C: not a failure
            out.print(f"stopped (exit code {code})", style="yellow")
        else:
            out.print("done" if code == 0 else f"(exit code {code})",
                      style="green" if code == 0 else "red")
