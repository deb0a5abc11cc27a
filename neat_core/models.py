"""Building a registered model, checked against the model contract.

Every part of NEAT that needs a model (trainers, checkpoints, bench, programs) builds it
here, so a plugin whose model breaks the contract is caught the moment it is built, with
an error naming the plugin.
"""

from __future__ import annotations

from typing import Any

from .config import ModelConfig
from .contracts import check_model
from .errors import NeatError, PluginError, RunError, UsageError, out_of_memory
from .registry import get_registry


def build_model(config: ModelConfig, device: Any = None) -> Any:
    """A fresh model of ``config.name`` built from ``config`` (on ``device`` if given),
    after one tiny forward checked its output."""
    registry = get_registry()
    if not config.name:
        raise UsageError("no model is selected and no plugin provides a default one",
                         hint=f"set model.name (--model); registered models: "
                              f"{', '.join(sorted(registry.models)) or 'none'}")
    entry = registry.get("models", config.name)
    try:
        model = entry.factory(config)
        if device is not None:
            model = model.to(device)
    except NeatError:
        raise
    except Exception as error:
        if out_of_memory(error) is not None:  # MemoryError, torch's allocators
            raise _out_of_memory(config) from error
        raise PluginError(f"model '{config.name}' of plugin '{entry.plugin}' failed to build: "
                          f"{type(error).__name__}: {error}",
                          hint=f"check the model.* settings, or block the plugin with "
                               f"NEAT_PLUGINS_BLOCK={entry.plugin}") from error
    check_model(model, config, entry.plugin)
    return model


def _out_of_memory(config: ModelConfig) -> RunError:
    return RunError(f"out of memory while building model '{config.name}'",
                    hint="shrink it (a smaller model.hidden_size, fewer model.num_layers, "
                         "a shorter model.block_size) or use a device with more memory")
