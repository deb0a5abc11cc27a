"""Driving the prompt layer as a user would, in this process: real keystrokes through
prompt_toolkit's pipe input (the prompts themselves are not replaced)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Iterator

from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from .train_utils import CORPUS

ENTER, UP, DOWN, TAB = "\r", "\x1b[A", "\x1b[B", "\t"
CTRL_C, CTRL_D, CTRL_U = "\x03", "\x04", "\x15"
LEAVE = CTRL_D * 4  # back out of any question, then out of the menu (never hangs)


@contextlib.contextmanager
def keyboard(*keys: str) -> Iterator[None]:
    """Every prompt in the block reads ``keys`` (typed ahead, as a fast typist would)."""
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("".join(keys))
        yield


def run_menu(*keys: str) -> None:
    from neat_core.cli import cli
    from neat_plugins.tui.menu import run_menu as menu

    with keyboard(*keys, LEAVE):
        menu(cli)


def tiny_config_file(path: Path, output_dir: Path, steps: int = 4) -> Path:
    """A config file of a tiny run on a small real corpus."""
    path.write_text(json.dumps({
        "schema_version": 2,
        "model": {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "block_size": 16},
        "training": {"batch_size": 4, "max_steps": steps, "warmup_steps": 1,
                     "log_steps": 2, "eval_steps": 2, "save_steps": 2, "eval_batches": 2},
        "backend": {"name": "cpu", "cpu": {"threads": 1}},
        "data": {"train": [CORPUS], "cache_dir": str(path.parent / "cache")},
        "run": {"output_dir": str(output_dir), "progress": False}}))
    return path
