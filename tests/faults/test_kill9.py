"""kill -9 at random points of a run, then resume: the final curve is bit for bit that
of a run that was never killed, and nothing of the killed runs is left behind."""

from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest

from neat_core.training import RunDirectory, step_dir_name
from neat_core.training.run_lock import LOCK_FILE

from ..train_utils import NEAT, losses, set_args, subprocess_env, tiny_settings

pytestmark = pytest.mark.slow

SETTINGS = {"training__max_steps": 10, "training__save_steps": 1, "training__eval_steps": 2,
            "training__keep_last": 2}


def start(run, args: list[str]) -> subprocess.Popen:
    again = ["--resume", "--output-dir", str(run)] if RunDirectory(run).latest() else args
    return subprocess.Popen([NEAT, "train", *again], env=subprocess_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_kill_9_at_random_points_then_resume_gives_the_same_curve(tmp_path, run_cli):
    reference = tmp_path / "reference"
    assert run_cli("train", *set_args(tiny_settings(reference, tmp_path / "cache",
                                                    **SETTINGS))).exit_code == 0
    expected = losses(reference)
    rng, killed_midway = random.Random(15), 0
    for trial in range(3):
        run = tmp_path / f"run-{trial}"
        args = set_args(tiny_settings(run, tmp_path / "cache", **SETTINGS))
        process = start(run, args)
        while not (run / LOCK_FILE).exists() or not (run / LOCK_FILE).read_text():
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 2.0))  # somewhere in data, training, a save or the end
        killed_midway += process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.communicate()
        latest = RunDirectory(run).latest()
        if latest is None or latest.name != step_dir_name(10):  # else it had finished
            resumed = start(run, args)
            _, stderr = resumed.communicate(timeout=300)
            assert resumed.returncode == 0, stderr
        assert losses(run) == expected, trial
        assert not [p for p in run.rglob(".*") if ".tmp-" in p.name], trial
    assert killed_midway  # the kills did land inside runs
