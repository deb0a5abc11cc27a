"""The ``cuda`` backend: NVIDIA GPUs (and AMD GPUs through ROCm builds of torch).

Probing is cheap where CUDA cannot work: on macOS and with a CPU-only build of torch
(its package version ends in ``+cpu``) the answer comes without importing torch.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import sys
from typing import Any

from neat_core.api import (
    Backend,
    BackendConfig,
    DistEnv,
    Settings,
    UsageError,
    frozen,
    hookimpl,
    setting,
)


@frozen
class CudaSettings(Settings):
    device_index: int = setting(0, min=0, help="Index of the GPU to use (under torchrun "
                                               "each process uses its LOCAL_RANK instead).",
                                formerly=("backend.device_index",))
    memory_reserve_pct: float | None = setting(
        None, min=0, max=100, max_exclusive=True,
        help="Percent of GPU memory to leave free for other processes (sets the "
             "per-process memory fraction to 1 - pct/100).",
        formerly=("memory_reserve_pct", "backend.memory_reserve_pct"))


def device_index(config: BackendConfig) -> int:
    """The GPU this process uses: LOCAL_RANK under torchrun, else the configured index."""
    env = DistEnv.from_environ()
    return env.local_rank if env.distributed else _settings(config).device_index


def _settings(config: BackendConfig) -> CudaSettings:
    return config.plugins.get("cuda") or CudaSettings()

COMPILE_MIN_STEPS = 1000  # training.compile unset: compile runs at least this long


def _cuda_available() -> tuple[bool, str]:
    if sys.platform == "darwin":
        return False, "CUDA is not supported on macOS"
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        version = importlib.metadata.version("torch")
        if version.endswith("+cpu"):
            return False, f"torch {version} is a CPU-only build"
    import torch

    version = torch.__version__
    if torch.version.cuda is None and torch.version.hip is None:
        return False, f"torch {version} was built without CUDA"
    runtime = f"CUDA {torch.version.cuda}" if torch.version.cuda else f"ROCm {torch.version.hip}"
    if not torch.cuda.is_available():
        return False, f"no usable GPU found by torch {version} ({runtime})"
    return True, f"{torch.cuda.device_count()} GPU(s), {runtime}"


def _device_count() -> int:
    import torch

    return torch.cuda.device_count()


def _device_properties(index: int) -> dict[str, Any]:
    import torch

    props = torch.cuda.get_device_properties(index)
    # native bf16 needs compute capability 8.0 (Ampere); ROCm GPUs that run torch have it
    bf16 = bool(torch.version.hip) or props.major >= 8
    return {"device_name": props.name, "memory_bytes": props.total_memory,
            "compute_capability": f"{props.major}.{props.minor}", "bf16": bf16}


class CudaBackend(Backend):
    name = "cuda"
    device_type = "cuda"
    description = "NVIDIA GPUs (ROCm builds: AMD GPUs); bf16 or fp16 + grad scaler"
    auto_priority = 300
    mixed_precision_dtypes = ("bf16", "fp16")
    peak_memory_meaning = ("peak bytes held by tensors on the device since the last reset "
                           "(torch.cuda.max_memory_allocated; excludes the allocator's cache "
                           "and the CUDA context)")

    def is_available(self) -> tuple[bool, str]:
        return _cuda_available()

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        count = _check_device_index(config)
        return {**_device_properties(device_index(config)), "device_count": count}

    def device_spec(self, config: BackendConfig) -> str:
        return f"cuda:{device_index(config)}"

    def auto_mixed_precision(self, config: BackendConfig) -> str:
        return "bf16" if _device_properties(device_index(config))["bf16"] else "fp16"

    def resolve_mixed_precision(self, config: BackendConfig) -> str | None:
        amp = super().resolve_mixed_precision(config)
        if amp == "bf16" and not _device_properties(device_index(config))["bf16"]:
            raise UsageError(f"CUDA device {device_index(config)} does not support bf16",
                             hint="set backend.mixed_precision to fp16 or auto")
        return amp

    def settings(self, config: BackendConfig) -> dict[str, Any]:
        return {**super().settings(config), "memory_fraction": memory_fraction(config),
                "tf32_matmul": True}

    def prepare(self, config: BackendConfig) -> None:
        _check_device_index(config)
        super().prepare(config)

    def configure(self, config: BackendConfig) -> None:
        import torch

        torch.cuda.set_device(device_index(config))
        # float32 matmuls on tensor cores (TF32: float32's range, 10-bit mantissa), as
        # GPU users expect; autocast covers most work anyway
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        fraction = memory_fraction(config)
        if fraction is not None:
            torch.cuda.set_per_process_memory_fraction(fraction, device_index(config))

    def compile_pays_back(self, steps: int) -> bool:
        # compiling a small model takes about a minute and makes GPU steps much faster
        return steps >= COMPILE_MIN_STEPS

    def synchronize(self) -> None:
        import torch

        torch.cuda.synchronize(self.device)

    def reset_peak_memory(self) -> None:
        import torch

        torch.cuda.reset_peak_memory_stats(self.device)

    def peak_memory_bytes(self) -> int:
        import torch

        return torch.cuda.max_memory_allocated(self.device)


def _check_device_index(config: BackendConfig) -> int:
    """The number of devices, after checking that ``device_index`` names one of them."""
    count = _device_count()
    index = device_index(config)
    if index >= count:
        raise UsageError(f"backend.cuda.device_index is {index}, but there "
                         f"{'is' if count == 1 else 'are'} {count} CUDA device(s)",
                         hint=f"choose 0..{count - 1}")
    return count


def memory_fraction(config: BackendConfig) -> float | None:
    """The per-process memory fraction that leaves ``memory_reserve_pct`` percent free."""
    reserve = _settings(config).memory_reserve_pct
    return None if reserve is None else 1.0 - reserve / 100.0


@hookimpl
def register_backends(register) -> None:
    register("cuda", CudaBackend, description=CudaBackend.description,
             config_class=CudaSettings)
