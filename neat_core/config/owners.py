"""Which plugin wrote each plugin section of a config file.

The files ``neat config init`` and a run (``<output_dir>/config.json``) write hold the
sections of every plugin installed at the time; they name those plugins under the
reserved top-level key ``plugins`` (a checkpoint keeps the same record in its
``meta.json``)::

    "plugins": {"lowmem": {"distribution": "neat-lowmem", "version": "0.3.1",
                           "sections": ["backend.cpu-lowmem"]}}

Loaded where a recorded plugin is not installed (or is blocked, or failed to load), such
a file leaves that plugin's sections out with a warning naming each section and the
plugin, instead of failing on unknown keys: uninstalling a plugin does not break the
configs written while it was there. The sections of an installed plugin are checked as
always, so a typo inside one stays an error with a "did you mean".
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from ..errors import ConfigError
from ..plugins import plugin_info
from ..settings.schema import PLUGINS_KEY, NeatConfig
from .sections import SectionNode, schema_tree, to_dict

log = logging.getLogger("neat.config")

Owners = dict[str, dict[str, Any]]  # plugin -> distribution, version, sections


def plugin_owners(model_name: str | None = None) -> Owners:
    """The record of the plugins that own a section of the schema (the model's section
    aside: ``model.name`` names its plugin's model already)."""
    owners: Owners = {}
    for node in schema_tree(model_name).walk():
        if node.plugin is None or node.cls is None or node.path == "model":
            continue
        info = plugin_info(node.plugin)
        record = owners.setdefault(node.plugin, {
            "distribution": info.distribution if info else None,
            "version": info.version if info else None, "sections": []})
        record["sections"].append(node.path)
    return owners


def file_data(config: NeatConfig) -> dict[str, Any]:
    """``config`` as the data of a config file: its values and who owns its sections."""
    return {**to_dict(config), PLUGINS_KEY: plugin_owners(config.model.name)}


def _checked(owners: Any, source: str) -> Owners:
    shape_ok = isinstance(owners, dict) and all(
        isinstance(record, dict) and isinstance(record.get("sections", []), list)
        and all(isinstance(path, str) for path in record.get("sections", []))
        for record in owners.values())
    if not shape_ok:
        raise ConfigError(f"{source}: '{PLUGINS_KEY}' must map plugin names to "
                          f'{{"distribution", "version", "sections": [...]}}',
                          hint=f"NEAT writes '{PLUGINS_KEY}' to record which plugin wrote "
                               f"each section; delete it if it was edited")
    return owners


def _absence(plugin: str) -> str | None:
    """Why ``plugin`` is not loaded here, or None when it is."""
    info = plugin_info(plugin)
    if info is None:
        return "not installed"
    return {"loaded": None, "blocked": "blocked (NEAT_PLUGINS_BLOCK)",
            "not-allowed": "not in NEAT_PLUGINS_ALLOW",
            "failed": "failed to load"}.get(info.status, info.status)


def _pop_path(data: dict[str, Any], path: str) -> bool:
    """Remove ``path`` (dotted) from nested ``data``; whether it was there."""
    *parents, leaf = path.split(".")
    node: Any = data
    for key in parents:
        node = node.get(key)
        if not isinstance(node, dict):
            return False
    if leaf not in node:
        return False
    del node[leaf]
    return True


def without_uninstalled(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``data`` without its ``plugins`` record and without the sections of recorded
    plugins that are not loaded here (one warning each); ``source`` names the file."""
    data = dict(data)
    if PLUGINS_KEY not in data:
        return data
    owners = _checked(data.pop(PLUGINS_KEY), source)
    tree: SectionNode | None = None
    for plugin, record in owners.items():
        why = _absence(plugin)
        if why is None:
            continue
        tree = tree or schema_tree()
        for path in record.get("sections", []):
            if tree.find(path) is not None:  # another plugin provides it now: checked
                continue
            if _pop_path(data, path):
                log.warning("%s: ignoring section '%s' of plugin '%s'%s, which is %s",
                            source, path, plugin, _distribution(record), why)
    return data


def _distribution(record: Mapping[str, Any]) -> str:
    name, version = record.get("distribution"), record.get("version")
    return f" ({name} {version})" if name and version else f" ({name})" if name else ""


def owner_note(path: str, owners: Any) -> str:
    """`` of plugin 'x' (dist version)`` when ``owners`` (a record as saved, of any shape:
    it comes from a file) names the plugin that wrote section ``path``, else ``""``."""
    if not isinstance(owners, dict):
        return ""
    for plugin, record in owners.items():
        sections = record.get("sections") if isinstance(record, dict) else None
        if isinstance(sections, list) and path in sections:
            return f" of plugin '{plugin}'{_distribution(record)}"
    return ""
