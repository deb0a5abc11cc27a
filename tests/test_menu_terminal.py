"""`neat menu` and `neat analyze -i` in a real pseudo-terminal (pexpect), as a person
types: Tab completion, the up arrow, Escape, Ctrl-C at a prompt, during a training run
and during a load, the status line, and the bar of bytes scored for one long input."""

from __future__ import annotations

import re
import time

import pexpect
import pytest

from neat_core.training import RunDirectory

from .eval_helpers import tiny_blt
from .menu_keys import CTRL_C, CTRL_D, ENTER, TAB, tiny_config_file
from .train_utils import NEAT, subprocess_env

pytestmark = pytest.mark.slow
ESC = "\x1b"


class Terminal(pexpect.spawn):
    """A pseudo-terminal that answers cursor-position requests, as terminals do (the
    prompt shows its status line once it knows the room below the cursor)."""

    def expect(self, pattern, *args, **kwargs):  # type: ignore[override]
        while True:
            found = super().expect([re.escape(CURSOR_REQUEST), pattern], *args, **kwargs)
            if found == 1:
                return found
            self.send("\x1b[20;1R")


CURSOR_REQUEST = "\x1b[6n"


def spawn(*args: str, cwd) -> Terminal:
    env = {**subprocess_env(), "NO_COLOR": "1", "TERM": "xterm"}
    return Terminal(NEAT, list(args), cwd=str(cwd), env=env, encoding="utf-8", timeout=90,
                    dimensions=(40, 160))


def type_slowly(child: pexpect.spawn, *keys: str) -> None:
    """Keys with a pause between them, as a person types (completion runs meanwhile)."""
    for key in keys:
        time.sleep(0.5)
        child.send(key)


def test_menu_in_a_terminal_ctrl_c_stops_training_and_resume_continues(tmp_path):
    run = tmp_path / "long run"
    tiny_config_file(tmp_path / "cfg.json", run, steps=100000)
    child = spawn("menu", cwd=tmp_path)
    child.expect("What would you like to do")
    child.send("1" + ENTER)
    child.expect("Config file")
    type_slowly(child, "cf", TAB, ENTER)  # Tab completes cfg.json
    child.expect("Training steps")
    child.send(ESC)  # back out
    child.expect("cancelled; back to the menu")
    child.send("1" + ENTER)
    child.expect("Config file")
    type_slowly(child, "\x1b[A", ENTER, ENTER, ENTER)  # up: the answer given before
    child.expect("Backend")  # a choice: keys typed before it shows may be lost
    child.send(ENTER)
    child.expect(re.escape("$ neat train -c cfg.json"))
    deadline = time.monotonic() + 90
    while not RunDirectory(run).path.joinpath("metrics.jsonl").exists():
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.2)
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
    child.send("\x15" + "1" + ENTER)  # fewer steps than done: the trainer refuses
    child.expect("nothing left to train")
    child.expect("What would you like to do")
    child.send(CTRL_D)
    child.expect("bye")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_interactive_analysis_in_a_terminal(tmp_path):
    tiny_blt(tmp_path / "run" / "checkpoints" / "step-0000003")
    big = tmp_path / "big input.bin"
    big.write_bytes(bytes(range(256)) * 40000)  # 10 MB, one document
    child = spawn("analyze", "run", "-i", "--set", "backend.cpu.threads=1", cwd=tmp_path)
    child.expect("neat>")
    child.expect(r"blt-entropy step-0000003 .* input: none yet .* mode global, threshold "
                 r"2 bits")  # the status line
    type_slowly(child, ":mo", TAB, " rel", TAB, ENTER)
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
    type_slowly(child, ":sa", TAB, " json", ENTER)
    child.expect("wrote analysis.json")
    assert (tmp_path / "analysis.json").is_file()
    child.send(CTRL_D)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
