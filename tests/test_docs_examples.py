"""The examples in the hand-written docs run and print what the pages show.

- every ``console`` example in docs/configs.md: ``$ neat ...`` runs in a directory with
  the files the page defines (``<!-- file: NAME -->`` before a code block) and prints the
  lines shown (``...`` stands for any lines);
- every python block of docs/plugins.md compiles, and the backend, training-callback,
  command and interactive-command examples work when registered as plugins.
"""

from __future__ import annotations

import re
import shlex
import shutil
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PLACEHOLDER_ROOT = "/path/to/neat"  # how the docs write the directory a command ran in


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


# --- the code examples in docs/plugins.md run ----------------------------------------------

PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def plugins_page_snippet(marker: str) -> types.ModuleType:
    """The python block of docs/plugins.md that contains ``marker``, run as a module."""
    blocks = [block for block in PYTHON_BLOCK.findall((DOCS / "plugins.md").read_text())
              if marker in block]
    assert len(blocks) == 1, f"expected one python block with {marker!r}"
    module = types.ModuleType(f"plugins_md_{abs(hash(marker))}")
    exec(compile(blocks[0], "docs/plugins.md", "exec"), module.__dict__)
    return module


def test_every_python_block_in_the_plugin_guide_compiles():
    blocks = PYTHON_BLOCK.findall((DOCS / "plugins.md").read_text())
    assert len(blocks) >= 6
    for block in blocks:
        compile(block, "docs/plugins.md", "exec")


def test_backend_example_is_registered_and_probed(run_cli):
    from neat_core import get_registry
    from neat_core.testing import plugin_registered

    with plugin_registered(plugins_page_snippet("class XpuBackend"), "xpu-example"):
        available, reason = get_registry().backends["xpu"].factory().is_available()
        listing = run_cli("backends").output
    assert available or reason == "no XPU device"
    assert "xpu" in listing and (available or "no XPU device" in listing)


def test_training_callback_example_is_opt_in_and_receives_eval_records(tmp_path):
    from neat_core.config import load_config
    from neat_core.testing import plugin_registered
    from neat_core.training import Callbacks

    with plugin_registered(plugins_page_snippet("class EvalLog"), "eval-log-example"):
        assert Callbacks.for_run(load_config().config, tmp_path).names == []
        enabled = load_config(overrides={"callbacks.eval-log.enabled": True}).config
        callbacks = Callbacks.for_run(enabled, tmp_path)
        assert callbacks.names == ["eval-log"]
        callbacks.emit("on_eval", {"step": 2, "eval_loss": 1.5})
        callbacks.emit("on_log", {"step": 2, "loss": 1.4})  # not defined: skipped
    assert (tmp_path / "evals.txt").read_text() == '{"step": 2, "eval_loss": 1.5}\n'


def test_interactive_command_example_changes_a_setting():
    from neat_core import get_registry
    from neat_core.config import default_config
    from neat_core.errors import UsageError
    from neat_core.testing import plugin_registered

    with plugin_registered(plugins_page_snippet("def preview"), "preview-example"):
        entry = get_registry().interactive_commands["preview"]
        assert entry.factory(default_config(), "300") == {"eval.preview_bytes": 300}
        with pytest.raises(UsageError, match="needs a number of bytes"):
            entry.factory(default_config(), "many")


def test_command_example_reads_the_resolved_config():
    from click.testing import CliRunner

    command = plugins_page_snippet("def my_train").my_train
    result = CliRunner().invoke(command, ["--max-steps", "5", "--set", "backend.name=cpu"])
    assert result.exit_code == 0, result.output
    assert result.output == "5 steps on cpu\n"
