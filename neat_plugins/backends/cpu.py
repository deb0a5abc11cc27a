"""The ``cpu`` backend: always available; all cores by default, optional bf16 autocast."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from neat_core import hookimpl
from neat_core.backends import Backend, system_memory_bytes
from neat_core.config import BackendConfig, Settings, frozen, setting


@frozen
class CpuSettings(Settings):
    threads: int | None = setting(None, min=1, help="torch threads (default: all cores).",
                                  formerly=("backend.threads",))


def _all_cores() -> int:
    """CPUs this process may run on (respects affinity masks, e.g. container limits)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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

    def is_available(self) -> tuple[bool, str]:
        return True, "always available"

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        return {"device_name": _cpu_name(), "memory_bytes": system_memory_bytes(),
                "cores": _all_cores()}

    def threads(self, config: BackendConfig) -> int:
        return self.own_settings(config).threads or _all_cores()

    def settings(self, config: BackendConfig) -> dict[str, Any]:
        return {**super().settings(config), "threads": self.threads(config)}

    def configure(self, config: BackendConfig) -> None:
        import torch

        torch.set_num_threads(self.threads(config))

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
