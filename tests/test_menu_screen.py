"""`neat menu` on a real terminal's screen (pexpect + pyte), where the round-3 papercuts
showed: Tab completion into a directory without an error on the half-typed path, the
train form's header, a training run stopped with Ctrl-C (a notice; its progress bar
drawn once), and no log line on the line being edited."""

from __future__ import annotations

import json
import re

import pytest

from neat_core.training import RunDirectory

from .menu_keys import CTRL_C, CTRL_D, ENTER, tiny_config_file
from .terminal import Terminal
from .waiting import wait_until

pytestmark = pytest.mark.slow


def screen_text(child: Terminal) -> str:
    return "\n".join(line.rstrip() for line in child.screen.display)


def test_the_menu_on_a_terminal(tmp_path):
    run = tmp_path / "run"
    (tmp_path / "configs").mkdir()
    config = tiny_config_file(tmp_path / "configs" / "long.json", run, steps=100000)
    settings = json.loads(config.read_text())
    settings["run"]["progress"] = True  # the bar, as a terminal shows it
    del settings["backend"]["cpu"]  # threads chosen by timing: the tuner's line
    config.write_text(json.dumps(settings))
    child = Terminal("menu", cwd=tmp_path)
    child.expect("What would you like to do")
    child.send("1" + ENTER)
    child.wait_for_input(r"^Config file .*: $")
    child.complete("conf", "configs/")  # the directory, with its slash
    child.expect("long.json")  # ...and on inside it: the completion menu lists the file
    assert "directory" not in screen_text(child)  # not an error while on the way
    child.complete("", "long.json")
    child.wait_for_input(r": configs/long\.json$")
    child.send(ENTER)
    child.expect(re.escape("train · config: configs/long.json"))  # the form's header
    for prompt in ("Training steps", "Output directory", "Backend"):
        child.expect(prompt)
        child.send(ENTER)
    child.expect(re.escape("$ neat train -c configs/long.json"))
    wait_until(lambda: RunDirectory(run).path.joinpath("metrics.jsonl").exists(),
               "training to start")
    child.send(CTRL_C)
    child.expect(r"training interrupted \(SIGINT\) at step \d+; checkpoint saved to")
    child.expect(re.escape("stopped (exit code 130)"))
    child.expect("What would you like to do")
    shown = screen_text(child)
    assert "error" not in shown
    assert len(re.findall(r"^train: ", shown, re.MULTILINE)) == 1  # the bar, once
    assert shown.count("torch thread") <= 1
    child.send("3" + ENTER)  # eval: checking a run directory resolves its checkpoint...
    child.wait_for_input(r"^Checkpoint or run directory \[.*\]: $")
    child.send("run" + ENTER)
    child.expect("Data to evaluate on")
    assert "using checkpoint" not in screen_text(child)  # ...without a word on the line
    child.send(CTRL_C)
    child.expect("cancelled; back to the menu")
    child.expect("What would you like to do")  # the menu reads keys again (raw mode)
    child.send(CTRL_D)
    child.expect("bye")
    assert child.finish() == 0
