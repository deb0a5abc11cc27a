"""Helpers for testing NEAT plugins (pytest or plain Python).

    from neat_core.testing import plugin_registered
    import my_plugin.plugin

    def test_my_report(tmp_path):
        with plugin_registered(my_plugin.plugin):
            ...  # neat_core.get_registry() and the `neat` CLI now see the plugin

The same test passes whether or not the plugin's package is installed: an installed
plugin (loaded through its entry point) is used as it is and left registered.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from .plugins import get_plugin_manager, register_plugin, unregister_plugin


@contextlib.contextmanager
def plugin_registered(plugin: object, name: str | None = None) -> Iterator[str]:
    """Register ``plugin`` (a module or object with hookimpls) for the block's duration.

    Yields the plugin's name: ``name``, else the module name, else a generated one; or the
    entry-point name when the plugin is already loaded from an installed distribution.
    """
    installed = get_plugin_manager().get_name(plugin)
    if installed is not None:
        yield installed
        return
    name = name or getattr(plugin, "__name__", None) or f"test-plugin-{id(plugin)}"
    register_plugin(plugin, name)
    try:
        yield name
    finally:
        unregister_plugin(name)
