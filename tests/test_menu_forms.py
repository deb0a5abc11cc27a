"""`neat menu`'s forms driven by real keystrokes through prompt_toolkit (round 3): a
default is offered, not typed (typing replaces it, the right arrow brings it in), Tab
completes a directory with its slash and goes on inside it, Esc goes back one question,
the train form names its config, generate has an entry, and a Ctrl-C that stops a
training run started from the menu is a notice."""

from __future__ import annotations

import pytest

from neat_core.testing import plugin_registered

from .ctrl_c import CtrlCAtStep
from .eval_helpers import SuccessorPlugin, save
from .generate_util import nul_checkpoint
from .menu_keys import CTRL_C, ENTER, TAB, run_menu, tiny_config_file

TRAIN, EVAL, GENERATE = "1", "3", "6"
ESC, RIGHT = "\x1b", "\x1b[C"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def successor():
    with plugin_registered(SuccessorPlugin(), name="successor-model"):
        yield


def test_typing_replaces_a_default_and_the_right_arrow_edits_it(tmp_path, capsys, successor):
    checkpoint = save(tmp_path / "ckpt", peak=8.0)
    (tmp_path / "notes.txt").write_text("abcdefgh abc")
    eval_keys = (EVAL, ENTER, str(checkpoint), ENTER, "notes.txt", ENTER, ENTER,
                 "json", ENTER)  # the reports: [text] replaced by json
    run_menu(*eval_keys, "runs/menu-reports", ENTER,  # the directory: [.] replaced
             *eval_keys, RIGHT, "/sub", ENTER)  # [.] brought in and edited: ./sub
    out = capsys.readouterr().out
    assert "--report json --out runs/menu-reports\n" in out
    assert (tmp_path / "runs" / "menu-reports" / "eval.json").is_file()
    assert not (tmp_path / ".runs").exists()  # the bug: ".runs/menu-reports"
    assert "--report json --out ./sub\n" in out and (tmp_path / "sub" / "eval.json").is_file()


def test_tab_completes_a_directory_with_its_slash_and_goes_on_inside(tmp_path, capsys):
    (tmp_path / "configs").mkdir()
    tiny_config_file(tmp_path / "configs" / "tiny.json", tmp_path / "run")
    run_menu(TRAIN, ENTER, "conf", TAB,  # configs/
             ENTER,  # a directory: refused on Enter; the form stays at the question
             TAB,  # configs/tiny.json, the one file inside
             TAB,  # nothing more to complete: it stays (it used to go back to "conf")
             ENTER, CTRL_C)  # chosen; then back to the menu before training
    out = capsys.readouterr().out
    assert "train · config: configs/tiny.json\n" in out  # the form's header names it
    assert "cancelled; back to the menu" in out and "$ neat" not in out


def test_esc_goes_back_one_question_and_offers_the_answer_again(tmp_path, capsys):
    checkpoint = nul_checkpoint(tmp_path / "nul")
    run_menu(GENERATE, ENTER, str(checkpoint), ENTER, "ab", ENTER,
             ESC,  # at "Bytes to generate": back to the text, offered as [ab]
             ENTER,  # kept
             "3", ENTER,
             GENERATE, ENTER, ENTER,  # the checkpoint used last is the default
             ESC, ESC)  # back from the text to the checkpoint, then out of the form
    out = capsys.readouterr().out
    assert f"$ neat generate {checkpoint} --prompt ab --max-bytes 3\n" in out
    printed = out.split("--max-bytes 3\n", 1)[1]
    assert printed.startswith("ab") and printed.split("\n")[1] == "done"  # ab + 3 bytes
    assert out.count("$ neat") == 1 and "cancelled; back to the menu" in out


def test_ctrl_c_of_a_training_run_is_a_notice(tmp_path, capsys):
    config = tiny_config_file(tmp_path / "cfg.json", tmp_path / "run", steps=50)
    with plugin_registered(CtrlCAtStep(), "ctrl-c"):
        run_menu(TRAIN, ENTER, str(config), ENTER, ENTER, ENTER, ENTER)
    out, err = capsys.readouterr()
    assert "training interrupted (SIGINT) at step" in err
    assert "error" not in err
    assert "stopped (exit code 130)" in out
