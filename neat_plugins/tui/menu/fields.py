"""The questions the menu asks: config values checked by the schema as they are typed,
config files, checkpoints and data sources with path completion.

A value the user leaves as the chosen config has it is not passed on: the command
line the menu shows holds only what the user changed.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import click

from neat_core.api import NeatError, Override, get_registry, load_config, to_dict
from neat_core.config import FieldInfo, config_fields
from neat_core.config.tree import flatten
from neat_core.settings.fields import list_item, literal_choices
from neat_core.training import RunDirectory

from ..prompts import (
    Check,
    ListCompleter,
    Unfinished,
    any_of,
    ask,
    choose,
    confirm,
    existing_path,
    path_completer,
    required,
)

# config keys whose values are names of registered plugins: (kind, extra choices)
NAME_KEYS = {"backend.name": ("backends", ("auto",)), "model.name": ("models", ()),
             "training.trainer": ("trainers", ())}
NAME_LIST_KEYS = {"eval.reports": "reports", "eval.evaluators": "evaluators",
                  "eval.analyzers": "evaluators"}
PATH_KEYS = ("run.output_dir", "data.cache_dir")


def field_info(path: str) -> FieldInfo:
    return next(info for info in config_fields() if info.path == path)


def shown(value: Any) -> str:
    """A config value as typed at a prompt (lists comma-separated, None as null)."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def check_setting(path: str, config_file: str | None) -> Check:
    """A check of a typed value of ``path`` by the schema: the rules and messages of
    ``--set``, on top of ``config_file``."""
    def check(text: str) -> str | None:
        try:
            load_config(config_file or None, [Override(path, text, "", raw=True)])
        except NeatError as error:
            return error.message
        return None

    return check


def ask_setting(path: str, label: str, config_file: str | None,
                check: Check | None = None, earlier: str | None = None) -> str | None:
    """The value typed for config key ``path`` (as text, the way a flag takes it), or
    None when the user kept the value ``config_file`` (or the defaults) has. ``earlier``:
    the answer given before (offered as the default)."""
    current = flatten(to_dict(load_config(config_file or None).config))[path]
    offered = current if earlier is None else earlier
    info = field_info(path)
    registry = get_registry()
    options: list[Any] | None = None
    if path in NAME_KEYS:
        kind, extra = NAME_KEYS[path]
        options = [*extra, *sorted(registry.kind(kind))]
    elif literal_choices(info.type) is not None:
        options = list(literal_choices(info.type) or ())
    if options is not None:
        by_text = {shown(o): o for o in options}
        value: Any = choose(f"{label}", [(o, str(o)) for o in options],
                            default=by_text.get(shown(offered)))
    elif info.type is bool:
        value = confirm(label, default=shown(offered) == shown(True))
    else:
        completer = (ListCompleter(registry.kind(NAME_LIST_KEYS[path]))
                     if path in NAME_LIST_KEYS else
                     path_completer(only_directories=True) if path in PATH_KEYS else None)
        checks = [check_setting(path, config_file), *([check] if check else [])]
        value = ask(label, default=shown(offered), check=any_of(*checks), completer=completer,
                    history_key=path)
        if list_item(info.type) is not None:
            value = ",".join(part.strip() for part in value.split(",") if part.strip())
    return None if shown(value) == shown(current) else shown(value)


def param_check(param: click.Parameter, ctx: click.Context | None = None) -> Check:
    """A check by the parameter's Click type (numbers, ranges, existing paths)."""
    def check(text: str) -> str | None:
        if not text:
            return None
        try:
            param.type.convert(text, param, ctx)
        except click.BadParameter as error:
            return error.format_message()
        return None

    return check


def option_check(command: click.Command, name: str) -> Check:
    """:func:`param_check` of the command's option ``name``."""
    return param_check(next(p for p in command.params if p.name == name))


BUILT_IN = "-"  # the answer that means the built-in defaults when a config is the default


def check_config_file(text: str) -> str | None:
    """A check: a config file that loads (a folder or the start of a name is
    Unfinished: the file is still to be typed or completed)."""
    if not text or text == BUILT_IN:
        return None
    path = Path(os.path.expanduser(text))
    if path.is_dir():
        return Unfinished(f"{text} is a directory: type or Tab to a config file in it")
    problem = existing_path(text)
    if problem:
        return problem
    try:
        load_config(path)
    except NeatError as error:
        return error.one_line()
    return None


def ask_config_file(default: str | None) -> str | None:
    """A config file (checked as it is typed), or None for the built-in defaults."""
    label = (f"Config file ({BUILT_IN}: the built-in defaults)" if default else
             "Config file (empty: the built-in defaults)")
    path = ask(label, default=default or "", check=check_config_file,
               completer=path_completer(), history_key="config")
    return os.path.expanduser(path) if path and path != BUILT_IN else None


def check_checkpoint(text: str) -> str | None:
    """A check: a checkpoint directory or a run directory with checkpoints (or
    nothing)."""
    from neat_core.api import resolve_checkpoint
    from neat_core.checkpoint import META_FILE

    problem = existing_path(text)
    if problem or not text:
        return problem
    try:
        found = resolve_checkpoint(os.path.expanduser(text))
    except NeatError as error:
        return error.message
    if not (found / META_FILE).is_file():
        return f"{text} is neither a checkpoint nor a run directory with checkpoints"
    return None


def ask_checkpoint(label: str, default: str) -> str:
    return os.path.expanduser(ask(label, default=default,
                                  check=any_of(required, check_checkpoint),
                                  completer=path_completer(), history_key="checkpoint"))


def check_source(text: str) -> str | None:
    """A check of a data source: an existing path, a glob, or ``kind:spec``."""
    if not text or glob.has_magic(text) or (":" in text and not os.path.exists(text)):
        return None
    return existing_path(os.path.expanduser(text))


def ask_sources(label: str, *, at_least: int = 0, check: Check = check_source) -> list[str]:
    """Paths one per prompt (spaces and quotes are part of a path), until an empty
    answer once ``at_least`` are given."""
    sources: list[str] = []
    while True:
        more = len(sources) >= at_least
        suffix = " (empty: done)" if more and sources else ""
        text = ask(f"{label}{suffix}", check=check if more else any_of(required, check),
                   completer=path_completer(), history_key=label)
        if not text:
            return sources
        sources.append(os.path.expanduser(text))


def free_run_dir(text: str) -> str | None:
    """A check: the output directory of a new run holds no run yet."""
    if text and RunDirectory(os.path.expanduser(text)).checkpoints():
        return (f"{text} already holds a run: type another directory, or go back (Esc) "
                f"and choose resume")
    return None


def run_with_checkpoints(text: str) -> str | None:
    problem = any_of(required, existing_path)(text)
    if problem:
        return problem
    if not RunDirectory(os.path.expanduser(text)).checkpoints():
        return f"{text} holds no checkpoints to resume"
    return None


def has_run(path: str | None) -> bool:
    return bool(path) and bool(RunDirectory(Path(path or "")).checkpoints())
