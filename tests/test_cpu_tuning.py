"""The cpu backend's thread count and precision, chosen by timing the work: the decisions
on simulated machines (a fake clock), then the real backend training and scoring."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

import neat_core
from neat_core.backends import select_backend
from neat_core.config import BackendConfig, load_config
from neat_core.models import build_model
from neat_core.scoring import Scorer
from neat_plugins.backends import cpu
from neat_plugins.backends.cpu_tuning import (
    BF16,
    BF16_FP32_ATTENTION,
    FP32,
    CpuSetting,
    CpuTuner,
    candidate_counts,
)

from .backends_sim import backend_log, machine  # noqa: F401 - fixtures
from .train_utils import tiny_config

PRECISIONS = [FP32, BF16_FP32_ATTENTION, BF16]


class SimulatedCores:
    """Step times by thread count (float32) or by (thread count, precision), a clock,
    and the settings the tuner applied."""

    def __init__(self, seconds: dict, threads: int) -> None:
        self.seconds, self.now = seconds, 0.0
        self.setting = CpuSetting(threads, FP32)
        self.switches: list[CpuSetting] = []
        self.steps_at: list[CpuSetting] = []  # the setting of each step

    def apply(self, setting: CpuSetting) -> None:
        self.setting = setting
        self.switches.append(setting)

    @property
    def threads(self) -> int:
        return self.setting.threads

    def took(self) -> float:
        seconds = self.seconds.get(self.setting)
        return self.seconds[self.setting.threads] if seconds is None else seconds

    def run(self, tuner: CpuTuner, steps: int) -> None:
        for _ in range(steps):
            took = self.took()
            self.now += took
            self.steps_at.append(self.setting)
            tuner.observe(took)


def tuner_on(cores: SimulatedCores, precisions=(FP32,), **options) -> CpuTuner:
    counts = candidate_counts(max(k if isinstance(k, int) else k[0] for k in cores.seconds))
    return CpuTuner(counts, precisions, cores.apply, clock=lambda: cores.now, **options)


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
    assert tuner.chosen == (best, FP32) and cores.threads == best
    assert {s.threads: t for s, t in tuner.measured.items()} == pytest.approx(seconds)
    lines = backend_log.messages(logging.INFO)
    assert len(lines) == 1 and f"using {best} torch thread" in lines[0]
    assert "1 thread 50 ms, 2 threads 400 ms" in lines[0] or best == 2
    assert "precision" not in lines[0] and "set backend.cpu.threads to fix it" in lines[0]


def test_a_count_twice_as_slow_costs_one_step_and_is_tried_less_often():
    cores = SimulatedCores({1: 0.05, 2: 0.40}, threads=2)
    tuner = tuner_on(cores, interval=1.0, max_interval=1.0)
    cores.run(tuner, 400)  # 20 s: a check every second
    threads = [setting.threads for setting in cores.steps_at]
    assert threads[:6] == [1] * 5 + [2]  # warm-up and timing on one thread first
    tries = [setting.threads for setting in cores.switches].count(2)
    assert threads.count(2) == tries  # each try cost one step
    assert 3 <= tries <= 6  # of about 20 checks: after the 1st, the 3rd, then every 4th


def test_a_count_tried_less_often_is_taken_again_once_it_is_fast():
    cores = SimulatedCores({1: 0.05, 2: 0.40}, threads=1)
    tuner = tuner_on(cores, interval=1.0, max_interval=1.0)
    cores.run(tuner, 200)  # several checks: 2 threads now sits out three of every four
    cores.seconds = {1: 0.05, 2: 0.03}  # the other process ended
    cores.run(tuner, 5 * 25)  # five checks
    assert tuner.chosen.threads == 2


def test_a_change_of_load_is_found_at_the_next_check_and_said(backend_log):
    cores = SimulatedCores({1: 0.07, 2: 0.04}, threads=2)
    tuner = tuner_on(cores, interval=10.0)
    cores.run(tuner, 20)
    assert tuner.chosen.threads == 2
    cores.seconds = {1: 0.07, 2: 0.02}  # faster still: no early check, only the timed one
    cores.run(tuner, 600)
    assert tuner.chosen.threads == 2 and tuner.interval == 20.0  # the choice stood
    cores.seconds = {1: 0.07, 2: 0.90}  # another process takes a core
    cores.run(tuner, 12)
    assert tuner.chosen.threads == 1 and cores.threads == 1
    assert tuner.interval == 10.0
    assert "now using 1 torch thread" in backend_log.messages(logging.INFO)[-1]


def test_steps_twice_as_slow_start_a_check_at_once():
    cores = SimulatedCores({1: 0.07, 2: 0.04}, threads=2)
    tuner = tuner_on(cores, interval=1e9)
    cores.run(tuner, 20)
    cores.seconds = {1: 0.07, 2: 0.5}
    cores.run(tuner, 3 + 2 + 1 + 3)  # slow steps seen, then a check of both counts
    assert tuner.chosen.threads == 1


def test_checking_costs_little_when_the_choice_stands():
    cores = SimulatedCores({1: 0.05, 2: 0.40}, threads=2)
    tuner = tuner_on(cores, interval=30.0, max_interval=300.0)
    cores.run(tuner, 20_000)  # 1000 s at the best count
    assert tuner.interval == 300.0
    assert cores.now < 1.02 * 20_000 * 0.05  # within 2% of always the best count


def test_cpu_backend_tunes_only_when_threads_are_unset(machine, monkeypatch):
    monkeypatch.setattr(cpu, "_all_cores", lambda: 4)
    backend = select_backend(cpu_config())
    assert backend.tuner is not None and backend.tuner.threads == [1, 2, 4]
    assert "fastest of 1, 2, 4" in backend.settings(backend.config)["threads"]
    assert torch.get_num_threads() == 1  # where it starts
    assert select_backend(cpu_config(threads=2)).tuner is None  # no native bf16 here
    monkeypatch.setattr(cpu, "_all_cores", lambda: 1)
    assert select_backend(cpu_config()).tuner is None


def test_torchrun_processes_share_the_cores(machine, monkeypatch):
    monkeypatch.setattr(cpu, "_all_cores", lambda: 8)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    backend = select_backend(cpu_config())
    assert backend.cores() == 4 and backend.tuner.threads == [1, 2, 4]


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


# --- the precision ------------------------------------------------------------------------

def test_precisions_are_timed_at_the_fastest_count_and_the_fastest_kept(backend_log):
    cores = SimulatedCores({(1, FP32): 0.10, (2, FP32): 0.30, (1, BF16_FP32_ATTENTION): 0.06,
                            (1, BF16): 0.12, (2, BF16_FP32_ATTENTION): 0.01}, threads=1)
    tuner = tuner_on(cores, PRECISIONS)
    cores.run(tuner, 40)
    assert tuner.chosen == (1, BF16_FP32_ATTENTION) and cores.setting == tuner.chosen
    assert (2, BF16_FP32_ATTENTION) not in cores.steps_at  # only at the fastest count
    assert cores.steps_at[:2] == [(1, FP32)] * 2  # it starts on one thread in float32
    line, = backend_log.messages(logging.INFO)
    assert line.startswith("cpu: using 1 torch thread (more threads were slower")
    assert "per step 1 thread 100 ms, 2 threads 300 ms" in line
    assert ("; bf16 autocast with fp32 attention (fp32 was 67 % slower here: 60 ms vs "
            "100 ms per step; bf16 autocast was 100 % slower here: 60 ms vs 120 ms per "
            "step)") in line
    assert line.endswith("set backend.cpu.threads and backend.mixed_precision to fix them")


def test_fp32_is_kept_where_bf16_is_slower_and_the_line_says_by_how_much(backend_log):
    cores = SimulatedCores({(1, FP32): 0.041, (1, BF16): 0.050,
                            (1, BF16_FP32_ATTENTION): 0.044}, threads=1)
    tuner = CpuTuner([1], PRECISIONS, cores.apply, clock=lambda: cores.now)
    cores.run(tuner, 20)
    assert tuner.chosen == (1, FP32)
    line, = backend_log.messages(logging.INFO)
    assert line.startswith("cpu: using 1 torch thread; fp32 (")
    assert "bf16 autocast was 22 % slower here: 41 ms vs 50 ms per step" in line
    assert "bf16 autocast with fp32 attention was 7 % slower here: 41 ms vs 44 ms" in line
    assert "set backend.mixed_precision to fix it" in line


def test_the_precision_is_checked_again_with_the_threads(backend_log):
    cores = SimulatedCores({(1, FP32): 0.05, (2, FP32): 0.40, (1, BF16): 0.08,
                            (1, BF16_FP32_ATTENTION): 0.09}, threads=1)
    tuner = tuner_on(cores, PRECISIONS, interval=10.0)
    cores.run(tuner, 30)
    assert tuner.chosen == (1, FP32)
    cores.seconds.update({(1, BF16): 0.03})  # bf16 became faster (say, another model)
    cores.run(tuner, 400)
    assert tuner.chosen == (1, BF16) and cores.setting == (1, BF16)
    assert "now using 1 torch thread" in backend_log.messages(logging.INFO)[-1]
    assert "; bf16 autocast (fp32 was 67 % slower" in backend_log.messages(logging.INFO)[-1]


def test_work_that_holds_its_precision_times_the_threads_only():
    cores = SimulatedCores({(1, FP32): 0.05, (2, FP32): 0.04, (2, BF16): 0.01,
                            (2, BF16_FP32_ATTENTION): 0.01}, threads=1)
    tuner = tuner_on(cores, PRECISIONS)
    cores.run(tuner, 1)
    tuner.keep_precision(FP32)
    cores.run(tuner, 40)
    assert tuner.chosen == (2, FP32) and tuner.precisions == [FP32]
    assert {setting.precision for setting in cores.steps_at} == {FP32}


def test_the_cpu_backend_times_precisions_with_auto_where_bf16_is_native(machine):
    backend = select_backend(cpu_config(threads=1))
    assert backend.tuner is None and backend.precision == FP32
    assert "no native bf16" in backend.describe_mixed_precision()
    assert backend.settings(backend.config)["mixed_precision"] == \
        "fp32 (auto: no native bf16 on this CPU)"
    machine.cpu_bf16()
    backend = select_backend(cpu_config(threads=1))
    assert backend.tuner is not None and backend.tuner.precisions == PRECISIONS
    assert backend.amp is None and backend.precision == FP32  # until timed
    assert "fastest of fp32, bf16 autocast with fp32 attention, bf16 autocast" in \
        backend.settings(backend.config)["mixed_precision"]
    for requested, precision in (("off", FP32), ("bf16", BF16)):
        backend = select_backend(attrs_evolve(cpu_config(threads=1),
                                              mixed_precision=requested))
        assert backend.tuner is None and backend.precision == precision


def attrs_evolve(config: BackendConfig, **changes) -> BackendConfig:
    import attrs

    return attrs.evolve(config, **changes)


def test_bf16_with_fp32_attention_runs_attention_in_float32(machine):
    from neat_plugins.backends.cpu_precision import autocast_for

    query = torch.randn(1, 2, 8, 4)
    with autocast_for(BF16):
        plain = torch.nn.functional.scaled_dot_product_attention(
            query.bfloat16(), query.bfloat16(), query.bfloat16(), is_causal=True)
    with autocast_for(BF16_FP32_ATTENTION):
        layer = torch.nn.Linear(4, 4)
        projected = layer(query)
        kept = torch.nn.functional.scaled_dot_product_attention(query.bfloat16(),
                                                                query.bfloat16(),
                                                                query.bfloat16(),
                                                                is_causal=True)
    exact = torch.nn.functional.scaled_dot_product_attention(
        query.bfloat16().float(), query.bfloat16().float(), query.bfloat16().float(),
        is_causal=True)
    assert projected.dtype == torch.bfloat16  # matrix products still in bf16
    assert kept.dtype == plain.dtype == torch.bfloat16
    torch.testing.assert_close(kept, exact.bfloat16(), rtol=0, atol=0)


def test_training_times_each_precision_for_real_and_keeps_the_fastest(
        machine, monkeypatch, tmp_path, backend_log):
    machine.cpu_bf16()
    seen: list[tuple[str, cpu.CpuBackend]] = []
    observe = cpu.CpuBackend.observe_step

    def spy(self, seconds: float) -> None:
        seen.append((self.precision, self))
        observe(self, seconds)

    monkeypatch.setattr(cpu.CpuBackend, "observe_step", spy)
    config = tiny_config(tmp_path / "run", tmp_path / "cache", training__max_steps=18,
                         backend__mixed_precision="auto")
    neat_core.train(config)
    backend = seen[-1][1]
    assert {precision for precision, _ in seen} == set(PRECISIONS)
    assert set(backend.tuner.measured) == {CpuSetting(1, p) for p in PRECISIONS}
    assert backend.tuner.chosen == min(backend.tuner.measured,
                                       key=backend.tuner.measured.__getitem__)
    assert backend.precision == backend.tuner.chosen.precision
    line = next(m for m in backend_log.messages(logging.INFO) if m.startswith("cpu: using"))
    assert "% slower here:" in line and " ms per step" in line


def test_scoring_keeps_its_precision_and_times_the_threads(machine, monkeypatch):
    machine.cpu_bf16()
    monkeypatch.setattr(cpu, "_all_cores", lambda: 2)
    config = tiny_config("unused", "unused", backend__cpu__threads=None,
                         backend__mixed_precision="auto")
    backend = select_backend(config.backend)
    model = build_model(config.model, backend.device)
    data = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    Scorer(model, config, backend).entropies(data)  # 16 bytes a window: many batches
    assert backend.tuner.precisions == [FP32] and backend.precision == FP32
    assert backend.tuner.chosen is not None and backend.tuner.chosen.precision == FP32
