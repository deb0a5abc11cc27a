"""The training callbacks of a run: the enabled ``register_training_callbacks`` plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import NeatConfig
from ..errors import NeatError
from ..plugins import report_plugin_failure
from ..registry import Entry, get_registry

EVENTS = ("on_train_start", "on_log", "on_eval", "on_checkpoint", "on_train_end")


class Callbacks:
    """The callback objects of one run; each event goes to those that define it."""

    def __init__(self, active: list[tuple[Entry, Any]]) -> None:
        self._active = active

    @classmethod
    def for_run(cls, config: NeatConfig, run_dir: Path) -> Callbacks:
        """The callbacks whose ``callbacks.<name>.enabled`` is true, built for this run.

        A factory raising a :class:`NeatError` stops the run with it; any other
        exception disables that callback with a warning naming its plugin.
        """
        active = []
        for name, entry in get_registry().callbacks.items():
            if not config.callbacks[name].enabled:
                continue
            try:
                callback = entry.factory(config, run_dir)
            except NeatError:  # the user's to fix: a missing optional package, a setting
                raise
            except Exception as error:
                report_plugin_failure(entry.plugin, error, f"creating callback '{name}'")
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
            except Exception as error:
                self._active.remove(item)
                report_plugin_failure(entry.plugin, error,
                                      f"running callback '{entry.name}'.{event}")
