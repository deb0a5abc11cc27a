"""The cpu backend's thread count, chosen by timing training steps (simulated machines)."""

from __future__ import annotations

import logging

import pytest
import torch

import neat_core
from neat_core.backends import select_backend
from neat_core.config import BackendConfig, load_config
from neat_plugins.backends import cpu
from neat_plugins.backends.cpu_threads import ThreadTuner, candidate_counts

from .backends_sim import backend_log, machine  # noqa: F401 - fixtures
from .train_utils import tiny_config


class SimulatedCores:
    """Step times by thread count, a clock and the thread count the tuner set."""

    def __init__(self, seconds: dict[int, float], threads: int) -> None:
        self.seconds, self.threads, self.now = seconds, threads, 0.0
        self.switches: list[int] = []
        self.steps_at: list[int] = []  # the thread count of each step

    def set_threads(self, threads: int) -> None:
        self.threads = threads
        self.switches.append(threads)

    def run(self, tuner: ThreadTuner, steps: int) -> None:
        for _ in range(steps):
            took = self.seconds[self.threads]
            self.now += took
            self.steps_at.append(self.threads)
            tuner.observe(took)


def tuner_on(cores: SimulatedCores, **options) -> ThreadTuner:
    return ThreadTuner(candidate_counts(max(cores.seconds)), cores.set_threads,
                       clock=lambda: cores.now, **options)


def cpu_config(**settings) -> BackendConfig:
    overrides = {"backend.name": "cpu", **{f"backend.cpu.{key}": value
                                           for key, value in settings.items()}}
    return load_config(overrides=overrides).config.backend


def test_candidates_are_one_half_and_all_cores():
    assert candidate_counts(1) == [1]
    assert candidate_counts(2) == [1, 2]
    assert candidate_counts(8) == [1, 4, 8]


@pytest.mark.parametrize("seconds, best", [({1: 0.05, 2: 0.40}, 1),  # a core is taken
                                           ({1: 0.07, 2: 0.04}, 2)])  # idle cores
def test_the_faster_count_is_kept_and_said_once(seconds, best, backend_log):
    cores = SimulatedCores(seconds, threads=2)
    tuner = tuner_on(cores)
    cores.run(tuner, 20)
    assert tuner.chosen == best and cores.threads == best
    assert tuner.measured == pytest.approx(seconds)
    lines = backend_log.messages(logging.INFO)
    assert len(lines) == 1 and f"using {best} torch thread" in lines[0]
    timings = f"1 thread {seconds[1] * 1000:.0f} ms, 2 threads {seconds[2] * 1000:.0f} ms"
    assert f"per step {timings})" in lines[0]


def test_a_count_twice_as_slow_costs_one_step_per_check():
    cores = SimulatedCores({1: 0.05, 2: 0.40}, threads=2)
    tuner = tuner_on(cores, interval=1.0, max_interval=1.0)
    cores.run(tuner, 200)  # 10 s: a check every second
    assert cores.steps_at[:6] == [1] * 5 + [2]  # warm-up and timing on one thread first
    checks = cores.switches.count(2)
    assert checks >= 5 and cores.steps_at.count(2) == checks


def test_a_change_of_load_is_found_at_the_next_check_and_said(backend_log):
    cores = SimulatedCores({1: 0.07, 2: 0.04}, threads=2)
    tuner = tuner_on(cores, interval=10.0)
    cores.run(tuner, 20)
    assert tuner.chosen == 2
    cores.seconds = {1: 0.07, 2: 0.02}  # faster still: no early check, only the timed one
    cores.run(tuner, 600)
    assert tuner.chosen == 2 and tuner.interval == 20.0  # the choice stood: checked later
    cores.seconds = {1: 0.07, 2: 0.90}  # another process takes a core
    cores.run(tuner, 12)
    assert tuner.chosen == 1 and cores.threads == 1
    assert tuner.interval == 10.0
    assert "now using 1 torch thread" in backend_log.messages(logging.INFO)[-1]


def test_steps_twice_as_slow_start_a_check_at_once():
    cores = SimulatedCores({1: 0.07, 2: 0.04}, threads=2)
    tuner = tuner_on(cores, interval=1e9)
    cores.run(tuner, 20)
    cores.seconds = {1: 0.07, 2: 0.5}
    cores.run(tuner, 3 + 2 + 1 + 3)  # slow steps seen, then a check of both counts
    assert tuner.chosen == 1


def test_checking_costs_little_when_the_choice_stands():
    cores = SimulatedCores({1: 0.05, 2: 0.40}, threads=2)
    tuner = tuner_on(cores, interval=30.0, max_interval=300.0)
    cores.run(tuner, 20_000)  # 1000 s at the best count
    assert tuner.interval == 300.0
    assert cores.now < 1.02 * 20_000 * 0.05  # within 2% of always the best count


def test_cpu_backend_tunes_only_when_threads_are_unset(machine, monkeypatch):
    monkeypatch.setattr(cpu, "_all_cores", lambda: 4)
    backend = select_backend(cpu_config())
    assert backend.tuner is not None and backend.tuner.candidates == [1, 2, 4]
    assert "fastest of 1, 2, 4" in backend.settings(backend.config)["threads"]
    assert torch.get_num_threads() == 1  # where it starts
    assert select_backend(cpu_config(threads=2)).tuner is None
    monkeypatch.setattr(cpu, "_all_cores", lambda: 1)
    assert select_backend(cpu_config()).tuner is None


def test_torchrun_processes_share_the_cores(machine, monkeypatch):
    monkeypatch.setattr(cpu, "_all_cores", lambda: 8)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    backend = select_backend(cpu_config())
    assert backend.cores() == 4 and backend.tuner.candidates == [1, 2, 4]


def test_training_reports_its_steps_to_the_backend(machine, monkeypatch, tmp_path,
                                                  backend_log):
    monkeypatch.setattr(cpu, "_all_cores", lambda: 2)
    steps, observe = [], cpu.CpuBackend.observe_step

    def spy(self, seconds: float) -> None:
        steps.append(seconds)
        observe(self, seconds)

    monkeypatch.setattr(cpu.CpuBackend, "observe_step", spy)
    config = tiny_config(tmp_path / "run", tmp_path / "cache", backend__cpu__threads=None,
                         training__max_steps=12)
    neat_core.train(config)
    assert len(steps) == 12 and all(s > 0 for s in steps)
    assert any("torch thread" in line for line in backend_log.messages(logging.INFO))
