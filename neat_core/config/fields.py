"""Declaring config fields once, and reading them back for every consumer.

``setting(...)`` declares an attrs field with its help text and limits. ``iter_fields``
walks a section class and yields :class:`FieldInfo` records; the loader, ``--set``,
the JSON Schema, ``config show --explain`` and the generated docs all read these, so a
field is described in exactly one place.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Iterator, Literal, Union

import attrs

REQUIRED = attrs.NOTHING


def setting(default: Any = REQUIRED, *, help: str, factory: Any = None,
            min: float | None = None, max: float | None = None,
            min_exclusive: bool = False, max_exclusive: bool = False,
            flag: str | None = None, notes: str = "") -> Any:
    """An attrs field with the metadata NEAT reads.

    ``min``/``max`` bound numbers; ``flag`` names a dedicated command-line option
    (booleans become ``--flag/--no-flag``); ``notes`` documents interactions with other
    fields. Without a default (and factory) the field is required.
    """
    metadata = {"help": help, "min": min, "max": max, "min_exclusive": min_exclusive,
                "max_exclusive": max_exclusive, "flag": flag, "notes": notes}
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata)
    return attrs.field(default=default, metadata=metadata)


def section(cls: type, help: str) -> Any:
    """A nested section field, defaulting to the section's own defaults."""
    return attrs.field(factory=cls, metadata={"help": help, "section": True})


@attrs.frozen
class FieldInfo:
    path: str
    name: str
    type: Any
    default: Any
    help: str
    required: bool
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    flag: str | None = None
    notes: str = ""

    @property
    def section(self) -> str:
        return self.path.rsplit(".", 1)[0] if "." in self.path else ""

    def type_name(self) -> str:
        return type_name(self.type)

    def range_text(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.min_exclusive else '>='} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"{'<' if self.max_exclusive else '<='} {self.maximum:g}")
        return " and ".join(parts)


def resolved_fields(cls: type) -> tuple[attrs.Attribute, ...]:
    """attrs fields with their annotations resolved (``from __future__`` strings)."""
    attrs.resolve_types(cls)
    return attrs.fields(cls)


def is_section(attribute: attrs.Attribute) -> bool:
    return bool(attribute.metadata.get("section"))


def iter_fields(cls: type, prefix: str = "",
                section_types: dict[str, type] | None = None) -> Iterator[FieldInfo]:
    """Every leaf field of ``cls`` (recursing into sections), with its dotted path.

    ``section_types`` replaces the class of a section by path, e.g.
    ``{"model": BltConfig}`` for the model plugin's own section.
    """
    section_types = section_types or {}
    for attribute in resolved_fields(cls):
        path = f"{prefix}{attribute.name}"
        if is_section(attribute):
            yield from iter_fields(section_types.get(path, attribute.type), path + ".",
                                   section_types)
            continue
        meta = attribute.metadata
        default = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        yield FieldInfo(path=path, name=attribute.name, type=attribute.type,
                        default=None if default is REQUIRED else default,
                        help=meta.get("help", ""), required=default is REQUIRED,
                        minimum=meta.get("min"), maximum=meta.get("max"),
                        min_exclusive=meta.get("min_exclusive", False),
                        max_exclusive=meta.get("max_exclusive", False),
                        flag=meta.get("flag"), notes=meta.get("notes", ""))


# --- type helpers -------------------------------------------------------------------

def optional_inner(tp: Any) -> Any | None:
    """``X`` for ``X | None`` / ``Optional[X]``, else None."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
    return None


def literal_choices(tp: Any) -> tuple[Any, ...] | None:
    return typing.get_args(tp) if typing.get_origin(tp) is Literal else None


def list_item(tp: Any) -> Any | None:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is list else None


def type_name(tp: Any) -> str:
    inner = optional_inner(tp)
    if inner is not None:
        return f"{type_name(inner)} or null"
    choices = literal_choices(tp)
    if choices is not None:
        return " | ".join(repr(c) if not isinstance(c, str) else f'"{c}"' for c in choices)
    item = list_item(tp)
    if item is not None:
        return f"list of {type_name(item)}"
    return {int: "integer", float: "number", bool: "boolean", str: "string"}.get(
        tp, getattr(tp, "__name__", str(tp)))
