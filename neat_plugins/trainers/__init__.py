"""The built-in ``standard`` trainer (entry point: :mod:`neat_plugins.trainers.plugin`)."""
