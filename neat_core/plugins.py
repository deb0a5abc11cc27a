"""The plugin manager: entry-point discovery, isolation, allow/block lists, listing.

Plugins are modules named by entry points in the group ``neat``; built-in plugins are
found exactly like third-party ones. Each entry point is loaded in its own try/except:
one that fails produces one warning naming it, and everything else keeps working
(``NEAT_PLUGINS_STRICT=1`` turns the warning into an error).

Hooks are called through pluggy, so ``tryfirst``, ``trylast`` and ``wrapper=True`` mean
what pluggy's documentation says. Isolation is added per implementation: when a plugin
is registered, each of its hook implementations is wrapped so that an exception it
raises disables that implementation for the call (one warning naming the plugin) instead
of ending the command, and so that the host knows which plugin is running
(:func:`current_plugin`), e.g. to record who registered what. Old-style
``hookwrapper=True`` implementations are refused with an error naming the plugin.

Environment variables (comma-separated entry-point names):

- ``NEAT_PLUGINS_ALLOW``: load only these plugins (built-ins included).
- ``NEAT_PLUGINS_BLOCK``: never load these plugins.
- ``NEAT_PLUGINS_STRICT``: ``1`` makes a plugin that fails to load an error.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.metadata as md
import logging
import os
from types import ModuleType
from typing import Any, Callable, Generator, Iterator

import attrs
import pluggy

import neat_core.hookspecs as hookspecs

from ._version import DISTRIBUTION
from .errors import NeatError, PluginError

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
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("neat_plugin",
                                                                    default=None)
_lenient: contextvars.ContextVar[bool] = contextvars.ContextVar("neat_lenient", default=False)
_tracebacks = False  # `neat --debug`: warnings about plugins carry the traceback


def generation() -> int:
    """A number that changes whenever plugins are registered, unregistered or reset."""
    get_plugin_manager()
    return _generation


def current_plugin() -> str | None:
    """The name of the plugin whose hook implementation is running, if any."""
    return _current.get()


@contextlib.contextmanager
def running(plugin: str) -> Iterator[None]:
    token = _current.set(plugin)
    try:
        yield
    finally:
        _current.reset(token)


def _env_names(variable: str) -> set[str]:
    return {part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()}


def strict_mode() -> bool:
    return os.environ.get(ENV_STRICT, "").strip().lower() in {"1", "true", "yes", "on"}


@contextlib.contextmanager
def lenient() -> Iterator[None]:
    """Record plugin failures without raising, even in strict mode: while plugins load
    and register (strict mode then refuses to *use* them, see :func:`check_strict`), and
    for ``neat plugins``, which must always show what failed and why."""
    token = _lenient.set(True)
    try:
        yield
    finally:
        _lenient.reset(token)


def check_strict() -> None:
    """In strict mode, a PluginError for the first plugin that failed to load or register."""
    if not strict_mode() or _lenient.get():
        return
    for info in _infos.values():
        if info.status == "failed":
            raise PluginError(f"plugin '{info.name}' failed: {info.error}",
                              hint=f"fix or uninstall it, or set {ENV_BLOCK}={info.name} "
                                   f"({ENV_STRICT}=1 refuses to run with a failed plugin)")


def show_tracebacks(on: bool = True) -> None:
    """Make the warnings about failed plugins carry a traceback (``neat --debug``): the
    exception's, or for a problem the host found itself (a registration it rejected) the
    stack that led to it, through the plugin's hook implementation."""
    global _tracebacks
    _tracebacks = on


def report_plugin_failure(name: str, error: BaseException | str, action: str) -> None:
    """Warn (or raise, in strict mode) about a plugin that failed while ``action``.

    ``error`` is an exception, or a message for problems the host found itself (a name
    clash, a broken contract, a settings class that breaks a rule).
    """
    what = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    message = f"plugin '{name}' failed while {action}: {what}"
    info = _infos.get(name)
    if info is not None:
        info.status = "failed"
        info.error = what if info.error is None else f"{info.error}; {what}"
    if strict_mode() and not _lenient.get():
        raise PluginError(message, hint=f"fix or uninstall it, or set {ENV_BLOCK}={name}") \
            from (error if isinstance(error, BaseException) else None)
    exception = error if isinstance(error, BaseException) else None
    log.warning("%s (disable it with %s=%s)", message, ENV_BLOCK, name,
                exc_info=exception if _tracebacks else None,
                stack_info=_tracebacks and exception is None)


# --- isolation around every hook implementation ---------------------------------------

def _isolated(plugin: str, hook: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            with running(plugin):
                return function(*args, **kwargs)
        except PluginError as error:
            report_plugin_failure(plugin, error.one_line(), f"running {hook}")
        except Exception as error:
            report_plugin_failure(plugin, error, f"running {hook}")
        return None

    return call


def _isolated_wrapper(plugin: str, hook: str,
                      function: Callable[..., Any]) -> Callable[..., Any]:
    """A ``wrapper=True`` implementation, isolated: a failure before its ``yield``
    skips it (the wrapped call still runs); one after it keeps the wrapped result."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
        try:
            with running(plugin):
                teardown = function(*args, **kwargs)
                next(teardown)
        except StopIteration:
            report_plugin_failure(plugin, "the wrapper did not yield", f"running {hook}")
            return (yield)
        except Exception as error:
            report_plugin_failure(plugin, error, f"running {hook}")
            return (yield)
        try:
            result = yield
        except BaseException as inner:
            with running(plugin):
                try:
                    teardown.throw(inner)
                except StopIteration as stop:
                    return stop.value
            raise RuntimeError(f"the wrapper of plugin '{plugin}' for {hook} yielded twice") \
                from inner
        try:
            with running(plugin):
                teardown.send(result)
        except StopIteration as stop:
            return stop.value
        except Exception as error:
            report_plugin_failure(plugin, error, f"running {hook}")
            return result
        report_plugin_failure(plugin, "the wrapper yielded twice", f"running {hook}")
        return result

    return call


def _isolate_implementations(manager: pluggy.PluginManager, plugin: object,
                             name: str) -> None:
    for caller in manager.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            if impl.hookwrapper:
                manager.unregister(plugin)
                raise PluginError(
                    f"plugin '{name}' implements {caller.name} with hookwrapper=True, "
                    f"which NEAT does not support",
                    hint="use @hookimpl(wrapper=True), the new-style wrapper")
            make = _isolated_wrapper if impl.wrapper else _isolated
            # HookImpl.function is Final for type checkers only; pluggy reads it per call
            impl.function = make(name, caller.name, impl.function)  # type: ignore[misc]


def _register(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    manager.register(plugin, name=name)
    _isolate_implementations(manager, plugin, name)


# --- loading --------------------------------------------------------------------------

def _load_entry_points(manager: pluggy.PluginManager) -> None:
    allow, block = _env_names(ENV_ALLOW), _env_names(ENV_BLOCK)
    entry_points = list(md.entry_points(group=ENTRY_POINT_GROUP))
    known = {ep.name for ep in entry_points}
    for variable, names in ((ENV_ALLOW, allow), (ENV_BLOCK, block)):
        for unknown in sorted(names - known):
            log.warning("%s names '%s', but no installed plugin has that name (installed: "
                        "%s)", variable, unknown, ", ".join(sorted(known)) or "none")
    described: dict[int, tuple[str, str]] = {}  # a distribution's metadata, parsed once
    for ep in entry_points:
        if ep.name in _infos:  # the same distribution seen twice on sys.path
            continue
        dist = getattr(ep, "dist", None)
        if dist is not None and id(dist) not in described:
            described[id(dist)] = (dist.name, dist.version)
        name, version = described[id(dist)] if dist is not None else (None, None)
        info = PluginInfo(name=ep.name, module=ep.value, distribution=name, version=version)
        _infos[ep.name] = info
        if ep.name in block:
            info.status = "blocked"
            continue
        if allow and ep.name not in allow:
            info.status = "not-allowed"
            continue
        try:
            module = ep.load()
            _register(manager, module, ep.name)
        except (Exception, SystemExit) as error:
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
        with lenient():  # strict mode is checked where plugins are used (get_registry)
            _load_entry_points(manager)
    return _manager


def register_plugin(plugin: ModuleType | object, name: str) -> None:
    """Register an in-process plugin object (tests, notebooks, embedding programs)."""
    manager = get_plugin_manager()
    if name in _infos and _infos[name].status == "loaded":
        raise PluginError(f"a plugin named '{name}' is already registered",
                          hint="choose another name")
    _register(manager, plugin, name)
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


@contextlib.contextmanager
def blamed(what: str, plugin: str) -> Iterator[None]:
    """Run a plugin's code so that an unexpected exception becomes a PluginError naming
    ``what`` failed and its plugin (NEAT's own errors pass through)."""
    try:
        yield
    except (NeatError, BrokenPipeError):  # a closed stdout is its reader's doing
        raise
    except Exception as error:
        raise PluginError(f"{what} of plugin '{plugin}' failed: {type(error).__name__}: "
                          f"{error}", hint=f"rerun with --debug for the traceback; report it "
                                           f"to the plugin's authors, or block it with "
                                           f"{ENV_BLOCK}={plugin}") from error


def load_order(name: str) -> int:
    """Position of plugin ``name`` in the order plugins were loaded (unknown: last)."""
    names = list(_infos)
    return names.index(name) if name in names else len(names)


def is_builtin(name: str) -> bool:
    """Whether plugin ``name`` ships with NEAT: an entry point of NEAT's distribution."""
    info = _infos.get(name)
    return info is not None and info.distribution == DISTRIBUTION


def hook_caller(name: str) -> Any:
    """The pluggy hook caller of hook ``name`` (call it with keyword arguments)."""
    return getattr(get_plugin_manager().hook, name)


def _reset_registry() -> None:
    """The registry is rebuilt on its next use (it is built for one generation)."""
    global _generation
    _generation += 1


def reset_plugins() -> None:
    """Forget every loaded plugin and the registry; the next use loads them again."""
    global _manager
    _manager = None
    _infos.clear()
    _reset_registry()
