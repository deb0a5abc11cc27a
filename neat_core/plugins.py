"""The plugin manager: entry-point discovery, isolation, allow/block lists, listing.

Plugins are modules named by entry points in the group ``neat``; built-in plugins are
found exactly like third-party ones. Each entry point is loaded in its own try/except:
one that fails produces one warning naming it, and everything else keeps working
(``NEAT_PLUGINS_STRICT=1`` turns the warning into an error).

Environment variables (comma-separated entry-point names):

- ``NEAT_PLUGINS_ALLOW``: load only these plugins (built-ins included).
- ``NEAT_PLUGINS_BLOCK``: never load these plugins.
- ``NEAT_PLUGINS_STRICT``: ``1`` makes a plugin that fails to load an error.
"""

from __future__ import annotations

import importlib.metadata as md
import logging
import os
from types import ModuleType
from typing import Any, Callable

import attrs
import pluggy

from . import hookspecs
from .errors import PluginError

ENTRY_POINT_GROUP = "neat"
ENV_ALLOW = "NEAT_PLUGINS_ALLOW"
ENV_BLOCK = "NEAT_PLUGINS_BLOCK"
ENV_STRICT = "NEAT_PLUGINS_STRICT"

log = logging.getLogger("neat.plugins")


@attrs.define
class PluginInfo:
    """What the host knows about one plugin: where it came from and what it did."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = attrs.Factory(list)
    registered: dict[str, list[str]] = attrs.Factory(dict)
    error: str | None = None
    status: str = "loaded"  # loaded | failed | blocked | not-allowed


_manager: pluggy.PluginManager | None = None
_infos: dict[str, PluginInfo] = {}
_generation = 0  # bumped whenever the set of plugins changes


def generation() -> int:
    """A number that changes whenever plugins are registered, unregistered or reset."""
    get_plugin_manager()
    return _generation


def _env_names(variable: str) -> set[str]:
    return {part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()}


def strict_mode() -> bool:
    return os.environ.get(ENV_STRICT, "").strip().lower() in {"1", "true", "yes", "on"}


def report_plugin_failure(name: str, error: BaseException, action: str) -> None:
    """Warn (or raise, in strict mode) about a plugin that failed while ``action``."""
    message = f"plugin '{name}' failed while {action}: {type(error).__name__}: {error}"
    info = _infos.get(name)
    if info is not None:
        info.status, info.error = "failed", f"{type(error).__name__}: {error}"
    if strict_mode():
        raise PluginError(message, hint=f"fix or uninstall it, or set {ENV_BLOCK}={name}") from error
    log.warning("%s (disable it with %s=%s)", message, ENV_BLOCK, name)


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    allow, block = _env_names(ENV_ALLOW), _env_names(ENV_BLOCK)
    entry_points = list(md.entry_points(group=ENTRY_POINT_GROUP))
    known = {ep.name for ep in entry_points}
    for unknown in sorted(allow - known):
        log.warning("%s names '%s', but no installed plugin has that name (installed: %s)",
                    ENV_ALLOW, unknown, ", ".join(sorted(known)) or "none")
    for ep in entry_points:
        if ep.name in _infos:  # the same distribution seen twice on sys.path
            continue
        dist = getattr(ep, "dist", None)
        info = PluginInfo(name=ep.name, module=ep.value,
                          distribution=dist.name if dist else None,
                          version=dist.version if dist else None)
        _infos[ep.name] = info
        if ep.name in block:
            info.status = "blocked"
            continue
        if allow and ep.name not in allow:
            info.status = "not-allowed"
            continue
        try:
            module = ep.load()
            manager.register(module, name=ep.name)
        except Exception as error:  # noqa: BLE001 - isolation is the point
            report_plugin_failure(ep.name, error, "loading")
            continue
        info.hooks = _hook_names(manager, module)


def _hook_names(manager: pluggy.PluginManager, plugin: object) -> list[str]:
    return sorted(caller.name for caller in manager.get_hookcallers(plugin) or [])


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading entry points on first use."""
    global _manager
    if _manager is None:
        manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        _manager = manager
        _load_entry_points(manager)
    return _manager


def register_plugin(plugin: ModuleType | object, name: str) -> None:
    """Register an in-process plugin object (tests, notebooks, embedding programs)."""
    manager = get_plugin_manager()
    if name in _infos and _infos[name].status == "loaded":
        raise PluginError(f"a plugin named '{name}' is already registered",
                          hint="choose another name")
    manager.register(plugin, name=name)
    _infos[name] = PluginInfo(name=name, module=getattr(plugin, "__name__", repr(plugin)),
                              hooks=_hook_names(manager, plugin))
    _reset_registry()


def unregister_plugin(name: str) -> None:
    manager = get_plugin_manager()
    plugin = manager.get_plugin(name)
    if plugin is not None:
        manager.unregister(plugin, name=name)
    _infos.pop(name, None)
    _reset_registry()


def plugin_infos() -> list[PluginInfo]:
    """Every plugin seen: loaded, failed, blocked or not allowed."""
    get_plugin_manager()
    return list(_infos.values())


def plugin_info(name: str) -> PluginInfo | None:
    return _infos.get(name)


def call_hook(hook_name: str, make_kwargs: Callable[[str], dict[str, Any]]) -> None:
    """Call every implementation of a hook in registration order, each isolated.

    ``make_kwargs(plugin_name)`` gives the keyword arguments for that plugin's
    implementation, so the host can hand each plugin its own ``register`` callback.
    A :class:`PluginError` (a clash the host detected) still propagates.
    """
    caller = getattr(get_plugin_manager().hook, hook_name)
    for impl in caller.get_hookimpls():  # registration order
        kwargs = make_kwargs(impl.plugin_name)
        try:
            impl.function(**{key: kwargs[key] for key in impl.argnames})
        except PluginError:
            raise
        except Exception as error:  # noqa: BLE001 - isolation is the point
            report_plugin_failure(impl.plugin_name, error, f"running {hook_name}")


def _reset_registry() -> None:
    global _generation
    from . import registry

    _generation += 1
    registry.reset_registry()


def reset_plugins() -> None:
    """Forget every loaded plugin and the registry; the next use loads them again."""
    global _manager
    _manager = None
    _infos.clear()
    _reset_registry()
