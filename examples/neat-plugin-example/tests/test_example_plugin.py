"""Tests of the example plugin: the pattern to copy for your own plugin.

``plugin_registered`` registers the plugin for one test and cleans up, so these tests
pass from a source checkout and with the package installed. Everything runs for real on
the CPU, with tiny sizes.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from neat_plugin_example import plugin
from neat_plugin_example.config import (
    BackgroundCpuSettings,
    ByteGruConfig,
    CsvLogSettings,
    MarkdownSettings,
    SurpriseSettings,
)

import neat_core
from neat_core.api import ConfigError, load_config, plugin_registered
from neat_core.cli import cli  # the `neat` command, run in-process

TEXT = b"the quick brown fox jumps over the lazy dog, 42 times.\n" * 4
TINY = {"model.name": "byte-gru", "model.hidden_size": 16, "model.block_size": 16,
        "training.batch_size": 2, "training.max_steps": 4, "training.log_steps": 1,
        "training.eval_steps": 2, "training.eval_batches": 1, "training.save_steps": 2,
        "training.warmup_steps": 1, "data.train": ["synthetic:repeating"],
        "data.synthetic.documents": 8, "data.synthetic.max_length": 256,
        "run.progress": False}


def tiny(tmp_path: Path, **settings) -> dict:
    """TINY with the run and cache in ``tmp_path`` and ``settings`` on top."""
    return {**TINY, "run.output_dir": str(tmp_path / "run"),
            "data.cache_dir": str(tmp_path / "cache"), **settings}


def test_registers_every_part_with_its_settings_class():
    with plugin_registered(plugin) as name:
        registry = neat_core.get_registry()
        parts = {"models": ("byte-gru", ByteGruConfig),
                 "backends": ("cpu-background", BackgroundCpuSettings),
                 "evaluators": ("surprise", SurpriseSettings),
                 "reports": ("markdown", MarkdownSettings),
                 "callbacks": ("csv-log", CsvLogSettings)}
        for kind, (part, settings) in parts.items():
            entry = registry.kind(kind)[part]
            assert (entry.plugin, entry.config_class) == (name, settings)
        assert registry.commands["byte-stats"].plugin == name
        listing = CliRunner().invoke(cli, ["plugins"]).output
        assert all(part in listing for part, _ in parts.values())


def test_settings_are_sections_of_the_one_schema():
    with plugin_registered(plugin):
        config = load_config(overrides={
            "model.name": "byte-gru", "model.hidden_size": 32,
            "backend.cpu-background.threads": 2, "evaluators.surprise.top": 3,
            "reports.markdown.digits": 2, "callbacks.csv-log.every": 5}).config
        assert config.model == ByteGruConfig(name="byte-gru", hidden_size=32)
        assert config.settings(BackgroundCpuSettings).threads == 2
        assert config.settings(SurpriseSettings).top == 3
        assert config.settings(MarkdownSettings).digits == 2
        assert config.settings(CsvLogSettings) == CsvLogSettings(every=5)  # still off
        for key, bad in [("model.hidden_size", 4), ("backend.cpu-background.niceness", 20),
                         ("callbacks.csv-log.columns", [])]:
            with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
                load_config(overrides={"model.name": "byte-gru", key: bad})


def test_model_predicts_next_byte_logits_causally():
    torch = pytest.importorskip("torch")
    with plugin_registered(plugin):
        entry = neat_core.get_registry().models["byte-gru"]
        model = entry.factory(ByteGruConfig(name="byte-gru", hidden_size=16)).eval()
    idx = torch.randint(0, 256, (2, 12))
    changed = idx.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % 256
    with torch.no_grad():
        logits, logits_changed = model(idx), model(changed)
    assert logits.shape == (2, 12, 256)
    assert torch.equal(logits[:, :8], logits_changed[:, :8])  # the future never leaks back


def test_backend_is_chosen_by_name_only_and_trains(tmp_path):
    from neat_core.api import select_backend

    with plugin_registered(plugin):
        registry = neat_core.get_registry()
        assert registry.backends["cpu-background"].factory().auto_priority is None  # not auto
        # niceness 0: this test process keeps its priority (os.nice cannot raise it back)
        settings = tiny(tmp_path, **{"backend.name": "cpu-background",
                                     "backend.cpu-background.niceness": 0})
        config = load_config(overrides=settings).config
        backend = select_backend(config.backend)
        assert backend.name == "cpu-background"
        assert backend.settings(config.backend)["threads"] == 1
        result = neat_core.train(config)
    assert result["step"] == 4 and math.isfinite(result["loss"])
    assert (tmp_path / "run" / "checkpoints").is_dir()


def test_backend_lowers_the_priority_of_the_process():
    """In a child process: a process cannot raise its priority again."""
    script = ("from neat_core.api import load_config, plugin_registered, select_backend\n"
              "from neat_plugin_example import plugin\n"
              "import os\n"
              "with plugin_registered(plugin):\n"
              "    config = load_config(overrides={'backend.name': 'cpu-background',\n"
              "                                    'backend.cpu-background.niceness': 19})\n"
              "    select_backend(config.config.backend)\n"
              "print(os.nice(0))\n")
    package_root = str(Path(plugin.__file__).resolve().parents[1])
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root,
                                                       os.environ.get("PYTHONPATH")]))}
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "19"


def test_evaluator_takes_its_options_from_the_config():
    torch = pytest.importorskip("torch")
    from neat_core.api import Scorer, select_backend

    documents = [("a.txt", TEXT), ("b.txt", b"xy\n\xff")]
    with plugin_registered(plugin):
        config = load_config(overrides={"model.name": "byte-gru", "model.hidden_size": 16,
                                        "backend.name": "cpu", "evaluators.surprise.top": 3,
                                        "evaluators.surprise.context": 4}).config
        registry = neat_core.get_registry()
        torch.manual_seed(0)
        model = registry.models["byte-gru"].factory(config.model).eval()
        backend = select_backend(config.backend)
        results = registry.evaluators["surprise"].factory(model, config, backend).evaluate(
            documents)
        nll = {name: Scorer(model, config, backend).nll(data) for name, data in documents}
    scored = len(TEXT) - 1 + 3
    assert results["overall"]["bytes"] == scored
    assert sum(row["bytes"] for row in results["by_class"].values()) == scored
    assert results["by_class"]["digit"]["bytes"] == 2 * 4
    top = results["most_surprising"]
    assert len(top) == 3 and [row["bits"] for row in top] == sorted(
        (row["bits"] for row in top), reverse=True)
    for row in top:  # each row names a real byte, its context and its score
        data = dict(documents)[row["document"]]
        offset = row["offset"]
        assert row["bits"] == pytest.approx(nll[row["document"]][offset - 1] / math.log(2))
        assert row["before"] == data[max(0, offset - 4):offset].decode("latin-1").encode(
            "unicode_escape").decode()
    assert top[0]["bits"] == pytest.approx(results["overall"]["max_bits"])


def test_markdown_report_renders_an_eval_envelope(tmp_path):
    results = {"kind": "eval", "checkpoint": {"path": "run/step-6", "model": "byte-gru", "step": 6},
               "data": {"documents": 2, "bytes": 300},
               "results": {"bits-per-byte": {"overall": {"bits_per_byte": 2.5},
                                             "documents": [{"name": "a|b", "bytes": 100}]}}}
    with plugin_registered(plugin):
        report = neat_core.get_registry().reports["markdown"].factory(None)
    path = report.write(results, tmp_path)
    text = path.read_text()
    assert path == tmp_path / "eval.md"
    assert text.startswith("# NEAT eval\n")
    assert "| model | byte-gru |" in text and "| bytes | 300 |" in text
    assert "## bits-per-byte" in text and "### overall" in text
    assert "| bits_per_byte | 2.5 |" in text
    assert "| a\\|b | 100 |" in text  # cells are escaped


def test_markdown_report_follows_its_settings(tmp_path):
    rows = [{"name": f"doc{i}", "bits": 2 / 3} for i in range(3)]
    with plugin_registered(plugin):
        config = load_config(overrides={"reports.markdown.digits": 2,
                                        "reports.markdown.max_rows": 2}).config
        report = neat_core.get_registry().reports["markdown"].factory(config)
    text = report.write({"kind": "eval", "results": {"x": {"rows": rows}}}, tmp_path).read_text()
    assert "| doc1 | 0.67 |" in text and "doc2" not in text and "… 1 more rows" in text


def test_markdown_report_renders_a_comparison_run_by_run(tmp_path):
    run = {"kind": "eval", "checkpoint": {"model": "byte-gru", "step": 6},
           "results": {"bits-per-byte": {"overall": {"bits_per_byte": 2.5}}}}
    with plugin_registered(plugin):
        report = neat_core.get_registry().reports["markdown"].factory(None)
    text = report.write({"kind": "comparison", "runs": [run, run]}, tmp_path).read_text()
    assert "## run 1" in text and "## run 2" in text
    assert text.count("### bits-per-byte") == 2


def test_csv_log_is_opt_in_and_writes_every_nth_record(tmp_path):
    from neat_core.api import Callbacks

    records = [{"kind": "train", "step": step, "loss": 1.0 / step, "lr": 0.1}
               for step in range(1, 6)]
    with plugin_registered(plugin):
        assert "csv-log" not in Callbacks.for_run(load_config().config, tmp_path).names
        config = load_config(overrides={"callbacks.csv-log.enabled": True,
                                        "callbacks.csv-log.every": 2,
                                        "callbacks.csv-log.columns": ["step", "loss"]}).config
        callbacks = Callbacks.for_run(config, tmp_path)
        assert callbacks.names == ["csv-log"]
        callbacks.emit("on_train_start", {"step": 0})
        for record in records:
            callbacks.emit("on_log", record)
        callbacks.emit("on_train_end", {})
        resumed = Callbacks.for_run(config, tmp_path)  # a resumed run appends
        resumed.emit("on_train_start", {"step": 5})
        resumed.emit("on_log", {"step": 6, "loss": 0.5})
        resumed.emit("on_train_end", {})
    with (tmp_path / "metrics.csv").open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [["step", "loss"], ["1", "1.0"], ["3", str(1 / 3)], ["5", "0.2"],
                    ["6", "0.5"]]


def test_byte_stats_command(tmp_path):
    (tmp_path / "ab.bin").write_bytes(b"abab")
    (tmp_path / "empty.bin").write_bytes(b"")
    with plugin_registered(plugin):
        ok = CliRunner().invoke(cli, ["byte-stats", str(tmp_path / "ab.bin")])
        empty = CliRunner().invoke(cli, ["byte-stats", str(tmp_path / "empty.bin")])
    assert ok.exit_code == 0, ok.output
    assert "4 bytes, 2 distinct, 1.000 bits/byte" in ok.output
    assert empty.exit_code == 2 and "is empty" in empty.output
