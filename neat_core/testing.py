"""Helpers for testing NEAT plugins (pytest or plain Python).

    from neat_core.testing import plugin_registered

    def test_my_report(tmp_path):
        with plugin_registered(my_plugin_module):
            ...  # neat_core.get_registry() and the CLI now see the plugin
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from .plugins import register_plugin, unregister_plugin


@contextlib.contextmanager
def plugin_registered(plugin: object, name: str | None = None) -> Iterator[str]:
    """Register ``plugin`` (a module or object with hookimpls) for the block's duration."""
    name = name or getattr(plugin, "__name__", None) or f"test-plugin-{id(plugin)}"
    register_plugin(plugin, name)
    try:
        yield name
    finally:
        unregister_plugin(name)
