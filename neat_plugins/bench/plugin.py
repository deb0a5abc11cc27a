"""Entry-point module of the bench plugin: the ``neat bench`` command.

Light on purpose: torch is imported only when the command runs.
"""

from __future__ import annotations

from typing import Any

from neat_core.api import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from .command import bench_command

    cli.add_command(bench_command)
