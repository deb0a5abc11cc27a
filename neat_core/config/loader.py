"""Loading configs: files, ``extends`` chains, overrides, provenance, structuring.

Precedence, lowest to highest: schema defaults < ``extends`` chain (ancestors first) <
the config file < command-line flags and ``--set``. Every leaf value remembers the layer
it came from, which ``neat config show --explain`` prints.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import attrs

from ..errors import ConfigError, suggest
from ..settings.fields import FieldInfo, list_item, literal_choices, optional_inner, type_name
from ..settings.schema import EXTENDS_KEY, PLUGINS_KEY, SCHEMA_VERSION, NeatConfig
from .migration import former_names, is_legacy, migrate, needs_migration
from .owners import owner_note, without_uninstalled
from .sections import model_name_of, schema_tree, structure, to_dict, without_absent_plugins
from .tree import deep_merge, flatten, set_path
from .validate import check_section

log = logging.getLogger("neat.config")

MODEL_NAME = "model.name"


@attrs.frozen
class Override:
    """One value set on purpose: ``path`` is dotted; ``value`` typed, or a string to
    parse by the field's type (``raw``, as typed on the command line); ``source`` is
    what ``config show --explain`` and error messages name (a flag, ``--set``, ``api``)."""

    path: str
    value: Any
    source: str = "api"
    raw: bool = False


@attrs.frozen
class Layer:
    source: str
    data: dict[str, Any]


@attrs.frozen
class ResolvedConfig:
    """A config together with where each value came from."""

    config: NeatConfig
    sources: dict[str, str]

    def explain(self) -> list[tuple[str, Any, str]]:
        """(dotted path, value, source) for every leaf, in schema order."""
        flat = flatten(to_dict(self.config))
        return [(path, value, self.sources.get(path, "default")) for path, value in flat.items()
                if value != {}]  # an empty section: no plugin of that kind has settings

    def explicit(self) -> list[Override]:
        """The values set on purpose (config file, flags, ``--set``, the API), typed."""
        return [Override(path, value, self.sources[path])
                for path, value in flatten(to_dict(self.config)).items()
                if self.sources.get(path, "default") != "default"]


# What every function that takes settings on top of a config accepts: a
# ``{dotted.path: value}`` mapping (values typed, source "api"), Override objects, or a
# command's ResolvedConfig (its explicit values).
Overrides = Mapping[str, Any] | Sequence[Override] | ResolvedConfig


def as_overrides(overrides: Overrides) -> list[Override]:
    """Override objects from any of the accepted forms (see :data:`Overrides`)."""
    if isinstance(overrides, ResolvedConfig):
        return overrides.explicit()
    if isinstance(overrides, Mapping):
        return [Override(path, value) for path, value in overrides.items()]
    return list(overrides)


# --- reading files --------------------------------------------------------------------

def read_json_file(path: str | Path) -> dict[str, Any]:
    """A JSON object from ``path``, or a ConfigError with line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}",
                          hint="check the path, or create one with `neat config init`") from None
    except IsADirectoryError:
        raise ConfigError(f"config path is a directory: {path}", hint="pass a JSON file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}",
                          hint="fix the JSON syntax at that line and column") from None
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply to read",
                          hint="a config is a few levels of sections") from None
    except ValueError as error:  # an integer of thousands of digits
        raise ConfigError(f"{path}: {str(error).split(';')[0]}",
                          hint="use a number of sensible size") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a JSON object, got {type(data).__name__}",
                          hint='start the file with "{" and give sections as keys')
    return data


def file_layers(path: str | Path, _chain: tuple[Path, ...] = ()) -> list[Layer]:
    """The layers of ``path`` and its ``extends`` ancestors, ancestors first."""
    path = Path(path).resolve() if _chain else Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, resolved))
        raise ConfigError(f"config 'extends' cycle: {cycle}", hint="remove one of the extends")
    data = without_uninstalled(read_json_file(path), str(path))
    if needs_migration(data):
        what = ("a legacy config of the older tool" if is_legacy(data) else
                f"a config of schema version {data.get('schema_version')}")
        log.warning("%s is %s; it was migrated in memory. Migrate it once with: neat "
                    "config migrate %s -o NEW.json", path, what, path)
        data = migrate(data).config
    parents = data.pop(EXTENDS_KEY, [])
    parents = [parents] if isinstance(parents, str) else parents
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ConfigError(f"{path}: 'extends' must be a path or a list of paths",
                          hint="paths are relative to the file that names them")
    layers: list[Layer] = []
    for parent in parents:
        parent_path = resolved.parent / parent
        if not parent_path.exists():
            raise ConfigError(f"{path}: extends '{parent}', which does not exist "
                              f"({parent_path})", hint="paths are relative to the file "
                                                       "that names them")
        layers += file_layers(parent_path, (*_chain, resolved))
    label = f"extends {path}" if _chain else f"file {path}"
    version = data.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ConfigError(f"{path}: schema_version {version} is newer than this NEAT "
                          f"understands ({SCHEMA_VERSION})", hint="upgrade NEAT")
    return [*layers, Layer(label, data)]


# --- the schema as a whole --------------------------------------------------------------

def config_from_dict(data: Mapping[str, Any], source_of: Any = lambda path: None,
                     earlier: Sequence[ConfigError] = ()) -> NeatConfig:
    """Check and structure raw data into a :class:`NeatConfig` (one ConfigError naming
    every problem, ``earlier`` ones included).

    Data of an older schema version is migrated first.
    """
    data = without_uninstalled(data, "config")
    if needs_migration(data):
        data = migrate(data).config
    data.pop(EXTENDS_KEY, None)
    node = schema_tree(model_name_of(data))
    check_section(data, node, source_of, earlier)
    config: NeatConfig = structure(node, data)
    return config


def checkpoint_layer(data: Mapping[str, Any], owners: Any = None) -> dict[str, Any]:
    """A saved config (checkpoint) as a layer: migrated to this schema, without the
    sections of plugins not installed here (with a note in the log naming each section's
    plugin where ``owners``, the checkpoint's record of them, says which)."""
    data = dict(data)
    data.pop(PLUGINS_KEY, None)
    if needs_migration(data):
        data = migrate(data).config
    data, dropped = without_absent_plugins(data)
    if dropped:
        log.info("ignoring saved settings of plugins not installed here: %s",
                 ", ".join(path + owner_note(path, owners) for path in dropped))
    return data


def default_config() -> NeatConfig:
    return config_from_dict({})


def load_config(path: str | Path | None = None, overrides: Overrides = (),
                base: Mapping[str, Any] | None = None) -> ResolvedConfig:
    """Resolve defaults < ``base`` < extends chain < file < overrides into a config."""
    layers = []
    if base:
        layers.append(Layer("checkpoint", checkpoint_layer(base)))
    if path is not None:
        layers += file_layers(path)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
        sources.update(dict.fromkeys(flatten(layer.data), layer.source))
    problems: list[ConfigError] = []  # reported with those of the files, all at once
    # model.name first: it decides which model.* keys exist
    for override in sorted(as_overrides(overrides), key=lambda o: o.path != MODEL_NAME):
        try:
            field = _field_for(override, merged)
            value = parse_value(override, override.value, field) if override.raw \
                else override.value
        except ConfigError as error:
            problems.append(error)
            continue
        set_path(merged, override.path, value)
        sources[override.path] = override.source
    sources.pop(EXTENDS_KEY, None)
    config = config_from_dict(merged, sources.get, problems)
    return ResolvedConfig(config, _leaf_sources(config, sources))


def _leaf_sources(config: NeatConfig, sources: Mapping[str, str]) -> dict[str, str]:
    return {path: sources.get(path) or _section_source(path, sources)
            for path in flatten(to_dict(config))}


def _section_source(path: str, sources: Mapping[str, str]) -> str:
    """A list or section given whole (e.g. ``"mix": []``) is recorded at its own path."""
    while "." in path:
        path = path.rsplit(".", 1)[0]
        if path in sources:
            return sources[path]
    return "default"


# --- typed parsing of command-line values ----------------------------------------------

def _field_for(override: Override, merged: Mapping[str, Any]) -> FieldInfo:
    fields = {f.path: f for f in schema_tree(model_name_of(merged)).leaves()}
    if override.path not in fields:
        moved = former_names(model_name_of(merged)).get(override.path)
        if moved is not None:
            raise ConfigError(f"{override.source}: config key '{override.path}' is now "
                              f"'{moved[0].path}'", hint=f"set {moved[0].path} instead")
        raise ConfigError(f"{override.source}: unknown config key '{override.path}'"
                          f"{suggest(override.path, fields)}",
                          hint="see `neat config show` for every key; a plugin's settings "
                               "exist only while it is loaded")
    return fields[override.path]


TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}


def parse_value(override: Override, raw: Any, field: FieldInfo) -> Any:
    """Parse a command-line string by the field's type; ConfigError when it cannot."""
    if not isinstance(raw, str):
        return raw
    try:
        return _parse(raw.strip(), field.type)
    except ValueError:
        shown = (f"--set {override.path}={raw}: " if override.source == "--set"
                 else f"{override.source} {raw}: " if override.source else "")
        raise ConfigError(f"{shown}cannot read '{raw}' as {type_name(field.type)}",
                          hint=f"{override.path}: {field.help}") from None


def _parse(text: str, tp: Any) -> Any:
    inner = optional_inner(tp)
    if inner is not None:
        return None if text.lower() in {"null", "none"} else _parse(text, inner)
    choices = literal_choices(tp)
    if choices is not None:
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ValueError(text)
    item = list_item(tp)
    if item is not None:
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(text) from error
            return value
        return [_parse(part.strip(), item) for part in text.split(",") if part.strip()]
    if tp is bool:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(text)
    if tp is int:
        return int(text)
    if tp is float:
        return float(text)
    return text


def parse_assignments(assignments: Iterable[str]) -> list[Override]:
    """``["training.max_steps=100", ...]`` -> overrides (values parsed at load time)."""
    overrides = []
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE, got '{assignment}'",
                              hint="for example --set training.max_steps=100")
        overrides.append(Override(key.strip(), value, "--set", raw=True))
    return overrides
