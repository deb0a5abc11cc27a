"""Deprecated since 0.2: the command kit moved to :mod:`neat_core.commands`; import it from
:mod:`neat_core.api` (see CHANGELOG.md)."""

from .._deprecated import forward

forward(__name__, {"ConfigCommand": "neat_core.api", "config_command": "neat_core.api",
                   "ALL": "neat_core.commands", "quiet_console": "neat_core.commands"})
