"""Strict checking of raw config data against the schema, before it is structured.

cattrs would coerce ``"16"`` to 16 and 5.5 to 5 and report validators against the
enclosing class; checking first gives every error its full key path, the bad value,
what is allowed, and a "did you mean" for unknown keys.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterator, Sequence

from ..errors import ConfigError, suggest
from ..settings.fields import (
    FieldInfo,
    bound_text,
    list_item,
    literal_choices,
    optional_inner,
    type_name,
)
from .sections import SectionNode

SourceOf = Callable[[str], str | None]


def _where(path: str, source_of: SourceOf, value: Any = None) -> str:
    """Where the value at ``path`` came from (for a section given whole, e.g. one with a
    misspelt name, where its first value came from)."""
    source = source_of(path)
    while source is None and isinstance(value, dict) and value:
        key, value = next(iter(value.items()))
        path = f"{path}.{key}"
        source = source_of(path)
    return f" (from {source})" if source and source != "default" else ""


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)


def check_section(data: Any, node: SectionNode, source_of: SourceOf,
                  earlier: Sequence[ConfigError] = ()) -> None:
    """Raise one ConfigError for every problem in ``data`` as the section ``node`` (and
    ``earlier`` ones, e.g. of command-line values): a config with two typos names both."""
    problems = [*earlier, *section_problems(data, node, source_of)]
    if len(problems) == 1:
        raise problems[0]
    if problems:
        listed = "; ".join(f"({number}) {problem.message}"
                           for number, problem in enumerate(problems, 1))
        raise ConfigError(f"{len(problems)} problems in the config: {listed}",
                          hint="fix them all; `neat config show` lists every key")


def section_problems(data: Any, node: SectionNode, source_of: SourceOf
                     ) -> Iterator[ConfigError]:
    """A ConfigError for each problem in ``data`` as the section ``node``."""
    path = node.path
    label = path or "the config"
    if not isinstance(data, dict):
        yield ConfigError(f"{label} must be a JSON object, got {_show(data)}"
                          f"{_where(path, source_of)}", hint='write it as {"key": value, ...}')
        return
    fields = {info.name: info for info in node.fields}
    children = {child.key: child for child in node.children}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else key
        if key in fields:
            yield from value_problems(value, fields[key], source_of)
        elif key in children:
            yield from section_problems(value, children[key], source_of)
        else:
            known = [*fields, *children]
            hosts = node.plugins_attribute is not None or node.cls is None
            yield ConfigError(
                f"unknown config key '{key_path}'"
                f"{suggest(str(key), known, f'{path}.' if path else '')}"
                f"{_where(key_path, source_of, value)}",
                hint=f"{label} accepts: {', '.join(known) or 'nothing'}"
                     + ("; a plugin's settings are known only while it is installed and "
                        "loaded (see `neat plugins`)" if hosts else ""))


def value_problems(value: Any, info: FieldInfo, source_of: SourceOf) -> Iterator[ConfigError]:
    problem = type_problem(value, info.type)
    if problem is None:
        problem = range_problem(value, info)
    if problem is not None:
        yield ConfigError(f"config key '{info.path}' {problem}, got {_show(value)}"
                          f"{_where(info.path, source_of)}",
                          hint=f"{info.path}: {info.help}".strip())


def type_problem(value: Any, tp: Any) -> str | None:
    """Why ``value`` is not of type ``tp`` (None when it is)."""
    inner = optional_inner(tp)
    if inner is not None:
        return None if value is None else type_problem(value, inner)
    choices = literal_choices(tp)
    if choices is not None:
        return None if value in choices else f"must be one of {type_name(tp)}"
    item = list_item(tp)
    if item is not None:
        if not isinstance(value, list):
            return f"must be a list of {type_name(item)}"
        for element in value:
            problem = type_problem(element, item)
            if problem:
                return f"must be a list of {type_name(item)} (an element {problem})"
        return None
    if tp is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if tp is int:
        integer = isinstance(value, int) and not isinstance(value, bool)
        return None if integer else "must be an integer"
    if tp is float:
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value))
        return None if ok else "must be a finite number"
    if tp is str:
        return None if isinstance(value, str) else "must be a string"
    return None


def range_problem(value: Any, info: FieldInfo) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    low, high = info.minimum, info.maximum
    if low is not None:
        if info.min_exclusive and value <= low:
            return f"must be greater than {bound_text(low)}"
        if value < low:
            return f"must be at least {bound_text(low)}"
    if high is not None:
        if info.max_exclusive and value >= high:
            return f"must be less than {bound_text(high)}"
        if value > high:
            return f"must be at most {bound_text(high)}"
    return None
