"""The ``cpu-background`` backend: the CPU at low priority with few threads.

For training beside other work on a laptop: the process lowers its scheduling priority
(``os.nice``) and uses ``threads`` torch threads, so the machine stays responsive. It
takes no part in ``backend.name = auto`` (no ``auto_priority``); choose it by name:
``neat train --backend cpu-background``.

A backend is constructed for ``neat backends`` and ``auto`` selection, so the class
imports torch only inside the methods that run on the device.
"""

from __future__ import annotations

import os
import platform
from typing import Any

from neat_core.api import Backend, BackendConfig, system_memory_bytes

from .config import BackgroundCpuSettings


class BackgroundCpuBackend(Backend):
    name = "cpu-background"
    device_type = "cpu"
    description = "Example plugin: the CPU at low priority with few threads"
    auto_priority = None  # only when asked for by name

    def is_available(self) -> tuple[bool, str]:
        if not hasattr(os, "nice"):
            return False, "lowering the priority needs os.nice (not on Windows)"
        return True, f"this process runs at niceness {os.nice(0)}"

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        return {"device_name": platform.machine() or "CPU",
                "memory_bytes": system_memory_bytes()}

    def settings(self, config: BackendConfig) -> dict[str, Any]:
        own: BackgroundCpuSettings = self.own_settings(config)  # backend.cpu-background
        return {**super().settings(config), "threads": own.threads, "niceness": own.niceness}

    def configure(self, config: BackendConfig) -> None:
        import torch

        own: BackgroundCpuSettings = self.own_settings(config)  # backend.cpu-background
        torch.set_num_threads(own.threads)
        current = os.nice(0)
        if own.niceness > current:
            os.nice(own.niceness - current)
