"""`neat menu` and `neat analyze -i` in a real pseudo-terminal (pexpect), as a person
types: Tab completion, the up arrow, Escape, Ctrl-C at a prompt, during a training run
and during a load, the status line, and the bar of bytes scored for one long input."""

from __future__ import annotations

import re

import pytest

from neat_core.training import RunDirectory

from .eval_helpers import tiny_blt
from .menu_keys import CTRL_C, CTRL_D, CTRL_U, ENTER, UP, tiny_config_file
from .terminal import Terminal
from .waiting import wait_until

pytestmark = pytest.mark.slow
ESC = "\x1b"


def test_menu_in_a_terminal_ctrl_c_stops_training_and_resume_continues(tmp_path):
    run = tmp_path / "long run"
    tiny_config_file(tmp_path / "cfg.json", run, steps=100000)
    child = Terminal("menu", cwd=tmp_path)
    child.expect("What would you like to do")
    child.send("1" + ENTER)
    child.wait_for_input(r"^Config file .*: $")
    child.complete("cf", "cfg.json")
    child.send(ENTER)
    child.expect("Training steps")
    child.send(ESC)  # back one question, to the config file
    child.expect("Config file")
    child.send(ESC)  # back out of the form
    child.expect("cancelled; back to the menu")
    child.expect("What would you like to do")  # keys typed before it are cooked by the tty
    child.send("1" + ENTER)
    child.expect("Config file")
    child.send(CTRL_U)  # clear the default
    child.wait_for_input(r"^Config file .*: $")
    child.send(UP)  # the answer given before
    child.wait_for_input(r": cfg\.json$")
    child.send(ENTER)
    for prompt in ("Training steps", "Output directory", "Backend"):  # their defaults
        child.expect(prompt)
        child.send(ENTER)
    child.expect(re.escape("$ neat train -c cfg.json"))
    wait_until(lambda: RunDirectory(run).path.joinpath("metrics.jsonl").exists(),
               "training to start")
    child.send(CTRL_C)  # stops the job: a checkpoint is saved, the menu comes back
    child.expect("training interrupted")
    child.expect(re.escape("neat train --resume"))
    child.expect(r"\(exit code 130\)")
    child.expect("What would you like to do")
    assert RunDirectory(run).latest() is not None
    child.send("2" + ENTER)  # resume: the interrupted run is the default
    child.expect("Run directory to continue")
    child.send(ENTER)
    child.expect("Train to step")
    child.send(CTRL_U + "1" + ENTER)  # fewer steps than done: the trainer refuses
    child.expect("nothing left to train")
    child.expect("What would you like to do")
    child.send(CTRL_D)
    child.expect("bye")
    assert child.finish() == 0


def test_interactive_analysis_in_a_terminal(tmp_path):
    tiny_blt(tmp_path / "run" / "checkpoints" / "step-0000003")
    big = tmp_path / "big input.bin"
    big.write_bytes(bytes(range(256)) * 40000)  # 10 MB, one document
    child = Terminal("analyze", "run", "-i", "--set", "backend.cpu.threads=1", cwd=tmp_path)
    child.expect("neat>")
    child.expect(r"blt-entropy step-0000003 .* input: none yet .* mode global, threshold "
                 r"2 bits")  # the status line
    child.wait_for_input(r"^neat> $")
    child.complete(":mo", "mode")
    child.complete(" rel", "relative")
    child.wait_for_input(r"^neat> :mode relative$")
    child.send(ENTER)
    child.expect("patching.mode = relative")
    child.send(":threshold 0.5" + ENTER)
    child.expect("patching.relative_threshold = 0.5")
    child.expect(r"mode relative, relative_threshold 0.5 bits")  # the status line follows
    child.send(":set patching.threshold=3" + ENTER)  # not the threshold relative mode uses
    child.expect("patching.threshold has no effect in mode 'relative'")
    child.send("ab cd" + ENTER)
    child.expect("relative, relative threshold 0.50 bits")
    child.send(f':load "{big}"' + ENTER)  # the quotes are not part of the path
    child.expect("scoring")  # a bar of bytes scored, for one long input
    child.send(CTRL_C)  # cancels the load; the session and its settings stay
    child.expect(r"cancelled \(settings kept\)")
    child.send(":show" + ENTER)
    child.expect(r"patching.mode = relative  \(from :mode\)")
    child.complete(":sa", "save")
    child.send(" json" + ENTER)
    child.expect("wrote analysis.json")
    assert (tmp_path / "analysis.json").is_file()
    child.send(CTRL_D)
    assert child.finish() == 0
