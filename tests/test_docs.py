"""Documentation that is correct because it is generated or tested.

- generated pages (docs/commands.md, docs/parameters.md, configs/neat.schema.json and the
  marked regions of hand-written pages) equal a fresh rendering;
- every ``console`` example in docs/configs.md runs and prints what the page shows;
- every hook in hookspecs.py has a docstring, is documented in docs/plugins.md with its
  exact signature, and is named in a test.
"""

from __future__ import annotations

import inspect
import re
import shlex
import shutil
from pathlib import Path

import pytest

from neat_core import docgen, hookspecs

from .plugin_dists import install, make_distribution

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PLACEHOLDER_ROOT = "/path/to/neat"  # how the docs write the directory a command ran in


# --- generated pages ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return docgen.render_all()


GENERATED_PATHS = sorted({*docgen.GENERATED, *(path for path, _ in docgen.REGIONS)})


@pytest.mark.parametrize("path", GENERATED_PATHS)
def test_generated_file_is_current(path, rendered):
    committed = (REPO / path).read_text(encoding="utf-8")
    assert committed == rendered[path], f"{path} is out of date: run python -m neat_core.docgen"


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
    import json

    from neat_core.config import config_fields

    page = rendered["docs/parameters.md"]
    with docgen.builtin_plugins_only():
        fields = config_fields()
    for info in fields:
        row = next((line for line in page.splitlines() if line.startswith(f"| `{info.path}` |")),
                   None)
        assert row is not None, info.path
        assert info.required or f"`{json.dumps(info.default)}`" in row


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


# --- console examples in hand-written pages ----------------------------------------------

CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", re.S)


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$ command`` in console blocks."""
    examples = []
    for block in CONSOLE_BLOCK.findall(text):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *output = chunk.rstrip("\n").split("\n")
            examples.append((command, output))
    return examples


def matches(expected: list[str], actual: list[str]) -> bool:
    """Equal lines; a line ``...`` in ``expected`` stands for any number of lines."""
    if "..." not in expected:
        return expected == actual
    position = 0
    for line in expected:
        if line == "...":
            continue
        try:
            position = actual.index(line, position) + 1
        except ValueError:
            return False
    return True


@pytest.mark.parametrize("page", ["configs.md"])
def test_console_examples_print_what_the_page_shows(page, tmp_path, monkeypatch, run_cli):
    text = (DOCS / page).read_text(encoding="utf-8")
    shutil.copytree(REPO / "configs", tmp_path / "configs")
    for name, content in FILE_BLOCK.findall(text):
        (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    examples = console_examples(text)
    assert examples, f"{page} has no console examples"
    for command, expected in examples:
        argv = shlex.split(command)
        assert argv[0] == "neat", command
        result = run_cli(*argv[1:])
        actual = [line.rstrip().replace(str(tmp_path), PLACEHOLDER_ROOT)
                  for line in result.output.rstrip("\n").split("\n")]
        failed = any(line.startswith("error:") for line in expected)
        assert (result.exit_code != 0) == failed, (command, result.output)
        assert matches([line.rstrip() for line in expected], actual), \
            f"{page}: `{command}` printed:\n{result.output}"


# --- hooks: documented, with their exact signatures, and tested --------------------------

def hook_specs() -> dict[str, object]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {name: func for name, func in vars(hookspecs).items()
            if callable(func) and hasattr(func, marker)}


def signature_text(name: str, func: object) -> str:
    """``name(param: Annotation, ...) -> Return`` as written in the source."""
    signature = inspect.signature(func)
    params = []
    for param in signature.parameters.values():
        text = param.name
        if param.annotation is not inspect.Parameter.empty:
            text += f": {param.annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    return f"{name}({', '.join(params)}) -> {signature.return_annotation}"


DOCUMENTED_HOOK = re.compile(r"^### `((\w+)\(.*\) -> .+)`$", re.M)


def documented_hooks() -> dict[str, str]:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    return {match.group(2): match.group(1) for match in DOCUMENTED_HOOK.finditer(text)}


def test_hookspecs_are_found():
    assert {"register_models", "register_commands"} <= set(hook_specs())


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_has_a_docstring(name):
    assert (inspect.getdoc(hook_specs()[name]) or "").strip(), name


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_is_documented_with_its_exact_signature(name):
    documented = documented_hooks()
    assert name in documented, f"docs/plugins.md has no '### `{name}(...)`' heading"
    assert documented[name] == signature_text(name, hook_specs()[name])


def test_plugins_page_documents_no_hook_that_does_not_exist():
    assert set(documented_hooks()) <= set(hook_specs())


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_is_named_in_a_test(name):
    this_file = Path(__file__).resolve()
    tests = [path for path in (REPO / "tests").rglob("*.py") if path.resolve() != this_file]
    assert any(name in path.read_text(encoding="utf-8") for path in tests), \
        f"no test under tests/ mentions {name}"
