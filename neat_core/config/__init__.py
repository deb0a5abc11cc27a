"""The unified parameter schema and everything that reads it.

The names below load their module on first use (PEP 562), so the registry can import
the schema's definitions (:mod:`.schema`, :mod:`.contract`) without the loader, which
reads the registry in turn.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fields import FieldInfo, Former, section, setting
    from .loader import (
        Override,
        Overrides,
        ResolvedConfig,
        as_overrides,
        config_from_dict,
        default_config,
        load_config,
        parse_assignments,
        read_json_file,
    )
    from .migration import Migration, is_legacy, migrate
    from .schema import (
        SCHEMA_VERSION,
        BackendConfig,
        CallbackConfig,
        DataConfig,
        EvalConfig,
        ModelConfig,
        NeatConfig,
        PluginSettings,
        RunConfig,
        Settings,
        TrainingConfig,
        frozen,
        require,
    )
    from .sections import SectionNode, config_fields, refuse_inactive, schema_tree, to_dict

_HOMES = {
    "fields": ("FieldInfo", "Former", "section", "setting"),
    "loader": ("Override", "Overrides", "ResolvedConfig", "as_overrides", "config_from_dict",
               "default_config", "load_config", "parse_assignments", "read_json_file"),
    "migration": ("Migration", "is_legacy", "migrate"),
    "schema": ("SCHEMA_VERSION", "BackendConfig", "CallbackConfig", "DataConfig", "EvalConfig",
               "ModelConfig", "NeatConfig", "PluginSettings", "RunConfig", "Settings",
               "TrainingConfig", "frozen", "require"),
    "sections": ("SectionNode", "config_fields", "refuse_inactive", "schema_tree", "to_dict"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])


__all__ = ["BackendConfig", "CallbackConfig", "DataConfig", "EvalConfig", "FieldInfo",
    "Former", "Migration", "ModelConfig", "NeatConfig", "Override", "Overrides",
    "PluginSettings", "ResolvedConfig", "RunConfig", "SCHEMA_VERSION", "SectionNode",
    "Settings", "TrainingConfig", "as_overrides", "config_fields", "config_from_dict",
    "default_config", "frozen", "is_legacy", "load_config", "migrate", "parse_assignments",
    "read_json_file", "refuse_inactive", "require", "schema_tree", "section", "setting",
    "to_dict"]
