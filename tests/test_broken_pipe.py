"""A reader that stops reading (`neat patch ... | head -1`) ends the command quietly with
exit code 0: no message, no "Exception ignored", whatever was writing (a command, a
report plugin, Click's help)."""

from __future__ import annotations

import os
import subprocess

import pytest

from .eval_helpers import tiny_blt
from .train_utils import NEAT, subprocess_env

pytestmark = pytest.mark.slow  # a neat process per case


def into_closed_pipe(*args: str, cwd) -> subprocess.CompletedProcess:
    """``neat ARGS`` with stdout a pipe whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([NEAT, *args], stdout=write, stderr=subprocess.PIPE, text=True,
                              cwd=cwd, env=subprocess_env(), timeout=300)
    finally:
        os.close(write)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipe")
    tiny_blt(root / "run" / "checkpoints" / "step-0000003")
    (root / "lines.txt").write_text("".join(f"line {i}\n" for i in range(2000)))
    return root


@pytest.mark.parametrize("args", [
    ("patch", "run", "lines.txt"),  # the command streams its output
    ("eval", "run", "--data", "lines.txt"),  # a report plugin writes it
    ("--help",),  # Click writes it
])
def test_a_closed_pipe_ends_quietly(workdir, args):
    result = into_closed_pipe(*args, cwd=workdir)
    assert result.returncode == 0
    assert "error" not in result.stderr and "Exception" not in result.stderr
