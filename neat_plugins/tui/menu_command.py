"""``neat menu``: choose instead of type (see :mod:`neat_core.menu`; the prompt library
loads only when the menu starts)."""

from __future__ import annotations

import sys

import click

from neat_core.api import UsageError


@click.command("menu")
@click.pass_context
def menu_command(ctx: click.Context) -> None:
    """An interactive menu over every command: train, resume, eval, compare, analyze,
    generate, patch, config, data, backends, plugins, bench (arrow keys, Tab, Esc to go
    back one question)."""
    if not sys.stdin.isatty():
        raise UsageError("neat menu needs a terminal to read keys from",
                         hint="run the commands directly (`neat --help` lists them)")
    from .menu import run_menu

    run_menu(ctx.find_root().command)  # type: ignore[arg-type]
