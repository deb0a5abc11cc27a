"""Commands that read a config: ``-c/--config``, ``--set KEY=VALUE`` and schema flags.

The kit for every command that runs with settings, the core's and the plugins' alike
(``register_commands``).

A command declared with ``@click.command(..., cls=ConfigCommand, flags=(paths...))``
offers a dedicated flag for each named schema field (booleans as ``--x/--no-x``) and,
from installed plugins, every field declared with ``setting(flag=..., commands=(name,))``
for this command's name; it receives the resolved config as ``resolved``. Plugin flags
are added when the command is used, so they follow the installed plugins.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import click

from .plugins import generation
from .settings.fields import FieldInfo

ALL = "*"  # as a flag path: every schema field that has a flag


def _flag_option(info: FieldInfo, param: str) -> click.Option:
    assert info.flag is not None
    help_text = f"{info.help} [config: {info.path}]"
    if info.type is bool:
        name = info.flag.removeprefix("--")
        return click.Option([f"--{name}/--no-{name}", param], default=None, help=help_text)
    return click.Option([info.flag, param], default=None, metavar="VALUE", help=help_text)


class ConfigCommand(click.Command):
    """A command that receives ``resolved``: defaults < ``-c`` file < flags and ``--set``."""

    def __init__(self, *args: Any, flags: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flag_paths = tuple(flags)
        self.params += [
            click.Option(["-c", "--config", "config_path"], type=click.Path(path_type=Path),
                         help="Config file (JSON); older and legacy files are migrated in "
                              "memory."),
            click.Option(["--set", "assignments"], multiple=True, metavar="KEY=VALUE",
                         help="Set any config key, e.g. --set training.max_steps=100 "
                              "(repeatable; lists as a,b,c)."),
            click.Option(["-q", "--quiet"], is_flag=True,
                         help="Only errors; no progress bars (as `neat -q`)."),
        ]
        self._flags: dict[str, FieldInfo] = {}  # param name -> field
        self._generation = -1

    def _refresh_flags(self) -> None:
        """(Re)build the flag options for the plugins loaded now."""
        from .config import config_fields  # the config machinery loads when a command runs

        if self._generation == generation():
            return
        self._generation = generation()
        self.params = [p for p in self.params if p.name not in self._flags]
        every = ALL in self.flag_paths
        fields = [info for info in config_fields() if info.flag is not None and
                  (every or info.path in self.flag_paths or self.name in info.commands)]
        self._flags = {f"flag__{index}": info for index, info in enumerate(fields)}
        self.params += [_flag_option(info, param) for param, info in self._flags.items()]

    def schema_flags(self) -> dict[str, FieldInfo]:
        """The schema field behind each flag option, by parameter name."""
        self._refresh_flags()
        return dict(self._flags)

    def flag_for(self, path: str) -> str | None:
        """The flag this command offers for config key ``path``, if any."""
        return next((info.flag for info in self.schema_flags().values() if info.path == path),
                    None)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        self._refresh_flags()
        return super().get_params(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        from .config import Override, load_config, parse_assignments

        params = ctx.params
        if params.pop("quiet", False):  # for every context of this run, root included
            root = ctx.find_root()
            root.obj = root.obj if isinstance(root.obj, dict) else {}
            root.obj["quiet"] = True
            ctx.obj = root.obj
            quiet_console()
        overrides = [Override(info.path, params[param], info.flag or "", raw=isinstance(
                         params[param], str))
                     for param, info in self._flags.items() if params.get(param) is not None]
        overrides += parse_assignments(params.pop("assignments", ()))
        path = params.pop("config_path", None)
        for param in self._flags:
            params.pop(param, None)
        params["resolved"] = load_config(path, overrides)
        return super().invoke(ctx)


def quiet_console() -> None:
    """Only errors on stderr from now on (``-q`` given after the command name)."""
    for handler in logging.getLogger("neat").handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(logging.ERROR)


def config_command(name: str, *flags: str, **kwargs: Any) -> Any:
    """``click.command(name, cls=ConfigCommand, flags=flags, ...)``; ``ALL`` as a flag
    path offers every schema flag."""
    return click.command(name, cls=ConfigCommand, flags=flags, **kwargs)
