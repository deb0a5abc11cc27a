"""The rules a plugin's settings class must follow, checked when it is registered.

A settings class becomes a section of the one schema, so it must be a frozen attrs class
deriving from the base its kind needs (:class:`ModelConfig` for models,
:class:`CallbackConfig` for training callbacks, :class:`Settings` otherwise), every field
declared with ``setting(..., help=...)`` and of a type a config can hold; and the name it
is registered under must not clash with a core key beside it.
"""

from __future__ import annotations

import inspect
import sys
from typing import Iterator

import attrs

from .fields import is_section, misuse, plugin_kind, resolved_fields, supported_type
from .schema import EXTENDS_KEY, PLUGINS_KEY, CallbackConfig, ModelConfig, NeatConfig, Settings

BASES: dict[str, type] = {"models": ModelConfig, "callbacks": CallbackConfig}


def _is_frozen(cls: type) -> bool:
    return getattr(cls.__setattr__, "__name__", "") == "_frozen_setattrs"


def _core_keys_beside(kind: str) -> Iterator[tuple[str, set[str]]]:
    """(section path, its own keys) where the sections of ``kind`` sit inline."""
    def walk(cls: type, path: str) -> Iterator[tuple[str, set[str]]]:
        fields = resolved_fields(cls)
        for field in fields:
            if plugin_kind(field) == kind and field.metadata.get("inline"):
                reserved = {EXTENDS_KEY, PLUGINS_KEY} if not path else set()
                yield path, {f.name for f in fields if f is not field} | reserved
            elif is_section(field) and field.type is not None:
                yield from walk(field.type, f"{path}.{field.name}".lstrip("."))

    return walk(NeatConfig, "")


def defined_at(cls: type) -> str:
    """``FILE:LINE`` where class ``cls`` is defined (its file alone when the line is not
    known)."""
    try:
        lines, line = inspect.findsource(cls)
    except (OSError, TypeError):
        module = sys.modules.get(cls.__module__)
        return getattr(module, "__file__", None) or cls.__module__
    return f"{inspect.getsourcefile(cls)}:{line + 1}"


def _not_own_attrs_class(cls: type, what: str) -> str | None:
    """Why ``cls`` is not an attrs class of its own: a subclass of a settings class
    without the decorator inherits the attrs machinery, and its annotations are no
    fields (it would register with the base's fields only)."""
    if "__attrs_attrs__" in vars(cls):
        return None
    return (f"{what} ({cls.__qualname__}, {defined_at(cls)}) is not decorated with "
            f"@neat_core.api.frozen: a subclass needs the decorator too, or its fields are "
            f"not fields")


def _not_frozen(cls: type, what: str) -> str | None:
    if _is_frozen(cls):
        return None
    return f"{what} ({cls.__qualname__}, {defined_at(cls)}) must be frozen: decorate it " \
           f"with @neat_core.config.frozen"


def settings_class_problem(kind: str, name: str, cls: object) -> str | None:
    """Why ``cls`` cannot be the settings class of ``name`` (a plugin of ``kind``)."""
    what = f"config_class of '{name}'"
    if not (isinstance(cls, type) and attrs.has(cls)):
        where = f" ({defined_at(cls)})" if isinstance(cls, type) else ""
        return f"{what} must be an attrs class (decorate it with @neat_core.api.frozen), " \
               f"got {cls!r}{where}"
    problem = _not_own_attrs_class(cls, what) or _not_frozen(cls, what)
    if problem:
        return problem
    base = BASES.get(kind, Settings)
    if not issubclass(cls, base):
        return f"{what} ({cls.__qualname__}, {defined_at(cls)}) must derive from " \
               f"neat_core.config.{base.__name__}"
    for path, keys in _core_keys_beside(kind):
        if name in keys:
            key = f"{path}.{name}" if path else name
            return f"the name '{name}' clashes with the core config key {key}; register " \
                   f"it under another name"
    return _fields_problem(cls, what)


def _fields_problem(cls: type, what: str) -> str | None:
    problem = _not_own_attrs_class(cls, what) or _not_frozen(cls, what)
    if problem:
        return problem
    for field in resolved_fields(cls):
        if plugin_kind(field) is not None:
            return f"{what}: field '{field.name}' holds plugin sections, which only the core " \
                   f"schema may"
        declared = misuse(field)
        if declared:
            at = "" if field.metadata.get("declared_at") else f" (in {defined_at(cls)})"
            return f"{what}: {declared}{at}"
        if is_section(field) and field.type is not None:
            problem = _fields_problem(field.type, f"{what} (section '{field.name}')")
            if problem:
                return problem
        elif not supported_type(field.type):
            return f"{what}: field '{field.name}' has type {field.type!r}, which a config " \
                   f"cannot hold (use int, float, bool, str, a Literal, a list of these, " \
                   f"or X | None)"
    return None
