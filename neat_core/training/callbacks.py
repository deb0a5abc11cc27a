"""Training callbacks contributed by plugins (``register_training_callbacks``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import attrs

from ..config import NeatConfig
from ..errors import PluginError
from ..plugins import call_hook, report_plugin_failure

EVENTS = ("on_train_start", "on_log", "on_eval", "on_checkpoint", "on_train_end")


@attrs.frozen
class CallbackEntry:
    name: str
    plugin: str
    factory: Callable[[NeatConfig, Path], Any]
    description: str = ""


def registered_callbacks() -> dict[str, CallbackEntry]:
    """Every registered training callback by name (same clash policy as the registry)."""
    entries: dict[str, CallbackEntry] = {}

    def make_register(plugin: str) -> Callable[..., None]:
        def register(name: str, factory: Callable[..., Any], *, description: str = "",
                     override: bool = False) -> None:
            previous = entries.get(name)
            if previous is not None and not override:
                raise PluginError(
                    f"training callback '{name}' is registered by both plugin "
                    f"'{previous.plugin}' and plugin '{plugin}'",
                    hint=f"block one with NEAT_PLUGINS_BLOCK={plugin}")
            entries[name] = CallbackEntry(name, plugin, factory, description)

        return register

    call_hook("register_training_callbacks", lambda plugin: {"register": make_register(plugin)})
    return entries


class Callbacks:
    """The callback objects of one run; each event goes to those that define it."""

    def __init__(self, active: list[tuple[CallbackEntry, Any]]) -> None:
        self._active = active

    @classmethod
    def for_run(cls, config: NeatConfig, run_dir: Path) -> "Callbacks":
        active = []
        for entry in registered_callbacks().values():
            try:
                callback = entry.factory(config, run_dir)
            except Exception as error:  # noqa: BLE001 - a broken logger must not stop training
                report_plugin_failure(entry.plugin, error, f"creating callback '{entry.name}'")
                continue
            if callback is not None:
                active.append((entry, callback))
        return cls(active)

    @property
    def names(self) -> list[str]:
        return [entry.name for entry, _ in self._active]

    def emit(self, event: str, *args: Any) -> None:
        for item in list(self._active):
            entry, callback = item
            method = getattr(callback, event, None)
            if method is None:
                continue
            try:
                method(*args)
            except Exception as error:  # noqa: BLE001
                self._active.remove(item)
                report_plugin_failure(entry.plugin, error,
                                      f"running callback '{entry.name}'.{event}")
