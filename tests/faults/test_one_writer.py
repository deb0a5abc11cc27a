"""One writer per run directory (audit defect 1): a second run into a directory another
run is writing to is refused; locks left by dead runs are taken over."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from neat_core.training import read_metrics
from neat_core.training.run_lock import LOCK_FILE

from ..train_utils import NEAT, set_args, subprocess_env, tiny_settings
from ..waiting import wait_until


def error_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def wait_for_lock(process: subprocess.Popen, lock) -> dict:
    text = wait_until(lambda: lock.exists() and lock.read_text().strip(),
                      "the first run to take the lock", process=process)
    return json.loads(text)


@pytest.mark.slow
def test_a_second_run_into_a_busy_directory_is_refused(tmp_path, run_cli):
    run = tmp_path / "run"
    first_settings = tiny_settings(run, tmp_path / "cache", training__max_steps=100_000,
                                   training__save_steps=100_000, run__seed=1)
    first = subprocess.Popen([NEAT, "train", *set_args(first_settings)],
                             env=subprocess_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        owner = wait_for_lock(first, run / LOCK_FILE)
        assert owner["pid"] == first.pid
        for seed in (1, 2):  # the same run again, or another one
            second = run_cli("train", *set_args({**first_settings, "run.seed": seed,
                                                 "training.max_steps": 4}))
            assert second.exit_code == 2
            line = error_line(second)
            assert f"run directory {run} is in use by another run (pid {first.pid} on" in line
            assert "choose another --output-dir" in line
        wait_until(lambda: read_metrics(run), "the first run's first record", process=first)
    finally:
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=120)
    assert first.returncode == 130, stderr
    steps = [r["step"] for r in read_metrics(run) if r["kind"] == "train"]
    assert steps == list(range(1, len(steps) + 1))  # one writer: no duplicates
    assert json.loads((run / "config.json").read_text())["run"]["seed"] == 1
    assert (run / LOCK_FILE).read_text() == ""  # released on exit


def test_a_lock_left_by_a_dead_run_is_taken_over_with_a_notice(tmp_path, run_cli):
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_FILE).write_text(json.dumps({"pid": 999_999_999, "host": "gone",
                                             "started": "yesterday"}))
    result = run_cli("train", *set_args(tiny_settings(run, tmp_path / "cache")))
    assert result.exit_code == 0, result.output
    assert "left locked by a run that ended without releasing it (pid 999999999 on " \
           "gone" in result.stderr and "taking it over" in result.stderr
    assert (run / LOCK_FILE).read_text() == ""


def test_the_lock_is_released_when_a_run_fails(tmp_path, run_cli):
    run = tmp_path / "run"
    settings = tiny_settings(run, tmp_path / "cache")
    (tmp_path / "empty.txt").write_bytes(b"")  # exists (checked before the lock), unusable
    failed = run_cli("train", *set_args({**settings, "data.train": [str(tmp_path / "empty.txt")]}))
    assert "has only empty files" in failed.stderr
    assert failed.exit_code == 2 and (run / LOCK_FILE).read_text() == ""
    assert run_cli("train", *set_args(settings)).exit_code == 0


def test_a_planted_lock_symlink_is_not_followed(tmp_path, run_cli):
    run = tmp_path / "run"
    run.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (run / LOCK_FILE).symlink_to(victim)
    assert run_cli("train", *set_args(tiny_settings(run, tmp_path / "cache"))).exit_code == 0
    assert victim.read_text() == "precious" and not (run / LOCK_FILE).is_symlink()
