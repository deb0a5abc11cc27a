"""End-to-end training in subprocesses: signals, kill -9 while saving, torchrun (DDP),
torch.compile."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import neat_core
from neat_core.checkpoint import load_checkpoint
from neat_core.training import RunDirectory, read_metrics

from .faults import kill_on_event
from .train_utils import NEAT, losses, set_args, subprocess_env, tiny_config, tiny_settings
from .waiting import wait_until

pytestmark = pytest.mark.slow


def start_training(tmp_path: Path, **settings) -> tuple[subprocess.Popen, Path]:
    run = tmp_path / "run"
    values = tiny_settings(run, tmp_path / "cache", training__max_steps=100_000,
                           training__save_steps=100_000, **settings)
    process = subprocess.Popen([NEAT, "train", *set_args(values)], env=subprocess_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, run


def wait_for_step(process: subprocess.Popen, run: Path, timeout: float = 60) -> None:
    wait_until(lambda: any(r["kind"] == "train" for r in read_metrics(run)),
               "the first training step", process=process, timeout=timeout)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_saves_a_checkpoint_and_exits_130(tmp_path, signum):
    process, run = start_training(tmp_path)
    wait_for_step(process, run)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    last = stderr.strip().splitlines()[-1]
    assert f"training interrupted ({signum.name})" in last and "checkpoint saved to" in last
    assert f"continue with: neat train --resume {run})" in last  # the run's own directory
    checkpoint = RunDirectory(run).latest()
    assert checkpoint is not None and str(checkpoint) in last
    step = load_checkpoint(checkpoint).training_state["step"]
    assert max(r["step"] for r in read_metrics(run)) == step
    resumed = subprocess.run([NEAT, "-q", "train", "--resume", "--output-dir", str(run),
                              "--max-steps", str(step + 2)], env=subprocess_env(),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert max(losses(run)) == step + 2


def test_a_second_sigint_stops_at_once_without_saving(tmp_path):
    run = tmp_path / "run"
    values = tiny_settings(run, tmp_path / "cache", training__max_steps=100_000,
                           training__save_steps=100_000)
    # Ctrl-C twice inside step 2, the second once the first was handled (signals pending
    # together merge)
    process = subprocess.run([sys.executable, kill_on_event.__file__, "SIGINT+SIGINT@log:2",
                              "train", *set_args(values)], env=subprocess_env(),
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 130, process.stderr
    assert "SIGINT received: saving a checkpoint after this step" in process.stderr
    assert process.stderr.strip().splitlines()[-1] == "interrupted"
    assert RunDirectory(run).latest() is None


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_kill_9_while_writing_a_checkpoint_leaves_the_previous_one(tmp_path):
    run = tmp_path / "run"
    values = tiny_settings(run, tmp_path / "cache", training__save_steps=2,
                           training__max_steps=6)
    # it dies half-way through the weights of the second checkpoint (step 4)
    killed = subprocess.run([sys.executable, kill_on_event.__file__,
                             "write:.step-0000004.tmp-", "train", *set_args(values)],
                            env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    partial = list((run / "checkpoints").glob(".step-0000004.tmp-*"))
    assert len(partial) == 1  # it did die while writing step 4
    assert RunDirectory(run).latest().name == "step-0000002"
    assert load_checkpoint(run / "checkpoints" / "step-0000002").training_state["step"] == 2
    resumed = subprocess.run([NEAT, "train", "--resume", "--output-dir", str(run)],
                             env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "taking it over" in resumed.stderr  # the killed run's lock
    assert RunDirectory(run).latest().name == "step-0000006"
    assert not list((run / "checkpoints").glob(".*"))  # its leftovers are gone


def torchrun(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", NEAT, *args]
    result = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_torchrun_trains_with_ddp_and_resumes_exactly(tmp_path):
    values = tiny_settings(tmp_path / "full", tmp_path / "cache", training__max_steps=4,
                           training__lr_schedule="constant")
    torchrun("train", *set_args(values))
    split = {**values, "run.output_dir": str(tmp_path / "split"), "training.max_steps": 2}
    torchrun("train", *set_args(split))
    torchrun("train", "--resume", "--output-dir", str(tmp_path / "split"), "--max-steps", "4")

    records = read_metrics(tmp_path / "full")
    train_records = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in train_records] == [1, 2, 3, 4]  # rank 0 alone writes
    assert train_records[0]["bytes_seen"] == 2 * 4 * 16  # two ranks x batch x block
    state = load_checkpoint(tmp_path / "full" / "checkpoints" / "step-0000004").training_state
    samplers = [rank["sampler"] for rank in state["ranks"]]
    assert [(s["rank"], s["world_size"]) for s in samplers] == [(0, 2), (1, 2)]
    assert losses(tmp_path / "split") == losses(tmp_path / "full")


def test_compile_trains_a_compiled_model(tmp_path):
    import torch._dynamo

    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    neat_core.train(tiny_config(tmp_path / "run", tmp_path / "cache", training__max_steps=2,
                                training__compile=True))
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "step-0000002"
                           ).training_state["step"] == 2
