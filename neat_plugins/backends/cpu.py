"""The ``cpu`` backend: always available; threads chosen by timing, bf16 where native.

Unless ``backend.cpu.threads`` is set, :class:`~.cpu_threads.ThreadTuner` times
training steps and scoring batches at one, half and all cores (shared between the
processes of a torchrun job) and keeps whichever count runs them fastest.
``mixed_precision: auto`` means bf16 autocast on CPUs that compute bf16 natively
(AVX512-BF16 or AMX), where it makes steps about 1.3x faster; elsewhere bf16 is
emulated and slower, so auto means off there.
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

from .cpu_threads import ThreadTuner, candidate_counts

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
        self.tuner: ThreadTuner | None = None

    def is_available(self) -> tuple[bool, str]:
        return True, "always available"

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        return {"device_name": _cpu_name(), "memory_bytes": system_memory_bytes(),
                "cores": _all_cores(), "native_bf16": _native_bf16()}

    def auto_mixed_precision(self, config: BackendConfig) -> str | None:
        return "bf16" if _native_bf16() else None

    def threads(self, config: BackendConfig) -> int | None:
        """The configured thread count; None: chosen by timing."""
        threads: int | None = self.own_settings(config).threads
        return threads

    def cores(self) -> int:
        """Cores this process may use: all of them, shared by torchrun's processes."""
        return max(1, _all_cores() // _processes_per_machine())

    def settings(self, config: BackendConfig) -> dict[str, Any]:
        counts = candidate_counts(self.cores())
        threads: int | str = self.threads(config) or counts[0]
        if self.threads(config) is None and len(counts) > 1:
            threads = (f"the fastest of {', '.join(map(str, counts))}, timed on the work "
                       f"(1 at first)")
        return {**super().settings(config), "threads": threads}

    def configure(self, config: BackendConfig) -> None:
        import torch

        self.tuner = None
        counts = candidate_counts(self.cores())
        if self.threads(config) is None and len(counts) > 1:
            self.tuner = ThreadTuner(counts, torch.set_num_threads)
        else:
            torch.set_num_threads(self.threads(config) or counts[0])

    def observe_step(self, seconds: float) -> None:
        if self.tuner is not None:
            self.tuner.observe(seconds)

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


@hookimpl
def register_backends(register) -> None:
    register("cpu", CpuBackend, description=CpuBackend.description, config_class=CpuSettings)
