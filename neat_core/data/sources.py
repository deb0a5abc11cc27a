"""Turning a source spec into data units through the registered data sources.

``NAME:TARGET`` goes to the source registered as NAME; any other spec is a path,
directory or glob that the core lists (:mod:`.paths`), offering each directory and file
to the sources' ``accepts`` (see :class:`neat_core.api.DataSource`). The core names no
source: what exists is what plugins registered.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import attrs

from ..config import NeatConfig, to_dict
from ..contracts import DataSource, DataUnit
from ..errors import DataError, NeatError, PluginError
from ..registry import Entry, get_registry
from .paths import list_paths

Seed = tuple  # (run.seed, split, position): what generated sources seed from


@attrs.frozen
class ResolvedSource:
    """The units of one spec, each with the name of the source that reads it."""

    spec: str
    seed: Seed
    units: tuple[tuple[str, DataUnit], ...]
    settings: dict[str, Any]  # the settings of each source used, by name

    def identity(self) -> dict[str, Any]:
        """Everything the bytes of this spec depend on (the cache key is made of it)."""
        return {"settings": self.settings,
                "units": [[name, unit.identity] for name, unit in self.units]}


class Sources:
    """The registered data sources, built for one config on first use."""

    def __init__(self, config: NeatConfig) -> None:
        self.config = config
        self.entries = get_registry().data_sources
        self._built: dict[str, DataSource] = {}

    def kinds(self) -> str:
        """The spec forms that are understood, for hints."""
        names = ", ".join(f"{name}:..." for name in sorted(self.entries))
        return f"files, directories, globs or {names or 'no other (no data source plugin)'}"

    def source(self, name: str) -> DataSource:
        if name not in self._built:
            entry = self.entries[name]
            with plugin_errors(entry, "starting"):
                self._built[name] = entry.factory(self.config)
        return self._built[name]

    def resolve(self, spec: str, seed: Seed) -> ResolvedSource:
        """The units of ``spec``; a :class:`DataError` when it names nothing usable."""
        name, colon, target = spec.partition(":")
        if colon and name in self.entries:
            with plugin_errors(self.entries[name], f"reading '{spec}'"):
                units = [(name, unit) for unit in self.source(name).units(target, seed)]
        else:
            units = []
            for path in list_paths(spec, take_dir=self._claims_dir, kinds=self.kinds()):
                reader = self._reader(path)
                with plugin_errors(self.entries[reader], f"reading {path}"):
                    units += [(reader, unit) for unit in self.source(reader).units(str(path),
                                                                                    seed)]
        if not units:
            raise DataError(f"data source '{spec}' has nothing to read",
                            hint=f"sources are {self.kinds()}")
        used = sorted({name for name, _ in units})
        return ResolvedSource(spec, seed, tuple(units),
                              {name: self._settings(name) for name in used})

    def _claims_dir(self, path: Path) -> bool:
        return bool(self._accepting(path, default=False))

    def _accepting(self, path: Path, *, default: bool) -> list[str]:
        names = []
        for name, entry in self.entries.items():
            if entry.default == default:
                with plugin_errors(entry, f"checking {path}"):
                    if self.source(name).accepts(path):
                        names.append(name)
        return names

    def _reader(self, path: Path) -> str:
        names = sorted(self._accepting(path, default=False))
        if len(names) > 1:
            raise DataError(f"{path} is claimed by the data sources {' and '.join(names)}",
                            hint="change the settings of one of them (data.<name>.*) or "
                                 "name one in the spec, as NAME:PATH")
        if not names and not path.is_dir():
            names = self._accepting(path, default=True)
        if not names:
            raise DataError(f"no data source reads {path}",
                            hint="name one in the spec, as NAME:PATH (see `neat plugins`)")
        return names[0]

    def _settings(self, name: str) -> Any:
        plugins = self.config.data.plugins
        return to_dict(plugins[name]) if name in plugins else None


@contextmanager
def plugin_errors(entry: Entry, doing: str) -> Iterator[None]:
    """A data source plugin's unexpected exception becomes an error naming it."""
    try:
        yield
    except (NeatError, KeyboardInterrupt, MemoryError):  # memory: an out-of-memory error
        raise
    except Exception as error:
        raise PluginError(f"data source '{entry.name}' of plugin '{entry.plugin}' failed "
                          f"{doing}: {type(error).__name__}: {error}",
                          hint=f"fix the plugin, or block it with "
                               f"NEAT_PLUGINS_BLOCK={entry.plugin}") from error


def absolute_spec(spec: str, names: Any) -> str:
    """The spec with a path made absolute (what a cache key records)."""
    name, colon, _ = spec.partition(":")
    if colon and name in names:
        return spec
    return os.path.abspath(os.path.expanduser(spec))
