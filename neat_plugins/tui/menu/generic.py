"""A menu form for any Click command, built from its parameters: how every command
without a form of its own (``config``, ``data``, ``backends``, ``plugins``, ``bench``,
and every command a plugin registers, e.g. ``patch``) appears in the menu.

A group asks for its subcommand; arguments are asked in order (paths completed);
options are offered in a list beside "run", each asked with the check its type implies
(a schema flag by the schema, a choice from its choices; Esc at it goes back to the
list), until the user runs the command.
"""

from __future__ import annotations

import os
import shlex

import click

from neat_core.api import NeatError, load_config
from neat_core.config import parse_assignments

from ..prompts import Back, Completer, any_of, ask, choose, path_completer, required
from .fields import ask_config_file, ask_setting, check_checkpoint, param_check
from .items import Job, MenuState, remember_checkpoint


def _is_checkpoint(param: click.Parameter) -> bool:
    return "checkpoint" in (param.name or "")


def _completer(param: click.Parameter) -> Completer | None:
    if isinstance(param.type, click.Path) or isinstance(param, click.Argument):
        return path_completer()
    return None


def ask_argument(param: click.Argument, ctx: click.Context, state: MenuState) -> list[str]:
    label = param.human_readable_name
    checks = [param_check(param, ctx)]
    if _is_checkpoint(param):
        checks.append(check_checkpoint)
    if param.nargs == -1:
        values: list[str] = []
        while True:
            more = " (empty: done)" if values or not param.required else ""
            text = ask(f"{label}{more}", check=any_of(*checks) if values or not param.required
                       else any_of(required, *checks), completer=_completer(param),
                       history_key=label)
            if not text:
                return values
            values.append(os.path.expanduser(text))
    default = state.checkpoint_default() if _is_checkpoint(param) else ""
    if not param.required and param.default is not None:
        label = f"{label} (empty: {param.default})"
    text = ask(label, default=default, completer=_completer(param), history_key=label,
               check=any_of(required, *checks) if param.required else any_of(*checks))
    return [os.path.expanduser(text)] if text else []


def _option_name(option: click.Option) -> str:
    return max(option.opts, key=len)


def ask_option(option: click.Option, command: click.Command, ctx: click.Context
               ) -> list[str]:
    """The arguments for one option (empty: leave it unset)."""
    from neat_core.api import ConfigCommand

    name = _option_name(option)
    fields = command.schema_flags() if isinstance(command, ConfigCommand) else {}
    if option.name in fields:
        value = ask_setting(fields[option.name].path, name, None)
        if value is None:
            return []
        if option.is_bool_flag:  # a schema boolean: --x/--no-x
            on, off = option.opts[0], option.secondary_opts[0]
            return [on if value == "True" else off]
        return [name, value]
    if option.name == "config_path":
        path = ask_config_file(None)
        return [name, path] if path else []
    if option.name == "assignments":
        text = ask("KEY=VALUE (as --set)", check=_check_assignment, history_key="--set")
        return [name, text] if text else []
    if option.is_flag:
        return [name] if choose(name, [(True, "on"), (False, "off")], default=False) else []
    if isinstance(option.type, click.Choice):
        options = [(str(c), str(c)) for c in option.type.choices]
        return [name, choose(name, options, default=str(option.default))]
    text = ask(name, completer=_completer(option), check=param_check(option, ctx),
               history_key=name)
    return [name, os.path.expanduser(text)] if text else []


def _check_assignment(text: str) -> str | None:
    if not text:
        return None
    try:
        load_config(None, parse_assignments([text]))
    except NeatError as error:
        return error.message
    return None


def command_form(state: MenuState, root: click.Group, name: str) -> Job:
    """Ask for a command's subcommand, arguments and options; the command line."""
    ctx = click.Context(root, info_name="neat")
    command = root.get_command(ctx, name)
    assert command is not None
    path = [name]
    while isinstance(command, click.Group):
        sub = choose(f"neat {' '.join(path)}", [
            (sub_name, f"{sub_name:<10} {sub.get_short_help_str(70)}")
            for sub_name, sub in sorted(command.commands.items()) if not sub.hidden])
        path.append(sub)
        command = command.commands[sub]
    sub_ctx = click.Context(command, info_name=path[-1], parent=ctx)
    params = [p for p in command.get_params(sub_ctx)
              if not getattr(p, "hidden", False) and "--help" not in p.opts]
    args: list[str] = []
    checkpoint: str | None = None
    for param in params:
        if isinstance(param, click.Argument):
            values = ask_argument(param, sub_ctx, state)
            if _is_checkpoint(param) and values:
                checkpoint = values[0]
            args += values
    chosen: dict[str, list[str]] = {}
    options = [p for p in params if isinstance(p, click.Option)]
    while options:
        line = shlex.join([*path, *args, *(a for v in chosen.values() for a in v)])
        pick = choose(f"$ neat {line}", [
            ("", "run it"),
            *((o.name or "", f"{_option_name(o):<20} {_summary(o, chosen)}") for o in options)],
            default="")
        if not pick:
            break
        option = next(o for o in options if o.name == pick)
        try:
            chosen[pick] = ask_option(option, command, sub_ctx)
        except Back:  # back to the list of options
            continue
    return Job([*path, *args, *(a for v in chosen.values() for a in v)],
               after=remember_checkpoint(state, checkpoint))


def _summary(option: click.Option, chosen: dict[str, list[str]]) -> str:
    values = chosen.get(option.name or "")
    if values:
        return "= " + " ".join(values[1:] or values)
    help_text = " ".join((option.help or "").split())
    return help_text[:60] + ("…" if len(help_text) > 60 else "")
