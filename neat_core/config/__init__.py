"""The unified parameter schema and everything that reads it."""

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

__all__ = [
    "BackendConfig", "CallbackConfig", "DataConfig", "EvalConfig", "FieldInfo", "Former",
    "Migration", "ModelConfig", "NeatConfig", "Override", "Overrides", "PluginSettings",
    "ResolvedConfig", "RunConfig", "SCHEMA_VERSION", "SectionNode", "Settings",
    "TrainingConfig", "as_overrides", "config_fields", "config_from_dict",
    "default_config", "frozen", "is_legacy", "load_config", "migrate", "parse_assignments",
    "read_json_file", "refuse_inactive", "require", "schema_tree", "section", "setting", "to_dict",
]
