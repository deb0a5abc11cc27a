"""`neat menu` driven by keystrokes through prompt_toolkit's pipe input: the chosen
config's values are kept, only changes are passed, values are checked as typed, paths
with quotes and spaces work, Ctrl-C / Ctrl-D at a question go back to the menu, and
the last run becomes the next default. (test_menu_terminal.py drives it in a real
pseudo-terminal.)"""

from __future__ import annotations

import pytest

from neat_core.cli import cli
from neat_core.testing import plugin_registered
from neat_core.training import RunDirectory
from neat_plugins.tui.menu import entries
from neat_plugins.tui.menu.fields import check_setting

from .eval_helpers import SuccessorPlugin, save
from .menu_keys import CTRL_C, CTRL_D, CTRL_U, DOWN, ENTER, run_menu, tiny_config_file

# the plugins' commands follow the forms in alphabetical order: export, import, patch, study
TRAIN, RESUME, EVAL, ANALYZE, PATCH, CONFIG = "1", "2", "3", "5", "9", "11"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Defaults such as runs/quickstart are looked up in an empty directory."""
    monkeypatch.chdir(tmp_path)


def test_train_keeps_the_chosen_configs_values_and_passes_only_changes(tmp_path, capsys):
    run = tmp_path / "mine"
    config = tiny_config_file(tmp_path / "mycfg.json", run, steps=4)
    run_menu(TRAIN, ENTER, str(config), ENTER,  # config file
             ENTER, ENTER, ENTER,  # steps, output dir, backend: as the config has them
             EVAL, ENTER, ENTER, ENTER, ENTER)  # eval: the run just trained is the default
    out = capsys.readouterr().out
    assert f"$ neat train -c {config}\n" in out  # no --max-steps 3000, --backend auto, ...
    assert RunDirectory(run).latest().name == "step-0000004"
    assert f"last run: {run}" in out
    assert f"$ neat eval {run}\n" in out and "Bits per byte" in out
    assert out.rstrip().endswith("bye")


def test_bad_values_are_rejected_as_typed_and_changes_become_flags(tmp_path, capsys):
    taken = tmp_path / "taken"
    config = tiny_config_file(tmp_path / "c.json", taken, steps=2)
    run_menu(TRAIN, ENTER, str(config), ENTER,
             CTRL_U, "abc", ENTER, CTRL_U, " 3 ", ENTER,  # steps: abc refused; trimmed
             ENTER,  # output dir as configured
             DOWN, ENTER,  # backend: the entry after cpu (cuda), as arrows pick it
             # that run failed (no cuda here), so its directory holds no run: train there
             TRAIN, ENTER, ENTER, ENTER, ENTER, ENTER,  # the config chosen before is kept
             TRAIN, ENTER, ENTER, ENTER, ENTER,  # now the output dir holds a run: refused...
             CTRL_U, str(tmp_path / "second"), ENTER, ENTER)  # ...until another is typed
    out = capsys.readouterr().out
    assert f"$ neat train -c {config} --max-steps 3 --backend cuda\n" in out
    assert f"$ neat train -c {config}\n" in out
    assert f"$ neat train -c {config} --output-dir {tmp_path / 'second'}\n" in out
    assert RunDirectory(tmp_path / "second").latest().name == "step-0000002"


def test_the_schema_checks_a_typed_value_with_the_message_of_set():
    check = check_setting("training.max_steps", None)
    assert check("abc") == "cannot read 'abc' as integer"
    assert check("0") == "config key 'training.max_steps' must be at least 1, got 0"
    assert check("20") is None
    assert "cannot read 'banana'" in check_setting("patching.mode", None)("banana")


@pytest.fixture
def successor():
    with plugin_registered(SuccessorPlugin(), name="successor-model"):
        yield


def test_paths_with_quotes_and_spaces(tmp_path, capsys, successor):
    checkpoint = save(tmp_path / "Bob's run" / "checkpoints" / "step-0000007", peak=8.0)
    folder = tmp_path / "a b"
    folder.mkdir()
    (folder / "don't.txt").write_text("abcdefgh abc")
    run_menu(EVAL, ENTER, CTRL_U, str(tmp_path / "Bob's run"), ENTER,
             str(folder / "don't.txt"), ENTER, ENTER,  # one data file, then done
             ENTER)  # reports: as configured
    out = capsys.readouterr().out
    assert (f"$ neat eval '{tmp_path}/Bob'\"'\"'s run' --data '{folder}/don'\"'\"'t.txt'\n"
            in out)
    assert f"NEAT eval · {checkpoint}" in out and "(exit code" not in out


def test_ctrl_c_and_ctrl_d_at_any_question_go_back_to_the_menu(tmp_path, capsys, successor):
    save(tmp_path / "ckpt", peak=8.0)
    run_menu(TRAIN, ENTER, CTRL_C,  # at the config question
             EVAL, ENTER, str(tmp_path / "ckpt"), ENTER, CTRL_D,  # at the data question
             ANALYZE, ENTER, ENTER, CTRL_C,  # at the choice of input
             CONFIG, ENTER, CTRL_D)  # at the choice of subcommand
    out = capsys.readouterr().out
    assert out.count("cancelled; back to the menu") == 4
    assert "$ neat" not in out and "Traceback" not in out


def test_analyze_a_typed_text_and_patch_a_file_by_the_plugins_command(tmp_path, capsys):
    from .eval_helpers import tiny_blt

    tiny_blt(tmp_path / "run" / "checkpoints" / "step-0000003")
    text = tmp_path / "my notes.txt"
    text.write_text("hello hello")
    run_menu(ANALYZE, ENTER, str(tmp_path / "run"), ENTER,
             DOWN, ENTER, "ab cd", ENTER, ENTER,  # one text; reports as configured
             PATCH, ENTER, ENTER,  # the checkpoint analysed last is the default
             str(text), ENTER,
             "8", ENTER, "4", ENTER,  # the 8th line of the options, --mode: static
             ENTER)  # run it
    out = capsys.readouterr().out
    assert f"$ neat analyze {tmp_path / 'run'} --text 'ab cd'\n" in out
    assert f"$ neat patch {tmp_path / 'run'} '{text}' --mode static\n" in out
    assert "hell|o he|llo" in out  # static, 4-byte patches


def test_every_command_is_offered_plugin_commands_included():
    names = [name for name, _, _ in entries(cli)]
    assert names[:5] == ["train", "resume", "eval", "compare", "analyze"]
    assert {"patch", "config", "data", "backends", "plugins", "bench"} <= set(names)
    assert "menu" not in names


def test_the_menu_needs_a_terminal(run_cli):
    result = run_cli("menu", input="1\n")
    assert result.exit_code == 2
    assert "error: neat menu needs a terminal" in result.stderr
