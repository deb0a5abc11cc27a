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
import cattrs

from ..errors import ConfigError
from ..registry import get_registry, suggest
from .fields import FieldInfo, iter_fields, list_item, literal_choices, optional_inner, type_name
from .tree import deep_merge, flatten, set_path
from .schema import DEFAULT_MODEL, SCHEMA_VERSION, ModelConfig, NeatConfig
from .validate import check_section

log = logging.getLogger("neat.config")

EXTENDS_KEY = "extends"


@attrs.frozen
class Override:
    """One value from the command line: ``path`` is dotted, ``value`` raw or typed."""

    path: str
    value: Any
    source: str = "--set"
    raw: bool = True  # a string to parse by the field's type


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
        return [(path, value, self.sources.get(path, "default")) for path, value in flat.items()]


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
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a JSON object, got {type(data).__name__}",
                          hint='start the file with "{" and give sections as keys')
    return data


def file_layers(path: str | Path, _chain: tuple[Path, ...] = ()) -> list[Layer]:
    """The layers of ``path`` and its ``extends`` ancestors, ancestors first."""
    from .legacy import is_legacy, migrate

    path = Path(path).resolve() if _chain else Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, resolved))
        raise ConfigError(f"config 'extends' cycle: {cycle}", hint="remove one of the extends")
    data = read_json_file(path)
    if is_legacy(data):
        log.warning("%s is a legacy config of the older tool; it was migrated in memory. "
                    "Migrate it once with: neat config migrate %s -o NEW.json", path, path)
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

def model_class(name: Any) -> type[ModelConfig]:
    models = get_registry().models
    if not isinstance(name, str) or name not in models:
        raise ConfigError(f"config key 'model.name': unknown model {json.dumps(name)}"
                          f"{suggest(str(name), models)}",
                          hint=f"registered models: {', '.join(sorted(models)) or 'none'}")
    return models[name].config_class  # type: ignore[return-value]


def config_fields(model_name: str = DEFAULT_MODEL) -> list[FieldInfo]:
    """Every leaf field of the full schema with ``model_name``'s model section."""
    return list(iter_fields(NeatConfig, section_types={"model": model_class(model_name)}))


def _make_converter() -> cattrs.Converter:
    """A converter that structures the model section as the named model's class."""
    converter = cattrs.Converter()
    converter.register_structure_hook_func(
        lambda cls: cls is ModelConfig,
        lambda data, _: converter.structure(data, model_class(data.get("name", DEFAULT_MODEL))))
    return converter


_converter = _make_converter()


def to_dict(config: Any) -> dict[str, Any]:
    """A config (or section) as plain JSON-ready data, the model section in full."""
    return attrs.asdict(config)


def config_from_dict(data: Mapping[str, Any],
                     source_of: Any = lambda path: None) -> NeatConfig:
    """Check and structure raw data into a :class:`NeatConfig` (ConfigError on problems)."""
    data = dict(data)
    data.pop(EXTENDS_KEY, None)
    model = data.setdefault("model", {})  # the attrs default would be the bare base class
    name = model.get("name", DEFAULT_MODEL) if isinstance(model, dict) else DEFAULT_MODEL
    check_section(data, NeatConfig, "", source_of, {"model": model_class(name)})
    try:
        return _converter.structure(data, NeatConfig)
    except cattrs.BaseValidationError as error:
        raise _unwrap(error) from None


def _unwrap(error: BaseException) -> BaseException:
    """The first ConfigError inside cattrs' exception groups (cross-field rules)."""
    if isinstance(error, ConfigError):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _unwrap(inner)
        if isinstance(found, ConfigError):
            return found
    return ConfigError(f"invalid config: {error}")


def default_config() -> NeatConfig:
    return config_from_dict({})


def load_config(path: str | Path | None = None, overrides: Sequence[Override] = (),
                base: Mapping[str, Any] | None = None) -> ResolvedConfig:
    """Resolve defaults < ``base`` < extends chain < file < overrides into a config."""
    layers = [Layer("checkpoint", dict(base))] if base else []
    if path is not None:
        layers += file_layers(path)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
        sources.update(dict.fromkeys(flatten(layer.data), layer.source))
    for override in overrides:
        value = override.value
        if override.raw:
            value = parse_value(override.path, value, _field_for(override.path, merged))
        else:
            _field_for(override.path, merged)
        set_path(merged, override.path, value)
        sources[override.path] = override.source
    sources.pop(EXTENDS_KEY, None)
    config = config_from_dict(merged, source_of=sources.get)
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

def _field_for(path: str, merged: Mapping[str, Any]) -> FieldInfo:
    model = merged.get("model", {})
    name = model.get("name", DEFAULT_MODEL) if isinstance(model, dict) else DEFAULT_MODEL
    fields = {f.path: f for f in config_fields(name)}
    if path not in fields:
        raise ConfigError(f"--set: unknown config key '{path}'{suggest(path, fields)}",
                          hint="see `neat config show` for every key")
    return fields[path]


TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}


def parse_value(path: str, raw: Any, field: FieldInfo) -> Any:
    """Parse a command-line string by the field's type; ConfigError when it cannot."""
    if not isinstance(raw, str):
        return raw
    try:
        return _parse(raw.strip(), field.type)
    except ValueError:
        raise ConfigError(f"--set {path}={raw}: cannot read '{raw}' as {type_name(field.type)}",
                          hint=f"{path}: {field.help}") from None


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
        overrides.append(Override(key.strip(), value))
    return overrides
