"""Simulated hardware for backend tests: the plugins' probe functions, replaced.

The ``machine`` fixture starts with no GPU of any kind and a CPU without native bf16;
``machine.cuda(...)``, ``machine.mps()`` and ``machine.cpu_bf16()`` turn them on.
torch.cuda calls that need a real GPU are replaced by recorders, so tests can assert
what the backend asked of the device.
"""

from __future__ import annotations

import contextlib
import logging
import types
from typing import Any, Iterator

import pytest
import torch

from neat_core import backends as core_backends
from neat_core import hookimpl
from neat_core.backends import Backend
from neat_plugins.backends import cpu, cuda, mps

MPS_VARIABLES = (mps.HIGH, mps.LOW, mps.FALLBACK)


class Machine:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.cuda_calls: list[tuple[str, tuple[Any, ...]]] = []
        monkeypatch.setattr(cuda, "_cuda_available", lambda: (False, "simulated: no GPU"))
        monkeypatch.setattr(mps, "_on_macos", lambda: False)
        monkeypatch.setattr(mps, "_mps_available", lambda: (False, "simulated: not a Mac"))
        monkeypatch.setattr(cpu, "_native_bf16", lambda: False)

    def cpu_bf16(self) -> None:
        """A CPU that computes bf16 natively (AVX512-BF16 or AMX)."""
        self._monkeypatch.setattr(cpu, "_native_bf16", lambda: True)

    def cuda(self, devices: int = 1, bf16: bool = True) -> None:
        patch = self._monkeypatch.setattr
        patch(cuda, "_cuda_available", lambda: (True, f"{devices} GPU(s), simulated"))
        patch(cuda, "_device_count", lambda: devices)
        patch(cuda, "_device_properties", lambda index: {
            "device_name": f"Simulated GPU {index}", "memory_bytes": 80 * 2**30,
            "compute_capability": "9.0" if bf16 else "7.5", "bf16": bf16})
        for name in ("set_device", "set_per_process_memory_fraction"):
            patch(torch.cuda, name, self._recorder(name))

    def mps(self) -> None:
        self._monkeypatch.setattr(mps, "_on_macos", lambda: True)
        self._monkeypatch.setattr(mps, "_mps_available", lambda: (True, "simulated Mac"))

    def _recorder(self, name: str):
        def record(*args: Any) -> None:
            self.cuda_calls.append((name, args))

        return record


class AcceleratorBackend(Backend):
    """A third-party backend that runs on the CPU under another name."""

    name = "accel"
    device_type = "cpu"
    description = "test accelerator"

    def is_available(self) -> tuple[bool, str]:
        return True, "simulated accelerator"


def backend_plugin(backend_class: type[Backend]) -> types.SimpleNamespace:
    @hookimpl
    def register_backends(register) -> None:
        register(backend_class.name, backend_class, description=backend_class.description)

    return types.SimpleNamespace(register_backends=register_backends)


class LogRecords(logging.Handler):
    """Collects the messages of a ``neat.*`` logger (the CLI stops their propagation)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


@pytest.fixture
def machine(monkeypatch) -> Machine:
    """No GPU until the test adds one; MPS variables, notices and threads restored."""
    for variable in MPS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(mps, "_set_by_neat", {})
    monkeypatch.setattr(core_backends, "_notices_given", set())
    threads = torch.get_num_threads()
    yield Machine(monkeypatch)
    torch.set_num_threads(threads)


@contextlib.contextmanager
def logged(name: str) -> Iterator[LogRecords]:
    """The records logger ``name`` emits meanwhile, at every level."""
    handler = LogRecords()
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def backend_log() -> Iterator[LogRecords]:
    with logged("neat.backends") as handler:
        yield handler
