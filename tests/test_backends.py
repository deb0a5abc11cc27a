"""Backend selection and the platform rules of cuda and mps, on simulated hardware.

The probes of the cuda and mps plugins are replaced (see backends_sim.py); the
selection logic, the environment handling and the settings are the real ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings

import attrs
import pytest
import torch

from neat_core.backends import select_backend
from neat_core.config import BackendConfig, load_config
from neat_core.errors import ConfigError, UsageError
from neat_core.testing import plugin_registered
from neat_plugins.backends import cpu, cuda, mps

from .backends_sim import AcceleratorBackend, backend_log, backend_plugin, machine  # noqa: F401 - fixtures

HIGH, LOW, FALLBACK = mps.HIGH, mps.LOW, mps.FALLBACK


# a backend's own settings live in its section: backend.<name>.<key>
PLACES = {"threads": "cpu.threads", "device_index": "cuda.device_index",
          "memory_reserve_pct": "cuda.memory_reserve_pct", "mps_fallback": "mps.fallback"}


def config(**values) -> BackendConfig:
    return load_config(overrides={f"backend.{PLACES.get(key, key)}": value
                                  for key, value in values.items()}).config.backend


# --- auto -------------------------------------------------------------------------------

def test_auto_prefers_cuda_then_mps_then_cpu(machine, monkeypatch):
    assert isinstance(select_backend(config()), cpu.CpuBackend)
    machine.mps()
    assert isinstance(select_backend(config()), mps.MpsBackend)
    machine.cuda()
    assert isinstance(select_backend(config()), cuda.CudaBackend)


def test_auto_logs_what_it_picked_and_why(machine, backend_log):
    machine.mps()
    select_backend(config())
    picked = [m for m in backend_log.messages(logging.INFO) if m.startswith("backend:")]
    assert picked == ["backend: mps on mps, mixed precision off (auto: cuda unavailable "
                      "(simulated: no GPU); mps: simulated Mac)"]


def test_auto_fails_clearly_when_nothing_is_available(machine, monkeypatch):
    monkeypatch.setenv("NEAT_PLUGINS_BLOCK", "cpu")
    with pytest.raises(UsageError, match=r"no backend is available for 'auto': "
                                         r"cuda unavailable \(simulated: no GPU\); "
                                         r"mps unavailable \(simulated: not a Mac\)"):
        select_backend(config())


def test_an_explicit_unavailable_backend_lists_the_available_ones(machine):
    machine.mps()
    with pytest.raises(UsageError) as error:
        select_backend(config(name="cuda"))
    assert error.value.exit_code == 2
    assert error.value.one_line() == (
        "backend 'cuda' is not available: simulated: no GPU (hint: available backends: "
        "cpu, mps (or use 'auto'; `neat backends` shows why))")


def test_an_unknown_backend_lists_the_registered_ones(machine):
    with pytest.raises(UsageError) as error:
        select_backend(config(name="cdua"))
    assert error.value.one_line() == ('unknown backend \'cdua\' (did you mean "cuda"?) '
                                      '(hint: registered backends: cpu, cuda, mps)')


# --- third-party backends -----------------------------------------------------------------

def test_a_third_party_backend_is_selectable_by_name_but_not_by_auto(machine):
    with plugin_registered(backend_plugin(AcceleratorBackend), name="accel-plugin"):
        backend = select_backend(config(name="accel", mixed_precision="off"))
        assert isinstance(backend, AcceleratorBackend)
        assert backend.device == torch.device("cpu")
        assert backend.config.name == "accel"
        assert isinstance(select_backend(config()), cpu.CpuBackend)  # no auto_priority


def test_a_third_party_backend_with_a_priority_takes_part_in_auto(machine):
    class Preferred(AcceleratorBackend):
        name = "preferred"
        auto_priority = 1000

    machine.cuda()
    with plugin_registered(backend_plugin(Preferred), name="preferred-plugin"):
        assert isinstance(select_backend(config()), Preferred)


# --- mps ----------------------------------------------------------------------------------

def test_mps_sets_safe_watermarks_and_the_fallback_before_probing(machine, monkeypatch):
    machine.mps()
    seen = {}

    def probe():  # the environment must already be in place when torch is touched
        seen.update({v: os.environ.get(v) for v in (HIGH, LOW, FALLBACK)})
        return True, "simulated Mac"

    monkeypatch.setattr(mps, "_mps_available", probe)
    select_backend(config(name="mps"))
    assert seen == {HIGH: "0.8", LOW: "0.0", FALLBACK: "1"}


def test_mps_fallback_follows_the_config(machine, backend_log):
    machine.mps()
    select_backend(config(name="mps", mps_fallback=False))
    assert os.environ[FALLBACK] == "0"
    assert not [m for m in backend_log.messages() if "will run on the CPU" in m]
    select_backend(config(name="mps"))
    assert os.environ[FALLBACK] == "1"
    assert [m for m in backend_log.messages() if "will run on the CPU" in m] == [
        "operations missing on MPS will run on the CPU (PYTORCH_ENABLE_MPS_FALLBACK=1; "
        "slower, but they run)"]


@pytest.mark.parametrize("user, expected", [
    ({HIGH: "1.2", LOW: "0.5"}, {HIGH: "1.2", LOW: "0.5"}),
    ({HIGH: "0.5"}, {HIGH: "0.5", LOW: "0.0"}),
    ({LOW: "0.3"}, {HIGH: "0.8", LOW: "0.3"}),
    ({HIGH: "0", LOW: "1.5"}, {HIGH: "0", LOW: "1.5"}),  # high 0: no limit
    ({HIGH: "2", LOW: "2"}, {HIGH: "2", LOW: "2"}),
])
def test_mps_keeps_valid_user_watermarks(machine, monkeypatch, user, expected):
    machine.mps()
    for variable, value in user.items():
        monkeypatch.setenv(variable, value)
    select_backend(config(name="mps"))
    assert {v: os.environ[v] for v in (HIGH, LOW)} == expected


@pytest.mark.parametrize("user, problem", [
    ({HIGH: "0.5", LOW: "0.6"}, "the low ratio must be between 0 and the high ratio"),
    ({LOW: "1.4"}, "the low ratio must be between 0 and the high ratio"),  # the old crash
    ({HIGH: "2.5"}, "the high ratio must be between 0 and 2"),
    ({HIGH: "-0.1"}, "the high ratio must be between 0 and 2"),
    ({HIGH: "0", LOW: "2.1"}, "the low ratio must be between 0 and the high ratio"),
    ({HIGH: "lots"}, "both must be numbers"),
    ({LOW: "nan"}, "both must be finite numbers"),
])
def test_mps_rejects_bad_user_watermarks_naming_both_variables(machine, monkeypatch,
                                                               user, problem):
    machine.mps()
    for variable, value in user.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        select_backend(config(name="mps"))
    message = error.value.one_line()
    assert HIGH in message and LOW in message and problem in message
    assert error.value.exit_code == 2


def test_the_old_crash_names_which_value_is_neats_default(machine, monkeypatch):
    machine.mps()
    monkeypatch.setenv(LOW, "1.4")
    with pytest.raises(ConfigError, match=rf"{HIGH}='0.8' \(NEAT default\) and {LOW}='1.4':"):
        select_backend(config(name="mps"))


def test_mps_variables_are_not_checked_where_mps_cannot_exist(machine, monkeypatch):
    monkeypatch.setenv(LOW, "1.4")
    assert isinstance(select_backend(config()), cpu.CpuBackend)
    assert os.environ[LOW] == "1.4" and HIGH not in os.environ


def test_mps_turns_mixed_precision_off_with_one_notice(machine, backend_log):
    machine.mps()
    for _ in range(2):
        backend = select_backend(config(name="mps", mixed_precision="bf16"))
        assert backend.amp is None and backend.amp_dtype is None
        assert backend.grad_scaler() is None
        assert isinstance(backend.autocast(), contextlib.nullcontext)
    notices = [m for m in backend_log.messages(logging.WARNING) if "mixed precision" in m]
    assert notices == ["mixed precision (bf16) is turned off on MPS; training in float32"]


@pytest.mark.parametrize("exported, warned", [(None, True), ("0", True), ("1", False)])
def test_mps_warns_when_the_fallback_changes_after_torch_was_imported(
        machine, backend_log, monkeypatch, exported, warned):
    machine.mps()  # torch is imported in this process: too late for PYTORCH_ENABLE_...
    if exported is not None:
        monkeypatch.setenv(FALLBACK, exported)
    select_backend(config(name="mps"))
    late = [m for m in backend_log.messages(logging.WARNING) if "after torch" in m]
    assert late == ([f"{FALLBACK} was changed after torch was imported; torch reads it at "
                     f"import, so set it in the shell to be sure it applies"] if warned else [])


def test_mps_describes_its_environment(machine, monkeypatch):
    machine.mps()
    monkeypatch.setenv(HIGH, "1.0")
    row = mps.MpsBackend().describe(config(name="mps", mixed_precision="fp16"))
    assert row["available"] and row["settings"]["mixed_precision"] == "off"
    assert row["settings"]["environment"] == {HIGH: "1.0", LOW: "0.0", FALLBACK: "1"}
    assert os.environ[HIGH] == "1.0"  # describing sets nothing
    assert LOW not in os.environ and FALLBACK not in os.environ


# --- cuda ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pct, fraction", [(25, 0.75), (0, 1.0), (99.5, 0.005)])
def test_cuda_memory_reserve_sets_the_per_process_fraction(machine, pct, fraction):
    machine.cuda(devices=2)
    backend = select_backend(config(name="cuda", device_index=1, memory_reserve_pct=pct))
    assert backend.device == torch.device("cuda", 1)
    calls = dict(machine.cuda_calls)
    assert calls["set_device"] == (1,)
    assert calls["set_per_process_memory_fraction"][0] == pytest.approx(fraction)
    assert calls["set_per_process_memory_fraction"][1] == 1


def test_cuda_without_memory_reserve_leaves_the_fraction_alone(machine):
    machine.cuda()
    select_backend(config(name="cuda"))
    assert [name for name, _ in machine.cuda_calls] == ["set_device"]


def test_cuda_rejects_a_device_index_it_does_not_have(machine):
    machine.cuda(devices=2)
    with pytest.raises(UsageError) as error:
        select_backend(config(name="cuda", device_index=2))
    assert error.value.one_line() == ("backend.cuda.device_index is 2, but there are 2 CUDA "
                                      "device(s) (hint: choose 0..1)")


def test_cuda_mixed_precision_is_bf16_where_supported(machine):
    machine.cuda(bf16=True)
    backend = select_backend(config(name="cuda"))
    assert backend.amp_dtype == torch.bfloat16 and backend.grad_scaler() is None
    assert backend.describe_mixed_precision() == \
        "bf16 (auto: this GPU computes bf16 natively)"  # not timed: said why


def test_cuda_mixed_precision_is_fp16_with_a_grad_scaler_elsewhere(machine):
    machine.cuda(bf16=False)
    backend = select_backend(config(name="cuda"))
    assert backend.amp_dtype == torch.float16
    assert "fp16 with a grad scaler (auto: this GPU has no native bf16)" == \
        backend.describe_mixed_precision()
    with warnings.catch_warnings():  # without a real GPU torch warns and disables it
        warnings.simplefilter("ignore")
        assert isinstance(backend.grad_scaler(), torch.amp.GradScaler)
    with pytest.raises(UsageError, match="does not support bf16"):
        select_backend(config(name="cuda", mixed_precision="bf16"))
    assert select_backend(config(name="cuda", mixed_precision="off")).amp_dtype is None


def test_cuda_settings_show_what_would_be_applied(machine):
    machine.cuda(devices=2, bf16=False)
    settings = cuda.CudaBackend().describe(
        config(device_index=1, memory_reserve_pct=10))["settings"]
    assert settings == {"device": "cuda:1", "mixed_precision": "fp16", "grad_scaler": True,
                        "environment": {}, "memory_fraction": 0.9, "tf32_matmul": True}
    assert machine.cuda_calls == []  # describing applies nothing


def test_cuda_turns_on_tf32_matmuls_and_compiles_long_runs(machine):
    machine.cuda()
    flags = (torch.backends.cuda.matmul, torch.backends.cudnn)
    before = [f.allow_tf32 for f in flags]
    try:
        for f in flags:
            f.allow_tf32 = False
        backend = select_backend(config(name="cuda"))
        assert all(f.allow_tf32 for f in flags)
    finally:
        for f, value in zip(flags, before):
            f.allow_tf32 = value
    assert backend.compile_pays_back(20000) and not backend.compile_pays_back(200)
    assert not select_backend(config(name="cpu")).compile_pays_back(10**6)


# --- cpu ----------------------------------------------------------------------------------

def test_cpu_threads_are_timed_unless_told(machine, monkeypatch):
    monkeypatch.setattr(cpu, "_all_cores", lambda: 2)
    assert select_backend(config(name="cpu")).tuner is not None  # starts on one thread
    assert torch.get_num_threads() == 1
    assert select_backend(config(name="cpu", threads=2)).tuner is None
    assert torch.get_num_threads() == 2


def test_cpu_mixed_precision_is_timed_by_default_only_where_the_cpu_has_bf16(machine):
    assert select_backend(config(name="cpu", threads=1)).tuner is None
    machine.cpu_bf16()
    backend = select_backend(config(name="cpu", threads=1))
    assert backend.amp_dtype is None and len(backend.tuner.precisions) == 3  # fp32 first
    assert select_backend(config(name="cpu", threads=1, mixed_precision="off")).tuner is None


def test_cpu_bf16_on_request_fp16_refused(machine):
    backend = select_backend(config(name="cpu", mixed_precision="bf16"))
    assert backend.amp_dtype == torch.bfloat16 and backend.grad_scaler() is None
    with pytest.raises(UsageError, match=r"backend 'cpu' does not support mixed precision "
                                         r"'fp16' \(supported: bf16\)"):
        select_backend(config(name="cpu", mixed_precision="fp16"))


def test_a_selected_backend_keeps_its_config(machine):
    wanted = config(name="cpu", threads=1, mixed_precision="bf16")
    assert select_backend(wanted).config == wanted
    assert select_backend(attrs.evolve(wanted, name="auto")).config.name == "auto"


@pytest.mark.skipif(torch.version.cuda is not None or torch.version.hip is not None,
                    reason="needs a torch built without CUDA")
def test_the_real_cuda_probe_asks_torch_when_the_version_tag_does_not_tell(monkeypatch):
    monkeypatch.setattr(cuda.importlib.metadata, "version", lambda name: "2.13.0")
    assert cuda._cuda_available() == (False, f"torch {torch.__version__} was built "
                                             f"without CUDA")
