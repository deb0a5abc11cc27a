"""Device backends: the interface backend plugins implement, and selection.

Every device decision lives in one place: which device, the environment that must be
set before the device initialises, mixed precision, memory settings, seeding and the
memory figures benchmarks report. Backends are plugins (``register_backends``);
``select_backend`` picks one by name or, for ``auto``, by ``auto_priority``.

Nothing here imports torch at module level: ``neat --help`` and ``neat backends`` on a
machine without GPUs must stay fast.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
from typing import TYPE_CHECKING, Any, ClassVar, ContextManager

import attrs

from . import interrupts
from .errors import NeatError, PluginError, UsageError
from .plugins import report_plugin_failure
from .registry import Registry, get_registry
from .settings.schema import BackendConfig

if TYPE_CHECKING:
    import torch

log = logging.getLogger("neat.backends")

AUTO = "auto"
# config spelling -> torch dtype attribute
AMP_DTYPES = {"bf16": "bfloat16", "fp16": "float16"}

_notices_given: set[str] = set()


def notice_once(key: str, message: str, level: int = logging.WARNING) -> None:
    """Log ``message`` the first time ``key`` is seen in this process."""
    if key not in _notices_given:
        _notices_given.add(key)
        log.log(level, message)


def system_memory_bytes() -> int | None:
    """Physical memory of this machine (also the unified memory of Apple GPUs)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


class Backend(abc.ABC):
    """A device backend. Subclasses set the class attributes and ``is_available``.

    Construction must be cheap and must not import torch; ``is_available`` may (after
    ``environment`` has been applied). ``select_backend`` calls, in order:
    ``apply_environment(config)``, ``is_available()``, ``prepare(config)``.
    """

    name: ClassVar[str]
    device_type: ClassVar[str]  # torch.device(...).type of the devices it runs on
    description: ClassVar[str] = ""
    # `auto` tries backends with a priority, highest first; None: only chosen by name
    auto_priority: ClassVar[int | None] = None
    # what `mixed_precision` may request here ("bf16", "fp16")
    mixed_precision_dtypes: ClassVar[tuple[str, ...]] = ()
    # what peak_memory_bytes() measures, for benchmark reports
    peak_memory_meaning: ClassVar[str] = "not measured"

    def __init__(self) -> None:
        from .config import default_config  # the config machinery, once a backend is built

        self.config = attrs.evolve(default_config().backend, name=self.name)
        self.amp: str | None = None  # "bf16" | "fp16" | None once prepared

    def own_settings(self, config: BackendConfig) -> Any:
        """This backend's own section of ``config`` (``backend.<name>``; its defaults
        when ``config`` lacks it), or None when it registered no settings class."""
        found = config.plugins.get(self.name)
        entry = get_registry().backends.get(self.name)
        if found is None and entry is not None and entry.config_class is not None:
            return entry.config_class()
        return found

    # --- probing and describing (no side effects) -------------------------------------

    @abc.abstractmethod
    def is_available(self) -> tuple[bool, str]:
        """(available, human-readable reason)."""

    def device_info(self, config: BackendConfig) -> dict[str, Any]:
        """``device_name`` and ``memory_bytes`` of the device; only called when available."""
        return {}

    def environment(self, config: BackendConfig) -> dict[str, str]:
        """Variables that must be set before torch initialises the device.

        Validates what the user set and raises a ``NeatError`` for bad values.
        """
        return {}

    def resolve_mixed_precision(self, config: BackendConfig) -> str | None:
        """The autocast dtype ("bf16"/"fp16") ``config`` leads to, or None for off."""
        requested = config.mixed_precision
        if requested == "off":
            return None
        if requested == AUTO:
            return self.auto_mixed_precision(config)
        if requested not in self.mixed_precision_dtypes:
            supported = ", ".join(self.mixed_precision_dtypes) or "none"
            raise UsageError(f"backend '{self.name}' does not support mixed precision "
                             f"'{requested}' (supported: {supported})",
                             hint="set backend.mixed_precision to auto or off")
        return requested

    def auto_mixed_precision(self, config: BackendConfig) -> str | None:
        """What ``mixed_precision = "auto"`` means here; default: off."""
        return None

    def describe_mixed_precision(self) -> str:
        """What ``autocast()`` applies, and why where it was chosen, in words (the
        backend's log line and benchmarks say it). Default: the dtype or "off"."""
        return self.amp or "off"

    def device_spec(self, config: BackendConfig) -> str:
        """The torch device string, e.g. "cuda:1"."""
        return self.device_type

    def settings(self, config: BackendConfig) -> dict[str, Any]:
        """What ``prepare(config)`` applies, JSON-ready (``neat backends`` shows it)."""
        amp = self.resolve_mixed_precision(config)
        return {"device": self.device_spec(config), "mixed_precision": amp or "off",
                "grad_scaler": self.needs_grad_scaler(amp),
                "environment": self.environment(config)}

    def describe(self, config: BackendConfig | None = None) -> dict[str, Any]:
        """One JSON-ready row for ``neat backends``: availability, device, settings."""
        config = config or self.config
        available, reason = probe(self)
        row: dict[str, Any] = {
            "name": self.name, "description": self.description, "available": available,
            "reason": reason, "device": self.device_spec(config), "device_name": None,
            "memory_bytes": None, "mixed_precision_dtypes": list(self.mixed_precision_dtypes),
            "auto_priority": self.auto_priority, "peak_memory": self.peak_memory_meaning,
        }
        if not available:
            return row
        try:
            row.update(self.device_info(config))
            row["settings"] = self.settings(config)
        except NeatError as error:
            row["settings_error"] = error.one_line()
        except Exception as error:
            row["settings_error"] = f"the plugin failed: {type(error).__name__}: {error}"
        return row

    # --- preparing (side effects) -----------------------------------------------------

    def apply_environment(self, config: BackendConfig) -> None:
        """Set ``environment(config)`` in ``os.environ`` (before the device initialises)."""
        for variable, value in self.environment(config).items():
            if os.environ.get(variable) != value:
                log.debug("setting %s=%s", variable, value)
                os.environ[variable] = value

    def prepare(self, config: BackendConfig) -> None:
        """Apply ``config``: mixed-precision policy and the backend's device settings."""
        self.config = config
        self.amp = self.resolve_mixed_precision(config)
        self.configure(config)

    def configure(self, config: BackendConfig) -> None:  # noqa: B027 - optional hook
        """Backend-specific settings (threads, memory fraction, ...); called by
        ``prepare``."""

    # --- running ----------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        import torch

        return torch.device(self.device_spec(self.config))

    @property
    def amp_dtype(self) -> torch.dtype | None:
        if self.amp is None:
            return None
        import torch

        return getattr(torch, AMP_DTYPES[self.amp])

    def autocast(self) -> ContextManager[Any]:
        """Autocast to ``amp_dtype`` on this device; a no-op context when off."""
        if self.amp is None:
            return contextlib.nullcontext()
        import torch

        return torch.autocast(self.device_type, dtype=self.amp_dtype)

    @staticmethod
    def needs_grad_scaler(amp: str | None) -> bool:
        """fp16 gradients underflow without loss scaling; bf16 has float32's range."""
        return amp == "fp16"

    def grad_scaler(self) -> Any:
        """A ``torch.amp.GradScaler`` for fp16, else None."""
        if not self.needs_grad_scaler(self.amp):
            return None
        import torch

        return torch.amp.GradScaler(self.device_type)

    def synchronize(self) -> None:  # noqa: B027 - a no-op where the device is synchronous
        """Wait for queued device work (for timing); a no-op on synchronous devices."""

    def compile_pays_back(self, steps: int) -> bool:
        """Whether ``torch.compile`` repays its compile time over ``steps`` training
        steps here (what ``training.compile`` unset means). Default: no."""
        return False

    def observe_step(self, seconds: float) -> None:  # noqa: B027 - optional hook
        """Work repeated in equal units reports each one's duration: trainers each
        optimizer step, scoring each forward batch. A backend may adapt its settings to
        it (the cpu backend picks its thread count). Default: nothing."""

    def reset_peak_memory(self) -> None:  # noqa: B027 - a no-op where nothing is measured
        """Start a new peak-memory measurement (where the device allows it)."""

    def peak_memory_bytes(self) -> int | None:
        """Peak memory in bytes (see ``peak_memory_meaning``); None when unknown."""
        return None

    def seed(self, seed: int) -> None:
        """Seed torch's generators (CPU and every device)."""
        import torch

        torch.manual_seed(seed)


# --- selection --------------------------------------------------------------------------

def build_backend(registry: Registry, name: str) -> Backend:
    """A fresh, unprepared backend by registered name (UsageError listing the names;
    PluginError naming the plugin when its factory breaks the backend contract)."""
    entry = registry.get("backends", name)
    try:
        backend = entry.factory()
    except Exception as error:
        raise PluginError(f"backend '{name}' of plugin '{entry.plugin}' failed to build: "
                          f"{type(error).__name__}: {error}",
                          hint=f"fix or uninstall the plugin, or block it with "
                               f"NEAT_PLUGINS_BLOCK={entry.plugin}") from error
    if not isinstance(backend, Backend) or backend.name != name:
        raise PluginError(f"backend '{name}' of plugin '{entry.plugin}' broke the backend "
                          f"contract: its factory must return a neat_core.api.Backend whose "
                          f"name is '{name}', got {backend!r}",
                          hint=f"block the plugin with NEAT_PLUGINS_BLOCK={entry.plugin}")
    return backend


def auto_candidates(registry: Registry) -> list[Backend]:
    """Backends ``auto`` tries, highest ``auto_priority`` first (then by name); a backend
    plugin that fails to build is reported and left out."""
    backends = []
    for name in registry.backends:
        try:
            backends.append(build_backend(registry, name))
        except PluginError as error:
            report_plugin_failure(registry.backends[name].plugin, error.message,
                                  f"building backend '{name}'")
    ranked = [backend for backend in backends if backend.auto_priority is not None]
    return sorted(ranked, key=lambda backend: (-(backend.auto_priority or 0), backend.name))


def probe(backend: Backend) -> tuple[bool, str]:
    """``backend.is_available()``; a probe that crashes counts as unavailable."""
    try:
        return backend.is_available()
    except Exception as error:
        return False, f"probe failed: {type(error).__name__}: {error}"


def available_backends(registry: Registry) -> list[str]:
    """Names of the registered backends that are available here (probes each; one that
    fails to build counts as unavailable)."""
    names = []
    for name in sorted(registry.backends):
        try:
            if probe(build_backend(registry, name))[0]:
                names.append(name)
        except PluginError:
            continue
    return names


def select_backend(config: BackendConfig) -> Backend:
    """The backend ``config.name`` names (or ``auto`` picks), prepared to run.

    The backend's environment is set before it is probed, because probing may
    initialise torch. An explicitly named backend that is unavailable is a UsageError
    (exit 2) listing the available ones; one whose plugin crashes is a PluginError
    naming the plugin. ``auto`` skips a crashing backend with a warning naming its
    plugin and takes the next.
    """
    registry = get_registry()
    if config.name == AUTO:
        backend, why = _pick_auto(registry, config)
    else:
        backend = build_backend(registry, config.name)
        _prepare(backend, config, registry, "environment")
        available, reason = probe(backend)
        if not available:
            names = ", ".join(available_backends(registry)) or "none"
            raise UsageError(f"backend '{config.name}' is not available: {reason}",
                             hint=f"available backends: {names} (or use 'auto'; "
                                  f"`neat backends` shows why)")
        why = f"requested; {reason}"
        _prepare(backend, config, registry, "prepare")
    interrupts.check()  # start-up (importing torch) is over: act on a swallowed Ctrl-C
    log.info("backend: %s on %s, mixed precision %s (%s)", backend.name,
             backend.device_spec(config), backend.describe_mixed_precision(), why)
    return backend


def _prepare(backend: Backend, config: BackendConfig, registry: Registry, step: str) -> None:
    """Apply the backend's environment or settings; a crash (not a NeatError about the
    user's settings) becomes a PluginError naming the plugin."""
    try:
        if step == "environment":
            backend.apply_environment(config)
        else:
            backend.prepare(config)
    except NeatError:
        raise
    except Exception as error:
        plugin = registry.backends[backend.name].plugin
        raise PluginError(f"backend '{backend.name}' of plugin '{plugin}' failed while "
                          f"preparing the device: {type(error).__name__}: {error}",
                          hint=f"choose another backend, or block the plugin with "
                               f"NEAT_PLUGINS_BLOCK={plugin}") from error


def _pick_auto(registry: Registry, config: BackendConfig) -> tuple[Backend, str]:
    skipped: list[str] = []
    for backend in auto_candidates(registry):
        try:
            _prepare(backend, config, registry, "environment")
            available, reason = probe(backend)
            if available:
                _prepare(backend, config, registry, "prepare")
                return backend, "auto: " + "; ".join([*skipped, f"{backend.name}: {reason}"])
        except PluginError as error:
            report_plugin_failure(registry.backends[backend.name].plugin, error.message,
                                  f"preparing backend '{backend.name}'")
            skipped.append(f"{backend.name} failed")
            continue
        skipped.append(f"{backend.name} unavailable ({reason})")
    raise UsageError("no backend is available for 'auto': " +
                     ("; ".join(skipped) or "no registered backend takes part in auto"),
                     hint=f"registered backends: {', '.join(sorted(registry.backends))}; "
                          f"check NEAT_PLUGINS_BLOCK / NEAT_PLUGINS_ALLOW")
