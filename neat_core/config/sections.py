"""The schema as a tree of sections: the one walker every config consumer uses.

The static classes of :mod:`neat_core.settings.schema` say where each kind of plugin
keeps its settings (``plugin_sections(kind, inline=...)`` fields); the registry says
which plugins are installed and their settings classes. :func:`schema_tree` joins the
two into :class:`SectionNode` objects, so validation, structuring, ``--set``, the flags,
``config show --explain``, the JSON Schema, migration and the generated docs all walk
the same tree:

======================================  ===================================
kind (hook)                             settings of plugin NAME
======================================  ===================================
backends (register_backends)            ``backend.NAME``
models (register_models)                ``model`` (the one ``model.name`` selects)
trainers (register_trainers)            ``training.NAME``
evaluators (register_evaluators)        ``evaluators.NAME``
reports (register_reports)              ``reports.NAME``
callbacks (register_training_callbacks) ``callbacks.NAME`` (always, with ``enabled``)
data_sources (register_data_sources)    ``data.NAME``
sections (register_config_sections)     ``NAME`` at the top level
======================================  ===================================
"""

from __future__ import annotations

import functools
from typing import Any, Iterator, Mapping

import attrs
import cattrs

from ..errors import ConfigError, suggest
from ..plugins import generation
from ..registry import Registry, get_registry
from ..settings.fields import (
    REQUIRED,
    FieldInfo,
    attribute_default,
    is_section,
    plugin_kind,
    resolved_fields,
)
from ..settings.schema import ModelConfig, NeatConfig, PluginSettings, Settings


@attrs.frozen
class SectionNode:
    """One section of the schema: its own leaf fields and its sub-sections."""

    path: str  # "" for the root, "backend", "backend.cuda", "evaluators.bits-per-byte"
    cls: type | None  # the attrs class of the section; None for a map of plugin sections
    help: str = ""
    fields: tuple[FieldInfo, ...] = ()
    children: tuple[SectionNode, ...] = ()
    attribute: str | None = None  # attribute on the parent object; None: a plugin section
    plugins_attribute: str | None = None  # attribute holding inline plugin sections
    plugin: str | None = None  # the plugin whose class this is
    kind: str | None = None  # the registry kind of a plugin section (or plugin map)

    @property
    def key(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def walk(self) -> Iterator[SectionNode]:
        """This section and every section below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterator[FieldInfo]:
        """Every leaf field at or below this section, in schema order."""
        for node in self.walk():
            yield from node.fields

    def child(self, key: str) -> SectionNode | None:
        return next((c for c in self.children if c.key == key), None)

    def find(self, path: str) -> SectionNode | None:
        node: SectionNode | None = self
        for key in path.split(".") if path else []:
            node = node.child(key) if node is not None else None
        return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- building the tree -------------------------------------------------------------------

def model_class(name: Any, registry: Registry | None = None) -> type[ModelConfig]:
    """The config class of model ``name`` (ConfigError listing the registered ones)."""
    registry = registry or get_registry()
    models = registry.models
    if name == "" and not models:
        return ModelConfig
    if not isinstance(name, str) or name not in models:
        shown = '""' if name == "" else repr(name) if not isinstance(name, str) else f'"{name}"'
        raise ConfigError(f"config key 'model.name': unknown model {shown}"
                          f"{suggest(str(name), models)}",
                          hint=f"registered models: {', '.join(sorted(models)) or 'none'}"
                               f"{registry.rejection_note('models', name)}")
    return models[name].config_class  # type: ignore[return-value]


def default_model(registry: Registry | None = None) -> str:
    """The model a config without ``model.name`` uses ("" when no model is registered)."""
    return (registry or get_registry()).default_name("models") or ""


def _registry_default(source: str, registry: Registry) -> Any:
    if source in ("models", "trainers"):
        return registry.default_name(source) or ""
    if source == "analyzers":
        return registry.default_names("evaluators", analysis=True)
    if source == "corpus":  # the corpus a data source offers for configs that name none
        return [spec for entry in registry.data_sources.values()
                if (spec := entry.options.get("default_corpus"))][:1]
    return registry.default_names(source)


class _Builder:
    def __init__(self, registry: Registry, model_name: str) -> None:
        self.registry = registry
        self.model_name = model_name

    def section(self, cls: type, path: str, help: str = "", attribute: str | None = None,
                plugin: str | None = None, kind: str | None = None) -> SectionNode:
        fields: list[FieldInfo] = []
        children: list[SectionNode] = []
        plugins_attribute = None
        for field in resolved_fields(cls):
            field_path = _join(path, field.name)
            field_help = field.metadata.get("help", "")
            plugins = plugin_kind(field)
            if plugins is not None:
                host = path if field.metadata.get("inline") else field_path
                nodes = [self.section(entry.config_class, _join(host, name),
                                      entry.description, None, entry.plugin, plugins)
                         for name, entry in sorted(self.registry.kind(plugins).items())
                         if entry.config_class is not None]
                if field.metadata.get("inline"):
                    plugins_attribute = field.name
                    children += nodes
                else:
                    children.append(SectionNode(field_path, None, field_help,
                                                children=tuple(nodes), attribute=field.name,
                                                kind=plugins))
            elif is_section(field):
                children.append(self._subsection(field, field_path, field_help))
            else:
                fields.append(FieldInfo.of(field, field_path,
                                           self._default(field, field_path), plugin))
        return SectionNode(path, cls, help, tuple(fields), tuple(children), attribute,
                           plugins_attribute, plugin, kind)

    def _subsection(self, field: attrs.Attribute, path: str, help: str) -> SectionNode:
        if path != "model":
            assert field.type is not None
            return self.section(field.type, path, help, field.name)
        cls = model_class(self.model_name, self.registry)
        entry = self.registry.models.get(self.model_name)
        return self.section(cls, path, help, field.name,
                            entry.plugin if entry else None, "models")

    def _default(self, field: attrs.Attribute, path: str) -> Any:
        source = field.metadata.get("default_from")
        if source == "models":  # the model section's own name; a model's settings nested
            # in another's (a BLT's entropy model) have no name until they are filled
            return self.model_name if path == "model.name" else attribute_default(field)
        if source is not None:
            return _registry_default(source, self.registry)
        default = attribute_default(field)
        return REQUIRED if default is attrs.NOTHING else default


@functools.lru_cache(maxsize=32)
def _cached_tree(generation: int, model_name: str) -> SectionNode:
    return _Builder(get_registry(), model_name).section(NeatConfig, "")


def schema_tree(model_name: str | None = None) -> SectionNode:
    """The schema with the sections of the installed plugins and model ``model_name``
    (default: the registry's default model)."""
    name = default_model() if model_name is None else model_name
    model_class(name)  # a ConfigError for an unknown model
    return _cached_tree(generation(), name)


def config_fields(model_name: str | None = None) -> list[FieldInfo]:
    """Every leaf field of the full schema with ``model_name``'s model section."""
    return list(schema_tree(model_name).leaves())


def refuse_inactive(config: NeatConfig, sources: Mapping[str, str]) -> None:
    """A ConfigError for a value typed by the user (a flag, ``--set``, an interactive
    command: a source starting with ``-`` or ``:``) that has no effect with the rest of
    ``config``, as its settings class says (:meth:`Settings.inactive`)."""
    tree = schema_tree(config.model.name)
    for path, source in sources.items():
        if not source.startswith(("-", ":")):
            continue
        section, _, name = path.rpartition(".")
        node = tree.find(section)
        if node is None or node.cls is None:
            continue
        try:
            settings: Any = config.settings(node.cls)
        except KeyError:
            continue
        reason = settings.inactive(name) if isinstance(settings, Settings) else None
        if reason:
            raise ConfigError(f"{source}: {reason}",
                              hint="change the setting that makes it unused, or leave it out")


def model_name_of(data: Mapping[str, Any]) -> Any:
    """``model.name`` of raw config data, else the default model."""
    model = data.get("model")
    name = model.get("name") if isinstance(model, dict) else None
    return default_model() if name is None else name


def without_absent_plugins(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` without the sections of plugins that are not installed here, and their
    paths: a checkpoint or results written where more plugins were installed must still
    load (its other keys were checked when it was written)."""
    dropped: list[str] = []

    def prune(node: SectionNode, section: Any) -> Any:
        if not isinstance(section, dict):
            return section
        hosts = node.cls is None or node.plugins_attribute is not None
        known = {info.name for info in node.fields}
        children = {child.key: child for child in node.children}
        kept = {}
        for key, value in section.items():
            if key in children:
                kept[key] = prune(children[key], value)
            elif key in known or not hosts:
                kept[key] = value
            else:
                dropped.append(f"{node.path}.{key}" if node.path else key)
        return kept

    return prune(schema_tree(model_name_of(data)), dict(data)), dropped


# --- structuring and unstructuring -------------------------------------------------------

_converter = cattrs.Converter()


def structure(node: SectionNode, data: Mapping[str, Any]) -> Any:
    """The section object of ``node`` from checked raw ``data``.

    Missing keys take their defaults; cross-field rules of the classes
    (``__attrs_post_init__``) raise ConfigError.
    """
    if node.cls is None:
        return PluginSettings({child.key: structure(child, data.get(child.key, {}))
                               for child in node.children})
    values: dict[str, Any] = {}
    for info in node.fields:
        if info.name in data:
            values[info.name] = _converter.structure(data[info.name], info.type)
        elif info.default_from is not None:
            values[info.name] = info.default
    inline = {}
    for child in node.children:
        value = structure(child, data.get(child.key, {}))
        if child.attribute is not None:
            values[child.attribute] = value
        else:
            inline[child.key] = value
    if node.plugins_attribute is not None:
        values[node.plugins_attribute] = PluginSettings(inline)
    return node.cls(**values)


def to_dict(config: Any) -> dict[str, Any]:
    """A config (or section) as plain JSON-ready data, plugin sections in place."""
    return _unstructure(config)


def _unstructure(value: Any) -> Any:
    if isinstance(value, PluginSettings):
        return {name: _unstructure(section) for name, section in value.items()}
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        for field in attrs.fields(type(value)):
            item = _unstructure(getattr(value, field.name))
            if plugin_kind(field) is not None and field.metadata.get("inline"):
                out.update(item)
            else:
                out[field.name] = item
        return out
    if isinstance(value, (list, tuple)):
        return [_unstructure(item) for item in value]
    return value
