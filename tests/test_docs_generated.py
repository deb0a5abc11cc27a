"""Generated pages are current: docs/commands.md, docs/parameters.md, the JSON Schema and
the marked regions of hand-written pages equal a fresh ``python tools/docgen.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

import neat_core
from tools import docgen

from .plugin_dists import install, make_distribution

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return docgen.render_all()


GENERATED_PATHS = sorted({*docgen.GENERATED, *(path for path, _ in docgen.REGIONS)})


@pytest.mark.parametrize("path", GENERATED_PATHS)
def test_generated_file_is_current(path, rendered):
    committed = (REPO / path).read_text(encoding="utf-8")
    assert committed == rendered[path], f"{path} is out of date: run python tools/docgen.py"


def test_check_mode_reports_a_stale_page(tmp_path, rendered):
    for path, text in rendered.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    assert docgen.stale_files(tmp_path) == []
    (tmp_path / "docs/commands.md").write_text("edited by hand\n", encoding="utf-8")
    assert docgen.stale_files(tmp_path) == ["docs/commands.md"]


def test_commands_page_lists_every_command_and_option(rendered):
    from click import Argument, Context, Group, Option

    from neat_core.cli import cli

    page = rendered["docs/commands.md"]

    def walk(command, ctx):
        assert f"## {ctx.command_path}\n" in page
        help_option = command.get_help_option(ctx)
        for param in command.get_params(ctx):
            if isinstance(param, Option) and param is not help_option and not param.hidden:
                assert all(f"`{opt}`" in page for opt in param.opts), (ctx.command_path, param)
            elif isinstance(param, Argument):
                metavar = param.make_metavar(ctx).replace("|", "\\|")  # escaped in tables
                assert f"`{metavar}`" in page, (ctx.command_path, param)
        if isinstance(command, Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if not sub.hidden:
                    walk(sub, Context(sub, info_name=name, parent=ctx))

    with docgen.builtin_plugins_only():
        walk(cli, Context(cli, info_name="neat"))


def test_parameters_page_lists_every_field_with_its_default(rendered):
    """Each model's own fields in its section (``### model: NAME``); its sub-sections
    (e.g. the BLT's model.entropy, the fields of another model) are not repeated."""
    import json

    from neat_core.config import config_fields

    page = rendered["docs/parameters.md"]
    with docgen.builtin_plugins_only():
        models = sorted(neat_core.get_registry().models)
        fields = {name: config_fields(name) for name in models}
    for name in models:
        section = page.split(f"### model: {name}\n", 1)[1].split("\n## ", 1)[0]
        section = section.split("\n### ", 1)[0]
        for info in fields[name]:
            if info.path.startswith("model.") and info.section != "model":
                continue
            where = section if info.section == "model" and info.name != "name" else page
            row = next((line for line in where.splitlines()
                        if line.startswith(f"| `{info.path}` |")), None)
            assert row is not None, (name, info.path)
            assert info.required or info.name == "name" or \
                f"`{json.dumps(info.default)}`" in row, (name, info.path)


THIRD_PARTY = """
import attrs
import click
from neat_core import hookimpl
from neat_core.config import ModelConfig

@attrs.frozen(kw_only=True)
class ExtraConfig(ModelConfig):
    pass

@hookimpl
def register_models(register):
    register("extra-model", object, config_class=ExtraConfig)

@hookimpl
def register_commands(cli):
    cli.add_command(click.Command("extra-command"))
"""


def test_installed_third_party_plugins_do_not_change_the_pages(rendered, tmp_path, monkeypatch,
                                                               run_cli):
    """A plugin installed next to NEAT must not make the committed pages look stale."""
    root = make_distribution(tmp_path / "site", "neat-thirdparty-docs",
                             {"neat_thirdparty_docs": THIRD_PARTY},
                             {"docs-extra": "neat_thirdparty_docs"})
    install(monkeypatch, root)
    assert "extra-command" in run_cli("--help").output  # it is really installed
    assert docgen.render_all() == rendered
