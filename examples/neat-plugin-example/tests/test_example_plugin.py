"""Tests of the example plugin: the pattern to copy for your own plugin.

``plugin_registered`` registers the plugin for one test and cleans up, so these tests
pass from a source checkout and with the package installed.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from neat_plugin_example import plugin
from neat_plugin_example.config import ByteGruConfig

import neat_core
from neat_core.cli import cli
from neat_core.config import Override, load_config
from neat_core.errors import ConfigError
from neat_core.testing import plugin_registered


def test_registers_model_report_and_command():
    with plugin_registered(plugin) as name:
        registry = neat_core.get_registry()
        assert registry.models["byte-gru"].config_class is ByteGruConfig
        assert registry.models["byte-gru"].plugin == name
        assert registry.reports["markdown"].plugin == name
        result = CliRunner().invoke(cli, ["plugins"])
        assert "byte-gru" in result.output and "markdown" in result.output


def test_model_section_is_validated_by_the_schema():
    with plugin_registered(plugin):
        resolved = load_config(overrides=[Override("model.name", "byte-gru"),
                                          Override("model.hidden_size", "32")])
        assert resolved.config.model == ByteGruConfig(name="byte-gru", hidden_size=32)
        with pytest.raises(ConfigError, match="model.hidden_size"):
            load_config(overrides=[Override("model.name", "byte-gru"),
                                   Override("model.hidden_size", "4")])


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


def test_markdown_report_renders_an_eval_envelope(tmp_path):
    results = {"kind": "eval", "checkpoint": {"path": "run/step-6", "model": "byte-gru", "step": 6},
               "data": {"documents": 2, "bytes": 300},
               "results": {"bits-per-byte": {"overall": {"bits_per_byte": 2.5},
                                             "documents": [{"name": "a|b", "bytes": 100}]}}}
    with plugin_registered(plugin):
        report = neat_core.get_registry().reports["markdown"].factory()
    path = report.write(results, tmp_path)
    text = path.read_text()
    assert path == tmp_path / "eval.md"
    assert text.startswith("# NEAT eval\n")
    assert "| model | byte-gru |" in text and "| bytes | 300 |" in text
    assert "## bits-per-byte" in text and "### overall" in text
    assert "| bits_per_byte | 2.5 |" in text
    assert "| a\\|b | 100 |" in text  # cells are escaped


def test_markdown_report_renders_a_comparison_run_by_run(tmp_path):
    run = {"kind": "eval", "checkpoint": {"model": "byte-gru", "step": 6},
           "results": {"bits-per-byte": {"overall": {"bits_per_byte": 2.5}}}}
    with plugin_registered(plugin):
        report = neat_core.get_registry().reports["markdown"].factory()
    text = report.write({"kind": "comparison", "runs": [run, run]}, tmp_path).read_text()
    assert "## run 1" in text and "## run 2" in text
    assert text.count("### bits-per-byte") == 2


def test_byte_stats_command(tmp_path):
    (tmp_path / "ab.bin").write_bytes(b"abab")
    (tmp_path / "empty.bin").write_bytes(b"")
    with plugin_registered(plugin):
        ok = CliRunner().invoke(cli, ["byte-stats", str(tmp_path / "ab.bin")])
        empty = CliRunner().invoke(cli, ["byte-stats", str(tmp_path / "empty.bin")])
    assert ok.exit_code == 0, ok.output
    assert "4 bytes, 2 distinct, 1.000 bits/byte" in ok.output
    assert empty.exit_code == 2 and "is empty" in empty.output
