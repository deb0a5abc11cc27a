"""NEAT core: the plugin host, the config schema, and the Python API behind the CLI.

The core knows no concrete model, backend or report: it reaches them through the
registry that plugins fill (see :mod:`neat_core.hookspecs`).
"""

from importlib.metadata import PackageNotFoundError, version

from .backends import Backend, select_backend
from .hookspecs import hookimpl
from .plugins import register_plugin, reset_plugins, unregister_plugin
from .registry import get_registry

try:
    __version__ = version("neat-entropy")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

from .evaluate import analyze, compare, evaluate
from .generate import generate
from .train import train

_LAZY = {"save_checkpoint": "checkpoint", "load_checkpoint": "checkpoint",
         "load_model": "checkpoint"}


def __getattr__(name: str):  # PEP 562: these modules are imported on first use
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", "Backend", "analyze", "compare", "evaluate", "generate",
           "get_registry", "hookimpl", "load_checkpoint", "load_model", "register_plugin",
           "reset_plugins", "save_checkpoint", "select_backend", "train", "unregister_plugin"]
