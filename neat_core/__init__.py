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

from .train import train  # noqa: E402 - the function; the module stays neat_core.train

__all__ = ["__version__", "Backend", "get_registry", "hookimpl", "register_plugin",
           "reset_plugins", "select_backend", "train", "unregister_plugin"]
