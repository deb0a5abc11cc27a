"""`neat analyze -i` with piped input (the terminal: test_menu_terminal.py): :show,
:stats, :save, :patches, paths with quotes and spaces, every patching setting, typed
values that have no effect refused, and the hook's optional status, choices and
reads_results."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

import neat_core
from neat_core import hookimpl
from neat_core.testing import plugin_registered
from neat_plugins.tui.interactive import path_argument

from .eval_helpers import tiny_blt


@pytest.fixture
def ckpt(tmp_path):
    return tiny_blt(tmp_path / "ckpt")


def analyze_i(run_cli, ckpt, *lines: str):
    return run_cli("analyze", str(ckpt), "-i", "--set", "backend.cpu.threads=1",
                   input="\n".join(lines) + "\n")


def test_show_stats_save_and_patches_of_the_last_input(run_cli, ckpt, tmp_path):
    result = analyze_i(run_cli, ckpt, ":stats", "hello world", ":mode static", ":size 3",
                       ":show", ":show patching.patch_size", ":patches 2", ":stats",
                       f":save json {tmp_path}", ":save nosuch")
    assert result.exit_code == 0, result.stderr
    out, errors = result.stdout, result.stderr
    assert ":stats works on the last input, and there is none yet" in errors
    assert "patching.patch_size = 3  (from :size)" in out  # :show: what changed
    assert "input: text (11 bytes)" in out and "mode static, 3-byte patches" in out
    assert "\npatching.patch_size = 3\n" in out  # :show KEY
    assert "   0      0     3" in out and "   1      3     3" in out  # :patches 2
    assert "… 2 more in the first 11 bytes" in out
    assert "Threshold sweep" in out  # :stats: the full report
    saved = json.loads((tmp_path / "analysis.json").read_text())
    assert saved["view"] == "full" and saved["config"]["patching"]["patch_size"] == 3
    assert "unknown report 'nosuch'" in errors


def test_paths_keep_spaces_and_quotes_and_a_quoted_one_loses_its_quotes(run_cli, ckpt,
                                                                       tmp_path):
    folder = tmp_path / "a b"
    folder.mkdir()
    (folder / "don't.txt").write_text("from a file with a quote")
    result = analyze_i(run_cli, ckpt, f":load {folder}/don't.txt",
                       f':load "{folder}/don\'t.txt"', ':load "unclosed.txt')
    assert result.stdout.count("w|i|t|h| |a| |q|u|o|t|e") == 2, result.stderr
    assert "the quote in \"unclosed.txt is not closed" in result.stderr
    assert path_argument("~/x y") == str(Path.home() / "x y")


def test_each_patching_setting_and_values_without_effect_are_refused(run_cli, ckpt):
    result = analyze_i(run_cli, ckpt, "ab cd", ":relative 1.5", ":mode relative",
                       ":threshold 0.7", ":set patching.threshold=3", ":mode", ":target 3",
                       ":target off", ":min 2", ":max 1", ":threshold x", ":mode banana")
    errors = result.stderr.splitlines()
    assert any(":relative: patching.relative_threshold has no effect in mode 'global'" in e
               for e in errors)
    assert "patching.relative_threshold = 0.7, patching.target_patch_size = None" in \
        result.stdout  # :threshold sets the threshold the mode uses
    assert any(":set: patching.threshold has no effect in mode 'relative'" in e
               for e in errors)
    assert "mode relative, relative_threshold 0.7 bits" in result.stdout  # :mode alone
    assert "patching.target_patch_size = 3.0" in result.stdout
    assert result.stdout.count("patching.target_patch_size = None") == 2  # and :target off
    assert "patching.min_patch_size = 2" in result.stdout
    assert any("min_patch_size (2) is larger than patching.max_patch_size (1)" in e
               for e in errors)
    assert any(":threshold x: cannot read 'x' as number" in e for e in errors)
    assert any("unknown patching mode 'banana'" in e for e in errors)


def test_analyze_refuses_a_threshold_its_mode_does_not_use(run_cli, ckpt):
    result = run_cli("analyze", str(ckpt), "--mode", "relative", "--threshold", "3",
                     "--text", "ab cd")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        "error: --threshold: patching.threshold has no effect in mode 'relative'")


def test_a_plugin_adds_a_status_part_completion_words_and_reads_the_results(run_cli, ckpt):
    seen = []

    @hookimpl
    def register_interactive_commands(register):
        register("count", lambda config, argument, results: seen.append(results) or {},
                 reads_results=True, status=lambda config: "count-plugin ready",
                 choices=("a", "b"), description="count")

    plugin = types.SimpleNamespace(register_interactive_commands=register_interactive_commands)
    with plugin_registered(plugin, "count-plugin"):
        result = analyze_i(run_cli, ckpt, ":count", "xyz", ":count", ":show")
    assert result.exit_code == 0, result.stderr
    assert seen[0] is None and seen[1]["data"]["bytes"] == 3
    assert "count-plugin ready" in result.stdout  # in :show's status lines


def test_hook_register_interactive_frontends(run_cli, ckpt, monkeypatch):
    """`neat analyze -i` runs the default front-end a plugin registers, with the opened
    checkpoint and the --text given; without any front-end it names the tui plugin."""
    seen = []

    @hookimpl
    def register_interactive_frontends(register):
        register("terminal", lambda session, first_text: seen.append(
            (session.config.model.name, str(session.path), first_text)), default=True,
            override=True)  # replaces the tui plugin's

    plugin = types.SimpleNamespace(register_interactive_frontends=register_interactive_frontends)
    with plugin_registered(plugin, "recorder-plugin"):
        result = run_cli("analyze", str(ckpt), "-i", "--text", "first words", input="")
    assert result.exit_code == 0, result.stderr
    assert seen == [("blt-entropy", str(ckpt), "first words")]

    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "tui")
    neat_core.reset_plugins()
    blocked = run_cli("analyze", str(ckpt), "-i", input="")
    assert blocked.exit_code == 2
    assert "no plugin offers a front-end for interactive analysis" in blocked.stderr
    assert "'tui' plugin" in blocked.stderr
