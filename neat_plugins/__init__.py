"""NEAT's built-in plugins. Each subpackage is registered through its own entry point
in the ``neat`` group, exactly like a third-party plugin."""
