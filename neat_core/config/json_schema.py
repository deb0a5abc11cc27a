"""JSON Schema generated from the attrs classes, so editors validate and complete configs."""

from __future__ import annotations

from typing import Any

import attrs

from ..registry import get_registry
from .fields import is_section, list_item, literal_choices, optional_inner, resolved_fields
from .schema import SCHEMA_VERSION, NeatConfig

_JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _type_schema(tp: Any) -> dict[str, Any]:
    inner = optional_inner(tp)
    if inner is not None:
        return {"anyOf": [_type_schema(inner), {"type": "null"}]}
    choices = literal_choices(tp)
    if choices is not None:
        return {"enum": list(choices)}
    item = list_item(tp)
    if item is not None:
        return {"type": "array", "items": _type_schema(item)}
    return {"type": _JSON_TYPES[tp]}


def _section_schema(cls: type, overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for attribute in resolved_fields(cls):
        meta = attribute.metadata
        if attribute.name in overrides:
            properties[attribute.name] = overrides[attribute.name]
            continue
        if is_section(attribute):
            schema = _section_schema(attribute.type, {})
        else:
            schema = _type_schema(attribute.type)
            default = attribute.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if default is not attrs.NOTHING:
                schema["default"] = default
            for key, word in (("min", "minimum"), ("max", "maximum")):
                if meta.get(key) is not None:
                    exclusive = meta.get(f"{key}_exclusive")
                    schema[f"exclusive{word.title()}" if exclusive else word] = meta[key]
        if meta.get("help"):
            schema["description"] = meta["help"]
        properties[attribute.name] = schema
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _model_schema() -> dict[str, Any]:
    variants = []
    for name, entry in sorted(get_registry().models.items()):
        variant = _section_schema(entry.config_class, {})
        variant["properties"]["name"] = {"const": name, "description": entry.description}
        variant["title"] = name
        variants.append(variant)
    return {"description": "The model; its fields depend on model.name.",
            "oneOf": variants} if variants else {"type": "object"}


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of a NEAT config file for the registered models."""
    schema = _section_schema(NeatConfig, {"model": _model_schema()})
    schema["properties"]["extends"] = {
        "description": "Config file(s) this one builds on, relative to this file.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"neat-config-v{SCHEMA_VERSION}.schema.json",
            "title": "NEAT config", **schema}
