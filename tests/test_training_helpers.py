"""The torch-free building blocks of training: schedule, run directory, metrics, signals,
callbacks."""

from __future__ import annotations

import logging
import os
import signal

import pytest

import neat_core
from neat_core import hookimpl
from neat_core.config import (
    CallbackConfig,
    TrainingConfig,
    default_config,
    frozen,
    load_config,
    setting,
)
from neat_core.errors import UsageError
from neat_core.testing import plugin_registered
from neat_core.training import (
    Callbacks,
    LrSchedule,
    MetricsLog,
    RunDirectory,
    StopRequest,
    read_metrics,
)


def schedule(**settings) -> LrSchedule:
    return LrSchedule.from_config(TrainingConfig(**{"learning_rate": 1.0, "warmup_steps": 10,
                                                    "max_steps": 110, **settings}))


def test_warmup_is_linear_then_decay_ends_at_min_learning_rate():
    lr = schedule(min_learning_rate=0.1)
    assert [lr(s) for s in range(3)] == pytest.approx([0.1, 0.2, 0.3])
    assert lr(9) == pytest.approx(1.0) and lr(10) == pytest.approx(1.0)
    assert lr(60) == pytest.approx(0.55)  # cosine half way: (1 + 0.1) / 2
    assert lr(110) == pytest.approx(0.1) and lr(500) == pytest.approx(0.1)
    assert lr(30) > lr(31) > lr(32)


def test_schedule_kinds_and_default_minimum():
    assert schedule(lr_schedule="linear")(35) == pytest.approx(1 - 0.9 * 0.25)
    assert schedule(lr_schedule="constant")(100) == 1.0
    assert schedule()(110) == pytest.approx(0.1)  # min_learning_rate default: lr / 10
    assert schedule(warmup_steps=0)(0) == 1.0


def test_time_fraction_moves_the_decay_forward():
    lr = schedule(min_learning_rate=0.0)
    assert lr(20, time_fraction=1.0) == pytest.approx(0.0)
    assert lr(60, time_fraction=0.0) == pytest.approx(0.5)
    assert lr(5, time_fraction=1.0) == pytest.approx(0.6)  # warmup is by steps


def test_output_dir_that_is_a_file_or_below_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        RunDirectory(tmp_path / "file").check_writable()
    with pytest.raises(UsageError, match="not writable"):
        RunDirectory(tmp_path / "file" / "run").check_writable()


def test_output_dir_without_write_permission(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere on disk, but not into /proc
        unwritable = "/proc/neat-run"
    else:
        (tmp_path / "locked").mkdir(mode=0o500)
        unwritable = tmp_path / "locked" / "run"
    with pytest.raises(UsageError, match="not writable"):
        RunDirectory(unwritable).check_writable()


def make_checkpoints(run: RunDirectory, *steps: int) -> None:
    """Stand-ins: directories with the files that make a checkpoint look complete."""
    for step in steps:
        run.step_path(step).mkdir(parents=True)
        for name in ("meta.json", "model.safetensors", "config.json"):
            (run.step_path(step) / name).touch()


def test_rotation_keeps_the_last_n_and_the_best(tmp_path):
    run = RunDirectory(tmp_path)
    make_checkpoints(run, 100, 200, 300, 400)
    (run.checkpoints_dir / ".step-0000500.tmp").mkdir()  # an unfinished write
    run.mark_best(100)
    run.rotate(keep_last=2)
    assert [step for step, _ in run.checkpoints()] == [100, 300, 400]
    assert run.best() == run.step_path(100).resolve()
    assert run.latest() == run.step_path(400)
    run.mark_best(400)
    run.rotate(keep_last=1)
    assert [step for step, _ in run.checkpoints()] == [400]


def test_drop_after_removes_newer_checkpoints_and_a_dangling_best(tmp_path, caplog):
    run = RunDirectory(tmp_path)
    make_checkpoints(run, 100, 200, 300)
    run.mark_best(300)
    with caplog.at_level(logging.WARNING, logger="neat.train"):
        run.drop_after(100)
    assert [step for step, _ in run.checkpoints()] == [100]
    assert run.best() is None and not (run.checkpoints_dir / "best").is_symlink()
    assert "step-0000200, step-0000300" in caplog.text


def test_metrics_log_appends_and_truncates_for_resume(tmp_path):
    log = MetricsLog(tmp_path)
    for step in (10, 20, 30):
        log.write({"kind": "train", "step": step, "loss": float("nan") if step == 30 else 1.0})
    assert [r["step"] for r in read_metrics(tmp_path)] == [10, 20, 30]
    assert read_metrics(tmp_path)[-1]["loss"] == "nan"
    log.truncate_after(20)
    assert [r["step"] for r in read_metrics(log.path)] == [10, 20]


@pytest.fixture
def default_sigint():
    """Python's own Ctrl-C handler, whatever this process started with (a job started in
    the background of a shell without job control starts with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_first_signal_requests_a_stop_second_sigint_acts_at_once(default_sigint):
    with StopRequest() as stop:
        signal.raise_signal(signal.SIGTERM)
        assert stop.requested == "SIGTERM"
        signal.raise_signal(signal.SIGTERM)  # still ours: the run is already stopping
        assert stop.requested == "SIGTERM"
        with pytest.raises(KeyboardInterrupt):  # the handler it had before, back at once
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class Recorder:
    events: list = []

    def on_log(self, record):
        self.events.append(("log", record["step"]))

    def on_eval(self, record):
        raise RuntimeError("broken logger")


class RecordingPlugin:
    @hookimpl
    def register_training_callbacks(self, register):
        register("recorder", lambda config, run_dir: Recorder(), description="test")
        register("absent", lambda config, run_dir: None)


class ClashingPlugin:
    @hookimpl
    def register_training_callbacks(self, register):
        register("recorder", lambda config, run_dir: Recorder())


def test_callbacks_get_events_and_a_broken_one_is_disabled(tmp_path, caplog):
    Recorder.events = []
    with plugin_registered(RecordingPlugin(), "recording"):
        assert {"recorder", "absent"} <= set(neat_core.get_registry().callbacks)
        callbacks = Callbacks.for_run(default_config(), tmp_path)
        assert callbacks.names == ["recorder"]
        callbacks.emit("on_log", {"step": 1})
        with caplog.at_level(logging.WARNING):
            callbacks.emit("on_eval", {"step": 1})
            callbacks.emit("on_eval", {"step": 2})
        callbacks.emit("on_train_end", {})  # not defined: skipped
    assert Recorder.events == [("log", 1)]
    assert caplog.text.count("broken logger") == 1 and "recording" in caplog.text
    assert callbacks.names == []


def test_two_plugins_registering_one_callback_name_clash(caplog):
    with plugin_registered(RecordingPlugin(), "one"), plugin_registered(ClashingPlugin(), "two"):
        with caplog.at_level(logging.WARNING):
            assert neat_core.get_registry().callbacks["recorder"].plugin == "one"
    assert "'recorder' is registered by both plugin 'one' and plugin 'two'" in caplog.text


class OptInPlugin:
    """A callback that runs only when a config enables it, with a setting of its own."""

    @frozen
    class Settings(CallbackConfig):
        enabled: bool = setting(False, help="Write the step log.")
        every: int = setting(1, min=1, help="Record every Nth log step.")

    @hookimpl
    def register_training_callbacks(self, register):
        register("steps", lambda config, run_dir: config.settings(self.Settings),
                 config_class=self.Settings)


def test_a_callback_is_opt_in_by_config_and_reads_its_settings(tmp_path):
    with plugin_registered(OptInPlugin(), "opt-in"):
        assert Callbacks.for_run(default_config(), tmp_path).names == []
        config = load_config(overrides={"callbacks.steps.enabled": True,
                                        "callbacks.steps.every": 5}).config
        callbacks = Callbacks.for_run(config, tmp_path)
        assert callbacks.names == ["steps"]
        assert callbacks._active[0][1].every == 5
