"""Entry-point module of the tui plugin: ``neat menu`` and the terminal front-end of the
interactive analysis (``neat analyze -i``).

Light on purpose: prompt_toolkit and rich load only when the menu or the loop starts.
"""

from __future__ import annotations

from typing import Any

from neat_core.api import hookimpl


def run_loop(session: Any, first_text: str | None) -> None:
    from .interactive import interactive_loop

    interactive_loop(session, first_text=first_text)


@hookimpl
def register_commands(cli: Any) -> None:
    from .menu_command import menu_command

    cli.add_command(menu_command)


@hookimpl
def register_interactive_frontends(register: Any) -> None:
    register("terminal", run_loop, default=True,
             description="a prompt with history, Tab completion and a status line; reads "
                         "lines from a pipe too")
