"""JSON Schema generated from the schema tree, so editors validate and complete configs."""

from __future__ import annotations

from typing import Any

from ..registry import get_registry
from ..settings.fields import (
    REQUIRED,
    SCALARS,
    FieldInfo,
    list_item,
    literal_choices,
    optional_inner,
)
from ..settings.schema import EXTENDS_KEY, PLUGINS_KEY, SCHEMA_VERSION
from .sections import SectionNode, schema_tree

_JSON_TYPES = {tp: name for tp, name in SCALARS.items()}


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


def _field_schema(info: FieldInfo) -> dict[str, Any]:
    schema = _type_schema(info.type)
    if info.default is not REQUIRED:
        schema["default"] = info.default
    for bound, word, exclusive in ((info.minimum, "minimum", info.min_exclusive),
                                   (info.maximum, "maximum", info.max_exclusive)):
        if bound is not None:
            schema[f"exclusive{word.title()}" if exclusive else word] = bound
    if info.help:
        schema["description"] = info.help
    return schema


def _section_schema(node: SectionNode) -> dict[str, Any]:
    properties: dict[str, Any] = {info.name: _field_schema(info) for info in node.fields}
    for child in node.children:
        properties[child.key] = _model_schema() if child.path == "model" else \
            _section_schema(child)
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "properties": properties}
    if node.help:
        schema["description"] = node.help
    return schema


def _model_schema() -> dict[str, Any]:
    variants = []
    for name, entry in sorted(get_registry().models.items()):
        node = schema_tree(name).child("model")
        assert node is not None
        variant = _section_schema(node)
        variant["properties"]["name"] = {"const": name, "description": entry.description}
        variant["title"] = name
        variants.append(variant)
    return {"description": "The model; its fields depend on model.name.",
            "oneOf": variants} if variants else {"type": "object"}


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of a NEAT config file for the installed plugins."""
    schema = _section_schema(schema_tree())
    schema.pop("description", None)
    schema["properties"][EXTENDS_KEY] = {
        "description": "Config file(s) this one builds on, relative to this file.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    schema["properties"][PLUGINS_KEY] = {
        "description": "Written by NEAT: the plugin (entry-point name) that owns each "
                       "plugin section, so the sections of a plugin that is not installed "
                       "are left out with a warning.",
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {"distribution": {"type": ["string", "null"]},
                           "version": {"type": ["string", "null"]},
                           "sections": {"type": "array", "items": {"type": "string"}}}}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"neat-config-v{SCHEMA_VERSION}.schema.json",
            "title": "NEAT config", **schema}
