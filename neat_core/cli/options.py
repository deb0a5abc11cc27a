"""Config options shared by every command that reads a config.

``with_config(*paths)`` adds ``-c/--config``, ``--set KEY=VALUE`` and a dedicated flag
for each named schema field (booleans as ``--x/--no-x``), all read from the schema, and
passes the command a resolved config as ``resolved``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import click

from ..config import NeatConfig, Override, iter_fields, load_config, parse_assignments
from ..config.fields import FieldInfo

_FIELDS = {info.path: info for info in iter_fields(NeatConfig)}
ALL_FLAGS = tuple(path for path, info in _FIELDS.items() if info.flag)


def _param(path: str) -> str:
    return path.replace(".", "__")


def _flag_option(info: FieldInfo) -> Callable[[Callable], Callable]:
    if info.flag is None:
        raise ValueError(f"schema field {info.path} declares no flag")
    help_text = f"{info.help} [config: {info.path}]"
    if info.type is bool:
        name = info.flag.removeprefix("--")
        return click.option(f"--{name}/--no-{name}", _param(info.path), default=None,
                            help=help_text)
    return click.option(info.flag, _param(info.path), default=None, metavar="VALUE",
                        help=help_text)


def with_config(*flag_paths: str) -> Callable[[Callable], Callable]:
    """Decorate a command so it receives ``resolved`` (a ResolvedConfig)."""

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            path: Path | None = kwargs.pop("config_path")
            overrides = []
            for flag_path in flag_paths:
                value = kwargs.pop(_param(flag_path))
                if value is not None:
                    overrides.append(Override(flag_path, value, _FIELDS[flag_path].flag or "",
                                              raw=isinstance(value, str)))
            overrides += parse_assignments(kwargs.pop("assignments"))
            return command(resolved=load_config(path, overrides), **kwargs)

        options = [
            click.option("-c", "--config", "config_path", type=click.Path(path_type=Path),
                         help="Config file (JSON); legacy files are migrated in memory."),
            click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
                         help="Set any config key, e.g. --set training.max_steps=100 "
                              "(repeatable; lists as a,b,c)."),
            *(_flag_option(_FIELDS[p]) for p in flag_paths),
        ]
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate
