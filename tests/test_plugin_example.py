"""examples/neat-plugin-example installs like any third-party plugin and works end to end.

The slow tests build a fresh virtual environment next to NEAT, install NEAT and the
example into it with pip (offline: no index, no build isolation; the heavy dependencies
come from this environment through a ``.pth`` file), and drive the installed ``neat``
console script: every part of the plugin is discovered through its entry point, its
model trains on its backend with its opt-in callback, its evaluator runs with options
and the reports render it, and uninstalling it leaves ``neat`` working.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from .venvs import REPO, pip, run, venv_with

EXAMPLE = REPO / "examples" / "neat-plugin-example"
REGISTERED = {"models": ["byte-gru"], "backends": ["cpu-background"],
              "evaluators": ["surprise"], "reports": ["markdown"], "callbacks": ["csv-log"],
              "commands": ["byte-stats"]}


def venv_with_example(root: Path) -> Path:
    """bin/ of a fresh venv with NEAT (editable) and the example (a real build) installed."""
    example = shutil.copytree(EXAMPLE, root / "example",  # builds leave files behind
                              ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return venv_with(root, example)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    return venv_with_example(tmp_path_factory.mktemp("example-venv"))


@pytest.mark.slow
def test_installed_example_is_discovered_through_its_entry_point(venv, tmp_path):
    plugins = json.loads(run(venv / "neat", "plugins", "--json", cwd=tmp_path))
    example = next(info for info in plugins if info["name"] == "example")
    assert example["distribution"] == "neat-plugin-example"
    assert example["status"] == "loaded"
    assert example["registered"] == REGISTERED
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


TINY = ["--model", "byte-gru", "--backend", "cpu-background", "--batch-size", "4",
        "--set", "model.hidden_size=32", "--set", "model.block_size=32",
        "--set", "training.log_steps=1", "--set", "training.eval_steps=2",
        "--set", "training.eval_batches=1", "--set", "training.save_steps=2",
        "--set", "data.train=synthetic:repeating", "--set", "data.synthetic.documents=20",
        "--output-dir", "run"]


@pytest.mark.slow
def test_example_trains_evaluates_and_reports(venv, tmp_path):
    neat = venv / "neat"
    cache = f"data.cache_dir={tmp_path}/cache"
    run(neat, "-q", "train", *TINY, "--max-steps", "2", "--set", cache, cwd=tmp_path)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"] == {"name": "byte-gru", "hidden_size": 32, "num_layers": 1,
                               "dropout": 0.0, "block_size": 32}
    assert config["backend"]["name"] == "cpu-background"
    assert config["backend"]["cpu-background"] == {"threads": 1, "niceness": 10}
    assert config["callbacks"]["csv-log"]["enabled"] is False
    assert not (tmp_path / "run" / "metrics.csv").exists()  # the callback is opt-in

    run(neat, "-q", "train", "--resume", "run", "--max-steps", "6",
        "--set", "callbacks.csv-log.enabled=true", "--set", "callbacks.csv-log.every=2",
        cwd=tmp_path)
    with (tmp_path / "run" / "metrics.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["step"] for row in rows] == ["3", "5"]  # every 2nd record of the session
    assert all(float(row["loss"]) > 0 for row in rows)

    (tmp_path / "text.txt").write_bytes(b"the quick brown fox jumps over the lazy dog. " * 20)
    text = run(neat, "eval", "run", "--data", "text.txt", "--report", "text,markdown,html",
               "--out", "reports", "--set", "eval.evaluators=bits-per-byte,surprise",
               "--surprises", "3", "--set", "evaluators.surprise.context=5", cwd=tmp_path)
    markdown = (tmp_path / "reports" / "eval.md").read_text()
    assert "| model | byte-gru |" in markdown and "| step | 6 |" in markdown
    assert "## bits-per-byte" in markdown and "## surprise" in markdown
    table = markdown.split("### most_surprising\n\n")[1].split("\n\n")[0].splitlines()
    assert table[0] == "| document | offset | byte | bits | before |" and len(table) == 2 + 3
    # the text and html reports render the third-party evaluator's nested results
    assert "\nsurprise\n" in text and "  most_surprising\n" in text
    assert re.search(r"^\s+letter\s+\d[\d,]*\s+\d", text, re.M)  # by_class: a table row
    html = (tmp_path / "reports" / "eval.html").read_text()
    assert "<h2>surprise</h2>" in html and "<h3>most_surprising</h3>" in html
    assert html.split("<h3>most_surprising</h3>")[1].split("</table>")[0].count("<tr>") == 1 + 3


@pytest.mark.slow
def test_example_tests_pass_against_the_installed_plugin(venv, tmp_path):
    example_tests = shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    output = run(venv / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 example_tests, cwd=tmp_path)
    assert " passed" in output and "failed" not in output


@pytest.mark.slow
def test_uninstalling_the_example_leaves_neat_working(tmp_path_factory, tmp_path):
    bin_dir = venv_with_example(tmp_path_factory.mktemp("uninstall-venv"))
    assert "byte-gru" in run(bin_dir / "neat", "plugins", cwd=tmp_path)
    pip(bin_dir / "python", "uninstall", "--yes", "--quiet", "neat-plugin-example")
    listing = run(bin_dir / "neat", "plugins", cwd=tmp_path)
    assert "example" not in listing and "byte-gru" not in listing and "blt" in listing
    shown = run(bin_dir / "neat", "config", "show", cwd=tmp_path)
    assert "cpu-background" not in shown and "csv-log" not in shown
    missing = run(bin_dir / "neat", "train", "--model", "byte-gru", cwd=tmp_path, code=2)
    assert "unknown model \"byte-gru\"" in missing


def test_example_registers_in_process(run_cli, monkeypatch):
    """Fast check without installing: the example's plugin module as a test plugin."""
    from neat_core.testing import plugin_registered

    monkeypatch.syspath_prepend(str(EXAMPLE))
    from neat_plugin_example import plugin

    with plugin_registered(plugin):
        listed = {info["name"]: info for info in json.loads(run_cli("plugins", "--json").stdout)}
        assert listed[plugin.__name__]["registered"] == REGISTERED
    lazy = ("model", "evaluator", "report", "callback")
    assert not [m for m in lazy if f"neat_plugin_example.{m}" in sys.modules]  # nothing built
