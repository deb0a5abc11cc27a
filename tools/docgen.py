"""Generated reference files: docs/commands.md, docs/parameters.md, configs/neat.schema.json
and the marked regions of hand-written pages (the legacy-key table in docs/configs.md, the
example plugin's source in docs/plugins.md).

They are rendered from the Click tree and the attrs schema, never written by hand, and a
test fails when a committed copy is out of date. Regenerate them from the repository
root with::

    python tools/docgen.py            # rewrite the files
    python tools/docgen.py --check    # exit 1 if any file is out of date

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
from typing import Any, Callable, Iterator, Sequence

import click

from neat_core import plugins
from neat_core.config import ModelConfig, SectionNode, config_fields, schema_tree
from neat_core.files import atomic_write
from neat_core.registry import get_registry
from neat_core.settings.fields import FieldInfo, literal_choices, optional_inner, resolved_fields

REPO_ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python tools/docgen.py"
_CONFIG_TAG = re.compile(r"\s*\[config: ([\w.]+)\]$")
_UNSET = getattr(click.core, "UNSET", None)  # Click >= 8.3 marks "no default" with it


# --- built-in plugins only ------------------------------------------------------------

def builtin_plugin_names() -> list[str]:
    """Entry-point names in group ``neat`` that NEAT's own distribution declares."""
    own = set(md.packages_distributions().get("neat_core", []))
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
    from neat_core.cli import cli

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


def _field_rows(fields: Sequence[FieldInfo]) -> list[str]:
    rows = []
    for info in fields:
        kind, allowed = _allowed(info)
        default = "*required*" if info.required else _code(json.dumps(info.default))
        text = info.help + (f" **Note:** {info.notes}" if info.notes else "")
        rows.append([_code(info.path), kind, default, allowed, _flag(info), text])
    return _table(["Key", "Type", "Default", "Allowed", "Flag", "Description"], rows) + [""]


def _owner(node: SectionNode) -> str:
    if node.plugin is None or node.cls is None:
        return ""
    return (f" (plugin `{node.plugin}`, settings class "
            f"`{node.cls.__module__}.{node.cls.__qualname__}`)")


def _section_lines(node: SectionNode) -> list[str]:
    """A heading for ``node``, its own fields, then its sub-sections."""
    lines = [f"## {node.path}", "", f"{node.help}{_owner(node)}".strip(), ""]
    if node.fields:
        lines += _field_rows(node.fields)
    for child in node.children:
        if child.path != "model":
            lines += _section_lines(child)
    return lines


def _model_sections() -> list[str]:
    lines: list[str] = []
    for name, entry in sorted(get_registry().models.items()):
        node = schema_tree(name).child("model")
        assert node is not None and node.cls is not None
        inherited = {field.name for field in resolved_fields(ModelConfig)}
        lines += [f"### model: {name}", "",
                  f"{entry.description}{_owner(node)}", ""]
        lines += _field_rows([info for info in node.fields if info.name not in inherited
                              or info.name == "block_size"])
    return lines


def parameters_markdown() -> str:
    """docs/parameters.md: every config field with type, default, limits and help."""
    lines = _header("Parameter reference", "the config schema (neat_core/config/schema.py "
                                           "and the settings classes of the built-in plugins)")
    root = schema_tree()
    sections = [node for node in root.walk() if node.path]
    lines += ["Every key can be set in a config file (a JSON object with one object per "
              "section), with `--set KEY=VALUE` on any command that reads a config, or with "
              "the dedicated flag listed here. See [configs.md](configs.md) for files, "
              "`extends` and precedence. Sections marked with a plugin exist while that "
              "plugin is installed and loaded.", ""]
    lines += _table(["Section", "What it holds"],
                    [[f"[`{node.path}`](#{_anchor(node.path)})", node.help]
                     for node in sections])
    lines += ["", "## top level", ""]
    lines += _field_rows(root.fields)
    for child in root.children:
        if child.path == "model":
            lines += [f"## {child.path}", "", child.help, "",
                      "`model.name` selects the model plugin, and the model plugin's config "
                      "class decides which other keys the section has.", ""]
            lines += _field_rows([info for info in child.fields if info.name == "name"])
            lines += _model_sections()
        else:
            lines += _section_lines(child)
    return "\n".join(lines).rstrip() + "\n"


# --- configs/neat.schema.json ---------------------------------------------------------

def json_schema_text() -> str:
    from neat_core.config.json_schema import config_json_schema

    return json.dumps(config_json_schema(), indent=2) + "\n"


# --- generated regions of hand-written pages ------------------------------------------

def legacy_keys_markdown() -> str:
    """The table of what ``neat config migrate`` does with each key of the older tool
    (read from the ``formerly`` names of the schema's fields)."""
    from neat_core.config import migration

    rows = []
    for old, (info, former) in migration.former_names().items():
        if "." in old:
            continue  # an earlier NEAT path, not a key of the older tool
        change = migration.migrate({old: _legacy_example(info)}).changes[0]
        target = _code(info.path) if change.action != "dropped" else "dropped"
        rows.append([_code(old), target, former.note or change.reason])
    rows += [[_code(old), "dropped", why] for old, why in migration.DROPPED.items()]
    rows.append(["any other key", "dropped", migration.UNKNOWN_REASON])
    return "\n".join(_table(["Old key", "NEAT key", "Note"], rows)) + "\n"


def _legacy_example(info: FieldInfo) -> Any:
    """A value the old key could have held (for a conversion that depends on it)."""
    return True if info.type is bool or info.path == "backend.name" else info.default


def earlier_paths_markdown() -> str:
    """The table of keys that moved since schema version 1 (migrated automatically)."""
    from neat_core.config import migration

    rows = [[_code(old), _code(info.path), former.note]
            for old, (info, former) in migration.former_names().items() if "." in old]
    return "\n".join(_table(["Schema 1 key", "Now", "Note"], rows)) + "\n"


# --- the plugin API tables of docs/plugins.md -------------------------------------------

def _doc_text(text: str) -> str:
    """reST of a docstring as markdown: ``x`` and :role:`~a.b.x` become `x`."""
    text = re.sub(r":\w+:`~?(?:[\w.]+\.)?([\w]+)`", r"`\1`", text)
    return text.replace("``", "`")


def _summary(obj: Any) -> str:
    """The first paragraph of ``obj``'s docstring, on one line."""
    paragraph = inspect.cleandoc(obj.__doc__ or "").split("\n\n")[0]
    return _doc_text(" ".join(paragraph.split()))


def _signature(function: Callable[..., Any], name: str) -> str:
    """``name(a: T, ...) -> R`` with the annotations as written (no self)."""
    parts = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name == "self":
            continue
        text = parameter.name
        if parameter.kind is parameter.VAR_POSITIONAL:
            text = f"*{text}"
        elif parameter.kind is parameter.VAR_KEYWORD:
            text = f"**{text}"
        if parameter.annotation is not parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not parameter.empty:
            text += f" = {parameter.default!r}"
        parts.append(text)
    returns = inspect.signature(function).return_annotation
    tail = "" if returns is inspect.Signature.empty else f" -> {returns}"
    return f"{name}({', '.join(parts)}){tail}"


def _members(cls: type) -> list[str]:
    """What an object of contract ``cls`` must offer, as code spans."""
    import typing

    import attrs

    from neat_core.api import Backend

    if cls is Backend:  # a base class: what a subclass must set and implement
        required = [name for name, kind in vars(cls)["__annotations__"].items()
                    if "ClassVar" in str(kind) and name not in vars(cls)]
        return [*required, *(_signature(getattr(cls, name), name)
                             for name in sorted(cls.__abstractmethods__))]
    if typing.is_typeddict(cls):
        keys = list(cls.__annotations__)
        required = [key for key in keys if key in cls.__required_keys__]  # type: ignore[attr-defined]
        optional = [key for key in keys if key not in cls.__required_keys__]  # type: ignore[attr-defined]
        return [*required, f"optional: {', '.join(optional)}"] if optional else required
    if attrs.has(cls):
        return [f"{field.name}: {field.type}" for field in attrs.fields(cls)]
    own = vars(cls)
    members = [f"{name}: {kind}" for name, kind in own.get("__annotations__", {}).items()
               if not name.isupper()]
    for name, value in own.items():
        if callable(value) and (not name.startswith("_") or name == "__call__"):
            members.append(_signature(value, "model" if name == "__call__" else name))
    return members


def _contract_names() -> list[str]:
    """The contracts of ``neat_core.api``: what each kind's factories build, then the
    other types of :mod:`neat_core.contracts` it offers."""
    import neat_core.api as api
    from neat_core.registry import KINDS

    built = [kind.builds for kind in KINDS.values() if kind.builds in api.__all__]
    others = [name for name in api.__all__ if isinstance(getattr(api, name), type)
              and getattr(api, name).__module__ == "neat_core.contracts" and name not in built]
    return built + others


def _code_span(member: str) -> str:
    label, _, names = member.partition("optional: ")
    if label or not names:
        return f"`{member}`"
    return "optional: " + ", ".join(f"`{name}`" for name in names.split(", "))


def contracts_markdown() -> str:
    """The table of contracts: what returns or uses each, what it must offer, and the
    first paragraph of its docstring in ``neat_core.api``."""
    import neat_core.api as api
    from neat_core.registry import KINDS

    names = _contract_names()
    members = {name: _members(getattr(api, name)) for name in names}
    rows = []
    for name in names:
        kinds = [kind for kind in KINDS.values() if kind.builds == name]
        if kinds:
            where = "; ".join(f"`{kind.factory}` of `{kind.hook}`" for kind in kinds)
        else:  # used by the members of other contracts
            users = [f"{other}.{member.split('(')[0].split(':')[0]}"
                     for other in names if other != name for member in members[other]
                     if re.search(rf"\b{name}\b", member)]
            where = ", ".join(f"`{user}`" for user in users) or "—"
        rows.append([f"`{name}`", where, "; ".join(_code_span(m) for m in members[name]),
                     _summary(getattr(api, name))])
    return "\n".join(_table(["contract", "returned by / used in", "offers", "what it is"],
                            rows)) + "\n"


def register_options_markdown() -> str:
    """The table of what ``register`` takes per kind (``neat_core.registry.KINDS``)."""
    from neat_core.registry import KINDS

    rows = []
    for kind in KINDS.values():
        factory = (f"`{kind.factory}`" + (f" → {_doc_text(kind.builds)}" if kind.builds
                                          and " " in kind.builds else
                                          f" → `{kind.builds}`" if kind.builds else "")
                   if kind.factory else "none")
        options = "; ".join(f"`{name}`: {text}" for name, text in kind.options.items())
        rows.append([f"`{kind.hook}`", factory, kind.default or "—", options or "—"])
    return "\n".join(_table(["hook", "factory, called as → returns", "`default=True`",
                             "its own keywords"], rows)) + "\n"


EXAMPLE = "examples/neat-plugin-example"


def included_source(path: str) -> Callable[[], str]:
    """A region that shows a source file of the repository verbatim."""
    def render() -> str:
        text = (REPO_ROOT / path).read_text(encoding="utf-8")
        return f"[`{path}`](../{path}):\n\n```python\n{text}```\n"

    return render


REGIONS: dict[tuple[str, str], Callable[[], str]] = {
    ("docs/plugins.md", "register-options"): register_options_markdown,
    ("docs/plugins.md", "contracts"): contracts_markdown,
    ("docs/configs.md", "legacy-keys"): legacy_keys_markdown,
    ("docs/configs.md", "moved-keys"): earlier_paths_markdown,
    ("docs/plugins.md", "example-plugin"):
        included_source(f"{EXAMPLE}/neat_plugin_example/plugin.py"),
    ("docs/plugins.md", "example-config"):
        included_source(f"{EXAMPLE}/neat_plugin_example/config.py"),
    ("docs/plugins.md", "example-backend"):
        included_source(f"{EXAMPLE}/neat_plugin_example/backend.py"),
    ("docs/plugins.md", "example-evaluator"):
        included_source(f"{EXAMPLE}/neat_plugin_example/evaluator.py"),
    ("docs/plugins.md", "example-callback"):
        included_source(f"{EXAMPLE}/neat_plugin_example/callback.py"),
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
        atomic_write(REPO_ROOT / path, text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
