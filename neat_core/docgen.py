"""Generated reference files: docs/commands.md, docs/parameters.md, configs/neat.schema.json
and the marked regions of hand-written pages (the legacy-key table in docs/configs.md, the
example plugin's source in docs/plugins.md).

They are rendered from the Click tree and the attrs schema, never written by hand, and a
test fails when a committed copy is out of date. Regenerate them from the repository
root with::

    python -m neat_core.docgen            # rewrite the files
    python -m neat_core.docgen --check    # exit 1 if any file is out of date

Only NEAT's own (built-in) plugins are documented, so third-party plugins installed in
the same environment do not change the pages.
"""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import inspect
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from . import plugins
from .config import ModelConfig, NeatConfig, config_fields, iter_fields
from .config.fields import (FieldInfo, is_section, literal_choices, optional_inner,
                            resolved_fields)
from .registry import get_registry

REPO_ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python -m neat_core.docgen"
_CONFIG_TAG = re.compile(r"\s*\[config: ([\w.]+)\]$")
_UNSET = getattr(click.core, "UNSET", None)  # Click >= 8.3 marks "no default" with it


# --- built-in plugins only ------------------------------------------------------------

def builtin_plugin_names() -> list[str]:
    """Entry-point names in group ``neat`` that NEAT's own distribution declares."""
    own = set(md.packages_distributions().get(__package__, []))
    return sorted({ep.name for ep in md.entry_points(group=plugins.ENTRY_POINT_GROUP)
                   if ep.dist is not None and ep.dist.name in own})


@contextlib.contextmanager
def builtin_plugins_only() -> Iterator[None]:
    """Load only the built-in plugins for the block; restore the environment after."""
    saved = {name: os.environ.get(name)
             for name in (plugins.ENV_ALLOW, plugins.ENV_BLOCK, plugins.ENV_STRICT)}
    os.environ[plugins.ENV_ALLOW] = ",".join(builtin_plugin_names())
    os.environ.pop(plugins.ENV_BLOCK, None)
    os.environ[plugins.ENV_STRICT] = "1"  # a broken built-in must not vanish from the docs
    plugins.reset_plugins()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        plugins.reset_plugins()


# --- markdown helpers -----------------------------------------------------------------

def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _code(value: Any) -> str:
    return f"`{value}`"


def _header(title: str, source: str) -> list[str]:
    return [f"# {title}", "",
            f"<!-- Generated from {source} by `{REGENERATE}`; do not edit by hand. -->", ""]


# --- docs/commands.md -----------------------------------------------------------------

def _walk(command: click.Command, ctx: click.Context) -> Iterator[click.Context]:
    yield ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, click.Context(sub, info_name=name, parent=ctx))


def _option_kind(param: click.Parameter, ctx: click.Context) -> str:
    if isinstance(param, click.Option) and param.count:
        return "count"
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    if isinstance(param.type, click.Choice):
        return " \\| ".join(str(choice) for choice in param.type.choices)
    kind = param.metavar or param.make_metavar(ctx)
    return f"{kind} (repeatable)" if param.multiple else kind


def _default(param: click.Parameter, ctx: click.Context) -> str:
    default = param.get_default(ctx, call=False)
    if callable(default):
        return "(computed)"
    if default is None or default is False or default is _UNSET or default in ((), []):
        return ""
    if isinstance(param, click.Option) and param.count and default == 0:
        return ""
    return _code(default)


def _option_help(param: click.Option, defaults: dict[str, Any]) -> str:
    help_text = param.help or ""
    match = _CONFIG_TAG.search(help_text)
    if match:  # a schema flag: without it the value comes from the config
        path = match.group(1)
        help_text = (f"{help_text[:match.start()]} Sets `{path}` (schema default "
                     f"`{json.dumps(defaults[path])}`).")
    return help_text


def _help_text(text: str) -> str:
    """A command's help as Click shows it: dedented, cut at \\f, no \\b markers."""
    text = inspect.cleandoc(text.split("\f")[0])
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b")


def _command_section(ctx: click.Context, defaults: dict[str, Any]) -> list[str]:
    command = ctx.command
    path = ctx.command_path
    lines = [f"## {path}", "", "```", f"{path} {' '.join(command.collect_usage_pieces(ctx))}",
             "```", ""]
    if command.help:
        lines += [_help_text(command.help), ""]
    params = command.get_params(ctx)
    arguments = [p for p in params if isinstance(p, click.Argument)]
    help_option = command.get_help_option(ctx)
    options = [p for p in params
               if isinstance(p, click.Option) and not p.hidden and p is not help_option]
    if arguments:
        rows = [[_code(p.make_metavar(ctx)), "yes" if p.required else "no", _default(p, ctx)]
                for p in arguments]
        lines += _table(["Argument", "Required", "Default"], rows) + [""]
    if options:
        rows = [[", ".join(_code(o) for o in [*p.opts, *p.secondary_opts]),
                 _option_kind(p, ctx), _default(p, ctx), _option_help(p, defaults)]
                for p in options]
        lines += _table(["Option", "Value", "Default", "Description"], rows) + [""]
    if isinstance(command, click.Group):
        rows = [[f"[{sub.command_path}](#{_anchor(sub.command_path)})",
                 sub.command.get_short_help_str(limit=200)]
                for sub in _walk(command, ctx) if sub.parent is ctx]
        lines += _table(["Command", "Summary"], rows) + [""]
    return lines


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, spaces to dashes, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def commands_markdown() -> str:
    """docs/commands.md: every command, argument and option of ``neat``."""
    from .cli import cli

    root = click.Context(cli, info_name="neat")
    lines = _header("Command reference", "the Click commands of NEAT and its built-in plugins")
    lines += ["Options whose description ends in *Sets `KEY`* are shortcuts for "
              "`--set KEY=VALUE`; without them the value comes from the config file, else "
              "the schema default (see [parameters.md](parameters.md) for every key and "
              "[configs.md](configs.md) for precedence). Every command that reads a config "
              "accepts `-c/--config FILE` and any number of `--set KEY=VALUE`.", "",
              "Every command also accepts `-h/--help`. Exit codes: 0 success, 1 failure "
              "while running, 2 bad usage or bad input, 130 interrupted.", ""]
    defaults = {info.path: info.default for info in config_fields()}
    for ctx in _walk(cli, root):
        lines += _command_section(ctx, defaults)
    return "\n".join(lines).rstrip() + "\n"


# --- docs/parameters.md ---------------------------------------------------------------

def _sections(cls: type, prefix: str = "") -> Iterator[tuple[str, str, type]]:
    """(dotted path, help, class) of every section below ``cls``, depth first."""
    for attribute in resolved_fields(cls):
        if is_section(attribute):
            path = f"{prefix}{attribute.name}"
            yield path, attribute.metadata.get("help", ""), attribute.type
            yield from _sections(attribute.type, path + ".")


def _own_fields(cls: type, prefix: str, inherited_from: type | None = None) -> list[FieldInfo]:
    """The leaf fields declared directly in a section (not in its sub-sections).

    Fields that ``cls`` inherits from ``inherited_from`` are left out.
    """
    section = prefix.rstrip(".")
    skip = {a.name for a in resolved_fields(inherited_from)} if inherited_from else set()
    return [info for info in iter_fields(cls, prefix)
            if info.section == section and info.name not in skip]


def _allowed(info: FieldInfo) -> tuple[str, str]:
    """(type, allowed values) for the table: choices move to the allowed column."""
    inner = optional_inner(info.type)
    choices = literal_choices(inner if inner is not None else info.type)
    if choices is None:
        return info.type_name(), info.range_text()
    allowed = ", ".join(_code(json.dumps(choice)) for choice in choices)
    return "string or null" if inner is not None else "string", allowed


def _flag(info: FieldInfo) -> str:
    if info.flag is None:
        return ""
    if info.type is bool:
        return f"`{info.flag}`, `--no-{info.flag.removeprefix('--')}`"
    return _code(info.flag)


def _field_rows(fields: list[FieldInfo]) -> list[str]:
    rows = []
    for info in fields:
        kind, allowed = _allowed(info)
        default = "*required*" if info.required else _code(json.dumps(info.default))
        text = info.help + (f" **Note:** {info.notes}" if info.notes else "")
        rows.append([_code(info.path), kind, default, allowed, _flag(info), text])
    return _table(["Key", "Type", "Default", "Allowed", "Flag", "Description"], rows) + [""]


def _model_sections() -> list[str]:
    lines: list[str] = []
    for name, entry in sorted(get_registry().models.items()):
        config_class = entry.config_class
        lines += [f"### model: {name}", "",
                  f"{entry.description} (plugin `{entry.plugin}`, config class "
                  f"`{config_class.__module__}.{config_class.__qualname__}`)", ""]
        lines += _field_rows(_own_fields(config_class, "model.", inherited_from=ModelConfig))
    return lines


def parameters_markdown() -> str:
    """docs/parameters.md: every config field with type, default, limits and help."""
    lines = _header("Parameter reference", "the config schema (neat_core/config/schema.py "
                                           "and the built-in model plugins)")
    sections = list(_sections(NeatConfig))
    lines += ["Every key can be set in a config file (a JSON object with one object per "
              "section), with `--set KEY=VALUE` on any command that reads a config, or with "
              "the dedicated flag listed here. See [configs.md](configs.md) for files, "
              "`extends` and precedence.", ""]
    lines += _table(["Section", "What it holds"],
                    [[f"[`{path}`](#{_anchor(path)})", text] for path, text, _ in sections])
    lines += ["", "## top level", ""]
    lines += _field_rows(_own_fields(NeatConfig, ""))
    for path, text, cls in sections:
        lines += [f"## {path}", "", text, ""]
        if path == "model":
            lines += ["`model.name` selects the model plugin, and the model plugin's config "
                      "class decides which other keys the section has.", ""]
            lines += _field_rows(_own_fields(cls, "model.")) + _model_sections()
        else:
            lines += _field_rows(_own_fields(cls, path + "."))
    return "\n".join(lines).rstrip() + "\n"


# --- configs/neat.schema.json ---------------------------------------------------------

def json_schema_text() -> str:
    from .config.json_schema import config_json_schema

    return json.dumps(config_json_schema(), indent=2) + "\n"


# --- generated regions of hand-written pages ------------------------------------------

def legacy_keys_markdown() -> str:
    """The table of what ``neat config migrate`` does with each key of the older tool."""
    from .config import legacy

    rows = [[_code(old), _code(new), note] for old, (new, _, note) in legacy.RENAMES.items()]
    for value in (True, False):  # force_cpu depends on its value
        change = legacy.migrate({"force_cpu": value}).changes[0]
        target = f"`{change.new_key} = {json.dumps(change.new_value)}`" if change.new_key \
            else "dropped"
        rows.append([f"`force_cpu` = `{json.dumps(value)}`", target, change.reason])
    rows += [[_code(old), "dropped", why] for old, why in legacy.DROPPED.items()]
    other = legacy.migrate({"any_other_key": 0}).changes[0]
    rows.append(["any other key", "dropped", other.reason])
    return "\n".join(_table(["Old key", "NEAT key", "Note"], rows)) + "\n"


EXAMPLE = "examples/neat-plugin-example"


def included_source(path: str) -> Callable[[], str]:
    """A region that shows a source file of the repository verbatim."""
    def render() -> str:
        text = (REPO_ROOT / path).read_text(encoding="utf-8")
        return f"[`{path}`](../{path}):\n\n```python\n{text}```\n"

    return render


REGIONS: dict[tuple[str, str], Callable[[], str]] = {
    ("docs/configs.md", "legacy-keys"): legacy_keys_markdown,
    ("docs/plugins.md", "example-plugin"):
        included_source(f"{EXAMPLE}/neat_plugin_example/plugin.py"),
    ("docs/plugins.md", "example-config"):
        included_source(f"{EXAMPLE}/neat_plugin_example/config.py"),
    ("docs/plugins.md", "example-tests"):
        included_source(f"{EXAMPLE}/tests/test_example_plugin.py"),
}


def _fill_region(text: str, path: str, name: str, content: str) -> str:
    begin = f"<!-- BEGIN GENERATED {name} by `{REGENERATE}` -->\n"
    end = f"<!-- END GENERATED {name} -->"
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{path}: missing the markers {begin.strip()} ... {end}")
    return text[:start + len(begin)] + content + text[stop:]


GENERATED: dict[str, Callable[[], str]] = {
    "docs/commands.md": commands_markdown,
    "docs/parameters.md": parameters_markdown,
    "configs/neat.schema.json": json_schema_text,
}


def render_all(root: Path = REPO_ROOT) -> dict[str, str]:
    """Relative path -> the text that file must have, rendered with built-ins only.

    Whole files in ``GENERATED``; for ``REGIONS`` the committed hand-written page with
    its marked regions regenerated.
    """
    with builtin_plugins_only():
        pages = {path: render() for path, render in GENERATED.items()}
        for (path, name), render in REGIONS.items():
            text = pages.get(path) or (root / path).read_text(encoding="utf-8")
            pages[path] = _fill_region(text, path, name, render())
    return pages


def stale_files(root: Path = REPO_ROOT) -> list[str]:
    """Generated files whose committed text differs from a fresh rendering."""
    return [path for path, text in render_all(root).items()
            if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print(f"usage: {REGENERATE} [--check]", file=sys.stderr)
        return 2
    if args == ["--check"]:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {path} (regenerate with: {REGENERATE})", file=sys.stderr)
        return 1 if stale else 0
    for path, text in render_all().items():
        target = REPO_ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
