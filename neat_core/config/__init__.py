"""The unified parameter schema and everything that reads it."""

from .fields import FieldInfo, iter_fields, setting, section
from .legacy import Migration, is_legacy, migrate
from .loader import (Override, ResolvedConfig, config_fields, config_from_dict,
                     default_config, load_config, parse_assignments, read_json_file, to_dict)
from .schema import (DEFAULT_MODEL, SCHEMA_VERSION, BackendConfig, DataConfig, EvalConfig,
                     ModelConfig, NeatConfig, PatchingConfig, RunConfig, SyntheticConfig,
                     TrainingConfig, require)

__all__ = [
    "BackendConfig", "DataConfig", "DEFAULT_MODEL", "EvalConfig", "FieldInfo", "Migration",
    "ModelConfig", "NeatConfig", "Override", "PatchingConfig", "ResolvedConfig", "RunConfig",
    "SCHEMA_VERSION", "SyntheticConfig", "TrainingConfig", "config_fields",
    "config_from_dict", "default_config", "is_legacy", "iter_fields", "load_config",
    "migrate", "parse_assignments", "read_json_file", "require", "section", "setting",
    "to_dict",
]
