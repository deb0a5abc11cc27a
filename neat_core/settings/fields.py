"""Declaring config fields once: ``setting`` and ``section`` (and, in the schema,
``plugin_sections``).

``setting(...)`` declares an attrs field with its help text, limits, flag and former
names. The schema tree (:mod:`neat_core.config.sections`) turns every declaration into a
:class:`FieldInfo`; the loader, ``--set``, the flags, the JSON Schema, ``config show
--explain``, migration and the generated docs all read those, so a field is described in
exactly one place.
"""

from __future__ import annotations

import sys
import types
import typing
from typing import Any, Callable, Literal, Union

import attrs

from ..errors import suggest

REQUIRED = attrs.NOTHING


@attrs.frozen
class Former:
    """An earlier name of a field: a flat key of the older tool (``"batch_size"``) or a
    dotted path of an earlier NEAT schema (``"backend.device_index"``).

    ``convert`` maps the old value to the new one (it may return :data:`DROP` to drop
    it, or :data:`DEFAULT_NAME` for "the registry's default"); ``note`` explains the
    change in migration reports.
    """

    key: str
    convert: Callable[[Any], Any] | None = None
    note: str = ""


DROP = object()  # a Former.convert result: the old value has no NEAT equivalent
DEFAULT_NAME = object()  # a Former.convert result: the default the registry names
NO_LEGACY_DEFAULT = object()  # a field that configs from before it need not be given


def setting(default: Any = REQUIRED, *, help: str = "", factory: Any = None,
            min: float | None = None, max: float | None = None,
            min_exclusive: bool = False, max_exclusive: bool = False,
            flag: str | None = None, commands: tuple[str, ...] = (), notes: str = "",
            formerly: tuple[str | Former, ...] = (), default_from: str | None = None,
            legacy_default: Any = NO_LEGACY_DEFAULT, **unknown: Any) -> Any:
    """An attrs field with the metadata NEAT reads.

    ``min``/``max`` bound numbers; ``flag`` names a dedicated command-line option
    (booleans become ``--flag/--no-flag``) which the commands in ``commands`` offer (core
    commands may also list it themselves); ``notes`` documents interactions with other
    fields; ``formerly`` lists earlier names, migrated automatically; ``default_from``
    takes the default from the registry: ``"models"``/``"trainers"`` the default name
    of that kind, ``"evaluators"``/``"analyzers"``/``"reports"`` the default list,
    ``"corpus"`` the training corpus a data source offers (``default_corpus``).
    ``legacy_default`` is what configs from before the field existed (schema version 1,
    the older tool) meant: migration writes it into those that leave the field out, so
    a field added with a new default keeps old checkpoints loading as they were saved.
    Without a default (and factory) the field is required.

    A misuse (no ``help``, an unknown keyword, ...) does not raise here, where it would
    stop the whole plugin from importing: it is recorded with the file and line of the
    declaration, and registering the settings class fails with it (see
    :func:`misuse`), so only that registration is lost.
    """
    caller = sys._getframe(1)
    declared_at = f"{caller.f_code.co_filename}:{caller.f_lineno}"
    problem = _misuse(help, default, factory, min, max, flag, commands, formerly, unknown)
    metadata = {"help": help, "min": min, "max": max, "min_exclusive": min_exclusive,
                "max_exclusive": max_exclusive, "flag": flag, "commands": _names(commands),
                "notes": notes, "default_from": default_from,
                "formerly": tuple(f if isinstance(f, Former) else Former(f)
                                  for f in _names(formerly)),
                "legacy_default": legacy_default, "declared_at": declared_at,
                "misuse": problem}
    if factory is not None and callable(factory):
        return attrs.field(factory=factory, metadata=metadata)
    return attrs.field(default=default, metadata=metadata)


def _names(value: Any) -> tuple[Any, ...]:
    """A tuple of names from a tuple or list, or one name given alone."""
    if isinstance(value, (str, Former)):
        return (value,)
    return tuple(value) if isinstance(value, (tuple, list)) else ()


_KEYWORDS = ("help", "factory", "min", "max", "min_exclusive", "max_exclusive", "flag",
             "commands", "notes", "formerly", "default_from", "legacy_default")
NO_HELP = "has no help text; declare it with neat_core.api.setting(..., help=...)"


def _misuse(help: Any, default: Any, factory: Any, low: Any, high: Any, flag: Any,
            commands: Any, formerly: Any, unknown: dict[str, Any]) -> str | None:
    """What is wrong with a ``setting(...)`` call (completing "field 'x' ..."), or None."""
    if unknown:
        first = sorted(unknown)[0]
        return (f"passes setting() the unknown keyword(s) {', '.join(sorted(unknown))}"
                f"{suggest(first, _KEYWORDS)}")
    if not isinstance(help, str) or not help.strip():
        return NO_HELP
    if factory is not None and not callable(factory):
        return f"passes setting() a factory that is not callable: {factory!r}"
    if factory is not None and default is not REQUIRED:
        return "passes setting() both a default and a factory"
    for name, bound in (("min", low), ("max", high)):
        if bound is not None and (isinstance(bound, bool)
                                  or not isinstance(bound, (int, float))):
            return f"passes setting() {name}={bound!r}, which is not a number"
    if low is not None and high is not None and low > high:
        return f"passes setting() min={low!r} above max={high!r}"
    if flag is not None and not (isinstance(flag, str) and flag.startswith("--")):
        return f"passes setting() flag={flag!r}, which is not an option name like '--my-flag'"
    for name, value in (("commands", commands), ("formerly", formerly)):
        if not isinstance(value, (tuple, list, str, Former)):
            return f"passes setting() {name}={value!r}, which is not a tuple"
    return None


def misuse(attribute: attrs.Attribute) -> str | None:
    """What is wrong with how field ``attribute`` was declared, naming the field and
    the FILE:LINE of its declaration; None for a well-declared field."""
    where = attribute.metadata.get("declared_at")
    problem = attribute.metadata.get("misuse")
    if not problem and not attribute.metadata.get("help"):
        problem = NO_HELP
    if not problem:
        return None
    return f"field '{attribute.name}' {problem}" + (f" (at {where})" if where else "")


def section(cls: type, help: str) -> Any:
    """A nested section field, defaulting to the section's own defaults."""
    return attrs.field(factory=cls, metadata={"help": help, "section": True})


@attrs.frozen
class FieldInfo:
    """One leaf field of the schema as every consumer sees it."""

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
    commands: tuple[str, ...] = ()
    notes: str = ""
    formerly: tuple[Former, ...] = ()
    default_from: str | None = None
    plugin: str | None = None  # the plugin whose settings class declares it
    legacy_default: Any = NO_LEGACY_DEFAULT  # see setting

    @property
    def section(self) -> str:
        return self.path.rsplit(".", 1)[0] if "." in self.path else ""

    def type_name(self) -> str:
        return type_name(self.type)

    def range_text(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.min_exclusive else '>='} {bound_text(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"{'<' if self.max_exclusive else '<='} {bound_text(self.maximum)}")
        return " and ".join(parts)

    @classmethod
    def of(cls, attribute: attrs.Attribute, path: str, default: Any,
           plugin: str | None) -> FieldInfo:
        meta = attribute.metadata
        return cls(path=path, name=attribute.name, type=attribute.type,
                   default=default, help=meta.get("help", ""),
                   required=default is REQUIRED,
                   minimum=meta.get("min"), maximum=meta.get("max"),
                   min_exclusive=meta.get("min_exclusive", False),
                   max_exclusive=meta.get("max_exclusive", False),
                   flag=meta.get("flag"), commands=meta.get("commands", ()),
                   notes=meta.get("notes", ""), formerly=meta.get("formerly", ()),
                   default_from=meta.get("default_from"), plugin=plugin,
                   legacy_default=meta.get("legacy_default", NO_LEGACY_DEFAULT))


def resolved_fields(cls: type) -> tuple[attrs.Attribute, ...]:
    """attrs fields with their annotations resolved (``from __future__`` strings)."""
    attrs.resolve_types(cls)
    return attrs.fields(cls)


def is_section(attribute: attrs.Attribute) -> bool:
    return bool(attribute.metadata.get("section"))


def plugin_kind(attribute: attrs.Attribute) -> str | None:
    return attribute.metadata.get("plugins")


def attribute_default(attribute: attrs.Attribute) -> Any:
    """The attrs default of a field (a factory called), or REQUIRED."""
    default: Any = attribute.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()
    return default


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


SCALARS = {int: "integer", float: "number", bool: "boolean", str: "string"}


def supported_type(tp: Any) -> bool:
    """Whether the schema can read, check and document values of type ``tp``: JSON
    scalars, Literal choices, lists of these and ``X | None``."""
    inner = optional_inner(tp)
    if inner is not None:
        return supported_type(inner)
    choices = literal_choices(tp)
    if choices is not None:
        return all(isinstance(choice, (str, int, float, bool)) for choice in choices)
    item = list_item(tp)
    if item is not None:
        return supported_type(item)
    return tp in SCALARS


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
    return SCALARS.get(tp, getattr(tp, "__name__", str(tp)))


def bound_text(value: float) -> str:
    """A limit as people read it: integers exactly (2**64 - 1 in full), floats short."""
    return str(value) if isinstance(value, int) else f"{value:g}"
