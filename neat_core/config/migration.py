"""Migration of older configs: the older tool's flat files and NEAT schema version 1.

Every field of the schema lists its earlier names (``setting(formerly=...)``), the core's
and the plugins' alike, so the migration table is read from the schema tree: nothing
here knows a plugin's keys. Every old key gets a line in the report: moved (same name,
now in a section), renamed, converted (the value changed form), dropped (with why), or
kept.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs

from ..settings.fields import DEFAULT_NAME, DROP, NO_LEGACY_DEFAULT, FieldInfo, Former
from ..settings.schema import SCHEMA_VERSION
from .sections import config_fields, default_model, schema_tree
from .tree import flatten, set_path

# keys of the older tool that have no NEAT equivalent, and why
DROPPED: dict[str, str] = {
    "num_workers": ("NEAT samples from a memory-mapped cache in-process; there are no loader "
                    "workers"),
    "processed_dir": "NEAT builds its own byte cache in data.cache_dir",
    "metadata_dir": "every checkpoint records its own config and metadata",
    "platform_optimizations": ("backends apply their platform settings themselves (see `neat "
                               "backends`)"),
    "gradient_checkpointing": ("not implemented: entropy models are small enough to train without "
                               "it"),
    "data_config": "the older tool never read this block; sources go in data.train and data.eval",
    "synthetic_data": ("the older tool never read this block; use 'synthetic:<pattern>' sources in "
                       "data.train"),
    "binary_data": ("the older tool never read this block; list binary files or directories in "
                    "data.train"),
    "validation": ("the older tool never read this block; see data.eval, data.eval_fraction and "
                   "training.eval_steps"),
    "profiling": "the older tool never read this block; use `neat bench`",
    "checkpointing": ("the older tool never read this block; see training.save_steps and "
                      "training.keep_last"),
    "hardware_optimization": "the older tool never read this block; see the backend section",
    "entropy_threshold_annealing": ("the older tool never read this block; NEAT has no threshold "
                                    "annealing"),
    "entropy_diversity_loss": ("the older tool never read this block; NEAT trains plain next-byte "
                               "prediction"),
}
UNKNOWN_REASON = "not a setting of the older tool, of NEAT or of an installed plugin"


@attrs.frozen
class Change:
    old_key: str
    action: str  # moved | renamed | converted | dropped | kept | added
    new_key: str | None = None
    old_value: Any = None
    new_value: Any = None
    reason: str = ""

    def line(self) -> str:
        old = f"{self.old_key} = {json.dumps(self.old_value)}"
        if self.action == "dropped":
            return f"dropped    {old}: {self.reason}"
        if self.action == "added":
            return f"added      {self.new_key} = {json.dumps(self.new_value)} ({self.reason})"
        new = f"{self.new_key} = {json.dumps(self.new_value)}"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.action:<10} {old} -> {new}{why}"


@attrs.frozen
class Migration:
    config: dict[str, Any]
    changes: list[Change]

    def report(self) -> str:
        return "\n".join(change.line() for change in self.changes)


def former_names(model_name: str | None = None) -> dict[str, tuple[FieldInfo, Former]]:
    """Every earlier name (flat key or dotted path) -> the field and how it moved."""
    table: dict[str, tuple[FieldInfo, Former]] = {}
    for info in config_fields(model_name):
        for former in info.formerly:
            table.setdefault(former.key, (info, former))
    return table


def is_legacy(data: dict[str, Any]) -> bool:
    """A flat file of the older tool: no schema_version and an old key at the top."""
    if "schema_version" in data:
        return False
    flat_names = {key for key in former_names() if "." not in key}
    return any(key in flat_names or key in DROPPED for key in data)


MIGRATABLE_VERSIONS = (1,)  # earlier schema versions that migrate automatically


def needs_migration(data: dict[str, Any]) -> bool:
    """A legacy file, or one of an earlier schema version NEAT knows how to migrate
    (any other ``schema_version`` is left to validation, which names the allowed one)."""
    version = data.get("schema_version")
    return is_legacy(data) or (type(version) is int and version in MIGRATABLE_VERSIONS)


def migrate(old: dict[str, Any]) -> Migration:
    """Convert an older config (legacy flat file or schema version 1) to this schema."""
    if is_legacy(old):
        return _migrate_legacy(old)
    return _migrate_sections(old)


def _target_model(value: Any) -> str:
    return default_model() if value is None else str(value)


def _convert(info: FieldInfo, former: Former, value: Any) -> Any:
    new = former.convert(value) if former.convert else value
    if new is DEFAULT_NAME:
        return default_model()
    return new


def _action(old_key: str, info: FieldInfo, old_value: Any, new_value: Any) -> str:
    if new_value != old_value:
        return "converted"
    return "moved" if info.name == old_key.rsplit(".", 1)[-1] else "renamed"


def _migrate_legacy(old: dict[str, Any]) -> Migration:
    new: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    changes: list[Change] = []
    names = former_names()
    model = old.get("model_type")
    if "model_type" in names and model is not None:
        info, former = names["model_type"]
        model = _convert(info, former, model)
    names = former_names(_target_model(model))
    sections = {child.key for child in schema_tree(_target_model(model)).children}
    for key, value in old.items():
        if key == "extends" or (key in sections and isinstance(value, dict)):
            new[key] = value  # a section in NEAT's layout
            changes.append(Change(key, "kept", key, value, value))
        elif key in names:
            changes.append(_rename(key, value, names, old, new))
        else:
            changes.append(Change(key, "dropped", old_value=value,
                                  reason=DROPPED.get(key, UNKNOWN_REASON)))
    return Migration(new, changes + _legacy_defaults(new, _target_model(model)))


def _rename(key: str, value: Any, names: dict[str, tuple[FieldInfo, Former]],
            old: dict[str, Any], new: dict[str, Any]) -> Change:
    info, former = names[key]
    first = next(f.key for f in info.formerly if f.key in old)
    if first != key:
        return Change(key, "dropped", old_value=value,
                      reason=f"'{first}' also sets {info.path} and takes precedence")
    new_value = _convert(info, former, value)
    if new_value is DROP:
        return Change(key, "dropped", old_value=value, reason=former.note)
    set_path(new, info.path, new_value)
    return Change(key, _action(key, info, value, new_value), info.path, value, new_value,
                  former.note)


def _migrate_sections(old: dict[str, Any]) -> Migration:
    """Schema version 1 (and later keys that moved): each moved path to its new place."""
    model = _target_model((old.get("model") or {}).get("name")
                          if isinstance(old.get("model"), dict) else None)
    names = former_names(model)
    new: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    if "extends" in old:
        new["extends"] = old["extends"]
    changes: list[Change] = []
    for path, value in flatten({k: v for k, v in old.items() if k != "extends"}).items():
        if path == "schema_version":
            continue
        if path in names:
            info, former = names[path]
            new_value = _convert(info, former, value)
            set_path(new, info.path, new_value)
            changes.append(Change(path, _action(path, info, value, new_value), info.path,
                                  value, new_value, former.note))
        else:
            set_path(new, path, value)
    if old.get("schema_version") != SCHEMA_VERSION:
        changes.append(Change("schema_version", "converted", "schema_version",
                              old.get("schema_version"), SCHEMA_VERSION))
    return Migration(new, changes + _legacy_defaults(new, model))


def _legacy_defaults(new: dict[str, Any], model: str) -> list[Change]:
    """Write each field's ``legacy_default`` where the migrated config leaves the field
    out: an old config meant that value, whatever the default is now. A config that
    ``extends`` another leaves it to the one it extends."""
    if "extends" in new:
        return []
    present = flatten(new)
    changes = []
    for info in config_fields(model):
        if info.legacy_default is not NO_LEGACY_DEFAULT and info.path not in present:
            set_path(new, info.path, copy.deepcopy(info.legacy_default))  # never shared
            changes.append(Change(info.path, "added", info.path, None, info.legacy_default,
                                  "what configs from before this setting meant"))
    return changes
