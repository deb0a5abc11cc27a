"""The ``mps`` backend: Apple GPUs through Metal Performance Shaders.

Before the first MPS allocation NEAT sets the allocator's watermark ratios
(``PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.8``, ``PYTORCH_MPS_LOW_WATERMARK_RATIO=0.0``)
unless the user set them, and checks the user's values against what torch's
MPSAllocator accepts, so a bad pair fails with a message naming both variables
instead of torch's "invalid low watermark ratio". torch reads
``PYTORCH_ENABLE_MPS_FALLBACK`` when it is imported, so the backend sets it before its
probe imports torch.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import sys
from typing import Any

from neat_core.api import (
    AMP_DTYPES,
    Backend,
    BackendConfig,
    ConfigError,
    Settings,
    frozen,
    hookimpl,
    notice_once,
    setting,
    system_memory_bytes,
)

log = logging.getLogger("neat.backends.mps")

HIGH = "PYTORCH_MPS_HIGH_WATERMARK_RATIO"
LOW = "PYTORCH_MPS_LOW_WATERMARK_RATIO"
FALLBACK = "PYTORCH_ENABLE_MPS_FALLBACK"
DEFAULTS = {HIGH: "0.8", LOW: "0.0"}
# torch's MPSAllocator accepts high in [0, 2] and low in [0, high]; high 0 means "no
# limit", and then low may go up to 2 as well
MAX_RATIO = 2.0

_set_by_neat: dict[str, str] = {}  # variable -> the default NEAT put there


def _on_macos() -> bool:
    return sys.platform == "darwin"


def _mps_available() -> tuple[bool, str]:
    if not _on_macos():
        return False, f"MPS needs macOS on Apple silicon (this is {platform.system()})"
    import torch

    if not torch.backends.mps.is_built():
        return False, f"torch {torch.__version__} was built without MPS"
    if not torch.backends.mps.is_available():
        return False, "no MPS device (needs macOS 12.3 or later on a Metal GPU)"
    return True, f"Metal GPU on macOS {platform.mac_ver()[0]}"


def _user_value(variable: str) -> str | None:
    """The variable's value if the user set it (not NEAT, in an earlier selection)."""
    value = os.environ.get(variable)
    return None if value is None or value == _set_by_neat.get(variable) else value


def watermark_environment() -> dict[str, str]:
    """The watermark ratios to use: the user's (validated) or NEAT's defaults."""
    values = {variable: _user_value(variable) or default
              for variable, default in DEFAULTS.items()}
    problem = _watermark_problem(values[HIGH], values[LOW])
    if problem:
        pair = " and ".join(
            f"{variable}={values[variable]!r}"
            f"{'' if _user_value(variable) else ' (NEAT default)'}" for variable in DEFAULTS)
        raise ConfigError(f"invalid MPS memory watermarks {pair}: {problem}",
                          hint=f"unset both to use NEAT's defaults (high {DEFAULTS[HIGH]}, "
                               f"low {DEFAULTS[LOW]}), or choose 0 <= low <= high <= "
                               f"{MAX_RATIO:g} (high 0 means no limit)")
    return values


def _watermark_problem(high_text: str, low_text: str) -> str | None:
    try:
        high, low = float(high_text), float(low_text)
    except ValueError:
        return "both must be numbers"
    if not (math.isfinite(high) and math.isfinite(low)):
        return "both must be finite numbers"
    if not 0.0 <= high <= MAX_RATIO:
        return f"the high ratio must be between 0 and {MAX_RATIO:g}"
    if not 0.0 <= low <= (high or MAX_RATIO):
        return "the low ratio must be between 0 and the high ratio"
    return None


@frozen
class MpsSettings(Settings):
    fallback: bool = setting(True, help="Let operations missing on MPS run on the CPU "
                                        "(PYTORCH_ENABLE_MPS_FALLBACK=1).",
                             formerly=("backend.mps_fallback",))


class MpsBackend(Backend):
    name = "mps"
    device_type = "mps"
    description = "Apple GPUs (Metal); safe allocator watermarks, float32 only"
    auto_priority = 200
    peak_memory_meaning = (
        "memory the Metal driver holds for this process at the moment of the call "
        "(torch.mps.driver_allocated_memory: tensors plus the allocator's cache); torch has "
        "no MPS peak counter, so sample it when memory is highest")

    def is_available(self) -> tuple[bool, str]:
        return _mps_available()

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        return {"device_name": f"Apple GPU ({platform.machine()})",
                "memory_bytes": system_memory_bytes(), "unified_memory": True}

    def environment(self, config: BackendConfig) -> dict[str, str]:
        if not _on_macos():  # nothing to set (or to validate) where MPS cannot exist
            return {}
        fallback = self.own_settings(config).fallback
        return {**watermark_environment(), FALLBACK: "1" if fallback else "0"}

    def resolve_mixed_precision(self, config: BackendConfig) -> None:
        return None  # requests are turned off in configure(), with a notice

    def apply_environment(self, config: BackendConfig) -> None:
        user_values = {variable: _user_value(variable) for variable in DEFAULTS}
        torch_imported = "torch" in sys.modules
        fallback_before = os.environ.get(FALLBACK)
        super().apply_environment(config)
        _set_by_neat.update({variable: os.environ[variable]
                             for variable, value in user_values.items()
                             if value is None and variable in os.environ})
        if torch_imported and os.environ.get(FALLBACK) != fallback_before:
            notice_once("mps:fallback-late",
                        f"{FALLBACK} was changed after torch was imported; torch reads it "
                        f"at import, so set it in the shell to be sure it applies")

    def configure(self, config: BackendConfig) -> None:
        if config.mixed_precision in AMP_DTYPES:
            notice_once("mps:mixed_precision",
                        f"mixed precision ({config.mixed_precision}) is turned off on MPS; "
                        f"training in float32")
        log.info("MPS allocator watermarks: high %s, low %s%s", os.environ.get(HIGH),
                 os.environ.get(LOW), "" if _user_value(HIGH) or _user_value(LOW)
                 else " (NEAT defaults)")
        if self.own_settings(config).fallback:
            notice_once("mps:fallback", f"operations missing on MPS will run on the CPU "
                                        f"({FALLBACK}=1; slower, but they run)",
                        level=logging.INFO)

    def synchronize(self) -> None:
        import torch

        torch.mps.synchronize()

    def peak_memory_bytes(self) -> int:
        import torch

        return torch.mps.driver_allocated_memory()


@hookimpl
def register_backends(register) -> None:
    register("mps", MpsBackend, description=MpsBackend.description, config_class=MpsSettings)
