"""kill -9 at distinct points of a run, then resume: the final curve is bit for bit that
of a run that was never killed, and nothing of the killed runs is left behind.

The process kills itself when the event happens (kill_on_event.py), so each kill lands
where it says, mid-save included. One run is killed at each event in turn, each time
resumed from what the kill left."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from neat_core.training import RunDirectory, step_dir_name

from ..train_utils import NEAT, losses, set_args, subprocess_env, tiny_settings
from . import kill_on_event

pytestmark = pytest.mark.slow

SETTINGS = {"training__max_steps": 10, "training__save_steps": 1, "training__eval_steps": 2,
            "training__keep_last": 2}
KILLS = [  # the event, and the latest checkpoint the kill leaves
    ("train-start", None),  # the data is prepared, no step taken
    ("write:.step-0000003.tmp-", step_dir_name(2)),  # half-way through saving step 3
    ("log:5", step_dir_name(4)),  # step 5 is in metrics.jsonl, its checkpoint is not
    ("checkpoint:7", step_dir_name(7)),  # right after a checkpoint is complete
]


def start(run: Path, args: list[str], event: str | None = None) -> subprocess.Popen:
    neat = [sys.executable, kill_on_event.__file__, event] if event else [NEAT]
    again = ["--resume", "--output-dir", str(run)] if RunDirectory(run).latest() else args
    return subprocess.Popen([*neat, "train", *again], env=subprocess_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_kill_9_at_events_of_a_run_then_resume_gives_the_same_curve(tmp_path, run_cli):
    reference = tmp_path / "reference"
    assert run_cli("train", *set_args(tiny_settings(reference, tmp_path / "cache",
                                                    **SETTINGS))).exit_code == 0
    expected = losses(reference)
    run = tmp_path / "run"
    args = set_args(tiny_settings(run, tmp_path / "cache", **SETTINGS))
    for event, left in KILLS:
        killed = start(run, args, event)
        _, stderr = killed.communicate(timeout=300)
        assert killed.returncode == -signal.SIGKILL, (event, stderr)  # killed inside the run
        latest = RunDirectory(run).latest()
        assert (latest and latest.name) == left, event
        if event.startswith("write:"):  # the half-written checkpoint is there
            assert len(list((run / "checkpoints").glob(".step-0000003.tmp-*"))) == 1
    resumed = start(run, args)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert losses(run) == expected
    assert not [p for p in run.rglob(".*") if ".tmp-" in p.name]
