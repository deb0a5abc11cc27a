"""neat_core.api is the whole plugin surface: every name resolves, importing it is cheap,
the docs and the built-in plugins import from it, and load_model works."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import neat_core
import neat_core.api as api
from neat_core.api import CheckpointError, load_model
from neat_core.training import RunDirectory

from .eval_helpers import tiny_blt

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "neat-plugin-example"


def test_every_public_name_resolves_once():
    assert len(api.__all__) == len(set(api.__all__))
    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []


def _loaded_after(code: str) -> set[str]:
    """The modules among torch, numpy and NEAT's config machinery that ``code`` loads
    in a fresh interpreter."""
    watched = ("torch", "numpy", "neat_core.config", "neat_core.data")
    script = f"import sys\n{code}\nprint(' '.join(m for m in {watched!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)
    return set(done.stdout.split())


def test_importing_the_api_loads_no_torch_numpy_or_config_machinery():
    eager = ", ".join(["hookimpl", "setting", "frozen", "Settings", "ModelConfig",
                       "CallbackConfig", "NeatConfig", "UsageError", "plugin_registered",
                       "Register", "MAX_BITS", "DataUnit"])
    assert _loaded_after(f"from neat_core.api import {eager}") == set()


def test_loading_every_built_in_plugin_loads_no_torch_numpy_or_config_machinery():
    assert _loaded_after("import neat_core; neat_core.get_registry()") == set()


def test_a_service_name_loads_its_module_on_first_use():
    assert "neat_core.data" in _loaded_after("from neat_core.api import list_paths")


# --- what docs and plugins import -------------------------------------------------------

def _imports(source: str) -> list[tuple[str, list[str]]]:
    """(module, names) of every ``from neat_core... import`` in python ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("neat_core"):
            found.append((node.module or "", [alias.name for alias in node.names]))
    return found


PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _plugin_author_sources() -> dict[str, str]:
    """The code a plugin author copies: the guide's and data.md's examples and the
    example plugin (package and tests)."""
    sources = {}
    for page in ("plugins.md", "data.md"):
        for number, block in enumerate(PYTHON_BLOCK.findall((REPO / "docs" / page)
                                                            .read_text())):
            sources[f"docs/{page} block {number}"] = block
    for path in sorted(EXAMPLE.rglob("*.py")):
        sources[str(path.relative_to(REPO))] = path.read_text()
    return sources


def test_what_plugin_authors_copy_imports_only_the_public_api():
    # the application's `neat` command, for CliRunner in tests, is the one exception
    allowed = {"neat_core.api", "neat_core.cli"}
    wrong = [(where, module, names) for where, source in _plugin_author_sources().items()
             for module, names in _imports(source) if module not in allowed]
    assert wrong == []
    names = {name for source in _plugin_author_sources().values()
             for module, imported in _imports(source) if module == "neat_core.api"
             for name in imported}
    assert names <= set(api.__all__)


def test_every_api_name_the_docs_mention_is_public():
    mentioned = {name for page in (REPO / "docs").glob("*.md")
                 for name in re.findall(r"neat_core\.api\.(\w+)", page.read_text())}
    assert mentioned and mentioned - {"__all__"} <= set(api.__all__)


def test_built_in_plugins_import_public_names_from_the_api():
    """Built-ins are written like third-party plugins: a name neat_core.api offers comes
    from there (services that are not public may still be imported from their module)."""
    public = set(api.__all__)
    wrong = []
    for path in sorted((REPO / "neat_plugins").rglob("*.py")):
        for module, names in _imports(path.read_text()):
            if module != "neat_core.api" and public & set(names):
                wrong.append((str(path.relative_to(REPO)), module, sorted(public & set(names))))
    assert wrong == []


def test_the_generated_contracts_table_gives_the_data_source_contract():
    text = (REPO / "docs" / "plugins.md").read_text()
    table = text.split("<!-- BEGIN GENERATED contracts")[1].split("<!-- END")[0]
    row = next(line for line in table.splitlines() if line.startswith("| `DataSource`"))
    assert "`accepts(path: Path) -> bool`" in row and "`units(target: str, seed:" in row
    assert "`factory(config)` of `register_data_sources`" in row


def test_the_generated_register_options_are_what_register_accepts():
    from neat_core.registry import KINDS

    text = (REPO / "docs" / "plugins.md").read_text()
    table = text.split("<!-- BEGIN GENERATED register-options")[1].split("<!-- END")[0]
    for kind in KINDS.values():
        row = next(line for line in table.splitlines() if f"`{kind.hook}`" in line)
        assert all(f"`{option}`:" in row for option in kind.options)
    assert "`reads_results`" in table and "`default_corpus`" in table


# --- load_model ---------------------------------------------------------------------------

def test_load_model_takes_a_checkpoint_or_a_run_directory(tmp_path):
    import torch

    run = RunDirectory(tmp_path / "run")
    first = tiny_blt(run.step_path(3), seed=1)
    best = tiny_blt(run.step_path(6), seed=2)
    run.mark_best(6)
    expected, _ = neat_core.load_model(best)  # the program API: (model, config)
    for path in (best, run.path):
        model = load_model(path)
        assert model.training is False  # eval mode
        assert model.config.name == "blt-entropy"
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                      expected.state_dict().values()))
    other = load_model(first)
    assert not all(torch.equal(a, b) for a, b in zip(other.state_dict().values(),
                                                      expected.state_dict().values()))


def test_load_model_of_a_run_without_checkpoints_is_a_checkpoint_error(tmp_path):
    RunDirectory(tmp_path / "run").checkpoints_dir.mkdir(parents=True)
    with pytest.raises(CheckpointError, match="has no checkpoints yet"):
        load_model(tmp_path / "run")
