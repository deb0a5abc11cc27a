"""The registry: name -> entry for every backend, model, trainer, evaluator and report.

Programs use the same registry as the CLI::

    import neat_core
    registry = neat_core.get_registry()
    entry = registry.models["blt-entropy"]
    model = entry.factory(entry.config_class())
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Mapping

import attrs

from .errors import PluginError, UsageError
from .plugins import call_hook, plugin_info

KINDS = ("backends", "models", "trainers", "evaluators", "reports")
_HOOK_FOR_KIND = {kind: f"register_{kind}" for kind in KINDS}


@attrs.frozen
class Entry:
    """One registered name: which plugin registered it and how to build it."""

    kind: str
    name: str
    plugin: str
    factory: Callable[..., Any]
    description: str = ""
    config_class: type | None = None


def _singular(kind: str) -> str:
    return kind[:-1]


def suggest(name: str, choices: Any) -> str:
    """' (did you mean "x"?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


class Registry:
    """Registered entries by kind; read-only once built."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}

    @property
    def backends(self) -> Mapping[str, Entry]:
        return self._entries["backends"]

    @property
    def models(self) -> Mapping[str, Entry]:
        return self._entries["models"]

    @property
    def trainers(self) -> Mapping[str, Entry]:
        return self._entries["trainers"]

    @property
    def evaluators(self) -> Mapping[str, Entry]:
        return self._entries["evaluators"]

    @property
    def reports(self) -> Mapping[str, Entry]:
        return self._entries["reports"]

    def kind(self, kind: str) -> Mapping[str, Entry]:
        return self._entries[kind]

    def get(self, kind: str, name: str) -> Entry:
        """The entry, or a usage error that lists the registered names."""
        entries = self._entries[kind]
        if name not in entries:
            names = ", ".join(sorted(entries)) or "none"
            raise UsageError(
                f"unknown {_singular(kind)} '{name}'{suggest(name, entries)}",
                hint=f"registered {kind}: {names}",
            )
        return entries[name]

    def _add(self, entry: Entry, override: bool) -> None:
        entries = self._entries[entry.kind]
        previous = entries.get(entry.name)
        if previous is not None and not override:
            raise PluginError(
                f"{_singular(entry.kind)} '{entry.name}' is registered by both plugin "
                f"'{previous.plugin}' and plugin '{entry.plugin}'",
                hint=f"block one with NEAT_PLUGINS_BLOCK={entry.plugin}, or let "
                     f"'{entry.plugin}' pass override=True to replace it",
            )
        entries[entry.name] = entry

    def _register_callback(self, kind: str, plugin: str) -> Callable[..., None]:
        def register(name: str, factory: Callable[..., Any], *, description: str = "",
                     config_class: type | None = None, override: bool = False) -> None:
            if not isinstance(name, str) or not name:
                raise PluginError(f"plugin '{plugin}' registered a {_singular(kind)} "
                                  f"without a name", hint="pass a non-empty string")
            if not callable(factory):
                raise PluginError(f"plugin '{plugin}' registered {_singular(kind)} "
                                  f"'{name}' with a factory that is not callable")
            if kind == "models":
                _check_model_config_class(plugin, name, config_class)
            self._add(Entry(kind, name, plugin, factory, description, config_class), override)

        return register


def _check_model_config_class(plugin: str, name: str, config_class: type | None) -> None:
    from .config.schema import ModelConfig

    if not (attrs.has(config_class) and issubclass(config_class, ModelConfig)):
        raise PluginError(f"plugin '{plugin}' registered model '{name}' without a config "
                          f"class", hint="pass config_class=<attrs subclass of "
                                          "neat_core.config.ModelConfig>")


_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built from the registration hooks on first use."""
    global _registry
    if _registry is None:
        registry = Registry()
        for kind, hook_name in _HOOK_FOR_KIND.items():
            _call_registration_hook(registry, kind, hook_name)
        _registry = registry
        _record_registrations(registry)
    return _registry


def _call_registration_hook(registry: Registry, kind: str, hook_name: str) -> None:
    call_hook(hook_name, lambda plugin: {"register": registry._register_callback(kind, plugin)})


def _record_registrations(registry: Registry) -> None:
    for kind, entries in registry._entries.items():
        for entry in entries.values():
            info = plugin_info(entry.plugin)
            if info is not None:
                info.registered.setdefault(kind, [])
                if entry.name not in info.registered[kind]:
                    info.registered[kind].append(entry.name)


def reset_registry() -> None:
    global _registry
    _registry = None


