"""NEAT core: the kernel (hooks, plugins, registry, config schema), the services plugins
call, and the Python API behind the CLI.

``import neat_core`` loads the kernel only; the names of the services and of the Python
API (``train``, ``evaluate``, ``analyze``, ``compare``, ``generate``, ...) load their
module on first use (PEP 562). The core knows no concrete model, backend or report: it
reaches them through the registry that plugins fill (see :mod:`neat_core.hookspecs`).
Plugin authors import from :mod:`neat_core.api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy
from ._version import __version__
from .hookspecs import hookimpl
from .plugins import register_plugin, reset_plugins, unregister_plugin
from .registry import get_registry

if TYPE_CHECKING:  # the functions, not the deprecated modules of the same names
    from .app import analyze, compare, evaluate, generate, train  # type: ignore[no-redef]
    from .backends import Backend, select_backend
    from .checkpoint import load_checkpoint, load_model, save_checkpoint

__getattr__ = lazy(__name__, {
    ".backends": ("Backend", "select_backend"),
    ".checkpoint": ("load_checkpoint", "load_model", "save_checkpoint"),
    ".app": ("analyze", "compare", "evaluate", "generate", "train"),
})


__all__ = ["__version__", "Backend", "analyze", "compare", "evaluate", "generate",
           "get_registry", "hookimpl", "load_checkpoint", "load_model", "register_plugin",
           "reset_plugins", "save_checkpoint", "select_backend", "train", "unregister_plugin"]
