"""The ``cpu`` backend: always available; threads and precision chosen by timing.

Unless ``backend.cpu.threads`` is set, :class:`~.cpu_tuning.CpuTuner` times training
steps and scoring batches at one, half and all cores (shared between the processes of a
torchrun job) and keeps whichever count runs them fastest. With ``mixed_precision:
auto`` on a CPU that computes bf16 natively (AVX512-BF16 or AMX) it also times fp32,
bf16 autocast and bf16 autocast with fp32 attention (:mod:`.cpu_precision`) at that
count and keeps the fastest: whether bf16 pays depends on the CPU and the model, so it
is measured, not assumed. Without native bf16, auto means fp32 (bf16 is emulated there).
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from neat_core.api import (
    Backend,
    BackendConfig,
    Settings,
    frozen,
    hookimpl,
    setting,
    system_memory_bytes,
)
from neat_core.backends import AUTO

from .cpu_tuning import (
    BF16,
    BF16_FP32_ATTENTION,
    FP32,
    PRECISION_NAMES,
    CpuSetting,
    CpuTuner,
    candidate_counts,
)

NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 flags in /proc/cpuinfo


@frozen
class CpuSettings(Settings):
    threads: int | None = setting(
        None, min=1, help="torch threads; unset: chosen by timing.",
        notes="Unset, the cpu backend times training steps and scoring batches at 1, "
              "half and all cores (shared between the processes of a torchrun job), keeps "
              "the fastest and checks again every 30-300 s: on cores other processes use, "
              "fewer threads are often many times faster. Set it for bit-reproducible "
              "runs (the count changes float rounding).",
        formerly=("backend.threads",))


def _all_cores() -> int:
    """CPUs this process may run on (respects affinity masks, e.g. container limits)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _processes_per_machine() -> int:
    """Processes of this job on this machine (torchrun sets LOCAL_WORLD_SIZE)."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _native_bf16() -> bool:
    return any(flag in _cpu_flags() for flag in NATIVE_BF16_FLAGS)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


class CpuBackend(Backend):
    name = "cpu"
    device_type = "cpu"
    description = "The CPU: always available; threads and optional bf16 autocast"
    auto_priority = 100
    mixed_precision_dtypes = ("bf16",)
    peak_memory_meaning = (
        "peak resident set size of the whole process (Python, libraries, data and tensors), "
        "from getrusage; reset_peak_memory restarts it on Linux, elsewhere it counts from "
        "process start")

    def __init__(self) -> None:
        super().__init__()
        self.tuner: CpuTuner | None = None
        self.precision = FP32  # what autocast() applies: FP32, BF16 or BF16_FP32_ATTENTION
        self._entered: str | None = None  # precision of autocast() since the last unit
        self._held = FP32  # precision of the last autocast()

    def is_available(self) -> tuple[bool, str]:
        return True, "always available"

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        return {"device_name": _cpu_name(), "memory_bytes": system_memory_bytes(),
                "cores": _all_cores(), "native_bf16": _native_bf16()}

    def auto_mixed_precision(self, config: BackendConfig) -> str | None:
        """fp32 to start; with native bf16, the tuner times the precisions."""
        return None

    def precisions(self, config: BackendConfig) -> list[str]:
        """The precisions ``config`` leaves to choose from, the first one to start."""
        if config.mixed_precision == AUTO and _native_bf16():
            return [FP32, BF16_FP32_ATTENTION, BF16]
        return [BF16] if self.resolve_mixed_precision(config) == "bf16" else [FP32]

    def threads(self, config: BackendConfig) -> int | None:
        """The configured thread count; None: chosen by timing."""
        threads: int | None = self.own_settings(config).threads
        return threads

    def cores(self) -> int:
        """Cores this process may use: all of them, shared by torchrun's processes."""
        return max(1, _all_cores() // _processes_per_machine())

    def thread_counts(self, config: BackendConfig) -> list[int]:
        """The thread counts to choose from: the configured one, else one, half, all."""
        configured = self.threads(config)
        return [configured] if configured else candidate_counts(self.cores())

    def settings(self, config: BackendConfig) -> dict[str, Any]:
        counts, precisions = self.thread_counts(config), self.precisions(config)
        threads: int | str = counts[0]
        if len(counts) > 1:
            threads = (f"the fastest of {', '.join(map(str, counts))}, timed on the work "
                       f"(1 at first)")
        precision = _precision_setting(config, precisions)
        return {**super().settings(config), "mixed_precision": precision, "threads": threads}

    def configure(self, config: BackendConfig) -> None:
        counts, precisions = self.thread_counts(config), self.precisions(config)
        self.tuner = None
        if len(counts) > 1 or len(precisions) > 1:
            self.tuner = CpuTuner(counts, precisions, self._apply)
        else:
            self._apply(CpuSetting(counts[0], precisions[0]))

    def _apply(self, setting: CpuSetting) -> None:
        import torch

        torch.set_num_threads(setting.threads)
        self.precision = setting.precision
        self.amp = None if setting.precision == FP32 else "bf16"

    def describe_mixed_precision(self) -> str:
        if self.tuner is not None and len(self.tuner.precisions) > 1:
            return (f"timed: the fastest of {_names(self.tuner.precisions)} "
                    f"({PRECISION_NAMES[self.precision]} until timed)")
        if self.config.mixed_precision == AUTO and self.precision == FP32:
            return "fp32 (auto: this CPU has no native bf16, so bf16 would be emulated)"
        return PRECISION_NAMES[self.precision]

    def autocast(self) -> Any:
        from .cpu_precision import autocast_for

        self._entered = self._held = self.precision
        return autocast_for(self.precision)

    def observe_step(self, seconds: float) -> None:
        """Scoring enters autocast once for many batches: then only the thread count is
        timed, in the precision it holds."""
        if self.tuner is not None:
            if self._entered is None:
                self.tuner.keep_precision(self._held)
            self.tuner.observe(seconds)
        self._entered = None

    def reset_peak_memory(self) -> None:
        # "5" resets the kernel's peak-RSS counter, which getrusage reports (Linux >= 4.0)
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
                clear_refs.write("5")
        except OSError:
            pass

    def peak_memory_bytes(self) -> int | None:
        try:
            import resource
        except ImportError:  # Windows
            return None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # macOS: bytes, else KiB


def _names(precisions: list[str]) -> str:
    return ", ".join(PRECISION_NAMES[p] for p in precisions)


def _precision_setting(config: BackendConfig, precisions: list[str]) -> str:
    """What ``neat backends`` shows for the precision."""
    if len(precisions) > 1:
        return f"the fastest of {_names(precisions)}, timed on the work (fp32 at first)"
    if config.mixed_precision == AUTO and precisions == [FP32]:
        return "fp32 (auto: no native bf16 on this CPU)"
    return PRECISION_NAMES[precisions[0]]


@hookimpl
def register_backends(register) -> None:
    register("cpu", CpuBackend, description=CpuBackend.description, config_class=CpuSettings)
