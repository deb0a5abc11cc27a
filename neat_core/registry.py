"""The registry: name -> entry for everything plugins register, of every kind.

Programs use the same registry as the CLI::

    import neat_core
    registry = neat_core.get_registry()
    sorted(registry.models)                      # also .backends, .trainers, .callbacks, ...
    entry = registry.get("models", registry.default_name("models"))
    model = entry.factory(entry.config_class())

Every kind is filled by one registration hook (``register_<kind>(register)``), called
through pluggy; the ``register`` callback checks what it is given (a plugin that breaks
a rule is rejected with one warning naming it, its other entries stay) and applies one
clash policy: a name registered twice keeps the first, and the later plugin is reported,
unless it passes ``override=True``. Commands come from ``register_commands(cli)``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import attrs
import click

from .errors import UsageError, suggest
from .plugins import (
    check_strict,
    current_plugin,
    generation,
    hook_caller,
    is_builtin,
    lenient,
    load_order,
    plugin_info,
    report_plugin_failure,
)
from .settings.contract import settings_class_problem
from .settings.schema import CallbackConfig


@attrs.frozen
class Kind:
    """One kind of registered thing: its hook, how the host calls its factories and
    what ``register`` accepts for it (docs/plugins.md's table of register options is
    generated from :data:`KINDS`)."""

    name: str
    hook: str
    singular: str
    factory: str | None = "factory()"  # how the host calls a factory; None: takes none
    builds: str = ""  # what a factory returns (a contract of neat_core.api, or words)
    default: str = ""  # what default=True means for this kind ("": nothing)
    # extra keywords of register for this kind -> what each means, in one line
    options: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def needs_factory(self) -> bool:
        return self.factory is not None


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("backends", "register_backends", "backend", "factory()", "Backend"),
    Kind("models", "register_models", "model", "factory(config)", "Model",
         "the model of configs that name none (`model.name`)"),
    Kind("trainers", "register_trainers", "trainer", "factory(config, backend)", "Trainer",
         "the trainer of configs that name none (`training.trainer`)"),
    Kind("evaluators", "register_evaluators", "evaluator",
         "factory(model, config, backend)", "Evaluator",
         "in the default list of its command (`eval.evaluators`, or `eval.analyzers`)",
         options={"analysis": "`True`: an evaluator of `neat analyze` (listed in "
                              "`eval.analyzers`), not of `neat eval`"}),
    Kind("reports", "register_reports", "report", "factory(config)", "Report",
         "in the default list `eval.reports`"),
    Kind("callbacks", "register_training_callbacks", "training callback",
         "factory(config, run_dir)", "Callback"),
    Kind("data_sources", "register_data_sources", "data source", "factory(config)",
         "DataSource", "reads every file no other source accepts",
         options={"default_corpus": "a spec `NAME:TARGET`: the training data of configs "
                                    "that set no `data.train` (the first source offering "
                                    "one wins)"}),
    Kind("sections", "register_config_sections", "config section", None),
    Kind("interactive_commands", "register_interactive_commands", "interactive command",
         "factory(config, argument)", "the settings to change, `{dotted.path: value}`",
         options={"status": "`callable(config) -> str`: a part of the status line under "
                            "the prompt (and of `:show`)",
                  "choices": "words Tab completes after the command",
                  "reads_results": "`True`: the factory is called as `factory(config, "
                                   "argument, results)` with the last analysis results "
                                   "(None before any)"}),
    Kind("interactive_frontends", "register_interactive_frontends", "interactive front-end",
         "factory(session, first_text)", "nothing: it runs until the user leaves",
         "the front-end `neat analyze -i` runs"),
)}
COMMANDS = "commands"


@attrs.frozen
class Entry:
    """One registered name: which plugin registered it and how to build it.

    ``config_class`` is the plugin's settings class (see :mod:`neat_core.config.sections`
    for where its section sits); ``default`` marks the entry a config uses when it names
    none of this kind; ``options`` holds kind-specific keywords (``analysis`` for
    evaluators).
    """

    kind: str
    name: str
    plugin: str
    factory: Any
    description: str = ""
    config_class: type | None = None
    default: bool = False
    options: Mapping[str, Any] = attrs.field(factory=dict)


class Registry:
    """Registered entries by kind; read-only once built."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {kind: {} for kind in
                                                      [*KINDS, COMMANDS]}
        self._rejected: dict[tuple[str, str], str] = {}  # (kind, name) -> why
        self._overriding: set[tuple[str, str]] = set()  # entries registered with override

    # --- reading ----------------------------------------------------------------------

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

    @property
    def callbacks(self) -> Mapping[str, Entry]:
        return self._entries["callbacks"]

    @property
    def data_sources(self) -> Mapping[str, Entry]:
        return self._entries["data_sources"]

    @property
    def sections(self) -> Mapping[str, Entry]:
        return self._entries["sections"]

    @property
    def interactive_commands(self) -> Mapping[str, Entry]:
        return self._entries["interactive_commands"]

    @property
    def interactive_frontends(self) -> Mapping[str, Entry]:
        return self._entries["interactive_frontends"]

    @property
    def commands(self) -> Mapping[str, Entry]:
        return self._entries[COMMANDS]

    def kind(self, kind: str) -> Mapping[str, Entry]:
        return self._entries[kind]

    def get(self, kind: str, name: str) -> Entry:
        """The entry, or a usage error that lists the registered names."""
        entries = self._entries[kind]
        if name not in entries:
            names = ", ".join(sorted(entries)) or "none"
            singular = KINDS[kind].singular if kind in KINDS else kind
            raise UsageError(
                f"unknown {singular} '{name}'{suggest(name, entries)}",
                hint=f"registered {kind.replace('_', ' ')}: {names}"
                     f"{self.rejection_note(kind, name)}")
        return entries[name]

    def rejection_note(self, kind: str, name: Any) -> str:
        why = self._rejected.get((kind, name)) if isinstance(name, str) else None
        return f"; '{name}' was rejected at registration: {why}" if why else ""

    def default_name(self, kind: str) -> str | None:
        """The entry of ``kind`` marked default, else the only entry, else None.

        Where several are marked, an installed plugin's wins over NEAT's built-in one
        (installing a plugin whose part says ``default=True`` makes that part the
        default), and among those the plugin loaded first, as in a clash; pluggy's order
        of calls cannot decide it.
        """
        entries = list(self._entries[kind].values())
        marked = [entry for entry in entries if entry.default]
        if marked:
            return min(marked, key=lambda entry: (is_builtin(entry.plugin),
                                                  load_order(entry.plugin))).name
        return entries[0].name if len(entries) == 1 else None

    def default_names(self, kind: str, *, analysis: bool = False) -> list[str]:
        """Every entry of ``kind`` marked default; for evaluators, those of ``neat
        analyze`` (``analysis``) or of ``neat eval``."""
        return [entry.name for entry in self._entries[kind].values() if entry.default
                and bool(entry.options.get("analysis")) == analysis]

    # --- filling ----------------------------------------------------------------------

    def _reject(self, kind: Kind, name: Any, plugin: str, why: str) -> None:
        if isinstance(name, str):
            self._rejected[(kind.name, name)] = why
        report_plugin_failure(plugin, why, f"registering {kind.singular} '{name}'")

    def _add(self, entry: Entry, override: bool) -> None:
        """Add ``entry``; a clash keeps the entry of the plugin loaded first (pluggy calls
        later plugins first, so the order of calls cannot decide) and rejects the other."""
        entries = self._entries[entry.kind]
        previous = entries.get(entry.name)
        key = (entry.kind, entry.name)
        if override:
            self._overriding.add(key)
        elif key in self._overriding:  # an override was called first: it stays
            return
        if previous is not None and not override and previous.plugin != entry.plugin:
            kept, dropped = ((entry, previous) if load_order(entry.plugin) <
                             load_order(previous.plugin) else (previous, entry))
            entries[entry.name] = kept
            kind = KINDS[entry.kind] if entry.kind in KINDS else Kind(entry.kind, "", "command")
            self._reject(kind, entry.name, dropped.plugin,
                         f"{kind.singular} '{entry.name}' is registered by both plugin "
                         f"'{kept.plugin}' and plugin '{dropped.plugin}'; '{kept.plugin}' "
                         f"keeps it (plugin '{dropped.plugin}' may pass override=True to "
                         f"replace it)")
            return
        entries[entry.name] = entry

    def register_callback(self, kind: Kind) -> Callable[..., None]:
        """The ``register`` a plugin's ``kind.hook`` implementation receives."""

        def register(name: str, factory: Any = None, *, description: str = "",
                     config_class: type | None = None, default: bool = False,
                     override: bool = False, **options: Any) -> None:
            plugin = current_plugin() or "unknown"
            problem = _entry_problem(kind, name, factory, config_class, options)
            if problem is not None:
                self._reject(kind, name, plugin, problem)
                return
            if kind.name == "callbacks" and config_class is None:
                config_class = CallbackConfig
            self._add(Entry(kind.name, name, plugin, factory, description, config_class,
                            bool(default), dict(options)), override)

        return register

    def add_command(self, command: click.Command, name: str | None = None, *,
                    override: bool = False) -> None:
        """Record a plugin's Click command (what ``cli.add_command`` does in the hook)."""
        name = name or command.name
        plugin = current_plugin() or "unknown"
        if not isinstance(command, click.Command) or not name:
            self._reject(Kind(COMMANDS, "register_commands", "command"), name, plugin,
                         "cli.add_command needs a named click.Command")
            return
        self._add(Entry(COMMANDS, name, plugin, command, command.get_short_help_str()),
                  override)


class CommandHost:
    """What ``register_commands(cli)`` receives: ``add_command``, ``command()`` and
    ``group()`` as on a ``click.Group``, recording which plugin added which command."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def add_command(self, command: click.Command, name: str | None = None, *,
                    override: bool = False) -> None:
        self._registry.add_command(command, name, override=override)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
        def decorate(function: Callable[..., Any]) -> click.Command:
            command = click.command(*args, **kwargs)(function)
            self.add_command(command)
            return command

        return decorate

    def group(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Group]:
        def decorate(function: Callable[..., Any]) -> click.Group:
            group = click.group(*args, **kwargs)(function)
            self.add_command(group)
            return group

        return decorate


def _entry_problem(kind: Kind, name: Any, factory: Any, config_class: type | None,
                   options: Mapping[str, Any]) -> str | None:
    """Why a registration breaks the rules of its kind, or None."""
    if not isinstance(name, str) or not name.strip():
        return f"a {kind.singular} needs a non-empty name, got {name!r}"
    unknown = sorted(set(options) - set(kind.options))
    if unknown:
        return (f"register got unexpected keyword(s) {', '.join(unknown)} (a "
                f"{kind.singular} accepts: {', '.join(kind.options) or 'no extra keywords'})")
    if kind.needs_factory and not callable(factory):
        return f"{kind.singular} '{name}' needs a callable factory, got {factory!r}"
    if config_class is None:
        if kind.name in ("models", "sections"):
            return f"{kind.singular} '{name}' needs config_class (its settings class)"
        return None
    return settings_class_problem(kind.name, name, config_class)


_registry: Registry | None = None
_built_for = -1  # the plugins.generation() the registry was built for


def get_registry() -> Registry:
    """The process-wide registry, built from the registration hooks on first use and
    again whenever the set of plugins changed (:func:`neat_core.plugins.generation`)."""
    global _registry, _built_for
    with lenient():
        current = generation()
    if _registry is None or _built_for != current:
        _built_for = current
        registry = Registry()
        with lenient():
            for kind in KINDS.values():
                hook_caller(kind.hook)(register=registry.register_callback(kind))
            hook_caller("register_commands")(cli=CommandHost(registry))
        _registry = registry
        _record_registrations(registry)
    check_strict()
    return _registry


def _record_registrations(registry: Registry) -> None:
    for kind, entries in registry._entries.items():
        for entry in entries.values():
            info = plugin_info(entry.plugin)
            if info is not None:
                info.registered.setdefault(kind, [])
                if entry.name not in info.registered[kind]:
                    info.registered[kind].append(entry.name)


__all__ = ["COMMANDS", "CommandHost", "Entry", "KINDS", "Kind", "Registry", "get_registry",
           "suggest"]
