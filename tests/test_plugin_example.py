"""examples/neat-plugin-example installs like any third-party plugin and works end to end.

The slow test builds a fresh virtual environment next to NEAT, installs NEAT and the
example into it with pip (offline: no index, no build isolation; the heavy dependencies
come from this environment through a ``.pth`` file), and drives the installed ``neat``
console script: the plugin is discovered through its entry point, its model trains, and
its report is written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "neat-plugin-example"


def run(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("NEAT_PLUGINS_", "PYTHON"))}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def make_venv(path: Path) -> Path:
    """A venv without pip whose interpreter also sees this environment's packages."""
    run(sys.executable, "-m", "venv", "--without-pip", path)
    python = path / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .strip())
    (site / "_neat_parent_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """bin/ of a fresh venv with NEAT (editable) and the example (a real build) installed."""
    root = tmp_path_factory.mktemp("example-venv")
    python = make_venv(root / "venv")
    example = shutil.copytree(EXAMPLE, root / "example",  # builds leave files behind
                              ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
        "--no-deps", "--no-build-isolation", "-e", REPO, example)
    return python.parent


@pytest.mark.slow
def test_installed_example_is_discovered_through_its_entry_point(venv, tmp_path):
    plugins = json.loads(run(venv / "neat", "plugins", "--json", cwd=tmp_path))
    example = next(info for info in plugins if info["name"] == "example")
    assert example["distribution"] == "neat-plugin-example"
    assert example["status"] == "loaded"
    assert example["registered"] == {"models": ["byte-gru"], "reports": ["markdown"]}
    assert "blt" in {info["name"] for info in plugins}  # next to the built-ins

    listing = run(venv / "neat", "plugins", cwd=tmp_path)
    documented = re.search(r"```text\n\$ neat plugins\n\.\.\.\n(.*?)```",
                           (REPO / "docs" / "plugins.md").read_text(), re.S)
    assert documented is not None and documented.group(1) in listing  # the guide is right

    lazy_check = "import sys, neat_core; neat_core.get_registry(); print('torch' in sys.modules)"
    assert run(venv / "python", "-c", lazy_check).strip() == "False"  # the check plugins.md gives

    (tmp_path / "ab.bin").write_bytes(b"abab")
    assert "4 bytes, 2 distinct, 1.000 bits/byte" in run(venv / "neat", "byte-stats",
                                                         tmp_path / "ab.bin")


@pytest.mark.slow
def test_example_model_trains_and_its_report_is_written(venv, tmp_path):
    neat = venv / "neat"
    train = run(neat, "-q", "train", "--model", "byte-gru", "--set", "model.hidden_size=32",
                "--set", "model.block_size=32", "--max-steps", "4", "--batch-size", "4",
                "--set", "training.eval_steps=2", "--set", "training.eval_batches=1",
                "--set", "training.save_steps=2", "--set", "data.train=synthetic:repeating",
                "--set", "data.synthetic.documents=20", "--set", f"data.cache_dir={tmp_path}/cache",
                "--output-dir", "run", cwd=tmp_path)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"] == {"name": "byte-gru", "hidden_size": 32, "num_layers": 1,
                               "dropout": 0.0, "block_size": 32}
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").open()]
    assert any(record.get("step") == 4 for record in records), train

    (tmp_path / "text.txt").write_bytes(b"the quick brown fox jumps over the lazy dog. " * 20)
    run(neat, "eval", "run", "--data", "text.txt", "--report", "markdown", "--out", "reports",
        cwd=tmp_path)
    report = (tmp_path / "reports" / "eval.md").read_text()
    assert "| model | byte-gru |" in report and "| step | 4 |" in report
    assert "## bits-per-byte" in report


@pytest.mark.slow
def test_example_tests_pass_against_the_installed_plugin(venv, tmp_path):
    example_tests = shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    output = run(venv / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 example_tests, cwd=tmp_path)
    assert " passed" in output and "failed" not in output


def test_example_registers_in_process(run_cli, monkeypatch):
    """Fast check without installing: the example's plugin module as a test plugin."""
    from neat_core.testing import plugin_registered

    monkeypatch.syspath_prepend(str(EXAMPLE))
    from neat_plugin_example import plugin

    with plugin_registered(plugin):
        result = run_cli("plugins")
        assert "models: byte-gru" in result.output and "reports: markdown" in result.output
    assert "neat_plugin_example.model" not in sys.modules  # listing built no model
