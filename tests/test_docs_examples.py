"""The examples in the hand-written docs run and print what the pages show.

- every ``console`` example in docs/configs.md: ``$ neat ...`` runs in a directory with
  the files the page defines (``<!-- file: NAME -->`` before a code block) and prints the
  lines shown (``...`` stands for any lines);
- every python block of docs/plugins.md compiles (the blocks that make up its plugin,
  ``my-plugin``, are installed and run by tests/test_plugin_from_docs.py).
"""

from __future__ import annotations

import re
import shlex
import shutil
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


# --- the code examples in docs/plugins.md compile -----------------------------------------

PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_every_python_block_in_the_plugin_guide_compiles():
    blocks = PYTHON_BLOCK.findall((DOCS / "plugins.md").read_text())
    assert len(blocks) >= 6
    for block in blocks:
        compile(block, "docs/plugins.md", "exec")
