"""Configs: the schema of the installed plugins as one tree, loading files with
``extends`` and overrides, validation with did-you-mean, migration of older configs, and
JSON Schema. The definitions they read (``setting``, the core's sections, the settings
base classes) are :mod:`neat_core.settings`; both are re-exported here."""

from ..settings.fields import FieldInfo, Former, section, setting
from ..settings.schema import (
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
from .owners import file_data, plugin_owners
from .sections import SectionNode, config_fields, refuse_inactive, schema_tree, to_dict

__all__ = [
    "BackendConfig", "CallbackConfig", "DataConfig", "EvalConfig", "FieldInfo", "Former",
    "Migration", "ModelConfig", "NeatConfig", "Override", "Overrides", "PluginSettings",
    "ResolvedConfig", "RunConfig", "SCHEMA_VERSION", "SectionNode", "Settings",
    "TrainingConfig", "as_overrides", "config_fields", "config_from_dict",
    "default_config", "file_data", "frozen", "is_legacy", "load_config", "migrate",
    "parse_assignments", "plugin_owners", "read_json_file", "refuse_inactive", "require",
    "schema_tree", "section", "setting", "to_dict",
]
